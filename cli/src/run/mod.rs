//! `bencher run`: build the new run from the flags, then either run the benchmark here and
//! submit its output ([`local`]) or submit an image job and follow it live ([`image`]).

pub mod image;
pub mod local;
pub mod thresholds;

use bencher_wire::json::{JsonNewRun, JsonNewRunJob, JsonReport, JsonRunSettings};
use bencher_wire::values::{Cmd, Entrypoint, EnvVars, FilePath, FilePaths};
use chrono::{DateTime, Utc};

use crate::Outcome;
use crate::error::CliError;
use crate::parser::{OutputFormat, RunArgs};
use crate::render;

/// Run `bencher run`.
pub async fn run(args: RunArgs) -> Result<Outcome, CliError> {
    if args.image.is_some() {
        image::run(args).await
    } else {
        local::run(args).await
    }
}

/// The body of `POST /v0/run`: `results` for the local flow, or a job when `--image` is given.
pub fn new_run(
    args: &RunArgs,
    results: Vec<String>,
    times: Option<(DateTime<Utc>, DateTime<Utc>)>,
) -> Result<JsonNewRun, CliError> {
    let settings = (args.adapter.is_some() || args.average.is_some() || args.fold.is_some())
        .then_some(JsonRunSettings {
            adapter: args.adapter,
            average: args.average,
            fold: args.fold,
        });
    let run = JsonNewRun {
        project: args.project.clone(),
        branch: args.branch.clone(),
        hash: args.hash.clone(),
        start_point: None,
        testbed: args.testbed.clone(),
        thresholds: thresholds::thresholds(&args.thresholds)?,
        start_time: times.map(|t| t.0),
        end_time: times.map(|t| t.1),
        results,
        settings,
        context: None,
        job: job(args)?,
    };
    run.validate()?;
    Ok(run)
}

fn job(args: &RunArgs) -> Result<Option<JsonNewRunJob>, CliError> {
    let Some(image) = args.image.clone() else {
        return Ok(None);
    };
    let file_paths = args
        .file
        .iter()
        .map(|f| FilePath::parse(f))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Some(JsonNewRunJob {
        image,
        spec: args.spec.clone(),
        entrypoint: non_empty(&args.entrypoint)
            .map(Entrypoint::new)
            .transpose()?,
        cmd: non_empty(&args.command).map(Cmd::new).transpose()?,
        env: non_empty(&args.env).map(EnvVars::new).transpose()?,
        timeout: args.job_timeout,
        file_paths: non_empty(&file_paths).map(FilePaths::new).transpose()?,
        iter: args.iter,
        build_time: args.build_time.then_some(true),
        file_size: args.file_size.then_some(true),
        allow_failure: args.allow_failure.then_some(true),
    }))
}

fn non_empty<T: Clone>(items: &[T]) -> Option<Vec<T>> {
    (!items.is_empty()).then(|| items.to_vec())
}

/// Print a processed report and decide the exit: failure on alerts with `--err`.
pub fn finish(
    report: &JsonReport,
    format: OutputFormat,
    err_on_alert: bool,
) -> Result<Outcome, CliError> {
    match format {
        OutputFormat::Json => println!("{}", serde_json::to_string_pretty(report)?),
        OutputFormat::Human => print!("{}", render::report(report)),
    }
    if err_on_alert && render::has_alerts(report) {
        eprintln!("alerts were raised and --err is set");
        return Ok(Outcome::Failure);
    }
    Ok(Outcome::Success)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parser::{Cli, Command};
    use clap::Parser;

    fn args(argv: &[&str]) -> RunArgs {
        let argv = ["bencher", "run"].iter().chain(argv).copied();
        match Cli::try_parse_from(argv).unwrap().command {
            Command::Run(run) => *run,
            other => panic!("parsed as {other:?}"),
        }
    }

    #[test]
    fn an_image_run_carries_the_job_and_no_results() {
        let a = args(&[
            "--project",
            "demo",
            "--image",
            "demo:v1",
            "--adapter",
            "json",
            "--file",
            "/tmp/out.json",
            "--iter",
            "2",
            "--build-time",
            "--env",
            "A=1",
            "--allow-failure",
            "--threshold-measure",
            "latency",
            "--threshold-test",
            "t_test",
            "--threshold-upper-boundary",
            "0.99",
            "./bench",
            "--fast",
        ]);
        let run = new_run(&a, Vec::new(), None).unwrap();
        let json = serde_json::to_value(&run).unwrap();
        assert_eq!(json["project"], "demo");
        assert_eq!(json["results"], serde_json::json!([]));
        assert_eq!(json["settings"], serde_json::json!({"adapter": "json"}));
        let job = &json["job"];
        assert_eq!(job["image"], "demo:v1");
        assert_eq!(job["cmd"], serde_json::json!(["./bench", "--fast"]));
        assert_eq!(job["env"], serde_json::json!(["A=1"]));
        assert_eq!(job["file_paths"], serde_json::json!(["/tmp/out.json"]));
        assert_eq!(job["iter"], 2);
        assert_eq!(job["build_time"], true);
        assert_eq!(job["allow_failure"], true);
        assert!(job.get("entrypoint").is_none() && job.get("file_size").is_none());
        assert_eq!(
            json["thresholds"]["models"]["latency"],
            serde_json::json!({"test": "t_test", "upper_boundary": 0.99})
        );
    }

    #[test]
    fn a_local_run_carries_results_and_times() {
        let a = args(&["--branch", "main", "echo hi"]);
        let start = Utc::now();
        let run = new_run(&a, vec!["out".to_owned()], Some((start, start))).unwrap();
        assert!(run.job.is_none() && run.settings.is_none());
        assert_eq!(run.results, ["out"]);
        assert_eq!(run.start_time, Some(start));
        // A local run without output is refused before anything is sent.
        assert!(new_run(&a, Vec::new(), None).is_err());
        // So is a bad output path for an image job.
        let a = args(&["--image", "demo:v1", "--file", "../etc/passwd"]);
        let err = new_run(&a, Vec::new(), None).unwrap_err().to_string();
        assert!(err.contains("file_paths"), "{err}");
    }
}
