//! Runners of images in the built-in registry get a pull-only token for the job's repository
//! with each run command, minted at dispatch and valid 10 minutes; images from other registries
//! get none (their credentials are not ours to hand out).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use std::time::Duration;

use bencher_oci::token::{Access, verify};
use bencher_runtime::Config;
use bencher_testkit::db::Backend;
use bencher_wire::Priority;
use support::{Harness, fast_options, next_run};

const WAIT: Duration = Duration::from_secs(10);
const SECRET: &str = "test-registry-secret";

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn built_in_registry_images_come_with_a_pull_only_token() {
    let mut h = Harness::start(Backend::Sqlite).await;
    // The test's resolved events name 127.0.0.1:5000 as the registry: make that "us".
    let mut config = Config::default();
    config.http.listen = "127.0.0.1:5000".parse().unwrap();
    config.registry.token_secret = Some(SECRET.to_owned());
    h.spawn_scheduler_with(fast_options(), config).await;
    let queue = h.runner_queue(Priority::Plus).await;
    let org = h.org("acme", Priority::Plus).await;
    let job = h.job(&org, None).await;
    h.resolve(job, Priority::Plus, 60).await;

    let run = next_run(&queue, WAIT).await.expect("no run command");
    let claims = verify(SECRET, &run.registry.token).expect("a token signed with our secret");
    assert_eq!(
        claims.access,
        vec![Access::pull("bench")],
        "pull only, this repository only"
    );
    assert_eq!(claims.sub, format!("job:{job}"));
    assert_eq!(claims.exp - claims.iat, 600);
    let left = run.registry.expires_at - chrono::Utc::now();
    assert!(
        left.num_seconds() > 500 && left.num_seconds() <= 600,
        "{left:?}"
    );
    assert!(verify("another-secret", &run.registry.token).is_none());
    h.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn external_registry_images_get_no_token() {
    let mut h = Harness::start(Backend::Sqlite).await;
    let mut config = Config::default();
    config.registry.token_secret = Some(SECRET.to_owned());
    h.spawn_scheduler_with(fast_options(), config).await;
    let queue = h.runner_queue(Priority::Plus).await;
    let org = h.org("acme", Priority::Plus).await;
    let job = h.job(&org, None).await;
    h.resolve(job, Priority::Plus, 60).await;
    let run = next_run(&queue, WAIT).await.expect("no run command");
    assert!(
        run.registry.token.is_empty(),
        "no token for 127.0.0.1:5000 when we are :6610"
    );
    h.stop().await;
}
