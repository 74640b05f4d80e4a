//! Tracing as a production service would set it up: JSON logs on stdout, one line per HTTP
//! request with its method, host, path, attempt, status and request id, filtered by
//! `RUST_LOG`; and a check that no secret appears in the logs, even at TRACE.
//!
//! ```text
//! cargo run --example tracing_setup
//! RUST_LOG=info,scimkit=debug cargo run --example tracing_setup | jq .
//! SCIMKIT_SCIM_URL=https://host/scim/v2 SCIMKIT_SCIM_TOKEN=... cargo run --example tracing_setup
//! ```
//!
//! Every request this crate sends is one `scimkit.http` span (DEBUG level, target
//! `scimkit::transport::send`) with the fields `method`, `host`, `path` (never the query),
//! `attempt`, `status` and `request_id`; its events say `sending`, `response`, `retrying`
//! (with the wait) and `failed`. Token requests have their own `scimkit.token` span. No span
//! or event ever records a header or a body. The logging layer below prints the span's
//! fields on every event and one line when the span closes (with its duration), so the
//! default filter `info,scimkit=debug` gives one line per request plus its retries.
//!
//! A second layer captures everything, every crate's spans and events at TRACE (hyper's and
//! reqwest's included), in memory; at the end the example searches it for every secret it
//! used (client secret, the Basic credentials as sent, access token, API tokens, a
//! password) and exits 1 if one appears.
//!
//! Offline it runs against `mock::IdentityProvider` with two faults (a 429 and a 503, so
//! the logs show a retry); with `SCIMKIT_SCIM_URL` (+ `SCIMKIT_SCIM_TOKEN`, or
//! `SCIMKIT_TOKEN_URL` + `SCIMKIT_CLIENT_ID` + `SCIMKIT_CLIENT_SECRET`) and/or
//! `SCIMKIT_OKTA_ORG` + `SCIMKIT_OKTA_API_TOKEN` it reads one page from each instead.

use std::io::Write;
use std::process::ExitCode;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use base64::Engine;
use http::Method;
use scimkit::mock::{Fault, IdentityProvider};
use scimkit::okta::OktaClient;
use scimkit::scim::{ScimClient, User};
use scimkit::{BearerToken, ClientCredentials, Error, ExposeSecret, Result};
use tracing_subscriber::filter::{EnvFilter, LevelFilter};
use tracing_subscriber::fmt::format::FmtSpan;
use tracing_subscriber::prelude::*;

#[path = "common/okta_connect.rs"]
mod okta_connect;
use okta_connect::env;

/// The production setup: JSON lines on stdout, filtered by `RUST_LOG` (default
/// `info,scimkit=debug`), plus a TRACE capture into `capture` for the secret check.
fn init_tracing(capture: Capture) {
    let logs = tracing_subscriber::fmt::layer()
        .json()
        .flatten_event(true) // the event's fields at the top level
        .with_current_span(true) // the request span's fields on each event
        .with_span_list(false)
        .with_span_events(FmtSpan::CLOSE) // one line per request when it ends, with timing
        .with_writer(std::io::stdout)
        .with_filter(
            EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| EnvFilter::new("info,scimkit=debug")),
        );
    let everything = tracing_subscriber::fmt::layer()
        .json()
        .with_span_events(FmtSpan::FULL)
        .with_writer(move || capture.clone())
        .with_filter(LevelFilter::TRACE);
    tracing_subscriber::registry()
        .with(logs)
        .with(everything)
        .init();
}

/// An in-memory log sink.
#[derive(Clone, Default)]
struct Capture(Arc<Mutex<Vec<u8>>>);

