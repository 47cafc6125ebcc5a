//! Blob bytes in an object store: content-addressed blobs (`blobs/<alg>/<hex>`) and upload
//! chunks (`uploads/<session>/<nonce>`), written and read as streams, hashed on the way.

use std::ops::Range;
use std::sync::Arc;

use bencher_runtime::Config;
use bencher_wire::image::Digest;
use bytes::Bytes;
use futures::stream::BoxStream;
use futures::{Stream, StreamExt, TryStreamExt};
use object_store::local::LocalFileSystem;
use object_store::path::Path;
use object_store::{
    GetOptions, GetRange, GetResultPayload, ObjectStore, ObjectStoreExt, PutPayload, WriteMultipart,
};
use sha2::Digest as _;
use tokio::io::{AsyncReadExt, AsyncSeekExt};
use tokio_util::io::ReaderStream;
use uuid::Uuid;

use super::error::{OciCode, RegistryError, oci};

/// Parts of a multipart write in flight at once.
const WRITE_CONCURRENCY: usize = 4;
/// Size of the parts of a multipart write.
const WRITE_CHUNK: usize = 8 * 1024 * 1024;

/// Opens the configured store: the S3 bucket when `registry.s3_bucket` is set, else the local
/// directory (created if missing).
pub fn open(config: &Config) -> Result<Arc<dyn ObjectStore>, RegistryError> {
    let registry = &config.registry;
    if let Some(bucket) = &registry.s3_bucket {
        let mut builder = object_store::aws::AmazonS3Builder::from_env().with_bucket_name(bucket);
        if let Some(endpoint) = &registry.s3_endpoint {
            builder = builder
                .with_endpoint(endpoint)
                .with_allow_http(endpoint.starts_with("http://"));
        }
        if let Some(region) = &registry.s3_region {
            builder = builder.with_region(region);
        }
        if let Some(key) = &registry.s3_access_key_id {
            builder = builder.with_access_key_id(key);
        }
        if let Some(secret) = &registry.s3_secret_access_key {
            builder = builder.with_secret_access_key(secret);
        }
        return Ok(Arc::new(builder.build()?));
    }
    let dir = config.registry_storage_dir();
    std::fs::create_dir_all(&dir).map_err(|source| object_store::Error::Generic {
        store: "LocalFileSystem",
        source: Box::new(source),
    })?;
    Ok(Arc::new(
        LocalFileSystem::new_with_prefix(dir)?.with_automatic_cleanup(true),
    ))
}

/// Where the blob (or manifest) `digest` lives.
pub fn blob_key(digest: &Digest) -> Path {
    Path::from(format!("blobs/{}/{}", digest.algorithm(), digest.hex()))
}

/// A fresh key for a chunk of upload session `session`.
pub fn part_key(session: Uuid) -> String {
    format!("uploads/{}/{}", session.simple(), Uuid::new_v4().simple())
}

/// A running sha256 or sha512.
pub enum Hasher {
    /// sha256.
    Sha256(sha2::Sha256),
    /// sha512.
    Sha512(sha2::Sha512),
}

impl Hasher {
    /// A hasher of the algorithm of `digest`.
    pub fn for_digest(digest: &Digest) -> Self {
        if digest.algorithm() == "sha512" {
            Self::Sha512(sha2::Sha512::new())
        } else {
            Self::Sha256(sha2::Sha256::new())
        }
    }

    /// A sha256 hasher.
    pub fn sha256() -> Self {
        Self::Sha256(sha2::Sha256::new())
    }

    /// Adds bytes.
    pub fn update(&mut self, bytes: &[u8]) {
        match self {
            Self::Sha256(h) => h.update(bytes),
            Self::Sha512(h) => h.update(bytes),
        }
    }

    /// The digest of everything added.
    pub fn finish(self) -> String {
        match self {
            Self::Sha256(h) => format!("sha256:{}", hex::encode(h.finalize())),
            Self::Sha512(h) => format!("sha512:{}", hex::encode(h.finalize())),
        }
    }
}

/// What [`write_stream`] wrote.
pub struct Written {
    /// Bytes written.
    pub len: u64,
    /// The digest, when a hasher was given.
    pub digest: Option<String>,
}

