//! Bencher's documented examples, edge cases of every test and the alert rules.

use super::*;

fn model(test: ThresholdTest, lower: Option<f64>, upper: Option<f64>) -> Model {
    Model::new(test, lower, upper)
}

fn round2(x: Option<f64>) -> Option<f64> {
    x.map(|x| (x * 100.0).round() / 100.0)
}

/// 12 × 90, 12 × 110 and one 100: n = 25, μ = 100, σ (n − 1) = 10.
fn mu100_sigma10_n25() -> Vec<f64> {
    let mut history = vec![90.0; 12];
    history.extend([110.0; 12]);
    history.push(100.0);
    history
}

#[test]
fn documented_z_score_example() {
    let history = mu100_sigma10_n25();
    let b = compute_boundary(
        &model(ThresholdTest::ZScore, Some(0.977), Some(0.977)),
        &history,
    );
    let b = b.expect("limits");
    assert_eq!(round2(b.baseline), Some(100.0));
    assert_eq!(round2(b.lower_limit), Some(80.05));
    assert_eq!(round2(b.upper_limit), Some(119.95));
}

#[test]
fn documented_t_test_example() {
    let history = mu100_sigma10_n25();
    let b = compute_boundary(
        &model(ThresholdTest::TTest, Some(0.977), Some(0.977)),
        &history,
    );
    let b = b.expect("limits");
    assert_eq!(round2(b.lower_limit), Some(78.54));
    assert_eq!(round2(b.upper_limit), Some(121.46));
}

#[test]
fn documented_iqr_example() {
    let history = [110.0, 90.0, 100.0, 105.0, 95.0];
    let b = compute_boundary(&model(ThresholdTest::Iqr, Some(2.0), Some(2.0)), &history);
    let b = b.expect("limits");
    assert_eq!(b.baseline, Some(100.0));
    assert_eq!(round2(b.lower_limit), Some(80.0));
    assert_eq!(round2(b.upper_limit), Some(120.0));
}

#[test]
fn documented_delta_iqr_example() {
    // Changes 0 and 0.4 → ΔIQR 0.2; median 100.
    let history = [100.0, 100.0, 140.0];
    let b = compute_boundary(
        &model(ThresholdTest::DeltaIqr, Some(2.0), Some(2.0)),
        &history,
    );
    let b = b.expect("limits");
    assert_eq!(b.baseline, Some(100.0));
    assert_eq!(round2(b.lower_limit), Some(60.0));
    assert_eq!(round2(b.upper_limit), Some(140.0));
}

#[test]
fn static_limits_are_the_boundaries_without_history() {
    let m = model(ThresholdTest::Static, Some(-5.0), Some(5.0));
    let expected = Boundary {
        baseline: None,
        lower_limit: Some(-5.0),
        upper_limit: Some(5.0),
    };
    assert_eq!(compute_boundary(&m, &[]), Some(expected));
    assert_eq!(compute_boundary(&m, &[1e9, -3.0]), Some(expected));
}

#[test]
fn percentage_is_mean_plus_minus_a_fraction() {
    let m = model(ThresholdTest::Percentage, Some(0.1), Some(0.25));
    let b = compute_boundary(&m, &[90.0, 110.0]).expect("limits");
    assert_eq!(b.baseline, Some(100.0));
    assert_eq!(b.lower_limit, Some(90.0));
    assert_eq!(b.upper_limit, Some(125.0));
    // One sample is enough: no standard deviation needed.
    assert_eq!(
        compute_boundary(&m, &[10.0]).and_then(|b| b.baseline),
        Some(10.0)
    );
}

#[test]
fn only_the_sides_with_a_boundary_get_a_limit() {
    let history = mu100_sigma10_n25();
    for test in ThresholdTest::ALL {
        let upper = if test.is_distribution() { 0.9 } else { 1.0 };
        let b = compute_boundary(&model(test, None, Some(upper)), &history).expect("limits");
        assert_eq!(b.lower_limit, None, "{test}");
        assert!(b.upper_limit.is_some(), "{test}");
        let b = compute_boundary(&model(test, Some(upper), None), &history).expect("limits");
        assert_eq!(b.upper_limit, None, "{test}");
        assert!(b.lower_limit.is_some(), "{test}");
    }
}

#[test]
fn no_limits_without_enough_history() {
    for test in ThresholdTest::ALL
        .into_iter()
        .filter(|t| *t != ThresholdTest::Static)
    {
        let b = if test.is_distribution() { 0.95 } else { 1.0 };
        let m = model(test, Some(b), Some(b));
        assert_eq!(compute_boundary(&m, &[]), None, "{test} with n = 0");
        let sized = Model {
            min_sample_size: Some(3),
            ..m
        };
        assert_eq!(
            compute_boundary(&sized, &[1.0, 2.0]),
            None,
            "{test} with n < min"
        );
        assert!(
            compute_boundary(&sized, &[1.0, 2.0, 4.0]).is_some(),
            "{test} with n = min"
        );
    }
}