impl Write for Capture {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0
            .lock()
            .map_err(|_| std::io::Error::other("poisoned"))?
            .extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[tokio::main]
async fn main() -> ExitCode {
    let capture = Capture::default();
    init_tracing(capture.clone());
    let mut secrets = Secrets::new();
    if let Err(err) = run(&mut secrets).await {
        // The failure is logged too, and checked like everything else.
        tracing::error!(error = %err, "tracing_setup failed");
        eprintln!(
            "tracing_setup failed: {}",
            err.to_string().replace('\n', " ")
        );
        return ExitCode::FAILURE;
    }
    let captured = capture.0.lock().map(|b| b.clone()).unwrap_or_default();
    let text = String::from_utf8_lossy(&captured);
    secrets.retain(|(_, s)| !s.is_empty());
    let leaked: Vec<&str> = secrets
        .iter()
        .filter(|(_, s)| text.contains(s.as_str()))
        .map(|(what, _)| *what)
        .collect();
    if !leaked.is_empty() {
        eprintln!(
            "tracing_setup: a secret appears in the TRACE output: {}",
            leaked.join(", ")
        );
        return ExitCode::FAILURE;
    }
    eprintln!(
        "checked {} lines of TRACE output from every crate for the {} secret(s) used: none appears",
        text.lines().count(),
        secrets.len()
    );
    ExitCode::SUCCESS
}

/// The secrets a run used, each with what it is (the check names them, never shows them).
type Secrets = Vec<(&'static str, String)>;

async fn run(secrets: &mut Secrets) -> Result<()> {
    if env("SCIMKIT_SCIM_URL").is_some() || env("SCIMKIT_OKTA_ORG").is_some() {
        return real(secrets).await;
    }
    let idp = IdentityProvider::start().await;
    let creds = idp.client_credentials();
    let password = "Corr3ct-Horse-Battery";
    secrets.extend([
        ("the client secret", idp.client_secret().to_owned()),
        (
            "the Basic credentials",
            basic(idp.client_id(), idp.client_secret()),
        ),
        ("the SCIM bearer token", idp.scim_token().to_owned()),
        ("the Okta API token", idp.okta_api_token()),
        ("a user's password", password.to_owned()),
    ]);
    tracing::info!(scim = %idp.scim_url(), okta = %idp.okta_url(), "provisioning against the mock identity provider");

    // The first create is rate limited (429: retried after Retry-After, even for a POST);
    // the first read gets a 503 (retried: a GET is idempotent).
    idp.scim()
        .faults()
        .on(Method::POST, "/Users")
        .times(1)
        .respond(Fault::RateLimited {
            retry_after: Duration::from_secs(1),
        });
    idp.scim()
        .faults()
        .on(Method::GET, "/Users/*")
        .times(1)
        .respond(Fault::Status(503));

    let scim = ScimClient::builder()
        .base_url(idp.scim_url())
        .auth(creds.clone())
        .build()?;
    let ada = scim
        .users()
        .create(&User::new("ada@example.com").password(password.to_string()))
        .await?;
    let access = creds.token().await?.secret().expose_secret().to_owned();
    secrets.push(("the access token", access));
    let id = ada.id.unwrap_or_default();
    let read = scim.users().get(&id).await?;
    tracing::info!(user = %read.user_name, "provisioned");

    let okta = idp.okta_client();
    idp.okta().seed_sample_users(2);
    let users = okta.users().list().limit(2).send().await?;
    tracing::info!(count = users.items.len(), "read Okta users");
    match okta.users().get("nobody@example.com").await {
        Err(err) => tracing::warn!(error = %err, "lookup failed, as expected"),
        Ok(_) => return Err(Error::Config("a missing user was found".into())),
    }
    Ok(())
}

/// Against real endpoints: one page from each configured one.
async fn real(secrets: &mut Secrets) -> Result<()> {
    if let Some(url) = env("SCIMKIT_SCIM_URL") {
        let builder = ScimClient::builder().base_url(url);
        let scim = match (
            env("SCIMKIT_TOKEN_URL"),
            env("SCIMKIT_CLIENT_ID"),
            env("SCIMKIT_CLIENT_SECRET"),
        ) {
            (Some(token_url), Some(id), Some(secret)) => {
                secrets.extend([
                    ("the client secret", secret.clone()),
                    ("the Basic credentials", basic(&id, &secret)),
                ]);
                let creds = ClientCredentials::builder()
                    .token_url(token_url)
                    .client_id(id)
                    .client_secret(secret)
                    .scopes(env("SCIMKIT_SCOPE").unwrap_or_default().split_whitespace())
                    .build()?;
                let access = creds.token().await?.secret().expose_secret().to_owned();
                secrets.push(("the access token", access));
                builder.auth(creds).build()?
            }
            _ => {
                let token = env("SCIMKIT_SCIM_TOKEN").ok_or_else(|| {
                    Error::Config("set SCIMKIT_SCIM_TOKEN or the SCIMKIT_TOKEN_URL trio".into())
                })?;
                secrets.push(("the SCIM bearer token", token.clone()));
                builder.auth(BearerToken::new(token)).build()?
            }
        };
        let page = scim.users().list().count(1).send().await?;
        tracing::info!(total = page.total_results, "read SCIM users");
    }
    if let Some(org) = env("SCIMKIT_OKTA_ORG") {
        let token = env("SCIMKIT_OKTA_API_TOKEN")
            .ok_or_else(|| Error::Config("SCIMKIT_OKTA_API_TOKEN is not set".into()))?;
        secrets.push(("the Okta API token", token.clone()));
        let okta = OktaClient::builder().org(org)?.api_token(token).build()?;
        let page = okta.users().list().limit(1).send().await?;
        tracing::info!(count = page.items.len(), "read Okta users");
    }
    Ok(())
}

/// The Basic credentials as a token request carries them (RFC 6749 §2.3.1), to look for too.
fn basic(id: &str, secret: &str) -> String {
    let encode = |s: &str| url::form_urlencoded::byte_serialize(s.as_bytes()).collect::<String>();
    base64::engine::general_purpose::STANDARD.encode(format!("{}:{}", encode(id), encode(secret)))
}