/// Streams `body` to `key`, hashing with `hasher`, refusing more than `limit` bytes (413) and,
/// when `expect` is given, content whose digest differs (`DIGEST_INVALID`). Nothing is written
/// for an empty body; on any error nothing stays behind (the object appears only once whole).
pub async fn write_stream<S, E>(
    store: &dyn ObjectStore,
    key: &Path,
    mut body: S,
    limit: u64,
    mut hasher: Option<Hasher>,
    expect: Option<&Digest>,
) -> Result<Written, RegistryError>
where
    S: Stream<Item = Result<Bytes, E>> + Unpin,
    RegistryError: From<E>,
{
    let mut len = 0u64;
    let mut writer: Option<WriteMultipart> = None;
    while let Some(chunk) = body.next().await {
        let chunk = match chunk {
            Ok(chunk) => chunk,
            Err(err) => {
                abort(writer).await;
                return Err(err.into());
            }
        };
        if chunk.is_empty() {
            continue;
        }
        len += chunk.len() as u64;
        if len > limit {
            abort(writer).await;
            return Err(too_large(limit));
        }
        if let Some(h) = hasher.as_mut() {
            h.update(&chunk);
        }
        let w = match writer.as_mut() {
            Some(w) => w,
            None => writer.insert(WriteMultipart::new_with_chunk_size(
                store.put_multipart(key).await?,
                WRITE_CHUNK,
            )),
        };
        if let Err(err) = w.wait_for_capacity(WRITE_CONCURRENCY).await {
            abort(writer).await;
            return Err(err.into());
        }
        w.put(chunk);
    }
    let digest = hasher.map(Hasher::finish);
    if let Some(expect) = expect
        && digest.as_deref() != Some(expect.as_str())
    {
        abort(writer).await;
        return Err(mismatch(expect, digest.as_deref()));
    }
    if let Some(w) = writer {
        w.finish().await?;
    }
    Ok(Written { len, digest })
}

/// The `DIGEST_INVALID` answer for content that hashes to `actual` instead of `expect`.
pub fn mismatch(expect: &Digest, actual: Option<&str>) -> RegistryError {
    oci(
        OciCode::DigestInvalid,
        format!("content does not match digest {expect}"),
    )
    .with_detail(serde_json::json!({ "expected": expect.as_str(), "actual": actual }))
}

async fn abort(writer: Option<WriteMultipart>) {
    if let Some(w) = writer {
        let _ = w.abort().await;
    }
}

/// The 413 answer for content over `limit` bytes.
pub fn too_large(limit: u64) -> RegistryError {
    oci(
        OciCode::SizeInvalid,
        format!("content larger than the limit of {limit} bytes"),
    )
    .with_status(axum::http::StatusCode::PAYLOAD_TOO_LARGE)
}

/// Read size of local files (object_store's own local reads go 8 KiB at a time).
const READ_CHUNK: usize = 512 * 1024;

/// A byte stream of `range` (the whole object when `None`) of the object at `key`.
pub async fn read(
    store: &dyn ObjectStore,
    key: &Path,
    range: Option<Range<u64>>,
) -> Result<BoxStream<'static, std::io::Result<Bytes>>, RegistryError> {
    let options = GetOptions {
        range: range.map(GetRange::Bounded),
        ..GetOptions::default()
    };
    let got = store.get_opts(key, options).await?;
    let span = got.range.clone();
    Ok(match got.payload {
        GetResultPayload::File(file, _) => {
            let mut file = tokio::fs::File::from_std(file);
            file.seek(std::io::SeekFrom::Start(span.start)).await?;
            ReaderStream::with_capacity(file.take(span.end - span.start), READ_CHUNK).boxed()
        }
        GetResultPayload::Stream(stream) => stream.map_err(std::io::Error::other).boxed(),
    })
}

/// The bytes of `keys` in order, as one stream.
pub fn concat(
    store: Arc<dyn ObjectStore>,
    keys: Vec<Path>,
) -> impl Stream<Item = std::io::Result<Bytes>> + Send + 'static {
    futures::stream::iter(keys)
        .then(move |key| {
            let store = store.clone();
            async move { read(store.as_ref(), &key, None).await }
        })
        .flat_map(|got| match got {
            Ok(stream) => stream,
            Err(err) => {
                futures::stream::once(async move { Err(std::io::Error::other(err.to_string())) })
                    .boxed()
            }
        })
}

/// Stores small content (a manifest) under its digest.
pub async fn put_small(
    store: &dyn ObjectStore,
    digest: &Digest,
    bytes: Bytes,
) -> Result<(), RegistryError> {
    store
        .put(&blob_key(digest), PutPayload::from_bytes(bytes))
        .await?;
    Ok(())
}
