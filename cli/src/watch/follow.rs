//! The follow loop: print each status change and log line as it happens, poll the server as
//! a safety net (and as the only source when no live one is reachable), stop on a terminal
//! status or Ctrl-C.

use std::future::pending;
use std::io::Write;
use std::time::Duration;

use bencher_wire::ids::JobUuid;
use bencher_wire::json::{JsonJob, JsonWatch};
use bencher_wire::msg::{LogLine, LogStream};
use bencher_wire::status::JobStatus;
use tokio::time::{Instant, interval_at, sleep_until};

use super::nats::{NatsWatcher, connect};
use super::sse::SseWatcher;
use super::{EventSource, WatchEvent};
use crate::client::ApiClient;
use crate::error::CliError;
use crate::parser::WatchArgs;

/// Where log lines go.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LogSink {
    /// Everything to standard error (standard output is kept for the report).
    Stderr,
    /// Each line to the stream it was printed on.
    ByStream,
}

/// How a job ended.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct JobEnd {
    /// Its terminal status.
    pub status: JobStatus,
    /// The exit code of its last iteration, when known.
    pub exit_code: Option<i32>,
    /// Why it failed or was canceled.
    pub reason: Option<String>,
}

impl JobEnd {
    /// The end a job view shows.
    pub fn from_job(job: &JsonJob) -> Self {
        let reason = match (&job.failure, &job.cancel) {
            (Some(failure), _) => Some(failure.message()),
            (None, Some(cancel)) => Some(cancel.to_string()),
            (None, None) => None,
        };
        Self {
            status: job.status,
            exit_code: job.exit_code,
            reason,
        }
    }
}

/// Why following stopped.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum FollowEnd {
    /// The job reached a terminal status.
    Ended(JobEnd),
    /// The user pressed Ctrl-C.
    Interrupted,
}

/// Follows one job.
#[derive(Debug)]
pub struct Follower<'a> {
    /// The API.
    pub client: &'a ApiClient,
    /// The job's project (UUID or slug).
    pub project: String,
    /// The job.
    pub job: JobUuid,
    /// Where log lines go.
    pub logs: LogSink,
    /// How often to ask the server for the job's status.
    pub poll_every: Duration,
}

/// How long a live source may lag behind a terminal status the poll saw.
const GRACE: Duration = Duration::from_secs(1);

impl Follower<'_> {
    /// The best live source: NATS (the advertised URLs, or `--nats-url`), else the server's
    /// event stream; `None` when neither answers (then only polling remains).
    pub async fn open_source(
        &self,
        watch: Option<&JsonWatch>,
        args: &WatchArgs,
    ) -> Option<EventSource> {
        let watch = watch?;
        let urls = if args.nats_urls.is_empty() {
            &watch.nats_urls
        } else {
            &args.nats_urls
        };
        if !args.no_nats && !urls.is_empty() {
            let nats = async {
                let client = connect(urls, watch.nats_credentials.as_deref()).await?;
                NatsWatcher::start(&client, watch).await
            };
            match nats.await {
                Ok(watcher) => return Some(EventSource::Nats(watcher)),
                Err(e) => {
                    eprintln!("NATS is unreachable ({e}); following the server's event stream")
                }
            }
        }
        match SseWatcher::start(self.client, &watch.events_url).await {
            Ok(watcher) => Some(EventSource::Sse(watcher)),
            Err(e) => {
                eprintln!("the event stream is unavailable ({e}); polling the server");
                None
            }
        }
    }

    /// Print progress until the job ends or Ctrl-C.
    pub async fn follow(&self, mut source: Option<EventSource>) -> Result<FollowEnd, CliError> {
        let mut shown: Option<JobStatus> = None;
        let first_poll = if source.is_some() {
            Instant::now() + self.poll_every
        } else {
            Instant::now()
        };
        let mut ticker = interval_at(first_poll, self.poll_every);
        let mut polled_end: Option<(JobEnd, Instant)> = None;
        let ctrl_c = tokio::signal::ctrl_c();
        tokio::pin!(ctrl_c);
        // Poll once now: that installs the handler before any output, so a Ctrl-C from here
        // on is always seen (instead of killing the process).
        if futures::poll!(&mut ctrl_c).is_ready() {
            return Ok(FollowEnd::Interrupted);
        }
        loop {
            let deadline = polled_end.as_ref().map(|(_, deadline)| *deadline);
            tokio::select! {
                _ = &mut ctrl_c => return Ok(FollowEnd::Interrupted),
                event = next_event(&mut source) => match event {
                    Some(WatchEvent::Status(snapshot)) => {
                        show_status(&mut shown, snapshot.status);
                        if snapshot.status.is_terminal() {
                            return Ok(FollowEnd::Ended(JobEnd {
                                status: snapshot.status,
                                exit_code: snapshot.exit_code,
                                reason: snapshot.reason(),
                            }));
                        }
                    }
                    Some(WatchEvent::Log(line)) => self.show_line(&line),
                    None => {
                        source = None;
                        if polled_end.is_none() {
                            eprintln!("live updates ended; polling the server");
                            ticker.reset_immediately();
                        }
                    }
                },
                _ = grace_over(deadline) => {
                    if let Some((end, _)) = polled_end.take() {
                        show_status(&mut shown, end.status);
                        return Ok(FollowEnd::Ended(end));
                    }
                }
                _ = ticker.tick(), if polled_end.is_none() => {
                    match self.client.get_job(&self.project, self.job, false).await {
                        Ok(job) if job.status.is_terminal() => {
                            let end = JobEnd::from_job(&job);
                            if source.is_none() {
                                show_status(&mut shown, end.status);
                                return Ok(FollowEnd::Ended(end));
                            }
                            polled_end = Some((end, Instant::now() + GRACE));
                        }
                        Ok(job) => {
                            if source.is_none() {
                                show_status(&mut shown, job.status);
                            }
                        }
                        Err(e) => eprintln!("could not poll the job: {e}"),
                    }
                }
            }
        }
    }

    fn show_line(&self, line: &LogLine) {
        let to_stdout = self.logs == LogSink::ByStream && line.stream == LogStream::Stdout;
        if to_stdout {
            let mut out = std::io::stdout().lock();
            let _ = writeln!(out, "{}", line.line);
            let _ = out.flush();
        } else {
            eprintln!("{}", line.line);
        }
    }
}

async fn grace_over(deadline: Option<Instant>) {
    match deadline {
        Some(deadline) => sleep_until(deadline).await,
        None => pending().await,
    }
}

async fn next_event(source: &mut Option<EventSource>) -> Option<WatchEvent> {
    match source {
        Some(source) => source.next().await,
        None => pending().await,
    }
}

fn show_status(shown: &mut Option<JobStatus>, status: JobStatus) {
    if *shown != Some(status) {
        eprintln!("Job status: {status}");
        *shown = Some(status);
    }
}
