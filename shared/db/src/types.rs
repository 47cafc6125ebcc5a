//! Enumerations stored as lowercase text, converted at the database boundary.
//!
//! The job status is `bencher-wire`'s [`JobStatus`] (its `as_str()` is the stored text); the
//! others are database-only.

use std::fmt;
use std::str::FromStr;

pub use bencher_wire::status::JobStatus;

use crate::error::DbError;

macro_rules! text_enum {
    ($(#[$doc:meta])* $name:ident, $what:literal, { $($(#[$vdoc:meta])* $variant:ident => $text:literal),+ $(,)? }) => {
        $(#[$doc])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        pub enum $name {
            $($(#[$vdoc])* $variant),+
        }

        impl $name {
            /// Every value, in declaration order.
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            /// The stored text.
            pub fn as_str(self) -> &'static str {
                match self {
                    $($name::$variant => $text),+
                }
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl FromStr for $name {
            type Err = DbError;

            fn from_str(s: &str) -> Result<Self, Self::Err> {
                match s {
                    $($text => Ok($name::$variant),)+
                    other => Err(DbError::UnknownValue { what: $what, value: other.to_owned() }),
                }
            }
        }
    };
}

/// Parse a stored job status.
pub fn parse_job_status(text: &str) -> Result<JobStatus, DbError> {
    text.parse().map_err(|_| DbError::UnknownValue {
        what: "job status",
        value: text.to_owned(),
    })
}

text_enum!(
    /// Who may see a project.
    Visibility, "visibility", {
        /// Anyone.
        Public => "public",
        /// Members only.
        Private => "private",
    }
);

text_enum!(
    /// The state of an alert.
    AlertStatus, "alert status", {
        /// Raised and not acted on.
        Active => "active",
        /// A user dismissed it.
        Dismissed => "dismissed",
        /// Silenced (e.g. the threshold changed).
        Silenced => "silenced",
    }
);

text_enum!(
    /// Which limit of a boundary a metric crossed.
    BoundaryLimit, "boundary limit", {
        /// Below the lower limit.
        Lower => "lower",
        /// Above the upper limit.
        Upper => "upper",
    }
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_round_trips() {
        for s in JobStatus::ALL {
            assert_eq!(parse_job_status(s.as_str()).unwrap(), s);
        }
        assert!(matches!(
            parse_job_status("done"),
            Err(DbError::UnknownValue { .. })
        ));
        for v in Visibility::ALL {
            assert_eq!(v.as_str().parse::<Visibility>().unwrap(), *v);
        }
        assert!("secret".parse::<AlertStatus>().is_err());
    }
}
