//! Proves thresholds and alerts end to end with the real CLI binary and the whole stack: 30 runs
//! with known values (29 local `bencher run --file`, one `--image` run on a runner) under a
//! `t_test` threshold set from `--threshold-*` flags get the boundaries bencher-stats computes
//! from the same values; a regression alerts (`--err` exits 1, the table marks it) and a normal
//! value does not; the alert is dismissed with `bencher alert dismiss` and listed as dismissed.
//! Then threshold CRUD through `bencher threshold`: update makes a new model version (the old one
//! kept, marked replaced), bad models answer 400 naming the field, a duplicate 409, a missing
//! measure 404, `--thresholds-reset` retires the model, create revives it, delete removes it.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code may fail loudly

use std::process::{Command, Output};

use bencher_db::queries::thresholds::threshold_models;
use bencher_integration::{Sandbox, bencher};
use bencher_stats::{Boundary, Model, ThresholdTest, check, compute_boundary};
use serde_json::Value;

const PROJECT: &str = "thresholds-e2e";
const RUNS: usize = 30;
/// The run submitted as an image job on a runner.
const IMAGE_RUN: usize = 17;

/// The threshold every run sets: `t_test`, both sides at 0.99, at most 64 samples.
const THRESHOLD_FLAGS: [&str; 10] = [
    "--threshold-measure",
    "latency",
    "--threshold-test",
    "t_test",
    "--threshold-max-sample-size",
    "64",
    "--threshold-lower-boundary",
    "0.99",
    "--threshold-upper-boundary",
    "0.99",
];

fn model() -> Model {
    Model {
        max_sample_size: Some(64),
        ..Model::new(ThresholdTest::TTest, Some(0.99), Some(0.99))
    }
}

/// Known, spread values around 1000.
fn value(i: usize) -> f64 {
    #[allow(clippy::cast_precision_loss)]
    let step = ((i * 37) % 17) as f64;
    1000.0 + (step - 8.0) * 2.5
}

