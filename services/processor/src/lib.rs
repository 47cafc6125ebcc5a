//! The processor service.
