//! Validated values: refused at the edge with a message naming the field, never deep inside a
//! service. Every type parses with `FromStr`/`TryFrom` and deserializes through the same checks.

mod git;
mod lists;
mod name;
mod number;

pub use git::GitHash;
pub use lists::{Cmd, Entrypoint, EnvVar, EnvVars, FilePath, FilePaths};
pub use name::{NameId, ResourceId, ResourceName};
pub use number::{Iterations, Timeout};

/// Implements `FromStr` (through `$name::parse`), `TryFrom<String>`, `From<$name> for String`,
/// and `Display`-based serialization for a string newtype whose constructor validates.
macro_rules! string_value {
    ($name:ident) => {
        impl std::str::FromStr for $name {
            type Err = $crate::error::ValidationError;

            fn from_str(s: &str) -> Result<Self, Self::Err> {
                Self::parse(s)
            }
        }

        impl TryFrom<String> for $name {
            type Error = $crate::error::ValidationError;

            fn try_from(s: String) -> Result<Self, Self::Error> {
                Self::parse(&s)
            }
        }

        impl From<$name> for String {
            fn from(value: $name) -> Self {
                value.to_string()
            }
        }
    };
}
pub(crate) use string_value;
