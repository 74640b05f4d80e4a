//! Private-key JWT client assertions (RFC 7523 §2.2, OpenID Connect `private_key_jwt`), as
//! Okta service apps use at `{org}/oauth2/v1/token`. The JOSE code lives in
//! [`jose`](super::jose).

use std::fmt;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use secrecy::SecretString;
use serde_json::{Value, json};
use url::Url;

use super::client_auth::ClientAssertion;
use super::jose::{SigningKey, epoch, random_id};
use crate::error::{Error, Result};

/// The longest assertion lifetime Okta accepts.
const MAX_LIFETIME: Duration = Duration::from_secs(3600);

/// Signs client assertions (RFC 7523) with an RSA (RS256) or P-256 (ES256) private key, for
/// `private_key_jwt` client authentication, e.g. an Okta service app.
///
/// Each assertion has `iss` = `sub` = the client id, `aud` = the token URL, `iat` = now,
/// `exp` = now + lifetime (default 5 minutes, at most one hour) and a fresh random `jti`; a
/// new one is signed for every token request, retries included. The key never appears in
/// `Debug` output.
///
/// ```
/// use scimkit::auth::PrivateKeyJwt;
///
/// let pem = std::fs::read_to_string("tests/fixtures/okta/rsa-pkcs8.pem").unwrap();
/// let signer = PrivateKeyJwt::from_pem(&pem)?.kid("my-key-1");
/// assert_eq!(signer.algorithm(), "RS256");
/// assert_eq!(signer.public_jwk()["kid"], "my-key-1");   // register this in the Okta app
/// assert!(!format!("{signer:?}").contains("MII"));
/// # Ok::<(), scimkit::Error>(())
/// ```
#[derive(Clone)]
pub struct PrivateKeyJwt {
    key: Arc<SigningKey>,
    kid: Option<String>,
    lifetime: Duration,
}

impl fmt::Debug for PrivateKeyJwt {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PrivateKeyJwt")
            .field("alg", &self.key.alg())
            .field("kid", &self.kid)
            .field("lifetime", &self.lifetime)
            .field("key", &"[redacted]")
            .finish()
    }
}

impl PrivateKeyJwt {
    fn new(key: SigningKey) -> Self {
        PrivateKeyJwt {
            key: Arc::new(key),
            kid: None,
            lifetime: Duration::from_secs(300),
        }
    }

    /// Loads a PEM private key: PKCS#8 (`PRIVATE KEY`, RSA or P-256), PKCS#1
    /// (`RSA PRIVATE KEY`) or SEC1 (`EC PRIVATE KEY`, P-256).
    pub fn from_pem(pem: &str) -> Result<Self> {
        SigningKey::from_pem(pem).map(Self::new)
    }

    /// Loads a private JWK (as Okta's admin console generates it): RSA with `n`, `e`, `d`,
    /// `p`, `q`, `dp`, `dq`, `qi`, or EC P-256 with `x`, `y`, `d`. Its `kid`, if any, is used.
    pub fn from_jwk(jwk: &str) -> Result<Self> {
        let value: Value = serde_json::from_str(jwk)
            .map_err(|e| Error::config(format!("the JWK is not JSON: {e}")))?;
        let mut signer = Self::new(SigningKey::from_jwk(&value)?);
        signer.kid = value.get("kid").and_then(Value::as_str).map(str::to_owned);
        Ok(signer)
    }

    /// Sets the `kid` header (the key id Okta shows for the app's public key).
    pub fn kid(mut self, kid: impl Into<String>) -> Self {
        self.kid = Some(kid.into());
        self
    }

    /// How long each assertion is valid (default 5 minutes; at most one hour, longer values
    /// are cut to one hour).
    pub fn lifetime(mut self, lifetime: Duration) -> Self {
        self.lifetime = lifetime.clamp(Duration::from_secs(1), MAX_LIFETIME);
        self
    }

    /// `RS256` or `ES256`.
    pub fn algorithm(&self) -> &'static str {
        self.key.alg()
    }

    /// The public key as a JWK (with `kid`, `alg` and `use: sig`), to register with the app.
    pub fn public_jwk(&self) -> Value {
        let mut jwk = self.key.public_jwk();
        jwk["alg"] = json!(self.key.alg());
        jwk["use"] = json!("sig");
        if let Some(kid) = &self.kid {
            jwk["kid"] = json!(kid);
        }
        jwk
    }
}

impl ClientAssertion for PrivateKeyJwt {
    fn sign(&self, client_id: &str, token_url: &Url, now: SystemTime) -> Result<SecretString> {
        let mut header = json!({"alg": self.key.alg(), "typ": "JWT"});
        if let Some(kid) = &self.kid {
            header["kid"] = json!(kid);
        }
        let iat = epoch(now);
        let claims = json!({
            "iss": client_id,
            "sub": client_id,
            "aud": token_url.as_str(),
            "iat": iat,
            "exp": iat + self.lifetime.as_secs(),
            "jti": random_id()?,
        });
        self.key.sign_jws(&header, &claims).map(SecretString::from)
    }
}

#[cfg(test)]
mod tests {
    use super::super::jose::{jwk_thumbprint, verify_jws};
    use super::*;
    use secrecy::ExposeSecret;
    use std::time::UNIX_EPOCH;

    fn fixture(name: &str) -> String {
        std::fs::read_to_string(format!(
            "{}/tests/fixtures/okta/{name}",
            env!("CARGO_MANIFEST_DIR")
        ))
        .unwrap()
    }

