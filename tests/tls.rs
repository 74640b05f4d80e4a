//! TLS against a local HTTPS server whose CA is made in the test: `add_root_certificate`
//! makes it trusted; an unknown CA, an expired certificate and a certificate for another
//! host are each a typed [`Error::Tls`], and none of them is retried.
//!
//! Every case runs on each TLS backend compiled in: rustls (the default feature) and
//! native-tls (OpenSSL here), each forced with reqwest's `tls_backend_rustls()` /
//! `tls_backend_native()`, and once more on whatever reqwest picks by itself (rustls when it
//! is the only backend, native-tls when both features are on). The server side is rustls.
#![cfg(any(feature = "rustls", feature = "native-tls"))]
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use http::{Method, StatusCode};
use rcgen::{
    BasicConstraints, CertificateParams, CertifiedIssuer, DnType, IsCa, KeyPair, KeyUsagePurpose,
    date_time_ymd,
};
use scimkit::transport::ApiRequest;
use scimkit::{Error, RetryPolicy, TlsErrorKind, Transport};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;
use tokio_rustls::TlsAcceptor;
use tokio_rustls::rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use tokio_rustls::rustls::{self, ServerConfig};
use url::Url;

/// The host name the client asks for; resolved to the local server, never through DNS.
const HOST: &str = "scimkit.test";

/// Which TLS stack the client uses.
#[derive(Debug, Clone, Copy)]
enum Backend {
    /// Whatever reqwest picks with the features compiled in.
    Default,
    #[cfg(feature = "rustls")]
    Rustls,
    #[cfg(feature = "native-tls")]
    Native,
}

fn backends() -> Vec<Backend> {
    vec![
        Backend::Default,
        #[cfg(feature = "rustls")]
        Backend::Rustls,
        #[cfg(feature = "native-tls")]
        Backend::Native,
    ]
}

impl Backend {
    fn apply(self, builder: reqwest::ClientBuilder) -> reqwest::ClientBuilder {
        match self {
            Backend::Default => builder,
            #[cfg(feature = "rustls")]
            Backend::Rustls => builder.tls_backend_rustls(),
            #[cfg(feature = "native-tls")]
            Backend::Native => builder.tls_backend_native(),
        }
    }
}

/// A test CA.
struct Ca {
    issuer: CertifiedIssuer<'static, KeyPair>,
}

impl Ca {
    fn new(name: &str) -> Ca {
        let mut params = CertificateParams::new(Vec::<String>::new()).unwrap();
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        params.distinguished_name.push(DnType::CommonName, name);
        params.key_usages = vec![
            KeyUsagePurpose::KeyCertSign,
            KeyUsagePurpose::CrlSign,
            KeyUsagePurpose::DigitalSignature,
        ];
        let issuer = CertifiedIssuer::self_signed(params, KeyPair::generate().unwrap()).unwrap();
        Ca { issuer }
    }

    fn root(&self) -> reqwest::Certificate {
        reqwest::Certificate::from_der(self.issuer.der()).unwrap()
    }

    /// A server certificate for `name`, valid from `not_before` to `not_after`
    /// (`(year, month, day)`), and its key.
    fn leaf(
        &self,
        name: &str,
        not_before: (i32, u8, u8),
        not_after: (i32, u8, u8),
    ) -> (CertificateDer<'static>, PrivateKeyDer<'static>) {
        let mut params = CertificateParams::new(vec![name.to_owned()]).unwrap();
        params.distinguished_name.push(DnType::CommonName, name);
        params.not_before = date_time_ymd(not_before.0, not_before.1, not_before.2);
        params.not_after = date_time_ymd(not_after.0, not_after.1, not_after.2);
        let key = KeyPair::generate().unwrap();
        let cert = params.signed_by(&key, &self.issuer).unwrap();
        let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key.serialize_der()));
        (cert.der().clone(), key)
    }

    /// A certificate for [`HOST`] that is valid today (until 2099: both backends read
    /// dates that far ahead).
    fn valid_leaf(&self) -> (CertificateDer<'static>, PrivateKeyDer<'static>) {
        self.leaf(HOST, (2020, 1, 1), (2099, 1, 1))
    }
}

