//! The one error type of intake, mapped to an HTTP status and a [`JsonError`] body in one place
//! ([`IntakeError::code`]).

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use bencher_db::DbError;
use bencher_runtime::publish::PublishFailure;
use bencher_wire::ValidationError;
use bencher_wire::json::{ErrorCode, JsonError};

/// Why a request or a background task of intake failed.
#[derive(Debug, thiserror::Error)]
pub enum IntakeError {
    /// The body is not the JSON it should be (syntax, truncated, wrong content).
    #[error("malformed request body: {0}")]
    Malformed(String),
    /// A value of the body failed validation; `field` is its path (`job.env`).
    #[error("{message}")]
    Invalid {
        /// The path of the field at fault, when known.
        field: Option<String>,
        /// What is wrong, for the user.
        message: String,
    },
    /// The body is larger than the limit.
    #[error("request body larger than {limit} bytes")]
    PayloadTooLarge {
        /// The limit, in bytes.
        limit: usize,
    },
    /// No such resource.
    #[error("{what} {key} not found")]
    NotFound {
        /// Which kind of resource.
        what: &'static str,
        /// How it was named.
        key: String,
    },
    /// The resource's state forbids the request.
    #[error("{0}")]
    Conflict(String),
    /// The database failed.
    #[error(transparent)]
    Db(#[from] DbError),
    /// JetStream did not acknowledge a publish.
    #[error(transparent)]
    Publish(#[from] PublishFailure),
    /// The job-status bucket could not be opened or read.
    #[error("job status bucket: {0}")]
    StatusBucket(#[source] Box<dyn std::error::Error + Send + Sync>),
    /// The logs stream could not be read.
    #[error("logs stream: {0}")]
    Logs(#[source] Box<dyn std::error::Error + Send + Sync>),
    /// The outputs object store could not be read.
    #[error("outputs store: {0}")]
    Outputs(#[source] Box<dyn std::error::Error + Send + Sync>),
    /// A value could not be turned into JSON.
    #[error("json: {0}")]
    Json(#[from] serde_json::Error),
    /// The listener failed.
    #[error("http listener: {0}")]
    Io(#[from] std::io::Error),
}

impl From<ValidationError> for IntakeError {
    fn from(err: ValidationError) -> Self {
        Self::Invalid {
            field: err.field().map(str::to_owned),
            message: err.to_string(),
        }
    }
}

impl IntakeError {
    /// The error code (and so the HTTP status) this error is answered with.
    pub fn code(&self) -> ErrorCode {
        match self {
            Self::Malformed(_) => ErrorCode::BadRequest,
            Self::Invalid { .. } => ErrorCode::Invalid,
            Self::PayloadTooLarge { .. } => ErrorCode::PayloadTooLarge,
            Self::NotFound { .. } | Self::Db(DbError::NotFound { .. }) => ErrorCode::NotFound,
            Self::Conflict(_) => ErrorCode::Conflict,
            Self::Db(err) if err.is_transient() => ErrorCode::Unavailable,
            Self::Publish(_) | Self::StatusBucket(_) | Self::Logs(_) | Self::Outputs(_) => {
                ErrorCode::Unavailable
            }
            Self::Db(_) | Self::Json(_) | Self::Io(_) => ErrorCode::Internal,
        }
    }

    /// The response body.
    pub fn body(&self) -> JsonError {
        let field = match self {
            Self::Invalid { field, .. } => field.clone(),
            _ => None,
        };
        let error = match self {
            // Internal details stay in the log.
            Self::Db(DbError::NotFound { what, key }) => format!("{what} {key} not found"),
            Self::Db(_) | Self::Json(_) | Self::Io(_) => "internal error".to_owned(),
            other => other.to_string(),
        };
        JsonError {
            error,
            code: self.code(),
            field,
        }
    }
}

impl IntoResponse for IntakeError {
    fn into_response(self) -> Response {
        let body = self.body();
        let status = StatusCode::from_u16(body.code.http_status())
            .unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        if status.is_server_error() {
            tracing::error!(error = %self, code = ?body.code, "request failed");
        } else {
            tracing::debug!(error = %self, code = ?body.code, "request refused");
        }
        (status, axum::Json(body)).into_response()
    }
}
