//! Private-key JWT client assertions (RFC 7523 §2.2, OpenID Connect `private_key_jwt`), as
//! Okta service apps use at `{org}/oauth2/v1/token`; and the small JWS toolkit the DPoP
//! proofs and the mock token endpoint share.

use std::fmt;
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use aws_lc_rs::rand::{SecureRandom, SystemRandom};
use aws_lc_rs::rsa::{KeyPairComponents, PublicKeyComponents};
use aws_lc_rs::signature::{self, EcdsaKeyPair, KeyPair, RsaKeyPair};
use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use secrecy::SecretString;
use serde_json::{Value, json};
use url::Url;

use super::ClientAssertion;
use crate::error::{Error, Result};

/// The longest assertion lifetime Okta accepts.
const MAX_LIFETIME: Duration = Duration::from_secs(3600);

pub(crate) fn b64(bytes: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

fn unb64(text: &str, what: &str) -> Result<Vec<u8>> {
    URL_SAFE_NO_PAD
        .decode(text.trim_end_matches('='))
        .map_err(|_| Error::config(format!("the JWK's {what} is not base64url")))
}

/// A fresh random identifier (128 bits, base64url), for `jti` claims.
pub(crate) fn random_id() -> Result<String> {
    let mut bytes = [0u8; 16];
    SystemRandom::new()
        .fill(&mut bytes)
        .map_err(|_| Error::Transport("the system random generator failed".into()))?;
    Ok(b64(&bytes))
}

pub(crate) fn epoch(t: SystemTime) -> u64 {
    t.duration_since(UNIX_EPOCH).unwrap_or_default().as_secs()
}

/// A private signing key: RSA (RS256) or P-256 (ES256).
pub(crate) enum SigningKey {
    Rsa(RsaKeyPair),
    Ec(EcdsaKeyPair),
}

impl SigningKey {
    pub(crate) fn alg(&self) -> &'static str {
        match self {
            SigningKey::Rsa(_) => "RS256",
            SigningKey::Ec(_) => "ES256",
        }
    }

    /// The public half as a JWK (no `kid`, `alg` or `use`).
    pub(crate) fn public_jwk(&self) -> Value {
        match self {
            SigningKey::Rsa(pair) => {
                let public = pair.public_key();
                json!({
                    "kty": "RSA",
                    "n": b64(public.modulus().big_endian_without_leading_zero()),
                    "e": b64(public.exponent().big_endian_without_leading_zero()),
                })
            }
            SigningKey::Ec(pair) => {
                let point = pair.public_key().as_ref();
                json!({
                    "kty": "EC",
                    "crv": "P-256",
                    "x": b64(&point[1..33]),
                    "y": b64(&point[33..65]),
                })
            }
        }
    }

    /// Signs `header.claims` (each JSON, base64url-encoded) and returns the compact JWS.
    pub(crate) fn sign_jws(&self, header: &Value, claims: &Value) -> Result<String> {
        let input = format!(
            "{}.{}",
            b64(header.to_string().as_bytes()),
            b64(claims.to_string().as_bytes())
        );
        let failed = |_| Error::Transport("signing the JWT failed".into());
        let rng = SystemRandom::new();
        let signature = match self {
            SigningKey::Rsa(pair) => {
                let mut sig = vec![0u8; pair.public_modulus_len()];
                pair.sign(
                    &signature::RSA_PKCS1_SHA256,
                    &rng,
                    input.as_bytes(),
                    &mut sig,
                )
                .map_err(failed)?;
                sig
            }
            SigningKey::Ec(pair) => pair
                .sign(&rng, input.as_bytes())
                .map_err(failed)?
                .as_ref()
                .to_vec(),
        };
        Ok(format!("{input}.{}", b64(&signature)))
    }

    fn from_pem(pem: &str) -> Result<Self> {
        let (label, der) = pem_block(pem)?;
        let p256 = &signature::ECDSA_P256_SHA256_FIXED_SIGNING;
        let rejected = |kind: &'static str| {
            move |e: aws_lc_rs::error::KeyRejected| {
                Error::config(format!("the {kind} private key was rejected: {e}"))
            }
        };
        match label.as_str() {
            "RSA PRIVATE KEY" => RsaKeyPair::from_der(&der)
                .map(SigningKey::Rsa)
                .map_err(rejected("PKCS#1 RSA")),
            "EC PRIVATE KEY" => EcdsaKeyPair::from_private_key_der(p256, &der)
                .map(SigningKey::Ec)
                .map_err(rejected("SEC1 EC (only P-256 is supported)")),
            "PRIVATE KEY" => RsaKeyPair::from_pkcs8(&der)
                .map(SigningKey::Rsa)
                .or_else(|_| EcdsaKeyPair::from_pkcs8(p256, &der).map(SigningKey::Ec))
                .map_err(rejected("PKCS#8 (RSA or P-256)")),
            "ENCRYPTED PRIVATE KEY" => Err(Error::config(
                "the private key is encrypted; decrypt it first (openssl pkcs8 -in key.pem -out plain.pem)",
            )),
            other => Err(Error::config(format!(
                "expected a PEM private key (PRIVATE KEY, RSA PRIVATE KEY or EC PRIVATE KEY), found {other:?}"
            ))),
        }
    }

    fn from_jwk(jwk: &Value) -> Result<Self> {
        let field = |name: &str| -> Result<Vec<u8>> {
            let text = jwk
                .get(name)
                .and_then(Value::as_str)
                .ok_or_else(|| Error::config(format!("the private JWK has no {name:?}")))?;
            unb64(text, name)
        };
        match jwk.get("kty").and_then(Value::as_str) {
            Some("RSA") => {
                let components = KeyPairComponents {
                    public_key: PublicKeyComponents {
                        n: field("n")?,
                        e: field("e")?,
                    },
                    d: field("d")?,
                    p: field("p")?,
                    q: field("q")?,
                    dP: field("dp")?,
                    dQ: field("dq")?,
                    qInv: field("qi")?,
                };
                RsaKeyPair::from_components(&components)
                    .map(SigningKey::Rsa)
                    .map_err(|e| Error::config(format!("the RSA JWK was rejected: {e}")))
            }
            Some("EC") => {
                if jwk.get("crv").and_then(Value::as_str) != Some("P-256") {
                    return Err(Error::config("only P-256 EC keys (ES256) are supported"));
                }
                let mut point = vec![4u8];
                point.extend(field("x")?);
                point.extend(field("y")?);
                EcdsaKeyPair::from_private_key_and_public_key(
                    &signature::ECDSA_P256_SHA256_FIXED_SIGNING,
                    &field("d")?,
                    &point,
                )
                .map(SigningKey::Ec)
                .map_err(|e| Error::config(format!("the EC JWK was rejected: {e}")))
            }
            other => Err(Error::config(format!(
                "unsupported JWK key type {other:?}: use RSA or EC (P-256)"
            ))),
        }
    }
}

