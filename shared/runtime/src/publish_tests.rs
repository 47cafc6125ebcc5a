use async_nats::jetstream::stream::Config as StreamConfig;
use bencher_testkit::nats::NatsServer;

use super::*;

async fn setup(server: &NatsServer) -> jetstream::Context {
    let client = async_nats::connect(server.url()).await.unwrap();
    let js = jetstream::new(client);
    js.create_stream(StreamConfig {
        name: "PUB".into(),
        subjects: vec!["pub.>".into()],
        duplicate_window: Duration::from_secs(60),
        ..Default::default()
    })
    .await
    .unwrap();
    js
}

#[tokio::test]
async fn same_id_is_stored_once_and_reported_duplicate() {
    let server = NatsServer::start().await.unwrap();
    let js = setup(&server).await;
    let mut headers = HeaderMap::new();
    headers.insert("traceparent", "00-abc-def-01");
    let first = publish_deduplicated(&js, "pub.a", "job-1:requested", "x".into(), Some(headers))
        .await
        .unwrap();
    assert!(!first.duplicate);
    assert_eq!(first.stream, "PUB");
    let second = publish_deduplicated(&js, "pub.a", "job-1:requested", "x".into(), None)
        .await
        .unwrap();
    assert!(second.duplicate);
    assert_eq!(second.sequence, first.sequence);
    let mut stream = js.get_stream("PUB").await.unwrap();
    assert_eq!(stream.info().await.unwrap().state.messages, 1);
    let stored = stream.get_raw_message(first.sequence).await.unwrap();
    let headers = stored.headers;
    assert_eq!(
        headers.get("traceparent").map(|v| v.as_str()),
        Some("00-abc-def-01")
    );
    assert_eq!(
        headers.get("Nats-Msg-Id").map(|v| v.as_str()),
        Some("job-1:requested")
    );
}

#[tokio::test]
async fn retries_through_a_server_restart() {
    let mut server = NatsServer::start().await.unwrap();
    let js = setup(&server).await;
    server.kill().await.unwrap();
    let publisher = {
        let js = js.clone();
        tokio::spawn(async move {
            let retry = PublishRetry {
                attempt_timeout: Duration::from_millis(500),
                deadline: Duration::from_secs(30),
            };
            publish_deduplicated_with(&js, "pub.b", "job-2:claimed", "y".into(), None, retry).await
        })
    };
    tokio::time::sleep(Duration::from_millis(1500)).await;
    server.start_again().await.unwrap();
    let published = publisher.await.unwrap().unwrap();
    assert!(published.attempts > 1, "{published:?}");
    let mut stream = js.get_stream("PUB").await.unwrap();
    assert_eq!(stream.info().await.unwrap().state.messages, 1);
}

#[tokio::test]
async fn refusals_are_not_retried_and_deadlines_end() {
    let server = NatsServer::start().await.unwrap();
    let js = setup(&server).await;
    let too_big = Bytes::from(vec![0u8; 2 << 20]);
    let err = publish_deduplicated(&js, "pub.c", "big", too_big, None)
        .await
        .unwrap_err();
    assert!(matches!(err, PublishFailure::Refused { .. }), "{err}");

    // No stream captures this subject: "no responders" until the deadline.
    let retry = PublishRetry {
        attempt_timeout: Duration::from_millis(200),
        deadline: Duration::from_millis(800),
    };
    let started = Instant::now();
    let err = publish_deduplicated_with(&js, "nostream.x", "id", "z".into(), None, retry)
        .await
        .unwrap_err();
    assert!(
        matches!(err, PublishFailure::Exhausted { attempts, .. } if attempts > 1),
        "{err}"
    );
    assert!(started.elapsed() < Duration::from_secs(3));
}

#[tokio::test]
async fn survives_the_loss_of_the_stream_leader() {
    let mut cluster = bencher_testkit::nats::NatsCluster::start(3).await.unwrap();
    let config = crate::config::NatsConfig {
        urls: cluster.urls(),
        replicas: 3,
        ..Default::default()
    };
    let client = crate::nats::connect(&config, "publish-test").await.unwrap();
    let js = jetstream::new(client);
    let mut stream = js
        .create_stream(StreamConfig {
            name: "PUB3".into(),
            subjects: vec!["pub3.>".into()],
            num_replicas: 3,
            duplicate_window: Duration::from_secs(60),
            ..Default::default()
        })
        .await
        .unwrap();
    publish_deduplicated(&js, "pub3.a", "before", "1".into(), None)
        .await
        .unwrap();
    let leader = stream
        .info()
        .await
        .unwrap()
        .cluster
        .clone()
        .unwrap()
        .leader
        .unwrap();
    let index: usize = leader.trim_start_matches("node-").parse().unwrap();
    cluster.node(index).unwrap().kill().await.unwrap();

    let published = publish_deduplicated(&js, "pub3.a", "after", "2".into(), None)
        .await
        .unwrap();
    assert!(!published.duplicate);
    let again = publish_deduplicated(&js, "pub3.a", "after", "2".into(), None)
        .await
        .unwrap();
    assert!(
        again.duplicate,
        "the retry id must dedupe across the new leader"
    );
    let info = js
        .get_stream("PUB3")
        .await
        .unwrap()
        .info()
        .await
        .unwrap()
        .clone();
    assert_eq!(info.state.messages, 2);
    assert_ne!(info.cluster.unwrap().leader.unwrap(), leader);
}
