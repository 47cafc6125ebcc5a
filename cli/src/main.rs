//! `bencher`, the command-line client.
fn main() {}
