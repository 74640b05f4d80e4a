//! Tune the transport: timeouts, the retry policy, an overall deadline, extra root
//! certificates and a proxy, each shown doing its job.
//!
//! ```text
//! cargo run --example tune_transport
//! SCIMKIT_SCIM_URL=https://scim.internal.example/v2 SCIMKIT_SCIM_TOKEN=... \
//!   SCIMKIT_CA_CERT=corp-root.pem SCIMKIT_PROXY=http://proxy.internal:3128 \
//!   cargo run --example tune_transport
//! ```
//!
//! One `Transport` carries every setting and is shared by every client built on it
//! (`.transport(..)` on the SCIM and Okta builders and on `ClientCredentials`):
//!
//! - `connect_timeout` (default 10 s) and `timeout` (per attempt, default 30 s);
//! - `retry(RetryPolicy)`: how many retries, the back-off, the longest wait a server may ask
//!   for (`max_wait`) and an overall deadline for one call, waits included (`max_elapsed`);
//! - `add_root_certificate`: trust a private CA (a TLS-inspecting proxy, an internal PKI);
//! - `configure_reqwest`: anything else reqwest offers, here an explicit proxy. Without it,
//!   the `HTTPS_PROXY` / `HTTP_PROXY` / `NO_PROXY` variables apply as in reqwest.
//!
//! Offline, each setting meets a fault it exists for: the in-memory SCIM server answers
//! slowly, fails, asks to wait 30 s; an HTTPS server on 127.0.0.1 presents a certificate from
//! a test CA (`examples/tune_transport/ca.pem`); a small forward proxy on 127.0.0.1 relays
//! plain-HTTP requests. Against a real server: `SCIMKIT_SCIM_URL` (+ `SCIMKIT_SCIM_TOKEN` or
//! the `SCIMKIT_TOKEN_URL` trio), optional `SCIMKIT_CA_CERT` (a PEM file of extra root
//! certificates) and `SCIMKIT_PROXY` (a proxy URL for every request); it reads the server's
//! `ServiceProviderConfig` through the tuned transport.

mod loopback;

use std::process::ExitCode;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use http::Method;
use scimkit::mock::{Fault, ScimServer};
use scimkit::scim::ScimClient;
use scimkit::transport::reqwest::{Certificate, Proxy};
use scimkit::{BearerToken, Error, Result, RetryPolicy, Transport, TransportBuilder};

#[path = "../common/scim_connect.rs"]
mod scim_connect;
use scim_connect::env;

/// The settings of this recipe, on top of which each demo changes one thing.
fn tuned() -> TransportBuilder {
    Transport::builder()
        .connect_timeout(Duration::from_secs(3))
        .timeout(Duration::from_secs(10))
        .retry(
            RetryPolicy::default()
                .max_retries(4)
                .initial_backoff(Duration::from_millis(50))
                .max_backoff(Duration::from_secs(2))
                .max_wait(Duration::from_secs(20))
                .max_elapsed(Duration::from_secs(30)),
        )
        .user_agent_suffix("cookbook-tune-transport/1.0")
}

#[tokio::main]
async fn main() -> ExitCode {
    match run().await {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!(
                "tune_transport failed: {}",
                err.to_string().replace('\n', " ")
            );
            ExitCode::FAILURE
        }
    }
}

async fn run() -> Result<()> {
    if env("SCIMKIT_SCIM_URL").is_some() {
        return real().await;
    }
    let server = ScimServer::start().await;
    server.seed_sample_users(3);
    println!("{:<34} what happened", "setting");
    timeouts(&server).await?;
    retries(&server).await?;
    deadline(&server).await?;
    root_certificate().await?;
    proxy(&server).await
}

fn client(server: &ScimServer, transport: TransportBuilder) -> Result<ScimClient> {
    Ok(server.client_with(transport.build()?))
}

fn row(setting: &str, what: impl std::fmt::Display) {
    println!("{setting:<34} {what}");
}

/// A slow answer: the attempt times out and the GET is tried again.
async fn timeouts(server: &ScimServer) -> Result<()> {
    let scim = client(server, tuned().timeout(Duration::from_millis(500)))?;
    server.reset(); // forget earlier requests and faults
    server
        .faults()
        .on(Method::GET, "/Users")
        .times(1)
        .respond(Fault::Delay(Duration::from_secs(2)));
    let page = scim.users().list().send().await?;
    row(
        "timeout 500 ms per attempt",
        format!(
            "GET /Users delayed 2 s: attempt 1 timed out at 500 ms, attempt {} got {} users",
            server.request_count(),
            page.resources.len()
        ),
    );
    Ok(())
}

/// Three 503s in a row: the policy's four retries get through.
async fn retries(server: &ScimServer) -> Result<()> {
    let scim = client(server, tuned())?;
    server.reset();
    server
        .faults()
        .on(Method::GET, "/Users")
        .times(3)
        .respond(Fault::Status(503));
    let started = Instant::now();
    scim.users().list().send().await?;
    let statuses: Vec<String> = server
        .requests()
        .iter()
        .map(|r| r.status.map_or("-".into(), |s| s.to_string()))
        .collect();
    row(
        "4 retries, back-off 50 ms to 2 s",
        format!(
            "GET /Users: {} in {} ms",
            statuses.join(", "),
            started.elapsed().as_millis()
        ),
    );
    Ok(())
}

