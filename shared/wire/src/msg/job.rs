//! Job events: one message per transition, on `<p>.v1.evt.job.<job>.<event>`.

use std::net::IpAddr;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::output::{IterationResult, JobConfig};
use super::schema::SchemaV1;
use crate::ids::{JobUuid, OrganizationUuid, ProjectUuid, ReportUuid, RunnerUuid, TestbedUuid};
use crate::image::{ImageReference, PinnedImage};
use crate::json::{JsonRunSettings, JsonSpec};
use crate::nats::{JobEventKind, Subjects};
use crate::priority::Priority;
use crate::slug::Slug;
use crate::status::{Actor, CancelReason, FailureReason, FailureStage, JobStatus};
use crate::values::{ResourceId, Timeout};

/// One event of a job's timeline: `{"schema":"bencher.v1","job":...,"at":...,"event":"...",
/// ...fields of the event}`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct JobEventMessage {
    /// Always `bencher.v1`.
    pub schema: SchemaV1,
    /// The job.
    pub job: JobUuid,
    /// When the publisher observed the transition.
    pub at: DateTime<Utc>,
    /// The transition and its data.
    #[serde(flatten)]
    pub event: JobEvent,
}

impl JobEventMessage {
    /// An event of `job` observed now.
    pub fn new(job: JobUuid, event: JobEvent) -> Self {
        Self {
            schema: SchemaV1,
            job,
            at: Utc::now(),
            event,
        }
    }

    /// The kind of transition (the subject's last token).
    pub fn kind(&self) -> JobEventKind {
        self.event.kind()
    }

    /// The subject to publish on.
    pub fn subject(&self, subjects: &Subjects) -> String {
        subjects.job_event(self.job, self.kind())
    }

    /// The `Nats-Msg-Id`: `<job>:<event>`, with the attempt (and sequence or iteration) where
    /// one job legitimately has several events of a kind, so a re-dispatch is never dropped as
    /// a duplicate.
    pub fn msg_id(&self) -> String {
        let job = self.job;
        let kind = self.kind();
        match &self.event {
            JobEvent::Dispatched { attempt, .. } | JobEvent::Claimed { attempt, .. } => {
                format!("{job}:{kind}:{attempt}")
            }
            JobEvent::Running {
                attempt,
                iteration: Some(iteration),
                ..
            } => format!("{job}:{kind}:{attempt}:{iteration}"),
            JobEvent::Running { attempt, .. } => format!("{job}:{kind}:{attempt}"),
            JobEvent::Heartbeat { attempt, seq, .. } => format!("{job}:{kind}:{attempt}:{seq}"),
            _ => format!("{job}:{kind}"),
        }
    }
}

