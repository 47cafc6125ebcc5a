//! Content digests: `sha256:<64 hex>` (and `sha512:<128 hex>`), lowercase, as OCI requires.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::error::{ValidationError, truncate_for_message};

/// A content digest of a manifest, blob or output: `sha256:` followed by 64 lowercase hex
/// digits, or `sha512:` followed by 128. Other algorithms are refused.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Digest(String);

impl Digest {
    /// Validate `algorithm:hex`.
    pub fn parse(s: &str) -> Result<Self, ValidationError> {
        let expected_len = match s.split_once(':') {
            Some(("sha256", _)) => 64,
            Some(("sha512", _)) => 128,
            _ => {
                return Err(ValidationError::invalid(
                    "digest",
                    format!(
                        "{:?} does not start with sha256: or sha512:",
                        truncate_for_message(s)
                    ),
                ));
            }
        };
        let hex = s.split_once(':').map_or("", |(_, hex)| hex);
        let lower_hex = hex
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b));
        if hex.len() == expected_len && lower_hex {
            Ok(Self(s.to_owned()))
        } else {
            Err(ValidationError::invalid(
                "digest",
                format!(
                    "{:?} needs exactly {expected_len} lowercase hexadecimal digits",
                    truncate_for_message(s)
                ),
            ))
        }
    }

    /// A sha256 digest from its 32 raw bytes.
    pub fn sha256_from_bytes(bytes: [u8; 32]) -> Self {
        let mut text = String::with_capacity(71);
        text.push_str("sha256:");
        for b in bytes {
            text.push(char::from(HEX[usize::from(b >> 4)]));
            text.push(char::from(HEX[usize::from(b & 0xf)]));
        }
        Self(text)
    }

    /// The algorithm: `sha256` or `sha512`.
    pub fn algorithm(&self) -> &str {
        self.0.split_once(':').map_or("", |(a, _)| a)
    }

    /// The hex digits.
    pub fn hex(&self) -> &str {
        self.0.split_once(':').map_or("", |(_, h)| h)
    }

    /// The whole `algorithm:hex` text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

const HEX: &[u8; 16] = b"0123456789abcdef";

impl fmt::Display for Digest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

crate::values::string_value!(Digest);

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn refuses_other_algorithms_case_and_lengths() {
        let upper = format!("sha256:{}", "A".repeat(64));
        let short = format!("sha256:{}", "a".repeat(63));
        let md5 = format!("md5:{}", "a".repeat(32));
        for bad in ["", "sha256", "sha256:", &upper, &short, &md5] {
            let err = Digest::parse(bad).unwrap_err().to_string();
            assert!(err.starts_with("invalid digest"), "{err}");
        }
        let d = Digest::parse(&format!("sha512:{}", "0".repeat(128))).unwrap();
        assert_eq!(d.algorithm(), "sha512");
    }

    #[test]
    fn formats_raw_bytes() {
        let d = Digest::sha256_from_bytes([0xab; 32]);
        assert_eq!(d.hex(), "ab".repeat(32));
        assert_eq!(Digest::parse(d.as_str()).unwrap(), d);
    }

    proptest! {
        #[test]
        fn sha256_digests_round_trip(hex in "[0-9a-f]{64}") {
            let text = format!("sha256:{hex}");
            let d = Digest::parse(&text).unwrap();
            prop_assert_eq!(d.hex(), hex.as_str());
            let json = serde_json::to_string(&d).unwrap();
            prop_assert_eq!(serde_json::from_str::<Digest>(&json).unwrap(), d);
        }
    }
}
