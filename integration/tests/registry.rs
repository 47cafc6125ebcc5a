//! Proves the built-in registry end to end: skopeo pushes a benchmark image into the stack's own
//! `/v2/` (creating the project), then `bencher run --image 127.0.0.1:<port>/<project>:<tag>`
//! resolves the tag against it, a runner pulls by digest from it and runs the image, and the
//! report holds the metrics.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code may fail loudly

use std::process::Command;

use bencher_integration::{Sandbox, bencher};
use bencher_testkit::oci::{Layout, run, script_image};
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
