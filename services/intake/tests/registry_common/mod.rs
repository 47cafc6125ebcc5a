//! Intake in-process on 127.0.0.1:0 with the built-in registry storing blobs in a temporary
//! directory, against a real nats-server and a real database; skopeo/umoci helpers.

#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::Command;
use std::sync::Arc;

use anyhow::Result;
use bencher_db::DatabaseConnection;
use bencher_intake::{IntakeError, IntakeState, PublicUrls};
use bencher_runtime::{Config, Metrics, ServiceContext, Shutdown, provision};
use bencher_testkit::db::{Backend, TestDb};
use bencher_testkit::nats::NatsServer;
use bencher_testkit::oci::run;
use sha2::Digest as _;
use tempfile::TempDir;
use tokio::net::TcpListener;
use tokio::task::JoinHandle;

/// nats-server, a database, a blob directory and a serving intake.
pub struct RegistryStack {
    pub db: DatabaseConnection,
    pub state: IntakeState,
    pub addr: SocketAddr,
    pub http: reqwest::Client,
    pub config: Arc<Config>,
    pub nats: NatsServer,
    pub data: TempDir,
    shutdown: Shutdown,
    task: Option<JoinHandle<Result<(), IntakeError>>>,
    test_db: Option<TestDb>,
}

impl RegistryStack {
    /// On SQLite with default registry settings.
    pub async fn start() -> Result<Self> {
        Self::start_with(Backend::Sqlite, |_| {}).await
    }

    /// On `backend` with the configuration adjusted by `tune`.
    pub async fn start_with(backend: Backend, tune: impl FnOnce(&mut Config)) -> Result<Self> {
        let _ = rustls::crypto::ring::default_provider().install_default();
        let nats = NatsServer::start().await?;
        let test_db = TestDb::new(backend).await?;
        let data = tempfile::tempdir()?;
        let mut config = Config {
            data_dir: data.path().to_owned(),
            ..Config::default()
        };
        config.nats.urls = vec![nats.url()];
        tune(&mut config);
        let config = Arc::new(config);
        let client = async_nats::connect(nats.url()).await?;
        let ctx = ServiceContext::new(config.clone(), client, Metrics::new())?;
        provision(&ctx.js, &ctx.topology).await?;
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        let addr = listener.local_addr()?;
        let public = PublicUrls {
            http: format!("http://{addr}"),
            nats: vec![nats.url()],
        };
        let db = test_db.conn().clone();
        let state = IntakeState::new(ctx, db.clone(), public);
        let shutdown = Shutdown::new();
        let task = tokio::spawn(bencher_intake::serve(
            state.clone(),
            listener,
            shutdown.clone(),
        ));
        Ok(Self {
            db,
            state,
            addr,
            http: reqwest::Client::new(),
            config,
            nats,
            data,
            shutdown,
            task: Some(task),
            test_db: Some(test_db),
        })
    }

    /// `127.0.0.1:<port>`.
    pub fn host(&self) -> String {
        self.addr.to_string()
    }

    /// `http://127.0.0.1:<port><path>`.
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    /// The blob directory.
    pub fn blob_dir(&self) -> PathBuf {
        self.config.registry_storage_dir()
    }

    /// Regular files under the blob directory (blobs, manifests and upload chunks).
    pub fn stored_files(&self) -> Vec<PathBuf> {
        fn walk(dir: &std::path::Path, out: &mut Vec<PathBuf>) {
            let Ok(entries) = std::fs::read_dir(dir) else {
                return;
            };
            for entry in entries.flatten() {
                let path = entry.path();
                if path.is_dir() {
                    walk(&path, out);
                } else {
                    out.push(path);
                }
            }
        }
        let mut out = Vec::new();
        walk(&self.blob_dir(), &mut out);
        out.sort();
        out
    }

    /// `skopeo copy` from `src` to `docker://<host>/<dest>` with extra flags.
    pub fn skopeo_push(&self, src: &str, dest: &str, flags: &[&str]) -> Result<()> {
        run(Command::new("skopeo")
            .args(["copy", "--quiet", "--dest-tls-verify=false"])
            .args(flags)
            .arg(src)
            .arg(format!("docker://{}/{dest}", self.host())))?;
        Ok(())
    }

