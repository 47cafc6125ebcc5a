//! Layered configuration: defaults < TOML file < `BENCHER_*` environment < flags.
//!
//! The file comes from `--config PATH` or `BENCHER_CONFIG`; the environment layer reads exactly
//! the variables of [`ENV_VARS`] (lists are comma-separated); flags are any `Serialize` struct of
//! `Option`s whose `None`s leave lower layers alone.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use bencher_wire::nats::{Subjects, Topology};
use figment::providers::{Format, Serialized, Toml};
use figment::value::{Dict, Map, Value};
use figment::{Figment, Metadata, Profile, Provider};
use serde::{Deserialize, Serialize};

use crate::env::{BENCHER_CONFIG, ENV_VARS, EnvKind, split_list};

/// Why the configuration could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The named configuration file does not exist.
    #[error("configuration file {path} not found")]
    FileNotFound {
        /// The path given by `--config` or `BENCHER_CONFIG`.
        path: PathBuf,
    },
    /// A layer has a value of the wrong type, an unknown key, or bad TOML.
    #[error("invalid configuration: {0}")]
    Figment(#[from] Box<figment::Error>),
    /// The values parse but break a rule.
    #[error("invalid configuration: {field}: {reason}")]
    Invalid {
        /// The dotted key.
        field: &'static str,
        /// The rule it broke.
        reason: String,
    },
}

/// The whole configuration of a `bencherd` process or runner.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    /// Directory for the embedded database, blobs and runner work dirs.
    pub data_dir: PathBuf,
    /// NATS connection and naming.
    pub nats: NatsConfig,
    /// The database.
    pub database: DatabaseConfig,
    /// The HTTP listener.
    pub http: HttpConfig,
    /// Logging.
    pub log: LogConfig,
    /// Image registries.
    pub registries: RegistriesConfig,
    /// Scheduler policy.
    pub scheduler: SchedulerConfig,
    /// Runner daemon.
    pub runner: RunnerConfig,
    /// The built-in OCI registry (served by intake under `/v2/`).
    pub registry: RegistryConfig,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            data_dir: PathBuf::from("./.bencher"),
            nats: NatsConfig::default(),
            database: DatabaseConfig::default(),
            http: HttpConfig::default(),
            log: LogConfig::default(),
            registries: RegistriesConfig::default(),
            scheduler: SchedulerConfig::default(),
            runner: RunnerConfig::default(),
            registry: RegistryConfig::default(),
        }
    }
}

/// NATS connection and naming.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct NatsConfig {
    /// Server URLs; empty lets `bencherd up` start its own server.
    pub urls: Vec<String>,
    /// Subject prefix (one token); stream and bucket names derive from it.
    pub prefix: String,
    /// Replicas of every stream, bucket and object store.
    pub replicas: usize,
    /// Credentials file (JWT and nkey seed).
    pub credentials: Option<PathBuf>,
    /// How long to retry the first connection before giving up.
    pub connect_timeout_secs: u64,
}

impl Default for NatsConfig {
    fn default() -> Self {
        Self {
            urls: Vec::new(),
            prefix: bencher_wire::nats::DEFAULT_PREFIX.to_owned(),
            replicas: 1,
            credentials: None,
            connect_timeout_secs: 30,
        }
    }
}

/// The database.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct DatabaseConfig {
    /// `sqlite://...` or `postgres://...`; `None` means SQLite under the data dir.
    pub url: Option<String>,
}

/// The HTTP listener (API and ops endpoints).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct HttpConfig {
    /// Listen address.
    pub listen: SocketAddr,
}

impl Default for HttpConfig {
    fn default() -> Self {
        Self {
            listen: SocketAddr::from(([127, 0, 0, 1], 6610)),
        }
    }
}

/// Log output format.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    /// Readable lines for a terminal.
    #[default]
    Human,
    /// One JSON object per line, for collectors.
    Json,
}

/// Logging.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct LogConfig {
    /// Output format.
    pub format: LogFormat,
    /// `tracing` filter directives.
    pub filter: String,
}

impl Default for LogConfig {
    fn default() -> Self {
        Self {
            format: LogFormat::Human,
            filter: "info".to_owned(),
        }
    }
}

/// Image registries.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RegistriesConfig {
    /// Registries (`host[:port]`) images may be pulled from besides the built-in one.
    pub allow: Vec<String>,
}

/// Scheduler policy.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SchedulerConfig {
    /// Seconds without a heartbeat before a runner loses its job.
    pub heartbeat_timeout_secs: u64,
    /// Seconds after a job's timeout before it is canceled hard.
    pub grace_secs: u64,
    /// Concurrent jobs per tier.
    pub concurrency: TierConcurrency,
}

impl Default for SchedulerConfig {
    fn default() -> Self {
        Self {
            heartbeat_timeout_secs: 10,
            grace_secs: 60,
            concurrency: TierConcurrency::default(),
        }
    }
}

