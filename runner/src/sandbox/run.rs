//! Run a bundle with `runc run --keep`, streaming its output, enforcing the timeout and
//! cancellation, reading peak memory and CPU time from the kept cgroup, then deleting it.

use std::path::Path;
use std::process::Stdio;
use std::time::{Duration, Instant};

use tokio::io::{AsyncRead, AsyncReadExt};
use tokio::process::Command;
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use super::SandboxConfig;
use super::bundle::Bundle;
use super::error::SandboxError;

/// How long to wait for `runc run` to return after a kill before killing again.
const KILL_RETRY: Duration = Duration::from_millis(100);

/// Longest log line sent as one; longer ones are split.
const MAX_LINE: usize = 64 * 1024;

/// Which output a log line came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Stream {
    /// The container's stdout.
    Stdout,
    /// The container's stderr.
    Stderr,
}

/// One line of container output, sent as soon as it is written.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LogLine {
    /// stdout or stderr.
    pub stream: Stream,
    /// The line without its newline (lossy UTF-8).
    pub line: String,
}

/// How a container run ended.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ContainerOutcome {
    /// Exit code; 128 + signal when killed (137 for SIGKILL, including OOM kills).
    pub exit_code: i32,
    /// Captured stdout, at most [`SandboxConfig::output_cap`] bytes.
    pub stdout: Vec<u8>,
    /// Captured stderr, at most [`SandboxConfig::output_cap`] bytes.
    pub stderr: Vec<u8>,
    /// stdout exceeded the cap.
    pub stdout_truncated: bool,
    /// stderr exceeded the cap.
    pub stderr_truncated: bool,
    /// Wall time from `runc run` to its exit (includes container start, ~30 ms).
    pub wall_time: Duration,
    /// CPU time of the container's cgroup (`cpuacct.usage`).
    pub cpu_time: Option<Duration>,
    /// Peak memory of the container's cgroup (`memory.max_usage_in_bytes`).
    pub peak_memory: Option<u64>,
    /// Killed because the timeout passed.
    pub timed_out: bool,
    /// Killed because the cancel token fired.
    pub canceled: bool,
    /// Log lines not streamed because the channel was full (still captured).
    pub dropped_log_lines: u64,
}

/// Runs the bundle to completion, timeout or cancellation; always deletes the container.
pub async fn run_container(
    config: &SandboxConfig,
    bundle: &Bundle,
    timeout: Duration,
    cancel: CancellationToken,
    logs: Option<mpsc::Sender<LogLine>>,
) -> Result<ContainerOutcome, SandboxError> {
    let state = config.work_dir.join("runc-state");
    tokio::fs::create_dir_all(&state)
        .await
        .map_err(|e| SandboxError::io(&state, e))?;
    let start = Instant::now();
    let mut guard = DeleteOnDrop {
        runtime: config.runtime.clone(),
        state: state.clone(),
        id: bundle.id.clone(),
        armed: true,
    };
    let mut child = runc(config, &state)
        .args(["run", "--keep", "--bundle"])
        .arg(&bundle.dir)
        .arg(&bundle.id)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| SandboxError::Runtime {
            command: format!("{} run", config.runtime.display()),
            message: e.to_string(),
        })?;
    let cap = config.output_cap;
    let stdout = child
        .stdout
        .take()
        .map(|out| tokio::spawn(capture(out, Stream::Stdout, cap, logs.clone())));
    let stderr = child
        .stderr
        .take()
        .map(|err| tokio::spawn(capture(err, Stream::Stderr, cap, logs)));

    let mut outcome = ContainerOutcome::default();
    let status = tokio::select! {
        status = child.wait() => Some(status),
        () = tokio::time::sleep(timeout) => { outcome.timed_out = true; None }
        () = cancel.cancelled() => { outcome.canceled = true; None }
    };
    let status = match status {
        Some(status) => status,
        // A cancel can come before runc has created the container, when `runc kill` finds
        // nothing to kill: keep killing until `runc run` returns.
        None => loop {
            kill(config, &state, &bundle.id).await;
            if let Ok(status) = tokio::time::timeout(KILL_RETRY, child.wait()).await {
                break status;
            }
        },
    };
    outcome.wall_time = start.elapsed();
    let status = status.map_err(|e| SandboxError::Runtime {
        command: format!("{} run", config.runtime.display()),
        message: e.to_string(),
    });
    for (task, stream) in [(stdout, Stream::Stdout), (stderr, Stream::Stderr)] {
        let Some(Ok(captured)) = futures::future::OptionFuture::from(task).await else {
            continue;
        };
        outcome.dropped_log_lines += captured.dropped;
        match stream {
            Stream::Stdout => {
                (outcome.stdout, outcome.stdout_truncated) = (captured.bytes, captured.truncated)
            }
            Stream::Stderr => {
                (outcome.stderr, outcome.stderr_truncated) = (captured.bytes, captured.truncated)
            }
        }
    }
    let started = container_exists(config, &state, &bundle.id).await;
    outcome.peak_memory =
        read_cgroup("memory", &bundle.cgroups_path, "memory.max_usage_in_bytes").await;
    outcome.cpu_time = read_cgroup("cpuacct", &bundle.cgroups_path, "cpuacct.usage")
        .await
        .map(Duration::from_nanos);
    delete(config, &state, &bundle.id).await;
    guard.armed = false;

    let status = status?;
    outcome.exit_code = exit_code(status);
    if !started && !outcome.timed_out && !outcome.canceled {
        return Err(SandboxError::Runtime {
            command: format!("{} run", config.runtime.display()),
            message: String::from_utf8_lossy(&outcome.stderr).trim().to_owned(),
        });
    }
    tracing::debug!(
        container = %bundle.id,
        exit_code = outcome.exit_code,
        wall_ms = outcome.wall_time.as_millis() as u64,
        "container finished"
    );
    Ok(outcome)
}

