//! Boundaries (baseline and limits) computed from a model and a history, and the alert check.

use serde::{Deserialize, Serialize};
use statrs::distribution::{ContinuousCDF, LogNormal, Normal, StudentsT};

use crate::quantiles::{Quartiles, mean, relative_changes, sample_std_dev};
use crate::{Model, StatsError, ThresholdTest};

/// Benchmarks whose names end with this suffix get boundaries but never alerts (Bencher's rule).
pub const IGNORE_SUFFIX: &str = "_bencher_ignore";

/// The baseline and limits a metric is judged against (Bencher's `boundary` object).
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
pub struct Boundary {
    /// The centre the limits are derived from; `None` for the static test.
    pub baseline: Option<f64>,
    /// Values strictly below this raise a lower alert; `None` when no lower boundary is set.
    pub lower_limit: Option<f64>,
    /// Values strictly above this raise an upper alert; `None` when no upper boundary is set.
    pub upper_limit: Option<f64>,
}

/// The side of a boundary a value fell outside.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Limit {
    /// Below the lower limit.
    Lower,
    /// Above the upper limit.
    Upper,
}

/// Computes the boundary of `model` from `history` (newest first, in query order).
///
/// `None` when the model is invalid or no limits can be computed; see
/// [`try_compute_boundary`] for the rules.
pub fn compute_boundary(model: &Model, history: &[f64]) -> Option<Boundary> {
    try_compute_boundary(model, history).ok().flatten()
}

/// Computes the boundary of `model` from `history` (newest first, in query order).
///
/// The static test ignores the history. For the others only the newest `max_sample_size`
/// samples are used, and `Ok(None)` is returned when the history is empty, shorter than
/// `min_sample_size`, holds a non-finite value, when a test needs a standard deviation and
/// has fewer than 2 samples or zero variance, when `log_normal` sees a value `<= 0` (it has
/// no logarithm), when `delta_iqr` has fewer than 2 samples or a change from 0, or when a
/// result is not finite. Each limit exists only when its side's boundary is set.
///
/// # Errors
///
/// [`Model::validate`]'s error for an invalid model, or statrs refusing a distribution.
pub fn try_compute_boundary(
    model: &Model,
    history: &[f64],
) -> Result<Option<Boundary>, StatsError> {
    model.validate()?;
    if model.test == ThresholdTest::Static {
        return Ok(Some(Boundary {
            baseline: None,
            lower_limit: model.lower_boundary,
            upper_limit: model.upper_boundary,
        }));
    }
    let max = model.max_sample_size.map_or(usize::MAX, |max| max as usize);
    let history = history.get(..max.min(history.len())).unwrap_or(history);
    let min = model.min_sample_size.map_or(1, |min| min as usize).max(1);
    if history.len() < min || history.iter().any(|x| !x.is_finite()) {
        return Ok(None);
    }
    let boundary = match model.test {
        ThresholdTest::Static => None,
        ThresholdTest::Percentage => percentage(model, history),
        ThresholdTest::ZScore => z_score(model, history)?,
        ThresholdTest::TTest => t_test(model, history)?,
        ThresholdTest::LogNormal => log_normal(model, history)?,
        ThresholdTest::Iqr => iqr(model, history),
        ThresholdTest::DeltaIqr => delta_iqr(model, history),
    };
    Ok(boundary.filter(Boundary::is_finite))
}

/// The side of `boundary` that `value` falls strictly outside, if any. NaN never alerts.
pub fn check(boundary: &Boundary, value: f64) -> Option<Limit> {
    if boundary.lower_limit.is_some_and(|lower| value < lower) {
        Some(Limit::Lower)
    } else if boundary.upper_limit.is_some_and(|upper| value > upper) {
        Some(Limit::Upper)
    } else {
        None
    }
}

/// Whether `benchmark` is one whose alerts are suppressed (its name ends in [`IGNORE_SUFFIX`]).
pub fn is_ignored(benchmark: &str) -> bool {
    benchmark.ends_with(IGNORE_SUFFIX)
}

/// The alert to raise for `value` of `benchmark`: [`check`], except never for ignored benchmarks.
pub fn alert(benchmark: &str, boundary: &Boundary, value: f64) -> Option<Limit> {
    if is_ignored(benchmark) {
        None
    } else {
        check(boundary, value)
    }
}

