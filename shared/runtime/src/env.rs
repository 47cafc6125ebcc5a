//! Every environment variable the product reads, in one table (as Quickwit keeps `qw_env_vars.rs`).
//!
//! The configuration loader reads exactly the variables of [`ENV_VARS`] that carry a config key;
//! a unit test checks the table against the [`Config`](crate::config::Config) fields both ways.

/// How a variable's text becomes a configuration value.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EnvKind {
    /// Taken verbatim as a string (paths, URLs, names).
    Text,
    /// Parsed as a number or boolean.
    Number,
    /// A comma-separated list of strings; blanks around items and empty items are dropped.
    List,
}

/// One environment variable.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct EnvVar {
    /// The variable name.
    pub name: &'static str,
    /// The dotted configuration key it sets, or `None` for variables read outside the config
    /// (the config file path itself, test tooling).
    pub key: Option<&'static str>,
    /// How its value is read.
    pub kind: EnvKind,
    /// The default when neither the variable, the file nor a flag sets it.
    pub default: &'static str,
    /// What it does.
    pub doc: &'static str,
}

const fn var(
    name: &'static str,
    key: &'static str,
    kind: EnvKind,
    default: &'static str,
    doc: &'static str,
) -> EnvVar {
    EnvVar {
        name,
        key: Some(key),
        kind,
        default,
        doc,
    }
}

/// The configuration file (`--config PATH` takes precedence).
pub const BENCHER_CONFIG: &str = "BENCHER_CONFIG";

