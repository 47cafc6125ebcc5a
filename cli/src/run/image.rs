//! `bencher run --image`: submit the job, follow it live (NATS, else server-sent events, with
//! polling as a safety net), then print the processed report.

use std::io::IsTerminal;
use std::time::Duration;

use bencher_wire::ids::JobUuid;
use bencher_wire::json::JsonReport;
use bencher_wire::status::JobStatus;

use super::finish;
use crate::Outcome;
use crate::client::ApiClient;
use crate::error::CliError;
use crate::parser::{OutputFormat, RunArgs};
use crate::watch::{FollowEnd, Follower, JobEnd, LogSink};

/// How often the job is polled over HTTP while a live source runs (Bencher polls every 5 s).
pub const POLL_EVERY: Duration = Duration::from_secs(5);

/// Submit and follow an image job.
pub async fn run(args: RunArgs) -> Result<Outcome, CliError> {
    let client = ApiClient::new(&args.backend)?;
    let new_run = super::new_run(&args, Vec::new(), None)?;
    let report = client.post_run(&new_run).await?;
    let job = report
        .job
        .clone()
        .ok_or_else(|| CliError::Protocol("the run was accepted without a job".to_owned()))?;
    let project = report.project.uuid.to_string();
    let follow_hint = format!(
        "bencher job logs --host {} --project {} {}",
        client.host(),
        report.project.slug,
        job.uuid
    );
    if args.detach {
        match args.format {
            OutputFormat::Json => println!("{}", serde_json::to_string_pretty(&report)?),
            OutputFormat::Human => println!("{}", job.uuid),
        }
        eprintln!(
            "Job {} submitted (report {}). Follow it with:\n  {follow_hint}",
            job.uuid, report.uuid
        );
        return Ok(Outcome::Success);
    }
    eprintln!("Job {} submitted (report {})", job.uuid, report.uuid);
    let follower = Follower {
        client: &client,
        project: project.clone(),
        job: job.uuid,
        logs: LogSink::Stderr,
        poll_every: POLL_EVERY,
    };
    let source = follower.open_source(job.watch.as_ref(), &args.watch).await;
    match follower.follow(source).await? {
        FollowEnd::Interrupted => interrupted(&client, &project, job.uuid, &follow_hint).await,
        FollowEnd::Ended(end) => ended(&client, &report, end, &args).await,
    }
}

async fn ended(
    client: &ApiClient,
    submitted: &JsonReport,
    end: JobEnd,
    args: &RunArgs,
) -> Result<Outcome, CliError> {
    let project = submitted.project.uuid.to_string();
    let job = submitted.job.as_ref().map(|j| j.uuid);
    if end.status != JobStatus::Processed {
        let reason = end.reason.as_deref().unwrap_or("no reason given");
        eprintln!("Job {}: {reason}", end.status);
        if let Some(job) = job {
            match client.get_job(&project, job, true).await {
                Ok(view) if args.format == OutputFormat::Json => {
                    println!("{}", serde_json::to_string_pretty(&view)?);
                }
                Ok(view) => {
                    for it in view.output.iter().flat_map(|o| &o.results) {
                        for text in [&it.stdout, &it.stderr] {
                            if !text.is_empty() {
                                eprintln!("{}", text.trim_end());
                            }
                        }
                    }
                }
                Err(e) => eprintln!("could not fetch the job's output: {e}"),
            }
        }
        return Ok(Outcome::Failure);
    }
    let report = processed_report(client, &project, submitted).await?;
    let outcome = finish(&report, args.format, args.err)?;
    match end.exit_code {
        Some(code) if code != 0 => {
            eprintln!("the benchmark exited with code {code}");
            Ok(Outcome::Failure)
        }
        _ => Ok(outcome),
    }
}

/// The report once the server's own record of the job says `processed`. The status stream is a
/// projection of the same events and can be a few milliseconds ahead of the job row, so re-read
/// briefly instead of showing a report whose job still says `completed`.
async fn processed_report(
    client: &ApiClient,
    project: &str,
    submitted: &JsonReport,
) -> Result<JsonReport, CliError> {
    const SETTLE: std::time::Duration = std::time::Duration::from_secs(5);
    let deadline = std::time::Instant::now() + SETTLE;
    loop {
        let report = client.get_report(project, submitted.uuid).await?;
        let settled = report
            .job
            .as_ref()
            .is_none_or(|job| job.status == JobStatus::Processed);
        if settled || std::time::Instant::now() >= deadline {
            return Ok(report);
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
}

/// Ctrl-C while following: offer to cancel on a terminal, else leave the job running.
async fn interrupted(
    client: &ApiClient,
    project: &str,
    job: JobUuid,
    follow_hint: &str,
) -> Result<Outcome, CliError> {
    eprintln!();
    if !std::io::stdin().is_terminal() {
        eprintln!(
            "Interrupted: job {job} keeps running on the server. Follow it with:\n  {follow_hint}"
        );
        return Ok(Outcome::Interrupted);
    }
    eprint!("Cancel job {job}? [y/N] ");
    let answer = tokio::select! {
        line = tokio::task::spawn_blocking(|| {
            let mut line = String::new();
            std::io::stdin().read_line(&mut line).map(|_| line)
        }) => line.ok().and_then(Result::ok).unwrap_or_default(),
        _ = tokio::signal::ctrl_c() => String::new(),
    };
    if matches!(answer.trim(), "y" | "Y" | "yes" | "Yes" | "YES") {
        client.cancel_job(project, job).await?;
        eprintln!("Cancel requested for job {job}");
    } else {
        eprintln!("Job {job} keeps running. Follow it with:\n  {follow_hint}");
    }
    Ok(Outcome::Interrupted)
}
