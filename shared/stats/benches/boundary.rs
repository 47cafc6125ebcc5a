//! Boundary throughput: 2,000 boundaries over 64-sample histories per test kind, in ns per
//! boundary. Run with `cargo bench -p bencher-stats`.

use std::hint::black_box;
use std::time::Instant;

use bencher_stats::{Model, ThresholdTest, compute_boundary};

const BOUNDARIES: usize = 2_000;
const SAMPLES: usize = 64;

/// Deterministic, positive, noisy histories (a linear congruential generator around 100).
fn histories() -> Vec<Vec<f64>> {
    let mut state: u64 = 0x2545_f491_4f6c_dd1d;
    (0..BOUNDARIES)
        .map(|_| {
            (0..SAMPLES)
                .map(|_| {
                    state = state
                        .wrapping_mul(6_364_136_223_846_793_005)
                        .wrapping_add(1);
                    100.0 + ((state >> 33) % 2_000) as f64 / 100.0
                })
                .collect()
        })
        .collect()
}

fn main() {
    let histories = histories();
    for test in ThresholdTest::ALL {
        let boundary = if test.is_distribution() { 0.99 } else { 0.5 };
        let model = Model::new(test, Some(boundary), Some(boundary));
        let start = Instant::now();
        let mut computed = 0_usize;
        for history in &histories {
            if black_box(compute_boundary(black_box(&model), black_box(history))).is_some() {
                computed += 1;
            }
        }
        let elapsed = start.elapsed();
        let per = elapsed.as_nanos() / BOUNDARIES as u128;
        println!(
            "{test:<10} {per:>8} ns/boundary ({computed} of {BOUNDARIES} with limits, {SAMPLES} samples)"
        );
    }
}
