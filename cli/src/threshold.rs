//! `bencher threshold create|list|view|update|delete`, against
//! `/v0/projects/{p}/thresholds`. The model is checked locally with the server's rule set before
//! anything is sent.

use std::fmt::Write;

use bencher_wire::json::{JsonNewThreshold, JsonThreshold, JsonThresholdModel};
use reqwest::{Method, RequestBuilder};
use serde::de::DeserializeOwned;

use crate::Outcome;
use crate::client::ApiClient;
use crate::error::CliError;
use crate::parser::{ModelArgs, OutputFormat, ThresholdCommand};
use crate::render::{Align, number, table};

/// Send a request and read its JSON answer.
pub(crate) async fn send_json<T: DeserializeOwned>(
    client: &ApiClient,
    builder: RequestBuilder,
) -> Result<T, CliError> {
    let response = client.send(builder).await?;
    let bytes = response.bytes().await.map_err(CliError::Http)?;
    Ok(serde_json::from_slice(&bytes)?)
}

/// `key=value` pairs as a query string (`?a=b&c=d`), percent-encoded; empty without pairs.
pub(crate) fn query_string(pairs: &[(&str, String)]) -> String {
    let mut out = String::new();
    for (i, (key, value)) in pairs.iter().enumerate() {
        out.push(if i == 0 { '?' } else { '&' });
        out.push_str(key);
        out.push('=');
        for byte in value.bytes() {
            if byte.is_ascii_alphanumeric() || b"-._~".contains(&byte) {
                out.push(char::from(byte));
            } else {
                let _ = write!(out, "%{byte:02X}");
            }
        }
    }
    out
}

/// Print `value` as JSON or as `human` text.
pub(crate) fn print<T: serde::Serialize>(
    format: OutputFormat,
    value: &T,
    human: impl FnOnce(&T) -> String,
) -> Result<(), CliError> {
    match format {
        OutputFormat::Json => println!("{}", serde_json::to_string_pretty(value)?),
        OutputFormat::Human => print!("{}", human(value)),
    }
    Ok(())
}

impl ModelArgs {
    /// The model these flags describe, validated with the server's rules.
    pub fn to_model(&self) -> Result<JsonThresholdModel, CliError> {
        let model = JsonThresholdModel {
            test: self.test,
            min_sample_size: self.min_sample_size,
            max_sample_size: self.max_sample_size,
            window: self.window,
            lower_boundary: self.lower_boundary,
            upper_boundary: self.upper_boundary,
        };
        model.validate()?;
        Ok(model)
    }
}

/// Run a threshold subcommand.
pub async fn run(command: ThresholdCommand) -> Result<Outcome, CliError> {
    match command {
        ThresholdCommand::List {
            project,
            branch,
            testbed,
            measure,
            format,
            backend,
        } => {
            let client = ApiClient::new(&backend)?;
            let filters: Vec<(&str, String)> = [
                ("branch", branch),
                ("testbed", testbed),
                ("measure", measure),
            ]
            .into_iter()
            .filter_map(|(k, v)| v.map(|v| (k, v.to_string())))
            .collect();
            let path = format!(
                "/v0/projects/{project}/thresholds{}",
                query_string(&filters)
            );
            let list: Vec<JsonThreshold> =
                send_json(&client, client.request(Method::GET, &path)).await?;
            print(format, &list, |l| thresholds(l))?;
        }
        ThresholdCommand::Create {
            project,
            branch,
            testbed,
            measure,
            model,
            format,
            backend,
        } => {
            let body = JsonNewThreshold {
                branch,
                testbed,
                measure,
                model: model.to_model()?,
            };
            let client = ApiClient::new(&backend)?;
            let path = format!("/v0/projects/{project}/thresholds");
            let created: JsonThreshold =
                send_json(&client, client.request(Method::POST, &path).json(&body)).await?;
            print(format, &created, threshold)?;
        }
        ThresholdCommand::View {
            project,
            threshold: uuid,
            format,
            backend,
        } => {
            let client = ApiClient::new(&backend)?;
            let path = format!("/v0/projects/{project}/thresholds/{uuid}");
            let found: JsonThreshold =
                send_json(&client, client.request(Method::GET, &path)).await?;
            print(format, &found, threshold)?;
        }
        ThresholdCommand::Update {
            project,
            threshold: uuid,
            model,
            format,
            backend,
        } => {
            let body = model.to_model()?;
            let client = ApiClient::new(&backend)?;
            let path = format!("/v0/projects/{project}/thresholds/{uuid}");
            let updated: JsonThreshold =
                send_json(&client, client.request(Method::PUT, &path).json(&body)).await?;
            print(format, &updated, threshold)?;
        }
        ThresholdCommand::Delete {
            project,
            threshold: uuid,
            backend,
        } => {
            let client = ApiClient::new(&backend)?;
            let path = format!("/v0/projects/{project}/thresholds/{uuid}");
            client.send(client.request(Method::DELETE, &path)).await?;
            eprintln!("Deleted threshold {uuid}");
        }
    }
    Ok(Outcome::Success)
}

