//! The scheduler's policy: what `config.scheduler` sets, plus timings tests may shorten.

use std::time::Duration;

use bencher_runtime::config::{SchedulerConfig, TierConcurrency};
use bencher_wire::Priority;
use bencher_wire::msg::OutputLimits;

/// Timings and limits of one scheduler instance.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SchedulerOptions {
    /// No heartbeat for this long: the runner lost the job (`failed`, `runner_lost`).
    pub heartbeat_timeout: Duration,
    /// Extra time after a job's timeout before it is canceled hard.
    pub grace: Duration,
    /// Jobs at once per tier (per source IP for `unclaimed`, per organization otherwise);
    /// 0 = unlimited.
    pub concurrency: TierConcurrency,
    /// How often the sweep runs.
    pub sweep_interval: Duration,
    /// How long a runner has to confirm a timeout cancel before the job is canceled anyway.
    pub cancel_confirm: Duration,
    /// At most one heartbeat write per job per this long (per replica).
    pub heartbeat_write_interval: Duration,
    /// How often runners send heartbeats (told in the run command).
    pub heartbeat_interval: Duration,
    /// A dispatched job nobody claimed for this long is logged as waiting for a runner.
    pub unclaimed_warning: Duration,
    /// A run command or outbox event still unacknowledged after this long is published again.
    pub republish_after: Duration,
    /// Output caps sent to runners.
    pub output_limits: OutputLimits,
    /// Events handled at once by this instance.
    pub handler_concurrency: usize,
}

impl SchedulerOptions {
    /// The policy of `config`, with default timings for the rest.
    pub fn from_config(config: &SchedulerConfig) -> Self {
        let heartbeat_timeout = Duration::from_secs(config.heartbeat_timeout_secs.max(1));
        Self {
            heartbeat_timeout,
            grace: Duration::from_secs(config.grace_secs),
            concurrency: config.concurrency.clone(),
            sweep_interval: Duration::from_secs(1),
            cancel_confirm: Duration::from_secs(5),
            heartbeat_write_interval: (heartbeat_timeout / 4)
                .clamp(Duration::from_millis(250), Duration::from_secs(5)),
            heartbeat_interval: Duration::from_secs(1),
            unclaimed_warning: Duration::from_secs(60),
            republish_after: Duration::from_secs(2),
            output_limits: OutputLimits::default(),
            handler_concurrency: 16,
        }
    }

    /// Jobs allowed at once for `tier`; `None` when unlimited.
    pub fn limit(&self, tier: Priority) -> Option<u32> {
        let limit = match tier {
            Priority::Unclaimed => self.concurrency.unclaimed,
            Priority::Free => self.concurrency.free,
            Priority::Plus => self.concurrency.plus,
        };
        (limit > 0).then_some(limit)
    }
}

impl Default for SchedulerOptions {
    fn default() -> Self {
        Self::from_config(&SchedulerConfig::default())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limits_follow_the_tiers() {
        let options = SchedulerOptions::default();
        assert_eq!(options.limit(Priority::Unclaimed), Some(1));
        assert_eq!(options.limit(Priority::Free), Some(1));
        assert_eq!(options.limit(Priority::Plus), None);
        assert_eq!(options.heartbeat_timeout, Duration::from_secs(10));
        assert_eq!(
            options.heartbeat_write_interval,
            Duration::from_millis(2500)
        );
    }
}