/// Every transition of a job, tagged `"event"`. Runner events carry the `attempt` they belong
/// to, so events of an abandoned attempt can be told apart from the current one.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum JobEvent {
    /// Intake accepted a run with a job (published by intake).
    Requested {
        /// The report the job produces results for.
        report: ReportUuid,
        /// The project.
        project: ProjectUuid,
        /// The organization that owns the project.
        organization: OrganizationUuid,
        /// The testbed (whose spec applies when the job names none).
        testbed: TestbedUuid,
        /// The tier intake derived from the organization's plan.
        priority: Priority,
        /// The client's address (concurrency of unclaimed projects is per address).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        source_ip: Option<IpAddr>,
        /// The image as the user named it.
        image: ImageReference,
        /// The spec the user asked for.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        spec: Option<ResourceId>,
        /// The timeout the user asked for (before the tier's cap).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        timeout: Option<Timeout>,
        /// Adapter, average and fold of the report.
        settings: JsonRunSettings,
        /// Overrides and options of the run.
        config: JobConfig,
    },
    /// The image, spec, tier and timeout are fixed (published by the resolver).
    Resolved {
        /// The image pinned by digest: all a runner will pull.
        image: PinnedImage,
        /// The registry as runners reach it (`host[:port]`); for the built-in registry, its
        /// configured address.
        registry: String,
        /// Whether that registry speaks plain HTTP (loopback and test setups).
        #[serde(default, skip_serializing_if = "std::ops::Not::not")]
        registry_plain_http: bool,
        /// The spec the job runs on.
        spec: JsonSpec,
        /// The tier.
        priority: Priority,
        /// The timeout after the tier's cap.
        timeout: Timeout,
    },
    /// A run command was queued on `dispatch.<spec>.<tier>` (published by the scheduler).
    Dispatched {
        /// The spec slug of the dispatch subject.
        spec: Slug,
        /// The tier of the dispatch subject.
        tier: Priority,
        /// 1 for the first dispatch, then one more per re-queue.
        attempt: u32,
    },
    /// A runner took the job (published by the runner).
    Claimed {
        /// The runner.
        runner: RunnerUuid,
        /// The attempt it took.
        attempt: u32,
    },
    /// The container started, or a next iteration did (published by the runner).
    Running {
        /// The runner.
        runner: RunnerUuid,
        /// The attempt.
        attempt: u32,
        /// The iteration that started (1-based), when the job runs several.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        iteration: Option<u32>,
    },
    /// The runner is alive and working on the job (published by the runner, every second).
    Heartbeat {
        /// The runner.
        runner: RunnerUuid,
        /// The attempt.
        attempt: u32,
        /// Counts up from 1 within the attempt.
        seq: u64,
    },
    /// Every iteration ran (published by the runner).
    Completed {
        /// The runner.
        runner: RunnerUuid,
        /// The attempt.
        attempt: u32,
        /// One result per iteration.
        results: Vec<IterationResult>,
    },
    /// The job failed (published by whoever saw it fail).
    Failed {
        /// Where it failed.
        stage: FailureStage,
        /// Why.
        reason: FailureReason,
        /// The runner, if one held the job.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        runner: Option<RunnerUuid>,
        /// The attempt, if the job was dispatched.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        attempt: Option<u32>,
        /// Results of the iterations that ran (e.g. the one that exited non-zero).
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        results: Vec<IterationResult>,
    },
    /// The job was stopped (published by the runner, or by the scheduler when no runner held
    /// it).
    Canceled {
        /// Why.
        reason: CancelReason,
        /// The runner that stopped it, if one held it.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        runner: Option<RunnerUuid>,
    },
    /// Someone asked to cancel the job (published by intake).
    CancelRequested {
        /// Who asked.
        by: Actor,
    },
    /// The results are stored (published by the result-processor).
    Processed {
        /// The report that holds them.
        report: ReportUuid,
        /// Metrics stored.
        metrics: u32,
        /// Alerts raised.
        alerts: u32,
    },
}

impl JobEvent {
    /// The kind of transition.
    pub fn kind(&self) -> JobEventKind {
        match self {
            Self::Requested { .. } => JobEventKind::Requested,
            Self::Resolved { .. } => JobEventKind::Resolved,
            Self::Dispatched { .. } => JobEventKind::Dispatched,
            Self::Claimed { .. } => JobEventKind::Claimed,
            Self::Running { .. } => JobEventKind::Running,
            Self::Heartbeat { .. } => JobEventKind::Heartbeat,
            Self::Completed { .. } => JobEventKind::Completed,
            Self::Failed { .. } => JobEventKind::Failed,
            Self::Canceled { .. } => JobEventKind::Canceled,
            Self::CancelRequested { .. } => JobEventKind::CancelRequested,
            Self::Processed { .. } => JobEventKind::Processed,
        }
    }

