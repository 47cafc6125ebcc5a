//! Command-line flags of `bencherd`. Every flag has an environment variable and a TOML key of the
//! same meaning (see `bencher_runtime::env`); flags win over both.

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};
use serde::Serialize;

/// The one service binary of Bencher on NATS.
#[derive(Debug, Parser)]
#[command(name = "bencherd", version, about)]
pub struct Cli {
    /// What to do; without a command, run the services named by `--services`.
    #[command(subcommand)]
    pub command: Option<Command>,
    /// Flags shared by every command.
    #[command(flatten)]
    pub common: CommonArgs,
    /// Services to run: `all`, or a comma-separated list of intake, resolver, scheduler,
    /// processor, notifier (microservices mode).
    #[arg(long, value_delimiter = ',', default_value = "all", global = true)]
    pub services: Vec<ServiceName>,
}

/// Subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Everything on this machine: SQLite and blobs under the data dir, a nats-server child
    /// process (unless --nats-url is given), all services and a local runner.
    Up(UpArgs),
    /// Apply the database migrations and exit.
    Migrate,
}

/// A service `bencherd` can run.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, ValueEnum)]
pub enum ServiceName {
    /// Every service.
    All,
    /// HTTP API and built-in registry.
    Intake,
    /// Image and spec resolution.
    Resolver,
    /// Queueing, concurrency and the job state machine.
    Scheduler,
    /// Output parsing, metrics, thresholds and alerts.
    Processor,
    /// Job status projection and webhooks.
    Notifier,
}

/// Flags of every command; each overrides its configuration key.
#[derive(Debug, Args)]
pub struct CommonArgs {
    /// TOML configuration file (env BENCHER_CONFIG).
    #[arg(long, global = true)]
    pub config: Option<PathBuf>,
    /// NATS server URL; repeat for a cluster (env BENCHER_NATS_URL, comma-separated).
    #[arg(long = "nats-url", global = true)]
    pub nats_urls: Vec<String>,
    /// Database URL: sqlite://PATH or postgres://... (env BENCHER_DATABASE_URL).
    #[arg(long, global = true)]
    pub database_url: Option<String>,
    /// HTTP listen address (env BENCHER_LISTEN).
    #[arg(long, global = true)]
    pub listen: Option<SocketAddr>,
    /// Data directory for the embedded database, blobs and runner work (env BENCHER_DATA_DIR).
    #[arg(long, global = true)]
    pub data_dir: Option<PathBuf>,
    /// Log format (env BENCHER_LOG_FORMAT).
    #[arg(long, global = true)]
    pub log_format: Option<LogFormatArg>,
    /// Registry images may come from besides the built-in one, e.g. http://127.0.0.1:5000;
    /// repeatable (env BENCHER_ALLOW_REGISTRIES, comma-separated).
    #[arg(long = "allow-registry", global = true)]
    pub allow_registries: Vec<String>,
}

/// `--log-format`.
#[derive(Clone, Copy, Debug, ValueEnum, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum LogFormatArg {
    /// Readable lines.
    Human,
    /// JSON lines.
    Json,
}

/// Flags of `bencherd up`.
#[derive(Debug, Args)]
pub struct UpArgs {
    /// nats-server binary for the embedded server (env BENCHER_NATS_SERVER).
    #[arg(long)]
    pub nats_server: Option<PathBuf>,
    /// Port of the embedded nats-server on 127.0.0.1.
    #[arg(long, default_value_t = 6611)]
    pub nats_port: u16,
    /// Do not start the local runner.
    #[arg(long)]
    pub no_runner: bool,
}

/// The configuration keys the flags override, shaped like `bencher_runtime::Config`.
#[derive(Debug, Default, Serialize)]
pub struct FlagOverrides {
    #[serde(skip_serializing_if = "Option::is_none")]
    data_dir: Option<PathBuf>,
    nats: NatsOverrides,
    database: DatabaseOverrides,
    http: HttpOverrides,
    log: LogOverrides,
    registries: RegistriesOverrides,
}

#[derive(Debug, Default, Serialize)]
struct NatsOverrides {
    #[serde(skip_serializing_if = "Option::is_none")]
    urls: Option<Vec<String>>,
}

#[derive(Debug, Default, Serialize)]
struct DatabaseOverrides {
    #[serde(skip_serializing_if = "Option::is_none")]
    url: Option<String>,
}

#[derive(Debug, Default, Serialize)]
struct HttpOverrides {
    #[serde(skip_serializing_if = "Option::is_none")]
    listen: Option<SocketAddr>,
}

#[derive(Debug, Default, Serialize)]
struct LogOverrides {
    #[serde(skip_serializing_if = "Option::is_none")]
    format: Option<LogFormatArg>,
}

#[derive(Debug, Default, Serialize)]
struct RegistriesOverrides {
    #[serde(skip_serializing_if = "Option::is_none")]
    allow: Option<Vec<String>>,
}

impl CommonArgs {
    /// The flags given on the command line, as configuration overrides.
    pub fn overrides(&self) -> FlagOverrides {
        let non_empty = |v: &Vec<String>| (!v.is_empty()).then(|| v.clone());
        FlagOverrides {
            data_dir: self.data_dir.clone(),
            nats: NatsOverrides {
                urls: non_empty(&self.nats_urls),
            },
            database: DatabaseOverrides {
                url: self.database_url.clone(),
            },
            http: HttpOverrides {
                listen: self.listen,
            },
            log: LogOverrides {
                format: self.log_format,
            },
            registries: RegistriesOverrides {
                allow: non_empty(&self.allow_registries),
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_microservices_mode_and_up() {
        let cli = Cli::parse_from(["bencherd", "--services", "intake,scheduler"]);
        assert!(cli.command.is_none());
        assert_eq!(
            cli.services,
            vec![ServiceName::Intake, ServiceName::Scheduler]
        );

        let cli = Cli::parse_from([
            "bencherd",
            "up",
            "--allow-registry",
            "http://127.0.0.1:5000",
            "--allow-registry",
            "http://127.0.0.1:5001",
        ]);
        assert!(matches!(cli.command, Some(Command::Up(_))));
        assert_eq!(cli.common.allow_registries.len(), 2);
    }

    #[test]
    fn only_given_flags_override() {
        let cli = Cli::parse_from(["bencherd", "--listen", "127.0.0.1:7000"]);
        let json = serde_json::to_value(cli.common.overrides()).unwrap();
        assert_eq!(json["http"]["listen"], "127.0.0.1:7000");
        assert!(json["nats"].get("urls").is_none());
        assert!(json.get("data_dir").is_none());
    }
}