/// Deletes the container (killing it) if the run future is dropped before it finished, e.g.
/// when the task running it is aborted: a container must never outlive its run.
struct DeleteOnDrop {
    runtime: std::path::PathBuf,
    state: std::path::PathBuf,
    id: String,
    armed: bool,
}

impl Drop for DeleteOnDrop {
    fn drop(&mut self) {
        if !self.armed {
            return;
        }
        let status = std::process::Command::new(&self.runtime)
            .arg("--root")
            .arg(&self.state)
            .args(["delete", "--force", &self.id])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
        tracing::warn!(container = %self.id, ok = status.is_ok_and(|s| s.success()), "run abandoned, container deleted");
    }
}

fn runc(config: &SandboxConfig, state: &Path) -> Command {
    let mut cmd = Command::new(&config.runtime);
    cmd.arg("--root").arg(state);
    cmd
}

fn exit_code(status: std::process::ExitStatus) -> i32 {
    use std::os::unix::process::ExitStatusExt;
    status
        .code()
        .or_else(|| status.signal().map(|s| 128 + s))
        .unwrap_or(-1)
}

async fn kill(config: &SandboxConfig, state: &Path, id: &str) {
    let result = runc(config, state)
        .args(["kill", id, "KILL"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .await;
    if let Err(e) = result {
        tracing::warn!(container = %id, error = %e, "runc kill failed");
    }
}

async fn container_exists(config: &SandboxConfig, state: &Path, id: &str) -> bool {
    runc(config, state)
        .args(["state", id])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .await
        .is_ok_and(|s| s.success())
}

async fn delete(config: &SandboxConfig, state: &Path, id: &str) {
    let result = runc(config, state)
        .args(["delete", "--force", id])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .await;
    if let Err(e) = result {
        tracing::warn!(container = %id, error = %e, "runc delete failed");
    }
}

async fn read_cgroup(controller: &str, cgroups_path: &str, file: &str) -> Option<u64> {
    let path = Path::new("/sys/fs/cgroup")
        .join(controller)
        .join(cgroups_path.trim_start_matches('/'))
        .join(file);
    tokio::fs::read_to_string(path)
        .await
        .ok()?
        .trim()
        .parse()
        .ok()
}

/// What one output stream produced.
struct Captured {
    bytes: Vec<u8>,
    truncated: bool,
    dropped: u64,
}

/// Reads a stream to its end: keeps up to `cap` bytes, sends each line to `logs`.
async fn capture(
    mut reader: impl AsyncRead + Unpin,
    stream: Stream,
    cap: usize,
    mut logs: Option<mpsc::Sender<LogLine>>,
) -> Captured {
    let mut captured = Captured {
        bytes: Vec::new(),
        truncated: false,
        dropped: 0,
    };
    let mut pending: Vec<u8> = Vec::new();
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        let n = match reader.read(&mut buf).await {
            Ok(0) | Err(_) => break,
            Ok(n) => n,
        };
        let chunk = buf.get(..n).unwrap_or_default();
        let room = cap.saturating_sub(captured.bytes.len());
        captured
            .bytes
            .extend_from_slice(chunk.get(..room.min(n)).unwrap_or_default());
        captured.truncated |= n > room;
        if logs.is_none() {
            continue;
        }
        pending.extend_from_slice(chunk);
        while let Some(pos) = pending.iter().position(|b| *b == b'\n') {
            let line: Vec<u8> = pending.drain(..=pos).collect();
            send(&mut logs, stream, &line, &mut captured.dropped);
        }
        if pending.len() >= MAX_LINE {
            let line = std::mem::take(&mut pending);
            send(&mut logs, stream, &line, &mut captured.dropped);
        }
    }
    if !pending.is_empty() {
        send(&mut logs, stream, &pending, &mut captured.dropped);
    }
    captured
}

fn send(logs: &mut Option<mpsc::Sender<LogLine>>, stream: Stream, line: &[u8], dropped: &mut u64) {
    let Some(sender) = logs else { return };
    let line = line.strip_suffix(b"\n").unwrap_or(line);
    let line = line.strip_suffix(b"\r").unwrap_or(line);
    let message = LogLine {
        stream,
        line: String::from_utf8_lossy(line).into_owned(),
    };
    match sender.try_send(message) {
        Ok(()) => {}
        Err(mpsc::error::TrySendError::Full(_)) => *dropped += 1,
        Err(mpsc::error::TrySendError::Closed(_)) => *logs = None,
    }
}