    /// The status this event moves the job to; `None` for events that move no status
    /// (heartbeat, cancel request) or only queue it (`dispatched` keeps `pending`).
    pub fn status(&self) -> Option<JobStatus> {
        match self {
            Self::Requested { .. } => Some(JobStatus::Requested),
            Self::Resolved { .. } => Some(JobStatus::Pending),
            Self::Claimed { .. } => Some(JobStatus::Claimed),
            Self::Running { .. } => Some(JobStatus::Running),
            Self::Completed { .. } => Some(JobStatus::Completed),
            Self::Failed { .. } => Some(JobStatus::Failed),
            Self::Canceled { .. } => Some(JobStatus::Canceled),
            Self::Processed { .. } => Some(JobStatus::Processed),
            Self::Dispatched { .. } | Self::Heartbeat { .. } | Self::CancelRequested { .. } => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::status::FailureReason;

    fn msg(event: JobEvent) -> JobEventMessage {
        let job: JobUuid = "0191c2a4-0000-7000-8000-000000000001".parse().unwrap();
        JobEventMessage::new(job, event)
    }

    #[test]
    fn msg_ids_separate_attempts_and_heartbeats() {
        let runner = RunnerUuid::new();
        let dispatched = |attempt| JobEvent::Dispatched {
            spec: "default".parse().unwrap(),
            tier: Priority::Free,
            attempt,
        };
        let a = msg(dispatched(1)).msg_id();
        assert_eq!(a, "0191c2a4-0000-7000-8000-000000000001:dispatched:1");
        assert_ne!(a, msg(dispatched(2)).msg_id());
        let beat = |attempt, seq| {
            msg(JobEvent::Heartbeat {
                runner,
                attempt,
                seq,
            })
            .msg_id()
        };
        assert_ne!(beat(1, 1), beat(1, 2));
        assert_ne!(beat(1, 1), beat(2, 1));
        let running = |iteration| {
            msg(JobEvent::Running {
                runner,
                attempt: 1,
                iteration,
            })
            .msg_id()
        };
        assert_ne!(running(Some(1)), running(Some(2)));
        let done = msg(JobEvent::Processed {
            report: ReportUuid::new(),
            metrics: 1,
            alerts: 0,
        });
        assert!(done.msg_id().ends_with(":processed"));
        assert_eq!(
            done.subject(&Subjects::default()),
            "bencher.v1.evt.job.0191c2a4-0000-7000-8000-000000000001.processed"
        );
    }

    #[test]
    fn event_statuses_follow_the_machine() {
        let runner = RunnerUuid::new();
        let happy = [
            JobEvent::Claimed { runner, attempt: 1 },
            JobEvent::Running {
                runner,
                attempt: 1,
                iteration: None,
            },
            JobEvent::Completed {
                runner,
                attempt: 1,
                results: Vec::new(),
            },
            JobEvent::Processed {
                report: ReportUuid::new(),
                metrics: 0,
                alerts: 0,
            },
        ];
        let mut status = JobStatus::Pending;
        for event in &happy {
            let next = event.status().unwrap();
            assert!(status.can_transition_to(next, None), "{status} -> {next}");
            status = next;
        }
        // A claimed handled after running is a move backwards: ignored.
        assert!(!JobStatus::Running.can_transition_to(happy[0].status().unwrap(), None));
        let lost = FailureReason::RunnerLost {
            runner,
            last_heartbeat: None,
        };
        assert!(JobStatus::Failed.can_transition_to(happy[2].status().unwrap(), Some(&lost)));
        for kind in JobEventKind::ALL {
            assert_eq!(serde_json::to_value(kind).unwrap(), kind.as_str());
        }
    }

    #[test]
    fn the_event_tag_and_envelope_fields_sit_side_by_side() {
        let m = msg(JobEvent::CancelRequested {
            by: Actor::System {
                service: "scheduler".to_owned(),
            },
        });
        let value = serde_json::to_value(&m).unwrap();
        assert_eq!(value["schema"], "bencher.v1");
        assert_eq!(value["event"], "cancel_requested");
        assert_eq!(value["by"]["kind"], "system");
        let back: JobEventMessage = serde_json::from_value(value).unwrap();
        assert_eq!(back, m);
    }
}