/// A server asking to wait 30 s, longer than the call's deadline: the call gives up at once.
async fn deadline(server: &ScimServer) -> Result<()> {
    let scim = client(
        server,
        tuned().retry(RetryPolicy::default().max_elapsed(Duration::from_secs(2))),
    )?;
    let rule = server
        .faults()
        .on(Method::GET, "/Users")
        .respond(Fault::RateLimited {
            retry_after: Duration::from_secs(30),
        });
    let started = Instant::now();
    let outcome = scim.users().list().send().await;
    rule.disarm();
    let err = match outcome {
        Err(err) => err,
        Ok(_) => return Err(Error::Config("the 429 was not answered".into())),
    };
    row(
        "deadline 2 s (max_elapsed)",
        format!(
            "429 asking for {} s: gave up after {} ms, not 30 s ({})",
            err.retry_after().map_or(0, |d| d.as_secs()),
            started.elapsed().as_millis(),
            err.status().map_or("no status".into(), |s| s.to_string())
        ),
    );
    Ok(())
}

/// An HTTPS server with a certificate from a private CA: refused until the CA is trusted.
async fn root_certificate() -> Result<()> {
    let base = loopback::https_server()
        .await
        .map_err(|e| Error::Config(format!("the HTTPS stand-in did not start: {e}")))?;
    let token = || BearerToken::new("no-secret-here".to_string());
    let plain = ScimClient::builder()
        .base_url(&base)
        .auth(token())
        .transport(tuned().build()?)
        .build()?;
    let refused = match plain.service_provider_config().await {
        Err(Error::Tls { kind, .. }) => format!("TLS refused ({kind})"),
        Err(other) => return Err(other),
        Ok(_) => return Err(Error::Config("an unknown CA was trusted".into())),
    };
    let ca = load_ca(loopback::CA_PEM)?;
    let trusting = ScimClient::builder()
        .base_url(&base)
        .auth(token())
        .transport(
            ca.into_iter()
                .fold(tuned(), |t, c| t.add_root_certificate(c))
                .build()?,
        )
        .build()?;
    let config = trusting.service_provider_config().await?;
    row(
        "add_root_certificate(test CA)",
        format!(
            "{base}: without it {refused}; with it 200 (patch supported: {})",
            config.patch.supported
        ),
    );
    Ok(())
}

/// Every request through an explicit proxy.
async fn proxy(server: &ScimServer) -> Result<()> {
    let stand_in = loopback::forward_proxy()
        .await
        .map_err(|e| Error::Config(format!("the proxy stand-in did not start: {e}")))?;
    let via = Proxy::http(&stand_in.url).map_err(|e| Error::Config(e.to_string()))?;
    let scim = client(server, tuned().configure_reqwest(move |b| b.proxy(via)))?;
    server.reset();
    let page = scim.users().list().send().await?;
    let connections = stand_in.connections.load(Ordering::Relaxed);
    if connections == 0 {
        return Err(Error::Config(
            "the request did not go through the proxy".into(),
        ));
    }
    row(
        &format!("proxy {}", stand_in.url),
        format!(
            "GET /Users ({} users) went through the proxy: {connections} connection(s) relayed",
            page.resources.len()
        ),
    );
    Ok(())
}

/// Extra root certificates from a PEM file (one or more certificates).
fn load_ca(path: &str) -> Result<Vec<Certificate>> {
    let pem = std::fs::read(path).map_err(|e| Error::Config(format!("cannot read {path}: {e}")))?;
    Certificate::from_pem_bundle(&pem)
        .map_err(|e| Error::Config(format!("{path} holds no PEM certificate: {e}")))
}

/// Against a real server: the tuned transport, with `SCIMKIT_CA_CERT` and `SCIMKIT_PROXY`.
async fn real() -> Result<()> {
    let mut transport = tuned();
    let ca = env("SCIMKIT_CA_CERT");
    if let Some(path) = &ca {
        for cert in load_ca(path)? {
            transport = transport.add_root_certificate(cert);
        }
    }
    let proxy = env("SCIMKIT_PROXY");
    if let Some(url) = &proxy {
        let via = Proxy::all(url).map_err(|e| Error::Config(format!("SCIMKIT_PROXY: {e}")))?;
        transport = transport.configure_reqwest(move |b| b.proxy(via));
    }
    let (builder, _) = scim_connect::builder(transport.build()?, |s| s).await?;
    let scim = builder.build()?;
    let started = Instant::now();
    let config = scim.service_provider_config().await?;
    println!(
        "{}: ServiceProviderConfig in {} ms (bulk {}, patch {}, etag {}); CA: {}; proxy: {}",
        scim.base_url(),
        started.elapsed().as_millis(),
        config.bulk.supported,
        config.patch.supported,
        config.etag.supported,
        ca.as_deref().unwrap_or("system roots only"),
        proxy
            .as_deref()
            .map_or("from the environment, if any", |_| "SCIMKIT_PROXY"),
    );
    Ok(())
}
