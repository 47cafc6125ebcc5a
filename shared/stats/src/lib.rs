//! Threshold tests and boundaries computed from metric history. Pure, no I/O.
