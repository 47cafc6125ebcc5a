//! `bencherd`: runs any set of services, `up` for one machine, `migrate`.
fn main() {}
