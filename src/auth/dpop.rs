//! DPoP (RFC 9449): sender-constrained access tokens. One ES256 key per client, generated
//! in memory; a fresh signed proof per request (`htm`, `htu`, `iat`, `jti`, plus `ath` on
//! resource requests and the server's latest `nonce`).

use std::fmt;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::SystemTime;

use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::signature::{ECDSA_P256_SHA256_FIXED_SIGNING, EcdsaKeyPair};
use http::{HeaderMap, HeaderValue, Method};
use serde_json::{Value, json};
use url::Url;

use super::jose::{SigningKey, b64, epoch, jwk_thumbprint, random_id};
use crate::error::{Error, Result};

/// An in-memory P-256 key that signs DPoP proofs. Never leaves the process; `Debug` shows
/// only its thumbprint.
///
/// ```
/// use http::Method;
/// use scimkit::auth::DpopKey;
///
/// let key = DpopKey::generate()?;
/// let url = url::Url::parse("https://my-org.okta.com/api/v1/users?limit=2").unwrap();
/// let proof = key.proof(&Method::GET, &url, Some("access-token"), None, std::time::SystemTime::now())?;
/// assert_eq!(proof.to_str().unwrap().split('.').count(), 3);
/// # Ok::<(), scimkit::Error>(())
/// ```
pub struct DpopKey {
    key: SigningKey,
    jwk: Value,
    thumbprint: String,
}

impl fmt::Debug for DpopKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DpopKey")
            .field("thumbprint", &self.thumbprint)
            .finish_non_exhaustive()
    }
}

impl DpopKey {
    /// Generates a new ES256 (P-256) key.
    pub fn generate() -> Result<Self> {
        let pkcs8 =
            EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, &SystemRandom::new())
                .map_err(|_| Error::Transport("could not generate a DPoP key".into()))?;
        let pair = EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, pkcs8.as_ref())
            .map_err(|_| Error::Transport("could not load the generated DPoP key".into()))?;
        let key = SigningKey::Ec(pair);
        let jwk = key.public_jwk();
        let thumbprint = jwk_thumbprint(&jwk);
        Ok(DpopKey {
            key,
            jwk,
            thumbprint,
        })
    }

    /// The RFC 7638 thumbprint of the public key (what a DPoP-bound token's `cnf.jkt` holds).
    pub fn thumbprint(&self) -> &str {
        &self.thumbprint
    }

    /// A signed proof for one request: `htm` = `method`, `htu` = `url` without query and
    /// fragment, `iat` = `now`, a fresh `jti`, `ath` = SHA-256 of `access_token` when given,
    /// and `nonce` when the server asked for one.
    pub fn proof(
        &self,
        method: &Method,
        url: &Url,
        access_token: Option<&str>,
        nonce: Option<&str>,
        now: SystemTime,
    ) -> Result<HeaderValue> {
        let mut htu = url.clone();
        htu.set_query(None);
        htu.set_fragment(None);
        let header = json!({"typ": "dpop+jwt", "alg": "ES256", "jwk": self.jwk});
        let mut claims = json!({
            "htm": method.as_str(),
            "htu": htu.as_str(),
            "iat": epoch(now),
            "jti": random_id()?,
        });
        if let Some(token) = access_token {
            let hash = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, token.as_bytes());
            claims["ath"] = json!(b64(hash.as_ref()));
        }
        if let Some(nonce) = nonce {
            claims["nonce"] = json!(nonce);
        }
        let jws = self.key.sign_jws(&header, &claims)?;
        HeaderValue::try_from(jws).map_err(|_| Error::Transport("invalid DPoP proof header".into()))
    }
}

/// A client's DPoP state: its key, whether DPoP is on, and the latest nonces from the
/// authorization server and the resource server.
#[derive(Debug)]
pub(crate) struct Dpop {
    pub key: DpopKey,
    enabled: AtomicBool,
    token_nonce: Mutex<Option<String>>,
    resource_nonce: Mutex<Option<String>>,
}

