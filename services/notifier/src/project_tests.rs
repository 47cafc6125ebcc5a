use chrono::{Duration, Utc};

use super::*;
use bencher_wire::ids::{JobUuid, RunnerUuid};
use bencher_wire::status::{Actor, CancelReason, FailureStage};

struct Timeline {
    job: JobUuid,
    report: ReportUuid,
    runner: RunnerUuid,
}

impl Timeline {
    fn new() -> Self {
        Self {
            job: JobUuid::new(),
            report: ReportUuid::new(),
            runner: RunnerUuid::new(),
        }
    }

    fn msg(&self, event: JobEvent) -> JobEventMessage {
        JobEventMessage::new(self.job, event)
    }

    fn claimed(&self, attempt: u32) -> JobEventMessage {
        self.msg(JobEvent::Claimed {
            runner: self.runner,
            attempt,
        })
    }

    fn running(&self, attempt: u32, iteration: Option<u32>) -> JobEventMessage {
        self.msg(JobEvent::Running {
            runner: self.runner,
            attempt,
            iteration,
        })
    }

    fn completed(&self, exit_code: i32) -> JobEventMessage {
        self.msg(JobEvent::Completed {
            runner: self.runner,
            attempt: 1,
            results: vec![IterationResult {
                exit_code,
                ..IterationResult::default()
            }],
        })
    }

    fn failed(&self, reason: FailureReason) -> JobEventMessage {
        self.msg(JobEvent::Failed {
            stage: FailureStage::Run,
            reason,
            runner: Some(self.runner),
            attempt: Some(1),
            results: Vec::new(),
        })
    }

    fn dispatched(&self, attempt: u32) -> JobEventMessage {
        self.msg(JobEvent::Dispatched {
            spec: "default".parse().unwrap(),
            tier: bencher_wire::Priority::Free,
            attempt,
        })
    }

    /// Applies `(sequence, event)` pairs in the given order, returning the final snapshot.
    fn project(&self, events: &[(u64, JobEventMessage)]) -> JobStatusSnapshot {
        let mut snapshot: Option<JobStatusSnapshot> = None;
        for (sequence, event) in events {
            if let Some(next) = apply(snapshot.as_ref(), event, *sequence, self.report) {
                if let Some(before) = &snapshot {
                    assert!(next.sequence > before.sequence);
                }
                snapshot = Some(next);
            }
        }
        snapshot.unwrap()
    }
}

#[test]
fn out_of_order_and_repeated_events_end_at_the_last_status() {
    let t = Timeline::new();
    let processed = t.msg(JobEvent::Processed {
        report: t.report,
        metrics: 3,
        alerts: 0,
    });
    let in_order = [
        (5, t.dispatched(1)),
        (6, t.claimed(1)),
        (7, t.running(1, None)),
        (9, t.completed(0)),
        (11, processed),
    ];
    let forward = t.project(&in_order);
    let mut shuffled = in_order.to_vec();
    shuffled.reverse();
    shuffled.extend(in_order.iter().cloned());
    let backward = t.project(&shuffled);
    for s in [&forward, &backward] {
        assert_eq!(s.status, JobStatus::Processed);
        assert_eq!(s.sequence, 11);
        assert_eq!(s.report, t.report);
    }
    assert_eq!(forward.exit_code, Some(0));
    assert_eq!(forward.runner, Some(t.runner));
    // Backwards, only the last event applied: nothing earlier is invented.
    assert_eq!(backward.exit_code, None);
}

#[test]
fn a_late_event_with_a_higher_sequence_never_moves_the_status_back() {
    let t = Timeline::new();
    let s = t.project(&[(7, t.running(1, None)), (8, t.claimed(1))]);
    assert_eq!((s.status, s.sequence), (JobStatus::Running, 7));
    let canceled = t.msg(JobEvent::Canceled {
        reason: CancelReason::Requested {
            by: Actor::System {
                service: "test".into(),
            },
        },
        runner: None,
    });
    let s = t.project(&[(7, canceled), (9, t.completed(0)), (10, t.running(1, None))]);
    assert_eq!((s.status, s.sequence), (JobStatus::Canceled, 7));
    assert_eq!(s.runner, None);
    assert!(s.reason().unwrap().contains("canceled by the test service"));
}

#[test]
fn a_late_completed_replaces_only_a_lost_runner() {
    let t = Timeline::new();
    let lost = FailureReason::RunnerLost {
        runner: t.runner,
        last_heartbeat: Some(Utc::now() - Duration::seconds(20)),
    };
    let s = t.project(&[
        (7, t.running(1, None)),
        (8, t.failed(lost)),
        (9, t.completed(0)),
    ]);
    assert_eq!((s.status, s.failure.clone()), (JobStatus::Completed, None));
    let exit = FailureReason::ExitCode { exit_code: 3 };
    let s = t.project(&[(8, t.failed(exit)), (9, t.completed(0))]);
    assert_eq!((s.status, s.exit_code), (JobStatus::Failed, Some(3)));
    assert_eq!(s.reason().unwrap(), "the benchmark exited with code 3");
}

#[test]
fn iterations_and_requeues_update_the_snapshot() {
    let t = Timeline::new();
    let s = t.project(&[
        (1, t.dispatched(1)),
        (2, t.running(1, Some(1))),
        (3, t.running(1, Some(2))),
    ]);
    assert_eq!(
        (s.status, s.iteration, s.sequence),
        (JobStatus::Running, Some(2), 3)
    );
    // The runner was lost; the scheduler dispatched attempt 2; attempt 1's events are stale.
    let s = t.project(&[
        (2, t.running(1, Some(1))),
        (4, t.dispatched(2)),
        (5, t.claimed(1)),
        (6, t.completed(0)),
    ]);
    assert_eq!(
        (s.status, s.attempt, s.runner),
        (JobStatus::Pending, 2, None)
    );
    assert_eq!(s.sequence, 4);
    // Heartbeats and cancel requests change nothing.
    let beat = t.msg(JobEvent::Heartbeat {
        runner: t.runner,
        attempt: 2,
        seq: 1,
    });
    let current = t.project(&[(4, t.dispatched(2))]);
    assert_eq!(apply(Some(&current), &beat, 9, t.report), None);
}

#[test]
fn statuses_skip_forward_when_events_are_handled_out_of_order() {
    let t = Timeline::new();
    let events = [
        (
            1,
            t.msg(JobEvent::CancelRequested {
                by: Actor::System {
                    service: "x".into(),
                },
            }),
        ),
        (3, t.running(1, None)),
        (
            9,
            t.msg(JobEvent::Processed {
                report: t.report,
                metrics: 1,
                alerts: 0,
            }),
        ),
        (8, t.completed(0)),
    ];
    let s = t.project(&events);
    assert_eq!((s.status, s.sequence), (JobStatus::Processed, 9));
    // Skipping never leaves a terminal state.
    let canceled = t.msg(JobEvent::Canceled {
        reason: CancelReason::Timeout {
            timeout: bencher_wire::values::Timeout::new(60).unwrap(),
        },
        runner: None,
    });
    let s = t.project(&[(4, canceled), (9, t.completed(0))]);
    assert_eq!(s.status, JobStatus::Canceled);
}
