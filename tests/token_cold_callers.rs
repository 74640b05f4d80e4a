//! 1,000 concurrent cold callers of one `ClientCredentials`, against a token endpoint that
//! fails and then recovers: each wave of callers costs the endpoint exactly one request,
//! a failure is shared by every caller of its wave (not retried once per caller), and after
//! recovery every caller gets the same token, which later calls take from the cache.
//!
//! Deterministic without timing: the token endpoint sits behind a gate (a TCP relay) that
//! lets a connection through only once every caller of the wave has reached the point
//! where it waits (its first `Pending`), so no caller can arrive after the fetch it should
//! share has finished.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::task::{Context, Poll};
use std::time::Duration;

use scimkit::auth::AccessToken;
use scimkit::mock::{Fault, TokenServer};
use scimkit::{ClientCredentials, Error, ExposeSecret, RetryPolicy, SecretString, Transport};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::Semaphore;

const CALLERS: usize = 1_000;

/// A TCP relay in front of the token endpoint that holds each connection until it is let
/// through, and counts them.
struct Gate {
    token_url: String,
    permits: Arc<Semaphore>,
    connections: Arc<AtomicUsize>,
}

impl Gate {
    async fn start(upstream_token_url: &str) -> Gate {
        let upstream = url::Url::parse(upstream_token_url).unwrap();
        let upstream_addr = format!(
            "{}:{}",
            upstream.host_str().unwrap(),
            upstream.port().unwrap()
        );
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let mut token_url = upstream.clone();
        token_url
            .set_port(Some(listener.local_addr().unwrap().port()))
            .unwrap();
        let permits = Arc::new(Semaphore::new(0));
        let connections = Arc::new(AtomicUsize::new(0));
        let (held, counted) = (permits.clone(), connections.clone());
        tokio::spawn(async move {
            while let Ok((mut client, _)) = listener.accept().await {
                counted.fetch_add(1, Ordering::SeqCst);
                let held = held.clone();
                let upstream_addr = upstream_addr.clone();
                tokio::spawn(async move {
                    let Ok(permit) = held.acquire().await else {
                        return;
                    };
                    permit.forget();
                    if let Ok(mut server) = TcpStream::connect(&upstream_addr).await {
                        let _ = tokio::io::copy_bidirectional(&mut client, &mut server).await;
                    }
                });
            }
        });
        Gate {
            token_url: token_url.to_string(),
            permits,
            connections,
        }
    }

    /// Lets every connection through (any number: a cache that sent more than one request
    /// per wave shows in the counts, not as a hang).
    fn open(&self) {
        self.permits.add_permits(1 << 20);
    }

    /// Holds connections again.
    fn close(&self) {
        self.permits.forget_permits(Semaphore::MAX_PERMITS);
    }

    fn connections(&self) -> usize {
        self.connections.load(Ordering::SeqCst)
    }
}

/// Counts the first time the wrapped future waits: from then on, its caller is inside the
/// cache, waiting for the one fetch of its wave (or making it).
struct CountFirstWait<F> {
    inner: Pin<Box<F>>,
    waiting: Arc<AtomicUsize>,
    counted: bool,
}

impl<F: Future> Future for CountFirstWait<F> {
    type Output = F::Output;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        let polled = self.inner.as_mut().poll(cx);
        if polled.is_pending() && !self.counted {
            self.counted = true;
            self.waiting.fetch_add(1, Ordering::SeqCst);
        }
        polled
    }
}

