//! Every span and event this crate emits, at TRACE level, is free of secrets.
#![allow(clippy::unwrap_used)]

use std::io::Write;
use std::sync::{Arc, Mutex};

use http::Method;
use scimkit::mock::TokenServer;
use scimkit::transport::ApiRequest;
use scimkit::{ClientCredentials, ExposeSecret, Transport};
use wiremock::matchers::path;
use wiremock::{Mock, MockServer, ResponseTemplate};

#[derive(Clone, Default)]
struct Buffer(Arc<Mutex<Vec<u8>>>);

impl Write for Buffer {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[tokio::test]
async fn trace_output_never_contains_a_secret() {
    let buffer = Buffer::default();
    let writer = buffer.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_writer(move || writer.clone())
        .with_ansi(false)
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);

    let secret = "tr4ce-s3cret/&=";
    let idp = TokenServer::start().await;
    idp.register_client("svc", secret);
    let api = MockServer::start().await;
    Mock::given(path("/Users"))
        .respond_with(ResponseTemplate::new(401).insert_header("x-request-id", "rq-42"))
        .mount(&api)
        .await;
    let transport = Transport::default();
    let creds = ClientCredentials::builder()
        .token_url(idp.token_url())
        .client_id("svc")
        .client_secret(secret.to_owned())
        .transport(transport.clone())
        .build()
        .unwrap();
    let token = creds.token().await.unwrap();
    let access = token.secret().expose_secret().to_owned();
    let url = url::Url::parse(&format!("{}/Users?filter=x", api.uri())).unwrap();
    transport
        .send(ApiRequest::new(Method::GET, url), Some(&creds))
        .await
        .unwrap();

    let output = String::from_utf8(buffer.0.lock().unwrap().clone()).unwrap();
    assert!(
        output.contains("scimkit.http"),
        "spans are recorded: {output}"
    );
    assert!(
        output.contains("scimkit.token"),
        "token span recorded: {output}"
    );
    assert!(
        output.contains(r#"status=401 request_id="rq-42""#),
        "the span records the status and the request id: {output}"
    );
    assert!(!output.contains(secret), "client secret leaked: {output}");
    assert!(!output.contains(&access), "access token leaked: {output}");
    assert!(
        !output.contains("filter=x"),
        "query strings are not recorded: {output}"
    );
}
