//! Request extractors: a JSON body with a size limit and errors that name the failing field, and
//! the client's address.

use std::net::{IpAddr, SocketAddr};

use axum::extract::{ConnectInfo, FromRequest, FromRequestParts, Request};
use axum::http::header::CONTENT_LENGTH;
use axum::http::request::Parts;
use bytes::BytesMut;
use futures::StreamExt;
use serde::de::DeserializeOwned;
use serde_json::error::Category;

use crate::error::IntakeError;
use crate::state::IntakeState;

/// A JSON body of at most [`crate::IntakeOptions::body_limit`] bytes. A syntax error is a
/// `bad_request`; a value refused by the type (a bad slug, too many env vars) is `invalid` with
/// `field` set to its path (`job.env`).
#[derive(Debug)]
pub struct JsonBody<T>(pub T);

impl<T: DeserializeOwned> FromRequest<IntakeState> for JsonBody<T> {
    type Rejection = IntakeError;

    async fn from_request(req: Request, state: &IntakeState) -> Result<Self, Self::Rejection> {
        let limit = state.options().body_limit;
        let declared = req
            .headers()
            .get(CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse::<u64>().ok());
        if declared.is_some_and(|len| len > limit as u64) {
            return Err(IntakeError::PayloadTooLarge { limit });
        }
        let mut body = BytesMut::new();
        let mut stream = req.into_body().into_data_stream();
        while let Some(chunk) = stream.next().await {
            let chunk = chunk.map_err(|e| IntakeError::Malformed(e.to_string()))?;
            if body.len() + chunk.len() > limit {
                return Err(IntakeError::PayloadTooLarge { limit });
            }
            body.extend_from_slice(&chunk);
        }
        parse_json(&body).map(JsonBody)
    }
}

/// Parse `bytes` as `T`, classifying the error as [`JsonBody`] describes.
pub fn parse_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, IntakeError> {
    let mut de = serde_json::Deserializer::from_slice(bytes);
    let value = serde_path_to_error::deserialize(&mut de).map_err(|err| {
        let path = err.path().to_string();
        let inner = err.into_inner();
        match inner.classify() {
            Category::Data => IntakeError::Invalid {
                field: (path != ".").then_some(path),
                message: inner.to_string(),
            },
            Category::Syntax | Category::Eof | Category::Io => {
                IntakeError::Malformed(inner.to_string())
            }
        }
    })?;
    de.end()
        .map_err(|e| IntakeError::Malformed(e.to_string()))?;
    Ok(value)
}

/// The client's IP address: the first `X-Forwarded-For` entry when the deployment trusts its
/// proxy, else the peer address (when the server was started with connect info).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ClientAddr(pub Option<IpAddr>);

impl FromRequestParts<IntakeState> for ClientAddr {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &IntakeState,
    ) -> Result<Self, Self::Rejection> {
        if state.options().trust_forwarded_for {
            let forwarded = parts
                .headers
                .get("x-forwarded-for")
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.split(',').next())
                .and_then(|v| v.trim().parse::<IpAddr>().ok());
            if forwarded.is_some() {
                return Ok(Self(forwarded));
            }
        }
        Ok(Self(
            parts
                .extensions
                .get::<ConnectInfo<SocketAddr>>()
                .map(|ConnectInfo(addr)| addr.ip()),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use bencher_wire::json::JsonNewRun;

    #[test]
    fn errors_name_the_path_of_the_field() {
        let err = parse_json::<JsonNewRun>(br#"{"job":{"image":"demo:v1","iter":0}}"#).unwrap_err();
        match err {
            IntakeError::Invalid { field, message } => {
                assert_eq!(field.as_deref(), Some("job.iter"));
                assert!(message.contains("invalid iter"), "{message}");
            }
            other => panic!("{other:?}"),
        }
        assert!(matches!(
            parse_json::<JsonNewRun>(br#"{"job":"#),
            Err(IntakeError::Malformed(_))
        ));
        assert!(matches!(
            parse_json::<JsonNewRun>(br#"{} trailing"#),
            Err(IntakeError::Malformed(_))
        ));
    }
}
