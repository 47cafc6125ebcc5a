//! Proves the resolver's choices against a real nats-server, SQLite and registry: the spec is
//! the one named (by slug or UUID, then pinned on the testbed), else the testbed's, else the
//! default, else the job fails; the tier comes from the organization (not from what the
//! request claims) and caps the timeout: unclaimed ≤ 60 s, free ≤ 300 s, plus 3600 s by default.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;
use bencher_testkit::oci;

use anyhow::Result;
use bencher_db::queries::resolver::testbed_by_uuid;
use bencher_wire::Priority;
use bencher_wire::ids::TestbedUuid;
use bencher_wire::msg::{JobEvent, JobEventMessage};
use bencher_wire::status::FailureReason;
use common::{Stack, Tenant, default_spec, outcome, request};
use oci::{Layout, Registry, busybox_image};

struct Env {
    stack: Stack,
    image: String,
    _registry: Registry,
}

async fn env() -> Result<Env> {
    let registry = Registry::start()?;
    let layout = Layout::new()?;
    busybox_image(&layout, "v1")?;
    layout.push("v1", &registry, "team/app:v1")?;
    let stack = Stack::start(&[format!("http://{}", registry.host())]).await?;
    Ok(Env {
        stack,
        image: format!("{}/team/app:v1", registry.host()),
        _registry: registry,
    })
}

impl Env {
    /// Requests a job and returns its resolved or failed event.
    async fn run(
        &self,
        tenant: &Tenant,
        spec: Option<&str>,
        timeout: Option<u32>,
        claimed: Priority,
    ) -> Result<JobEventMessage> {
        let requested =
            request(&self.stack.db, tenant, &self.image, spec, timeout, claimed).await?;
        let mut events = self.stack.watch(requested.job).await?;
        self.stack.publish(&requested, &requested.msg_id()).await?;
        outcome(&mut events).await
    }

    async fn spec_of(&self, tenant: &Tenant, spec: Option<&str>) -> Result<String> {
        let event = self.run(tenant, spec, None, Priority::Free).await?;
        match event.event {
            JobEvent::Resolved { spec, .. } => Ok(spec.slug.to_string()),
            other => panic!("expected resolved, got {other:?}"),
        }
    }

    async fn failure(&self, tenant: &Tenant, spec: Option<&str>) -> Result<FailureReason> {
        let event = self.run(tenant, spec, None, Priority::Free).await?;
        match event.event {
            JobEvent::Failed { reason, .. } => Ok(reason),
            other => panic!("expected failed, got {other:?}"),
        }
    }

    async fn testbed_spec(&self, tenant: &Tenant) -> Result<Option<i64>> {
        let uuid = TestbedUuid::from(tenant.testbed.uuid);
        Ok(testbed_by_uuid(&self.stack.db, uuid)
            .await?
            .unwrap()
            .spec_id)
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn specs_resolve_explicit_then_testbed_then_default() -> Result<()> {
    let env = env().await?;
    let db = &env.stack.db;
    let acme = common::tenant(db, "acme", Priority::Free).await?;

    // No spec named and none is the default.
    let reason = env.failure(&acme, None).await?;
    assert_eq!(reason, FailureReason::NoSpec { spec: None });
    assert_eq!(reason.message(), "no default spec to run on");

    // `big` first, then `default` takes over as the default.
    let big = default_spec(db, "big").await?;
    let default = default_spec(db, "default").await?;
    assert_eq!(env.spec_of(&acme, None).await?, "default");
    assert_eq!(env.testbed_spec(&acme).await?, None);

    // Named explicitly: used, and pinned on the testbed; later jobs follow the testbed.
    assert_eq!(env.spec_of(&acme, Some("big")).await?, "big");
    assert_eq!(env.testbed_spec(&acme).await?, Some(big.id));
    assert_eq!(env.spec_of(&acme, None).await?, "big");

    // By UUID too.
    let by_uuid = default.uuid.to_string();
    assert_eq!(env.spec_of(&acme, Some(&by_uuid)).await?, "default");
    assert_eq!(env.testbed_spec(&acme).await?, Some(default.id));

    // An unknown spec fails the job and leaves the testbed alone.
    let reason = env.failure(&acme, Some("nope")).await?;
    assert_eq!(
        reason,
        FailureReason::NoSpec {
            spec: Some("nope".into())
        }
    );
    assert_eq!(env.testbed_spec(&acme).await?, Some(default.id));
    env.stack.stop().await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_organization_sets_the_tier_and_the_tier_caps_the_timeout() -> Result<()> {
    let env = env().await?;
    let db = &env.stack.db;
    default_spec(db, "default").await?;
    let unclaimed = common::tenant(db, "anon", Priority::Unclaimed).await?;
    let free = common::tenant(db, "free", Priority::Free).await?;
    let plus = common::tenant(db, "plus", Priority::Plus).await?;

    // (tenant, what the request claims, asked timeout, expected tier, expected timeout)
    let cases = [
        (
            &unclaimed,
            Priority::Plus,
            Some(600),
            Priority::Unclaimed,
            60,
        ),
        (
            &unclaimed,
            Priority::Unclaimed,
            None,
            Priority::Unclaimed,
            60,
        ),
        (
            &unclaimed,
            Priority::Unclaimed,
            Some(30),
            Priority::Unclaimed,
            30,
        ),
        (&free, Priority::Free, Some(600), Priority::Free, 300),
        (&free, Priority::Plus, Some(120), Priority::Free, 120),
        (&free, Priority::Free, None, Priority::Free, 300),
        (&plus, Priority::Unclaimed, Some(600), Priority::Plus, 600),
        (&plus, Priority::Plus, None, Priority::Plus, 3600),
        (&plus, Priority::Plus, Some(86_400), Priority::Plus, 86_400),
    ];
    for (tenant, claimed, asked, tier, expected) in cases {
        let event = env.run(tenant, None, asked, claimed).await?;
        let JobEvent::Resolved {
            priority, timeout, ..
        } = &event.event
        else {
            panic!("expected resolved, got {event:?}");
        };
        assert_eq!((*priority, timeout.get()), (tier, expected), "{asked:?}");
        let row = env.stack.job(event.job).await?;
        assert_eq!(
            (row.priority, row.timeout),
            (tier.value(), i32::try_from(expected)?)
        );
    }
    env.stack.stop().await
}
