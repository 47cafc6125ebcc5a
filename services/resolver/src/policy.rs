//! What the resolver decides without any I/O: which registries it may contact (and how), and
//! each tier's timeout.

use std::fmt;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};

use bencher_wire::image::ImageReference;
use bencher_wire::values::Timeout;
use bencher_wire::{Priority, ValidationError};

use crate::error::ResolverError;

/// A registry the resolver may contact.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RegistryTarget {
    /// `host[:port]`, lowercase: what goes before the repository in a reference.
    pub host: String,
    /// Whether it speaks plain HTTP (`http://` entries and the built-in registry).
    pub plain_http: bool,
    /// Whether it is the built-in registry.
    pub builtin: bool,
}

/// An image names a registry that is not on the allow list.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NotAllowed {
    /// The registry the image names.
    pub registry: String,
    /// What is allowed, for the message.
    pub allowed: Vec<String>,
}

impl fmt::Display for NotAllowed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "registry {} is not allowed; allowed: {}",
            self.registry,
            self.allowed.join(", ")
        )
    }
}

/// The registries images may come from: the built-in one plus `registries.allow`.
///
/// Entries are `http://host[:port]` (plain HTTP to exactly that host and port), `https://host`
/// or a bare `host[:port]` (TLS). Matching is exact on `host[:port]`, case-insensitive; an image
/// without a registry names the built-in one.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RegistryPolicy {
    builtin: RegistryTarget,
    allowed: Vec<RegistryTarget>,
}

impl RegistryPolicy {
    /// The policy for `allow` entries, with the built-in registry served on `builtin` (the HTTP
    /// listen address; an unspecified address is reached on loopback).
    pub fn new(allow: &[String], builtin: SocketAddr) -> Result<Self, ResolverError> {
        let ip = match builtin.ip() {
            IpAddr::V4(ip) if ip.is_unspecified() => IpAddr::V4(Ipv4Addr::LOCALHOST),
            IpAddr::V6(ip) if ip.is_unspecified() => IpAddr::V4(Ipv4Addr::LOCALHOST),
            ip => ip,
        };
        let builtin = RegistryTarget {
            host: SocketAddr::new(ip, builtin.port()).to_string(),
            plain_http: true,
            builtin: true,
        };
        let mut allowed = Vec::new();
        for entry in allow.iter().map(|e| e.trim()).filter(|e| !e.is_empty()) {
            let target = parse_entry(entry)?;
            if !allowed
                .iter()
                .any(|a: &RegistryTarget| a.host == target.host)
            {
                allowed.push(target);
            }
        }
        Ok(Self { builtin, allowed })
    }

    /// Where `image` is pulled from, or why it may not be.
    pub fn target(&self, image: &ImageReference) -> Result<RegistryTarget, NotAllowed> {
        let Some(registry) = image.registry() else {
            return Ok(self.builtin.clone());
        };
        let registry = registry.to_ascii_lowercase();
        if registry == self.builtin.host {
            return Ok(self.builtin.clone());
        }
        self.allowed
            .iter()
            .find(|a| a.host == registry)
            .cloned()
            .ok_or_else(|| NotAllowed {
                registry,
                allowed: self.describe(),
            })
    }

    /// Every `host[:port]` spoken to over plain HTTP (for the registry client).
    pub fn plain_http_hosts(&self) -> Vec<String> {
        std::iter::once(&self.builtin)
            .chain(&self.allowed)
            .filter(|t| t.plain_http)
            .map(|t| t.host.clone())
            .collect()
    }

    fn describe(&self) -> Vec<String> {
        let mut names = vec![format!("the built-in registry ({})", self.builtin.host)];
        names.extend(self.allowed.iter().map(|a| {
            let scheme = if a.plain_http { "http" } else { "https" };
            format!("{scheme}://{}", a.host)
        }));
        names
    }
}

fn parse_entry(entry: &str) -> Result<RegistryTarget, ResolverError> {
    let bad = |reason: &str| ResolverError::AllowEntry {
        entry: entry.to_owned(),
        reason: reason.to_owned(),
    };
    let lower = entry.to_ascii_lowercase();
    let (rest, plain_http) = if let Some(rest) = lower.strip_prefix("http://") {
        (rest, true)
    } else if let Some(rest) = lower.strip_prefix("https://") {
        (rest, false)
    } else if lower.contains("://") {
        return Err(bad("only http:// and https:// are supported"));
    } else {
        (lower.as_str(), false)
    };
    let host = rest.trim_end_matches('/');
    if host.is_empty() || host.contains('/') {
        return Err(bad("expected host[:port] without a path"));
    }
    // The same grammar an image reference's registry follows.
    let probe = ImageReference::parse(&format!("{host}/probe"))
        .map_err(|e| bad(&format!("not a registry host: {e}")))?;
    if probe.registry() != Some(host) {
        return Err(bad(
            "not a registry host (needs a '.', a ':port' or localhost)",
        ));
    }
    Ok(RegistryTarget {
        host: host.to_owned(),
        plain_http,
        builtin: false,
    })
}

