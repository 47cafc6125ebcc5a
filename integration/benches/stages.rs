//! Where the time of one `bencher run --image` goes, stage by stage (`cargo bench -p
//! bencher-integration --bench stages`; env `BENCHER_BENCH_JOBS`, default 30).
//!
//! Starts the [`Sandbox`] (nats-server, SQLite, registry, the whole stack in-process, one
//! runner), pushes a trivial image printing BMF, runs it once to warm the runner's image
//! cache, then runs N jobs one after the other with the real CLI binary. Each job's stage
//! timestamps come from the events stream (the time JetStream stored each event; the events'
//! own `at` agrees to well under a millisecond) and from the CLI's output, each line stamped
//! as it arrives here. Every clock is this machine's wall clock.
//!
//! Stages: CLI spawned ("submit") → `requested` stored → `dispatched` → `running` (the runner
//! started the container) → `completed` (container exit, output collected) → `processed` →
//! the CLI printed the report's last line. "System overhead" is everything but the
//! container's own wall time; "first status" is the first `Job status:` line after submit.

#![allow(clippy::print_stdout)]

use std::time::Duration;

use anyhow::Context;
use bencher_integration::cli::{Stream, Timed, run_args};
use bencher_integration::probe::EventLog;
use bencher_integration::{BMF_SCRIPT, Sandbox, bencher};
use bencher_wire::ids::JobUuid;
use bencher_wire::msg::JobEvent;
use bencher_wire::nats::JobEventKind as Kind;
use chrono::{DateTime, Utc};

/// How long one job may take before the benchmark gives up.
const JOB_DEADLINE: Duration = Duration::from_secs(60);

/// One job's durations, in milliseconds.
struct Sample {
    stages: [f64; 6],
    container: f64,
    overhead: f64,
    total: f64,
    first_status: f64,
    first_status_after_post: f64,
}

const STAGES: [&str; 6] = [
    "submit -> requested",
    "requested -> dispatched",
    "dispatched -> running",
    "running -> container exit",
    "container exit -> processed",
    "processed -> CLI printed",
];

fn ms(from: DateTime<Utc>, to: DateTime<Utc>) -> f64 {
    (to - from).num_microseconds().unwrap_or(i64::MAX) as f64 / 1000.0
}

fn main() -> anyhow::Result<()> {
    let jobs: usize = match std::env::var("BENCHER_BENCH_JOBS") {
        Ok(n) => n.parse().context("BENCHER_BENCH_JOBS")?,
        Err(_) => 30,
    };
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?
        .block_on(bench(jobs))
}

async fn bench(jobs: usize) -> anyhow::Result<()> {
    let sandbox = Sandbox::start().await?;
    let mut events = sandbox.events().await?;
    let image = sandbox.push_script_image("trivial:v1", BMF_SCRIPT).await?;
    // Warm the image cache (and every connection pool) with one run.
    run_one(&sandbox, &mut events, &image).await?;
    let mut samples = Vec::with_capacity(jobs);
    for _ in 0..jobs {
        samples.push(run_one(&sandbox, &mut events, &image).await?);
    }
    print_table(&samples);
    sandbox.stop().await
}

async fn run_one(sandbox: &Sandbox, events: &mut EventLog, image: &str) -> anyhow::Result<Sample> {
    let mut cli = bencher!(sandbox);
    cli.args(run_args("speed", image));
    let timed = Timed::spawn(cli)?;
    let out = tokio::task::spawn_blocking(move || timed.finish()).await??;
    anyhow::ensure!(out.success, "the run failed:\n{}", out.text(Stream::Stderr));
    let submitted = out
        .first(Stream::Stderr, "submitted")
        .context("no `Job ... submitted` line")?;
    let job: JobUuid = submitted
        .text
        .split_whitespace()
        .nth(1)
        .context("no job id")?
        .parse()?;
    let first_status = out
        .first(Stream::Stderr, "Job status:")
        .context("no status line")?;
    let printed = out.last(Stream::Stdout).context("no report printed")?;

    let mut at = Vec::new();
    for kind in [
        Kind::Requested,
        Kind::Dispatched,
        Kind::Running,
        Kind::Completed,
        Kind::Processed,
    ] {
        at.push(events.wait_event(job, kind, JOB_DEADLINE).await?);
    }
    let completed = &at[3];
    let JobEvent::Completed { results, .. } = &completed.message.event else {
        anyhow::bail!("not a completed event");
    };
    let container = results.iter().map(|r| r.wall_time_ns).sum::<u64>() as f64 / 1e6;
    let times: Vec<DateTime<Utc>> = std::iter::once(out.spawned)
        .chain(at.iter().map(|e| e.stored))
        .chain(std::iter::once(printed.at))
        .collect();
    let mut stages = [0.0; 6];
    for (i, stage) in stages.iter_mut().enumerate() {
        *stage = ms(times[i], times[i + 1]);
    }
    let total = ms(out.spawned, printed.at);
    Ok(Sample {
        stages,
        container,
        overhead: total - container,
        total,
        first_status: ms(out.spawned, first_status.at),
        first_status_after_post: ms(submitted.at, first_status.at),
    })
}

/// Median and 95th percentile (nearest rank).
fn quantiles(mut values: Vec<f64>) -> (f64, f64) {
    values.sort_by(f64::total_cmp);
    let rank = |q: f64| {
        let i = ((q * values.len() as f64).ceil() as usize).clamp(1, values.len());
        values[i - 1]
    };
    (rank(0.5), rank(0.95))
}

fn print_table(samples: &[Sample]) {
    let row = |name: &str, values: Vec<f64>, target: &str| {
        let (median, p95) = quantiles(values);
        println!("{name:<44} {median:>9.1} {p95:>9.1}   {target}");
    };
    println!(
        "\n{} jobs of a trivial image, one after the other (ms)\n",
        samples.len()
    );
    println!("{:<44} {:>9} {:>9}   target", "stage", "median", "p95");
    println!("{}", "-".repeat(76));
    for (i, name) in STAGES.iter().enumerate() {
        row(name, samples.iter().map(|s| s.stages[i]).collect(), "");
    }
    println!("{}", "-".repeat(76));
    row(
        "total (CLI spawned -> report printed)",
        samples.iter().map(|s| s.total).collect(),
        "",
    );
    row(
        "container's own run (wall time)",
        samples.iter().map(|s| s.container).collect(),
        "",
    );
    row(
        "system overhead (total - container)",
        samples.iter().map(|s| s.overhead).collect(),
        "< 100 at the median",
    );
    row(
        "first status on the CLI after submit",
        samples.iter().map(|s| s.first_status).collect(),
        "< 50",
    );
    row(
        "  of which after the POST was answered",
        samples.iter().map(|s| s.first_status_after_post).collect(),
        "",
    );
}
