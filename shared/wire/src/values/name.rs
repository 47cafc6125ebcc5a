//! Display names and the ways a client names a resource (UUID, slug or name).

use std::fmt;

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::error::{ValidationError, truncate_for_message};
use crate::slug::Slug;

/// A display name (project, branch, testbed, spec, measure): 1 to [`ResourceName::MAX_LEN`]
/// characters, not blank, no control characters. Kept exactly as sent.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct ResourceName(String);

impl ResourceName {
    /// The longest name accepted, in characters (Bencher's limit).
    pub const MAX_LEN: usize = 256;

    /// Validate `s` as a name.
    pub fn parse(s: &str) -> Result<Self, ValidationError> {
        let reason = if s.trim().is_empty() {
            Some("must not be blank".to_owned())
        } else if s.chars().count() > Self::MAX_LEN {
            Some(format!("longer than {} characters", Self::MAX_LEN))
        } else if s.chars().any(char::is_control) {
            Some(format!(
                "{:?} contains a control character",
                truncate_for_message(s)
            ))
        } else {
            None
        };
        match reason {
            Some(reason) => Err(ValidationError::invalid("name", reason)),
            None => Ok(Self(s.to_owned())),
        }
    }

    /// The name as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for ResourceName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

super::string_value!(ResourceName);

/// A resource named by UUID or slug (Bencher's `ResourceId`): specs, projects in URLs.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub enum ResourceId {
    /// By UUID.
    Uuid(Uuid),
    /// By slug.
    Slug(Slug),
}

impl ResourceId {
    /// A UUID when `s` is one, else a slug.
    pub fn parse(s: &str) -> Result<Self, ValidationError> {
        if let Ok(uuid) = Uuid::parse_str(s) {
            return Ok(Self::Uuid(uuid));
        }
        s.parse().map(Self::Slug).map_err(|_| {
            ValidationError::invalid(
                "resource id",
                format!("{:?} is neither a UUID nor a slug", truncate_for_message(s)),
            )
        })
    }
}

impl fmt::Display for ResourceId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Uuid(uuid) => fmt::Display::fmt(&uuid.hyphenated(), f),
            Self::Slug(slug) => fmt::Display::fmt(slug, f),
        }
    }
}

impl std::str::FromStr for ResourceId {
    type Err = ValidationError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

impl TryFrom<String> for ResourceId {
    type Error = ValidationError;

    fn try_from(s: String) -> Result<Self, Self::Error> {
        Self::parse(&s)
    }
}

impl From<ResourceId> for String {
    fn from(id: ResourceId) -> Self {
        id.to_string()
    }
}

/// A resource named by UUID, slug or display name (Bencher's `NameId`): the project, branch and
/// testbed of a new run, which the server creates when no resource matches. Lookup order:
/// UUID, then slug, then name — so `main` is tried as a slug before as a name.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub enum NameId {
    /// By UUID.
    Uuid(Uuid),
    /// By slug (also a valid name).
    Slug(Slug),
    /// By display name (not a valid slug, e.g. `feature/login`).
    Name(ResourceName),
}

impl NameId {
    /// The most specific reading of `s`: UUID, slug, else name.
    pub fn parse(s: &str) -> Result<Self, ValidationError> {
        if let Ok(uuid) = Uuid::parse_str(s) {
            return Ok(Self::Uuid(uuid));
        }
        if let Ok(slug) = s.parse() {
            return Ok(Self::Slug(slug));
        }
        ResourceName::parse(s).map(Self::Name)
    }

    /// The display name to give a resource created from this reference (a UUID names nothing).
    pub fn to_name(&self) -> Option<ResourceName> {
        match self {
            Self::Uuid(_) => None,
            Self::Slug(slug) => ResourceName::parse(slug.as_str()).ok(),
            Self::Name(name) => Some(name.clone()),
        }
    }
}

impl fmt::Display for NameId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Uuid(uuid) => fmt::Display::fmt(&uuid.hyphenated(), f),
            Self::Slug(slug) => fmt::Display::fmt(slug, f),
            Self::Name(name) => fmt::Display::fmt(name, f),
        }
    }
}

impl std::str::FromStr for NameId {
    type Err = ValidationError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

impl TryFrom<String> for NameId {
    type Error = ValidationError;

    fn try_from(s: String) -> Result<Self, Self::Error> {
        Self::parse(&s)
    }
}

impl From<NameId> for String {
    fn from(id: NameId) -> Self {
        id.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn names_refuse_blank_long_and_control_text() {
        let long = "é".repeat(257);
        for bad in ["", "   ", "a\nb", "tab\there", "\u{7f}", long.as_str()] {
            let err = ResourceName::parse(bad).unwrap_err().to_string();
            assert!(err.starts_with("invalid name"), "{err}");
        }
        assert_eq!(
            ResourceName::parse(&"é".repeat(256))
                .unwrap()
                .as_str()
                .chars()
                .count(),
            256
        );
        let json = serde_json::from_str::<ResourceName>("\"\"")
            .unwrap_err()
            .to_string();
        assert!(json.contains("invalid name"), "{json}");
    }

    #[test]
    fn name_ids_read_uuid_then_slug_then_name() {
        let uuid = "0191c2a4-0000-7000-8000-000000000001";
        assert!(matches!(NameId::parse(uuid).unwrap(), NameId::Uuid(_)));
        assert!(matches!(NameId::parse("main").unwrap(), NameId::Slug(_)));
        assert!(matches!(
            NameId::parse("feature/x").unwrap(),
            NameId::Name(_)
        ));
        assert!(NameId::parse("").is_err());
        assert!(
            ResourceId::parse("feature/x")
                .unwrap_err()
                .to_string()
                .contains("resource id")
        );
    }

    proptest! {
        #[test]
        fn printable_names_round_trip(s in "[^\\p{Cc}]{1,256}") {
            prop_assume!(!s.trim().is_empty());
            let name = ResourceName::parse(&s).unwrap();
            let json = serde_json::to_string(&name).unwrap();
            prop_assert_eq!(serde_json::from_str::<ResourceName>(&json).unwrap(), name);
            let id = NameId::parse(&s).unwrap();
            prop_assert_eq!(id.to_string(), s);
        }

        #[test]
        fn names_with_a_control_character_are_refused(
            a in "[a-z]{0,10}", c in "\\p{Cc}", b in "[a-z]{0,10}"
        ) {
            let text = format!("{a}{c}{b}");
            prop_assert!(ResourceName::parse(&text).is_err());
        }
    }
}
