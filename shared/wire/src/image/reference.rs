//! `ImageReference` (what a user names) and `PinnedImage` (what a runner pulls).

use std::fmt;

use serde::{Deserialize, Serialize};

use super::Digest;
use crate::error::{ValidationError, truncate_for_message};

/// An image as a user names it: optional registry, repository, optional tag, optional digest.
/// Without tag and digest the resolver uses [`ImageReference::DEFAULT_TAG`].
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct ImageReference {
    registry: Option<String>,
    repository: String,
    tag: Option<String>,
    digest: Option<Digest>,
}

impl ImageReference {
    /// The longest name (registry, `/` and repository) accepted.
    pub const MAX_NAME_LEN: usize = 255;
    /// The longest tag accepted.
    pub const MAX_TAG_LEN: usize = 128;
    /// The tag meant when a reference has neither tag nor digest.
    pub const DEFAULT_TAG: &'static str = "latest";

    /// Parse and validate a reference.
    pub fn parse(s: &str) -> Result<Self, ValidationError> {
        let bad = |reason: String| {
            ValidationError::invalid("image", format!("{:?}: {reason}", truncate_for_message(s)))
        };
        let (rest, digest) = match s.split_once('@') {
            Some((rest, digest)) => (
                rest,
                Some(Digest::parse(digest).map_err(|e| bad(e.to_string()))?),
            ),
            None => (s, None),
        };
        let (name, tag) = match rest.rfind(':') {
            Some(i) if !rest[i..].contains('/') => (&rest[..i], Some(&rest[i + 1..])),
            _ => (rest, None),
        };
        if let Some(tag) = tag {
            check_tag(tag).map_err(bad)?;
        }
        if name.is_empty() {
            return Err(bad("missing repository".to_owned()));
        }
        if name.len() > Self::MAX_NAME_LEN {
            return Err(bad(format!(
                "name longer than {} characters",
                Self::MAX_NAME_LEN
            )));
        }
        let (registry, repository) = match name.split_once('/') {
            Some((first, path))
                if first.contains('.') || first.contains(':') || first == "localhost" =>
            {
                check_registry(first).map_err(bad)?;
                (Some(first), path)
            }
            _ => (None, name),
        };
        for component in repository.split('/') {
            check_component(component).map_err(bad)?;
        }
        Ok(Self {
            registry: registry.map(str::to_owned),
            repository: repository.to_owned(),
            tag: tag.map(str::to_owned),
            digest,
        })
    }

    /// The registry host (and port), `None` for the built-in registry.
    pub fn registry(&self) -> Option<&str> {
        self.registry.as_deref()
    }

    /// The repository path inside the registry (`team/bench`).
    pub fn repository(&self) -> &str {
        &self.repository
    }

    /// The tag, if the reference names one.
    pub fn tag(&self) -> Option<&str> {
        self.tag.as_deref()
    }

    /// The tag to resolve: the named one, else `latest`.
    pub fn tag_or_default(&self) -> &str {
        self.tag().unwrap_or(Self::DEFAULT_TAG)
    }

    /// The digest, if the reference names one.
    pub fn digest(&self) -> Option<&Digest> {
        self.digest.as_ref()
    }

    /// The same reference with `digest` (the tag, if any, stays as a label).
    pub fn with_digest(&self, digest: Digest) -> Self {
        Self {
            digest: Some(digest),
            ..self.clone()
        }
    }

    /// The same registry and repository pinned to `digest`, without tag: what a runner pulls.
    pub fn pin(&self, digest: Digest) -> PinnedImage {
        PinnedImage {
            registry: self.registry.clone(),
            repository: self.repository.clone(),
            digest,
        }
    }
}

impl fmt::Display for ImageReference {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(registry) = &self.registry {
            write!(f, "{registry}/")?;
        }
        f.write_str(&self.repository)?;
        if let Some(tag) = &self.tag {
            write!(f, ":{tag}")?;
        }
        if let Some(digest) = &self.digest {
            write!(f, "@{digest}")?;
        }
        Ok(())
    }
}

crate::values::string_value!(ImageReference);

/// An image pinned by digest, without tag: `[registry/]repository@sha256:...`. The only form
/// a runner accepts, so a tag moved after resolution can never change what runs.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct PinnedImage {
    registry: Option<String>,
    repository: String,
    digest: Digest,
}

