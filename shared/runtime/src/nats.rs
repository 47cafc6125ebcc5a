//! Connecting to NATS: a list of servers, a bounded wait for the first connection, unlimited
//! reconnects afterwards, and connection events in the logs.

use std::time::{Duration, Instant};

use async_nats::jetstream;
use async_nats::{Client, ConnectOptions, Event, ServerAddr};

use crate::config::NatsConfig;

/// Why a NATS connection could not be made.
#[derive(Debug, thiserror::Error)]
pub enum NatsError {
    /// No server URL is configured.
    #[error("no NATS server configured: set nats.urls or BENCHER_NATS_URL")]
    NoUrls,
    /// A configured URL does not parse.
    #[error("invalid NATS url {url:?}: {source}")]
    BadUrl {
        /// The URL as configured.
        url: String,
        /// The parse error.
        #[source]
        source: std::io::Error,
    },
    /// The credentials file could not be read.
    #[error("cannot read NATS credentials: {0}")]
    Credentials(#[source] std::io::Error),
    /// No server accepted a connection within the configured time.
    #[error("no NATS server reachable at {urls:?} within {waited:?}: {source}")]
    Unreachable {
        /// The URLs tried.
        urls: Vec<String>,
        /// How long we tried.
        waited: Duration,
        /// The last connection error.
        #[source]
        source: async_nats::ConnectError,
    },
}

/// Parses the configured URLs into server addresses (never one comma-joined string).
pub fn server_addrs(urls: &[String]) -> Result<Vec<ServerAddr>, NatsError> {
    if urls.is_empty() {
        return Err(NatsError::NoUrls);
    }
    urls.iter()
        .map(|url| {
            url.parse::<ServerAddr>()
                .map_err(|source| NatsError::BadUrl {
                    url: url.clone(),
                    source,
                })
        })
        .collect()
}

/// Connects as `client_name`, retrying the first connection with backoff for up to
/// `connect_timeout_secs`; once connected the client reconnects forever on its own.
///
/// The first-connection retry is done here rather than with async-nats'
/// `retry_on_initial_connect`, whose background task would keep retrying after we give up.
pub async fn connect(cfg: &NatsConfig, client_name: &str) -> Result<Client, NatsError> {
    let addrs = server_addrs(&cfg.urls)?;
    let budget = Duration::from_secs(cfg.connect_timeout_secs);
    let started = Instant::now();
    let mut delay = Duration::from_millis(50);
    loop {
        let mut options = ConnectOptions::new()
            .name(client_name)
            .max_reconnects(None)
            .connection_timeout(Duration::from_secs(2).min(budget.max(Duration::from_millis(100))))
            .event_callback(log_event);
        if let Some(path) = &cfg.credentials {
            options = options
                .credentials_file(path)
                .await
                .map_err(NatsError::Credentials)?;
        }
        match options.connect(addrs.clone()).await {
            Ok(client) => {
                tracing::info!(client = client_name, "connected to nats");
                return Ok(client);
            }
            Err(source) => {
                let waited = started.elapsed();
                if waited + delay > budget {
                    return Err(NatsError::Unreachable {
                        urls: cfg.urls.clone(),
                        waited,
                        source,
                    });
                }
                tracing::warn!(error = %source, retry_in = ?delay, "nats not reachable yet");
                tokio::time::sleep(delay).await;
                delay = (delay * 2).min(Duration::from_secs(2));
            }
        }
    }
}

async fn log_event(event: Event) {
    match event {
        Event::Connected => tracing::info!("nats connection established"),
        Event::Disconnected => tracing::warn!("nats connection lost, reconnecting"),
        Event::LameDuckMode => tracing::warn!("nats server entering lame duck mode"),
        Event::SlowConsumer(sid) => tracing::warn!(sid, "nats slow consumer"),
        Event::ServerError(e) => tracing::error!(error = %e, "nats server error"),
        Event::ClientError(e) => tracing::error!(error = %e, "nats client error"),
        Event::Draining | Event::Closed => tracing::info!(%event, "nats connection closing"),
    }
}

/// A JetStream context over `client`, optionally in another JetStream `domain` (leaf nodes).
pub fn jetstream(client: Client, domain: Option<&str>) -> jetstream::Context {
    match domain {
        Some(domain) => jetstream::with_domain(client, domain),
        None => jetstream::new(client),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use bencher_testkit::nats::NatsServer;

    fn cfg(urls: Vec<String>, secs: u64) -> NatsConfig {
        NatsConfig {
            urls,
            connect_timeout_secs: secs,
            ..NatsConfig::default()
        }
    }

    #[test]
    fn urls_are_a_list() {
        assert!(matches!(server_addrs(&[]), Err(NatsError::NoUrls)));
        let addrs = server_addrs(&["nats://127.0.0.1:1".into(), "127.0.0.1:2".into()]).unwrap();
        assert_eq!(addrs.len(), 2);
        assert!(server_addrs(&["nats://a:1,nats://b:2".into()]).is_err());
    }

    #[tokio::test]
    async fn connects_through_a_dead_url_to_a_live_one() {
        let server = NatsServer::start().await.unwrap();
        let dead = format!(
            "nats://127.0.0.1:{}",
            bencher_testkit::nats::free_port().unwrap()
        );
        let client = connect(&cfg(vec![dead, server.url()], 10), "test")
            .await
            .unwrap();
        client.flush().await.unwrap();
        assert_eq!(
            client.connection_state(),
            async_nats::connection::State::Connected
        );
    }

    #[tokio::test]
    async fn gives_up_after_the_budget() {
        let dead = format!(
            "nats://127.0.0.1:{}",
            bencher_testkit::nats::free_port().unwrap()
        );
        let started = Instant::now();
        let err = connect(&cfg(vec![dead], 1), "test").await.unwrap_err();
        assert!(matches!(err, NatsError::Unreachable { .. }), "{err}");
        assert!(started.elapsed() < Duration::from_secs(5));
    }

    #[tokio::test]
    async fn waits_for_a_server_that_starts_late() {
        let mut server = NatsServer::start().await.unwrap();
        server.kill().await.unwrap();
        let config = cfg(vec![server.url()], 20);
        let connecting = tokio::spawn(async move { connect(&config, "late").await });
        tokio::time::sleep(Duration::from_millis(500)).await;
        server.start_again().await.unwrap();
        let client = connecting.await.unwrap().unwrap();
        client.flush().await.unwrap();
    }
}
