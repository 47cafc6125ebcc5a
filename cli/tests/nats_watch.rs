//! Proves, against a real `nats-server`, that a job watcher started while the status key
//! already has history gets the current snapshot first (not older history), then every later
//! change exactly once and in order — also while writes race its start — and that the follow
//! loop picks NATS and stops on the terminal status.

use std::time::Duration;

use async_nats::jetstream::{self, kv, stream};
use bencher_cli::client::ApiClient;
use bencher_cli::parser::{BackendArgs, WatchArgs};
use bencher_cli::watch::nats::{NatsWatcher, connect};
use bencher_cli::watch::{EventSource, FollowEnd, Follower, LogSink, WatchEvent};
use bencher_testkit::nats::NatsServer;
use bencher_wire::ids::{JobUuid, ReportUuid};
use bencher_wire::json::JsonWatch;
use bencher_wire::msg::{JobStatusSnapshot, LogLine, LogStream, SchemaV1};
use bencher_wire::nats::{Subjects, Topology};
use bencher_wire::status::JobStatus;
use chrono::Utc;

const LAST: u64 = 40;

fn snapshot(job: JobUuid, report: ReportUuid, sequence: u64) -> JobStatusSnapshot {
    let status = match sequence {
        1 => JobStatus::Requested,
        2 => JobStatus::Pending,
        3 => JobStatus::Claimed,
        LAST => JobStatus::Processed,
        _ => JobStatus::Running,
    };
    JobStatusSnapshot {
        schema: SchemaV1,
        job,
        report,
        status,
        sequence,
        attempt: 1,
        runner: None,
        iteration: u32::try_from(sequence).ok(),
        exit_code: (status == JobStatus::Processed).then_some(0),
        failure: None,
        cancel: None,
        updated_at: Utc::now(),
    }
}

fn log_line(job: JobUuid, seq: u64) -> LogLine {
    LogLine {
        schema: SchemaV1,
        job,
        attempt: 1,
        stream: LogStream::Stdout,
        seq,
        line: format!("line {seq}"),
        at: Utc::now(),
    }
}

struct Fixture {
    _server: NatsServer,
    url: String,
    client: async_nats::Client,
    kv: kv::Store,
    watch: JsonWatch,
    job: JobUuid,
    report: ReportUuid,
}

async fn fixture() -> anyhow::Result<Fixture> {
    let server = NatsServer::start().await?;
    let url = server.url();
    let client = async_nats::connect(url.as_str()).await?;
    let js = jetstream::new(client.clone());
    let subjects = Subjects::default();
    let def = Topology::new(subjects.clone(), 1).job_status_kv();
    let republish = def.republish.as_ref().map(|r| stream::Republish {
        source: r.source.clone(),
        destination: r.destination.clone(),
        headers_only: false,
    });
    let kv = js
        .create_key_value(kv::Config {
            bucket: def.bucket.clone(),
            history: 5,
            republish,
            ..Default::default()
        })
        .await?;
    let job = JobUuid::new();
    let watch = JsonWatch {
        nats_urls: vec![url.clone()],
        nats_credentials: None,
        status_subject: subjects.status(job),
        log_subject: subjects.log(job),
        status_bucket: def.bucket,
        status_key: job.to_string(),
        events_url: String::new(),
    };
    Ok(Fixture {
        _server: server,
        url,
        client,
        kv,
        watch,
        job,
        report: ReportUuid::new(),
    })
}

impl Fixture {
    async fn put(&self, sequence: u64) -> anyhow::Result<()> {
        let body = serde_json::to_vec(&snapshot(self.job, self.report, sequence))?;
        self.kv.put(self.job.to_string(), body.into()).await?;
        Ok(())
    }

    /// Writes `from..=LAST`, re-sending an old snapshot on the status subject midway (a
    /// duplicate the watcher must drop) and a log line after every write.
    async fn write_rest(&self, from: u64) -> anyhow::Result<()> {
        for sequence in from..=LAST {
            self.put(sequence).await?;
            let line = serde_json::to_vec(&log_line(self.job, sequence))?;
            self.client
                .publish(self.watch.log_subject.clone(), line.into())
                .await?;
            if sequence == 20 {
                let old = serde_json::to_vec(&snapshot(self.job, self.report, 10))?;
                self.client
                    .publish(self.watch.status_subject.clone(), old.into())
                    .await?;
            }
        }
        self.client.flush().await?;
        Ok(())
    }
}

