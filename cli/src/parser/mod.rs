//! The command line, as clap structs only: no I/O here. Handlers live beside this module.
//!
//! - [`run`]: `bencher run` (Bencher's flags, threshold groups, image jobs).
//! - [`job`]: `bencher job list|view|cancel|logs`.
//! - [`adapt`]: `bencher adapt`.
//! - [`threshold`]: `bencher threshold create|list|view|update|delete`.
//! - [`alert`]: `bencher alert list|view|dismiss`.

pub mod adapt;
pub mod alert;
pub mod job;
pub mod run;
pub mod threshold;

use clap::{Args, Parser, Subcommand};

pub use adapt::AdaptArgs;
pub use alert::{AlertArgs, AlertCommand};
pub use job::{JobArgs, JobCommand};
pub use run::{OrUnset, OutputFormat, RunArgs, ThresholdArgs};
pub use threshold::{ModelArgs, ThresholdCommand, ThresholdCrudArgs};

/// The server this CLI talks to when `--host` and `BENCHER_HOST` are absent.
pub const DEFAULT_HOST: &str = "http://127.0.0.1:6610";

/// `bencher`: continuous benchmarking on NATS, with Bencher's flags.
#[derive(Debug, Parser)]
#[command(name = "bencher", version, about, propagate_version = true)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run benchmarks (locally, or in an image on a runner with `--image`) and report them.
    Run(Box<RunArgs>),
    /// List, view, cancel or follow jobs.
    Job(JobArgs),
    /// Parse harness output into Bencher Metric Format, locally.
    Adapt(AdaptArgs),
    /// Create, list, view, update or delete thresholds.
    Threshold(ThresholdCrudArgs),
    /// List, view or dismiss alerts.
    Alert(AlertArgs),
}

/// Where the API is and how to authenticate.
#[derive(Clone, Debug, Args)]
pub struct BackendArgs {
    /// The API server.
    #[arg(long, env = "BENCHER_HOST", default_value = DEFAULT_HOST)]
    pub host: String,
    /// An API token, sent as `Authorization: Bearer <token>`.
    #[arg(
        long,
        visible_alias = "key",
        env = "BENCHER_API_KEY",
        hide_env_values = true
    )]
    pub token: Option<String>,
}

/// How to reach NATS for live status, overriding what the server advertises.
#[derive(Clone, Debug, Default, Args)]
pub struct WatchArgs {
    /// NATS server URL(s) to watch the job on (repeatable); default: the ones the server
    /// advertises. Server-sent events are used when NATS is unreachable.
    #[arg(long = "nats-url", env = "BENCHER_NATS_URL", value_delimiter = ',')]
    pub nats_urls: Vec<String>,
    /// Never use NATS: follow the job over the server's event stream.
    #[arg(long)]
    pub no_nats: bool,
}

#[cfg(test)]
mod tests {
    use super::*;
    use bencher_wire::json::ThresholdTest;

    fn run_args(args: &[&str]) -> Result<RunArgs, clap::Error> {
        let argv = ["bencher", "run"].iter().chain(args).copied();
        match Cli::try_parse_from(argv)?.command {
            Command::Run(run) => Ok(*run),
            other => panic!("parsed as {other:?}"),
        }
    }

    #[test]
    fn bencher_flags_parse_into_typed_values() {
        let args = run_args(&[
            "--host",
            "http://example.test:1",
            "--key",
            "tok",
            "--project",
            "my-project",
            "--branch",
            "feature/login",
            "--testbed",
            "ci",
            "--adapter",
            "rust_criterion",
            "--average",
            "median",
            "--fold",
            "min",
            "--iter",
            "3",
            "--err",
            "--format",
            "json",
            "cargo",
            "bench",
            "--",
            "--noplot",
        ])
        .unwrap();
        assert_eq!(args.backend.host, "http://example.test:1");
        assert_eq!(args.backend.token.as_deref(), Some("tok"));
        assert_eq!(args.project.unwrap().to_string(), "my-project");
        assert_eq!(args.branch.unwrap().to_string(), "feature/login");
        assert_eq!(args.adapter.unwrap().as_str(), "rust_criterion");
        assert_eq!(args.iter.unwrap().get(), 3);
        assert!(args.err);
        assert_eq!(args.format, OutputFormat::Json);
        // Everything after the first positional belongs to the command, hyphens included.
        assert_eq!(args.command, ["cargo", "bench", "--", "--noplot"]);
        assert!(args.image.is_none());
    }

