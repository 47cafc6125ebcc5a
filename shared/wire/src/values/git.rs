//! Git commit hashes.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::error::{ValidationError, truncate_for_message};

/// A full git object id: 40 (SHA-1) or 64 (SHA-256) hexadecimal digits, kept lowercase.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct GitHash(String);

impl GitHash {
    /// Validate `s` as a full commit hash (either case; stored lowercase).
    pub fn parse(s: &str) -> Result<Self, ValidationError> {
        let hex = s.bytes().all(|b| b.is_ascii_hexdigit());
        if hex && (s.len() == 40 || s.len() == 64) {
            Ok(Self(s.to_ascii_lowercase()))
        } else {
            Err(ValidationError::invalid(
                "hash",
                format!(
                    "{:?} is not a full git commit hash (40 or 64 hexadecimal digits)",
                    truncate_for_message(s)
                ),
            ))
        }
    }

    /// The hash as lowercase hex.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for GitHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

super::string_value!(GitHash);

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn refuses_short_and_non_hex_hashes() {
        for bad in [
            "",
            "abc1234",
            &"g".repeat(40),
            &"a".repeat(41),
            &"a".repeat(39),
        ] {
            let err = GitHash::parse(bad).unwrap_err().to_string();
            assert!(err.starts_with("invalid hash"), "{err}");
        }
    }

    proptest! {
        #[test]
        fn full_hashes_round_trip_lowercase(s in "([0-9a-fA-F]{40}|[0-9a-fA-F]{64})") {
            let hash = GitHash::parse(&s).unwrap();
            prop_assert_eq!(hash.as_str(), s.to_ascii_lowercase());
            let json = serde_json::to_string(&hash).unwrap();
            prop_assert_eq!(serde_json::from_str::<GitHash>(&json).unwrap(), hash);
        }
    }
}
