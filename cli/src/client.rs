//! The HTTP client of the `/v0` API: JSON in and out, `Authorization: Bearer`, and error bodies
//! turned into [`CliError::Api`].

use std::time::Duration;

use bencher_wire::ids::{JobUuid, ReportUuid};
use bencher_wire::json::{JsonError, JsonJob, JsonNewRun, JsonReport};
use reqwest::{Method, RequestBuilder, Response, StatusCode};
use serde::de::DeserializeOwned;

use crate::error::CliError;
use crate::parser::BackendArgs;

/// How long connecting to the server may take.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// A client of one server.
#[derive(Clone, Debug)]
pub struct ApiClient {
    http: reqwest::Client,
    host: String,
    token: Option<String>,
}

impl ApiClient {
    /// A client for `backend.host`, authenticating with `backend.token` when set.
    pub fn new(backend: &BackendArgs) -> Result<Self, CliError> {
        // reqwest is built without a bundled provider: use ring, which async-nats brings too.
        // An error only means a provider is installed already.
        let _ = rustls::crypto::ring::default_provider().install_default();
        let host = backend.host.trim_end_matches('/').to_owned();
        if !(host.starts_with("http://") || host.starts_with("https://")) {
            return Err(CliError::Usage(format!(
                "--host {host:?} must start with http:// or https://"
            )));
        }
        let http = reqwest::Client::builder()
            .connect_timeout(CONNECT_TIMEOUT)
            .user_agent(concat!("bencher-cli/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(CliError::Http)?;
        Ok(Self {
            http,
            host,
            token: backend.token.clone().filter(|t| !t.is_empty()),
        })
    }

    /// The server's base URL, without a trailing slash.
    pub fn host(&self) -> &str {
        &self.host
    }

    /// A request to `path` (starting with `/`) with the credential.
    pub fn request(&self, method: Method, path: &str) -> RequestBuilder {
        let builder = self.http.request(method, format!("{}{path}", self.host));
        match &self.token {
            Some(token) => builder.bearer_auth(token),
            None => builder,
        }
    }

    /// Send a request; a connection failure becomes [`CliError::Unreachable`] and an error
    /// status [`CliError::Api`] (or [`CliError::UnexpectedStatus`] without a JSON body).
    pub async fn send(&self, builder: RequestBuilder) -> Result<Response, CliError> {
        let response = builder.send().await.map_err(|e| {
            if e.is_connect() || e.is_timeout() {
                CliError::Unreachable {
                    host: self.host.clone(),
                    source: e,
                }
            } else {
                CliError::Http(e)
            }
        })?;
        let status = response.status();
        if status.is_success() {
            return Ok(response);
        }
        let bytes = response.bytes().await.map_err(CliError::Http)?;
        Err(error_from_body(status, &bytes))
    }

    async fn json<T: DeserializeOwned>(&self, builder: RequestBuilder) -> Result<T, CliError> {
        let response = self.send(builder).await?;
        let bytes = response.bytes().await.map_err(CliError::Http)?;
        Ok(serde_json::from_slice(&bytes)?)
    }

    /// `POST /v0/run`.
    pub async fn post_run(&self, run: &JsonNewRun) -> Result<JsonReport, CliError> {
        self.json(self.request(Method::POST, "/v0/run").json(run))
            .await
    }

    /// `GET /v0/projects/{p}/reports/{r}`.
    pub async fn get_report(
        &self,
        project: &str,
        report: ReportUuid,
    ) -> Result<JsonReport, CliError> {
        let path = format!("/v0/projects/{project}/reports/{report}");
        self.json(self.request(Method::GET, &path)).await
    }

    /// `GET /v0/projects/{p}/jobs`.
    pub async fn list_jobs(&self, project: &str) -> Result<Vec<JsonJob>, CliError> {
        let path = format!("/v0/projects/{project}/jobs");
        self.json(self.request(Method::GET, &path)).await
    }

    /// `GET /v0/projects/{p}/jobs/{j}`, with its output when `output` is set.
    pub async fn get_job(
        &self,
        project: &str,
        job: JobUuid,
        output: bool,
    ) -> Result<JsonJob, CliError> {
        let query = if output { "?output=true" } else { "" };
        let path = format!("/v0/projects/{project}/jobs/{job}{query}");
        self.json(self.request(Method::GET, &path)).await
    }

    /// `POST /v0/projects/{p}/jobs/{j}/cancel`.
    pub async fn cancel_job(&self, project: &str, job: JobUuid) -> Result<(), CliError> {
        let path = format!("/v0/projects/{project}/jobs/{job}/cancel");
        self.send(self.request(Method::POST, &path)).await.map(drop)
    }

    /// Open the server-sent event stream at `path` (a job's `events_url`).
    pub async fn events(&self, path: &str) -> Result<Response, CliError> {
        let builder = self
            .request(Method::GET, path)
            .header(reqwest::header::ACCEPT, "text/event-stream");
        self.send(builder).await
    }
}

/// The error a non-success answer stands for.
pub fn error_from_body(status: StatusCode, bytes: &[u8]) -> CliError {
    match serde_json::from_slice::<JsonError>(bytes) {
        Ok(body) => CliError::Api {
            status: status.as_u16(),
            body,
        },
        Err(_) => {
            let text = String::from_utf8_lossy(bytes);
            let mut body: String = text.chars().take(300).collect();
            if body.trim().is_empty() {
                body = status.canonical_reason().unwrap_or("no body").to_owned();
            }
            CliError::UnexpectedStatus {
                status: status.as_u16(),
                body,
            }
        }
    }
}