impl PinnedImage {
    /// Parse `[registry/]repository@digest`; a tag is refused.
    pub fn parse(s: &str) -> Result<Self, ValidationError> {
        let reference = ImageReference::parse(s)?;
        match (&reference.tag, reference.digest.clone()) {
            (None, Some(digest)) => Ok(reference.pin(digest)),
            _ => Err(ValidationError::invalid(
                "image",
                format!(
                    "{:?}: a pinned image is repository@digest, without tag",
                    truncate_for_message(s)
                ),
            )),
        }
    }

    /// The registry host (and port), `None` for the built-in registry.
    pub fn registry(&self) -> Option<&str> {
        self.registry.as_deref()
    }

    /// The repository path inside the registry.
    pub fn repository(&self) -> &str {
        &self.repository
    }

    /// The manifest digest.
    pub fn digest(&self) -> &Digest {
        &self.digest
    }
}

impl fmt::Display for PinnedImage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(registry) = &self.registry {
            write!(f, "{registry}/")?;
        }
        write!(f, "{}@{}", self.repository, self.digest)
    }
}

crate::values::string_value!(PinnedImage);

impl From<PinnedImage> for ImageReference {
    fn from(p: PinnedImage) -> Self {
        Self {
            registry: p.registry,
            repository: p.repository,
            tag: None,
            digest: Some(p.digest),
        }
    }
}

fn check_tag(tag: &str) -> Result<(), String> {
    let word = |b: u8| b.is_ascii_alphanumeric() || b == b'_';
    let valid = match tag.as_bytes().split_first() {
        Some((first, rest)) => {
            word(*first)
                && tag.len() <= ImageReference::MAX_TAG_LEN
                && rest.iter().all(|&b| word(b) || b == b'.' || b == b'-')
        }
        None => false,
    };
    if valid {
        Ok(())
    } else {
        Err(format!(
            "tag {:?} must be 1 to 128 of A-Z a-z 0-9 _ . - and not start with . or -",
            truncate_for_message(tag)
        ))
    }
}

fn check_registry(registry: &str) -> Result<(), String> {
    let bad = || format!("invalid registry {:?}", truncate_for_message(registry));
    let (host, port) = match registry.split_once(':') {
        Some((host, port)) => (host, Some(port)),
        None => (registry, None),
    };
    if let Some(port) = port {
        let digits =
            !port.is_empty() && port.len() <= 5 && port.bytes().all(|b| b.is_ascii_digit());
        if !digits || port.parse::<u32>().map_or(true, |p| p == 0 || p > 65_535) {
            return Err(bad());
        }
    }
    let label_ok = |label: &str| {
        let bytes = label.as_bytes();
        !bytes.is_empty()
            && bytes
                .iter()
                .all(|b| b.is_ascii_alphanumeric() || *b == b'-')
            && bytes.first().is_some_and(u8::is_ascii_alphanumeric)
            && bytes.last().is_some_and(u8::is_ascii_alphanumeric)
    };
    if host.split('.').all(label_ok) {
        Ok(())
    } else {
        Err(bad())
    }
}

/// `[a-z0-9]+` runs joined by `.`, `_`, `__` or one or more `-`.
fn check_component(component: &str) -> Result<(), String> {
    let bad = |why: &str| {
        format!(
            "repository component {:?} {why}",
            truncate_for_message(component)
        )
    };
    if component.is_empty() {
        return Err(bad("is empty"));
    }
    if component.bytes().any(|b| b.is_ascii_uppercase()) {
        return Err(bad("must be lowercase"));
    }
    let alnum = |b: &u8| b.is_ascii_lowercase() || b.is_ascii_digit();
    let bytes = component.as_bytes();
    if !bytes.first().is_some_and(alnum) || !bytes.last().is_some_and(alnum) {
        return Err(bad("must start and end with a letter or digit"));
    }
    for separator in component
        .split(|c: char| c.is_ascii_lowercase() || c.is_ascii_digit())
        .filter(|s| !s.is_empty())
    {
        let ok = matches!(separator, "." | "_" | "__") || separator.bytes().all(|b| b == b'-');
        if !ok {
            return Err(bad(
                "may join letters and digits only with '.', '_', '__' or '-'",
            ));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests;
