//! Service plumbing shared by every bencherd service and the runner.