#[test]
fn tests_needing_a_deviation_refuse_one_sample_and_zero_variance() {
    for test in [
        ThresholdTest::ZScore,
        ThresholdTest::TTest,
        ThresholdTest::LogNormal,
    ] {
        let m = model(test, Some(0.95), Some(0.95));
        assert_eq!(compute_boundary(&m, &[5.0]), None, "{test} n = 1");
        assert_eq!(
            compute_boundary(&m, &[5.0, 5.0, 5.0]),
            None,
            "{test} zero variance"
        );
        assert!(compute_boundary(&m, &[5.0, 6.0]).is_some(), "{test} n = 2");
    }
}

#[test]
fn log_normal_refuses_values_without_a_logarithm() {
    let m = model(ThresholdTest::LogNormal, Some(0.95), Some(0.95));
    assert_eq!(compute_boundary(&m, &[1.0, 0.0, 2.0]), None);
    assert_eq!(compute_boundary(&m, &[1.0, -1.0, 2.0]), None);
}

#[test]
fn delta_iqr_needs_two_samples_and_no_change_from_zero() {
    let m = model(ThresholdTest::DeltaIqr, Some(1.0), Some(1.0));
    assert_eq!(compute_boundary(&m, &[5.0]), None);
    assert_eq!(compute_boundary(&m, &[0.0, 5.0, 6.0]), None);
    // n = 2: one change, so ΔIQR is 0 and both limits sit on the median.
    let b = compute_boundary(&m, &[4.0, 6.0]).expect("limits");
    assert_eq!((b.lower_limit, b.upper_limit), (Some(5.0), Some(5.0)));
}

#[test]
fn max_sample_size_keeps_the_newest_samples() {
    let m = Model {
        max_sample_size: Some(2),
        ..model(ThresholdTest::Percentage, None, Some(0.0))
    };
    let b = compute_boundary(&m, &[10.0, 20.0, 1000.0]).expect("limits");
    assert_eq!(b.baseline, Some(15.0));
}

#[test]
fn non_finite_history_and_invalid_models_give_no_limits() {
    let m = model(ThresholdTest::Iqr, Some(1.0), Some(1.0));
    assert_eq!(compute_boundary(&m, &[1.0, f64::NAN, 3.0]), None);
    assert_eq!(compute_boundary(&m, &[1.0, f64::INFINITY]), None);
    let invalid = model(ThresholdTest::ZScore, Some(1.0), None);
    assert!(matches!(
        try_compute_boundary(&invalid, &[1.0, 2.0]),
        Err(StatsError::NotAProbability {
            field: "lower_boundary",
            ..
        })
    ));
    assert_eq!(compute_boundary(&invalid, &[1.0, 2.0]), None);
}

#[test]
fn alerts_only_strictly_outside_a_limit() {
    let b = Boundary {
        baseline: Some(100.0),
        lower_limit: Some(90.0),
        upper_limit: Some(110.0),
    };
    assert_eq!(check(&b, 89.999), Some(Limit::Lower));
    assert_eq!(check(&b, 90.0), None);
    assert_eq!(check(&b, 100.0), None);
    assert_eq!(check(&b, 110.0), None);
    assert_eq!(check(&b, 110.001), Some(Limit::Upper));
    assert_eq!(check(&b, f64::NAN), None);
    let upper_only = Boundary {
        lower_limit: None,
        ..b
    };
    assert_eq!(check(&upper_only, -1e300), None);
    assert_eq!(check(&upper_only, 1e300), Some(Limit::Upper));
}

#[test]
fn ignored_benchmarks_get_boundaries_but_no_alerts() {
    let b = Boundary {
        baseline: None,
        lower_limit: Some(1.0),
        upper_limit: Some(2.0),
    };
    assert!(is_ignored("parse_json_bencher_ignore"));
    assert!(!is_ignored("parse_json_bencher_ignore_not"));
    assert_eq!(alert("parse_json_bencher_ignore", &b, 3.0), None);
    assert_eq!(alert("parse_json", &b, 3.0), Some(Limit::Upper));
    assert_eq!(alert("parse_json", &b, 0.0), Some(Limit::Lower));
}

#[test]
fn wire_names_match_bencher() {
    let names: Vec<String> = ThresholdTest::ALL
        .iter()
        .map(|t| serde_json::to_string(t).expect("serialize"))
        .collect();
    let expected = [
        "static",
        "percentage",
        "z_score",
        "t_test",
        "log_normal",
        "iqr",
        "delta_iqr",
    ];
    assert_eq!(names, expected.map(|n| format!("\"{n}\"")));
    let limit = serde_json::to_string(&Limit::Upper).expect("serialize");
    assert_eq!(limit, "\"upper\"");
    let json = r#"{"test":"t_test","min_sample_size":5,"upper_boundary":0.99}"#;
    let m: Model = serde_json::from_str(json).expect("deserialize");
    assert_eq!(
        m,
        Model {
            min_sample_size: Some(5),
            ..model(ThresholdTest::TTest, None, Some(0.99))
        }
    );
    assert_eq!(serde_json::to_string(&m).expect("serialize"), json);
}
