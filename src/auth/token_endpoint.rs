//! One token request (RFC 6749 §4.4.2) sent through the transport's one retry loop: the
//! form, client authentication on every attempt (a Basic header, body credentials, or a
//! freshly signed assertion), DPoP proofs and nonces, and the answer decoded.

use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use bytes::{BufMut, Bytes, BytesMut};
use http::header::{ACCEPT, AUTHORIZATION, HeaderValue};
use http::{HeaderMap, Method, StatusCode};
use secrecy::{ExposeSecret, SecretString};
use url::Url;
use url::form_urlencoded;

use super::client_auth::ClientAuth;
use super::dpop::Dpop;
use super::token_response::{TokenResponse, oauth_error};
use crate::clock::SharedClock;
use crate::error::{Error, Result};
use crate::transport::{
    ApiRequest, AuthRequest, Authenticator, BoxFuture, Response, SendOptions, Transport,
};

/// Everything needed to ask one token endpoint for tokens.
pub(crate) struct TokenEndpoint {
    pub(crate) token_url: Url,
    pub(crate) client_id: String,
    pub(crate) client_secret: Option<SecretString>,
    pub(crate) client_auth: ClientAuth,
    pub(crate) scopes: Vec<String>,
    pub(crate) extra_params: Vec<(String, String)>,
    pub(crate) transport: Transport,
    pub(crate) clock: SharedClock,
    pub(crate) dpop: Dpop,
    /// HTTP requests sent to the endpoint, retries included.
    pub(crate) requests: AtomicU64,
}

impl TokenEndpoint {
    /// Asks for a token: one call through the transport's loop, which retries transient
    /// failures (a token request is safe to repeat) and re-authenticates on a DPoP nonce.
    pub(crate) async fn request(&self) -> Result<TokenResponse> {
        let mut pairs: Vec<(&str, &str)> = vec![("grant_type", "client_credentials")];
        let scope = self.scopes.join(" ");
        if !scope.is_empty() {
            pairs.push(("scope", &scope));
        }
        for (name, value) in &self.extra_params {
            pairs.push((name, value));
        }
        let request = ApiRequest::new(Method::POST, self.token_url.clone())
            .form(pairs)
            .header(ACCEPT, HeaderValue::from_static("application/json"))
            // Repeating a client-credentials grant creates nothing: safe to resend.
            .idempotent(true);
        let auth = ClientAuthenticator { endpoint: self };
        let response = self
            .transport
            .send_with(request, SendOptions::new().auth(&auth))
            .await?;
        self.dpop.learn_token_nonce(&response.headers);
        let response = response.check(Some(oauth_error))?;
        TokenResponse::from_response(&response)
    }

    /// How many HTTP requests were sent to the endpoint.
    pub(crate) fn requests(&self) -> u64 {
        self.requests.load(Ordering::Relaxed)
    }
}

/// `application/x-www-form-urlencoded` encoding, as RFC 6749 §2.3.1 requires for the
/// client id and secret inside a Basic header.
fn form_encode(text: &str) -> String {
    form_urlencoded::byte_serialize(text.as_bytes()).collect()
}

/// The client's credentials on each attempt of a token request.
struct ClientAuthenticator<'e> {
    endpoint: &'e TokenEndpoint,
}

impl fmt::Debug for ClientAuthenticator<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientAuthenticator")
            .field("client_id", &self.endpoint.client_id)
            .field("client_auth", &self.endpoint.client_auth)
            .finish_non_exhaustive()
    }
}

