//! Property tests: limits are ordered around the baseline, static ignores history, scaling the
//! data by k > 0 scales every limit by k, and no finite input panics.

use bencher_stats::{Boundary, Model, ThresholdTest, check, compute_boundary};
use proptest::prelude::*;

fn any_test() -> impl Strategy<Value = ThresholdTest> {
    prop::sample::select(ThresholdTest::ALL.to_vec())
}

/// A valid model for `test`, with a random side set (or both).
fn valid_model(test: ThresholdTest) -> BoxedStrategy<Model> {
    let boundary: BoxedStrategy<f64> = match test {
        ThresholdTest::Static => (-1e6..1e6f64).boxed(),
        ThresholdTest::ZScore | ThresholdTest::TTest | ThresholdTest::LogNormal => {
            (0.5..0.9999f64).boxed()
        }
        _ => (0.0..10.0f64).boxed(),
    };
    (boundary.clone(), boundary, 0..3u8)
        .prop_map(move |(a, b, sides)| {
            let (lower, upper) = (a.min(b), a.max(b));
            match sides {
                0 => Model::new(test, Some(lower), None),
                1 => Model::new(test, None, Some(upper)),
                _ => Model::new(test, Some(lower), Some(upper)),
            }
        })
        .boxed()
}

fn model_and_positive_history() -> impl Strategy<Value = (Model, Vec<f64>)> {
    any_test().prop_flat_map(|test| {
        (
            valid_model(test),
            prop::collection::vec(1e-3..1e6f64, 0..80),
        )
    })
}

fn ordered(b: &Boundary) -> bool {
    let slack = |x: f64| 1e-12 * x.abs().max(1.0);
    let lower_ok = match (b.lower_limit, b.baseline) {
        (Some(l), Some(m)) => l <= m + slack(m),
        _ => true,
    };
    let upper_ok = match (b.baseline, b.upper_limit) {
        (Some(m), Some(u)) => m <= u + slack(m),
        _ => true,
    };
    let both_ok = match (b.lower_limit, b.upper_limit) {
        (Some(l), Some(u)) => l <= u,
        _ => true,
    };
    lower_ok && upper_ok && both_ok
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn limits_are_ordered_around_the_baseline((model, history) in model_and_positive_history()) {
        if let Some(b) = compute_boundary(&model, &history) {
            prop_assert!(ordered(&b), "{b:?} for {model:?}");
            // The baseline itself never alerts.
            if let Some(m) = b.baseline {
                prop_assert_eq!(check(&b, m), None);
            }
        }
    }

    #[test]
    fn limits_are_ordered_for_any_sign(
        test in any_test(),
        history in prop::collection::vec(-1e6..1e6f64, 0..40),
        seed in any::<u64>(),
    ) {
        let boundary = if test.is_distribution() { 0.95 } else { 1.5 };
        let (lower, upper) = if test == ThresholdTest::Static {
            (Some(-((seed % 100) as f64)), Some((seed % 7) as f64))
        } else {
            (Some(boundary), Some(boundary))
        };
        if let Some(b) = compute_boundary(&Model::new(test, lower, upper), &history) {
            prop_assert!(ordered(&b), "{b:?}");
        }
    }

    #[test]
    fn static_ignores_history(
        model in valid_model(ThresholdTest::Static),
        history in prop::collection::vec(any::<f64>(), 0..20),
    ) {
        let expected = Boundary {
            baseline: None,
            lower_limit: model.lower_boundary,
            upper_limit: model.upper_boundary,
        };
        prop_assert_eq!(compute_boundary(&model, &history), Some(expected));
        prop_assert_eq!(compute_boundary(&model, &[]), Some(expected));
    }

    #[test]
    fn scaling_the_data_scales_the_limits(
        (model, history) in model_and_positive_history(),
        k in 1e-3..1e3f64,
    ) {
        prop_assume!(model.test != ThresholdTest::Static);
        let scaled: Vec<f64> = history.iter().map(|x| x * k).collect();
        let original = compute_boundary(&model, &history);
        let rescaled = compute_boundary(&model, &scaled);
        prop_assert_eq!(original.is_some(), rescaled.is_some());
        if let (Some(a), Some(b)) = (original, rescaled) {
            let spread = history.iter().fold(0.0f64, |m, x| m.max(x.abs()));
            let pairs = [
                (a.baseline, b.baseline),
                (a.lower_limit, b.lower_limit),
                (a.upper_limit, b.upper_limit),
            ];
            for (x, y) in pairs {
                prop_assert_eq!(x.is_some(), y.is_some());
                if let (Some(x), Some(y)) = (x, y) {
                    let tolerance = 1e-9 * k * (x.abs() + spread);
                    prop_assert!((x * k - y).abs() <= tolerance, "{x} * {k} vs {y} for {model:?}");
                }
            }
        }
    }

    #[test]
    fn no_panic_on_any_finite_input(
        test in any_test(),
        lower in prop::option::of(-1e300..1e300f64),
        upper in prop::option::of(-1e300..1e300f64),
        min_sample_size in prop::option::of(0..100u32),
        max_sample_size in prop::option::of(0..100u32),
        history in prop::collection::vec(-f64::MAX..f64::MAX, 0..50),
        value in -f64::MAX..f64::MAX,
    ) {
        let model = Model {
            min_sample_size,
            max_sample_size,
            ..Model::new(test, lower, upper)
        };
        let valid = model.validate().is_ok();
        let boundary = compute_boundary(&model, &history);
        if !valid {
            prop_assert_eq!(boundary, None);
        }
        if let Some(b) = boundary {
            let _ = check(&b, value);
        }
    }
}
