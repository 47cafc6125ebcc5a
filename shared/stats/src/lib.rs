//! Threshold tests and boundaries computed from metric history. Pure, no I/O.
//!
//! A threshold on (branch, testbed, measure) holds a [`Model`]; given the metric history
//! (newest first) [`compute_boundary`] returns the [`Boundary`] (baseline, lower and upper
//! limit) a new value is judged against, and [`check`] / [`alert`] say which side, if any,
//! it falls strictly outside.
//!
//! Layout:
//! - `model`: [`ThresholdTest`], [`Model`] and its validation;
//! - `boundary`: [`Boundary`], [`Limit`], [`compute_boundary`], [`check`], [`is_ignored`];
//! - `quantiles`: mean, sample standard deviation, [`quantile_sorted`], [`Quartiles`];
//! - `error`: [`StatsError`].

mod boundary;
mod error;
mod model;
mod quantiles;

pub use boundary::{
    Boundary, IGNORE_SUFFIX, Limit, alert, check, compute_boundary, is_ignored,
    try_compute_boundary,
};
pub use error::StatsError;
pub use model::{Model, ThresholdTest};
pub use quantiles::{Quartiles, mean, quantile_sorted, relative_changes, sample_std_dev};