/// `CALLERS` concurrent `token()` calls; the gate opens once all of them wait, and shuts
/// again when all have their answer.
async fn wave(creds: &ClientCredentials, gate: &Gate) -> Vec<scimkit::Result<Arc<AccessToken>>> {
    let waiting = Arc::new(AtomicUsize::new(0));
    let tasks: Vec<_> = (0..CALLERS)
        .map(|_| {
            let creds = creds.clone();
            let waiting = waiting.clone();
            tokio::spawn(async move {
                CountFirstWait {
                    inner: Box::pin(creds.token()),
                    waiting,
                    counted: false,
                }
                .await
            })
        })
        .collect();
    tokio::time::timeout(Duration::from_secs(60), async {
        while waiting.load(Ordering::SeqCst) < CALLERS {
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
    })
    .await
    .expect("every caller reaches the cache");
    gate.open();
    let mut results = Vec::with_capacity(CALLERS);
    for task in tasks {
        let result = tokio::time::timeout(Duration::from_secs(60), task)
            .await
            .expect("no caller hangs")
            .expect("no caller panics");
        results.push(result);
    }
    gate.close();
    results
}

fn all_the_same_error(results: &[scimkit::Result<Arc<AccessToken>>]) -> String {
    let first = match &results[0] {
        Err(e) => e.to_string(),
        Ok(_) => panic!("the endpoint fails, yet a caller got a token"),
    };
    for result in results {
        match result {
            Err(e @ Error::Http(http)) => {
                assert_eq!(http.status.as_u16(), 503, "{e}");
                assert_eq!(e.to_string(), first);
            }
            other => panic!("expected the shared 503, got {other:?}"),
        }
    }
    first
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn thousand_cold_callers_one_request_per_failure_shared_errors_then_recovery() {
    let idp = TokenServer::start().await;
    idp.register_client("svc", "cold-callers-secret");
    let gate = Gate::start(&idp.token_url()).await;
    let transport = Transport::builder()
        // One fetch is one request; and no idle connection is kept, so every request
        // opens a new connection through the gate.
        .retry(RetryPolicy::never())
        .configure_reqwest(|b| b.pool_max_idle_per_host(0))
        .build()
        .unwrap();
    let creds = ClientCredentials::builder()
        .token_url(gate.token_url.clone())
        .client_id("svc")
        .client_secret(SecretString::from("cold-callers-secret"))
        .transport(transport)
        .build()
        .unwrap();
    idp.faults().on_any().times(2).respond(Fault::Status(503));

    // Wave 1: the endpoint fails; one request, its error shared by all 1,000 callers.
    let first = all_the_same_error(&wave(&creds, &gate).await);
    assert_eq!(idp.request_count(), 1, "one request for 1,000 cold callers");
    assert_eq!(creds.token_requests(), 1);
    assert_eq!(gate.connections(), 1);
    assert!(!first.contains("cold-callers-secret"));

    // Wave 2, still failing: the failure was not cached; one more request, shared again.
    all_the_same_error(&wave(&creds, &gate).await);
    assert_eq!(idp.request_count(), 2);
    assert_eq!(creds.token_requests(), 2);
    assert_eq!(idp.faults().pending(), 0);

    // Wave 3, recovered: one request, and every caller holds the same token.
    let tokens = wave(&creds, &gate).await;
    assert_eq!(idp.request_count(), 3);
    assert_eq!(creds.token_requests(), 3);
    let tokens: Vec<Arc<AccessToken>> = tokens
        .into_iter()
        .map(|t| t.expect("the endpoint recovered"))
        .collect();
    let secret = tokens[0].secret().expose_secret().to_owned();
    assert!(!secret.is_empty());
    assert!(
        tokens.iter().all(|t| Arc::ptr_eq(t, &tokens[0])),
        "one token, shared"
    );

    // Later calls: from the cache, no request.
    gate.open();
    let later: Vec<_> = (0..CALLERS)
        .map(|_| {
            let creds = creds.clone();
            tokio::spawn(async move { creds.token().await })
        })
        .collect();
    for task in later {
        let token = tokio::time::timeout(Duration::from_secs(60), task)
            .await
            .expect("a cached token needs no request")
            .unwrap()
            .unwrap();
        assert_eq!(token.secret().expose_secret(), secret);
    }
    assert_eq!(
        idp.request_count(),
        3,
        "later calls are served from the cache"
    );
    assert_eq!(creds.token_requests(), 3);
    assert_eq!(gate.connections(), 3);
}
