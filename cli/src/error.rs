//! Every way a command can fail, with messages written for the person at the terminal.

use bencher_wire::ValidationError;
use bencher_wire::json::JsonError;

/// Why a command failed.
#[derive(Debug, thiserror::Error)]
pub enum CliError {
    /// A flag value or combination is not valid (checked before anything is sent).
    #[error("{0}")]
    Validation(#[from] ValidationError),
    /// Flags that do not go together.
    #[error("{0}")]
    Usage(String),
    /// The server could not be reached at all.
    #[error(
        "cannot reach the server at {host}: {source} (is it running? set --host or BENCHER_HOST)"
    )]
    Unreachable {
        /// The host tried.
        host: String,
        /// Why.
        #[source]
        source: reqwest::Error,
    },
    /// The server answered with an error body.
    #[error("the server refused the request ({status}): {} [{}]{}", .body.error, code_name(.body), field_note(.body))]
    Api {
        /// The HTTP status.
        status: u16,
        /// The error body.
        body: JsonError,
    },
    /// The server answered with an unexpected status and no error body.
    #[error("the server answered {status}: {body}")]
    UnexpectedStatus {
        /// The HTTP status.
        status: u16,
        /// The start of the body.
        body: String,
    },
    /// An HTTP exchange failed midway.
    #[error("HTTP request failed: {0}")]
    Http(#[source] reqwest::Error),
    /// A body did not have the expected shape.
    #[error("the server sent JSON this CLI does not understand: {0}")]
    Json(#[from] serde_json::Error),
    /// A local file or process failed.
    #[error("{what}: {source}")]
    Io {
        /// What was being done.
        what: String,
        /// Why it failed.
        #[source]
        source: std::io::Error,
    },
    /// NATS could not be used.
    #[error("NATS: {what}: {source}")]
    Nats {
        /// What was being done.
        what: &'static str,
        /// Why it failed.
        #[source]
        source: async_nats::Error,
    },
    /// A server-sent event stream broke or ended before the job did.
    #[error("event stream: {0}")]
    Events(String),
    /// The server answered something this CLI cannot act on.
    #[error("unexpected answer from the server: {0}")]
    Protocol(String),
    /// The local benchmark command failed.
    #[error("the benchmark command {command:?} {status}")]
    CommandFailed {
        /// The command.
        command: String,
        /// How it ended.
        status: std::process::ExitStatus,
    },
    /// Harness output did not parse.
    #[error(transparent)]
    Adapt(#[from] bencher_adapters::AdaptError),
}

impl CliError {
    /// Wrap an I/O error with what was being done.
    pub fn io(what: impl Into<String>, source: std::io::Error) -> Self {
        Self::Io {
            what: what.into(),
            source,
        }
    }

    /// Wrap a NATS error with what was being done.
    pub fn nats(what: &'static str, source: impl Into<async_nats::Error>) -> Self {
        Self::Nats {
            what,
            source: source.into(),
        }
    }
}

fn code_name(body: &JsonError) -> String {
    serde_json::to_value(body.code)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_else(|| format!("{:?}", body.code))
}

fn field_note(body: &JsonError) -> String {
    body.field
        .as_deref()
        .map(|f| format!(" (field {f})"))
        .unwrap_or_default()
}
