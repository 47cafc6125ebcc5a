//! Pull an image by digest into a content-addressed blob cache (`<dir>/blobs/sha256/<hex>`).
//!
//! Every blob is streamed to a temporary file while its sha256 is computed, checked against
//! its descriptor (digest and size), then renamed into place; a blob already in the cache is
//! not downloaded again.

use std::path::{Path, PathBuf};

use futures::StreamExt;
use oci_client::manifest::{OciDescriptor, OciImageManifest, OciManifest};
use oci_spec::image::ImageConfiguration;
use sha2::{Digest as _, Sha256};
use tokio::io::AsyncWriteExt;

use crate::digest::Digest;
use crate::error::{OciError, Result};
use crate::registry::{RegistryClient, map_client_error, parse_manifest, parse_reference};

/// One layer blob in the cache, with what the unpacker needs to check it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CachedLayer {
    /// Digest of the blob as stored (compressed).
    pub digest: Digest,
    /// Layer media type (tar, tar+gzip, tar+zstd).
    pub media_type: String,
    /// Path of the cached blob.
    pub path: PathBuf,
    /// Digest of the uncompressed tar, from the config's `rootfs.diff_ids`.
    pub diff_id: Digest,
}

/// An image whose manifest, config and layers are all in the cache.
#[derive(Clone, Debug)]
pub struct PulledImage {
    /// Digest of the image manifest.
    pub digest: Digest,
    /// The image manifest.
    pub manifest: OciImageManifest,
    /// The parsed image config (entrypoint, cmd, env, working dir, user, diff_ids).
    pub config: ImageConfiguration,
    /// Layers in application order.
    pub layers: Vec<CachedLayer>,
}

/// Path of a blob in a cache directory.
pub fn blob_path(cache_dir: &Path, digest: &Digest) -> PathBuf {
    cache_dir.join("blobs").join("sha256").join(digest.hex())
}

impl RegistryClient {
    /// Downloads `name@sha256:...` (manifest, config, layers) into `cache_dir`.
    ///
    /// The reference must carry a digest, as given by [`RegistryClient::resolve`].
    pub async fn pull_to_cache(&self, reference: &str, cache_dir: &Path) -> Result<PulledImage> {
        let image = parse_reference(reference)?;
        let digest: Digest = image
            .digest()
            .ok_or_else(|| OciError::NotPinned(reference.to_owned()))?
            .parse()?;
        let blobs = cache_dir.join("blobs").join("sha256");
        tokio::fs::create_dir_all(&blobs)
            .await
            .map_err(|e| OciError::io(&blobs, e))?;

        let manifest_path = blob_path(cache_dir, &digest);
        let body = match read_verified(&manifest_path, &digest).await? {
            Some(body) => body,
            None => {
                let (body, _) = self.fetch_manifest(&image).await?;
                write_atomically(&manifest_path, &body).await?;
                body
            }
        };
        let manifest = match parse_manifest(&body)? {
            OciManifest::Image(manifest) => manifest,
            OciManifest::ImageIndex(_) => {
                return Err(OciError::InvalidImage(format!(
                    "`{reference}` is an image index; resolve it to a platform manifest first"
                )));
            }
        };

        let config_digest: Digest = manifest.config.digest.parse()?;
        let config_path = self.fetch_blob(&image, &manifest.config, cache_dir).await?;
        let config_bytes = tokio::fs::read(&config_path)
            .await
            .map_err(|e| OciError::io(&config_path, e))?;
        let config: ImageConfiguration =
            serde_json::from_slice(&config_bytes).map_err(|source| OciError::Json {
                what: format!("image config {config_digest}"),
                source,
            })?;

        let diff_ids = config.rootfs().diff_ids();
        if diff_ids.len() != manifest.layers.len() {
            return Err(OciError::InvalidImage(format!(
                "{} layers but {} diff_ids in the config",
                manifest.layers.len(),
                diff_ids.len()
            )));
        }
        let mut layers = Vec::with_capacity(manifest.layers.len());
        for (descriptor, diff_id) in manifest.layers.iter().zip(diff_ids) {
            let path = self.fetch_blob(&image, descriptor, cache_dir).await?;
            layers.push(CachedLayer {
                digest: descriptor.digest.parse()?,
                media_type: descriptor.media_type.clone(),
                path,
                diff_id: diff_id.parse()?,
            });
        }
        Ok(PulledImage {
            digest,
            manifest,
            config,
            layers,
        })
    }

