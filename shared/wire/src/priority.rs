//! Priority tiers, as Bencher has them: `unclaimed` (0) < `free` (100) < `plus` (200).

use std::fmt;

use serde::{Deserialize, Serialize};

/// Which tier a job runs in. The tier decides queue order, concurrency and the longest timeout.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Priority {
    /// A project nobody has claimed yet (anonymous runs).
    Unclaimed,
    /// A claimed project on the free plan.
    Free,
    /// A project on a paid plan.
    Plus,
}

impl Priority {
    /// Every tier, highest first: the order in which runners take work.
    pub const HIGHEST_FIRST: [Priority; 3] = [Priority::Plus, Priority::Free, Priority::Unclaimed];

    /// Bencher's numeric priority (stored in the database).
    pub fn value(self) -> i32 {
        match self {
            Priority::Unclaimed => 0,
            Priority::Free => 100,
            Priority::Plus => 200,
        }
    }

    /// The tier for a stored numeric priority; values between tiers round down.
    pub fn from_value(value: i32) -> Self {
        match value {
            v if v >= 200 => Priority::Plus,
            v if v >= 100 => Priority::Free,
            _ => Priority::Unclaimed,
        }
    }

    /// The name used in subjects and JSON.
    pub fn as_str(self) -> &'static str {
        match self {
            Priority::Unclaimed => "unclaimed",
            Priority::Free => "free",
            Priority::Plus => "plus",
        }
    }
}

impl fmt::Display for Priority {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_round_trip_and_order() {
        for p in Priority::HIGHEST_FIRST {
            assert_eq!(Priority::from_value(p.value()), p);
        }
        assert!(Priority::Plus > Priority::Free && Priority::Free > Priority::Unclaimed);
    }
}
