//! Descriptive statistics: mean, sample standard deviation, quantiles and quartiles.

/// The arithmetic mean, or `None` for an empty sample or a non-finite result.
pub fn mean(data: &[f64]) -> Option<f64> {
    if data.is_empty() {
        return None;
    }
    let mean = data.iter().sum::<f64>() / data.len() as f64;
    mean.is_finite().then_some(mean)
}

/// The sample standard deviation (divisor `n − 1`) around `mean`.
///
/// `None` when `n < 2`, when the variance is 0 (no distribution can be fitted) or when the
/// result is not finite.
pub fn sample_std_dev(data: &[f64], mean: f64) -> Option<f64> {
    if data.len() < 2 {
        return None;
    }
    let squares = data.iter().map(|x| (x - mean) * (x - mean)).sum::<f64>();
    let variance = squares / (data.len() - 1) as f64;
    (variance.is_finite() && variance > 0.0).then(|| variance.sqrt())
}

/// The `p`-quantile of an ascending `sorted` sample by linear interpolation at rank
/// `p · (n − 1)` (numpy's default `linear` method, R's type 7).
///
/// `None` for an empty sample or `p` outside `[0, 1]`.
pub fn quantile_sorted(sorted: &[f64], p: f64) -> Option<f64> {
    if !(0.0..=1.0).contains(&p) {
        return None;
    }
    let last = sorted.len().checked_sub(1)?;
    let rank = p * last as f64;
    let below = rank.floor();
    let index = (below as usize).min(last);
    let low = *sorted.get(index)?;
    let high = *sorted.get((index + 1).min(last))?;
    let fraction = rank - below;
    if fraction == 0.0 {
        Some(low)
    } else {
        Some(low + (high - low) * fraction)
    }
}

/// The first, second (median) and third quartiles of a sample.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Quartiles {
    /// The 0.25-quantile.
    pub q1: f64,
    /// The median.
    pub q2: f64,
    /// The 0.75-quantile.
    pub q3: f64,
}

impl Quartiles {
    /// The quartiles of `data` in any order; `None` when `data` is empty or a quartile is not
    /// finite.
    pub fn new(data: &[f64]) -> Option<Self> {
        let mut sorted = data.to_vec();
        sorted.sort_unstable_by(f64::total_cmp);
        Self::of_sorted(&sorted)
    }

    /// The quartiles of an ascending sample; `None` when it is empty or a quartile is not finite.
    pub fn of_sorted(sorted: &[f64]) -> Option<Self> {
        let quartiles = Self {
            q1: quantile_sorted(sorted, 0.25)?,
            q2: quantile_sorted(sorted, 0.5)?,
            q3: quantile_sorted(sorted, 0.75)?,
        };
        let finite =
            quartiles.q1.is_finite() && quartiles.q2.is_finite() && quartiles.q3.is_finite();
        finite.then_some(quartiles)
    }

    /// The inter-quartile range `q3 − q1`.
    pub fn iqr(&self) -> f64 {
        self.q3 - self.q1
    }
}

/// The relative changes `|(x[i+1] − x[i]) / x[i]|` between consecutive samples, in the order
/// given (for `n` samples, `n − 1` changes). A change from 0 is infinite or NaN.
pub fn relative_changes(data: &[f64]) -> Vec<f64> {
    data.windows(2)
        .map(|pair| match pair {
            [from, to] => ((to - from) / from).abs(),
            _ => f64::NAN,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantiles_interpolate_at_rank_p_times_n_minus_one() {
        let sorted = [1.0, 2.0, 3.0, 4.0];
        assert_eq!(quantile_sorted(&sorted, 0.0), Some(1.0));
        assert_eq!(quantile_sorted(&sorted, 0.25), Some(1.75));
        assert_eq!(quantile_sorted(&sorted, 0.5), Some(2.5));
        assert_eq!(quantile_sorted(&sorted, 0.75), Some(3.25));
        assert_eq!(quantile_sorted(&sorted, 1.0), Some(4.0));
        assert_eq!(quantile_sorted(&sorted, 1.5), None);
        assert_eq!(quantile_sorted(&[], 0.5), None);
        assert_eq!(quantile_sorted(&[7.0], 0.75), Some(7.0));
    }

    #[test]
    fn quartiles_sort_their_input() {
        let q = Quartiles::new(&[5.0, 1.0, 4.0, 2.0, 3.0]);
        assert_eq!(
            q,
            Some(Quartiles {
                q1: 2.0,
                q2: 3.0,
                q3: 4.0
            })
        );
        assert_eq!(q.map(|q| q.iqr()), Some(2.0));
        assert_eq!(Quartiles::new(&[]), None);
    }

    #[test]
    fn relative_changes_divide_by_the_earlier_sample_in_order() {
        assert_eq!(relative_changes(&[100.0, 110.0, 99.0]), vec![0.1, 0.1]);
        assert_eq!(relative_changes(&[-2.0, -3.0]), vec![0.5]);
        assert!(relative_changes(&[1.0]).is_empty());
        assert!(relative_changes(&[0.0, 1.0])[0].is_infinite());
    }

    #[test]
    fn std_dev_needs_two_samples_and_spread() {
        assert_eq!(sample_std_dev(&[1.0], 1.0), None);
        assert_eq!(sample_std_dev(&[3.0, 3.0, 3.0], 3.0), None);
        assert_eq!(sample_std_dev(&[1.0, 3.0], 2.0), Some(2.0_f64.sqrt()));
        assert_eq!(mean(&[]), None);
        assert_eq!(mean(&[1.0, 2.0, 6.0]), Some(3.0));
    }
}