impl Boundary {
    fn is_finite(&self) -> bool {
        [self.baseline, self.lower_limit, self.upper_limit]
            .iter()
            .flatten()
            .all(|x| x.is_finite())
    }

    /// Limits `baseline ∓ width(b)` for each set boundary `b`.
    fn symmetric(model: &Model, baseline: f64, width: impl Fn(f64) -> f64) -> Self {
        Self {
            baseline: Some(baseline),
            lower_limit: model.lower_boundary.map(|b| baseline - width(b)),
            upper_limit: model.upper_boundary.map(|b| baseline + width(b)),
        }
    }

    /// Limits at the `b`-quantile (upper) and its mirror around `centre` (lower).
    fn mirrored(model: &Model, baseline: f64, centre: f64, quantile: impl Fn(f64) -> f64) -> Self {
        Self {
            baseline: Some(baseline),
            lower_limit: model.lower_boundary.map(|b| 2.0 * centre - quantile(b)),
            upper_limit: model.upper_boundary.map(quantile),
        }
    }
}

/// `μ ∓ |μ|·b`. (Bencher writes `μ·b`; equal for the positive means benchmarks have.)
fn percentage(model: &Model, history: &[f64]) -> Option<Boundary> {
    let mu = mean(history)?;
    Some(Boundary::symmetric(model, mu, |b| mu.abs() * b))
}

fn z_score(model: &Model, history: &[f64]) -> Result<Option<Boundary>, StatsError> {
    let Some(mu) = mean(history) else {
        return Ok(None);
    };
    let Some(sigma) = sample_std_dev(history, mu) else {
        return Ok(None);
    };
    let normal = Normal::new(mu, sigma)?;
    Ok(Some(Boundary::mirrored(model, mu, mu, |b| {
        normal.inverse_cdf(b)
    })))
}

/// A prediction interval for one new value: Student's t with `n − 1` degrees of freedom,
/// location `μ` and scale `σ·√(1 + 1/n)`.
fn t_test(model: &Model, history: &[f64]) -> Result<Option<Boundary>, StatsError> {
    let Some(mu) = mean(history) else {
        return Ok(None);
    };
    let Some(sigma) = sample_std_dev(history, mu) else {
        return Ok(None);
    };
    let n = history.len() as f64;
    let scale = sigma * (1.0 + 1.0 / n).sqrt();
    let students_t = StudentsT::new(mu, scale, n - 1.0)?;
    Ok(Some(Boundary::mirrored(model, mu, mu, |b| {
        students_t.inverse_cdf(b)
    })))
}

/// Log-normal fitted to `ln xᵢ`; values `<= 0` have no logarithm, so such a history has no limits.
fn log_normal(model: &Model, history: &[f64]) -> Result<Option<Boundary>, StatsError> {
    if history.iter().any(|x| *x <= 0.0) {
        return Ok(None);
    }
    let logs: Vec<f64> = history.iter().map(|x| x.ln()).collect();
    let Some(location) = mean(&logs) else {
        return Ok(None);
    };
    let Some(scale) = sample_std_dev(&logs, location) else {
        return Ok(None);
    };
    let log_normal = LogNormal::new(location, scale)?;
    let baseline = location.exp();
    Ok(Some(Boundary::mirrored(model, baseline, baseline, |b| {
        log_normal.inverse_cdf(b)
    })))
}

/// `q2 ∓ (q3 − q1)·b`.
fn iqr(model: &Model, history: &[f64]) -> Option<Boundary> {
    let quartiles = Quartiles::new(history)?;
    Some(Boundary::symmetric(model, quartiles.q2, |b| {
        quartiles.iqr() * b
    }))
}

/// `q2 ∓ |q2|·(Δq3 − Δq1)·b` over the relative changes Δ in query order.
/// (Bencher writes `q2·…`; equal for the positive medians benchmarks have.)
fn delta_iqr(model: &Model, history: &[f64]) -> Option<Boundary> {
    let changes = relative_changes(history);
    if changes.is_empty() || changes.iter().any(|x| !x.is_finite()) {
        return None;
    }
    let deltas = Quartiles::new(&changes)?;
    let quartiles = Quartiles::new(history)?;
    let median = quartiles.q2;
    Some(Boundary::symmetric(model, median, |b| {
        median.abs() * deltas.iqr() * b
    }))
}

#[cfg(test)]
mod tests;
