//! Okta service apps: client credentials with a private-key JWT at `{org}/oauth2/v1/token`,
//! scopes, token caching across 429 retries and expiry, and the mock's assertion checks.

use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use scimkit::auth::{ClientAssertion, ClientAuth, ClientCredentials, PrivateKeyJwt};
use scimkit::mock::OktaOrg;
use scimkit::okta::OktaClient;
use scimkit::{Error, ManualClock, SecretString, Transport};
use url::Url;

fn key(name: &str) -> PrivateKeyJwt {
    let pem = std::fs::read_to_string(format!(
        "{}/tests/fixtures/okta/{name}",
        env!("CARGO_MANIFEST_DIR")
    ))
    .expect("test setup");
    PrivateKeyJwt::from_pem(&pem).expect("test setup").kid("k1")
}

const SCOPES: [&str; 3] = ["okta.users.read", "okta.users.manage", "okta.groups.manage"];

async fn service_client(
    org: &OktaOrg,
    signer: impl ClientAssertion + 'static,
    scopes: &[&str],
    transport: Transport,
) -> OktaClient {
    OktaClient::builder()
        .org(org.uri())
        .expect("test setup")
        .service_app("svc-app", signer, scopes.iter().copied())
        .transport(transport)
        .build()
        .expect("test setup")
}

#[tokio::test]
async fn rsa_and_ec_keys_get_tokens_and_call_the_api() {
    for file in ["rsa-pkcs1.pem", "ec-sec1.pem"] {
        let org = OktaOrg::start().await;
        let signer = key(file);
        org.register_service_app("svc-app", signer.public_jwk(), &SCOPES);
        let okta = service_client(&org, signer, &SCOPES, Transport::default()).await;
        let id = org.seed_sample_users(1).remove(0);
        okta.users().get(&id).await.unwrap();
        okta.users().suspend(&id).await.unwrap();
        assert_eq!(
            org.tokens_issued_to("svc-app"),
            1,
            "{file}: one token, cached"
        );
        let api = org
            .requests()
            .into_iter()
            .find(|r| r.path.starts_with("/api"))
            .unwrap();
        assert_eq!(api.header("authorization"), Some("Bearer [redacted]"));
        let token_request = org
            .requests()
            .into_iter()
            .find(|r| r.path == "/oauth2/v1/token")
            .unwrap();
        assert!(token_request.text().contains(
            "client_assertion_type=urn%3Aietf%3Aparams%3Aoauth%3Aclient-assertion-type%3Ajwt-bearer"
        ));
        assert!(
            token_request
                .text()
                .contains("scope=okta.users.read+okta.users.manage+okta.groups.manage")
        );
    }
}

#[tokio::test]
async fn a_missing_scope_is_an_okta_403_and_an_ungranted_scope_an_oauth_error() {
    let org = OktaOrg::start().await;
    let signer = key("ec-pkcs8.pem");
    org.register_service_app("svc-app", signer.public_jwk(), &["okta.users.read"]);
    let okta = service_client(
        &org,
        signer.clone(),
        &["okta.users.read"],
        Transport::default(),
    )
    .await;
    let id = org.seed_sample_users(1).remove(0);
    okta.users().get(&id).await.unwrap();
    let err = okta.users().suspend(&id).await.unwrap_err();
    assert!(
        matches!(&err, Error::Okta(e) if e.error_code == "E0000006"),
        "{err:?}"
    );

    let greedy = service_client(&org, signer, &["okta.roles.manage"], Transport::default()).await;
    let err = greedy.users().get(&id).await.unwrap_err();
    assert!(
        matches!(&err, Error::OAuth(e) if e.error == "invalid_scope"),
        "{err:?}"
    );
}

#[tokio::test]
async fn the_token_is_kept_across_429_retries_and_refreshed_after_expiry() {
    let clock = ManualClock::new();
    let org = OktaOrg::builder()
        .rate_limit(2, Duration::from_secs(20))
        .clock(clock.clone())
        .start()
        .await;
    let signer = key("rsa-pkcs8.pem");
    org.register_service_app("svc-app", signer.public_jwk(), &SCOPES);
    let transport = Transport::builder().clock(clock.clone()).build().unwrap();
    let okta = service_client(&org, signer, &SCOPES, transport).await;
    let id = org.seed_sample_users(1).remove(0);
    for _ in 0..5 {
        okta.users().get(&id).await.unwrap();
    }
    assert!(org.rate_limited() >= 1);
    assert_eq!(
        org.tokens_issued_to("svc-app"),
        1,
        "429 retries reuse the cached token"
    );

    clock.advance(Duration::from_secs(3600));
    okta.users().get(&id).await.unwrap();
    assert_eq!(
        org.tokens_issued_to("svc-app"),
        2,
        "an expired token is replaced"
    );
}

