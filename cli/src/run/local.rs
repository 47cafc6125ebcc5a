//! `bencher run` without `--image`, Bencher's local flow: run the command here (or read
//! `--file`, or standard input), submit the raw output, wait for the server to process it and
//! print the report.

use std::io::{IsTerminal, Write};
use std::process::Stdio;
use std::time::Duration;

use chrono::Utc;
use tokio::io::AsyncReadExt;
use tokio::process::Command;
use tokio::time::{Instant, sleep};

use super::{finish, new_run, thresholds};
use crate::Outcome;
use crate::client::ApiClient;
use crate::error::CliError;
use crate::parser::RunArgs;

/// How often a submitted report is fetched until the server has processed it.
const REPORT_POLL: Duration = Duration::from_millis(500);

/// Run locally and report.
pub async fn run(args: RunArgs) -> Result<Outcome, CliError> {
    if args.build_time || args.file_size {
        return Err(CliError::Usage(
            "--build-time and --file-size are measured by the runner: use them with --image"
                .to_owned(),
        ));
    }
    // Refuse bad threshold groups before running anything.
    thresholds::thresholds(&args.thresholds)?;
    let client = ApiClient::new(&args.backend)?;
    let start = Utc::now();
    let results = collect(&args).await?;
    let end = Utc::now();
    let body = new_run(&args, results, Some((start, end)))?;
    let report = client.post_run(&body).await?;
    let project = report.project.uuid.to_string();
    let deadline = Instant::now() + Duration::from_secs(args.report_timeout);
    let mut report = report;
    while report.results.is_empty() {
        if Instant::now() >= deadline {
            eprintln!(
                "the server has not processed report {} after {} s; showing it as it is",
                report.uuid, args.report_timeout
            );
            break;
        }
        sleep(REPORT_POLL).await;
        report = client.get_report(&project, report.uuid).await?;
    }
    finish(&report, args.format, args.err)
}

/// One raw output per iteration (per file and iteration with `--file`).
async fn collect(args: &RunArgs) -> Result<Vec<String>, CliError> {
    let iterations = args.iter.map_or(1, |i| i.get());
    if args.command.is_empty() {
        if !args.file.is_empty() {
            return read_files(&args.file).await;
        }
        if std::io::stdin().is_terminal() {
            return Err(CliError::Usage(
                "give a benchmark command, --file, or pipe the output on standard input".to_owned(),
            ));
        }
        let text = tokio::task::spawn_blocking(|| {
            let mut text = String::new();
            std::io::Read::read_to_string(&mut std::io::stdin(), &mut text).map(|_| text)
        })
        .await
        .map_err(|e| CliError::io("reading standard input", std::io::Error::other(e)))?
        .map_err(|e| CliError::io("reading standard input", e))?;
        return Ok(vec![text]);
    }
    let mut results = Vec::new();
    for _ in 0..iterations {
        let stdout = run_command(&args.command, args.allow_failure).await?;
        if args.file.is_empty() {
            results.push(stdout);
        } else {
            results.extend(read_files(&args.file).await?);
        }
    }
    Ok(results)
}

async fn read_files(files: &[String]) -> Result<Vec<String>, CliError> {
    let mut out = Vec::with_capacity(files.len());
    for file in files {
        let text = tokio::fs::read(file)
            .await
            .map_err(|e| CliError::io(format!("reading {file}"), e))?;
        out.push(String::from_utf8_lossy(&text).into_owned());
    }
    Ok(out)
}

/// Run the command (one argument: through `sh -c`; several: as is), echo its standard output
/// to standard error as it comes, and return it.
async fn run_command(command: &[String], allow_failure: bool) -> Result<String, CliError> {
    let mut cmd = match command {
        [one] => {
            let mut c = Command::new("sh");
            c.arg("-c").arg(one);
            c
        }
        [program, rest @ ..] => {
            let mut c = Command::new(program);
            c.args(rest);
            c
        }
        [] => return Err(CliError::Usage("no benchmark command".to_owned())),
    };
    let shown = command.join(" ");
    let mut child = cmd
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .map_err(|e| CliError::io(format!("starting {shown:?}"), e))?;
    let mut captured = Vec::new();
    if let Some(mut stdout) = child.stdout.take() {
        let mut buf = [0u8; 8192];
        loop {
            let n = stdout
                .read(&mut buf)
                .await
                .map_err(|e| CliError::io(format!("reading the output of {shown:?}"), e))?;
            if n == 0 {
                break;
            }
            let chunk = buf.get(..n).unwrap_or_default();
            captured.extend_from_slice(chunk);
            let mut err = std::io::stderr().lock();
            let _ = err.write_all(chunk);
        }
    }
    let status = child
        .wait()
        .await
        .map_err(|e| CliError::io(format!("waiting for {shown:?}"), e))?;
    if !status.success() && !allow_failure {
        return Err(CliError::CommandFailed {
            command: shown,
            status,
        });
    }
    Ok(String::from_utf8_lossy(&captured).into_owned())
}
