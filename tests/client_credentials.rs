//! Client-credentials tokens against `mock::TokenServer` and plain wiremock: client auth,
//! caching, refresh, retries, typed failures and redaction.
#![allow(clippy::unwrap_used)]

use std::sync::Arc;
use std::time::Duration;

use base64::Engine;
use http::{Method, StatusCode};
use scimkit::auth::{AccessToken, ApiToken, BearerToken};
use scimkit::mock::{AuthMethod, Fault, MockClientAuth, TokenServer};
use scimkit::transport::ApiRequest;
use scimkit::{
    ClientAuth, ClientCredentials, Clock, Error, ManualClock, RetryPolicy, SecretString, Transport,
};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

const RESERVED_SECRET: &str = "p@ss:w0rd/&=+ %~";

/// A transport whose waits are recorded by a manual clock instead of slept.
fn fast_transport(clock: &ManualClock) -> Transport {
    Transport::builder()
        .clock(clock.clone())
        .retry(RetryPolicy::default().jitter(false))
        .build()
        .unwrap()
}

fn creds(idp: &TokenServer, id: &str, secret: &str, clock: &ManualClock) -> ClientCredentials {
    ClientCredentials::builder()
        .token_url(idp.token_url())
        .client_id(id)
        .client_secret(secret.to_owned())
        .transport(fast_transport(clock))
        .build()
        .unwrap()
}

#[tokio::test]
async fn basic_header_form_encodes_reserved_characters() {
    let idp = TokenServer::start().await;
    idp.register_client_with("scim client", RESERVED_SECRET, MockClientAuth::Basic, None);
    let clock = ManualClock::new();
    let creds = creds(&idp, "scim client", RESERVED_SECRET, &clock);
    let token = creds.token().await.unwrap();
    assert_eq!(token.token_type(), "Bearer");
    assert_eq!(idp.grants()[0].auth_method, AuthMethod::Basic);
    assert_eq!(idp.grants()[0].client_id, "scim client");

    // The exact header on the wire: form-urlencoded id and secret, then base64 (§2.3.1).
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(serde_json::json!({"access_token": "t", "token_type": "bearer"})),
        )
        .mount(&server)
        .await;
    let creds = ClientCredentials::builder()
        .token_url(format!("{}/token", server.uri()))
        .client_id("scim client")
        .client_secret(RESERVED_SECRET.to_owned())
        .build()
        .unwrap();
    creds.token().await.unwrap();
    let requests = server.received_requests().await.unwrap();
    let header = requests[0].headers["authorization"].to_str().unwrap();
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(header.strip_prefix("Basic ").unwrap())
        .unwrap();
    assert_eq!(
        String::from_utf8(decoded).unwrap(),
        "scim+client:p%40ss%3Aw0rd%2F%26%3D%2B+%25%7E"
    );
    let body = String::from_utf8(requests[0].body.clone()).unwrap();
    assert!(!body.contains("client_secret"), "{body}");
}

#[tokio::test]
async fn body_auth_sends_id_and_secret_in_the_form() {
    let idp = TokenServer::start().await;
    idp.register_client_with("svc", RESERVED_SECRET, MockClientAuth::Body, None);
    let creds = ClientCredentials::builder()
        .token_url(idp.token_url())
        .client_id("svc")
        .client_secret(RESERVED_SECRET.to_owned())
        .client_auth(ClientAuth::RequestBody)
        .build()
        .unwrap();
    creds.token().await.unwrap();
    assert_eq!(idp.grants()[0].auth_method, AuthMethod::Body);

    // The same client with a Basic header is refused by this server.
    let basic = ClientCredentials::builder()
        .token_url(idp.token_url())
        .client_id("svc")
        .client_secret(RESERVED_SECRET.to_owned())
        .build()
        .unwrap();
    let err = basic.token().await.unwrap_err();
    assert!(
        matches!(&err, Error::OAuth(e) if e.error == "invalid_client"),
        "{err}"
    );
}

