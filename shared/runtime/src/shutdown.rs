//! Cooperative shutdown: one token every task watches, tripped by Ctrl-C, SIGTERM or a test.

use std::future::Future;

use tokio_util::sync::CancellationToken;

/// A cloneable shutdown switch. Cloning shares the switch; [`child`](Shutdown::child) makes one
/// that trips with its parent but can also be tripped alone.
#[derive(Clone, Debug, Default)]
pub struct Shutdown {
    token: CancellationToken,
}

impl Shutdown {
    /// A switch that is not tripped.
    pub fn new() -> Self {
        Self::default()
    }

    /// Trips the switch: every waiter wakes.
    pub fn trigger(&self) {
        self.token.cancel();
    }

    /// Whether the switch was tripped.
    pub fn is_triggered(&self) -> bool {
        self.token.is_cancelled()
    }

    /// Resolves once the switch is tripped.
    pub fn wait(&self) -> impl Future<Output = ()> + Send + 'static {
        self.token.clone().cancelled_owned()
    }

    /// A switch tripped by this one, or on its own.
    pub fn child(&self) -> Shutdown {
        Shutdown {
            token: self.token.child_token(),
        }
    }

    /// The underlying token, for APIs that take one.
    pub fn token(&self) -> &CancellationToken {
        &self.token
    }

    /// Trips the switch when the process gets Ctrl-C or SIGTERM.
    pub fn trigger_on_signal(&self) {
        let this = self.clone();
        tokio::spawn(async move {
            tokio::select! {
                () = shutdown_signal() => this.trigger(),
                () = this.wait() => {}
            }
        });
    }
}

/// Resolves on Ctrl-C (SIGINT) or SIGTERM. If a handler cannot be installed, that signal is
/// ignored and the other still works.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => tracing::info!("ctrl-c received, shutting down"),
        () = term => tracing::info!("sigterm received, shutting down"),
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    #[tokio::test]
    async fn trigger_wakes_waiters_and_children() {
        let shutdown = Shutdown::new();
        let child = shutdown.child();
        let waiter = tokio::spawn(child.wait());
        assert!(!child.is_triggered());
        let lone = shutdown.child();
        lone.trigger();
        assert!(!shutdown.is_triggered(), "a child does not trip its parent");
        shutdown.trigger();
        tokio::time::timeout(Duration::from_secs(1), waiter)
            .await
            .unwrap()
            .unwrap();
        assert!(child.is_triggered());
    }
}
