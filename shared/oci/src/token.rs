//! Registry tokens of the built-in registry: the Docker token format (HS256 JWT) with
//! `repository:<name>:<actions>` grants. Intake mints them for clients and checks them on `/v2/`;
//! the scheduler mints a pull-only one per dispatched job for its runner. One definition, so
//! both sides agree on issuer, audience and claims.

use serde::{Deserialize, Serialize};

/// The `service` of registry challenges and the audience of tokens.
pub const SERVICE: &str = "bencher";
/// The issuer of tokens.
pub const ISSUER: &str = "bencher-intake";

/// One grant of a token: `actions` on repository `name`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Access {
    /// Always `repository`.
    #[serde(rename = "type")]
    pub kind: String,
    /// The repository (project slug).
    pub name: String,
    /// `pull`, `push`.
    pub actions: Vec<String>,
}

impl Access {
    /// Pull-only access to `repository`.
    pub fn pull(repository: &str) -> Self {
        Self {
            kind: "repository".to_owned(),
            name: repository.to_owned(),
            actions: vec!["pull".to_owned()],
        }
    }
}

/// The claims of a registry token.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Claims {
    /// [`ISSUER`].
    pub iss: String,
    /// Who asked: an API token's UUID, `anonymous`, or `job:<uuid>` for a runner.
    pub sub: String,
    /// [`SERVICE`].
    pub aud: String,
    /// Expiry (Unix seconds).
    pub exp: i64,
    /// Issue time (Unix seconds).
    pub iat: i64,
    /// What it grants.
    pub access: Vec<Access>,
}

/// Signs a token for `access`, valid `ttl_secs` from now.
pub fn mint(
    secret: &str,
    subject: &str,
    access: Vec<Access>,
    ttl_secs: u64,
) -> Result<String, jsonwebtoken::errors::Error> {
    let now = chrono::Utc::now().timestamp();
    let claims = Claims {
        iss: ISSUER.to_owned(),
        sub: subject.to_owned(),
        aud: SERVICE.to_owned(),
        exp: now.saturating_add(i64::try_from(ttl_secs).unwrap_or(i64::MAX / 2)),
        iat: now,
        access,
    };
    jsonwebtoken::encode(
        &jsonwebtoken::Header::new(jsonwebtoken::Algorithm::HS256),
        &claims,
        &jsonwebtoken::EncodingKey::from_secret(secret.as_bytes()),
    )
}

/// The claims of a valid, unexpired token signed with `secret`.
pub fn verify(secret: &str, token: &str) -> Option<Claims> {
    let mut validation = jsonwebtoken::Validation::new(jsonwebtoken::Algorithm::HS256);
    // Tokens are issued and checked by this service's own clock.
    validation.leeway = 0;
    validation.set_audience(&[SERVICE]);
    validation.set_issuer(&[ISSUER]);
    jsonwebtoken::decode::<Claims>(
        token,
        &jsonwebtoken::DecodingKey::from_secret(secret.as_bytes()),
        &validation,
    )
    .ok()
    .map(|data| data.claims)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_minted_token_verifies_only_with_its_secret() {
        let token = mint("s3cret", "job:x", vec![Access::pull("demo")], 600).unwrap();
        let claims = verify("s3cret", &token).unwrap();
        assert_eq!(claims.access, vec![Access::pull("demo")]);
        assert!(claims.exp - claims.iat == 600);
        assert!(verify("other", &token).is_none());
        assert!(verify("s3cret", "garbage").is_none());
    }
}
