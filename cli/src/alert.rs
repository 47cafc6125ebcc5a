//! `bencher alert list|view|dismiss`, against `/v0/projects/{p}/alerts`.

use std::fmt::Write;

use bencher_wire::json::{
    AlertStatus, BoundaryLimit, JsonAlert, JsonUpdateAlert, UpdateAlertStatus,
};
use reqwest::Method;

use crate::Outcome;
use crate::client::ApiClient;
use crate::error::CliError;
use crate::parser::AlertCommand;
use crate::render::{Align, delta_percent, number, table};
use crate::threshold::{print, query_string, send_json};

/// Run an alert subcommand.
pub async fn run(command: AlertCommand) -> Result<Outcome, CliError> {
    match command {
        AlertCommand::List {
            project,
            status,
            format,
            backend,
        } => {
            let client = ApiClient::new(&backend)?;
            let query: Vec<(&str, String)> = status
                .map(|s| ("status", s.as_str().to_owned()))
                .into_iter()
                .collect();
            let path = format!("/v0/projects/{project}/alerts{}", query_string(&query));
            let list: Vec<JsonAlert> =
                send_json(&client, client.request(Method::GET, &path)).await?;
            print(format, &list, |l| alerts(l))?;
        }
        AlertCommand::View {
            project,
            alert: uuid,
            format,
            backend,
        } => {
            let client = ApiClient::new(&backend)?;
            let path = format!("/v0/projects/{project}/alerts/{uuid}");
            let found: JsonAlert = send_json(&client, client.request(Method::GET, &path)).await?;
            print(format, &found, alert)?;
        }
        AlertCommand::Dismiss {
            project,
            alert: uuid,
            undo,
            format,
            backend,
        } => {
            let client = ApiClient::new(&backend)?;
            let path = format!("/v0/projects/{project}/alerts/{uuid}");
            let body = JsonUpdateAlert {
                status: Some(if undo {
                    UpdateAlertStatus::Active
                } else {
                    UpdateAlertStatus::Dismissed
                }),
            };
            let updated: JsonAlert =
                send_json(&client, client.request(Method::PATCH, &path).json(&body)).await?;
            print(format, &updated, alert)?;
        }
    }
    Ok(Outcome::Success)
}

fn status_name(status: AlertStatus) -> &'static str {
    match status {
        AlertStatus::Active => "🚨 active",
        AlertStatus::Dismissed => "dismissed",
        AlertStatus::Silenced => "silenced",
    }
}

fn limit_name(limit: BoundaryLimit) -> &'static str {
    match limit {
        BoundaryLimit::Lower => "below lower limit",
        BoundaryLimit::Upper => "above upper limit",
    }
}

/// Alerts as a table: which benchmark and measure, the value against its limits, the status.
pub fn alerts(list: &[JsonAlert]) -> String {
    let headers = [
        ("Alert", Align::Left),
        ("Status", Align::Left),
        ("Benchmark", Align::Left),
        ("Measure", Align::Left),
        ("Value", Align::Right),
        ("Δ%", Align::Right),
        ("Limit", Align::Left),
        ("Created", Align::Left),
    ];
    let rows: Vec<Vec<String>> = list
        .iter()
        .map(|a| {
            let limit = match a.limit {
                BoundaryLimit::Lower => a.boundary.lower_limit,
                BoundaryLimit::Upper => a.boundary.upper_limit,
            };
            vec![
                a.uuid.to_string(),
                status_name(a.status).to_owned(),
                a.benchmark.name.clone(),
                a.measure.slug.to_string(),
                number(a.metric.value),
                delta_percent(a.metric.value, a.boundary.baseline),
                format!(
                    "{} {}",
                    limit_name(a.limit),
                    limit.map(number).unwrap_or_default()
                ),
                a.created.format("%Y-%m-%d %H:%M:%S").to_string(),
            ]
        })
        .collect();
    table(&headers, &rows)
}

/// One alert, field by field.
pub fn alert(a: &JsonAlert) -> String {
    let mut out = String::new();
    let opt = |v: Option<f64>| v.map(number).unwrap_or_else(|| "-".to_owned());
    let _ = writeln!(out, "Alert:     {}", a.uuid);
    let _ = writeln!(out, "Status:    {}", status_name(a.status));
    let _ = writeln!(out, "Report:    {}", a.report);
    let _ = writeln!(out, "Benchmark: {}", a.benchmark.name);
    let _ = writeln!(out, "Measure:   {} ({})", a.measure.name, a.measure.units);
    let _ = writeln!(
        out,
        "Value:     {} ({} {})",
        number(a.metric.value),
        limit_name(a.limit),
        delta_percent(a.metric.value, a.boundary.baseline)
    );
    let _ = writeln!(
        out,
        "Boundary:  baseline {}, lower {}, upper {}",
        opt(a.boundary.baseline),
        opt(a.boundary.lower_limit),
        opt(a.boundary.upper_limit)
    );
    let _ = writeln!(out, "Raised:    {}", a.created);
    if a.modified != a.created {
        let _ = writeln!(out, "Changed:   {}", a.modified);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parser::{Cli, Command};
    use clap::Parser;

    fn sample() -> JsonAlert {
        let path = format!("{}/json_alert.json", bencher_wire::SAMPLES_DIR);
        serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
    }

    #[test]
    fn alerts_show_value_limit_and_status() {
        let mut a = sample();
        let text = alerts(std::slice::from_ref(&a));
        let row = text.lines().nth(2).unwrap();
        for cell in [
            "🚨 active",
            "fib/20 (µs)",
            "1520.5",
            "+25.66%",
            "above upper limit 1318.75",
        ] {
            assert!(row.contains(cell), "{cell:?} missing from {row:?}");
        }
        a.status = AlertStatus::Dismissed;
        assert!(alert(&a).contains("Status:    dismissed"));
    }

    #[test]
    fn alert_commands_parse() {
        let cli = Cli::try_parse_from([
            "bencher",
            "alert",
            "list",
            "--project",
            "demo",
            "--status",
            "dismissed",
        ])
        .unwrap();
        let Command::Alert(args) = cli.command else {
            panic!("not alert");
        };
        assert!(matches!(
            args.command,
            AlertCommand::List {
                status: Some(crate::parser::alert::StatusFilter::Dismissed),
                ..
            }
        ));
        assert!(
            Cli::try_parse_from([
                "bencher",
                "alert",
                "list",
                "--project",
                "d",
                "--status",
                "x"
            ])
            .is_err()
        );
        assert!(
            Cli::try_parse_from(["bencher", "alert", "dismiss", "--project", "d", "x"]).is_err()
        );
    }
}
