//! An Okta service app: OAuth 2.0 client credentials with a private-key JWT (RFC 7523) read
//! from a PEM file, DPoP-bound tokens (RFC 9449) and least-privilege scopes. It prints the
//! token's type and the scopes Okta granted, never the token.
//!
//! ```text
//! cargo run --example okta_service_app
//! SCIMKIT_OKTA_ORG=my-org SCIMKIT_OKTA_CLIENT_ID=0oa... \
//!   SCIMKIT_OKTA_PRIVATE_KEY=service-app.pem SCIMKIT_OKTA_KEY_ID=... \
//!   cargo run --example okta_service_app
//! ```
//!
//! In the Admin Console: Applications › Create App Integration › API Services; under Client
//! Credentials choose "Public key / Private key", add the public key (or let Okta generate
//! the pair and save the private key as PEM), tick "Require Demonstrating Proof of
//! Possession (DPoP)", and grant only the scopes the job needs under Okta API Scopes (and an
//! admin role that allows them).
//!
//! Variables: `SCIMKIT_OKTA_ORG`, `SCIMKIT_OKTA_CLIENT_ID`, `SCIMKIT_OKTA_PRIVATE_KEY` (the
//! PEM file: PKCS#8, PKCS#1 RSA or SEC1 P-256), `SCIMKIT_OKTA_KEY_ID` (the key's `kid`, if
//! the app has several keys) and `SCIMKIT_OKTA_SCOPES` (default `okta.users.read`). It only
//! reads. Offline, the in-memory org registers the public half of
//! `tests/fixtures/okta/ec-pkcs8.pem` (a test key) as an app allowed more than it asks for,
//! requires DPoP, and shows that a write with the read-only token is refused.

use std::process::ExitCode;
use std::sync::Arc;
use std::time::Instant;

use scimkit::auth::PrivateKeyJwt;
use scimkit::mock::OktaOrg;
use scimkit::okta::{CreateUser, DefaultProfile, OktaClient, normalize_org_url};
use scimkit::{ClientAuth, ClientCredentials, Error, Result};

#[path = "common/okta_connect.rs"]
mod okta_connect;
use okta_connect::env;

/// The least privilege this job needs: reading users.
const DEFAULT_SCOPES: &str = "okta.users.read";

#[tokio::main]
async fn main() -> ExitCode {
    match run().await {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!(
                "okta_service_app failed: {}",
                err.to_string().replace('\n', " ")
            );
            ExitCode::FAILURE
        }
    }
}

async fn run() -> Result<()> {
    let mut mock = None;
    let (org, client_id, signer) = match env("SCIMKIT_OKTA_ORG") {
        Some(org) => {
            let client_id = env("SCIMKIT_OKTA_CLIENT_ID")
                .ok_or_else(|| Error::Config("SCIMKIT_OKTA_CLIENT_ID is not set".into()))?;
            (org, client_id, okta_connect::signer_from_env()?)
        }
        None => {
            let org = OktaOrg::start().await;
            org.seed_sample_users(3);
            let path = concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/tests/fixtures/okta/ec-pkcs8.pem"
            );
            let pem = std::fs::read_to_string(path)
                .map_err(|e| Error::Config(format!("cannot read {path}: {e}")))?;
            let signer = PrivateKeyJwt::from_pem(&pem)?.kid("cookbook-key-1");
            // The app may do more than this job asks for; the job asks for less.
            org.register_service_app(
                "cookbook-service-app",
                signer.public_jwk(),
                &["okta.users.read", "okta.users.manage", "okta.groups.read"],
            );
            org.require_dpop("cookbook-service-app");
            println!(
                "no SCIMKIT_OKTA_ORG: the in-memory org at {} with a registered service app",
                org.uri()
            );
            let uri = org.uri();
            mock = Some(org);
            (uri, "cookbook-service-app".to_owned(), signer)
        }
    };
    let scopes = env("SCIMKIT_OKTA_SCOPES").unwrap_or_else(|| DEFAULT_SCOPES.to_owned());
    println!(
        "client {client_id}, signing {} assertions{}",
        signer.algorithm(),
        signer
            .public_jwk()
            .get("kid")
            .and_then(|k| k.as_str())
            .map(|kid| format!(" with key {kid}"))
            .unwrap_or_default()
    );

    // The credentials, built directly so the token can be inspected: the same thing
    // `OktaClient::builder().service_app(..).dpop(true)` builds.
    let org_url = normalize_org_url(&org)?;
    let creds = ClientCredentials::builder()
        .token_url(
            org_url
                .join("oauth2/v1/token")
                .map_err(|e| Error::Config(e.to_string()))?,
        )
        .client_id(client_id)
        .client_auth(ClientAuth::Assertion(Arc::new(signer)))
        .scopes(scopes.split_whitespace())
        .dpop(true)
        .build()?;
    let token = creds.token().await?;
    println!(
        "token: type {}, scopes granted: {}, expires in {} s",
        token.token_type(),
        token
            .scopes()
            .map_or_else(|| "(not stated)".to_owned(), |s| s.join(" ")),
        token
            .expires_at()
            .saturating_duration_since(Instant::now())
            .as_secs()
    );
    if token.token_type() != "DPoP" {
        println!("note: the token is not DPoP-bound; tick \"Require DPoP\" in the app");
    }

    let okta = OktaClient::builder()
        .org(&org)?
        .auth(creds.clone())
        .build()?;
    let page = okta.users().list().limit(3).send().await?;
    println!("read {} users with it:", page.items.len());
    for user in &page.items {
        println!("  {} {:<28} {}", user.id, user.profile.login, user.status);
    }

    if mock.is_some() {
        let refused = okta
            .users()
            .create(&CreateUser::new(DefaultProfile::new(
                "intruder@example.com",
                "Not",
                "Allowed",
            )))
            .await;
        match refused {
            Err(Error::Okta(e)) if e.status.as_u16() == 403 => println!(
                "a write with the read-only token is refused: {} {} ({})",
                e.status.as_u16(),
                e.error_code,
                e.error_summary
            ),
            Err(other) => return Err(other),
            Ok(_) => {
                return Err(Error::Config(
                    "a write with a read-only token was accepted".into(),
                ));
            }
        }
    }
    println!("token requests sent: {}", creds.token_requests());
    Ok(())
}
