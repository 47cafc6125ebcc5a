//! The registry client: resolve a tag to the digest of one platform's manifest.

use std::time::Duration;

use oci_client::Reference;
use oci_client::client::{ClientConfig, ClientProtocol};
use oci_client::errors::{OciDistributionError, OciErrorCode};
use oci_client::manifest::{
    IMAGE_MANIFEST_LIST_MEDIA_TYPE, IMAGE_MANIFEST_MEDIA_TYPE, OCI_IMAGE_INDEX_MEDIA_TYPE,
    OCI_IMAGE_MEDIA_TYPE, OciImageIndex, OciImageManifest, OciManifest,
};
use oci_client::secrets::RegistryAuth;

use crate::digest::Digest;
use crate::error::{OciError, Result};

/// Manifest media types the client asks for and accepts.
pub(crate) const MANIFEST_MEDIA_TYPES: &[&str] = &[
    OCI_IMAGE_MEDIA_TYPE,
    IMAGE_MANIFEST_MEDIA_TYPE,
    OCI_IMAGE_INDEX_MEDIA_TYPE,
    IMAGE_MANIFEST_LIST_MEDIA_TYPE,
];

/// How to authenticate to registries.
#[derive(Clone, Debug, Default)]
pub enum Credentials {
    /// No credentials (the token flow is still tried when a registry asks for it).
    #[default]
    Anonymous,
    /// HTTP basic credentials, exchanged for a token when the registry wants one.
    Basic {
        /// User name.
        username: String,
        /// Password or token.
        password: String,
    },
    /// A bearer token sent as is (e.g. a short-lived project-scoped pull token).
    Bearer(String),
}

/// Settings for a [`RegistryClient`].
#[derive(Clone, Debug, Default)]
pub struct RegistryConfig {
    /// Registries (`host:port`) spoken to over plain HTTP; all others use HTTPS.
    pub insecure_registries: Vec<String>,
    /// Credentials used for every registry.
    pub credentials: Credentials,
    /// TCP connect timeout.
    pub connect_timeout: Option<Duration>,
    /// Read timeout between bytes of a response.
    pub read_timeout: Option<Duration>,
}

/// An OS/architecture pair selecting one manifest of a multi-platform image.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Platform {
    /// Operating system, e.g. `linux`.
    pub os: String,
    /// Architecture in OCI spelling, e.g. `amd64`, `arm64`.
    pub architecture: String,
    /// Optional variant, e.g. `v8`; `None` accepts any variant.
    pub variant: Option<String>,
}

impl Platform {
    /// `os/architecture` without a variant.
    pub fn new(os: impl Into<String>, architecture: impl Into<String>) -> Self {
        Self {
            os: os.into(),
            architecture: architecture.into(),
            variant: None,
        }
    }
}

impl Default for Platform {
    fn default() -> Self {
        Self::new("linux", "amd64")
    }
}

impl std::fmt::Display for Platform {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.os, self.architecture)?;
        if let Some(variant) = &self.variant {
            write!(f, "/{variant}")?;
        }
        Ok(())
    }
}

/// What a tag (or digest) resolves to for one platform.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ResolvedImage {
    /// `registry/repository`, without tag or digest.
    pub repository: String,
    /// Digest of the platform's image manifest: what runners pull.
    pub digest: Digest,
    /// Digest of the index the tag pointed to, for multi-platform images.
    pub index_digest: Option<Digest>,
    /// Digest of the image config blob.
    pub config_digest: Digest,
    /// Compressed size of config and layers, in bytes.
    pub size: u64,
}

impl ResolvedImage {
    /// `registry/repository@sha256:...`, the immutable reference runners are given.
    pub fn pinned(&self) -> String {
        format!("{}@{}", self.repository, self.digest)
    }
}

/// A registry client over `oci-client`, with typed, user-readable errors.
#[derive(Clone)]
pub struct RegistryClient {
    pub(crate) client: oci_client::Client,
    pub(crate) auth: RegistryAuth,
}

impl std::fmt::Debug for RegistryClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RegistryClient").finish_non_exhaustive()
    }
}

