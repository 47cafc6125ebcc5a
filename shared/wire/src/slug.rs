//! Slugs: the URL- and subject-safe names of projects, branches, testbeds, specs and measures.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::error::{ValidationError, truncate_for_message};

/// A validated slug: 1 to [`Slug::MAX_LEN`] characters of `a-z`, `0-9` and single `-`, neither
/// first nor last. Being free of `.`, `*`, `>` and whitespace it is also a safe NATS subject token.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Slug(String);

impl Slug {
    /// The longest slug accepted (Bencher's limit).
    pub const MAX_LEN: usize = 64;

    /// The slug as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Turn any name into a slug the way Bencher does: lowercase, runs of anything else become one
    /// hyphen, trimmed to the maximum length. `None` when nothing usable is left.
    pub fn from_name(name: &str) -> Option<Self> {
        let mut slug = String::with_capacity(name.len().min(Self::MAX_LEN));
        for c in name.chars().flat_map(char::to_lowercase) {
            if c.is_ascii_lowercase() || c.is_ascii_digit() {
                slug.push(c);
            } else if !slug.is_empty() && !slug.ends_with('-') {
                slug.push('-');
            }
            if slug.len() >= Self::MAX_LEN {
                break;
            }
        }
        let slug = slug.trim_end_matches('-');
        Self::from_str(slug).ok()
    }
}

impl FromStr for Slug {
    type Err = ValidationError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let valid_chars = s
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
        let valid = !s.is_empty()
            && s.len() <= Self::MAX_LEN
            && valid_chars
            && !s.starts_with('-')
            && !s.ends_with('-')
            && !s.contains("--");
        if valid {
            Ok(Self(s.to_owned()))
        } else {
            Err(ValidationError::Slug {
                value: truncate_for_message(s),
                max: Self::MAX_LEN,
            })
        }
    }
}

impl TryFrom<String> for Slug {
    type Error = ValidationError;

    fn try_from(s: String) -> Result<Self, Self::Error> {
        s.parse()
    }
}

impl From<Slug> for String {
    fn from(slug: Slug) -> Self {
        slug.0
    }
}

impl fmt::Display for Slug {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_plain_slugs() {
        for ok in ["demo", "my-project", "x86-64", "a"] {
            assert_eq!(ok.parse::<Slug>().unwrap().as_str(), ok);
        }
    }

    #[test]
    fn refuses_what_would_break_a_url_or_subject() {
        let too_long = "a".repeat(65);
        for bad in [
            "",
            "-a",
            "a-",
            "a--b",
            "A",
            "a.b",
            "a*",
            "a>",
            "a b",
            "é",
            too_long.as_str(),
        ] {
            assert!(bad.parse::<Slug>().is_err(), "{bad:?} accepted");
        }
    }

    #[test]
    fn derives_slugs_from_names() {
        assert_eq!(
            Slug::from_name("My Project!").unwrap().as_str(),
            "my-project"
        );
        assert_eq!(
            Slug::from_name("  main / dev ").unwrap().as_str(),
            "main-dev"
        );
        assert!(Slug::from_name("!!!").is_none());
    }

    #[test]
    fn serde_refuses_invalid_slugs() {
        assert!(serde_json::from_str::<Slug>("\"Bad Slug\"").is_err());
        let slug: Slug = serde_json::from_str("\"ok-slug\"").unwrap();
        assert_eq!(serde_json::to_string(&slug).unwrap(), "\"ok-slug\"");
    }
}