/// Concurrent jobs per tier; 0 means unlimited.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct TierConcurrency {
    /// Per source IP, for unclaimed projects.
    pub unclaimed: u32,
    /// Per organization, free tier.
    pub free: u32,
    /// Per organization, plus tier.
    pub plus: u32,
}

impl Default for TierConcurrency {
    fn default() -> Self {
        Self {
            unclaimed: 1,
            free: 1,
            plus: 0,
        }
    }
}

/// Runner daemon.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RunnerConfig {
    /// Spec slugs this runner serves.
    pub specs: Vec<String>,
    /// OCI runtime binary.
    pub runtime: String,
    /// Work directory; `None` means `<data_dir>/runner`.
    pub work_dir: Option<PathBuf>,
}

impl Default for RunnerConfig {
    fn default() -> Self {
        Self {
            specs: Vec::new(),
            runtime: "runc".to_owned(),
            work_dir: None,
        }
    }
}

/// The built-in OCI registry: where blobs go, and its limits.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RegistryConfig {
    /// Local blob directory; `None` means `<data_dir>/registry` (ignored when `s3_bucket` is set).
    pub storage_dir: Option<PathBuf>,
    /// S3 bucket: when set, blobs go to this bucket instead of the local directory.
    pub s3_bucket: Option<String>,
    /// S3 endpoint of an S3-compatible store (`http://127.0.0.1:9000`); `None` means AWS.
    pub s3_endpoint: Option<String>,
    /// S3 region.
    pub s3_region: Option<String>,
    /// S3 access key id (else the usual `AWS_*` variables).
    pub s3_access_key_id: Option<String>,
    /// S3 secret access key.
    pub s3_secret_access_key: Option<String>,
    /// Largest blob or upload session, in bytes; beyond it the registry answers 413.
    pub max_upload_bytes: u64,
    /// Seconds an upload session may stay untouched before it is removed.
    pub stale_upload_secs: u64,
    /// HS256 secret of registry tokens; `None` leaves the registry open (no token flow).
    pub token_secret: Option<String>,
    /// Lifetime of the tokens `/v0/auth/oci/token` issues, in seconds.
    pub token_ttl_secs: u64,
}

impl Default for RegistryConfig {
    fn default() -> Self {
        Self {
            storage_dir: None,
            s3_bucket: None,
            s3_endpoint: None,
            s3_region: None,
            s3_access_key_id: None,
            s3_secret_access_key: None,
            max_upload_bytes: 1 << 30,
            stale_upload_secs: 3600,
            token_secret: None,
            token_ttl_secs: 300,
        }
    }
}

impl Config {
    /// Loads from the process environment, the given file (else `BENCHER_CONFIG`) and flags.
    pub fn load<T: Serialize>(file: Option<&Path>, flags: &T) -> Result<Config, ConfigError> {
        ConfigLoader::from_process_env()
            .file(file.map(Path::to_path_buf))
            .flags(flags)?
            .load()
    }

    /// The database URL, defaulting to SQLite under the data dir.
    pub fn database_url(&self) -> String {
        match &self.database.url {
            Some(url) => url.clone(),
            None => format!(
                "sqlite://{}?mode=rwc",
                self.data_dir.join("bencher.db").display()
            ),
        }
    }

    /// The runner work directory, defaulting to `<data_dir>/runner`.
    pub fn runner_work_dir(&self) -> PathBuf {
        self.runner
            .work_dir
            .clone()
            .unwrap_or_else(|| self.data_dir.join("runner"))
    }

    /// The registry's local blob directory, defaulting to `<data_dir>/registry`.
    pub fn registry_storage_dir(&self) -> PathBuf {
        self.registry
            .storage_dir
            .clone()
            .unwrap_or_else(|| self.data_dir.join("registry"))
    }

    /// The subject builder for the configured prefix.
    pub fn subjects(&self) -> Result<Subjects, ConfigError> {
        Subjects::new(&self.nats.prefix).map_err(|e| ConfigError::Invalid {
            field: "nats.prefix",
            reason: e.to_string(),
        })
    }

    /// The NATS topology for the configured prefix and replicas.
    pub fn topology(&self) -> Result<Topology, ConfigError> {
        Ok(Topology::new(self.subjects()?, self.nats.replicas))
    }

    fn validate(&self) -> Result<(), ConfigError> {
        self.subjects()?;
        if !(1..=5).contains(&self.nats.replicas) {
            return Err(ConfigError::Invalid {
                field: "nats.replicas",
                reason: format!("{} is not between 1 and 5", self.nats.replicas),
            });
        }
        if self.log.filter.trim().is_empty() {
            return Err(ConfigError::Invalid {
                field: "log.filter",
                reason: "empty".to_owned(),
            });
        }
        Ok(())
    }
}

/// Builds a [`Config`] from its four layers. Tests inject the environment instead of touching the
/// process's.
#[derive(Clone, Debug, Default)]
pub struct ConfigLoader {
    env: HashMap<String, String>,
    file: Option<PathBuf>,
    flags: Dict,
}

