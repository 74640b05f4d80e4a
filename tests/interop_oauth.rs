//! Interop tier: tokens from a real, OpenID-certified OAuth 2.0 server (the Node package
//! `oidc-provider`), which rejects Basic credentials that are not form-encoded (RFC 6749
//! §2.3.1). Run by `interop/run-oauth.sh`, which starts the server and sets
//! `SCIMKIT_INTEROP_OIDC_URL` and passes `--include-ignored`; without a peer the tests are
//! listed as ignored.
#![cfg(feature = "interop")]
#![allow(clippy::unwrap_used)]

use scimkit::{ClientAuth, ClientCredentials, Error};

fn token_url() -> String {
    let issuer = std::env::var("SCIMKIT_INTEROP_OIDC_URL")
        .expect("SCIMKIT_INTEROP_OIDC_URL must point at a running oidc-provider");
    format!("{}/token", issuer.trim_end_matches('/'))
}

#[tokio::test]
#[ignore = "needs oidc-provider: run interop/run-oauth.sh"]
async fn basic_client_with_reserved_characters_gets_a_token() {
    let creds = ClientCredentials::builder()
        .token_url(token_url())
        .client_id("basic client")
        .client_secret("p@ss:w0rd/&=+ %~".to_string())
        .client_auth(ClientAuth::BasicHeader)
        .scope("api:read")
        .build()
        .unwrap();
    let token = creds.token().await.unwrap();
    assert_eq!(token.token_type(), "Bearer");
    assert!(token.expires_at() > std::time::Instant::now());
    assert_eq!(token.scopes().unwrap(), ["api:read"]);
    // Cached.
    creds.token().await.unwrap();
    assert_eq!(creds.token_requests(), 1);
}

#[tokio::test]
#[ignore = "needs oidc-provider: run interop/run-oauth.sh"]
async fn post_client_gets_a_token() {
    let creds = ClientCredentials::builder()
        .token_url(token_url())
        .client_id("post-client")
        .client_secret("p0st s3cret&=".to_string())
        .client_auth(ClientAuth::RequestBody)
        .scopes(["api:read", "api:write"])
        .build()
        .unwrap();
    let token = creds.token().await.unwrap();
    assert_eq!(token.token_type(), "Bearer");
}

#[tokio::test]
#[ignore = "needs oidc-provider: run interop/run-oauth.sh"]
async fn wrong_secret_is_invalid_client_and_not_retried() {
    let creds = ClientCredentials::builder()
        .token_url(token_url())
        .client_id("basic client")
        .client_secret("wrong".to_string())
        .build()
        .unwrap();
    let err = creds.token().await.unwrap_err();
    assert!(
        matches!(&err, Error::OAuth(e) if e.error == "invalid_client"),
        "{err:?}"
    );
    assert_eq!(creds.token_requests(), 1);
}

#[tokio::test]
#[ignore = "needs oidc-provider: run interop/run-oauth.sh"]
async fn unknown_scopes_are_not_granted() {
    // oidc-provider drops scopes the client may not have instead of failing with
    // invalid_scope (RFC 6749 §3.3 lets a server grant fewer scopes than asked): the token
    // comes back without them, and `scopes()` tells the caller so.
    let creds = ClientCredentials::builder()
        .token_url(token_url())
        .client_id("basic client")
        .client_secret("p@ss:w0rd/&=+ %~".to_string())
        .scopes(["api:read", "admin"])
        .build()
        .unwrap();
    let token = creds.token().await.unwrap();
    assert_eq!(token.scopes().unwrap(), ["api:read"]);
}
