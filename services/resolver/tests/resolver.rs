//! Proves the resolver against a real nats-server, a real SQLite database and a real registry
//! (Debian's docker-registry, images built with umoci and pushed with skopeo): an allowed tag
//! resolves to the digest skopeo reports and the job's columns are written; a redelivered
//! request publishes the same event once; missing tags and repositories fail the job; a
//! registry not on the allow list fails it without being contacted; a registry that is down is
//! retried and then fails the job on the last delivery.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;
use bencher_testkit::oci;

use std::net::TcpListener;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use anyhow::Result;
use bencher_runtime::metrics::Outcome;
use bencher_wire::Priority;
use bencher_wire::msg::JobEvent;
use bencher_wire::nats::JobEventKind;
use bencher_wire::status::{FailureReason, FailureStage};
use common::{Stack, default_spec, outcome, request, tenant};
use oci::{Layout, Registry, busybox_image, skopeo_digest};

/// A registry holding `team/app:v1`.
fn registry_with_image() -> Result<Registry> {
    let registry = Registry::start()?;
    let layout = Layout::new()?;
    busybox_image(&layout, "v1")?;
    layout.push("v1", &registry, "team/app:v1")?;
    Ok(registry)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_allowed_tag_resolves_once_to_the_digest_skopeo_reports() -> Result<()> {
    let registry = registry_with_image()?;
    let host = registry.host();
    let stack = Stack::start(&[format!("http://{host}")]).await?;
    let spec = default_spec(&stack.db, "default").await?;
    let free = tenant(&stack.db, "acme", Priority::Free).await?;
    let image = format!("{host}/team/app:v1");
    let requested = request(&stack.db, &free, &image, None, None, Priority::Free).await?;
    let job = requested.job;
    let mut events = stack.watch(job).await?;
    stack.publish(&requested, &requested.msg_id()).await?;

    let resolved = outcome(&mut events).await?;
    let JobEvent::Resolved {
        image: pinned,
        registry: reg,
        registry_plain_http,
        spec: json_spec,
        priority,
        timeout,
    } = &resolved.event
    else {
        panic!("expected resolved, got {resolved:?}");
    };
    let digest = skopeo_digest(&registry, "team/app:v1", false)?;
    assert_eq!(pinned.digest().to_string(), digest);
    assert_eq!(pinned.to_string(), format!("{host}/team/app@{digest}"));
    assert_eq!(reg, &host);
    assert!(registry_plain_http);
    assert_eq!(json_spec.slug.as_str(), "default");
    assert_eq!(json_spec.uuid.as_uuid(), spec.uuid);
    assert_eq!(*priority, Priority::Free);
    assert_eq!(timeout.get(), 300);

    // The job holds what the event says; its status is the scheduler's to move.
    let row = stack.job(job).await?;
    assert_eq!(row.digest.as_deref(), Some(digest.as_str()));
    assert_eq!(row.spec_id, Some(spec.id));
    assert_eq!((row.priority, row.timeout), (100, 300));
    assert_eq!(row.status, "requested");
    // The testbed is pinned only for an explicit spec.
    assert_eq!(free.testbed.spec_id, None);

    // A redelivered request (another copy of the message) publishes the same event again,
    // which the stream drops as a duplicate; the job row does not change.
    let again = stack.publish(&requested, "redelivery-1").await?;
    stack.wait_acked(again).await?;
    assert_eq!(stack.count(job, JobEventKind::Resolved).await?, 1);
    assert_eq!(stack.count(job, JobEventKind::Failed).await?, 0);
    assert_eq!(stack.job(job).await?, row);
    stack.stop().await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn missing_tags_and_repositories_fail_the_job() -> Result<()> {
    let registry = registry_with_image()?;
    let host = registry.host();
    let stack = Stack::start(&[format!("http://{host}")]).await?;
    default_spec(&stack.db, "default").await?;
    let free = tenant(&stack.db, "acme", Priority::Free).await?;
    for image in [
        format!("{host}/team/app:nope"),
        format!("{host}/team/other:v1"),
    ] {
        let requested = request(&stack.db, &free, &image, None, None, Priority::Free).await?;
        let mut events = stack.watch(requested.job).await?;
        stack.publish(&requested, &requested.msg_id()).await?;
        let failed = outcome(&mut events).await?;
        let JobEvent::Failed { stage, reason, .. } = &failed.event else {
            panic!("expected failed, got {failed:?}");
        };
        assert_eq!(*stage, FailureStage::Resolution);
        assert!(
            matches!(reason, FailureReason::ImageNotFound { image: i } if i.to_string() == image),
            "{reason:?}"
        );
        assert_eq!(reason.message(), format!("image {image} not found"));
        assert_eq!(stack.job(requested.job).await?.digest, None);
    }
    stack.stop().await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_registry_not_allowed_is_refused_without_being_contacted() -> Result<()> {
    // A "registry" that only counts the connections it receives.
    let listener = TcpListener::bind("127.0.0.1:0")?;
    let port = listener.local_addr()?.port();
    listener.set_nonblocking(true)?;
    let connections = Arc::new(AtomicUsize::new(0));
    let counter = connections.clone();
    let done = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let stop = done.clone();
    let watcher = std::thread::spawn(move || {
        while !stop.load(Ordering::SeqCst) {
            if listener.accept().is_ok() {
                counter.fetch_add(1, Ordering::SeqCst);
            }
            std::thread::sleep(Duration::from_millis(5));
        }
    });

    let stack = Stack::start(&[
        "http://127.0.0.1:5999".to_owned(),
        "https://ghcr.io".to_owned(),
    ])
    .await?;
    default_spec(&stack.db, "default").await?;
    let free = tenant(&stack.db, "acme", Priority::Free).await?;
    let image = format!("127.0.0.1:{port}/team/app:v1");
    let requested = request(&stack.db, &free, &image, None, None, Priority::Free).await?;
    let mut events = stack.watch(requested.job).await?;
    stack.publish(&requested, &requested.msg_id()).await?;
    let failed = outcome(&mut events).await?;
    let JobEvent::Failed { reason, .. } = &failed.event else {
        panic!("expected failed, got {failed:?}");
    };
    let FailureReason::Resolution { message } = reason else {
        panic!("expected a resolution failure, got {reason:?}");
    };
    assert!(
        message.starts_with(&format!(
            "registry 127.0.0.1:{port} is not allowed; allowed: "
        )),
        "{message}"
    );
    assert!(message.contains("http://127.0.0.1:5999"), "{message}");
    assert!(message.contains("https://ghcr.io"), "{message}");
    assert!(message.contains("built-in registry"), "{message}");

    tokio::time::sleep(Duration::from_millis(200)).await;
    done.store(true, Ordering::SeqCst);
    watcher.join().unwrap();
    assert_eq!(
        connections.load(Ordering::SeqCst),
        0,
        "the registry was contacted"
    );
    stack.stop().await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_registry_that_is_down_is_retried_then_fails_the_job() -> Result<()> {
    // Allowed, but nothing listens there.
    let port = bencher_testkit::nats::free_port()?;
    let stack = Stack::start_with(&[format!("http://127.0.0.1:{port}")], |mut def| {
        def.max_deliver = 3;
        def
    })
    .await?;
    default_spec(&stack.db, "default").await?;
    let free = tenant(&stack.db, "acme", Priority::Free).await?;
    let image = format!("127.0.0.1:{port}/team/app:v1");
    let requested = request(&stack.db, &free, &image, None, None, Priority::Free).await?;
    let mut events = stack.watch(requested.job).await?;
    let started = std::time::Instant::now();
    stack.publish(&requested, &requested.msg_id()).await?;
    let failed = outcome(&mut events).await?;
    let JobEvent::Failed { reason, stage, .. } = &failed.event else {
        panic!("expected failed, got {failed:?}");
    };
    assert_eq!(*stage, FailureStage::Resolution);
    let message = reason.message();
    assert!(
        message.contains(&format!("registry 127.0.0.1:{port} is unreachable")),
        "{message}"
    );
    assert!(message.contains("gave up after 3 attempts"), "{message}");
    // Two naks with backoff (1 s, 2 s) before the third, last delivery.
    let durable = &stack.def.durable;
    let consumer = stack.ctx.metrics.consumer();
    assert_eq!(consumer.get(durable, Outcome::Naked), 2);
    assert!(
        started.elapsed() >= Duration::from_secs(3),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(stack.count(requested.job, JobEventKind::Resolved).await?, 0);
    stack.stop().await
}
