//! Validation errors for values that cross a process boundary.

/// Why a value was refused at the edge. Messages are meant for the user who sent the value.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ValidationError {
    /// Not a UUID.
    #[error("invalid {what} id {value:?}: expected a UUID")]
    Uuid {
        /// Which kind of id.
        what: &'static str,
        /// The offending text (truncated).
        value: String,
    },
    /// Not a slug.
    #[error(
        "invalid slug {value:?}: use 1 to {max} lowercase letters, digits and single hyphens, not starting or ending with a hyphen"
    )]
    Slug {
        /// The offending text (truncated).
        value: String,
        /// The maximum length.
        max: usize,
    },
    /// A NATS subject prefix with characters that would change the subject's meaning.
    #[error("invalid subject prefix {value:?}: use letters, digits, '-' and '_' only")]
    SubjectPrefix {
        /// The offending text (truncated).
        value: String,
    },
    /// A list with more items than allowed.
    #[error("invalid {what}: {len} items, at most {max} allowed")]
    TooMany {
        /// Which field.
        what: &'static str,
        /// How many items were sent.
        len: usize,
        /// The most allowed.
        max: usize,
    },
    /// A message whose `schema` tag is not the one this version speaks.
    #[error("unsupported schema {value:?}: expected {expected:?}")]
    Schema {
        /// The offending tag (truncated).
        value: String,
        /// The tag this crate speaks.
        expected: &'static str,
    },
    /// A value outside what is allowed, with the rule it broke.
    #[error("invalid {what}: {reason}")]
    Invalid {
        /// Which field or kind of value.
        what: &'static str,
        /// The rule it broke, for the user.
        reason: String,
    },
}

impl ValidationError {
    /// The field or kind of value at fault, when known.
    pub fn field(&self) -> Option<&'static str> {
        match self {
            Self::Uuid { what, .. } | Self::TooMany { what, .. } | Self::Invalid { what, .. } => {
                Some(what)
            }
            Self::Slug { .. } => Some("slug"),
            Self::SubjectPrefix { .. } => Some("prefix"),
            Self::Schema { .. } => Some("schema"),
        }
    }

    /// A value of `what` that broke `reason`.
    pub(crate) fn invalid(what: &'static str, reason: impl Into<String>) -> Self {
        Self::Invalid {
            what,
            reason: reason.into(),
        }
    }
}

/// Echo at most 64 characters of a bad value back to the user: enough to recognize it, too
/// little to turn an error message into an amplifier for hostile input.
pub(crate) fn truncate_for_message(s: &str) -> String {
    const MAX: usize = 64;
    match s.char_indices().nth(MAX) {
        Some((end, _)) => format!("{}…", &s[..end]),
        None => s.to_owned(),
    }
}