/// Statuses and log sequences until the terminal snapshot (then a short drain for logs).
async fn collect(mut watcher: NatsWatcher) -> anyhow::Result<(Vec<u64>, Vec<u64>)> {
    let (mut statuses, mut logs) = (Vec::new(), Vec::new());
    let mut done = false;
    loop {
        let wait = if done {
            Duration::from_millis(300)
        } else {
            Duration::from_secs(15)
        };
        match tokio::time::timeout(wait, watcher.next()).await {
            Ok(Some(WatchEvent::Status(s))) => {
                done |= s.status.is_terminal();
                statuses.push(s.sequence);
            }
            Ok(Some(WatchEvent::Log(l))) => logs.push(l.seq),
            Ok(None) => anyhow::bail!("the watcher ended"),
            Err(_) if done => return Ok((statuses, logs)),
            Err(_) => anyhow::bail!("no terminal status; got {statuses:?}"),
        }
    }
}

#[tokio::test]
async fn a_late_watcher_gets_the_current_value_then_every_change_once() -> anyhow::Result<()> {
    let f = fixture().await?;
    for sequence in 1..=3 {
        f.put(sequence).await?;
    }
    let client = connect(&f.watch.nats_urls, None).await?;
    let watcher = NatsWatcher::start(&client, &f.watch).await?;
    let reader = tokio::spawn(collect(watcher));
    f.write_rest(4).await?;
    let (statuses, logs) = reader.await??;
    // The current value (3), not the history before it; then 4..=40, no gap, no duplicate.
    assert_eq!(statuses, (3..=LAST).collect::<Vec<_>>());
    assert_eq!(logs, (4..=LAST).collect::<Vec<_>>());
    Ok(())
}

#[tokio::test]
async fn a_watcher_started_during_writes_has_no_gap_and_no_duplicate() -> anyhow::Result<()> {
    let f = fixture().await?;
    for sequence in 1..=3 {
        f.put(sequence).await?;
    }
    let mut firsts = Vec::new();
    for _ in 0..5 {
        f.kv.purge(f.job.to_string()).await?;
        f.put(3).await?;
        let writer = async { f.write_rest(4).await };
        let watcher = async {
            // Start while the writer runs: the subscribe / read-current window races it.
            tokio::time::sleep(Duration::from_micros(300)).await;
            let client = connect(std::slice::from_ref(&f.url), None).await?;
            let watcher = NatsWatcher::start(&client, &f.watch).await?;
            collect(watcher).await
        };
        let (written, seen) = tokio::join!(writer, watcher);
        written?;
        let (statuses, _) = seen?;
        let first = *statuses
            .first()
            .ok_or_else(|| anyhow::anyhow!("nothing seen"))?;
        firsts.push(first);
        assert!(first >= 3, "{statuses:?}");
        assert_eq!(statuses, (first..=LAST).collect::<Vec<_>>());
    }
    // At least one watcher really started in the middle of the writes.
    assert!(firsts.iter().any(|f| (4..LAST).contains(f)), "{firsts:?}");
    Ok(())
}

#[tokio::test]
async fn the_follow_loop_uses_nats_and_stops_on_the_terminal_status() -> anyhow::Result<()> {
    let f = fixture().await?;
    for sequence in [1, 2, 3] {
        f.put(sequence).await?;
    }
    // The API is never reached: the poll interval is longer than the test.
    let backend = BackendArgs {
        host: "http://127.0.0.1:9".to_owned(),
        token: None,
    };
    let api = ApiClient::new(&backend)?;
    let follower = Follower {
        client: &api,
        project: "demo".to_owned(),
        job: f.job,
        logs: LogSink::Stderr,
        poll_every: Duration::from_secs(600),
    };
    let source = follower
        .open_source(Some(&f.watch), &WatchArgs::default())
        .await;
    assert!(matches!(source, Some(EventSource::Nats(_))), "{source:?}");
    let follow = tokio::time::timeout(Duration::from_secs(15), follower.follow(source));
    let (end, written) = tokio::join!(follow, f.write_rest(4));
    written?;
    let end = end??;
    let FollowEnd::Ended(end) = end else {
        anyhow::bail!("interrupted")
    };
    assert_eq!(end.status, JobStatus::Processed);
    assert_eq!(end.exit_code, Some(0));
    Ok(())
}