/// A model in one line: `t_test upper 0.99, max 64`.
pub fn model_summary(model: &JsonThresholdModel) -> String {
    let mut parts = vec![model.test.to_string()];
    let fields = [
        ("lower", model.lower_boundary.map(number)),
        ("upper", model.upper_boundary.map(number)),
        ("min", model.min_sample_size.map(|n| n.to_string())),
        ("max", model.max_sample_size.map(|n| n.to_string())),
        ("window", model.window.map(|n| format!("{n}s"))),
    ];
    for (name, value) in fields {
        if let Some(value) = value {
            parts.push(format!("{name} {value}"));
        }
    }
    parts.join(", ")
}

/// Thresholds as a table.
pub fn thresholds(list: &[JsonThreshold]) -> String {
    let headers = [
        ("Threshold", Align::Left),
        ("Branch", Align::Left),
        ("Testbed", Align::Left),
        ("Measure", Align::Left),
        ("Model", Align::Left),
    ];
    let rows: Vec<Vec<String>> = list
        .iter()
        .map(|t| {
            vec![
                t.uuid.to_string(),
                t.branch.slug.to_string(),
                t.testbed.slug.to_string(),
                t.measure.slug.to_string(),
                t.model
                    .as_ref()
                    .map_or_else(|| "(none)".to_owned(), |m| model_summary(&m.model)),
            ]
        })
        .collect();
    table(&headers, &rows)
}

/// One threshold, field by field.
pub fn threshold(t: &JsonThreshold) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "Threshold: {}", t.uuid);
    let _ = writeln!(out, "Branch:    {}", t.branch.slug);
    let _ = writeln!(out, "Testbed:   {}", t.testbed.slug);
    let _ = writeln!(out, "Measure:   {} ({})", t.measure.name, t.measure.units);
    match &t.model {
        Some(m) => {
            let _ = writeln!(out, "Model:     {}", model_summary(&m.model));
            let _ = writeln!(out, "Version:   {} (since {})", m.uuid, m.created);
        }
        None => out.push_str("Model:     (none: retired by a reset)\n"),
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parser::{Cli, Command};
    use bencher_wire::json::ThresholdTest;
    use clap::Parser;

    fn command(argv: &[&str]) -> Result<ThresholdCommand, clap::Error> {
        let argv = ["bencher", "threshold"].iter().chain(argv).copied();
        match Cli::try_parse_from(argv)?.command {
            Command::Threshold(t) => Ok(t.command),
            other => panic!("parsed as {other:?}"),
        }
    }

    #[test]
    fn create_flags_become_a_validated_model() {
        let parsed = command(&[
            "create",
            "--project",
            "demo",
            "--branch",
            "feature/login",
            "--testbed",
            "ci",
            "--measure",
            "latency",
            "--test",
            "static",
            "--lower-boundary",
            "-5",
            "--upper-boundary",
            "10",
        ])
        .unwrap();
        let ThresholdCommand::Create { branch, model, .. } = parsed else {
            panic!("not create");
        };
        assert_eq!(branch.to_string(), "feature/login");
        let model = model.to_model().unwrap();
        assert_eq!(model.test, ThresholdTest::Static);
        assert_eq!(
            (model.lower_boundary, model.upper_boundary),
            (Some(-5.0), Some(10.0))
        );
        assert_eq!(model_summary(&model), "static, lower -5, upper 10");
    }

    #[test]
    fn bad_models_are_refused_before_sending_naming_the_field() {
        let parsed = command(&[
            "update",
            "--project",
            "demo",
            "0191c2a4-0000-7000-8000-0000000000a0",
            "--test",
            "t_test",
            "--upper-boundary",
            "1.5",
        ])
        .unwrap();
        let ThresholdCommand::Update { model, .. } = parsed else {
            panic!("not update");
        };
        let err = model.to_model().unwrap_err().to_string();
        assert!(err.contains("upper_boundary"), "{err}");
        assert!(command(&["view", "--project", "demo", "not-a-uuid"]).is_err());
        assert!(command(&["create", "--project", "demo", "--test", "t_test"]).is_err());
    }

    #[test]
    fn query_strings_are_percent_encoded() {
        assert_eq!(query_string(&[]), "");
        let q = query_string(&[
            ("branch", "feature/login".into()),
            ("measure", "a b".into()),
        ]);
        assert_eq!(q, "?branch=feature%2Flogin&measure=a%20b");
    }

    #[test]
    fn thresholds_render_with_their_model() {
        let path = format!("{}/json_threshold.json", bencher_wire::SAMPLES_DIR);
        let t: JsonThreshold =
            serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
        let text = thresholds(std::slice::from_ref(&t));
        assert!(text.contains("feature-login"), "{text}");
        assert!(
            text.contains("t_test, upper 0.99, min 2, max 64, window 2592000s"),
            "{text}"
        );
        assert!(threshold(&t).contains("Latency (nanoseconds (ns))"));
    }
}