    /// `skopeo inspect [--raw]` of `docker://<host>/<reference>`.
    pub fn skopeo_inspect(&self, reference: &str, raw: bool) -> Result<String> {
        let mut cmd = Command::new("skopeo");
        cmd.args(["inspect", "--tls-verify=false"]);
        if raw {
            cmd.arg("--raw");
        }
        run(cmd.arg(format!("docker://{}/{reference}", self.host())))
    }

    /// Stop intake and drop the database.
    pub async fn stop(mut self) -> Result<()> {
        self.shutdown.trigger();
        if let Some(task) = self.task.take() {
            task.await??;
        }
        if let Some(db) = self.test_db.take() {
            db.cleanup().await?;
        }
        Ok(())
    }
}

/// `sha256:<hex>` of `bytes`.
pub fn sha256(bytes: &[u8]) -> String {
    format!("sha256:{}", hex::encode(sha2::Sha256::digest(bytes)))
}

/// A busybox image tagged `tag` in a new umoci layout; the layout (keep it alive) and the
/// `oci:DIR:TAG` source name.
pub fn busybox_layout(tag: &str) -> Result<(bencher_testkit::oci::Layout, String)> {
    let layout = bencher_testkit::oci::Layout::new()?;
    bencher_testkit::oci::busybox_image(&layout, tag)?;
    let src = format!("oci:{}:{tag}", layout.path().display());
    Ok((layout, src))
}

/// The `code` of the first spec error of a response body.
pub async fn error_code(response: reqwest::Response) -> Result<String> {
    let body: serde_json::Value = response.json().await?;
    Ok(body["errors"][0]["code"]
        .as_str()
        .unwrap_or_default()
        .to_owned())
}

impl RegistryStack {
    /// Monolithic upload of `bytes` to `repo` (`POST ?digest=`); the digest.
    pub async fn push_blob(&self, repo: &str, bytes: &[u8]) -> Result<String> {
        let digest = sha256(bytes);
        let response = self
            .http
            .post(self.url(&format!("/v2/{repo}/blobs/uploads/?digest={digest}")))
            .body(bytes.to_vec())
            .send()
            .await?;
        anyhow::ensure!(response.status() == 201, "push blob: {}", response.status());
        Ok(digest)
    }

    /// `PUT` a manifest of `media_type` at `reference`.
    pub async fn put_manifest(
        &self,
        repo: &str,
        reference: &str,
        media_type: &str,
        body: &serde_json::Value,
    ) -> Result<reqwest::Response> {
        Ok(self
            .http
            .put(self.url(&format!("/v2/{repo}/manifests/{reference}")))
            .header("content-type", media_type)
            .body(serde_json::to_vec(body)?)
            .send()
            .await?)
    }

    /// Pushes a config and a layer and returns an OCI image manifest over them.
    pub async fn image_manifest(&self, repo: &str, seed: &str) -> Result<serde_json::Value> {
        let config = format!("{{\"architecture\":\"amd64\",\"os\":\"linux\",\"seed\":\"{seed}\"}}");
        let layer = format!("layer of {seed}");
        let config_digest = self.push_blob(repo, config.as_bytes()).await?;
        let layer_digest = self.push_blob(repo, layer.as_bytes()).await?;
        Ok(serde_json::json!({
            "schemaVersion": 2,
            "mediaType": OCI_MANIFEST,
            "config": {
                "mediaType": "application/vnd.oci.image.config.v1+json",
                "digest": config_digest,
                "size": config.len(),
            },
            "layers": [{
                "mediaType": "application/vnd.oci.image.layer.v1.tar",
                "digest": layer_digest,
                "size": layer.len(),
            }],
        }))
    }
}

/// OCI image manifest media type.
pub const OCI_MANIFEST: &str = "application/vnd.oci.image.manifest.v1+json";
/// OCI image index media type.
pub const OCI_INDEX: &str = "application/vnd.oci.image.index.v1+json";

/// For each `async fn name(backend: Backend) -> Result<()>`, a module `name` with the tests
/// `sqlite` and `postgres` (the latter needs `BENCHER_TEST_POSTGRES_URL`).
#[macro_export]
macro_rules! on_both_backends {
    ($($name:ident),+ $(,)?) => {
        $(
            mod $name {
                #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
                async fn sqlite() -> anyhow::Result<()> {
                    super::$name(bencher_testkit::db::Backend::Sqlite).await
                }

                #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
                async fn postgres() -> anyhow::Result<()> {
                    super::$name(bencher_testkit::db::Backend::Postgres).await
                }
            }
        )+
    };
}
