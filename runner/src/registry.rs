//! Registry clients, kept per (registry, plain HTTP, token): building one loads the TLS roots
//! and costs tens of milliseconds, paid once per pull token instead of once per job.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;

use bencher_oci::{Credentials, OciError, RegistryClient, RegistryConfig};
use bencher_wire::msg::RegistryAccess;

/// Clients kept at most; the cache is emptied when full (tokens are short-lived anyway).
const MAX_CLIENTS: usize = 32;
/// Read timeout towards registries.
const READ_TIMEOUT: Duration = Duration::from_secs(60);

type Key = (String, bool, String);

/// The runner's registry clients.
#[derive(Debug, Default)]
pub(crate) struct Clients {
    cache: Mutex<HashMap<Key, RegistryClient>>,
}

impl Clients {
    /// A client for `access` (HTTP only when it says plain HTTP; bearer token when it has
    /// one), built off the async threads on first use.
    pub(crate) async fn get(
        &self,
        access: &RegistryAccess,
        connect_timeout: Duration,
    ) -> Result<RegistryClient, OciError> {
        let key = (
            access.registry.clone(),
            access.plain_http,
            access.token.clone(),
        );
        if let Some(client) = self.cache.lock().ok().and_then(|c| c.get(&key).cloned()) {
            return Ok(client);
        }
        let config = RegistryConfig {
            insecure_registries: if access.plain_http {
                vec![access.registry.clone()]
            } else {
                Vec::new()
            },
            credentials: if access.token.is_empty() {
                Credentials::Anonymous
            } else {
                Credentials::Bearer(access.token.clone())
            },
            connect_timeout: Some(connect_timeout),
            read_timeout: Some(READ_TIMEOUT),
        };
        let client = tokio::task::spawn_blocking(move || RegistryClient::new(config))
            .await
            .map_err(|e| OciError::Io {
                path: "registry client".into(),
                source: std::io::Error::other(e),
            })??;
        if let Ok(mut cache) = self.cache.lock() {
            if cache.len() >= MAX_CLIENTS {
                cache.clear();
            }
            cache.insert(key, client.clone());
        }
        Ok(client)
    }
}
