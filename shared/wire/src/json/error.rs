//! The JSON error body of every HTTP error: `{ "error": "...", "code": "..." }`.

use serde::{Deserialize, Serialize};

use crate::error::ValidationError;

/// A stable, machine-readable error code; each maps to one HTTP status.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    /// The request is malformed (bad JSON, wrong content type). 400.
    BadRequest,
    /// A value failed validation; `field` names it. 400.
    Invalid,
    /// No or a bad credential. 401.
    Unauthorized,
    /// The credential does not allow this. 403.
    Forbidden,
    /// No such resource. 404.
    NotFound,
    /// The request conflicts with the resource's state (e.g. canceling a finished job). 409.
    Conflict,
    /// The body is too large. 413.
    PayloadTooLarge,
    /// Rate or concurrency limit reached. 429.
    TooManyRequests,
    /// A bug. 500.
    Internal,
    /// A dependency (database, NATS) is down; retry later. 503.
    Unavailable,
}

impl ErrorCode {
    /// The HTTP status this code is sent with.
    pub fn http_status(self) -> u16 {
        match self {
            Self::BadRequest | Self::Invalid => 400,
            Self::Unauthorized => 401,
            Self::Forbidden => 403,
            Self::NotFound => 404,
            Self::Conflict => 409,
            Self::PayloadTooLarge => 413,
            Self::TooManyRequests => 429,
            Self::Internal => 500,
            Self::Unavailable => 503,
        }
    }
}

/// The body of every HTTP error.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct JsonError {
    /// What went wrong, for a human.
    pub error: String,
    /// What went wrong, for a program.
    pub code: ErrorCode,
    /// The field at fault, for validation errors.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
}

impl JsonError {
    /// An error with a code and message.
    pub fn new(code: ErrorCode, error: impl Into<String>) -> Self {
        Self {
            error: error.into(),
            code,
            field: None,
        }
    }
}

impl From<&ValidationError> for JsonError {
    fn from(err: &ValidationError) -> Self {
        Self {
            error: err.to_string(),
            code: ErrorCode::Invalid,
            field: err.field().map(str::to_owned),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn validation_errors_name_their_field() {
        let err = "0".parse::<crate::values::Timeout>().unwrap_err();
        let body = JsonError::from(&err);
        assert_eq!(body.code.http_status(), 400);
        assert_eq!(body.field.as_deref(), Some("timeout"));
        let json = serde_json::to_value(&body).unwrap();
        assert_eq!(json["code"], "invalid");
        assert!(
            json["error"]
                .as_str()
                .unwrap()
                .starts_with("invalid timeout")
        );
    }
}