impl ConfigLoader {
    /// A loader over the given environment variables (only `BENCHER_*` ones matter).
    pub fn with_env<I, K, V>(vars: I) -> Self
    where
        I: IntoIterator<Item = (K, V)>,
        K: Into<String>,
        V: Into<String>,
    {
        Self {
            env: vars
                .into_iter()
                .map(|(k, v)| (k.into(), v.into()))
                .filter(|(k, _)| k.starts_with("BENCHER_"))
                .collect(),
            ..Self::default()
        }
    }

    /// A loader over the process environment.
    pub fn from_process_env() -> Self {
        Self::with_env(
            std::env::vars_os()
                .filter_map(|(k, v)| Some((k.into_string().ok()?, v.into_string().ok()?))),
        )
    }

    /// The file from `--config`; when `None`, `BENCHER_CONFIG` decides.
    pub fn file(mut self, path: Option<PathBuf>) -> Self {
        self.file = path;
        self
    }

    /// Flag overrides: any `Serialize` struct (usually of `Option`s, with the config's shape);
    /// `None` values leave lower layers alone.
    pub fn flags<T: Serialize>(mut self, flags: &T) -> Result<Self, ConfigError> {
        let value = Value::serialize(flags).map_err(|e| ConfigError::Figment(Box::new(e)))?;
        self.flags = match prune_empty(value) {
            Some(Value::Dict(_, dict)) => dict,
            _ => Dict::new(),
        };
        Ok(self)
    }

    /// The configuration file in effect, if any.
    pub fn file_path(&self) -> Option<PathBuf> {
        self.file
            .clone()
            .or_else(|| self.env.get(BENCHER_CONFIG).map(PathBuf::from))
            .filter(|p| !p.as_os_str().is_empty())
    }

    /// The merged layers, before deserialization.
    pub fn figment(&self) -> Result<Figment, ConfigError> {
        let mut figment = Figment::from(Serialized::defaults(Config::default()));
        if let Some(path) = self.file_path() {
            if !path.is_file() {
                return Err(ConfigError::FileNotFound { path });
            }
            figment = figment.merge(Toml::file_exact(path));
        }
        Ok(figment
            .merge(EnvLayer { env: &self.env })
            .merge(Serialized::defaults(self.flags.clone())))
    }

    /// Merges the layers, deserializes and validates.
    pub fn load(&self) -> Result<Config, ConfigError> {
        let config: Config = self
            .figment()?
            .extract()
            .map_err(|e| ConfigError::Figment(Box::new(e)))?;
        config.validate()?;
        Ok(config)
    }
}

/// The environment layer: exactly the variables of [`ENV_VARS`] with a config key.
struct EnvLayer<'a> {
    env: &'a HashMap<String, String>,
}

impl Provider for EnvLayer<'_> {
    fn metadata(&self) -> Metadata {
        Metadata::named("environment variable").interpolater(|_, keys| {
            let key = keys.join(".");
            ENV_VARS
                .iter()
                .find(|v| v.key == Some(key.as_str()))
                .map_or(key, |v| v.name.to_owned())
        })
    }

    fn data(&self) -> Result<Map<Profile, Dict>, figment::Error> {
        let mut dict = Dict::new();
        for var in ENV_VARS {
            let (Some(key), Some(raw)) = (var.key, self.env.get(var.name)) else {
                continue;
            };
            let value = match var.kind {
                EnvKind::Text => Value::from(raw.clone()),
                EnvKind::Number => raw.trim().parse::<Value>().unwrap_or_else(|e| match e {}),
                EnvKind::List => Value::from(split_list(raw)),
            };
            insert_at(&mut dict, key, value);
        }
        Ok(Profile::Default.collect(dict))
    }
}

/// Sets `dict[a][b][c] = value` for the key `a.b.c`, creating dictionaries on the way.
fn insert_at(dict: &mut Dict, key: &str, value: Value) {
    match key.split_once('.') {
        None => {
            dict.insert(key.to_owned(), value);
        }
        Some((head, rest)) => {
            let entry = dict
                .entry(head.to_owned())
                .or_insert_with(|| Value::from(Dict::new()));
            if !matches!(entry, Value::Dict(..)) {
                *entry = Value::from(Dict::new());
            }
            if let Value::Dict(_, inner) = entry {
                insert_at(inner, rest, value);
            }
        }
    }
}

/// Drops `None`s (and dictionaries left empty) so they do not override lower layers.
fn prune_empty(value: Value) -> Option<Value> {
    match value {
        Value::Empty(..) => None,
        Value::Dict(tag, dict) => {
            let dict: Dict = dict
                .into_iter()
                .filter_map(|(k, v)| Some((k, prune_empty(v)?)))
                .collect();
            (!dict.is_empty()).then_some(Value::Dict(tag, dict))
        }
        other => Some(other),
    }
}

#[cfg(test)]
#[path = "config_tests.rs"]
mod tests;