    #[test]
    fn threshold_groups_take_underscore_as_unset() {
        let args = run_args(&[
            "--threshold-measure",
            "latency",
            "--threshold-test",
            "t_test",
            "--threshold-upper-boundary",
            "0.99",
            "--threshold-lower-boundary",
            "_",
            "--threshold-measure",
            "throughput",
            "--threshold-test",
            "static",
            "--threshold-upper-boundary",
            "_",
            "--threshold-lower-boundary",
            "-5",
            "--threshold-max-sample-size",
            "64",
            "--threshold-max-sample-size",
            "_",
            "--thresholds-reset",
        ])
        .unwrap();
        let t = &args.thresholds;
        assert_eq!(t.threshold_measure, ["latency", "throughput"]);
        assert_eq!(
            t.threshold_test,
            [ThresholdTest::TTest, ThresholdTest::Static]
        );
        assert_eq!(
            t.threshold_upper_boundary,
            [OrUnset(Some(0.99)), OrUnset(None)]
        );
        assert_eq!(
            t.threshold_lower_boundary,
            [OrUnset(None), OrUnset(Some(-5.0))]
        );
        assert_eq!(
            t.threshold_max_sample_size,
            [OrUnset(Some(64)), OrUnset(None)]
        );
        assert!(t.thresholds_reset);
    }

    #[test]
    fn invalid_values_are_refused_by_the_parser() {
        let cases: &[&[&str]] = &[
            &["--threshold-test", "t-test"],
            &["--threshold-upper-boundary", "high"],
            &["--adapter", "rust_bananas"],
            &["--iter", "0"],
            &["--hash", "abc"],
            &["--image", "Demo:v1"],
            &["--image", "demo:v1", "--env", "NOVALUE"],
            &["--image", "demo:v1", "--job-timeout", "0"],
            &["--format", "html"],
        ];
        for case in cases {
            assert!(run_args(case).is_err(), "{case:?} was accepted");
        }
    }

    #[test]
    fn job_flags_need_an_image() {
        for flag in [
            &["--detach"][..],
            &["--env", "A=1"],
            &["--spec", "x86"],
            &["--job-timeout", "5"],
        ] {
            let err = run_args(flag).unwrap_err();
            assert_eq!(
                err.kind(),
                clap::error::ErrorKind::MissingRequiredArgument,
                "{flag:?}"
            );
        }
        let args = run_args(&[
            "--image",
            "127.0.0.1:6610/demo:v1",
            "--spec",
            "x86-64-4c",
            "--entrypoint",
            "/bin/sh",
            "--entrypoint",
            "-c",
            "--env",
            "A=1",
            "--env",
            "B=x=y",
            "--job-timeout",
            "120",
            "--detach",
            "--nats-url",
            "nats://a:1,nats://b:2",
            "bench",
            "--quick",
        ])
        .unwrap();
        assert_eq!(args.entrypoint, ["/bin/sh", "-c"]);
        assert_eq!(args.env.len(), 2);
        assert_eq!(args.env[1].value(), "x=y");
        assert_eq!(args.watch.nats_urls, ["nats://a:1", "nats://b:2"]);
        assert_eq!(args.command, ["bench", "--quick"]);
        assert!(args.detach);
    }

    #[test]
    fn job_and_adapt_subcommands_parse() {
        let cli = Cli::try_parse_from([
            "bencher",
            "job",
            "logs",
            "--project",
            "my-project",
            "0191c2a4-5e6f-7a10-8b2c-3d4e5f607182",
            "--no-nats",
        ])
        .unwrap();
        assert!(matches!(
            cli.command,
            Command::Job(JobArgs {
                command: JobCommand::Logs { .. }
            })
        ));
        assert!(
            Cli::try_parse_from(["bencher", "job", "view", "--project", "p", "not-a-uuid"])
                .is_err()
        );
        let cli = Cli::try_parse_from([
            "bencher",
            "adapt",
            "--adapter",
            "go_bench",
            "--average",
            "median",
            "--file",
            "a",
            "--file",
            "b",
        ])
        .unwrap();
        let Command::Adapt(adapt) = cli.command else {
            panic!("not adapt")
        };
        assert_eq!(adapt.files.len(), 2);
        assert!(Cli::try_parse_from(["bencher", "adapt", "--adapter", "nope"]).is_err());
    }
}