fn bmf(value: f64) -> String {
    format!(r#"{{"fib": {{"latency": {{"value": {value}}}}}}}"#)
}

async fn output(mut command: Command) -> Output {
    tokio::task::spawn_blocking(move || command.output().unwrap())
        .await
        .unwrap()
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn base_run(sandbox: &Sandbox) -> Command {
    let mut cli = bencher!(sandbox);
    cli.args(["run", "--project", PROJECT, "--branch", "main"])
        .args(["--testbed", "ci", "--adapter", "json"]);
    cli
}

/// A local run of `value` read from a file.
async fn local_run(sandbox: &Sandbox, dir: &std::path::Path, value: f64, extra: &[&str]) -> Output {
    let file = dir.join(format!("bmf-{value}.json"));
    std::fs::write(&file, bmf(value)).unwrap();
    let mut cli = base_run(sandbox);
    cli.args(extra).arg("--file").arg(&file);
    output(cli).await
}

fn report(out: &Output) -> Value {
    assert!(
        out.status.success(),
        "exit {:?}\n{}\n{}",
        out.status,
        text(&out.stdout),
        text(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{e}: {}", text(&out.stdout)))
}

/// The only measure of the report's only result.
fn measure(report: &Value) -> &Value {
    let results = report["results"][0].as_array().unwrap();
    assert_eq!(results.len(), 1, "{report:#}");
    assert_eq!(results[0]["benchmark"]["name"], "fib");
    &results[0]["measures"][0]
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-9 * a.abs().max(b.abs()).max(1.0)
}

fn assert_boundary(m: &Value, expected: Option<Boundary>, run: usize) {
    let Some(expected) = expected else {
        assert!(m.get("boundary").is_none(), "run {run}: {m:#}");
        return;
    };
    let b = &m["boundary"];
    for (field, want) in [
        ("baseline", expected.baseline),
        ("lower_limit", expected.lower_limit),
        ("upper_limit", expected.upper_limit),
    ] {
        let got = b[field]
            .as_f64()
            .unwrap_or_else(|| panic!("run {run}: {m:#}"));
        let want = want.unwrap();
        assert!(close(got, want), "run {run} {field}: {got} != {want}");
    }
    assert_eq!(m["threshold"]["model"]["test"], "t_test");
}

/// `bencher <args> --project PROJECT --format json`, parsed.
async fn cli_json(sandbox: &Sandbox, args: &[&str]) -> Value {
    let mut cli = bencher!(sandbox);
    cli.args(args)
        .args(["--project", PROJECT, "--format", "json"]);
    report(&output(cli).await)
}

/// `curl` a JSON body to the API: (status, body).
async fn http(sandbox: &Sandbox, method: &str, path: &str, body: &str) -> (u16, Value) {
    let mut curl = Command::new("curl");
    curl.args(["-sS", "-X", method, "-H", "content-type: application/json"])
        .args(["-d", body, "-w", "\n%{http_code}"])
        .arg(format!("{}{path}", sandbox.host()));
    let out = text(&output(curl).await.stdout);
    let (body, status) = out.rsplit_once('\n').unwrap();
    (status.parse().unwrap(), serde_json::from_str(body).unwrap())
}

#[tokio::test(flavor = "multi_thread")]
async fn thresholds_compute_boundaries_raise_alerts_and_alerts_are_dismissed() {
    let sandbox = Sandbox::start().await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let mut history: Vec<f64> = Vec::new(); // oldest first
    let mut expected_alerts = 0;

    for i in 0..RUNS {
        let v = value(i);
        let out = if i == IMAGE_RUN {
            let script = format!("echo '{}'", bmf(v));
            let image = sandbox
                .push_script_image("bench:v1", &script)
                .await
                .unwrap();
            let mut cli = base_run(&sandbox);
            cli.args(THRESHOLD_FLAGS)
                .args(["--format", "json", "--image", &image]);
            output(cli).await
        } else {
            local_run(
                &sandbox,
                dir.path(),
                v,
                &[&THRESHOLD_FLAGS[..], &["--format", "json"][..]].concat(),
            )
            .await
        };
        let report = report(&out);
        if i == IMAGE_RUN {
            assert_eq!(report["job"]["status"], "processed", "{report:#}");
        }
        let m = measure(&report);
        assert_eq!(m["metric"]["value"].as_f64(), Some(v));
        let newest_first: Vec<f64> = history.iter().rev().copied().collect();
        let expected = compute_boundary(&model(), &newest_first);
        // No limits without at least two samples.
        assert_eq!(expected.is_some(), i >= 2, "run {i}");
        assert_boundary(m, expected, i);
        let alert = expected.and_then(|b| check(&b, v));
        assert_eq!(m.get("alert").is_some(), alert.is_some(), "run {i}: {m:#}");
        expected_alerts += usize::from(alert.is_some());
        history.push(v);
    }

    // A regression far above the history must alert: --err exits 1 and the table marks it.
    let newest_first: Vec<f64> = history.iter().rev().copied().collect();
    let boundary = compute_boundary(&model(), &newest_first).unwrap();
    let regression = boundary.upper_limit.unwrap() + 100.0;
    let out = local_run(&sandbox, dir.path(), regression, &["--err"]).await;
    let (stdout, stderr) = (text(&out.stdout), text(&out.stderr));
    assert_eq!(out.status.code(), Some(1), "{stdout}\n{stderr}");
    let row = stdout
        .lines()
        .find(|l| l.starts_with("fib"))
        .unwrap_or_else(|| panic!("{stdout}"));
    assert!(row.contains("🚨 above upper limit"), "{row}");
    assert!(
        row.contains(&bencher_cli::render::number(regression)),
        "{row}"
    );
    assert!(row.contains('%'), "Δ% shown: {row}");
    assert!(stderr.contains("--err"), "{stderr}");
    history.push(regression);
    expected_alerts += 1;

    // A normal value (the baseline) must not alert, even with --err.
    let newest_first: Vec<f64> = history.iter().rev().copied().collect();
    let boundary = compute_boundary(&model(), &newest_first).unwrap();
    let normal = boundary.baseline.unwrap();
    let out = local_run(&sandbox, dir.path(), normal, &["--err", "--format", "json"]).await;
    let normal_report = report(&out);
    let m = measure(&normal_report);
    assert_boundary(m, Some(boundary), RUNS + 1);
    assert!(m.get("alert").is_none(), "{m:#}");
    assert_eq!(normal_report["alerts"], serde_json::json!([]));

    // The alerts: newest first, the regression on top; dismiss it and see it listed as such.
    let active = cli_json(&sandbox, &["alert", "list", "--status", "active"]).await;
    let active = active.as_array().unwrap();
    assert_eq!(active.len(), expected_alerts, "{active:#?}");
    let top = &active[0];
    assert_eq!(top["metric"]["value"].as_f64(), Some(regression));
    assert_eq!(top["limit"], "upper");
    assert_eq!(top["measure"]["units"], "nanoseconds (ns)");
    let alert = top["uuid"].as_str().unwrap().to_owned();
    let dismissed = cli_json(&sandbox, &["alert", "dismiss", &alert]).await;
    assert_eq!(dismissed["status"], "dismissed");
    let listed = cli_json(&sandbox, &["alert", "list", "--status", "dismissed"]).await;
    let uuids: Vec<&str> = listed
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["uuid"].as_str().unwrap())
        .collect();
    assert_eq!(uuids, [alert.as_str()]);
    let active = cli_json(&sandbox, &["alert", "list", "--status", "active"]).await;
    assert_eq!(active.as_array().unwrap().len(), expected_alerts - 1);
    let viewed = cli_json(&sandbox, &["alert", "view", &alert]).await;
    assert_eq!(viewed["status"], "dismissed");
    let mut human = bencher!(sandbox);
    human.args([
        "alert",
        "list",
        "--project",
        PROJECT,
        "--status",
        "dismissed",
    ]);
    let human = text(&output(human).await.stdout);
    assert!(
        human.contains(&alert) && human.contains("dismissed"),
        "{human}"
    );

    threshold_crud(&sandbox, dir.path()).await;
    sandbox.stop().await.unwrap();
}

async fn threshold_crud(sandbox: &Sandbox, dir: &std::path::Path) {
    // The runs' flags made one threshold, whose model never changed: one version.
    let list = cli_json(sandbox, &["threshold", "list", "--measure", "latency"]).await;
    let list = list.as_array().unwrap();
    assert_eq!(list.len(), 1, "{list:#?}");
    let t = list[0]["uuid"].as_str().unwrap().to_owned();
    let first_model = list[0]["model"]["uuid"].as_str().unwrap().to_owned();
    assert_eq!(list[0]["model"]["upper_boundary"], 0.99);
    let threshold_id = {
        use bencher_db::entities::threshold;
        use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
        threshold::Entity::find()
            .filter(threshold::Column::Uuid.eq(t.parse::<uuid::Uuid>().unwrap()))
            .one(sandbox.db.conn())
            .await
            .unwrap()
            .unwrap()
            .id
    };
    assert_eq!(
        threshold_models(sandbox.db.conn(), threshold_id)
            .await
            .unwrap()
            .len(),
        1
    );

    // Update: a new current version; the old one is kept and marked replaced.
    let updated = cli_json(
        sandbox,
        &[
            "threshold",
            "update",
            &t,
            "--test",
            "percentage",
            "--upper-boundary",
            "0.25",
        ],
    )
    .await;
    assert_eq!(updated["model"]["test"], "percentage");
    assert_ne!(updated["model"]["uuid"], first_model.as_str());
    let versions = threshold_models(sandbox.db.conn(), threshold_id)
        .await
        .unwrap();
    assert_eq!(versions.len(), 2);
    assert_eq!(versions[0].uuid.to_string(), first_model);
    assert!(versions[0].replaced.is_some() && versions[1].replaced.is_none());

    // The server applies the one rule set: 400 naming the field.
    let path = format!("/v0/projects/{PROJECT}/thresholds");
    let (status, body) = http(
        sandbox,
        "PUT",
        &format!("{path}/{t}"),
        r#"{"test": "t_test", "upper_boundary": 1.5}"#,
    )
    .await;
    assert_eq!(
        (status, body["field"].as_str()),
        (400, Some("upper_boundary")),
        "{body}"
    );
    let (status, body) = http(
        sandbox,
        "POST",
        &path,
        r#"{"branch": "main", "testbed": "ci", "measure": "latency", "test": "static",
            "upper_boundary": 5, "window": 60}"#,
    )
    .await;
    assert_eq!(
        (status, body["field"].as_str()),
        (400, Some("window")),
        "{body}"
    );

    // Creating it again conflicts; a missing measure is named.
    let mut dup = bencher!(sandbox);
    dup.args([
        "threshold",
        "create",
        "--project",
        PROJECT,
        "--branch",
        "main",
    ])
    .args([
        "--testbed",
        "ci",
        "--measure",
        "latency",
        "--test",
        "static",
    ])
    .args(["--upper-boundary", "2000"]);
    let out = output(dup).await;
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stderr).contains("already have threshold"),
        "{}",
        text(&out.stderr)
    );
    let (status, body) = http(
        sandbox,
        "POST",
        &path,
        r#"{"branch": "main", "testbed": "ci", "measure": "nope", "test": "static",
            "upper_boundary": 5}"#,
    )
    .await;
    assert_eq!(status, 404, "{body}");
    assert!(
        body["error"].as_str().unwrap().contains("measure nope"),
        "{body}"
    );

    // --thresholds-reset retires the model: no boundary on the next run.
    let out = local_run(
        sandbox,
        dir,
        1000.0,
        &["--thresholds-reset", "--format", "json"],
    )
    .await;
    assert!(measure(&report(&out)).get("boundary").is_none());
    let viewed = cli_json(sandbox, &["threshold", "view", &t]).await;
    assert!(viewed.get("model").is_none(), "{viewed:#}");

    // Create revives the same threshold with a new model; the next run is judged by it.
    let created = cli_json(
        sandbox,
        &[
            "threshold",
            "create",
            "--branch",
            "main",
            "--testbed",
            "ci",
            "--measure",
            "latency",
            "--test",
            "static",
            "--lower-boundary",
            "-5",
            "--upper-boundary",
            "2000",
        ],
    )
    .await;
    assert_eq!(created["uuid"], t.as_str());
    assert_eq!(created["model"]["test"], "static");
    let out = local_run(sandbox, dir, 2500.0, &["--format", "json"]).await;
    let run = report(&out);
    let m = measure(&run);
    assert_eq!(m["boundary"]["upper_limit"].as_f64(), Some(2000.0));
    assert_eq!(m["alert"]["limit"], "upper");

    // Delete removes it with its alerts.
    let mut delete = bencher!(sandbox);
    delete.args(["threshold", "delete", "--project", PROJECT, &t]);
    assert!(output(delete).await.status.success());
    let mut view = bencher!(sandbox);
    view.args(["threshold", "view", "--project", PROJECT, &t]);
    let out = output(view).await;
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stderr).contains("404"), "{}", text(&out.stderr));
    let all = cli_json(sandbox, &["alert", "list"]).await;
    assert_eq!(all, serde_json::json!([]));
}
