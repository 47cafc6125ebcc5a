//! `GET .../jobs/{j}/events` read with a raw HTTP client: the current status first, log lines
//! from the start, every newer status (stale ones dropped), then `end` after a terminal status,
//! and the stream closes.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::time::Duration;

use anyhow::Context;
use bencher_wire::ids::{JobUuid, ReportUuid};
use bencher_wire::json::JsonReport;
use bencher_wire::msg::{JobStatusSnapshot, LogLine, LogStream, SchemaV1};
use bencher_wire::status::JobStatus;
use bytes::Bytes;
use common::{Stack, image_run};
use futures::{Stream, StreamExt};

fn snapshot(job: JobUuid, report: ReportUuid, status: JobStatus, sequence: u64) -> Bytes {
    let snapshot = JobStatusSnapshot {
        schema: SchemaV1,
        job,
        report,
        status,
        sequence,
        attempt: 1,
        runner: None,
        iteration: None,
        exit_code: None,
        failure: None,
        cancel: None,
        updated_at: chrono::Utc::now(),
    };
    serde_json::to_vec(&snapshot).unwrap().into()
}

fn log_line(job: JobUuid, seq: u64, line: &str) -> Bytes {
    let line = LogLine {
        schema: SchemaV1,
        job,
        attempt: 1,
        stream: LogStream::Stdout,
        seq,
        line: line.to_owned(),
        at: chrono::Utc::now(),
    };
    serde_json::to_vec(&line).unwrap().into()
}

/// Reads `text/event-stream` frames: (event name, data), skipping keep-alive comments.
struct SseReader<S> {
    body: S,
    buffer: String,
}

impl<S: Stream<Item = reqwest::Result<Bytes>> + Unpin> SseReader<S> {
    /// The next event, `None` when the server closed the stream.
    async fn next(&mut self) -> anyhow::Result<Option<(String, String)>> {
        loop {
            if let Some(end) = self.buffer.find("\n\n") {
                let frame: String = self.buffer.drain(..end + 2).collect();
                let mut event = String::from("message");
                let mut data = Vec::new();
                for line in frame.lines() {
                    if let Some(name) = line.strip_prefix("event:") {
                        event = name.trim().to_owned();
                    } else if let Some(value) = line.strip_prefix("data:") {
                        data.push(value.trim_start().to_owned());
                    }
                }
                if data.is_empty() {
                    continue; // a comment (keep-alive)
                }
                return Ok(Some((event, data.join("\n"))));
            }
            match tokio::time::timeout(Duration::from_secs(10), self.body.next())
                .await
                .context("no event within 10 s")?
            {
                Some(chunk) => self.buffer.push_str(std::str::from_utf8(&chunk?)?),
                None => return Ok(None),
            }
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn events_stream_status_then_changes_and_logs_until_the_end() -> anyhow::Result<()> {
    let stack = Stack::start().await?;
    let report: JsonReport = stack
        .post("/v0/run", &image_run("sse"))
        .await?
        .json()
        .await?;
    let job = report.job.unwrap();
    let (job_id, report_id) = (job.uuid, report.uuid);
    let watch = job.watch.unwrap();
    let kv = stack
        .ctx
        .js
        .get_key_value(watch.status_bucket.clone())
        .await?;
    let key = watch.status_key.clone();
    // Before the client attaches: the current status and the first log line.
    kv.put(&key, snapshot(job_id, report_id, JobStatus::Requested, 1))
        .await?;
    kv.put(&key, snapshot(job_id, report_id, JobStatus::Pending, 2))
        .await?;
    stack
        .ctx
        .js
        .publish(watch.log_subject.clone(), log_line(job_id, 1, "warming up"))
        .await?
        .await?;

    let response = stack.get(&watch.events_url).await?;
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["content-type"], "text/event-stream");
    let mut reader = SseReader {
        body: response.bytes_stream(),
        buffer: String::new(),
    };
    let mut events = Vec::new();
    // The current status (not the history before it) and the first log line, in any order.
    while events.len() < 2 {
        events.push(reader.next().await?.context("closed early")?);
    }
    // Then changes: running, a stale snapshot that must be dropped, a log line, the end.
    kv.put(&key, snapshot(job_id, report_id, JobStatus::Running, 4))
        .await?;
    kv.put(&key, snapshot(job_id, report_id, JobStatus::Claimed, 3))
        .await?;
    stack
        .ctx
        .js
        .publish(watch.log_subject.clone(), log_line(job_id, 2, "done"))
        .await?
        .await?;
    kv.put(&key, snapshot(job_id, report_id, JobStatus::Processed, 6))
        .await?;
    while let Some(event) = reader.next().await? {
        events.push(event);
    }

    let statuses: Vec<(JobStatus, u64)> = events
        .iter()
        .filter(|(name, _)| name == "status")
        .map(|(_, data)| {
            let s: JobStatusSnapshot = serde_json::from_str(data).unwrap();
            (s.status, s.sequence)
        })
        .collect();
    assert_eq!(
        statuses,
        vec![
            (JobStatus::Pending, 2),
            (JobStatus::Running, 4),
            (JobStatus::Processed, 6)
        ]
    );
    let lines: Vec<String> = events
        .iter()
        .filter(|(name, _)| name == "log")
        .map(|(_, data)| serde_json::from_str::<LogLine>(data).unwrap().line)
        .collect();
    assert_eq!(lines, vec!["warming up", "done"]);
    assert_eq!(events.last().unwrap().0, "end", "{events:?}");
    assert_eq!(events.len(), 6, "{events:?}");
    stack.stop().await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn events_of_an_unknown_job_are_404() -> anyhow::Result<()> {
    let stack = Stack::start().await?;
    stack.post("/v0/run", &image_run("sse404")).await?;
    let response = stack
        .get(&format!(
            "/v0/projects/sse404/jobs/{}/events",
            JobUuid::new()
        ))
        .await?;
    assert_eq!(response.status(), 404);
    let response = stack
        .get("/v0/projects/sse404/jobs/not-a-uuid/events")
        .await?;
    assert_eq!(response.status(), 400);
    stack.stop().await
}