/// Every environment variable, with its configuration key, default and meaning.
pub const ENV_VARS: &[EnvVar] = &[
    EnvVar {
        name: BENCHER_CONFIG,
        key: None,
        kind: EnvKind::Text,
        default: "",
        doc: "TOML configuration file; `--config PATH` takes precedence",
    },
    EnvVar {
        name: "BENCHER_NATS_SERVER",
        key: None,
        kind: EnvKind::Text,
        default: ".tools/nats/bin/nats-server, then PATH",
        doc: "nats-server binary started by the test kit and by `bencherd up`",
    },
    EnvVar {
        name: "BENCHER_TEST_POSTGRES_URL",
        key: None,
        kind: EnvKind::Text,
        default: "",
        doc: "PostgreSQL admin URL for tests (bencher-testkit); unset skips PostgreSQL tests",
    },
    EnvVar {
        name: "BENCHER_BENCH_JOBS",
        key: None,
        kind: EnvKind::Number,
        default: "30",
        doc: "jobs submitted by the stage benchmark (integration/benches/stages.rs)",
    },
    EnvVar {
        name: "BENCHER_BENCH_LAYER_MIB",
        key: None,
        kind: EnvKind::Number,
        default: "200",
        doc: "layer size in MiB of the registry benchmark (integration/benches/registry.rs)",
    },
    EnvVar {
        name: "BENCHER_HOST",
        key: None,
        kind: EnvKind::Text,
        default: "http://127.0.0.1:6610",
        doc: "server the `bencher` CLI talks to (`--host`), as in Bencher",
    },
    EnvVar {
        name: "BENCHER_PROJECT",
        key: None,
        kind: EnvKind::Text,
        default: "",
        doc: "project of `bencher run` (`--project`), as in Bencher",
    },
    EnvVar {
        name: "BENCHER_BRANCH",
        key: None,
        kind: EnvKind::Text,
        default: "",
        doc: "branch of `bencher run` (`--branch`), as in Bencher",
    },
    EnvVar {
        name: "BENCHER_TESTBED",
        key: None,
        kind: EnvKind::Text,
        default: "",
        doc: "testbed of `bencher run` (`--testbed`), as in Bencher",
    },
    EnvVar {
        name: "BENCHER_ADAPTER",
        key: None,
        kind: EnvKind::Text,
        default: "",
        doc: "adapter of `bencher run` (`--adapter`), as in Bencher",
    },
    EnvVar {
        name: "BENCHER_API_KEY",
        key: None,
        kind: EnvKind::Text,
        default: "",
        doc: "API token of the `bencher` CLI (`--key`), as in Bencher",
    },
    var(
        "BENCHER_DATA_DIR",
        "data_dir",
        EnvKind::Text,
        "./.bencher",
        "directory for the embedded database, blobs and runner work dirs",
    ),
    var(
        "BENCHER_NATS_URL",
        "nats.urls",
        EnvKind::List,
        "",
        "comma-separated NATS server URLs; empty lets `bencherd up` start its own server",
    ),
    var(
        "BENCHER_NATS_PREFIX",
        "nats.prefix",
        EnvKind::Text,
        "bencher",
        "subject prefix; stream and bucket names derive from it",
    ),
    var(
        "BENCHER_NATS_REPLICAS",
        "nats.replicas",
        EnvKind::Number,
        "1",
        "replicas of every stream, bucket and object store (3 in a cluster)",
    ),
    var(
        "BENCHER_NATS_CREDENTIALS",
        "nats.credentials",
        EnvKind::Text,
        "",
        "NATS credentials file (JWT and nkey seed)",
    ),
    var(
        "BENCHER_NATS_CONNECT_TIMEOUT_SECS",
        "nats.connect_timeout_secs",
        EnvKind::Number,
        "30",
        "how long a service waits for the first NATS connection before giving up",
    ),
    var(
        "BENCHER_DATABASE_URL",
        "database.url",
        EnvKind::Text,
        "sqlite://<data_dir>/bencher.db?mode=rwc",
        "database URL (sqlite:// or postgres://)",
    ),
    var(
        "BENCHER_LISTEN",
        "http.listen",
        EnvKind::Text,
        "127.0.0.1:6610",
        "address of the HTTP API and the ops endpoints",
    ),
    var(
        "BENCHER_LOG_FORMAT",
        "log.format",
        EnvKind::Text,
        "human",
        "log format: human or json",
    ),
    var(
        "BENCHER_LOG_FILTER",
        "log.filter",
        EnvKind::Text,
        "info",
        "tracing filter directives (`info,bencher_runtime=debug`)",
    ),
    var(
        "BENCHER_ALLOW_REGISTRIES",
        "registries.allow",
        EnvKind::List,
        "",
        "comma-separated registries images may come from; empty allows only the built-in one",
    ),
    var(
        "BENCHER_SCHEDULER_HEARTBEAT_TIMEOUT_SECS",
        "scheduler.heartbeat_timeout_secs",
        EnvKind::Number,
        "10",
        "seconds without a heartbeat before a runner loses its job",
    ),
    var(
        "BENCHER_SCHEDULER_GRACE_SECS",
        "scheduler.grace_secs",
        EnvKind::Number,
        "60",
        "seconds after a job's timeout before it is canceled hard",
    ),
    var(
        "BENCHER_SCHEDULER_CONCURRENCY_UNCLAIMED",
        "scheduler.concurrency.unclaimed",
        EnvKind::Number,
        "1",
        "concurrent jobs per source IP for unclaimed projects (0: unlimited)",
    ),
    var(
        "BENCHER_SCHEDULER_CONCURRENCY_FREE",
        "scheduler.concurrency.free",
        EnvKind::Number,
        "1",
        "concurrent jobs per organization on the free tier (0: unlimited)",
    ),
    var(
        "BENCHER_SCHEDULER_CONCURRENCY_PLUS",
        "scheduler.concurrency.plus",
        EnvKind::Number,
        "0",
        "concurrent jobs per organization on the plus tier (0: unlimited)",
    ),
    var(
        "BENCHER_RUNNER_SPECS",
        "runner.specs",
        EnvKind::List,
        "",
        "comma-separated spec slugs this runner serves",
    ),
    var(
        "BENCHER_RUNNER_RUNTIME",
        "runner.runtime",
        EnvKind::Text,
        "runc",
        "OCI runtime binary (runc, crun, runsc)",
    ),
    var(
        "BENCHER_RUNNER_WORK_DIR",
        "runner.work_dir",
        EnvKind::Text,
        "<data_dir>/runner",
        "where the runner unpacks images and keeps job work dirs",
    ),
    var(
        "BENCHER_REGISTRY_STORAGE_DIR",
        "registry.storage_dir",
        EnvKind::Text,
        "<data_dir>/registry",
        "local directory of the built-in registry's blobs",
    ),
    var(
        "BENCHER_REGISTRY_S3_BUCKET",
        "registry.s3_bucket",
        EnvKind::Text,
        "",
        "S3 bucket for the built-in registry's blobs instead of the local directory",
    ),
    var(
        "BENCHER_REGISTRY_S3_ENDPOINT",
        "registry.s3_endpoint",
        EnvKind::Text,
        "",
        "endpoint of an S3-compatible store (empty: AWS)",
    ),
    var(
        "BENCHER_REGISTRY_S3_REGION",
        "registry.s3_region",
        EnvKind::Text,
        "",
        "S3 region",
    ),
    var(
        "BENCHER_REGISTRY_S3_ACCESS_KEY_ID",
        "registry.s3_access_key_id",
        EnvKind::Text,
        "",
        "S3 access key id (else the AWS_* variables)",
    ),
    var(
        "BENCHER_REGISTRY_S3_SECRET_ACCESS_KEY",
        "registry.s3_secret_access_key",
        EnvKind::Text,
        "",
        "S3 secret access key",
    ),
    var(
        "BENCHER_REGISTRY_MAX_UPLOAD_BYTES",
        "registry.max_upload_bytes",
        EnvKind::Number,
        "1073741824",
        "largest blob pushed to the built-in registry (413 beyond)",
    ),
    var(
        "BENCHER_REGISTRY_STALE_UPLOAD_SECS",
        "registry.stale_upload_secs",
        EnvKind::Number,
        "3600",
        "seconds before an untouched upload session is removed",
    ),
    var(
        "BENCHER_REGISTRY_TOKEN_SECRET",
        "registry.token_secret",
        EnvKind::Text,
        "",
        "HS256 secret of the built-in registry's tokens; empty leaves the registry open",
    ),
    var(
        "BENCHER_REGISTRY_TOKEN_TTL_SECS",
        "registry.token_ttl_secs",
        EnvKind::Number,
        "300",
        "lifetime of the registry tokens /v0/auth/oci/token issues",
    ),
];

/// The table entry of `name`, if the product reads it.
pub fn lookup(name: &str) -> Option<&'static EnvVar> {
    ENV_VARS.iter().find(|v| v.name == name)
}

/// Splits a comma-separated list: `"a, b,,c"` → `["a", "b", "c"]`.
pub fn split_list(value: &str) -> Vec<String> {
    value
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_unique_and_prefixed() {
        for (i, v) in ENV_VARS.iter().enumerate() {
            assert!(v.name.starts_with("BENCHER_"), "{}", v.name);
            assert!(!v.doc.is_empty(), "{} has no doc", v.name);
            assert!(
                ENV_VARS[i + 1..].iter().all(|w| w.name != v.name),
                "{} listed twice",
                v.name
            );
        }
        assert_eq!(lookup("BENCHER_CONFIG").map(|v| v.key), Some(None));
    }

    #[test]
    fn lists_split_on_commas() {
        assert_eq!(split_list(" a, b,,c ,"), ["a", "b", "c"]);
        assert!(split_list("").is_empty());
        assert!(split_list(" , ").is_empty());
    }
}
