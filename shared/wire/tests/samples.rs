//! Proves every checked-in JSON sample under `tests/samples/v1/` deserializes into its type and
//! serializes back to the same JSON, that every file is listed, and that every message type and
//! every job and report event kind has a sample.

use std::collections::BTreeSet;

use bencher_wire::nats::{JobEventKind, ReportEventKind, Subjects};
use bencher_wire::samples::{self, SampleKind};
use bencher_wire::{SAMPLES_DIR, msg};

#[test]
fn every_sample_round_trips() {
    for sample in samples::all() {
        let original = sample.value().unwrap();
        let again = sample
            .round_trip(sample.json.as_bytes())
            .unwrap_or_else(|e| panic!("{}: {e}", sample.stem));
        assert_eq!(again, original, "{} does not round-trip", sample.stem);
    }
}

#[test]
fn every_file_is_in_the_table_and_every_entry_has_a_file() {
    let files: BTreeSet<String> = std::fs::read_dir(SAMPLES_DIR)
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .map(|path| {
            assert_eq!(path.extension().unwrap(), "json", "{}", path.display());
            path.file_stem().unwrap().to_str().unwrap().to_owned()
        })
        .collect();
    let table: BTreeSet<String> = samples::all().iter().map(|s| s.stem.to_owned()).collect();
    assert_eq!(files, table);
    assert_eq!(table.len(), samples::all().len(), "a stem is listed twice");
}

#[test]
fn every_type_and_event_kind_has_a_sample() {
    let all = samples::all();
    for kind in SampleKind::ALL {
        assert!(all.iter().any(|s| s.kind == kind), "no sample of {kind:?}");
    }
    let mut job_kinds = BTreeSet::new();
    let mut report_kinds = BTreeSet::new();
    for sample in &all {
        match sample.kind {
            SampleKind::JobEvent => {
                let m: msg::JobEventMessage = serde_json::from_str(sample.json).unwrap();
                assert_eq!(
                    sample.stem,
                    format!("job_{}", m.kind()),
                    "stem names the event"
                );
                job_kinds.insert(m.kind().as_str());
            }
            SampleKind::ReportEvent => {
                let m: msg::ReportEventMessage = serde_json::from_str(sample.json).unwrap();
                assert_eq!(sample.stem, format!("report_{}", m.kind()));
                report_kinds.insert(m.kind().as_str());
            }
            _ => {}
        }
    }
    for kind in JobEventKind::ALL {
        assert!(job_kinds.contains(kind.as_str()), "no sample of job {kind}");
    }
    for kind in [ReportEventKind::Submitted, ReportEventKind::Processed] {
        assert!(
            report_kinds.contains(kind.as_str()),
            "no sample of report {kind}"
        );
    }
}

#[test]
fn nats_samples_have_subjects_under_the_prefix() {
    let subjects = Subjects::new("bench-test").unwrap();
    for sample in samples::all() {
        let subject = sample.subject(&subjects).unwrap();
        assert_eq!(subject.is_some(), sample.kind.is_nats(), "{}", sample.stem);
        if let Some(subject) = subject {
            assert!(subject.starts_with("bench-test.v1."), "{subject}");
            assert!(!subject.contains(['*', '>', ' ']), "{subject}");
        }
    }
    let ids: Vec<String> = samples::all()
        .iter()
        .filter_map(|s| s.msg_id().unwrap())
        .collect();
    let unique: BTreeSet<&String> = ids.iter().collect();
    assert_eq!(
        unique.len(),
        ids.len(),
        "two samples share a Nats-Msg-Id: {ids:?}"
    );
}

#[test]
fn another_schema_version_is_refused_by_every_message() {
    for sample in samples::all().into_iter().filter(|s| s.kind.is_nats()) {
        let mut value = sample.value().unwrap();
        value["schema"] = "bencher.v2".into();
        let bytes = serde_json::to_vec(&value).unwrap();
        let err = sample.round_trip(&bytes).unwrap_err().to_string();
        assert!(err.contains("unsupported schema"), "{}: {err}", sample.stem);
        value.as_object_mut().unwrap().remove("schema");
        let bytes = serde_json::to_vec(&value).unwrap();
        assert!(
            sample.round_trip(&bytes).is_err(),
            "{} without schema",
            sample.stem
        );
    }
}

#[test]
fn a_bad_value_inside_a_message_is_refused_naming_the_field() {
    let sample = samples::all()
        .into_iter()
        .find(|s| s.stem == "run_job")
        .unwrap();
    let mut value = sample.value().unwrap();
    value["image"] = "127.0.0.1:6610/my-project:v1".into();
    let err = sample
        .round_trip(&serde_json::to_vec(&value).unwrap())
        .unwrap_err();
    assert!(err.to_string().contains("invalid image"), "{err}");
}

#[test]
fn new_run_samples_pass_validation() {
    for sample in samples::all()
        .into_iter()
        .filter(|s| s.kind == SampleKind::JsonNewRun)
    {
        let run: bencher_wire::json::JsonNewRun = serde_json::from_str(sample.json).unwrap();
        run.validate()
            .unwrap_or_else(|e| panic!("{}: {e}", sample.stem));
    }
}

#[test]
fn threshold_samples_pass_validation() {
    for sample in samples::all() {
        let model = match sample.kind {
            SampleKind::JsonThresholdModel => serde_json::from_str(sample.json).unwrap(),
            SampleKind::JsonNewThreshold => {
                serde_json::from_str::<bencher_wire::json::JsonNewThreshold>(sample.json)
                    .unwrap()
                    .model
            }
            _ => continue,
        };
        model
            .validate()
            .unwrap_or_else(|e| panic!("{}: {e}", sample.stem));
    }
}