    /// Streams one blob into the cache unless it is already there; returns its path.
    async fn fetch_blob(
        &self,
        image: &oci_client::Reference,
        descriptor: &OciDescriptor,
        cache_dir: &Path,
    ) -> Result<PathBuf> {
        let digest: Digest = descriptor.digest.parse()?;
        let expected_size = u64::try_from(descriptor.size)
            .map_err(|_| OciError::InvalidImage(format!("negative size for blob {digest}")))?;
        let path = blob_path(cache_dir, &digest);
        if tokio::fs::try_exists(&path)
            .await
            .map_err(|e| OciError::io(&path, e))?
        {
            return Ok(path);
        }
        let tmp = path.with_file_name(format!(".tmp-{}-{}", digest.hex(), uuid::Uuid::new_v4()));
        let result = self
            .stream_to_file(image, descriptor, &digest, expected_size, &tmp)
            .await;
        match result {
            Ok(()) => {
                tokio::fs::rename(&tmp, &path)
                    .await
                    .map_err(|e| OciError::io(&path, e))?;
                tracing::debug!(blob = %digest, size = expected_size, "blob cached");
                Ok(path)
            }
            Err(e) => {
                let _ = tokio::fs::remove_file(&tmp).await;
                Err(e)
            }
        }
    }

    /// Downloads a blob to `tmp`, hashing as it goes; never holds the blob in memory.
    async fn stream_to_file(
        &self,
        image: &oci_client::Reference,
        descriptor: &OciDescriptor,
        digest: &Digest,
        expected_size: u64,
        tmp: &Path,
    ) -> Result<()> {
        let mut stream = self
            .client
            .pull_blob_stream(image, descriptor)
            .await
            .map_err(|e| map_client_error(e, image))?;
        let mut file = tokio::fs::File::create(tmp)
            .await
            .map_err(|e| OciError::io(tmp, e))?;
        let mut hasher = Sha256::new();
        let mut written: u64 = 0;
        while let Some(chunk) = stream.next().await {
            let chunk = chunk.map_err(|e| OciError::io(tmp, e))?;
            written += chunk.len() as u64;
            if written > expected_size {
                return Err(OciError::SizeMismatch {
                    digest: digest.to_string(),
                    expected: expected_size,
                    actual: written,
                });
            }
            hasher.update(&chunk);
            file.write_all(&chunk)
                .await
                .map_err(|e| OciError::io(tmp, e))?;
        }
        if written != expected_size {
            return Err(OciError::SizeMismatch {
                digest: digest.to_string(),
                expected: expected_size,
                actual: written,
            });
        }
        let actual = Digest::from_hasher(hasher);
        if &actual != digest {
            return Err(OciError::DigestMismatch {
                what: format!("blob {digest}"),
                expected: digest.to_string(),
                actual: actual.to_string(),
            });
        }
        file.sync_all().await.map_err(|e| OciError::io(tmp, e))?;
        Ok(())
    }
}

/// Reads a cached blob if present and still matching its digest.
async fn read_verified(path: &Path, digest: &Digest) -> Result<Option<Vec<u8>>> {
    match tokio::fs::read(path).await {
        Ok(bytes) if &Digest::of(&bytes) == digest => Ok(Some(bytes)),
        Ok(_) => Ok(None),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(OciError::io(path, e)),
    }
}

/// Writes small content (a manifest) through a temporary file and a rename.
async fn write_atomically(path: &Path, bytes: &[u8]) -> Result<()> {
    let tmp = path.with_extension(format!("tmp-{}", uuid::Uuid::new_v4()));
    tokio::fs::write(&tmp, bytes)
        .await
        .map_err(|e| OciError::io(&tmp, e))?;
    tokio::fs::rename(&tmp, path)
        .await
        .map_err(|e| OciError::io(path, e))
}