fn pem_block(pem: &str) -> Result<(String, Vec<u8>)> {
    let begin = pem
        .find("-----BEGIN ")
        .ok_or_else(|| Error::config("not a PEM file: no -----BEGIN line"))?;
    let rest = &pem[begin + 11..];
    let label_end = rest
        .find("-----")
        .ok_or_else(|| Error::config("malformed PEM header"))?;
    let label = rest[..label_end].to_owned();
    let body_start = label_end + 5;
    let end_marker = format!("-----END {label}-----");
    let body = rest.get(body_start..).unwrap_or_default();
    let body_end = body
        .find(&end_marker)
        .ok_or_else(|| Error::config(format!("malformed PEM: no {end_marker:?} line")))?;
    let body: String = body[..body_end]
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect();
    let der = STANDARD
        .decode(body)
        .map_err(|_| Error::config("malformed PEM: the body is not base64"))?;
    Ok((label, der))
}

/// Verifies a compact JWS against a public JWK (RS256 or ES256); returns the header and
/// claims. Used by the mock token endpoint and DPoP checks.
#[cfg(any(test, feature = "mock"))]
pub(crate) fn verify_jws(token: &str, jwk: &Value) -> std::result::Result<(Value, Value), String> {
    let mut parts = token.split('.');
    let (Some(h), Some(c), Some(s), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err("not a compact JWS".into());
    };
    let decode = |p: &str| {
        URL_SAFE_NO_PAD
            .decode(p)
            .map_err(|_| "bad base64url".to_string())
    };
    let header: Value =
        serde_json::from_slice(&decode(h)?).map_err(|_| "bad header JSON".to_string())?;
    let claims: Value =
        serde_json::from_slice(&decode(c)?).map_err(|_| "bad claims JSON".to_string())?;
    let sig = decode(s)?;
    let message = format!("{h}.{c}");
    let field = |name: &str| -> std::result::Result<Vec<u8>, String> {
        jwk.get(name)
            .and_then(Value::as_str)
            .and_then(|v| URL_SAFE_NO_PAD.decode(v).ok())
            .ok_or_else(|| format!("JWK lacks {name}"))
    };
    let alg = header
        .get("alg")
        .and_then(Value::as_str)
        .unwrap_or_default();
    let verified = match (alg, jwk.get("kty").and_then(Value::as_str)) {
        ("RS256", Some("RSA")) => PublicKeyComponents {
            n: field("n")?,
            e: field("e")?,
        }
        .verify(
            &signature::RSA_PKCS1_2048_8192_SHA256,
            message.as_bytes(),
            &sig,
        )
        .is_ok(),
        ("ES256", Some("EC")) => {
            let mut point = vec![4u8];
            point.extend(field("x")?);
            point.extend(field("y")?);
            signature::UnparsedPublicKey::new(&signature::ECDSA_P256_SHA256_FIXED, point)
                .verify(message.as_bytes(), &sig)
                .is_ok()
        }
        (alg, kty) => return Err(format!("alg {alg:?} does not fit key type {kty:?}")),
    };
    if verified {
        Ok((header, claims))
    } else {
        Err("signature does not verify".into())
    }
}

/// RFC 7638 JWK thumbprint (SHA-256, base64url) of a public RSA or EC JWK.
pub(crate) fn jwk_thumbprint(jwk: &Value) -> String {
    let s = |k: &str| {
        jwk.get(k)
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned()
    };
    let canonical = match jwk.get("kty").and_then(Value::as_str) {
        Some("EC") => format!(
            r#"{{"crv":"{}","kty":"EC","x":"{}","y":"{}"}}"#,
            s("crv"),
            s("x"),
            s("y")
        ),
        _ => format!(r#"{{"e":"{}","kty":"RSA","n":"{}"}}"#, s("e"), s("n")),
    };
    b64(aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, canonical.as_bytes()).as_ref())
}

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
    use super::*;
    use secrecy::ExposeSecret;

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
}
