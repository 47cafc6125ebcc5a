use std::time::Duration;

use bencher_testkit::nats::NatsServer;
use bencher_wire::nats::Subjects;
use futures::StreamExt;

use super::*;

async fn js(server: &NatsServer) -> jetstream::Context {
    jetstream::new(async_nats::connect(server.url()).await.unwrap())
}

fn topo() -> Topology {
    Topology::new(Subjects::default(), 1)
}

#[tokio::test]
async fn provisioning_twice_changes_nothing() {
    let server = NatsServer::start().await.unwrap();
    let js = js(&server).await;
    let topo = topo();
    provision(&js, &topo).await.unwrap();

    js.publish("bencher.v1.evt.job.x.requested", "e".into())
        .await
        .unwrap()
        .await
        .unwrap();
    let mut before = Vec::new();
    for def in topo.streams() {
        let info = ensure_stream(&js, &def).await.unwrap();
        before.push((def.name, info.created, info.state.last_sequence));
    }
    let resolver = topo.service_consumer(ServiceConsumer::Resolver);
    let consumer_before = ensure_consumer(&js, &resolver).await.unwrap().created;

    provision(&js, &topo).await.unwrap();
    for (name, created, last) in before {
        let info = js
            .get_stream(&name)
            .await
            .unwrap()
            .info()
            .await
            .unwrap()
            .clone();
        assert_eq!(info.created, created, "{name} recreated");
        assert_eq!(info.state.last_sequence, last, "{name} changed");
    }
    let events = js.get_stream("BENCHER_EVENTS").await.unwrap();
    assert_eq!(events.cached_info().state.messages, 1);
    let after = events.consumer_info("resolver").await.unwrap();
    assert_eq!(after.created, consumer_before);
    // Every service consumer exists with the definition's filters.
    for service in ServiceConsumer::ALL {
        let def = topo.service_consumer(service);
        let info = events.consumer_info(&def.durable).await.unwrap();
        check_consumer(&def, &info.config).unwrap();
    }
}

#[tokio::test]
async fn a_stream_with_another_max_age_is_refused() {
    let server = NatsServer::start().await.unwrap();
    let js = js(&server).await;
    let topo = topo();
    let mut config = stream_config(&topo.events_stream());
    config.max_age = Duration::from_secs(3600);
    js.create_stream(config).await.unwrap();

    let err = provision(&js, &topo).await.unwrap_err();
    match &err {
        ProvisionError::Mismatch {
            field, resource, ..
        } => {
            assert_eq!(*field, "max_age");
            assert_eq!(resource, "stream BENCHER_EVENTS");
        }
        other => panic!("unexpected {other}"),
    }
    assert!(err.to_string().contains("max_age"), "{err}");
}

#[tokio::test]
async fn a_consumer_with_another_ack_wait_or_filter_is_refused() {
    let server = NatsServer::start().await.unwrap();
    let js = js(&server).await;
    let topo = topo();
    ensure_stream(&js, &topo.events_stream()).await.unwrap();
    let stream = js.get_stream("BENCHER_EVENTS").await.unwrap();

    let mut def = topo.service_consumer(ServiceConsumer::Scheduler);
    let mut config = consumer_config(&def);
    config.ack_wait = Duration::from_secs(5);
    stream.create_consumer(config).await.unwrap();
    let err = ensure_consumer(&js, &def).await.unwrap_err();
    assert!(
        matches!(
            err,
            ProvisionError::Mismatch {
                field: "ack_wait",
                ..
            }
        ),
        "{err}"
    );

    def.durable = "other".into();
    let mut config = consumer_config(&def);
    config.filter_subjects.pop();
    stream.create_consumer(config).await.unwrap();
    let err = ensure_consumer(&js, &def).await.unwrap_err();
    assert!(
        matches!(
            err,
            ProvisionError::Mismatch {
                field: "filter_subjects",
                ..
            }
        ),
        "{err}"
    );
}

#[tokio::test]
async fn a_bucket_without_republish_is_refused() {
    let server = NatsServer::start().await.unwrap();
    let js = js(&server).await;
    let def = topo().job_status_kv();
    js.create_key_value(kv::Config {
        bucket: def.bucket.clone(),
        history: def.history,
        max_age: def.max_age,
        ..Default::default()
    })
    .await
    .unwrap();
    let err = ensure_kv(&js, &def).await.unwrap_err();
    assert!(
        matches!(
            err,
            ProvisionError::Mismatch {
                field: "republish",
                ..
            }
        ),
        "{err}"
    );
}

#[tokio::test]
async fn kv_writes_are_republished_to_status_subjects() {
    let server = NatsServer::start().await.unwrap();
    let js = js(&server).await;
    let topo = topo();
    provision(&js, &topo).await.unwrap();
    let mut sub = js.client().subscribe("bencher.v1.status.>").await.unwrap();
    js.client().flush().await.unwrap();
    let kv = js.get_key_value(topo.job_status_kv().bucket).await.unwrap();
    kv.put("job-1", "running".into()).await.unwrap();
    let msg = tokio::time::timeout(Duration::from_secs(5), sub.next())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(msg.subject.as_str(), "bencher.v1.status.job-1");
    assert_eq!(&msg.payload[..], b"running");
    // The republished copy carries the bucket sequence for late subscribers.
    let headers = msg.headers.unwrap();
    assert_eq!(headers.get("Nats-Sequence").map(|v| v.as_str()), Some("1"));
}

#[tokio::test]
async fn dispatch_consumers_per_tier() {
    let server = NatsServer::start().await.unwrap();
    let js = js(&server).await;
    let topo = topo();
    let spec: Slug = "x86-64".parse().unwrap();
    provision_dispatch(&js, &topo, &spec, &Priority::HIGHEST_FIRST)
        .await
        .unwrap();
    provision_dispatch(&js, &topo, &spec, &Priority::HIGHEST_FIRST)
        .await
        .unwrap();
    let stream = js.get_stream("BENCHER_DISPATCH").await.unwrap();
    for tier in Priority::HIGHEST_FIRST {
        let def = topo.dispatch_consumer(&spec, tier);
        let info = stream.consumer_info(&def.durable).await.unwrap();
        assert_eq!(
            info.config.filter_subject,
            format!("bencher.v1.dispatch.x86-64.{tier}")
        );
    }
    let info = ensure_stream(&js, &topo.dispatch_stream()).await.unwrap();
    assert_eq!(info.config.retention, stream::RetentionPolicy::WorkQueue);
}
