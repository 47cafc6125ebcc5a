//! Container images for the runner and the resolver: sha256 digests, a registry client over
//! `oci-client` with typed errors, a content-addressed blob cache, and a layer unpacker that
//! keeps hostile layers inside the root.
//!
//! Layout:
//! - [`digest`]: the validated [`Digest`] value and a hashing reader.
//! - [`registry`]: [`RegistryClient`], [`RegistryClient::resolve`] (tag → platform digest).
//! - [`cache`]: [`RegistryClient::pull_to_cache`], blobs streamed to `blobs/sha256/<hex>`.
//! - [`rootfs`]: confined mkdir and read inside an unpacked root.
//! - [`token`]: the built-in registry's token format, minted and verified in one place.
//! - [`unpack`]: [`unpack_layers`] with OCI whiteouts, `openat2(RESOLVE_IN_ROOT)` and limits.
//! - [`error`]: [`OciError`], the one error type, with [`OciError::is_transient`].

pub mod cache;
pub mod digest;
pub mod error;
pub mod registry;
pub mod rootfs;
pub mod token;
pub mod unpack;

pub use cache::{CachedLayer, PulledImage};
pub use digest::Digest;
pub use error::{OciError, Result};
pub use oci_spec::image::ImageConfiguration;
pub use registry::{Credentials, Platform, RegistryClient, RegistryConfig, ResolvedImage};
pub use rootfs::{make_dir_in_root, read_file_in_root};
pub use unpack::{UnpackLimits, UnpackStats, unpack_layers};