/// The timeout a job gets: the tier's default when none was asked for, else the request capped
/// at the tier's maximum. Unclaimed: at most 60 s; free: at most 300 s; plus: 3600 s by default,
/// up to [`Timeout::MAX`]. The second value is the request, when it was cut. (The error cannot
/// happen: every tier's numbers are valid timeouts.)
pub fn tier_timeout(
    priority: Priority,
    requested: Option<Timeout>,
) -> Result<(Timeout, Option<Timeout>), ValidationError> {
    let (default, max) = match priority {
        Priority::Unclaimed => (60_u32, 60_u32),
        Priority::Free => (300, 300),
        Priority::Plus => (3600, Timeout::MAX),
    };
    Ok(match requested {
        None => (Timeout::new(u64::from(default))?, None),
        Some(asked) if asked.get() > max => (Timeout::new(u64::from(max))?, Some(asked)),
        Some(asked) => (asked, None),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn image(s: &str) -> ImageReference {
        s.parse().unwrap()
    }

    fn policy(allow: &[&str]) -> RegistryPolicy {
        let allow: Vec<String> = allow.iter().map(|s| (*s).to_owned()).collect();
        RegistryPolicy::new(&allow, "0.0.0.0:6610".parse().unwrap()).unwrap()
    }

    #[test]
    fn schemes_decide_plain_http_and_hosts_match_exactly() {
        let p = policy(&[
            "http://127.0.0.1:5000",
            "https://Ghcr.io/",
            "registry.local:443",
        ]);
        let local = p.target(&image("127.0.0.1:5000/team/app:v1")).unwrap();
        assert!(local.plain_http && !local.builtin);
        let ghcr = p.target(&image("ghcr.io/org/app:v1")).unwrap();
        assert!(!ghcr.plain_http);
        assert!(
            !p.target(&image("registry.local:443/a:b"))
                .unwrap()
                .plain_http
        );
        // Another port of an allowed host is another registry.
        let err = p.target(&image("127.0.0.1:5001/team/app:v1")).unwrap_err();
        assert_eq!(err.registry, "127.0.0.1:5001");
        let text = err.to_string();
        assert!(
            text.starts_with("registry 127.0.0.1:5001 is not allowed; allowed: "),
            "{text}"
        );
        assert!(text.contains("http://127.0.0.1:5000"), "{text}");
        assert!(text.contains("https://ghcr.io"), "{text}");
        assert_eq!(
            p.plain_http_hosts(),
            vec!["127.0.0.1:6610".to_owned(), "127.0.0.1:5000".to_owned()]
        );
    }

    #[test]
    fn images_without_registry_and_the_listen_address_are_builtin() {
        let p = policy(&[]);
        for reference in ["demo:v1", "team/bench", "127.0.0.1:6610/demo:v1"] {
            let target = p.target(&image(reference)).unwrap();
            assert!(target.builtin && target.plain_http, "{reference}");
            assert_eq!(target.host, "127.0.0.1:6610");
        }
        assert!(p.target(&image("docker.io/library/busybox:1")).is_err());
    }

    #[test]
    fn bad_entries_are_refused() {
        for bad in [
            "ftp://x.io",
            "http://",
            "https://x.io/path",
            "justaname",
            "a b.io",
        ] {
            let err = RegistryPolicy::new(&[bad.to_owned()], "127.0.0.1:1".parse().unwrap());
            assert!(
                matches!(err, Err(ResolverError::AllowEntry { .. })),
                "{bad}: {err:?}"
            );
        }
    }

    #[test]
    fn tiers_cap_and_default_timeouts() {
        let t = |v: u64| Timeout::new(v).unwrap();
        assert_eq!(
            tier_timeout(Priority::Unclaimed, None).unwrap(),
            (t(60), None)
        );
        assert_eq!(
            tier_timeout(Priority::Unclaimed, Some(t(61))).unwrap(),
            (t(60), Some(t(61)))
        );
        assert_eq!(
            tier_timeout(Priority::Unclaimed, Some(t(5))).unwrap(),
            (t(5), None)
        );
        assert_eq!(tier_timeout(Priority::Free, None).unwrap(), (t(300), None));
        assert_eq!(
            tier_timeout(Priority::Free, Some(t(3600))).unwrap(),
            (t(300), Some(t(3600)))
        );
        assert_eq!(tier_timeout(Priority::Plus, None).unwrap(), (t(3600), None));
        assert_eq!(
            tier_timeout(Priority::Plus, Some(t(86_400))).unwrap(),
            (t(86_400), None)
        );
    }
}
