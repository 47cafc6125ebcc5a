//! Harness output parsers to Bencher Metric Format (BMF). Pure, no I/O.
