//! Proves the built-in registry end to end: skopeo pushes a benchmark image into the stack's own
//! `/v2/` (creating the project), then `bencher run --image 127.0.0.1:<port>/<project>:<tag>`
//! resolves the tag against it, a runner pulls by digest from it and runs the image, and the
//! report holds the metrics. With the registry's token auth on, a claimed private project's
//! image is refused to anonymous clients yet still runs: the resolver and the runner use
//! pull-only tokens minted for the job.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code may fail loudly

use std::process::Command;

use bencher_integration::{Sandbox, SandboxOptions, bencher};
use bencher_testkit::oci::{Layout, run, script_image};
use sea_orm::{ActiveModelTrait, ActiveValue::Set, IntoActiveModel};
use serde_json::Value;

const BMF_SCRIPT: &str =
    r#"echo "from the built-in registry" >&2; echo '{"pushed": {"latency": {"value": 7.5}}}'"#;

/// Builds a script image and pushes it with skopeo to `host` as `name_tag`.
async fn push(host: String, name_tag: &'static str) -> anyhow::Result<()> {
    tokio::task::spawn_blocking(move || -> anyhow::Result<()> {
        let layout = Layout::new()?;
        script_image(&layout, "image", BMF_SCRIPT)?;
        run(Command::new("skopeo")
            .args(["copy", "--quiet", "--dest-tls-verify=false"])
            .arg(format!("oci:{}:image", layout.path().display()))
            .arg(format!("docker://{host}/{name_tag}")))?;
        Ok(())
    })
    .await?
}

#[tokio::test(flavor = "multi_thread")]
async fn an_image_pushed_to_the_built_in_registry_runs() {
    let sandbox = Sandbox::start().await.unwrap();
    let host = sandbox.http.to_string();
    push(host.clone(), "pushed-project:v1").await.unwrap();

    let image = format!("{host}/pushed-project:v1");
    let mut cli = bencher!(sandbox);
    cli.args([
        "run",
        "--project",
        "pushed-project",
        "--branch",
        "main",
        "--testbed",
        "localhost",
        "--adapter",
        "json",
        "--format",
        "json",
        "--image",
        &image,
    ]);
    let out = tokio::task::spawn_blocking(move || cli.output())
        .await
        .unwrap()
        .unwrap();
    let (stdout, stderr) = (
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr),
    );
    assert!(out.status.success(), "{stdout}\n{stderr}");
    assert!(stderr.contains("from the built-in registry"), "{stderr}");
    let report: Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(report["job"]["status"], "processed", "{report:#}");
    let measures = &report["results"][0][0]["measures"][0];
    assert_eq!(measures["metric"]["value"], 7.5, "{report:#}");
    sandbox.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn a_private_project_runs_with_minted_pull_tokens() {
    let sandbox = Sandbox::start_with(SandboxOptions {
        registry_token_secret: Some("e2e-registry-secret".to_owned()),
        ..SandboxOptions::default()
    })
    .await
    .unwrap();
    let host = sandbox.http.to_string();
    // Anyone may push to a project nobody has claimed (skopeo fetches an anonymous token).
    push(host.clone(), "private-bench:v1").await.unwrap();
    // Claim it and make it private: anonymous pulls are refused from now on.
    let project = bencher_db::queries::registry::repository(
        sandbox.db.conn(),
        &"private-bench".parse().unwrap(),
    )
    .await
    .unwrap()
    .expect("the push created the project");
    let mut active = project.into_active_model();
    active.claimed = Set(true);
    active.visibility = Set("private".to_owned());
    active.update(sandbox.db.conn()).await.unwrap();
    let image = format!("{host}/private-bench:v1");
    let anonymous = tokio::task::spawn_blocking({
        let target = format!("docker://{image}");
        move || {
            Command::new("skopeo")
                .args(["inspect", "--tls-verify=false", "--raw", &target])
                .output()
                .unwrap()
        }
    })
    .await
    .unwrap();
    assert!(
        !anonymous.status.success(),
        "anonymous pull of a private project refused"
    );

    let mut cli = bencher!(sandbox);
    cli.args([
        "run",
        "--project",
        "private-bench",
        "--branch",
        "main",
        "--testbed",
        "localhost",
        "--adapter",
        "json",
        "--format",
        "json",
        "--image",
        &image,
    ]);
    let out = tokio::task::spawn_blocking(move || cli.output())
        .await
        .unwrap()
        .unwrap();
    let (stdout, stderr) = (
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr),
    );
    assert!(out.status.success(), "{stdout}\n{stderr}");
    let report: Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(
        report["results"][0][0]["measures"][0]["metric"]["value"],
        7.5
    );
    sandbox.stop().await.unwrap();
}
