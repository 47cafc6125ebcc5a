use std::collections::BTreeSet;

use super::*;
use crate::env::EnvVar;

#[derive(Serialize, Default)]
struct Flags {
    nats: Option<NatsFlags>,
    data_dir: Option<PathBuf>,
}

#[derive(Serialize, Default)]
struct NatsFlags {
    replicas: Option<usize>,
    prefix: Option<String>,
}

fn toml_file(text: &str) -> tempfile::NamedTempFile {
    let mut file = tempfile::Builder::new().suffix(".toml").tempfile().unwrap();
    std::io::Write::write_all(&mut file, text.as_bytes()).unwrap();
    file
}

fn no_env() -> ConfigLoader {
    ConfigLoader::with_env(Vec::<(String, String)>::new())
}

#[test]
fn defaults_without_any_layer() {
    let config = no_env().load().unwrap();
    assert_eq!(config, Config::default());
    assert_eq!(config.nats.prefix, "bencher");
    assert_eq!(config.nats.replicas, 1);
    assert_eq!(config.http.listen.to_string(), "127.0.0.1:6610");
    assert_eq!(
        config.database_url(),
        "sqlite://./.bencher/bencher.db?mode=rwc"
    );
    assert_eq!(config.runner_work_dir(), PathBuf::from("./.bencher/runner"));
    assert_eq!(
        config.topology().unwrap().events_stream().name,
        "BENCHER_EVENTS"
    );
}

#[test]
fn file_over_defaults_env_over_file_flags_over_env() {
    let file = toml_file(
        "data_dir = \"/from-file\"\n[nats]\nreplicas = 2\nprefix = \"filep\"\n\
         [log]\nformat = \"json\"\n",
    );
    let env = [
        ("BENCHER_NATS_REPLICAS", "3"),
        ("BENCHER_NATS_PREFIX", "envp"),
    ];
    let loader = ConfigLoader::with_env(env).file(Some(file.path().to_path_buf()));

    let config = loader.clone().load().unwrap();
    assert_eq!(
        config.data_dir,
        PathBuf::from("/from-file"),
        "file beats default"
    );
    assert_eq!(config.log.format, LogFormat::Json, "file beats default");
    assert_eq!(config.nats.replicas, 3, "env beats file");
    assert_eq!(config.nats.prefix, "envp", "env beats file");

    let flags = Flags {
        nats: Some(NatsFlags {
            replicas: Some(4),
            prefix: None,
        }),
        data_dir: None,
    };
    let config = loader.flags(&flags).unwrap().load().unwrap();
    assert_eq!(config.nats.replicas, 4, "flag beats env");
    assert_eq!(config.nats.prefix, "envp", "an unset flag leaves env alone");
    assert_eq!(config.data_dir, PathBuf::from("/from-file"));
}

#[test]
fn config_file_from_env_and_flag_precedence() {
    let by_env = toml_file("[http]\nlisten = \"0.0.0.0:7000\"\n");
    let by_flag = toml_file("[http]\nlisten = \"0.0.0.0:8000\"\n");
    let env = [("BENCHER_CONFIG", by_env.path().to_str().unwrap())];
    let config = ConfigLoader::with_env(env).load().unwrap();
    assert_eq!(config.http.listen.port(), 7000);
    let config = ConfigLoader::with_env(env)
        .file(Some(by_flag.path().to_path_buf()))
        .load()
        .unwrap();
    assert_eq!(config.http.listen.port(), 8000);
}

#[test]
fn a_named_file_must_exist() {
    let err = no_env()
        .file(Some(PathBuf::from("/nonexistent/bencher.toml")))
        .load()
        .unwrap_err();
    assert!(matches!(err, ConfigError::FileNotFound { .. }), "{err}");
}

#[test]
fn comma_separated_lists() {
    let env = [
        ("BENCHER_NATS_URL", "nats://a:4222, nats://b:4222,"),
        ("BENCHER_ALLOW_REGISTRIES", "ghcr.io,docker.io"),
        ("BENCHER_RUNNER_SPECS", "default"),
    ];
    let config = ConfigLoader::with_env(env).load().unwrap();
    assert_eq!(config.nats.urls, ["nats://a:4222", "nats://b:4222"]);
    assert_eq!(config.registries.allow, ["ghcr.io", "docker.io"]);
    assert_eq!(config.runner.specs, ["default"]);
}

