//! The crate's one error type.

use std::path::PathBuf;

use oci_client::errors::OciDistributionError;

/// Everything that can go wrong while resolving, pulling or unpacking an image.
///
/// Messages are written for the user who submitted the image reference.
#[derive(Debug, thiserror::Error)]
pub enum OciError {
    /// The image reference does not parse.
    #[error("invalid image reference `{reference}`: {source}")]
    InvalidReference {
        /// The reference as given.
        reference: String,
        /// Why it does not parse.
        #[source]
        source: oci_client::ParseError,
    },
    /// A pull needs `repo@sha256:...`, and the reference has no digest.
    #[error("image reference `{0}` is not pinned to a digest (expected name@sha256:<hex>)")]
    NotPinned(String),
    /// A digest that is not `sha256:` followed by 64 lowercase hex digits.
    #[error("invalid digest `{0}` (expected sha256:<64 hex digits>)")]
    InvalidDigest(String),
    /// The registry does not know the repository.
    #[error("repository `{repository}` not found on registry {registry}")]
    RepositoryNotFound {
        /// Registry host.
        registry: String,
        /// Repository name.
        repository: String,
    },
    /// The repository exists but has no such tag or manifest.
    #[error("tag or digest `{reference}` not found")]
    ManifestNotFound {
        /// The full reference.
        reference: String,
    },
    /// The registry could not be reached (connection refused, DNS, timeout).
    #[error("registry {registry} is unreachable: {source}")]
    RegistryUnreachable {
        /// Registry host.
        registry: String,
        /// The transport error.
        #[source]
        source: OciDistributionError,
    },
    /// The registry answered with a server error or asked to slow down.
    #[error("registry {registry} is unavailable (HTTP {status}): {message}")]
    RegistryUnavailable {
        /// Registry host.
        registry: String,
        /// HTTP status.
        status: u16,
        /// Body or error message.
        message: String,
    },
    /// Credentials missing or refused.
    #[error("not authorized to pull `{reference}`")]
    Unauthorized {
        /// The full reference.
        reference: String,
    },
    /// A multi-platform image without an entry for the requested platform.
    #[error("image `{reference}` has no manifest for {platform} (available: {available})")]
    NoManifestForPlatform {
        /// The full reference.
        reference: String,
        /// The platform asked for, `os/arch[/variant]`.
        platform: String,
        /// The platforms the index lists.
        available: String,
    },
    /// A manifest, config or layer media type this crate does not handle.
    #[error("unsupported media type `{0}`")]
    UnsupportedMediaType(String),
    /// Any other registry failure.
    #[error("registry error for `{reference}`: {source}")]
    Registry {
        /// The full reference.
        reference: String,
        /// The client error.
        #[source]
        source: OciDistributionError,
    },
    /// Content whose digest is not the one it was asked for by.
    #[error("digest mismatch for {what}: expected {expected}, got {actual}")]
    DigestMismatch {
        /// What was checked (manifest, blob, layer diff_id).
        what: String,
        /// The expected digest.
        expected: String,
        /// The digest of the bytes received.
        actual: String,
    },
    /// A blob whose size differs from its descriptor.
    #[error("blob {digest} has {actual} bytes, descriptor says {expected}")]
    SizeMismatch {
        /// The blob digest.
        digest: String,
        /// Size in the descriptor.
        expected: u64,
        /// Bytes received (so far).
        actual: u64,
    },
    /// A structurally wrong image (e.g. diff_ids that do not match the layers).
    #[error("invalid image: {0}")]
    InvalidImage(String),
    /// JSON that does not parse.
    #[error("invalid JSON in {what}: {source}")]
    Json {
        /// What was parsed.
        what: String,
        /// The parse error.
        #[source]
        source: serde_json::Error,
    },
    /// A filesystem error.
    #[error("i/o error on {path}: {source}", path = path.display())]
    Io {
        /// The path involved.
        path: PathBuf,
        /// The error.
        #[source]
        source: std::io::Error,
    },
    /// A layer entry the unpacker refuses (e.g. a hardlink whose target is missing).
    #[error("layer {layer}: refused entry `{path}`: {reason}")]
    UnsafeEntry {
        /// The layer digest.
        layer: String,
        /// The entry path as written in the tar.
        path: String,
        /// Why it was refused.
        reason: String,
    },
    /// An unpack limit (entries or bytes) was reached.
    #[error("layer {layer}: {what} limit of {limit} exceeded")]
    LimitExceeded {
        /// The layer digest.
        layer: String,
        /// Which limit.
        what: &'static str,
        /// The limit's value.
        limit: u64,
    },
    /// The TLS provider could not be installed or the HTTP client not built.
    #[error("cannot build the registry client: {0}")]
    Client(#[source] OciDistributionError),
}

impl OciError {
    /// Whether retrying later may succeed (network trouble, registry overloaded).
    pub fn is_transient(&self) -> bool {
        matches!(
            self,
            Self::RegistryUnreachable { .. } | Self::RegistryUnavailable { .. }
        )
    }

    /// Builds an [`OciError::Io`].
    pub(crate) fn io(path: impl Into<PathBuf>, source: impl Into<std::io::Error>) -> Self {
        Self::Io {
            path: path.into(),
            source: source.into(),
        }
    }
}

/// Shorthand for results of this crate.
pub type Result<T, E = OciError> = std::result::Result<T, E>;
