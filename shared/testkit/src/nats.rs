//! A real `nats-server` child process per test.
//!
//! [`NatsServer::start`] runs one JetStream server on a free loopback port with a temporary store;
//! [`NatsCluster::start`] runs a routed cluster of them. Every process is started with
//! `kill_on_drop`, so a test that panics (and unwinds) still ends its servers.
//!
//! The binary is found in this order: env `BENCHER_NATS_SERVER`, then
//! `<workspace root>/.tools/nats/bin/nats-server` (installed by `bash .ci/install`), then
//! `nats-server` on `PATH`. Versions older than 2.11 are refused.

use std::net::{Ipv4Addr, SocketAddr, TcpListener};
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

use anyhow::{Context as _, bail};
use tempfile::TempDir;
use tokio::process::{Child, Command};

/// The oldest server the product supports (KV create, multi-filter consumers, per-message TTL).
const MIN_VERSION: (u32, u32) = (2, 11);
/// How long a server may take to accept connections (and, in a cluster, elect a meta leader).
const START_TIMEOUT: Duration = Duration::from_secs(30);
/// The environment variable naming the `nats-server` binary to use.
pub const NATS_SERVER_ENV: &str = "BENCHER_NATS_SERVER";

/// The `nats-server` binary tests use, after checking its version.
pub fn nats_server_binary() -> anyhow::Result<PathBuf> {
    let candidate = find_binary();
    let output = std::process::Command::new(&candidate)
        .arg("--version")
        .output()
        .with_context(|| {
            format!(
                "cannot run {}: install a current nats-server with `bash .ci/install` \
                 or set {NATS_SERVER_ENV}",
                candidate.display()
            )
        })?;
    let text = String::from_utf8_lossy(&output.stdout);
    let version = parse_version(&text)
        .with_context(|| format!("unexpected `nats-server --version` output {text:?}"))?;
    if version < MIN_VERSION {
        bail!(
            "{} is nats-server {}.{}, older than {}.{}: run `bash .ci/install` or set {NATS_SERVER_ENV}",
            candidate.display(),
            version.0,
            version.1,
            MIN_VERSION.0,
            MIN_VERSION.1
        );
    }
    Ok(candidate)
}

fn find_binary() -> PathBuf {
    if let Some(path) = std::env::var_os(NATS_SERVER_ENV).filter(|p| !p.is_empty()) {
        return PathBuf::from(path);
    }
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
    for dir in manifest.ancestors() {
        let tool = dir.join(".tools/nats/bin/nats-server");
        if tool.is_file() {
            return tool;
        }
    }
    PathBuf::from("nats-server")
}

/// `nats-server: v2.14.6` → `(2, 14)`.
fn parse_version(text: &str) -> Option<(u32, u32)> {
    let v = text.split_whitespace().find_map(|w| w.strip_prefix('v'))?;
    let mut parts = v.split('.');
    let major = parts.next()?.parse().ok()?;
    let minor = parts.next()?.parse().ok()?;
    Some((major, minor))
}

/// A free TCP port on loopback (bound, then released for the server to take).
pub fn free_port() -> anyhow::Result<u16> {
    let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).context("binding a free port")?;
    Ok(listener.local_addr()?.port())
}

/// One `nats-server` process with JetStream, on a fixed port and store directory.
#[derive(Debug)]
pub struct NatsServer {
    // Declared first so the process dies before its store directory is removed.
    child: Option<Child>,
    binary: PathBuf,
    port: u16,
    store: TempDir,
    extra_args: Vec<String>,
}

impl NatsServer {
    /// Starts a single JetStream server on a free port with a fresh store; returns once it
    /// accepts connections and JetStream answers.
    pub async fn start() -> anyhow::Result<NatsServer> {
        let mut server = Self::spawn_with(free_port()?, Vec::new())?;
        server.wait_ready(1).await?;
        Ok(server)
    }

    fn spawn_with(port: u16, extra_args: Vec<String>) -> anyhow::Result<NatsServer> {
        let binary = nats_server_binary()?;
        let store = tempfile::Builder::new()
            .prefix("bencher-nats-")
            .tempdir()
            .context("creating the store dir")?;
        let mut server = NatsServer {
            binary,
            port,
            store,
            extra_args,
            child: None,
        };
        server.spawn()?;
        Ok(server)
    }

    fn spawn(&mut self) -> anyhow::Result<()> {
        let mut cmd = Command::new(&self.binary);
        cmd.arg("-js")
            .arg("-sd")
            .arg(self.store.path())
            .args(["-a", "127.0.0.1", "-p"])
            .arg(self.port.to_string())
            .args(&self.extra_args)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .kill_on_drop(true);
        let child = cmd
            .spawn()
            .with_context(|| format!("starting {}", self.binary.display()))?;
        self.child = Some(child);
        Ok(())
    }

