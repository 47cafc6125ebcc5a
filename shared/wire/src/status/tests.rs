use super::*;
use crate::ids::RunnerUuid;

/// Every allowed (from, to) pair of the machine, apart from the failure allowance.
const ALLOWED: &[(&str, &str)] = &[
    ("requested", "pending"),
    ("requested", "failed"),
    ("requested", "canceled"),
    ("pending", "claimed"),
    ("pending", "running"),
    ("pending", "completed"),
    ("pending", "failed"),
    ("pending", "canceled"),
    ("claimed", "running"),
    ("claimed", "completed"),
    ("claimed", "failed"),
    ("claimed", "canceled"),
    ("running", "completed"),
    ("running", "failed"),
    ("running", "canceled"),
    ("completed", "processed"),
    ("completed", "failed"),
];

#[test]
fn transition_table_matches_the_design() {
    let other = FailureReason::ExitCode { exit_code: 1 };
    for from in JobStatus::ALL {
        for to in JobStatus::ALL {
            let expected = ALLOWED.contains(&(from.as_str(), to.as_str()));
            assert_eq!(
                from.can_transition_to(to, Some(&other)),
                expected,
                "{from} -> {to}"
            );
            assert_eq!(from.can_transition_to(to, None), expected, "{from} -> {to}");
        }
    }
}

#[test]
fn late_completed_replaces_only_a_lost_runner_failure() {
    let lost = FailureReason::RunnerLost {
        runner: RunnerUuid::new(),
        last_heartbeat: None,
    };
    assert!(JobStatus::Failed.can_transition_to(JobStatus::Completed, Some(&lost)));
    assert!(!JobStatus::Failed.can_transition_to(JobStatus::Running, Some(&lost)));
    assert!(!JobStatus::Failed.can_transition_to(JobStatus::Processed, Some(&lost)));
    assert!(!JobStatus::Canceled.can_transition_to(JobStatus::Completed, Some(&lost)));
    let parse = FailureReason::Parse {
        message: "bad json".to_owned(),
    };
    assert!(!JobStatus::Failed.can_transition_to(JobStatus::Completed, Some(&parse)));
}

#[test]
fn terminal_states_and_requeue() {
    let terminal: Vec<_> = JobStatus::ALL
        .into_iter()
        .filter(|s| s.is_terminal())
        .collect();
    assert_eq!(
        terminal,
        [JobStatus::Processed, JobStatus::Failed, JobStatus::Canceled]
    );
    let requeue: Vec<_> = JobStatus::ALL
        .into_iter()
        .filter(|s| s.can_requeue())
        .collect();
    assert_eq!(requeue, [JobStatus::Claimed, JobStatus::Running]);
}

#[test]
fn names_round_trip_through_serde_and_from_str() {
    for status in JobStatus::ALL {
        let json = serde_json::to_string(&status).unwrap();
        assert_eq!(json, format!("\"{status}\""));
        assert_eq!(status.as_str().parse::<JobStatus>().unwrap(), status);
    }
    let err = "done".parse::<JobStatus>().unwrap_err().to_string();
    assert!(err.starts_with("invalid status"), "{err}");
}

#[test]
fn failure_reasons_read_well() {
    let reason: FailureReason =
        serde_json::from_str(r#"{"kind":"exit_code","exit_code":137}"#).unwrap();
    assert_eq!(reason.message(), "the benchmark exited with code 137");
    let cancel: CancelReason = serde_json::from_str(r#"{"kind":"timeout","timeout":60}"#).unwrap();
    assert_eq!(cancel.to_string(), "timed out after 60 s");
}
