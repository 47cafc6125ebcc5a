//! Threshold groups to `JsonNewRunThresholds`: the n-th value of every threshold flag belongs
//! to the n-th `--threshold-measure`; `_` leaves a field unset.

use bencher_wire::json::{JsonNewRunThresholds, JsonThresholdModel};

use crate::error::CliError;
use crate::parser::{OrUnset, ThresholdArgs};

/// The thresholds the flags describe; `None` when no threshold flag was given.
pub fn thresholds(args: &ThresholdArgs) -> Result<Option<JsonNewRunThresholds>, CliError> {
    let count = args.threshold_measure.len();
    if count == 0 {
        let stray = !args.threshold_test.is_empty()
            || !args.threshold_min_sample_size.is_empty()
            || !args.threshold_max_sample_size.is_empty()
            || !args.threshold_window.is_empty()
            || !args.threshold_lower_boundary.is_empty()
            || !args.threshold_upper_boundary.is_empty();
        if stray {
            return Err(CliError::Usage(
                "threshold flags need a --threshold-measure to apply to".to_owned(),
            ));
        }
        return Ok(args.thresholds_reset.then(|| JsonNewRunThresholds {
            models: Default::default(),
            reset: Some(true),
        }));
    }
    if args.threshold_test.len() != count {
        return Err(CliError::Usage(format!(
            "{count} --threshold-measure but {} --threshold-test: give one test per measure",
            args.threshold_test.len()
        )));
    }
    let min = column(
        "--threshold-min-sample-size",
        &args.threshold_min_sample_size,
        count,
    )?;
    let max = column(
        "--threshold-max-sample-size",
        &args.threshold_max_sample_size,
        count,
    )?;
    let window = column("--threshold-window", &args.threshold_window, count)?;
    let lower = column(
        "--threshold-lower-boundary",
        &args.threshold_lower_boundary,
        count,
    )?;
    let upper = column(
        "--threshold-upper-boundary",
        &args.threshold_upper_boundary,
        count,
    )?;
    let mut out = JsonNewRunThresholds {
        models: Default::default(),
        reset: args.thresholds_reset.then_some(true),
    };
    for (i, measure) in args.threshold_measure.iter().enumerate() {
        let model = JsonThresholdModel {
            test: args.threshold_test[i],
            min_sample_size: min[i],
            max_sample_size: max[i],
            window: window[i],
            lower_boundary: lower[i],
            upper_boundary: upper[i],
        };
        if out.models.insert(measure.clone(), model).is_some() {
            return Err(CliError::Usage(format!(
                "--threshold-measure {measure:?} is given twice"
            )));
        }
    }
    out.validate()?;
    Ok(Some(out))
}

/// One flag's values, one per group: absent means unset everywhere, else exactly `count`.
fn column<T: Copy>(
    flag: &str,
    values: &[OrUnset<T>],
    count: usize,
) -> Result<Vec<Option<T>>, CliError> {
    match values.len() {
        0 => Ok(vec![None; count]),
        n if n == count => Ok(values.iter().map(|v| v.0).collect()),
        n => Err(CliError::Usage(format!(
            "{count} --threshold-measure but {n} {flag}: give one per measure (`_` for none)"
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use bencher_wire::json::ThresholdTest;

    fn groups(measures: &[&str], tests: &[ThresholdTest]) -> ThresholdArgs {
        ThresholdArgs {
            threshold_measure: measures.iter().map(|m| (*m).to_owned()).collect(),
            threshold_test: tests.to_vec(),
            ..Default::default()
        }
    }

    #[test]
    fn groups_become_models_by_measure() {
        let mut args = groups(
            &["latency", "throughput"],
            &[ThresholdTest::TTest, ThresholdTest::Percentage],
        );
        args.threshold_upper_boundary = vec![OrUnset(Some(0.99)), OrUnset(None)];
        args.threshold_lower_boundary = vec![OrUnset(None), OrUnset(Some(0.1))];
        args.threshold_window = vec![OrUnset(Some(3600)), OrUnset(None)];
        let t = thresholds(&args).unwrap().unwrap();
        assert_eq!(t.reset, None);
        let latency = t.models["latency"];
        assert_eq!(latency.test, ThresholdTest::TTest);
        assert_eq!(
            (latency.lower_boundary, latency.upper_boundary),
            (None, Some(0.99))
        );
        assert_eq!(latency.window, Some(3600));
        assert_eq!(latency.min_sample_size, None);
        let throughput = t.models["throughput"];
        assert_eq!(
            (throughput.lower_boundary, throughput.upper_boundary),
            (Some(0.1), None)
        );
        assert_eq!(throughput.window, None);
    }

    #[test]
    fn mismatched_counts_and_bad_models_are_refused() {
        let mut args = groups(&["latency", "throughput"], &[ThresholdTest::TTest]);
        let err = thresholds(&args).unwrap_err().to_string();
        assert!(err.contains("--threshold-test"), "{err}");
        args.threshold_test.push(ThresholdTest::TTest);
        args.threshold_upper_boundary = vec![OrUnset(Some(0.9))];
        let err = thresholds(&args).unwrap_err().to_string();
        assert!(err.contains("1 --threshold-upper-boundary"), "{err}");
        // Both boundaries unset: the wire's own validation names the measure.
        args.threshold_upper_boundary = vec![OrUnset(Some(0.9)), OrUnset(None)];
        let err = thresholds(&args).unwrap_err().to_string();
        assert!(
            err.contains("throughput") && err.contains("lower or an upper"),
            "{err}"
        );
        // A t-test boundary outside [0.5, 1).
        args.threshold_upper_boundary = vec![OrUnset(Some(0.9)), OrUnset(Some(1.5))];
        assert!(thresholds(&args).is_err());
        let stray = ThresholdArgs {
            threshold_test: vec![ThresholdTest::Static],
            ..Default::default()
        };
        assert!(thresholds(&stray).is_err());
    }

    #[test]
    fn no_flags_mean_no_thresholds_and_reset_alone_is_kept() {
        assert_eq!(thresholds(&ThresholdArgs::default()).unwrap(), None);
        let reset = ThresholdArgs {
            thresholds_reset: true,
            ..Default::default()
        };
        let t = thresholds(&reset).unwrap().unwrap();
        assert!(t.models.is_empty());
        assert_eq!(t.reset, Some(true));
    }
}
