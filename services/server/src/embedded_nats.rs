//! The `nats-server` child process of `bencherd up`: JetStream with its store under the data dir,
//! listening on loopback only, stopped with bencherd (and killed if bencherd dies first).

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use tokio::net::TcpStream;
use tokio::process::{Child, Command};

/// The oldest nats-server we run against (KV create, multi-filter consumers, per-message TTL).
const MIN_VERSION: (u32, u32) = (2, 11);

/// A running embedded nats-server.
pub struct EmbeddedNats {
    child: Child,
    url: String,
}

impl EmbeddedNats {
    /// Find the nats-server binary: an explicit path, `BENCHER_NATS_SERVER`, the project-local
    /// install of `.ci/install` (`.tools/nats/bin/nats-server`), then `PATH`.
    pub fn locate(explicit: Option<&Path>) -> anyhow::Result<PathBuf> {
        if let Some(path) = explicit {
            return Ok(path.to_owned());
        }
        if let Some(path) = std::env::var_os("BENCHER_NATS_SERVER") {
            return Ok(PathBuf::from(path));
        }
        let local = Path::new(".tools/nats/bin/nats-server");
        if local.exists() {
            return Ok(local.to_owned());
        }
        Ok(PathBuf::from("nats-server"))
    }

    /// Start nats-server on `127.0.0.1:port` with its JetStream store in `store_dir`, and wait
    /// until it accepts connections.
    pub async fn start(binary: &Path, port: u16, store_dir: &Path) -> anyhow::Result<Self> {
        check_version(binary).await?;
        std::fs::create_dir_all(store_dir)
            .with_context(|| format!("creating the NATS store {}", store_dir.display()))?;
        let log_file = std::fs::File::create(store_dir.join("nats-server.log"))
            .context("creating the nats-server log file")?;
        let mut command = if setpriv_available().await {
            // If bencherd dies without running its cleanup (SIGKILL, OOM), the kernel sends the
            // server SIGTERM: no orphaned nats-server keeps the port and the store locked.
            let mut c = Command::new("setpriv");
            c.args(["--pdeathsig", "TERM", "--"]).arg(binary);
            c
        } else {
            Command::new(binary)
        };
        let mut child = command
            .args(["-js", "-a", "127.0.0.1", "-p", &port.to_string(), "-sd"])
            .arg(store_dir)
            .args(["-n", "bencherd-embedded"])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(log_file)
            // Its own process group: a Ctrl-C in the terminal reaches bencherd only, which stops
            // the services first and the server last.
            .process_group(0)
            .kill_on_drop(true)
            .spawn()
            .with_context(|| format!("starting {}", binary.display()))?;
        let url = format!("nats://127.0.0.1:{port}");
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            if let Some(status) = child.try_wait()? {
                bail!(
                    "nats-server exited with {status} before accepting connections (is port {port} \
                     in use? see {})",
                    store_dir.join("nats-server.log").display()
                );
            }
            if TcpStream::connect(("127.0.0.1", port)).await.is_ok() {
                return Ok(Self { child, url });
            }
            if Instant::now() > deadline {
                bail!("nats-server did not accept connections on port {port} within 10 s");
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// The client URL.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// Stop the server: SIGTERM-like graceful stop first (lame duck is not needed on one node),
    /// then a kill if it does not exit in time.
    pub async fn stop(mut self) -> anyhow::Result<()> {
        if let Some(pid) = self.child.id() {
            // nats-server flushes JetStream state on SIGINT/SIGTERM; `kill` would skip that.
            let _ = Command::new("kill")
                .args(["-TERM", &pid.to_string()])
                .status()
                .await;
        }
        match tokio::time::timeout(Duration::from_secs(10), self.child.wait()).await {
            Ok(status) => {
                status.context("waiting for nats-server")?;
            }
            Err(_) => {
                self.child.kill().await.context("killing nats-server")?;
            }
        }
        Ok(())
    }
}

/// `setpriv` (util-linux) can set the parent-death signal without unsafe code in bencherd.
async fn setpriv_available() -> bool {
    Command::new("setpriv")
        .arg("--version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .await
        .is_ok_and(|s| s.success())
}

async fn check_version(binary: &Path) -> anyhow::Result<()> {
    let output = Command::new(binary)
        .arg("--version")
        .output()
        .await
        .with_context(|| {
            format!(
                "running {} --version: install nats-server ≥ {}.{} with `bash .ci/install`, or \
                 pass --nats-url to use a running server",
                binary.display(),
                MIN_VERSION.0,
                MIN_VERSION.1
            )
        })?;
    let text = String::from_utf8_lossy(&output.stdout);
    let version = parse_version(&text)
        .with_context(|| format!("unrecognized nats-server version output {text:?}"))?;
    if version < MIN_VERSION {
        bail!(
            "nats-server {}.{} at {} is too old: bencherd needs ≥ {}.{} (Debian's 2.9 misbehaves \
             with KV and multi-filter consumers); run `bash .ci/install`",
            version.0,
            version.1,
            binary.display(),
            MIN_VERSION.0,
            MIN_VERSION.1
        );
    }
    Ok(())
}

/// `nats-server: v2.14.6` → (2, 14).
fn parse_version(text: &str) -> Option<(u32, u32)> {
    let v = text.trim().rsplit(' ').next()?.trim_start_matches('v');
    let mut parts = v.split('.');
    let major = parts.next()?.parse().ok()?;
    let minor = parts.next()?.parse().ok()?;
    Some((major, minor))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_server_versions() {
        assert_eq!(parse_version("nats-server: v2.14.6\n"), Some((2, 14)));
        assert_eq!(parse_version("nats-server: v2.9.10"), Some((2, 9)));
        assert_eq!(parse_version("garbage"), None);
        assert!(parse_version("nats-server: v2.9.10").unwrap() < MIN_VERSION);
    }
}
