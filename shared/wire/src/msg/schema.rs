//! The `schema` tag every NATS message carries.

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::error::{ValidationError, truncate_for_message};

/// The `"schema": "bencher.v1"` tag. Deserializing any other value fails, so a consumer never
/// misreads a message of another version (`term` it and let the right consumer have it).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct SchemaV1;

impl SchemaV1 {
    /// The tag's text.
    pub const TAG: &'static str = "bencher.v1";
}

impl fmt::Display for SchemaV1 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(Self::TAG)
    }
}

impl Serialize for SchemaV1 {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(Self::TAG)
    }
}

impl<'de> Deserialize<'de> for SchemaV1 {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let value = String::deserialize(deserializer)?;
        if value == Self::TAG {
            Ok(SchemaV1)
        } else {
            Err(serde::de::Error::custom(ValidationError::Schema {
                value: truncate_for_message(&value),
                expected: Self::TAG,
            }))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_its_own_tag_is_accepted() {
        assert_eq!(serde_json::to_string(&SchemaV1).unwrap(), "\"bencher.v1\"");
        serde_json::from_str::<SchemaV1>("\"bencher.v1\"").unwrap();
        let err = serde_json::from_str::<SchemaV1>("\"bencher.v2\"").unwrap_err();
        assert!(err.to_string().contains("unsupported schema"), "{err}");
    }
}