/// Signs like the wrapped signer, but lets a test bend the rules.
#[derive(Debug)]
struct Bent {
    inner: PrivateKeyJwt,
    url: Option<Url>,
    shift_back: Duration,
    replay: Mutex<Option<SecretString>>,
    replay_first: bool,
}

impl Bent {
    fn new(inner: PrivateKeyJwt) -> Self {
        Bent {
            inner,
            url: None,
            shift_back: Duration::ZERO,
            replay: Mutex::new(None),
            replay_first: false,
        }
    }
}

impl ClientAssertion for Bent {
    fn sign(
        &self,
        client_id: &str,
        token_url: &Url,
        now: SystemTime,
    ) -> scimkit::Result<SecretString> {
        if self.replay_first
            && let Some(first) = self.replay.lock().expect("test setup").clone()
        {
            return Ok(first);
        }
        let signed = self.inner.sign(
            client_id,
            self.url.as_ref().unwrap_or(token_url),
            now - self.shift_back,
        )?;
        *self.replay.lock().expect("test setup") = Some(signed.clone());
        Ok(signed)
    }
}

async fn token_error(org: &OktaOrg, signer: Bent) -> Error {
    let creds = ClientCredentials::builder()
        .token_url(org.token_url())
        .client_id("svc-app")
        .client_auth(ClientAuth::Assertion(Arc::new(signer)))
        .scope("okta.users.read")
        .build()
        .expect("test setup");
    creds
        .token()
        .await
        .expect_err("the token request must fail")
}

fn oauth_description(err: &Error) -> String {
    match err {
        Error::OAuth(e) => {
            assert_eq!(e.error, "invalid_client");
            e.error_description.clone().unwrap_or_default()
        }
        other => panic!("expected invalid_client, got {other:?}"),
    }
}

#[tokio::test]
async fn the_mock_token_endpoint_checks_signature_audience_expiry_and_jti_reuse() {
    let org = OktaOrg::start().await;
    let registered = key("rsa-pkcs1.pem");
    org.register_service_app("svc-app", registered.public_jwk(), &SCOPES);

    // Another key: the signature does not verify.
    let err = token_error(&org, Bent::new(key("ec-pkcs8.pem"))).await;
    assert!(oauth_description(&err).contains("signature"), "{err}");

    let mut wrong_aud = Bent::new(registered.clone());
    wrong_aud.url = Some(Url::parse("https://elsewhere.example.com/oauth2/v1/token").unwrap());
    assert!(oauth_description(&token_error(&org, wrong_aud).await).contains("audience"));

    let mut expired = Bent::new(registered.clone());
    expired.shift_back = Duration::from_secs(3600);
    assert!(oauth_description(&token_error(&org, expired).await).contains("expired"));

    // The same assertion twice: the second is refused.
    let mut replaying = Bent::new(registered.clone());
    replaying.replay_first = true;
    let replaying = Arc::new(replaying);
    let creds = ClientCredentials::builder()
        .token_url(org.token_url())
        .client_id("svc-app")
        .client_auth(ClientAuth::Assertion(replaying.clone()))
        .scope("okta.users.read")
        .build()
        .unwrap();
    creds.token().await.unwrap();
    creds.invalidate();
    let err = creds.token().await.unwrap_err();
    assert!(
        oauth_description(&err).contains("already been used"),
        "{err}"
    );
}

#[tokio::test]
async fn every_token_request_signs_a_fresh_assertion_even_on_retry() {
    let org = OktaOrg::start().await;
    let signer = key("ec-sec1.pem");
    org.register_service_app("svc-app", signer.public_jwk(), &SCOPES);
    let okta = service_client(&org, signer, &SCOPES, Transport::default()).await;
    let id = org.seed_sample_users(1).remove(0);
    org.faults()
        .on(http::Method::POST, "/oauth2/v1/token")
        .times(1)
        .respond(scimkit::mock::Fault::Status(503)); // the first token request fails
    okta.users().get(&id).await.unwrap();
    let assertions: Vec<String> = org
        .requests()
        .iter()
        .filter(|r| r.path == "/oauth2/v1/token")
        .map(|r| {
            r.text()
                .split("client_assertion=")
                .nth(1)
                .unwrap()
                .to_owned()
        })
        .collect();
    assert_eq!(assertions.len(), 2);
    assert_ne!(assertions[0], assertions[1]);
}
