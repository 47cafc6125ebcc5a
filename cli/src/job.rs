//! `bencher job list|view|cancel|logs`.

use bencher_wire::json::JsonJob;
use bencher_wire::values::ResourceId;

use crate::Outcome;
use crate::client::ApiClient;
use crate::error::CliError;
use crate::parser::{JobCommand, OutputFormat};
use crate::render;
use crate::watch::{FollowEnd, Follower, LogSink};

/// Run a job subcommand.
pub async fn run(command: JobCommand) -> Result<Outcome, CliError> {
    match command {
        JobCommand::List {
            project,
            format,
            backend,
        } => {
            let client = ApiClient::new(&backend)?;
            let jobs = client.list_jobs(&project.to_string()).await?;
            match format {
                OutputFormat::Json => println!("{}", serde_json::to_string_pretty(&jobs)?),
                OutputFormat::Human => print!("{}", render::jobs(&jobs)),
            }
            Ok(Outcome::Success)
        }
        JobCommand::View {
            project,
            job,
            format,
            backend,
        } => {
            let client = ApiClient::new(&backend)?;
            let job = client.get_job(&project.to_string(), job, true).await?;
            match format {
                OutputFormat::Json => println!("{}", serde_json::to_string_pretty(&job)?),
                OutputFormat::Human => print!("{}", render::job(&job)),
            }
            Ok(Outcome::Success)
        }
        JobCommand::Cancel {
            project,
            job,
            backend,
        } => {
            let client = ApiClient::new(&backend)?;
            client.cancel_job(&project.to_string(), job).await?;
            eprintln!("Cancel requested for job {job}");
            Ok(Outcome::Success)
        }
        JobCommand::Logs {
            project,
            job,
            backend,
            watch,
        } => {
            let client = ApiClient::new(&backend)?;
            let view = client.get_job(&project.to_string(), job, false).await?;
            if view.status.is_terminal() {
                print_final_output(&client, &project, &view).await?;
                return Ok(Outcome::Success);
            }
            let follower = Follower {
                client: &client,
                project: project.to_string(),
                job,
                logs: LogSink::ByStream,
                poll_every: crate::run::image::POLL_EVERY,
            };
            let fallback;
            let watch_info = match &view.watch {
                Some(w) => Some(w),
                None => {
                    fallback = events_only(&project, &view);
                    Some(&fallback)
                }
            };
            let source = follower.open_source(watch_info, &watch).await;
            match follower.follow(source).await? {
                FollowEnd::Interrupted => Ok(Outcome::Interrupted),
                FollowEnd::Ended(end) => {
                    if let Some(reason) = end.reason {
                        eprintln!("Job {}: {reason}", end.status);
                    }
                    Ok(Outcome::Success)
                }
            }
        }
    }
}

/// Watch details when the server sent none: only its event stream.
fn events_only(project: &ResourceId, job: &JsonJob) -> bencher_wire::json::JsonWatch {
    bencher_wire::json::JsonWatch {
        nats_urls: Vec::new(),
        nats_credentials: None,
        status_subject: String::new(),
        log_subject: String::new(),
        status_bucket: String::new(),
        status_key: job.uuid.to_string(),
        events_url: format!("/v0/projects/{project}/jobs/{}/events", job.uuid),
    }
}

/// A finished job's output: standard output to stdout, standard error to stderr.
async fn print_final_output(
    client: &ApiClient,
    project: &ResourceId,
    job: &JsonJob,
) -> Result<(), CliError> {
    let view = client.get_job(&project.to_string(), job.uuid, true).await?;
    eprintln!("Job {} is {}", view.uuid, view.status);
    for it in view.output.iter().flat_map(|o| &o.results) {
        if !it.stdout.is_empty() {
            print!("{}", it.stdout);
            if !it.stdout.ends_with('\n') {
                println!();
            }
        }
        if !it.stderr.is_empty() {
            eprint!("{}", it.stderr);
            if !it.stderr.ends_with('\n') {
                eprintln!();
            }
        }
    }
    Ok(())
}
