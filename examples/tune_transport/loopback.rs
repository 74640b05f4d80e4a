//! Stand-ins on 127.0.0.1 so `tune_transport` runs offline: an HTTPS server whose certificate
//! comes from a test CA, and a plain HTTP forward proxy. Neither is part of the recipe: in
//! production these are your server and your proxy.

use std::io;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio_rustls::TlsAcceptor;
use tokio_rustls::rustls::ServerConfig;
use tokio_rustls::rustls::crypto::aws_lc_rs;
use tokio_rustls::rustls::pki_types::pem::PemObject;
use tokio_rustls::rustls::pki_types::{CertificateDer, PrivateKeyDer};

/// The test CA, and the server certificate it signed for `localhost` and `127.0.0.1`
/// (generated with openssl, valid until 2126; test-only keys that protect nothing).
pub const CA_PEM: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/examples/tune_transport/ca.pem"
);
const SERVER_PEM: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/examples/tune_transport/server.pem"
);
const SERVER_KEY: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/examples/tune_transport/server.key"
);

/// A ServiceProviderConfig, the one answer the HTTPS stand-in gives.
const ANSWER: &str = r#"{"schemas":["urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig"],"patch":{"supported":true},"bulk":{"supported":false},"filter":{"supported":true,"maxResults":100},"etag":{"supported":false}}"#;

/// Starts an HTTPS server on 127.0.0.1 that answers every request with [`ANSWER`]; its
/// SCIM base URL.
pub async fn https_server() -> io::Result<String> {
    let certs = CertificateDer::pem_file_iter(SERVER_PEM)
        .and_then(|certs| certs.collect::<Result<Vec<_>, _>>())
        .map_err(io::Error::other)?;
    let key = PrivateKeyDer::from_pem_file(SERVER_KEY).map_err(io::Error::other)?;
    let config = ServerConfig::builder_with_provider(Arc::new(aws_lc_rs::default_provider()))
        .with_safe_default_protocol_versions()
        .and_then(|b| b.with_no_client_auth().with_single_cert(certs, key))
        .map_err(io::Error::other)?;
    let acceptor = TlsAcceptor::from(Arc::new(config));
    let listener = TcpListener::bind("127.0.0.1:0").await?;
    let address = listener.local_addr()?;
    tokio::spawn(async move {
        while let Ok((tcp, _)) = listener.accept().await {
            let acceptor = acceptor.clone();
            tokio::spawn(async move {
                // A client that does not trust the certificate ends the handshake: fine.
                if let Ok(mut tls) = acceptor.accept(tcp).await
                    && read_head(&mut tls).await.is_ok()
                {
                    let response = format!(
                        "HTTP/1.1 200 OK\r\ncontent-type: application/scim+json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{ANSWER}",
                        ANSWER.len()
                    );
                    let _ = tls.write_all(response.as_bytes()).await;
                    let _ = tls.shutdown().await;
                }
            });
        }
    });
    Ok(format!("https://127.0.0.1:{}/scim/v2", address.port()))
}

/// A forward proxy for plain HTTP on 127.0.0.1: it reads a request's target from its
/// absolute-form request line (`GET http://host:port/path HTTP/1.1`), connects there and
/// relays both ways. `connections` counts the connections it forwarded.
pub struct ForwardProxy {
    /// `http://127.0.0.1:<port>`.
    pub url: String,
    /// Connections forwarded so far.
    pub connections: Arc<AtomicUsize>,
}

pub async fn forward_proxy() -> io::Result<ForwardProxy> {
    let listener = TcpListener::bind("127.0.0.1:0").await?;
    let url = format!("http://{}", listener.local_addr()?);
    let connections = Arc::new(AtomicUsize::new(0));
    let count = connections.clone();
    tokio::spawn(async move {
        while let Ok((client, _)) = listener.accept().await {
            let count = count.clone();
            tokio::spawn(async move {
                let _ = relay(client, &count).await;
            });
        }
    });
    Ok(ForwardProxy { url, connections })
}

async fn relay(mut client: TcpStream, count: &AtomicUsize) -> io::Result<()> {
    let head = read_head(&mut client).await?;
    let text = String::from_utf8_lossy(&head);
    let target = text
        .split_whitespace()
        .nth(1)
        .and_then(|t| url::Url::parse(t).ok())
        .ok_or_else(|| io::Error::other("not an absolute-form request"))?;
    let host = target.host_str().unwrap_or_default();
    if host != "127.0.0.1" && host != "localhost" {
        // A stand-in that stays on loopback.
        return client
            .write_all(b"HTTP/1.1 403 Forbidden\r\ncontent-length: 0\r\n\r\n")
            .await;
    }
    let port = target.port_or_known_default().unwrap_or(80);
    let mut upstream = TcpStream::connect(SocketAddr::from(([127, 0, 0, 1], port))).await?;
    count.fetch_add(1, Ordering::Relaxed);
    // Origin servers accept the absolute form too (RFC 9112 §3.2.2): pass it on as is.
    upstream.write_all(&head).await?;
    tokio::io::copy_bidirectional(&mut client, &mut upstream).await?;
    Ok(())
}

/// Reads up to the end of a request head (at most 64 KiB).
async fn read_head(stream: &mut (impl AsyncReadExt + Unpin)) -> io::Result<Vec<u8>> {
    let mut head = Vec::new();
    let mut buf = [0u8; 4096];
    while !head.windows(4).any(|w| w == b"\r\n\r\n") {
        let n = stream.read(&mut buf).await?;
        if n == 0 || head.len() > 64 * 1024 {
            return Err(io::Error::other("no request head"));
        }
        head.extend_from_slice(&buf[..n]);
    }
    Ok(head)
}