    #[test]
    fn every_key_format_signs_verifiable_assertions() {
        let url = Url::parse("https://my-org.okta.com/oauth2/v1/token").unwrap();
        let now = UNIX_EPOCH + Duration::from_secs(1_700_000_000);
        for (name, alg) in [
            ("rsa-pkcs1.pem", "RS256"),
            ("rsa-pkcs8.pem", "RS256"),
            ("ec-pkcs8.pem", "ES256"),
            ("ec-sec1.pem", "ES256"),
        ] {
            let signer = PrivateKeyJwt::from_pem(&fixture(name)).unwrap().kid("k1");
            assert_eq!(signer.algorithm(), alg, "{name}");
            let a = signer.sign("client-1", &url, now).unwrap();
            let b = signer.sign("client-1", &url, now).unwrap();
            let (header, claims) = verify_jws(a.expose_secret(), &signer.public_jwk()).unwrap();
            assert_eq!(header["kid"], "k1");
            assert_eq!(header["alg"], alg);
            assert_eq!(claims["iss"], "client-1");
            assert_eq!(claims["sub"], "client-1");
            assert_eq!(claims["aud"], url.as_str());
            assert_eq!(
                claims["exp"].as_u64().unwrap() - claims["iat"].as_u64().unwrap(),
                300
            );
            let (_, claims_b) = verify_jws(b.expose_secret(), &signer.public_jwk()).unwrap();
            assert_ne!(claims["jti"], claims_b["jti"], "{name}: jti must be fresh");
        }
    }

    #[test]
    fn jwk_keys_load_and_keep_their_kid() {
        for name in ["rsa.jwk.json", "ec.jwk.json"] {
            let signer = PrivateKeyJwt::from_jwk(&fixture(name)).unwrap();
            assert_eq!(signer.public_jwk()["kid"], "fixture-key", "{name}");
            let url = Url::parse("https://o.okta.com/oauth2/v1/token").unwrap();
            let jws = signer.sign("c", &url, SystemTime::now()).unwrap();
            verify_jws(jws.expose_secret(), &signer.public_jwk()).unwrap();
        }
    }

    #[test]
    fn lifetime_is_capped_at_one_hour_and_bad_keys_are_explained() {
        let signer = PrivateKeyJwt::from_pem(&fixture("ec-pkcs8.pem"))
            .unwrap()
            .lifetime(Duration::from_secs(7200));
        assert_eq!(signer.lifetime, MAX_LIFETIME);
        assert!(
            PrivateKeyJwt::from_pem("hello")
                .unwrap_err()
                .to_string()
                .contains("PEM")
        );
        let cert = "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n";
        assert!(
            PrivateKeyJwt::from_pem(cert)
                .unwrap_err()
                .to_string()
                .contains("CERTIFICATE")
        );
        assert!(PrivateKeyJwt::from_jwk(r#"{"kty":"OKP"}"#).is_err());
        // The END line overlapping the BEGIN line used to slice backwards and panic.
        for broken in ["-----BEGIN X-----END X-----", "-----BEGIN PRIVATE KEY-----"] {
            assert!(PrivateKeyJwt::from_pem(broken).is_err(), "{broken}");
        }
    }

    #[test]
    fn thumbprint_matches_rfc7638_example() {
        // RFC 7638 §3.1.
        let jwk = json!({"kty": "RSA", "e": "AQAB", "n": "0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw"});
        assert_eq!(
            jwk_thumbprint(&jwk),
            "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs"
        );
    }
    #[test]
    fn debug_names_the_key_never_shows_it_and_lifetimes_are_clamped() {
        let signer = PrivateKeyJwt::from_pem(&fixture("rsa-pkcs8.pem"))
            .unwrap()
            .kid("k9")
            .lifetime(Duration::ZERO);
        assert_eq!(
            format!("{signer:?}"),
            r#"PrivateKeyJwt { alg: "RS256", kid: Some("k9"), lifetime: 1s, key: "[redacted]" }"#
        );
        let url = Url::parse("https://o.okta.com/oauth2/v1/token").unwrap();
        let now = UNIX_EPOCH + Duration::from_secs(1_700_000_000);
        // (lifetime asked, exp - iat)
        for (asked, lifetime) in [(0, 1), (1, 1), (600, 600), (3600, 3600), (3601, 3600)] {
            let signer = signer.clone().lifetime(Duration::from_secs(asked));
            let jws = signer.sign("c", &url, now).unwrap();
            let (_, claims) = verify_jws(jws.expose_secret(), &signer.public_jwk()).unwrap();
            assert_eq!(claims["iat"], 1_700_000_000, "{asked}");
            assert_eq!(claims["exp"], 1_700_000_000 + lifetime, "{asked}");
        }
        let jwk = signer.public_jwk();
        assert_eq!(
            (
                jwk["alg"].as_str(),
                jwk["use"].as_str(),
                jwk["kid"].as_str()
            ),
            (Some("RS256"), Some("sig"), Some("k9"))
        );
        assert_eq!(jwk["kty"], "RSA");
        assert!(jwk.get("d").is_none(), "only the public half");
        let ec = PrivateKeyJwt::from_pem(&fixture("ec-sec1.pem")).unwrap();
        let jwk = ec.public_jwk();
        assert_eq!(
            (
                jwk["alg"].as_str(),
                jwk["kty"].as_str(),
                jwk["crv"].as_str()
            ),
            (Some("ES256"), Some("EC"), Some("P-256"))
        );
        assert!(jwk.get("kid").is_none(), "no kid unless one was set");
    }
}