#[tokio::test]
async fn scopes_and_extra_params_reach_the_form() {
    let idp = TokenServer::start().await;
    idp.register_client_with(
        "svc",
        "s",
        MockClientAuth::Any,
        Some(&["scim", "users.read"]),
    );
    let creds = ClientCredentials::builder()
        .token_url(idp.token_url())
        .client_id("svc")
        .client_secret("s".to_owned())
        .scopes(["scim", "users.read"])
        .extra_param("audience", "https://pam.example.com")
        .extra_param("resource", "urn:scim")
        .build()
        .unwrap();
    let token = creds.token().await.unwrap();
    let record = &idp.grants()[0];
    assert_eq!(record.scopes, ["scim", "users.read"]);
    assert_eq!(
        record.params,
        [
            ("audience".to_owned(), "https://pam.example.com".to_owned()),
            ("resource".to_owned(), "urn:scim".to_owned())
        ]
    );
    assert_eq!(token.scopes().unwrap(), ["scim", "users.read"]);

    let greedy = ClientCredentials::builder()
        .token_url(idp.token_url())
        .client_id("svc")
        .client_secret("s".to_owned())
        .scope("admin")
        .build()
        .unwrap();
    let err = greedy.token().await.unwrap_err();
    assert!(
        matches!(&err, Error::OAuth(e) if e.error == "invalid_scope" && e.status == Some(StatusCode::BAD_REQUEST)),
        "{err}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_thousand_concurrent_callers_make_one_token_request() {
    let idp = TokenServer::start().await;
    idp.register_client("svc", "s");
    // Slow the answer so every caller arrives while the fetch is in flight.
    idp.faults()
        .on_any()
        .times(1)
        .respond(Fault::Delay(Duration::from_millis(200)));
    let creds = creds(&idp, "svc", "s", &ManualClock::new());
    let barrier = Arc::new(tokio::sync::Barrier::new(1000));
    let tasks: Vec<_> = (0..1000)
        .map(|_| {
            let creds = creds.clone();
            let barrier = barrier.clone();
            tokio::spawn(async move {
                barrier.wait().await;
                creds.token().await.map(|t| t.expires_at())
            })
        })
        .collect();
    let mut expiries = Vec::new();
    for task in tasks {
        expiries.push(task.await.unwrap().unwrap());
    }
    assert_eq!(idp.request_count(), 1);
    assert_eq!(creds.token_requests(), 1);
    assert!(
        expiries.windows(2).all(|w| w[0] == w[1]),
        "all got the same token"
    );
}

#[tokio::test]
async fn refreshes_ahead_of_expiry() {
    let idp = TokenServer::start().await;
    idp.register_client("svc", "s");
    let clock = ManualClock::new();
    let creds = ClientCredentials::builder()
        .token_url(idp.token_url())
        .client_id("svc")
        .client_secret("s".to_owned())
        .refresh_margin(Duration::from_secs(60))
        .refresh_jitter(Duration::ZERO)
        .transport(fast_transport(&clock))
        .build()
        .unwrap();
    let first = creds.token().await.unwrap();
    assert_eq!(first.expires_at() - clock.now(), Duration::from_secs(3600));
    clock.advance(Duration::from_secs(3539));
    let still = creds.token().await.unwrap();
    assert!(Arc::ptr_eq(&first, &still));
    assert_eq!(idp.request_count(), 1);
    clock.advance(Duration::from_secs(2)); // 59 s before expiry: inside the margin
    // The caller gets the still-valid token at once; the refresh runs in the background.
    let during = creds.token().await.unwrap();
    assert!(Arc::ptr_eq(&first, &during));
    // That one call started the refresh: it reaches the server with no further call.
    tokio::time::timeout(Duration::from_secs(10), async {
        while idp.request_count() < 2 {
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
    })
    .await
    .expect("the first call inside the margin starts a background refresh");
    let fresh = refreshed(&creds, &first).await;
    assert_eq!(idp.request_count(), 2);
    assert!(fresh.expires_at() > first.expires_at());
}

/// Waits (without a time limit of its own: the test harness has one) until the background
/// refresh has replaced `old` in the cache.
async fn refreshed(creds: &ClientCredentials, old: &Arc<AccessToken>) -> Arc<AccessToken> {
    loop {
        let token = creds.token().await.unwrap();
        if !Arc::ptr_eq(&token, old) {
            return token;
        }
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
}

#[tokio::test]
async fn missing_expires_in_uses_the_default_lifetime() {
    let idp = TokenServer::start().await;
    idp.register_client("svc", "s");
    idp.set_token_lifetime(None);
    let clock = ManualClock::new();
    let creds = ClientCredentials::builder()
        .token_url(idp.token_url())
        .client_id("svc")
        .client_secret("s".to_owned())
        .default_lifetime(Duration::from_secs(120))
        .refresh_jitter(Duration::ZERO)
        .transport(fast_transport(&clock))
        .build()
        .unwrap();
    let token = creds.token().await.unwrap();
    assert_eq!(token.expires_at() - clock.now(), Duration::from_secs(120));
    let first = token.clone();
    // Margin 60 s is capped at half of 120 s: refreshed after 60 s, never cached forever.
    clock.advance(Duration::from_secs(59));
    creds.token().await.unwrap();
    assert_eq!(idp.request_count(), 1);
    clock.advance(Duration::from_secs(2));
    creds.token().await.unwrap();
    refreshed(&creds, &first).await;
    assert_eq!(idp.request_count(), 2);
}

/// A resource server that accepts only live tokens of the given token server.
struct Protected(scimkit::mock::TokenValidator);

impl Respond for Protected {
    fn respond(&self, request: &Request) -> ResponseTemplate {
        let auth = request
            .headers
            .get("authorization")
            .and_then(|v| v.to_str().ok());
        match self.0.validate(auth) {
            Some(info) => ResponseTemplate::new(200)
                .set_body_json(serde_json::json!({ "client": info.client_id })),
            None => ResponseTemplate::new(401)
                .insert_header("www-authenticate", r#"Bearer error="invalid_token""#),
        }
    }
}

#[tokio::test]
async fn a_401_refreshes_the_token_and_retries_once() {
    let idp = TokenServer::start().await;
    idp.register_client("svc", "s");
    let api = MockServer::start().await;
    Mock::given(path("/resource"))
        .respond_with(Protected(idp.validator()))
        .mount(&api)
        .await;
    let clock = ManualClock::new();
    let transport = fast_transport(&clock);
    let creds = ClientCredentials::builder()
        .token_url(idp.token_url())
        .client_id("svc")
        .client_secret("s".to_owned())
        .transport(transport.clone())
        .build()
        .unwrap();
    let url = url::Url::parse(&format!("{}/resource", api.uri())).unwrap();
    let ok = transport
        .send(ApiRequest::new(Method::GET, url.clone()), Some(&creds))
        .await
        .unwrap();
    assert_eq!(ok.status, StatusCode::OK);

    // The server forgets its tokens: the cached one now gets a 401.
    idp.revoke_all();
    let ok = transport
        .send(ApiRequest::new(Method::GET, url.clone()), Some(&creds))
        .await
        .unwrap();
    assert_eq!(ok.status, StatusCode::OK);
    assert_eq!(idp.request_count(), 2);
    assert_eq!(api.received_requests().await.unwrap().len(), 3);
}

#[tokio::test]
async fn a_second_401_is_returned_not_retried_again() {
    let idp = TokenServer::start().await;
    idp.register_client("svc", "s");
    let api = MockServer::start().await;
    Mock::given(path("/resource"))
        .respond_with(ResponseTemplate::new(401).insert_header("x-request-id", "req-9"))
        .mount(&api)
        .await;
    let clock = ManualClock::new();
    let transport = fast_transport(&clock);
    let creds = ClientCredentials::builder()
        .token_url(idp.token_url())
        .client_id("svc")
        .client_secret("s".to_owned())
        .transport(transport.clone())
        .build()
        .unwrap();
    let url = url::Url::parse(&format!("{}/resource", api.uri())).unwrap();
    let response = transport
        .send(ApiRequest::new(Method::GET, url), Some(&creds))
        .await
        .unwrap();
    let err = response.error_for_status().unwrap_err();
    assert_eq!(err.status(), Some(StatusCode::UNAUTHORIZED));
    assert_eq!(err.request_id(), Some("req-9"));
    assert_eq!(api.received_requests().await.unwrap().len(), 2);
    assert_eq!(idp.request_count(), 2);
}

#[tokio::test]
async fn transient_failures_are_retried_then_succeed() {
    let idp = TokenServer::start().await;
    idp.register_client("svc", "s");
    idp.faults().on_any().times(1).respond(Fault::Status(500));
    idp.faults().on_any().times(1).respond(Fault::Status(503));
    idp.faults().on_any().times(1).respond(Fault::RateLimited {
        retry_after: Duration::from_secs(7),
    });
    let clock = ManualClock::new();
    let creds = creds(&idp, "svc", "s", &clock);
    creds.token().await.unwrap();
    assert_eq!(idp.request_count(), 4);
    assert_eq!(creds.token_requests(), 4);
    // Exponential back-off, and the 429's Retry-After honoured.
    assert_eq!(
        clock.sleeps(),
        [
            Duration::from_millis(200),
            Duration::from_millis(400),
            Duration::from_secs(7)
        ]
    );
}

#[tokio::test]
async fn retries_give_up_after_the_policy_limit() {
    let idp = TokenServer::start().await;
    idp.register_client("svc", "s");
    idp.faults().on_any().times(10).respond(Fault::Status(503));
    let clock = ManualClock::new();
    let creds = creds(&idp, "svc", "s", &clock);
    let err = creds.token().await.unwrap_err();
    assert_eq!(err.status(), Some(StatusCode::SERVICE_UNAVAILABLE));
    assert!(err.is_retryable());
    assert_eq!(idp.request_count(), 4);
}

#[tokio::test]
async fn invalid_client_is_not_retried() {
    let idp = TokenServer::start().await;
    idp.register_client("svc", "right");
    let clock = ManualClock::new();
    let creds = creds(&idp, "svc", "wrong", &clock);
    let err = creds.token().await.unwrap_err();
    match &err {
        Error::OAuth(e) => {
            assert_eq!(e.error, "invalid_client");
            assert_eq!(e.status, Some(StatusCode::UNAUTHORIZED));
            assert_eq!(
                e.error_description.as_deref(),
                Some("client authentication failed")
            );
        }
        other => panic!("expected an OAuth error, got {other:?}"),
    }
    assert!(!err.is_retryable());
    assert_eq!(idp.request_count(), 1);
    assert!(clock.sleeps().is_empty());
}

#[tokio::test]
async fn html_and_malformed_json_are_decode_errors() {
    let idp = TokenServer::start().await;
    idp.register_client("svc", "s");
    let creds = creds(&idp, "svc", "s", &ManualClock::new());

    idp.faults().on_any().times(1).respond(Fault::Html);
    let err = creds.token().await.unwrap_err();
    match &err {
        Error::Decode {
            status,
            snippet,
            message,
            ..
        } => {
            assert_eq!(*status, StatusCode::OK);
            assert!(message.contains("text/html"), "{message}");
            assert!(snippet.contains("Sign In"), "{snippet}");
        }
        other => panic!("expected a decode error, got {other:?}"),
    }

    idp.faults().on_any().times(1).respond(Fault::MalformedJson);
    let err = creds.token().await.unwrap_err();
    assert!(matches!(err, Error::Decode { .. }), "{err:?}");
    assert!(!err.to_string().contains("\"tr"), "no token bytes in {err}");

    // An HTML error page with a 502 is an HTTP error, retried as such.
    idp.faults().on_any().times(4).respond(Fault::Body {
        status: 502,
        content_type: "text/html".into(),
        body: b"<html>Bad Gateway</html>".to_vec(),
    });
    let err = creds.token().await.unwrap_err();
    assert_eq!(err.status(), Some(StatusCode::BAD_GATEWAY));
    assert!(matches!(&err, Error::Http(e) if e.snippet.contains("Bad Gateway")));
}

#[tokio::test]
async fn missing_token_type_and_unknown_token_types_are_refused() {
    let idp = TokenServer::start().await;
    idp.register_client("svc", "s");
    let creds = creds(&idp, "svc", "s", &ManualClock::new());
    idp.set_token_type("mac");
    let err = creds.token().await.unwrap_err();
    assert!(matches!(&err, Error::UnsupportedTokenType { token_type } if token_type == "mac"));
    // A DPoP-bound token is refused by a client that has no DPoP key to use it with.
    idp.set_token_type("DPoP");
    let err = creds.token().await.unwrap_err();
    assert!(matches!(&err, Error::UnsupportedTokenType { token_type } if token_type == "DPoP"));
    idp.set_token_type("BEARER");
    assert_eq!(creds.token().await.unwrap().token_type(), "Bearer");

    idp.faults().on_any().times(1).respond(Fault::Body {
        status: 200,
        content_type: "application/json".into(),
        body: br#"{"access_token":"abc123"}"#.to_vec(),
    });
    creds.invalidate();
    let err = creds.token().await.unwrap_err();
    match &err {
        Error::Decode {
            message, snippet, ..
        } => {
            assert!(message.contains("token_type"), "{message}");
            assert!(!snippet.contains("abc123"), "{snippet}");
        }
        other => panic!("expected a decode error, got {other:?}"),
    }
}

#[tokio::test]
async fn a_body_over_the_limit_is_refused() {
    let idp = TokenServer::start().await;
    idp.register_client("svc", "s");
    let padding = "x".repeat(10_000);
    idp.faults().on_any().times(1).respond(Fault::Body {
        status: 200,
        content_type: "application/json".into(),
        body: format!(r#"{{"access_token":"t","token_type":"Bearer","pad":"{padding}"}}"#)
            .into_bytes(),
    });
    let creds = ClientCredentials::builder()
        .token_url(idp.token_url())
        .client_id("svc")
        .client_secret("s".to_owned())
        .transport(
            Transport::builder()
                .max_response_bytes(4096)
                .build()
                .unwrap(),
        )
        .build()
        .unwrap();
    let err = creds.token().await.unwrap_err();
    assert!(
        matches!(err, Error::BodyTooLarge { limit: 4096, .. }),
        "{err:?}"
    );
}

#[tokio::test]
async fn a_slow_token_endpoint_times_out() {
    let idp = TokenServer::start().await;
    idp.register_client("svc", "s");
    idp.faults()
        .on_any()
        .times(1)
        .respond(Fault::Delay(Duration::from_secs(5)));
    let creds = ClientCredentials::builder()
        .token_url(idp.token_url())
        .client_id("svc")
        .client_secret("s".to_owned())
        .transport(
            Transport::builder()
                .timeout(Duration::from_millis(300))
                .retry(RetryPolicy::never())
                .build()
                .unwrap(),
        )
        .build()
        .unwrap();
    let err = creds.token().await.unwrap_err();
    assert!(matches!(err, Error::Timeout { .. }), "{err:?}");
    assert!(err.is_retryable());
}

#[tokio::test]
async fn a_dropped_connection_is_retried() {
    let idp = TokenServer::start().await;
    idp.register_client("svc", "s");
    idp.faults()
        .on_any()
        .times(1)
        .respond(Fault::DropConnection);
    let creds = creds(&idp, "svc", "s", &ManualClock::new());
    creds.token().await.unwrap();
    assert_eq!(creds.token_requests(), 2);

    idp.faults()
        .on_any()
        .times(1)
        .respond(Fault::DropConnection);
    let once = ClientCredentials::builder()
        .token_url(idp.token_url())
        .client_id("svc")
        .client_secret("s".to_owned())
        .transport(
            Transport::builder()
                .retry(RetryPolicy::never())
                .build()
                .unwrap(),
        )
        .build()
        .unwrap();
    // The request was written before the connection dropped: the outcome is unknown. A
    // token request is safe to repeat, so the error says it may be retried.
    let err = once.token().await.unwrap_err();
    assert!(
        matches!(
            err,
            Error::OutcomeUnknown {
                idempotent: true,
                ..
            }
        ),
        "{err:?}"
    );
    assert!(err.is_retryable());
}

#[tokio::test]
async fn an_unreachable_token_url_is_a_connect_error() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    drop(listener);
    let creds = ClientCredentials::builder()
        .token_url(format!("http://127.0.0.1:{port}/token"))
        .client_id("svc")
        .client_secret("s".to_owned())
        .transport(
            Transport::builder()
                .retry(RetryPolicy::never())
                .build()
                .unwrap(),
        )
        .build()
        .unwrap();
    let err = creds.token().await.unwrap_err();
    assert!(matches!(err, Error::Connect { .. }), "{err:?}");
}

#[tokio::test]
async fn redirects_from_the_token_url_are_not_followed() {
    let elsewhere = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(
                serde_json::json!({"access_token": "stolen", "token_type": "Bearer"}),
            ),
        )
        .mount(&elsewhere)
        .await;
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(
            ResponseTemplate::new(307)
                .insert_header("location", format!("{}/token", elsewhere.uri()).as_str()),
        )
        .mount(&server)
        .await;
    let creds = ClientCredentials::builder()
        .token_url(format!("{}/token", server.uri()))
        .client_id("svc")
        .client_secret("s".to_owned())
        .build()
        .unwrap();
    let err = creds.token().await.unwrap_err();
    assert!(
        matches!(&err, Error::Redirect { status, location: Some(_), .. } if *status == StatusCode::TEMPORARY_REDIRECT),
        "{err:?}"
    );
    assert!(elsewhere.received_requests().await.unwrap().is_empty());
}

#[test]
fn builder_checks_its_settings() {
    let err = ClientCredentials::builder()
        .token_url("http://idp.example.com/token")
        .client_id("a")
        .client_secret("b".to_owned())
        .build()
        .unwrap_err();
    assert!(matches!(err, Error::InsecureUrl { .. }), "{err}");
    let err = ClientCredentials::builder()
        .client_id("a")
        .client_secret("b".to_owned())
        .build()
        .unwrap_err();
    assert!(
        matches!(err, Error::Config(ref m) if m.contains("token_url")),
        "{err}"
    );
    let err = ClientCredentials::builder()
        .token_url("https://idp.example.com/token")
        .client_id("a")
        .build()
        .unwrap_err();
    assert!(
        matches!(err, Error::Config(ref m) if m.contains("client_secret")),
        "{err}"
    );
    // A client assertion replaces the secret: both at once is a mistake, said at build time.
    let err = ClientCredentials::builder()
        .token_url("https://idp.example.com/token")
        .client_id("a")
        .client_secret("b".to_owned())
        .client_auth(ClientAuth::Assertion(Arc::new(FixedAssertion)))
        .build()
        .unwrap_err();
    assert!(
        matches!(err, Error::Config(ref m) if m.contains("client assertion")),
        "{err}"
    );
    let built = ClientCredentials::builder()
        .token_url("https://idp.example.com/token")
        .client_id("a")
        .client_auth(ClientAuth::Assertion(Arc::new(FixedAssertion)))
        .build()
        .unwrap();
    assert_eq!(built.client_id(), "a");
    assert_eq!(built.token_url().as_str(), "https://idp.example.com/token");
    assert!(built.token_key().is_none(), "no store, no shared key");
}

/// A client assertion that is always the same string (enough to build credentials).
#[derive(Debug)]
struct FixedAssertion;

impl scimkit::auth::ClientAssertion for FixedAssertion {
    fn sign(
        &self,
        _client_id: &str,
        _token_url: &url::Url,
        _now: std::time::SystemTime,
    ) -> scimkit::Result<SecretString> {
        Ok(SecretString::from("header.payload.signature".to_owned()))
    }
}

#[tokio::test]
async fn clients_sharing_a_store_share_bearer_tokens_but_never_dpop_ones() {
    let idp = TokenServer::start().await;
    idp.register_client("svc", "s");
    let store: Arc<dyn scimkit::store::TokenStore> =
        Arc::new(scimkit::store::InProcessTokenStore::new());
    let replica = |dpop: bool| {
        ClientCredentials::builder()
            .token_url(idp.token_url())
            .client_id("svc")
            .client_secret("s".to_owned())
            .token_store(store.clone())
            .dpop(dpop)
            .build()
            .unwrap()
    };
    let (a, b) = (replica(false), replica(false));
    assert_eq!(a.client_id(), "svc");
    let key = a.token_key().expect("a store gives a shared key");
    assert_eq!(Some(key), b.token_key());
    let from_a = a.token().await.unwrap();
    let from_b = b.token().await.unwrap();
    assert_eq!(
        scimkit::ExposeSecret::expose_secret(from_a.secret()),
        scimkit::ExposeSecret::expose_secret(from_b.secret())
    );
    assert_eq!(
        idp.request_count(),
        1,
        "the second replica took the shared token"
    );

    // A DPoP token is bound to its client's own key: each replica fetches its own.
    idp.set_token_type("DPoP");
    let (c, d) = (replica(true), replica(true));
    let from_c = c.token().await.unwrap();
    let from_d = d.token().await.unwrap();
    assert_eq!(from_c.token_type(), "DPoP");
    assert_ne!(
        scimkit::ExposeSecret::expose_secret(from_c.secret()),
        scimkit::ExposeSecret::expose_secret(from_d.secret())
    );
    assert_eq!(idp.request_count(), 3);
}

#[tokio::test]
async fn no_debug_or_error_output_shows_a_secret() {
    let idp = TokenServer::start().await;
    idp.register_client("svc", RESERVED_SECRET);
    let builder = ClientCredentials::builder()
        .token_url(idp.token_url())
        .client_id("svc")
        .client_secret(RESERVED_SECRET.to_owned());
    let builder_debug = format!("{builder:?}");
    let creds = builder.build().unwrap();
    let token: Arc<AccessToken> = creds.token().await.unwrap();
    let access = scimkit::ExposeSecret::expose_secret(token.secret()).to_owned();
    let wrong = ClientCredentials::builder()
        .token_url(idp.token_url())
        .client_id("svc")
        .client_secret(format!("{RESERVED_SECRET}x"))
        .build()
        .unwrap();
    let err = wrong.token().await.unwrap_err();
    let shown = [
        builder_debug,
        format!("{creds:?}"),
        format!("{creds:#?}"),
        format!("{token:?}"),
        format!("{wrong:?}"),
        format!("{err:?}"),
        err.to_string(),
        format!("{:?}", BearerToken::new(access.clone())),
        format!("{:?}", ApiToken::new(SecretString::from(access.clone()))),
        format!("{:?}", Transport::default()),
        format!("{:?}", ClientAuth::BasicHeader),
    ];
    // What identifies the client is shown: its id and its token endpoint.
    for text in &shown[..2] {
        assert!(text.contains("\"svc\""), "client id missing from {text}");
        assert!(
            text.contains(&idp.token_url()),
            "token URL missing from {text}"
        );
    }
    for text in shown {
        assert!(!text.contains(RESERVED_SECRET), "secret in {text}");
        assert!(!text.contains("w0rd"), "secret in {text}");
        assert!(!text.contains(&access), "access token in {text}");
    }
}

#[tokio::test]
async fn a_dpop_nonce_request_is_not_answered_while_dpop_is_off() {
    // `use_dpop_nonce` makes sense only to a client sending DPoP proofs: without DPoP, the
    // error is the caller's, after one request.
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(
            ResponseTemplate::new(400)
                .insert_header("DPoP-Nonce", "n1")
                .set_body_json(serde_json::json!({"error": "use_dpop_nonce"})),
        )
        .mount(&server)
        .await;
    let clock = ManualClock::new();
    let creds = ClientCredentials::builder()
        .token_url(format!("{}/token", server.uri()))
        .client_id("svc")
        .client_secret("s".to_owned())
        .transport(fast_transport(&clock))
        .build()
        .unwrap();
    let err = creds.token().await.unwrap_err();
    assert!(
        matches!(&err, Error::OAuth(e) if e.error == "use_dpop_nonce"),
        "{err:?}"
    );
    assert_eq!(creds.token_requests(), 1);
}
