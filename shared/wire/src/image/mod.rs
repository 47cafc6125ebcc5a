//! OCI image references and digests, validated with the distribution spec's grammar.
//!
//! `[registry[:port]/]repository[:tag][@digest]`. A reference without a registry
//! (`demo:v1`, `team/bench:v2`) names the built-in registry — never Docker Hub — so
//! [`ImageReference::registry`] is `None` for it. The first component is a registry when it
//! holds a `.` or a `:` or is `localhost`. Repository components are lowercase
//! (`[a-z0-9]+` joined by `.`, `_`, `__` or runs of `-`); the name (registry and repository)
//! is at most 255 characters; a tag is `[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}`. IPv6 registry
//! literals are not supported.

mod digest;
mod reference;

pub use digest::Digest;
pub use reference::{ImageReference, PinnedImage};