impl RegistryClient {
    /// Builds the client; fails (instead of falling back to defaults) on a bad configuration.
    pub fn new(config: RegistryConfig) -> Result<Self> {
        // reqwest is built without a compiled-in TLS provider; use ring like async-nats does.
        // An error only means a provider is already installed for the process.
        let _ = rustls::crypto::ring::default_provider().install_default();
        let client_config = ClientConfig {
            protocol: ClientProtocol::HttpsExcept(config.insecure_registries),
            connect_timeout: config.connect_timeout,
            read_timeout: config.read_timeout,
            // Platform selection happens per call in `resolve`.
            platform_resolver: None,
            ..ClientConfig::default()
        };
        let client = oci_client::Client::try_from(client_config).map_err(OciError::Client)?;
        let auth = match config.credentials {
            Credentials::Anonymous => RegistryAuth::Anonymous,
            Credentials::Basic { username, password } => RegistryAuth::Basic(username, password),
            Credentials::Bearer(token) => RegistryAuth::Bearer(token),
        };
        Ok(Self { client, auth })
    }

    /// Resolves a tag or digest reference to the manifest digest for `platform`.
    ///
    /// A multi-platform index resolves to the entry matching `platform`; a single-platform
    /// manifest is returned as is (its platform is not checked here).
    pub async fn resolve(&self, reference: &str, platform: &Platform) -> Result<ResolvedImage> {
        let image = parse_reference(reference)?;
        let (body, digest) = self.fetch_manifest(&image).await?;
        let (manifest, digest, index_digest) = match parse_manifest(&body)? {
            OciManifest::Image(manifest) => (manifest, digest, None),
            OciManifest::ImageIndex(index) => {
                let index_digest = digest;
                let entry = select_platform(&index, platform).ok_or_else(|| {
                    OciError::NoManifestForPlatform {
                        reference: reference.to_owned(),
                        platform: platform.to_string(),
                        available: list_platforms(&index),
                    }
                })?;
                let entry_digest: Digest = entry.parse()?;
                let pinned = image.clone_with_digest(entry_digest.to_string());
                let (body, digest) = self.fetch_manifest(&pinned).await?;
                match parse_manifest(&body)? {
                    OciManifest::Image(manifest) => (manifest, digest, Some(index_digest)),
                    OciManifest::ImageIndex(_) => {
                        return Err(OciError::InvalidImage(format!(
                            "index entry {entry_digest} of `{reference}` is another index"
                        )));
                    }
                }
            }
        };
        let config_digest: Digest = manifest.config.digest.parse()?;
        let size = image_size(&manifest);
        Ok(ResolvedImage {
            repository: format!("{}/{}", image.resolve_registry(), image.repository()),
            digest,
            index_digest,
            config_digest,
            size,
        })
    }

    /// Some registries (Distribution among them) answer an unknown repository's manifest with
    /// `MANIFEST_UNKNOWN`; the tags list tells a missing repository from a missing tag.
    async fn explain_not_found(&self, error: OciError, image: &Reference) -> OciError {
        if !matches!(error, OciError::ManifestNotFound { .. }) {
            return error;
        }
        match self
            .client
            .list_tags(image, &self.auth, Some(1), None)
            .await
        {
            Err(e) => match map_client_error(e, image) {
                repo @ OciError::RepositoryNotFound { .. } => repo,
                _ => error,
            },
            Ok(_) => error,
        }
    }

    /// GETs a manifest and checks its bytes against the digest in the reference, if any.
    pub(crate) async fn fetch_manifest(&self, image: &Reference) -> Result<(Vec<u8>, Digest)> {
        let pulled = self
            .client
            .pull_manifest_raw(image, &self.auth, MANIFEST_MEDIA_TYPES)
            .await;
        let body = match pulled {
            Ok((body, _)) => body,
            Err(e) => {
                return Err(self
                    .explain_not_found(map_client_error(e, image), image)
                    .await);
            }
        };
        let actual = Digest::of(&body);
        if let Some(expected) = image.digest() {
            let expected: Digest = expected.parse()?;
            if expected != actual {
                return Err(OciError::DigestMismatch {
                    what: format!("manifest of {}", image.whole()),
                    expected: expected.to_string(),
                    actual: actual.to_string(),
                });
            }
        }
        Ok((body.to_vec(), actual))
    }
}

/// Parses a reference, with a readable error.
pub(crate) fn parse_reference(reference: &str) -> Result<Reference> {
    reference
        .parse::<Reference>()
        .map_err(|source| OciError::InvalidReference {
            reference: reference.to_owned(),
            source,
        })
}

