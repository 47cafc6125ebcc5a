//! Running the `bencher` CLI binary: plain runs ([`output`]), `--detach` submissions
//! ([`detached_job`]) and runs whose every output line is timestamped as it arrives
//! ([`Timed`]).

use std::io::{BufRead, BufReader, Read};
use std::process::{Command, Output, Stdio};
use std::sync::mpsc;
use std::thread::JoinHandle;

use anyhow::Context;
use bencher_wire::ids::JobUuid;
use chrono::{DateTime, Utc};

/// `bencher run` arguments for an image job of `project` with the json adapter.
pub fn run_args(project: &str, image: &str) -> Vec<String> {
    [
        "run",
        "--project",
        project,
        "--branch",
        "main",
        "--testbed",
        "localhost",
        "--adapter",
        "json",
        "--image",
        image,
    ]
    .map(str::to_owned)
    .to_vec()
}

/// Runs `command` to its end off the async runtime.
pub async fn output(mut command: Command) -> anyhow::Result<Output> {
    Ok(tokio::task::spawn_blocking(move || command.output()).await??)
}

/// Bytes as text.
pub fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// Runs a `--detach` submission; its stdout is the job id.
pub async fn detached_job(command: Command) -> anyhow::Result<JobUuid> {
    let out = output(command).await?;
    anyhow::ensure!(
        out.status.success(),
        "submission failed: {}",
        text(&out.stderr)
    );
    let id = text(&out.stdout);
    id.trim()
        .parse()
        .with_context(|| format!("a job id on stdout, not {id:?}"))
}

/// Which stream a line came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Stream {
    /// Standard output.
    Stdout,
    /// Standard error.
    Stderr,
}

/// One line of output and when this process read it.
#[derive(Clone, Debug)]
pub struct Line {
    /// When it arrived.
    pub at: DateTime<Utc>,
    /// Where from.
    pub stream: Stream,
    /// The text, without the newline.
    pub text: String,
}

/// A running CLI whose output lines are timestamped as they arrive (one reader thread per
/// stream, so neither blocks the other).
pub struct Timed {
    child: std::process::Child,
    /// When the process was spawned.
    pub spawned: DateTime<Utc>,
    lines: mpsc::Receiver<Line>,
    read: Vec<Line>,
    readers: Vec<JoinHandle<()>>,
}

/// A finished [`Timed`] run.
#[derive(Clone, Debug)]
pub struct TimedOutput {
    /// When the process was spawned.
    pub spawned: DateTime<Utc>,
    /// Every line, in arrival order.
    pub lines: Vec<Line>,
    /// When both streams reached their end.
    pub ended: DateTime<Utc>,
    /// Whether it exited 0.
    pub success: bool,
}

impl TimedOutput {
    /// The first line of `stream` containing `needle`.
    pub fn first(&self, stream: Stream, needle: &str) -> Option<&Line> {
        self.lines
            .iter()
            .find(|l| l.stream == stream && l.text.contains(needle))
    }

    /// The last line of `stream`.
    pub fn last(&self, stream: Stream) -> Option<&Line> {
        self.lines.iter().rev().find(|l| l.stream == stream)
    }

    /// All of `stream`'s text.
    pub fn text(&self, stream: Stream) -> String {
        self.lines
            .iter()
            .filter(|l| l.stream == stream)
            .map(|l| format!("{}\n", l.text))
            .collect()
    }
}

impl Timed {
    /// Spawns `command` with both streams piped.
    pub fn spawn(mut command: Command) -> anyhow::Result<Self> {
        command.stdout(Stdio::piped()).stderr(Stdio::piped());
        let spawned = Utc::now();
        let mut child = command.spawn().context("spawning the CLI")?;
        let (tx, lines) = mpsc::channel();
        let mut readers = Vec::new();
        if let Some(out) = child.stdout.take() {
            readers.push(reader(out, Stream::Stdout, tx.clone()));
        }
        if let Some(err) = child.stderr.take() {
            readers.push(reader(err, Stream::Stderr, tx));
        }
        Ok(Self {
            child,
            spawned,
            lines,
            read: Vec::new(),
            readers,
        })
    }

    /// Waits (blocking) for the next line; `None` when both streams ended. The line is kept
    /// for [`Self::finish`] too.
    pub fn next_line(&mut self) -> Option<Line> {
        let line = self.lines.recv().ok()?;
        self.read.push(line.clone());
        Some(line)
    }

    /// Waits (blocking) for the process and every line.
    pub fn finish(mut self) -> anyhow::Result<TimedOutput> {
        let mut lines = std::mem::take(&mut self.read);
        lines.extend(self.lines.iter());
        let ended = Utc::now();
        for reader in self.readers.drain(..) {
            let _ = reader.join();
        }
        let status = self.child.wait()?;
        Ok(TimedOutput {
            spawned: self.spawned,
            lines,
            ended,
            success: status.success(),
        })
    }
}

fn reader(
    stream: impl Read + Send + 'static,
    which: Stream,
    tx: mpsc::Sender<Line>,
) -> JoinHandle<()> {
    std::thread::spawn(move || {
        for text in BufReader::new(stream).lines().map_while(Result::ok) {
            let line = Line {
                at: Utc::now(),
                stream: which,
                text,
            };
            if tx.send(line).is_err() {
                break;
            }
        }
    })
}