/// The longest `DPoP-Nonce` kept; a longer one is ignored (it would be copied into every
/// proof).
const MAX_NONCE: usize = 1024;

pub(crate) fn dpop_nonce(headers: &HeaderMap) -> Option<String> {
    headers
        .get("dpop-nonce")
        .and_then(|v| v.to_str().ok())
        .filter(|n| !n.is_empty() && n.len() <= MAX_NONCE)
        .map(str::to_owned)
}

impl Dpop {
    pub(crate) fn new(enabled: bool) -> Result<Self> {
        Ok(Dpop {
            key: DpopKey::generate()?,
            enabled: AtomicBool::new(enabled),
            token_nonce: Mutex::new(None),
            resource_nonce: Mutex::new(None),
        })
    }

    pub(crate) fn enabled(&self) -> bool {
        self.enabled.load(Ordering::Relaxed)
    }

    /// Turns DPoP on; returns whether it was off.
    pub(crate) fn enable(&self) -> bool {
        !self.enabled.swap(true, Ordering::Relaxed)
    }

    fn get(slot: &Mutex<Option<String>>) -> Option<String> {
        slot.lock().ok().and_then(|n| n.clone())
    }

    fn set(slot: &Mutex<Option<String>>, nonce: Option<String>) {
        if let (Some(nonce), Ok(mut slot)) = (nonce, slot.lock()) {
            *slot = Some(nonce);
        }
    }

    /// Remembers the token endpoint's `DPoP-Nonce`, if the response carried one.
    pub(crate) fn learn_token_nonce(&self, headers: &HeaderMap) {
        Self::set(&self.token_nonce, dpop_nonce(headers));
    }

    /// Remembers a resource server's `DPoP-Nonce`; returns whether it was new.
    pub(crate) fn learn_resource_nonce(&self, headers: &HeaderMap) -> bool {
        let nonce = dpop_nonce(headers);
        let changed = nonce.is_some() && nonce != Self::get(&self.resource_nonce);
        Self::set(&self.resource_nonce, nonce);
        changed
    }

    /// A proof for a token request.
    pub(crate) fn token_proof(&self, token_url: &Url, now: SystemTime) -> Result<HeaderValue> {
        let nonce = Self::get(&self.token_nonce);
        self.key
            .proof(&Method::POST, token_url, None, nonce.as_deref(), now)
    }

