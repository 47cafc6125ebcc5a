//! Registry errors in the distribution spec's form:
//! `{"errors":[{"code":"BLOB_UNKNOWN","message":"...","detail":...}]}` with the spec's status.
//!
//! The `/v2/` API answers in this form rather than intake's `JsonError`, because registry
//! clients (skopeo, docker, oci-client) parse it; this is the one place it is built.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use bencher_db::DbError;

/// The error codes of the distribution spec (and `SIZE_INVALID` for 413).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OciCode {
    /// The blob is not in the repository.
    BlobUnknown,
    /// The upload is invalid (out of order chunk, length mismatch).
    BlobUploadInvalid,
    /// No such upload session.
    BlobUploadUnknown,
    /// The digest is malformed or does not match the content.
    DigestInvalid,
    /// A manifest references a blob or manifest the repository lacks.
    ManifestBlobUnknown,
    /// The manifest is malformed.
    ManifestInvalid,
    /// No such manifest or tag.
    ManifestUnknown,
    /// The repository name is invalid.
    NameInvalid,
    /// No such repository.
    NameUnknown,
    /// The content is larger than allowed or its length is wrong.
    SizeInvalid,
    /// Authentication is required.
    Unauthorized,
    /// Access is denied.
    Denied,
    /// The operation is not supported.
    Unsupported,
}

impl OciCode {
    /// The spec's name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::BlobUnknown => "BLOB_UNKNOWN",
            Self::BlobUploadInvalid => "BLOB_UPLOAD_INVALID",
            Self::BlobUploadUnknown => "BLOB_UPLOAD_UNKNOWN",
            Self::DigestInvalid => "DIGEST_INVALID",
            Self::ManifestBlobUnknown => "MANIFEST_BLOB_UNKNOWN",
            Self::ManifestInvalid => "MANIFEST_INVALID",
            Self::ManifestUnknown => "MANIFEST_UNKNOWN",
            Self::NameInvalid => "NAME_INVALID",
            Self::NameUnknown => "NAME_UNKNOWN",
            Self::SizeInvalid => "SIZE_INVALID",
            Self::Unauthorized => "UNAUTHORIZED",
            Self::Denied => "DENIED",
            Self::Unsupported => "UNSUPPORTED",
        }
    }

    /// The status the spec (and CNCF Distribution) answers with.
    pub fn status(self) -> StatusCode {
        match self {
            Self::BlobUnknown | Self::BlobUploadUnknown | Self::ManifestUnknown => {
                StatusCode::NOT_FOUND
            }
            Self::NameUnknown => StatusCode::NOT_FOUND,
            Self::Unauthorized => StatusCode::UNAUTHORIZED,
            Self::Denied => StatusCode::FORBIDDEN,
            Self::Unsupported => StatusCode::METHOD_NOT_ALLOWED,
            _ => StatusCode::BAD_REQUEST,
        }
    }
}

/// Why a registry request failed.
#[derive(Debug, thiserror::Error)]
pub enum RegistryError {
    /// A refusal of the spec, with an optional detail object.
    #[error("{code:?}: {message}")]
    Oci {
        /// The spec's code.
        code: OciCode,
        /// The status, when not the code's usual one (416 for out-of-order chunks, 413).
        status: Option<StatusCode>,
        /// For the user.
        message: String,
        /// Machine-readable detail.
        detail: Option<serde_json::Value>,
    },
    /// The database failed.
    #[error(transparent)]
    Db(#[from] DbError),
    /// The object store failed.
    #[error("object store: {0}")]
    Store(#[from] object_store::Error),
    /// The request body could not be read.
    #[error("request body: {0}")]
    Body(#[from] axum::Error),
    /// Stored bytes could not be read.
    #[error("reading stored bytes: {0}")]
    Io(#[from] std::io::Error),
    /// A response could not be encoded.
    #[error("json: {0}")]
    Json(#[from] serde_json::Error),
    /// Authentication needed: 401 with this `WWW-Authenticate` value.
    #[error("authentication required: {0}")]
    Challenge(String),
}

/// A refusal with `code` and `message`.
pub fn oci(code: OciCode, message: impl Into<String>) -> RegistryError {
    RegistryError::Oci {
        code,
        status: None,
        message: message.into(),
        detail: None,
    }
}

impl RegistryError {
    /// The same refusal answered with `status`.
    pub fn with_status(self, new: StatusCode) -> Self {
        match self {
            Self::Oci {
                code,
                message,
                detail,
                ..
            } => Self::Oci {
                code,
                status: Some(new),
                message,
                detail,
            },
            other => other,
        }
    }

    /// The same refusal with a detail object.
    pub fn with_detail(self, value: serde_json::Value) -> Self {
        match self {
            Self::Oci {
                code,
                status,
                message,
                ..
            } => Self::Oci {
                code,
                status,
                message,
                detail: Some(value),
            },
            other => other,
        }
    }

    /// The status answered.
    pub fn status(&self) -> StatusCode {
        match self {
            Self::Oci { code, status, .. } => status.unwrap_or_else(|| code.status()),
            Self::Db(err) if err.is_transient() => StatusCode::SERVICE_UNAVAILABLE,
            Self::Body(_) => StatusCode::BAD_REQUEST,
            Self::Challenge(_) => StatusCode::UNAUTHORIZED,
            Self::Db(_) | Self::Store(_) | Self::Json(_) | Self::Io(_) => {
                StatusCode::INTERNAL_SERVER_ERROR
            }
        }
    }
}

impl IntoResponse for RegistryError {
    fn into_response(self) -> Response {
        let status = self.status();
        let (code, message, detail) = match &self {
            Self::Oci {
                code,
                message,
                detail,
                ..
            } => (code.as_str(), message.clone(), detail.clone()),
            Self::Body(err) => ("BLOB_UPLOAD_INVALID", err.to_string(), None),
            Self::Challenge(_) => ("UNAUTHORIZED", "authentication required".to_owned(), None),
            // Internal details stay in the log; the spec has no code for them.
            _ => ("UNKNOWN", "internal error".to_owned(), None),
        };
        if status.is_server_error() {
            tracing::error!(error = %self, "registry request failed");
        } else {
            tracing::debug!(error = %self, "registry request refused");
        }
        let mut error = serde_json::json!({ "code": code, "message": message });
        if let Some(detail) = detail {
            error["detail"] = detail;
        }
        let body = serde_json::json!({ "errors": [error] }).to_string();
        let mut response = (status, body).into_response();
        response.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        );
        if let Self::Challenge(value) = &self
            && let Ok(value) = HeaderValue::from_str(value)
        {
            response
                .headers_mut()
                .insert(header::WWW_AUTHENTICATE, value);
        }
        response
    }
}