/// A local HTTPS server: it answers every request `200 {"ok":true}` and counts the TCP
/// connections it accepts (a retried handshake would show as a second one).
struct Server {
    addr: SocketAddr,
    connections: Arc<AtomicUsize>,
}

impl Server {
    async fn start(cert: CertificateDer<'static>, key: PrivateKeyDer<'static>) -> Server {
        let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
        let config = ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .unwrap()
            .with_no_client_auth()
            .with_single_cert(vec![cert], key)
            .unwrap();
        let acceptor = TlsAcceptor::from(Arc::new(config));
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let connections = Arc::new(AtomicUsize::new(0));
        let counted = connections.clone();
        tokio::spawn(async move {
            while let Ok((tcp, _)) = listener.accept().await {
                counted.fetch_add(1, Ordering::SeqCst);
                let acceptor = acceptor.clone();
                tokio::spawn(async move {
                    // A handshake the client refuses ends here.
                    let Ok(mut tls) = acceptor.accept(tcp).await else {
                        return;
                    };
                    let mut head = Vec::new();
                    let mut buf = [0u8; 1024];
                    while !head.windows(4).any(|w| w == b"\r\n\r\n") {
                        match tls.read(&mut buf).await {
                            Ok(0) | Err(_) => return,
                            Ok(n) => head.extend_from_slice(&buf[..n]),
                        }
                    }
                    let body = br#"{"ok":true}"#;
                    let answer = format!(
                        "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n",
                        body.len()
                    );
                    let _ = tls.write_all(answer.as_bytes()).await;
                    let _ = tls.write_all(body).await;
                    let _ = tls.shutdown().await;
                });
            }
        });
        Server { addr, connections }
    }

    fn connections(&self) -> usize {
        self.connections.load(Ordering::SeqCst)
    }
}

/// A transport on `backend` that sends `host` to the local server, trusting `roots`, with
/// the default retry policy (so a retried TLS failure would show).
fn transport(backend: Backend, server: &Server, host: &'static str, roots: &[&Ca]) -> Transport {
    let addr = server.addr;
    let mut builder = Transport::builder()
        .retry(RetryPolicy::default().initial_backoff(Duration::from_millis(10)))
        .configure_reqwest(move |b| backend.apply(b).resolve(host, addr));
    for ca in roots {
        builder = builder.add_root_certificate(ca.root());
    }
    builder.build().unwrap()
}

async fn get(transport: &Transport, server: &Server, host: &str) -> scimkit::Result<StatusCode> {
    let url = Url::parse(&format!("https://{host}:{}/ping?q=1", server.addr.port())).unwrap();
    let request = ApiRequest::new(Method::GET, url);
    let response = tokio::time::timeout(Duration::from_secs(30), transport.send(request, None))
        .await
        .expect("no hang")?;
    let body: serde_json::Value = response.json()?;
    assert_eq!(body["ok"], true);
    Ok(response.status)
}

/// Expects one TLS error of `kind` from one connection attempt.
fn expect_tls(
    result: scimkit::Result<StatusCode>,
    kind: TlsErrorKind,
    server: &Server,
    backend: Backend,
) {
    match result {
        Err(err @ Error::Tls { .. }) => {
            let Error::Tls {
                kind: got,
                url,
                message,
            } = &err
            else {
                unreachable!()
            };
            // Shown with --nocapture: the exact words of each backend.
            eprintln!("{backend:?}, {kind:?}: {message}");
            assert_eq!(*got, kind, "{backend:?}: {err}");
            assert!(!err.is_retryable(), "{backend:?}: {err}");
            assert!(!url.contains("q=1"), "the query is not shown: {url}");
            assert!(!message.is_empty());
        }
        other => panic!("{backend:?}: expected a TLS error ({kind:?}), got {other:?}"),
    }
    assert_eq!(
        server.connections(),
        1,
        "{backend:?}: a TLS failure is not retried (one connection)"
    );
}