    /// Waits until the server accepts connections and JetStream can hold a stream with
    /// `replicas` copies (in a cluster that needs an elected meta leader and enough peers).
    async fn wait_ready(&mut self, replicas: usize) -> anyhow::Result<()> {
        let deadline = Instant::now() + START_TIMEOUT;
        let mut last_error = String::from("not started");
        while Instant::now() < deadline {
            if let Some(child) = self.child.as_mut()
                && let Some(status) = child.try_wait()?
            {
                bail!("nats-server on port {} exited with {status}", self.port);
            }
            match probe_jetstream(&self.url(), replicas).await {
                Ok(()) => return Ok(()),
                Err(e) => last_error = format!("{e:#}"),
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        bail!(
            "nats-server on port {} not ready after {START_TIMEOUT:?}: {last_error}",
            self.port
        )
    }

    /// The client URL, `nats://127.0.0.1:<port>`.
    pub fn url(&self) -> String {
        format!("nats://127.0.0.1:{}", self.port)
    }

    /// The client port.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// The JetStream store directory (kept across [`restart`](Self::restart)).
    pub fn store_dir(&self) -> &Path {
        self.store.path()
    }

    /// Whether the process is running (not killed by [`kill`](Self::kill)).
    pub fn is_running(&self) -> bool {
        self.child.is_some()
    }

    /// Kills the process (SIGKILL, no clean shutdown) and waits for it to exit.
    pub async fn kill(&mut self) -> anyhow::Result<()> {
        if let Some(mut child) = self.child.take() {
            child.kill().await.context("killing nats-server")?;
        }
        Ok(())
    }

    /// Kills the process and starts it again on the same port and store; returns once ready.
    pub async fn restart(&mut self) -> anyhow::Result<()> {
        self.kill().await?;
        self.start_again().await
    }

    /// Starts a killed server again on the same port and store; returns once it accepts
    /// connections (JetStream may still be recovering its streams in a cluster).
    pub async fn start_again(&mut self) -> anyhow::Result<()> {
        if self.child.is_some() {
            bail!("nats-server on port {} is already running", self.port);
        }
        self.spawn()?;
        self.wait_ready(1).await
    }
}

/// Succeeds once a client can connect and JetStream creates (then deletes) a probe stream with
/// `replicas` copies.
async fn probe_jetstream(url: &str, replicas: usize) -> anyhow::Result<()> {
    let client = async_nats::ConnectOptions::new()
        .connection_timeout(Duration::from_millis(500))
        .connect(url)
        .await?;
    let mut js = async_nats::jetstream::new(client.clone());
    js.set_timeout(Duration::from_secs(2));
    let name = format!("TESTKIT_PROBE_{}", std::process::id());
    let result = async {
        js.get_or_create_stream(async_nats::jetstream::stream::Config {
            name: name.clone(),
            subjects: vec![format!("testkit.probe.{}", std::process::id())],
            storage: async_nats::jetstream::stream::StorageType::Memory,
            num_replicas: replicas,
            ..Default::default()
        })
        .await?;
        js.delete_stream(&name).await?;
        anyhow::Ok(())
    }
    .await;
    // Best effort, so the connection does not linger while the caller retries.
    let _ = client.drain().await;
    result
}

/// A routed cluster of JetStream servers on loopback.
#[derive(Debug)]
pub struct NatsCluster {
    nodes: Vec<NatsServer>,
}

impl NatsCluster {
    /// Starts `size` servers (`node-0`…) routed to each other, and waits until JetStream has a
    /// meta leader and accepts streams with `size` replicas.
    pub async fn start(size: usize) -> anyhow::Result<NatsCluster> {
        if size == 0 {
            bail!("a cluster needs at least one node");
        }
        let ports = (0..size)
            .map(|_| Ok((free_port()?, free_port()?)))
            .collect::<anyhow::Result<Vec<(u16, u16)>>>()?;
        let routes = ports
            .iter()
            .map(|(_, cluster)| format!("nats://127.0.0.1:{cluster}"))
            .collect::<Vec<_>>()
            .join(",");
        let mut nodes = Vec::with_capacity(size);
        for (i, (client, cluster)) in ports.iter().enumerate() {
            let args = vec![
                "--server_name".to_owned(),
                format!("node-{i}"),
                "--cluster_name".to_owned(),
                "bencher-test".to_owned(),
                "--cluster".to_owned(),
                format!("nats://127.0.0.1:{cluster}"),
                "--routes".to_owned(),
                routes.clone(),
            ];
            nodes.push(NatsServer::spawn_with(*client, args)?);
        }
        for node in &mut nodes {
            node.wait_ready(size).await?;
        }
        Ok(NatsCluster { nodes })
    }

    /// Every node's client URL.
    pub fn urls(&self) -> Vec<String> {
        self.nodes.iter().map(NatsServer::url).collect()
    }

    /// The number of nodes.
    pub fn len(&self) -> usize {
        self.nodes.len()
    }

    /// Whether the cluster has no nodes (never true for a started cluster).
    pub fn is_empty(&self) -> bool {
        self.nodes.is_empty()
    }

    /// Node `i`, to kill or restart it; `None` when out of range.
    pub fn node(&mut self, i: usize) -> Option<&mut NatsServer> {
        self.nodes.get_mut(i)
    }
}

/// The socket address of a `nats://host:port` URL the kit produced.
pub fn socket_addr(url: &str) -> anyhow::Result<SocketAddr> {
    let rest = url.strip_prefix("nats://").unwrap_or(url);
    rest.parse()
        .with_context(|| format!("not a nats://ip:port url: {url}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_versions() {
        assert_eq!(parse_version("nats-server: v2.14.6\n"), Some((2, 14)));
        assert_eq!(parse_version("nats-server: v2.9.10"), Some((2, 9)));
        assert_eq!(parse_version("garbage"), None);
        assert!((2, 9) < MIN_VERSION && (2, 11) >= MIN_VERSION && (3, 0) > MIN_VERSION);
    }

    #[tokio::test]
    async fn restart_keeps_stream_messages() -> anyhow::Result<()> {
        let mut server = NatsServer::start().await?;
        let port = server.port();
        let client = async_nats::connect(server.url()).await?;
        let js = async_nats::jetstream::new(client);
        js.create_stream(async_nats::jetstream::stream::Config {
            name: "KEEP".into(),
            subjects: vec!["keep.>".into()],
            ..Default::default()
        })
        .await?;
        for i in 0..3 {
            js.publish("keep.x", format!("m{i}").into()).await?.await?;
        }
        server.restart().await?;
        assert_eq!(server.port(), port);
        let client = async_nats::connect(server.url()).await?;
        let js = async_nats::jetstream::new(client);
        let mut stream = js.get_stream("KEEP").await?;
        assert_eq!(stream.info().await?.state.messages, 3);
        let msg = stream.get_raw_message(2).await?;
        assert_eq!(&msg.payload[..], b"m1");
        Ok(())
    }

    #[tokio::test]
    async fn kill_stops_accepting_connections() -> anyhow::Result<()> {
        let mut server = NatsServer::start().await?;
        let addr = socket_addr(&server.url())?;
        assert!(tokio::net::TcpStream::connect(addr).await.is_ok());
        server.kill().await?;
        assert!(!server.is_running());
        assert!(tokio::net::TcpStream::connect(addr).await.is_err());
        Ok(())
    }

    #[tokio::test]
    async fn a_panicking_test_still_kills_its_server() -> anyhow::Result<()> {
        let (tx, rx) = tokio::sync::oneshot::channel();
        let task = tokio::spawn(async move {
            let server = NatsServer::start().await.unwrap();
            tx.send(server.url()).unwrap();
            panic!("test failure while the server runs");
        });
        let url = rx.await?;
        assert!(task.await.unwrap_err().is_panic());
        let addr = socket_addr(&url)?;
        let deadline = Instant::now() + Duration::from_secs(5);
        while tokio::net::TcpStream::connect(addr).await.is_ok() {
            assert!(Instant::now() < deadline, "nats-server outlived the panic");
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        Ok(())
    }

    #[tokio::test]
    async fn cluster_replicates_and_survives_a_node() -> anyhow::Result<()> {
        let mut cluster = NatsCluster::start(3).await?;
        assert_eq!(cluster.urls().len(), 3);
        let client = async_nats::connect(cluster.urls()[0].as_str()).await?;
        let js = async_nats::jetstream::new(client);
        let mut stream = js
            .create_stream(async_nats::jetstream::stream::Config {
                name: "R3".into(),
                subjects: vec!["r3.>".into()],
                num_replicas: 3,
                ..Default::default()
            })
            .await?;
        js.publish("r3.a", "one".into()).await?.await?;
        let info = stream.info().await?;
        assert_eq!(info.config.num_replicas, 3);
        let cluster_info = info.cluster.clone().context("no cluster info")?;
        assert_eq!(cluster_info.replicas.len(), 2);
        // Kill a node that is not the one we are connected to; the stream keeps its message.
        cluster.node(2).context("node 2")?.kill().await?;
        let client = async_nats::connect(cluster.urls()[1].as_str()).await?;
        let js = async_nats::jetstream::new(client);
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            match js.get_stream("R3").await {
                Ok(mut s) => {
                    if s.info().await?.state.messages == 1 {
                        break;
                    }
                }
                Err(e) if Instant::now() > deadline => return Err(e.into()),
                Err(_) => {}
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
        cluster.node(2).context("node 2")?.start_again().await?;
        Ok(())
    }
}
