use bencher_testkit::nats::NatsServer;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

use super::*;
use crate::metrics::Outcome;

async fn serve(router: Router) -> std::net::SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, router).await });
    addr
}

/// A raw HTTP/1.1 GET: (status, body).
async fn get(addr: std::net::SocketAddr, path: &str) -> (u16, String) {
    let mut stream = TcpStream::connect(addr).await.unwrap();
    let request = format!("GET {path} HTTP/1.1\r\nHost: test\r\nConnection: close\r\n\r\n");
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).await.unwrap();
    let status = response
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap();
    let body = response
        .split_once("\r\n\r\n")
        .map(|(_, b)| b.to_owned())
        .unwrap_or_default();
    (status, body)
}

#[tokio::test]
async fn health_follows_the_nats_connection_and_readiness() {
    let mut server = NatsServer::start().await.unwrap();
    let client = async_nats::ConnectOptions::new()
        .max_reconnects(None)
        .connect(server.url())
        .await
        .unwrap();
    let health = HealthState::new(vec!["resolver".into(), "scheduler".into()], Some(client));
    let metrics = Metrics::new();
    let addr = serve(ops_router(health.clone(), metrics.clone())).await;

    let (status, body) = get(addr, "/healthz").await;
    assert_eq!(status, 200, "{body}");
    let json: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(json["status"], "ok");
    assert_eq!(
        json["services"],
        serde_json::json!(["resolver", "scheduler"])
    );
    assert_eq!(json["nats"], "connected");

    assert_eq!(
        get(addr, "/readyz").await.0,
        503,
        "not ready before set_ready"
    );
    health.set_ready(true);
    assert_eq!(get(addr, "/readyz").await.0, 200);

    server.kill().await.unwrap();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while health.nats_state() == "connected" {
        assert!(
            std::time::Instant::now() < deadline,
            "disconnect not noticed"
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    let (status, body) = get(addr, "/healthz").await;
    assert_eq!(status, 503, "{body}");
    assert!(body.contains("\"nats\":\"disconnected\""), "{body}");
    assert_eq!(get(addr, "/readyz").await.0, 503);
}

#[tokio::test]
async fn metrics_are_exposed_as_text() {
    let metrics = Metrics::new();
    metrics.consumer().count("notifier", Outcome::Naked);
    let addr = serve(ops_router(HealthState::new(vec![], None), metrics)).await;
    let (status, body) = get(addr, "/metrics").await;
    assert_eq!(status, 200);
    assert!(
        body.contains("bencher_consumer_messages_total{consumer=\"notifier\",outcome=\"naked\"} 1"),
        "{body}"
    );
    assert!(body.contains("# EOF"), "{body}");
    assert_eq!(get(addr, "/nope").await.0, 404);
}
