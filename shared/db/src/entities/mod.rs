//! One module per table. Rows use integer keys internally and `uuid` columns outside.

pub mod alert;
pub mod benchmark;
pub mod boundary;
pub mod branch;
pub mod delivery;
pub mod job;
pub mod measure;
pub mod metric;
pub mod model;
pub mod organization;
pub mod project;
pub mod report;
pub mod report_benchmark;
pub mod runner;
pub mod runner_spec;
pub mod spec;
pub mod testbed;
pub mod threshold;
pub mod token;
pub mod webhook;