    /// A proof for a resource request carrying `access_token`.
    pub(crate) fn resource_proof(
        &self,
        method: &Method,
        url: &Url,
        access_token: &str,
        now: SystemTime,
    ) -> Result<HeaderValue> {
        let nonce = Self::get(&self.resource_nonce);
        self.key
            .proof(method, url, Some(access_token), nonce.as_deref(), now)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::auth::jose::verify_jws;

    #[test]
    fn proofs_carry_the_rfc9449_claims_and_verify_with_their_own_key() {
        let key = DpopKey::generate().unwrap();
        let url = Url::parse("https://o.okta.com/api/v1/users?limit=2#x").unwrap();
        let proof = key
            .proof(
                &Method::GET,
                &url,
                Some("tok"),
                Some("n1"),
                SystemTime::now(),
            )
            .unwrap();
        let proof = proof.to_str().unwrap();
        let header: Value = serde_json::from_slice(
            &base64::Engine::decode(
                &base64::engine::general_purpose::URL_SAFE_NO_PAD,
                proof.split('.').next().unwrap(),
            )
            .unwrap(),
        )
        .unwrap();
        assert_eq!(header["typ"], "dpop+jwt");
        assert!(
            header["jwk"].get("d").is_none(),
            "only the public key travels"
        );
        let (_, claims) = verify_jws(proof, &header["jwk"]).unwrap();
        assert_eq!(claims["htm"], "GET");
        assert_eq!(claims["htu"], "https://o.okta.com/api/v1/users");
        assert_eq!(claims["nonce"], "n1");
        // ath = base64url(SHA-256("tok")).
        assert_eq!(claims["ath"], "GnZ0607njffhrEOak8P6jjyUV4TU3sn9jjARc4svHWI");
        assert_eq!(jwk_thumbprint(&header["jwk"]), key.thumbprint());
        let again = key
            .proof(&Method::GET, &url, None, None, SystemTime::now())
            .unwrap();
        let (_, claims2) = verify_jws(again.to_str().unwrap(), &header["jwk"]).unwrap();
        assert_ne!(claims["jti"], claims2["jti"]);
        assert!(claims2.get("ath").is_none());
    }
    fn claims(proof: &HeaderValue, key: &DpopKey) -> Value {
        verify_jws(proof.to_str().unwrap(), &key.jwk).unwrap().1
    }

    fn nonce_header(nonce: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert("dpop-nonce", nonce.parse().unwrap());
        headers
    }

    #[test]
    fn debug_shows_the_thumbprint_only() {
        let key = DpopKey::generate().unwrap();
        assert_eq!(
            format!("{key:?}"),
            format!("DpopKey {{ thumbprint: {:?}, .. }}", key.thumbprint())
        );
        assert_eq!(key.thumbprint().len(), 43, "base64url of a SHA-256");
    }

    #[test]
    fn nonces_kept_are_short_and_not_empty() {
        // (header value, kept)
        let long = "n".repeat(MAX_NONCE);
        let too_long = "n".repeat(MAX_NONCE + 1);
        let table = [("n1", true), ("", false), (&long, true), (&too_long, false)];
        for (value, kept) in table {
            assert_eq!(
                dpop_nonce(&nonce_header(value)),
                kept.then(|| value.to_owned()),
                "{} bytes",
                value.len()
            );
        }
        assert_eq!(dpop_nonce(&HeaderMap::new()), None);
    }

    #[test]
    fn switching_on_and_learning_nonces() {
        let dpop = Dpop::new(false).unwrap();
        assert!(!dpop.enabled());
        assert!(dpop.enable(), "it was off");
        assert!(!dpop.enable(), "already on");
        assert!(dpop.enabled());
        assert!(Dpop::new(true).unwrap().enabled());

        // (resource server's answer, whether the nonce was new)
        let table = [
            (nonce_header("r1"), true),
            (nonce_header("r1"), false),
            (HeaderMap::new(), false),
            (nonce_header("r2"), true),
        ];
        for (headers, new) in &table {
            assert_eq!(dpop.learn_resource_nonce(headers), *new, "{headers:?}");
        }
        let url = Url::parse("https://o.okta.com/api/v1/users?limit=2").unwrap();
        let now = SystemTime::now();
        let proof = dpop
            .resource_proof(&Method::DELETE, &url, "tok", now)
            .unwrap();
        let c = claims(&proof, &dpop.key);
        assert_eq!(
            c["nonce"], "r2",
            "an answer without a nonce keeps the last one"
        );
        assert_eq!(c["htm"], "DELETE");
        assert_eq!(c["iat"], epoch(now));
        assert!(c.get("ath").is_some());

        let token_url = Url::parse("https://o.okta.com/oauth2/v1/token").unwrap();
        let proof = dpop.token_proof(&token_url, now).unwrap();
        let c = claims(&proof, &dpop.key);
        assert!(
            c.get("nonce").is_none(),
            "the token endpoint's nonce is its own"
        );
        assert_eq!(
            (c["htm"].as_str(), c["htu"].as_str()),
            (Some("POST"), Some(token_url.as_str()))
        );
        assert!(c.get("ath").is_none());
        dpop.learn_token_nonce(&nonce_header("t1"));
        dpop.learn_token_nonce(&HeaderMap::new());
        let c = claims(&dpop.token_proof(&token_url, now).unwrap(), &dpop.key);
        assert_eq!(c["nonce"], "t1");
    }
}