#[test]
fn errors_name_the_variable_and_the_rule() {
    let err = ConfigLoader::with_env([("BENCHER_NATS_REPLICAS", "many")])
        .load()
        .unwrap_err()
        .to_string();
    assert!(err.contains("BENCHER_NATS_REPLICAS"), "{err}");
    let err = ConfigLoader::with_env([("BENCHER_NATS_PREFIX", "a.b")])
        .load()
        .unwrap_err()
        .to_string();
    assert!(err.contains("nats.prefix"), "{err}");
    let file = toml_file("[nats]\nurl = \"typo\"\n");
    let err = no_env()
        .file(Some(file.path().to_path_buf()))
        .load()
        .unwrap_err()
        .to_string();
    assert!(err.contains("url"), "unknown keys are refused: {err}");
}

/// A value for `var` that differs from the default.
fn sample(var: &EnvVar) -> &'static str {
    match (var.kind, var.key) {
        (EnvKind::Number, _) => "3",
        (EnvKind::List, _) => "x, y",
        (EnvKind::Text, Some("http.listen")) => "0.0.0.0:1",
        (EnvKind::Text, Some("log.format")) => "json",
        (EnvKind::Text, Some("nats.prefix")) => "other",
        (EnvKind::Text, _) => "/sample",
    }
}

/// Dotted paths of every leaf of a serialized value (arrays are leaves).
fn leaves(value: &Value, path: &str, out: &mut BTreeSet<String>) {
    match value {
        Value::Dict(_, dict) => {
            for (k, v) in dict {
                let p = if path.is_empty() {
                    k.clone()
                } else {
                    format!("{path}.{k}")
                };
                leaves(v, &p, out);
            }
        }
        _ => {
            out.insert(path.to_owned());
        }
    }
}

#[test]
fn every_variable_is_read_and_every_field_has_a_variable() {
    let defaults = Value::serialize(Config::default()).unwrap();
    for var in ENV_VARS {
        let Some(key) = var.key else { continue };
        let config = ConfigLoader::with_env([(var.name, sample(var))])
            .load()
            .unwrap_or_else(|e| panic!("{}: {e}", var.name));
        let loaded = Value::serialize(config).unwrap();
        let before = defaults.find_ref(key);
        let after = loaded.find_ref(key);
        assert!(after.is_some(), "{} sets unknown key {key}", var.name);
        assert_ne!(before, after, "{} was not read", var.name);
    }

    // Every field, with every optional one filled in, has exactly one variable.
    let mut full = Config::default();
    full.nats.credentials = Some(PathBuf::from("/c"));
    full.database.url = Some("postgres://x".into());
    full.runner.work_dir = Some(PathBuf::from("/w"));
    let mut fields = BTreeSet::new();
    leaves(&Value::serialize(full).unwrap(), "", &mut fields);
    let keys: BTreeSet<String> = ENV_VARS
        .iter()
        .filter_map(|v| v.key.map(str::to_owned))
        .collect();
    assert_eq!(fields, keys);
}

/// Every `BENCHER_*` name read directly anywhere in the workspace (std `var`/`var_os`, `env!`,
/// clap's `env = "..."`, or a `&str` constant) is listed in the table.
#[test]
fn no_variable_is_read_outside_the_table() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let mut stack: Vec<PathBuf> = [
        "shared",
        "services",
        "runner",
        "cli",
        "integration",
        "migrations",
    ]
    .iter()
    .map(|d| root.join(d))
    .filter(|d| d.is_dir())
    .collect();
    let patterns = ["var(\"", "var_os(\"", "env!(\"", "env = \"", "&str = \""];
    let mut unlisted = Vec::new();
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                if !path.ends_with("target") {
                    stack.push(path);
                }
                continue;
            }
            if path.extension().is_none_or(|e| e != "rs") || path.ends_with("env.rs") {
                continue;
            }
            let Ok(text) = std::fs::read_to_string(&path) else {
                continue;
            };
            for pattern in patterns {
                for (i, _) in text.match_indices(pattern) {
                    let rest = &text[i + pattern.len()..];
                    let name = &rest[..rest.find('"').unwrap_or(rest.len())];
                    let is_var = name.starts_with("BENCHER_")
                        && name.bytes().all(|b| b.is_ascii_uppercase() || b == b'_');
                    if is_var && crate::env::lookup(name).is_none() {
                        unlisted.push(format!("{} reads {name}", path.display()));
                    }
                }
            }
        }
    }
    assert!(
        unlisted.is_empty(),
        "add these to bencher_runtime::env::ENV_VARS: {unlisted:#?}"
    );
}
