//! The small JOSE toolkit the crate signs and checks with: base64url, RS256/ES256 keys from
//! PEM or JWK, compact JWS signing, JWS verification (for the mock token endpoint and DPoP
//! checks) and RFC 7638 thumbprints. Private-key JWT client assertions and DPoP proofs are
//! built on it.

use std::time::{SystemTime, UNIX_EPOCH};

use aws_lc_rs::rand::{SecureRandom, SystemRandom};
use aws_lc_rs::rsa::{KeyPairComponents, PublicKeyComponents};
use aws_lc_rs::signature::{self, EcdsaKeyPair, KeyPair, RsaKeyPair};
use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use serde_json::{Value, json};

use crate::error::{Error, Result};

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

    pub(crate) fn from_pem(pem: &str) -> Result<Self> {
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

    pub(crate) fn from_jwk(jwk: &Value) -> Result<Self> {
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

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    #[test]
    fn base64url_both_ways_padding_tolerated() {
        assert_eq!(b64(&[1, 0, 1]), "AQAB");
        assert_eq!(b64(&[0xfb, 0xff]), "-_8");
        assert_eq!(unb64("AQAB", "e").unwrap(), [1, 0, 1]);
        assert_eq!(unb64("-_8=", "e").unwrap(), [0xfb, 0xff]);
        let err = unb64("not base64!", "n").unwrap_err();
        assert!(
            err.to_string().contains("the JWK's n is not base64url"),
            "{err}"
        );
    }

    #[test]
    fn epoch_seconds_and_fresh_ids() {
        assert_eq!(
            epoch(UNIX_EPOCH + Duration::from_millis(1_700_000_000_999)),
            1_700_000_000
        );
        assert_eq!(epoch(UNIX_EPOCH - Duration::from_secs(5)), 0);
        let a = random_id().unwrap();
        assert_eq!(a.len(), 22, "128 bits in base64url");
        assert_ne!(a, random_id().unwrap());
    }

    #[test]
    fn ec_thumbprint_matches_an_independent_computation() {
        // RFC 7517 Appendix A.1's P-256 key; the thumbprint (RFC 7638: SHA-256 of
        // {"crv","kty","x","y"} in that order, no white space) computed with Python's hashlib.
        let jwk = json!({
            "kty": "EC",
            "crv": "P-256",
            "x": "MKBCTNIcKUSDii11ySs3526iDZ8AiTo7Tu6KPAqv7D4",
            "y": "4Etl6SRW2YiLUrN5vfvVHuhp7x8PxltmWWlbbM4IFyM",
            "use": "enc",
            "kid": "1"
        });
        assert_eq!(
            jwk_thumbprint(&jwk),
            "cn-I_WNMClehiVp51i_0VpOENW1upEerA8sEam5hn-s"
        );
    }

    #[test]
    fn only_p256_ec_jwks_are_loaded() {
        let err = SigningKey::from_jwk(
            &json!({"kty": "EC", "crv": "P-384", "x": "AA", "y": "AA", "d": "AA"}),
        )
        .err()
        .unwrap();
        assert!(err.to_string().contains("only P-256"), "{err}");
        let err = SigningKey::from_jwk(&json!({"kty": "EC", "crv": "P-256", "x": "AA"}))
            .err()
            .unwrap();
        assert!(err.to_string().contains(r#"no "y""#), "{err}");
    }
}
