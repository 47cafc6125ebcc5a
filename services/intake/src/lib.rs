//! The intake service.
