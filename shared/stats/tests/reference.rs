//! Proves every threshold test computes the same baseline and limits as an independent
//! scipy/numpy implementation (tests/reference/generate.py → cases.json), within 1e-9 relative,
//! including the cases where no limits can be computed.

use bencher_stats::{Boundary, Model, ThresholdTest, compute_boundary};
use serde::Deserialize;

#[derive(Deserialize)]
struct Doc {
    scipy: String,
    numpy: String,
    cases: Vec<Case>,
}

#[derive(Deserialize)]
struct Case {
    name: String,
    test: ThresholdTest,
    lower_boundary: Option<f64>,
    upper_boundary: Option<f64>,
    #[serde(default)]
    min_sample_size: Option<u32>,
    #[serde(default)]
    max_sample_size: Option<u32>,
    history: Vec<f64>,
    expected: Option<Boundary>,
}

const RELATIVE: f64 = 1e-9;

fn close(name: &str, what: &str, actual: Option<f64>, expected: Option<f64>) -> Result<(), String> {
    match (actual, expected) {
        (None, None) => Ok(()),
        (Some(a), Some(e)) if (a - e).abs() <= RELATIVE * e.abs().max(f64::MIN_POSITIVE) => Ok(()),
        (Some(a), Some(e)) if a == e => Ok(()),
        _ => Err(format!(
            "{name}: {what} is {actual:?}, scipy says {expected:?}"
        )),
    }
}

#[test]
fn boundaries_match_scipy_reference() {
    let text = include_str!("reference/cases.json");
    let doc: Doc = serde_json::from_str(text).expect("cases.json parses");
    assert!(
        doc.cases.len() > 300,
        "the table holds every test and edge case"
    );
    let mut failures = Vec::new();
    let mut with_limits = 0;
    for case in &doc.cases {
        let model = Model {
            min_sample_size: case.min_sample_size,
            max_sample_size: case.max_sample_size,
            ..Model::new(case.test, case.lower_boundary, case.upper_boundary)
        };
        model.validate().expect("reference models are valid");
        let actual = compute_boundary(&model, &case.history);
        match (actual, case.expected) {
            (None, None) => {}
            (Some(a), Some(e)) => {
                with_limits += 1;
                let checks = [
                    close(&case.name, "baseline", a.baseline, e.baseline),
                    close(&case.name, "lower_limit", a.lower_limit, e.lower_limit),
                    close(&case.name, "upper_limit", a.upper_limit, e.upper_limit),
                ];
                failures.extend(checks.into_iter().filter_map(Result::err));
            }
            (a, e) => failures.push(format!("{}: got {a:?}, scipy says {e:?}", case.name)),
        }
    }
    assert!(
        failures.is_empty(),
        "{} mismatches against scipy {} / numpy {}:\n{}",
        failures.len(),
        doc.scipy,
        doc.numpy,
        failures.join("\n")
    );
    assert!(
        with_limits > 250,
        "most cases compute limits ({with_limits})"
    );
}
