//! `bencher-runner`: the runner daemon binary.

fn main() {}
