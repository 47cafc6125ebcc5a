//! Bounded numbers: job timeout and iteration count.

use std::fmt;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::error::ValidationError;

macro_rules! bounded_u32 {
    ($(#[$doc:meta])* $name:ident, $what:literal, $min:expr, $max:expr) => {
        $(#[$doc])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
        #[serde(try_from = "u64", into = "u32")]
        pub struct $name(u32);

        impl $name {
            /// The smallest value accepted.
            pub const MIN: u32 = $min;
            /// The largest value accepted.
            pub const MAX: u32 = $max;

            /// Validate `value`.
            pub fn new(value: u64) -> Result<Self, ValidationError> {
                match u32::try_from(value) {
                    Ok(v) if (Self::MIN..=Self::MAX).contains(&v) => Ok(Self(v)),
                    _ => Err(ValidationError::invalid(
                        $what,
                        format!("{value} is outside {}..={}", Self::MIN, Self::MAX),
                    )),
                }
            }

            /// The value.
            pub fn get(self) -> u32 {
                self.0
            }
        }

        impl TryFrom<u64> for $name {
            type Error = ValidationError;

            fn try_from(value: u64) -> Result<Self, Self::Error> {
                Self::new(value)
            }
        }

        impl From<$name> for u32 {
            fn from(value: $name) -> Self {
                value.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                fmt::Display::fmt(&self.0, f)
            }
        }

        impl std::str::FromStr for $name {
            type Err = ValidationError;

            fn from_str(s: &str) -> Result<Self, Self::Err> {
                let value = s.trim().parse::<u64>().map_err(|_| {
                    ValidationError::invalid($what, format!("{:?} is not a whole number", crate::error::truncate_for_message(s)))
                })?;
                Self::new(value)
            }
        }
    };
}

bounded_u32!(
    /// A job's timeout in whole seconds, 1 to 86 400 (one day). Serialized as a number.
    /// Tiers clamp it further (unclaimed 60 s, free 300 s) at resolution.
    Timeout,
    "timeout",
    1,
    86_400
);

bounded_u32!(
    /// How many times a job runs its benchmark (`--iter`), 1 to 256.
    Iterations,
    "iter",
    1,
    256
);

impl Timeout {
    /// The timeout as a duration.
    pub fn as_duration(self) -> Duration {
        Duration::from_secs(u64::from(self.0))
    }

    /// The smaller of `self` and `max`: how a tier caps what a user asked for.
    pub fn clamp_to(self, max: Timeout) -> Timeout {
        self.min(max)
    }
}

impl Default for Iterations {
    fn default() -> Self {
        Self(1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn refuses_out_of_range_naming_the_field() {
        for bad in ["0", "86401", "-1", "1.5", "ten"] {
            let err = bad.parse::<Timeout>().unwrap_err().to_string();
            assert!(err.starts_with("invalid timeout"), "{err}");
        }
        let err = serde_json::from_str::<Iterations>("0")
            .unwrap_err()
            .to_string();
        assert!(err.contains("invalid iter"), "{err}");
        assert!(serde_json::from_str::<Timeout>("4294967296").is_err());
        assert!(serde_json::from_str::<Timeout>("-5").is_err());
    }

    #[test]
    fn clamps_and_converts() {
        let t = Timeout::new(3600).unwrap();
        assert_eq!(t.clamp_to(Timeout::new(60).unwrap()).get(), 60);
        assert_eq!(t.as_duration(), Duration::from_secs(3600));
    }

    proptest! {
        #[test]
        fn every_value_in_range_round_trips(v in 1u64..=86_400) {
            let t = Timeout::new(v).unwrap();
            prop_assert_eq!(serde_json::to_string(&t).unwrap(), v.to_string());
            prop_assert_eq!(serde_json::from_str::<Timeout>(&v.to_string()).unwrap(), t);
        }

        #[test]
        fn every_value_out_of_range_is_refused(v in 86_401u64..) {
            prop_assert!(Timeout::new(v).is_err());
        }
    }
}
