//! DPoP-bound service-app tokens (RFC 9449) against `mock::OktaOrg`, which verifies every
//! proof (signature, `htm`, `htu`, `iat`, `jti` reuse, `ath`, nonce, key binding).

use scimkit::auth::PrivateKeyJwt;
use scimkit::mock::OktaOrg;
use scimkit::okta::OktaClient;

const SCOPES: [&str; 2] = ["okta.users.read", "okta.users.manage"];

fn signer() -> PrivateKeyJwt {
    let pem = std::fs::read_to_string(format!(
        "{}/tests/fixtures/okta/ec-pkcs8.pem",
        env!("CARGO_MANIFEST_DIR")
    ))
    .expect("test setup");
    PrivateKeyJwt::from_pem(&pem).expect("test setup")
}

fn client(org: &OktaOrg, dpop: bool) -> OktaClient {
    OktaClient::builder()
        .org(org.uri())
        .expect("test setup")
        .service_app("svc", signer(), SCOPES)
        .dpop(dpop)
        .build()
        .expect("test setup")
}

fn token_requests(org: &OktaOrg) -> Vec<scimkit::mock::RecordedRequest> {
    org.requests()
        .into_iter()
        .filter(|r| r.path == "/oauth2/v1/token")
        .collect()
}

#[tokio::test]
async fn dpop_on_binds_the_token_and_proves_every_call() {
    let org = OktaOrg::start().await;
    org.register_service_app("svc", signer().public_jwk(), &SCOPES);
    let okta = client(&org, true);
    let id = org.seed_sample_users(1).remove(0);
    okta.users().get(&id).await.unwrap();
    okta.users().suspend(&id).await.unwrap();

    let tokens = token_requests(&org);
    assert_eq!(tokens.len(), 1);
    assert!(tokens[0].header("dpop").is_some());
    let api: Vec<_> = org
        .requests()
        .into_iter()
        .filter(|r| r.path.starts_with("/api"))
        .collect();
    assert_eq!(api.len(), 2, "each call accepted at the first try");
    for r in &api {
        assert_eq!(r.header("authorization"), Some("DPoP [redacted]"));
        assert!(r.header("dpop").is_some());
    }
    assert_ne!(
        api[0].header("dpop"),
        api[1].header("dpop"),
        "a fresh proof per request"
    );
}

#[tokio::test]
async fn dpop_switches_on_when_the_token_endpoint_demands_it() {
    let org = OktaOrg::start().await;
    org.register_service_app("svc", signer().public_jwk(), &SCOPES);
    org.require_dpop("svc");
    let okta = client(&org, false);
    let id = org.seed_sample_users(1).remove(0);
    okta.users().get(&id).await.unwrap();
    let tokens = token_requests(&org);
    assert_eq!(tokens.len(), 2);
    assert!(tokens[0].header("dpop").is_none());
    assert!(tokens[1].header("dpop").is_some());
}

#[tokio::test]
async fn server_nonces_are_answered_at_the_token_endpoint_and_the_api() {
    let org = OktaOrg::start().await;
    org.register_service_app("svc", signer().public_jwk(), &SCOPES);
    org.require_dpop_nonce("nonce-1");
    let okta = client(&org, true);
    let id = org.seed_sample_users(1).remove(0);
    okta.users().get(&id).await.unwrap();
    okta.users().get(&id).await.unwrap();
    assert_eq!(
        token_requests(&org).len(),
        2,
        "one use_dpop_nonce, then a token"
    );
    let api = org
        .requests()
        .into_iter()
        .filter(|r| r.path.starts_with("/api"))
        .count();
    assert_eq!(
        api, 3,
        "one 401 use_dpop_nonce, then every call with the nonce"
    );
    assert_eq!(
        org.tokens_issued_to("svc"),
        1,
        "the token is kept across the nonce retry"
    );
}

#[tokio::test]
async fn a_dpop_bound_token_is_refused_as_a_plain_bearer() {
    // Another client that knows the token value but not the key gets nowhere: here we
    // check the simplest form, the mock's refusal of `Bearer` for a bound token.
    let org = OktaOrg::start().await;
    org.register_service_app("svc", signer().public_jwk(), &SCOPES);
    let creds = scimkit::ClientCredentials::builder()
        .token_url(org.token_url())
        .client_id("svc")
        .client_auth(scimkit::ClientAuth::Assertion(
            std::sync::Arc::new(signer()),
        ))
        .scopes(SCOPES)
        .dpop(true)
        .build()
        .unwrap();
    let token = creds.token().await.unwrap();
    assert_eq!(token.token_type(), "DPoP");
    let bearer = OktaClient::builder()
        .org(org.uri())
        .unwrap()
        .auth(scimkit::BearerToken::new(
            scimkit::ExposeSecret::expose_secret(token.secret()).to_owned(),
        ))
        .build()
        .unwrap();
    let err = bearer.users().list().send().await.unwrap_err();
    assert_eq!(err.status().unwrap().as_u16(), 401);
}

/// A token endpoint that asks for a new nonce every time.
struct EverNewNonce(std::sync::atomic::AtomicUsize);

impl wiremock::Respond for EverNewNonce {
    fn respond(&self, _: &wiremock::Request) -> wiremock::ResponseTemplate {
        let n = self.0.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        wiremock::ResponseTemplate::new(400)
            .insert_header("dpop-nonce", format!("nonce-{n}").as_str())
            .set_body_json(serde_json::json!({
                "error": "use_dpop_nonce",
                "error_description": "Authorization server requires nonce in DPoP proof."
            }))
    }
}

#[tokio::test]
async fn nonce_requests_are_answered_at_most_twice_and_stay_oauth_errors() {
    let server = wiremock::MockServer::start().await;
    wiremock::Mock::given(wiremock::matchers::method("POST"))
        .respond_with(EverNewNonce(std::sync::atomic::AtomicUsize::new(0)))
        .mount(&server)
        .await;
    let creds = scimkit::ClientCredentials::builder()
        .token_url(format!("{}/oauth2/v1/token", server.uri()))
        .client_id("svc")
        .client_auth(scimkit::ClientAuth::Assertion(
            std::sync::Arc::new(signer()),
        ))
        .scope("okta.users.read")
        .dpop(true)
        .build()
        .unwrap();
    let err = creds.token().await.unwrap_err();
    match &err {
        scimkit::Error::OAuth(e) => assert_eq!(e.error, "use_dpop_nonce"),
        other => panic!("expected an OAuth error, got {other:?}"),
    }
    let requests = server.received_requests().await.unwrap();
    assert_eq!(requests.len(), 3, "the first try and two nonce retries");
    let nonces: Vec<Option<String>> = requests
        .iter()
        .map(|r| {
            let proof = r.headers.get("dpop").unwrap().to_str().unwrap();
            let claims = proof.split('.').nth(1).unwrap();
            let claims: serde_json::Value = serde_json::from_slice(
                &base64::Engine::decode(&base64::engine::general_purpose::URL_SAFE_NO_PAD, claims)
                    .unwrap(),
            )
            .unwrap();
            claims["nonce"].as_str().map(str::to_owned)
        })
        .collect();
    assert_eq!(
        nonces,
        vec![None, Some("nonce-0".into()), Some("nonce-1".into())],
        "each retry carries the server's latest nonce"
    );
}