#[tokio::test]
async fn add_root_certificate_trusts_a_private_ca() {
    let ca = Ca::new("scimkit test CA");
    let (cert, key) = ca.valid_leaf();
    for backend in backends() {
        let server = Server::start(cert.clone(), key.clone_key()).await;
        let transport = transport(backend, &server, HOST, &[&ca]);
        let status = get(&transport, &server, HOST).await;
        assert_eq!(status.ok(), Some(StatusCode::OK), "{backend:?}");
        assert_eq!(server.connections(), 1);
    }
}

#[tokio::test]
async fn unknown_ca_is_unknown_issuer() {
    let ca = Ca::new("scimkit test CA");
    let other = Ca::new("another CA");
    let (cert, key) = ca.valid_leaf();
    for backend in backends() {
        // Without the CA; then with a CA that did not sign the certificate.
        for roots in [&[][..], &[&other][..]] {
            let server = Server::start(cert.clone(), key.clone_key()).await;
            let transport = transport(backend, &server, HOST, roots);
            let result = get(&transport, &server, HOST).await;
            expect_tls(result, TlsErrorKind::UnknownIssuer, &server, backend);
        }
    }
}

#[tokio::test]
async fn expired_certificate_is_expired() {
    let ca = Ca::new("scimkit test CA");
    let (cert, key) = ca.leaf(HOST, (2020, 1, 1), (2021, 1, 1));
    for backend in backends() {
        let server = Server::start(cert.clone(), key.clone_key()).await;
        let transport = transport(backend, &server, HOST, &[&ca]);
        let result = get(&transport, &server, HOST).await;
        expect_tls(result, TlsErrorKind::Expired, &server, backend);
    }
}

#[tokio::test]
async fn certificate_not_yet_valid_is_expired() {
    let ca = Ca::new("scimkit test CA");
    let (cert, key) = ca.leaf(HOST, (2090, 1, 1), (2099, 1, 1));
    for backend in backends() {
        let server = Server::start(cert.clone(), key.clone_key()).await;
        let transport = transport(backend, &server, HOST, &[&ca]);
        let result = get(&transport, &server, HOST).await;
        expect_tls(result, TlsErrorKind::Expired, &server, backend);
    }
}

#[tokio::test]
async fn certificate_for_another_host_is_wrong_host() {
    let ca = Ca::new("scimkit test CA");
    let (cert, key) = ca.leaf("other.example", (2020, 1, 1), (2099, 1, 1));
    for backend in backends() {
        let server = Server::start(cert.clone(), key.clone_key()).await;
        let transport = transport(backend, &server, HOST, &[&ca]);
        let result = get(&transport, &server, HOST).await;
        expect_tls(result, TlsErrorKind::WrongHost, &server, backend);
    }
}

#[tokio::test]
async fn refused_connection_to_a_url_about_certificates_is_a_connect_error() {
    // A port nobody listens on: the connection is refused before any TLS. The URL's words
    // ("certificate", "expired", "hostname mismatch") must not make it look like a TLS
    // failure, which would not be retried.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    drop(listener);
    for backend in backends() {
        let transport = Transport::builder()
            .retry(RetryPolicy::never())
            .configure_reqwest(move |b| backend.apply(b))
            .build()
            .unwrap();
        let url = Url::parse(&format!(
            "https://127.0.0.1:{port}/certificate/expired/unknown%20issuer/hostname%20mismatch?certificate=expired"
        ))
        .unwrap();
        let err = transport
            .send(ApiRequest::new(Method::GET, url), None)
            .await
            .unwrap_err();
        assert!(matches!(err, Error::Connect { .. }), "{backend:?}: {err:?}");
        assert!(err.is_retryable());
    }
}