impl ClientAuthenticator<'_> {
    fn authorize_now(&self, request: AuthRequest<'_>) -> Result<()> {
        let endpoint = self.endpoint;
        endpoint.requests.fetch_add(1, Ordering::Relaxed);
        let now = endpoint.clock.system_now();
        let mut extra: Vec<(&str, String)> = Vec::new();
        match &endpoint.client_auth {
            ClientAuth::BasicHeader => {
                let secret = endpoint
                    .client_secret
                    .as_ref()
                    .map(|s| form_encode(s.expose_secret()))
                    .unwrap_or_default();
                let pair = format!("{}:{secret}", form_encode(&endpoint.client_id));
                let mut value =
                    HeaderValue::try_from(format!("Basic {}", STANDARD.encode(pair.as_bytes())))
                        .map_err(|_| {
                            Error::config("the client credentials cannot form a header")
                        })?;
                value.set_sensitive(true);
                request.headers.insert(AUTHORIZATION, value);
            }
            ClientAuth::RequestBody => {
                extra.push(("client_id", endpoint.client_id.clone()));
                if let Some(secret) = &endpoint.client_secret {
                    extra.push(("client_secret", secret.expose_secret().to_owned()));
                }
            }
            ClientAuth::Assertion(signer) => {
                // A new assertion for every attempt: each has a fresh `jti`, which servers
                // refuse to see twice.
                let assertion = signer.sign(&endpoint.client_id, &endpoint.token_url, now)?;
                extra.push(("client_id", endpoint.client_id.clone()));
                extra.push(("client_assertion_type", signer.assertion_type().to_owned()));
                extra.push(("client_assertion", assertion.expose_secret().to_owned()));
            }
        }
        if !extra.is_empty() {
            let body = request
                .body
                .ok_or_else(|| Error::config("a token request needs a form body"))?;
            let mut form = form_urlencoded::Serializer::new(String::new());
            for (name, value) in &extra {
                form.append_pair(name, value);
            }
            let tail = form.finish();
            let mut joined = BytesMut::with_capacity(body.len() + 1 + tail.len());
            joined.put_slice(body);
            joined.put_u8(b'&');
            joined.put_slice(tail.as_bytes());
            *body = Bytes::from(joined);
        }
        if endpoint.dpop.enabled() {
            let proof = endpoint.dpop.token_proof(&endpoint.token_url, now)?;
            request.headers.insert("dpop", proof);
        }
        Ok(())
    }
}

impl Authenticator for ClientAuthenticator<'_> {
    fn authorize<'a>(&'a self, request: AuthRequest<'a>) -> BoxFuture<'a, Result<()>> {
        Box::pin(std::future::ready(self.authorize_now(request)))
    }

    /// A DPoP nonce request (`use_dpop_nonce`, RFC 9449 §8) or a demand for DPoP
    /// (`invalid_dpop_proof` while DPoP was off) is answered by sending again.
    fn rejected(&self, _sent: &HeaderMap, response: &Response) -> bool {
        if !matches!(
            response.status,
            StatusCode::BAD_REQUEST | StatusCode::UNAUTHORIZED
        ) {
            return false;
        }
        let dpop = &self.endpoint.dpop;
        let Some(Error::OAuth(e)) = oauth_error(response) else {
            return false;
        };
        match e.error.as_str() {
            "use_dpop_nonce" if dpop.enabled() => {
                dpop.learn_token_nonce(&response.headers);
                tracing::debug!("token endpoint asked for a DPoP nonce; retrying");
                true
            }
            "invalid_dpop_proof" if dpop.enable() => {
                tracing::debug!("token endpoint requires DPoP; switching it on");
                true
            }
            _ => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn basic_credentials_are_form_encoded_first() {
        // RFC 6749 §2.3.1: the id and secret are form-encoded, then joined and base64'd.
        assert_eq!(
            form_encode("p@ss:w0rd/&=+ %~"),
            "p%40ss%3Aw0rd%2F%26%3D%2B+%25%7E"
        );
        assert_eq!(form_encode("scim-client"), "scim-client");
    }

    #[test]
    fn the_client_authenticator_shows_who_it_is_and_no_secret() {
        let transport = Transport::default();
        let endpoint = TokenEndpoint {
            token_url: Url::parse("https://idp.example.com/token").unwrap(),
            client_id: "svc".into(),
            client_secret: Some(SecretString::from("s3cret".to_owned())),
            client_auth: ClientAuth::BasicHeader,
            scopes: Vec::new(),
            extra_params: Vec::new(),
            clock: transport.shared_clock(),
            transport,
            dpop: Dpop::new(false).unwrap(),
            requests: AtomicU64::new(0),
        };
        let shown = format!(
            "{:?}",
            ClientAuthenticator {
                endpoint: &endpoint
            }
        );
        assert!(shown.starts_with("ClientAuthenticator"), "{shown}");
        assert!(
            shown.contains("\"svc\"") && shown.contains("BasicHeader"),
            "{shown}"
        );
        assert!(!shown.contains("s3cret"), "{shown}");
    }
}