/// Parses manifest bytes after checking the declared media type.
pub(crate) fn parse_manifest(body: &[u8]) -> Result<OciManifest> {
    #[derive(serde::Deserialize)]
    #[serde(rename_all = "camelCase")]
    struct Head {
        schema_version: Option<i64>,
        media_type: Option<String>,
    }
    let json = |source| OciError::Json {
        what: "manifest".to_owned(),
        source,
    };
    let head: Head = serde_json::from_slice(body).map_err(json)?;
    if let Some(media_type) = head.media_type
        && !MANIFEST_MEDIA_TYPES.contains(&media_type.as_str())
    {
        return Err(OciError::UnsupportedMediaType(media_type));
    }
    if head.schema_version != Some(2) {
        return Err(OciError::UnsupportedMediaType(format!(
            "manifest schemaVersion {:?}",
            head.schema_version
        )));
    }
    serde_json::from_slice(body).map_err(json)
}

/// The digest of the index entry for `platform`, if any.
fn select_platform<'a>(index: &'a OciImageIndex, platform: &Platform) -> Option<&'a str> {
    index
        .manifests
        .iter()
        .find(|entry| {
            entry.platform.as_ref().is_some_and(|p| {
                p.os.to_string() == platform.os
                    && p.architecture.to_string() == platform.architecture
                    && platform
                        .variant
                        .as_ref()
                        .is_none_or(|v| p.variant.as_ref() == Some(v))
            })
        })
        .map(|entry| entry.digest.as_str())
}

/// `os/arch[/variant]` of every index entry, comma separated.
fn list_platforms(index: &OciImageIndex) -> String {
    let names: Vec<String> = index
        .manifests
        .iter()
        .filter_map(|entry| entry.platform.as_ref())
        .map(|p| match &p.variant {
            Some(v) => format!("{}/{}/{v}", p.os, p.architecture),
            None => format!("{}/{}", p.os, p.architecture),
        })
        .collect();
    if names.is_empty() {
        "none".to_owned()
    } else {
        names.join(", ")
    }
}

/// Compressed bytes of config plus layers.
fn image_size(manifest: &OciImageManifest) -> u64 {
    std::iter::once(&manifest.config)
        .chain(&manifest.layers)
        .map(|d| u64::try_from(d.size).unwrap_or(0))
        .sum()
}

/// Maps an `oci-client` error to the typed error a user can act on.
pub(crate) fn map_client_error(error: OciDistributionError, image: &Reference) -> OciError {
    let registry = image.resolve_registry().to_owned();
    let reference = image.whole();
    match error {
        OciDistributionError::RegistryError { ref envelope, .. } => {
            let code = envelope.errors.first().map(|e| &e.code);
            match code {
                Some(OciErrorCode::NameUnknown) => OciError::RepositoryNotFound {
                    registry,
                    repository: image.repository().to_owned(),
                },
                Some(
                    OciErrorCode::ManifestUnknown
                    | OciErrorCode::NotFound
                    | OciErrorCode::BlobUnknown,
                ) => OciError::ManifestNotFound { reference },
                Some(OciErrorCode::Unauthorized | OciErrorCode::Denied) => {
                    OciError::Unauthorized { reference }
                }
                Some(OciErrorCode::Toomanyrequests) => OciError::RegistryUnavailable {
                    registry,
                    status: 429,
                    message: envelope.to_string(),
                },
                _ => OciError::Registry {
                    reference,
                    source: error,
                },
            }
        }
        OciDistributionError::UnauthorizedError { .. }
        | OciDistributionError::AuthenticationFailure(_) => OciError::Unauthorized { reference },
        OciDistributionError::ImageManifestNotFoundError(_) => {
            OciError::ManifestNotFound { reference }
        }
        OciDistributionError::ServerError { code, message, .. } => match code {
            401 | 403 => OciError::Unauthorized { reference },
            404 => OciError::ManifestNotFound { reference },
            429 | 500..=599 => OciError::RegistryUnavailable {
                registry,
                status: code,
                message,
            },
            _ => OciError::Registry {
                reference,
                source: OciDistributionError::ServerError {
                    code,
                    url: String::new(),
                    message,
                },
            },
        },
        OciDistributionError::RequestError(ref e)
            if e.is_connect() || e.is_timeout() || e.is_request() =>
        {
            OciError::RegistryUnreachable {
                registry,
                source: error,
            }
        }
        OciDistributionError::UnsupportedMediaTypeError(media_type)
        | OciDistributionError::IncompatibleLayerMediaTypeError(media_type) => {
            OciError::UnsupportedMediaType(media_type)
        }
        other => OciError::Registry {
            reference,
            source: other,
        },
    }
}
