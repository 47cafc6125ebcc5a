//! The outbox: re-publishes creation events of rows committed but never announced (intake died,
//! or NATS was unreachable, between the commit and the PubAck). Runs at start and then every
//! [`IntakeOptions::outbox_interval`](crate::IntakeOptions), taking rows older than
//! `outbox_after`. The same `Nats-Msg-Id` makes a late duplicate harmless; several intake
//! replicas may run it at once.

use chrono::Utc;
use tracing::{info, warn};

use bencher_db::queries::intake::outbox::{unannounced_jobs, unannounced_reports};
use bencher_runtime::Shutdown;

use crate::announce::{announce_job, announce_report};
use crate::error::IntakeError;
use crate::state::IntakeState;

/// Rows handled per pass.
const BATCH: u64 = 100;

/// What one pass re-published.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct OutboxPass {
    /// `job.requested` events re-published (duplicates included).
    pub jobs: usize,
    /// `report.submitted` events re-published (duplicates included).
    pub reports: usize,
    /// Of those, how many the stream already had (dropped as duplicates).
    pub duplicates: usize,
}

/// One pass: announce every job and report older than `outbox_after` not yet announced.
pub async fn republish_once(state: &IntakeState) -> Result<OutboxPass, IntakeError> {
    let options = state.options();
    let before = Utc::now()
        - chrono::Duration::from_std(options.outbox_after).unwrap_or(chrono::Duration::zero());
    let deadline = options.publish_deadline;
    let mut pass = OutboxPass::default();
    for row in unannounced_jobs(state.db(), before, BATCH).await? {
        let published = announce_job(state, &row, deadline).await?;
        warn!(job = %row.job.uuid, duplicate = published.duplicate, "outbox re-published job.requested");
        pass.jobs += 1;
        pass.duplicates += usize::from(published.duplicate);
    }
    for row in unannounced_reports(state.db(), before, BATCH).await? {
        let published = announce_report(state, &row, deadline).await?;
        warn!(report = %row.report.uuid, duplicate = published.duplicate, "outbox re-published report.submitted");
        pass.reports += 1;
        pass.duplicates += usize::from(published.duplicate);
    }
    Ok(pass)
}

/// Run passes until `shutdown` trips. A failed pass is logged and retried at the next tick.
pub async fn run_outbox(state: IntakeState, shutdown: Shutdown) -> Result<(), IntakeError> {
    let mut tick = tokio::time::interval(state.options().outbox_interval);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = tick.tick() => {}
            () = shutdown.wait() => break,
        }
        match republish_once(&state).await {
            Ok(pass) if pass.jobs + pass.reports > 0 => {
                info!(
                    jobs = pass.jobs,
                    reports = pass.reports,
                    duplicates = pass.duplicates,
                    "outbox pass"
                );
            }
            Ok(_) => {}
            Err(err) => warn!(error = %err, "outbox pass failed, retrying later"),
        }
    }
    Ok(())
}
