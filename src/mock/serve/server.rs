//! The HTTP server under every mock: hyper (HTTP/1.1 and h2c) on its own thread and
//! current-thread runtime, as wiremock runs its servers, so a test's paused clock or blocked
//! runtime never stalls the mock.

use std::io;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, TcpListener as StdListener};
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::Bytes;
use http_body_util::combinators::BoxBody;
use http_body_util::{BodyExt, Full, Limited, StreamBody};
use hyper::body::{Frame, Incoming};
use hyper::service::service_fn;
use hyper::{Response, StatusCode};
use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::server::conn::auto;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;
use url::Url;

use super::answer::Answer;
use super::request::Request;

/// The largest request body a mock reads; a bigger one is answered 413 unread.
pub(crate) const MAX_REQUEST_BODY: usize = 16 * 1024 * 1024;

/// What to do with one request's connection.
#[derive(Debug)]
pub(crate) enum Delivery {
    /// Send this answer (after its delay).
    Answer(Answer),
    /// Send this answer's status and headers with its full `Content-Length`, then only the
    /// first half of its body, then close the connection.
    Truncated(Answer),
    /// Close the connection without an answer.
    Drop,
    /// Reset the connection (TCP RST) without an answer.
    Reset,
}

/// What the HTTP server calls for each request.
pub(crate) trait Handle: Send + Sync + 'static {
    /// Decides the delivery for a request read in full.
    fn handle(&self, request: Request) -> Delivery;
    /// Records a request that is refused before it is handled (its body too large), and
    /// returns the refusal with the headers every answer carries.
    fn refuse(&self, request: Request, answer: Answer) -> Answer;
}

/// A running server; it stops accepting when dropped.
#[derive(Debug)]
pub(crate) struct HttpServer {
    address: SocketAddr,
    _shutdown: watch::Sender<()>,
}

/// A bound listener, not yet serving: its address is known, so the mock can be built with
/// its own URL before the first request arrives.
#[derive(Debug)]
pub(crate) struct Bound {
    listener: StdListener,
    address: SocketAddr,
}

/// `http://host:port` for a listening address; a wildcard address (`0.0.0.0`, `::`) is
/// shown as loopback, an address clients can reach.
fn uri_of(address: SocketAddr) -> String {
    let mut shown = address;
    if shown.ip().is_unspecified() {
        shown.set_ip(match shown.ip() {
            IpAddr::V4(_) => IpAddr::V4(Ipv4Addr::LOCALHOST),
            IpAddr::V6(_) => IpAddr::V6(Ipv6Addr::LOCALHOST),
        });
    }
    format!("http://{shown}")
}

impl Bound {
    /// `http://host:port`.
    pub(crate) fn uri(&self) -> String {
        uri_of(self.address)
    }

    /// Serves `handler` on a thread of its own.
    pub(crate) fn serve(self, handler: Arc<dyn Handle>) -> io::Result<HttpServer> {
        let Bound { listener, address } = self;
        let (shutdown, stopped) = watch::channel(());
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()?;
        std::thread::Builder::new()
            .name(format!("scimkit-mock-{}", address.port()))
            .spawn(move || runtime.block_on(accept_loop(listener, address, handler, stopped)))?;
        Ok(HttpServer {
            address,
            _shutdown: shutdown,
        })
    }
}

impl HttpServer {
    /// Binds `address` (port 0: one the OS picks).
    pub(crate) fn bind(address: SocketAddr) -> io::Result<Bound> {
        let listener = StdListener::bind(address)?;
        listener.set_nonblocking(true)?;
        let address = listener.local_addr()?;
        Ok(Bound { listener, address })
    }

    /// The address the server listens on.
    pub(crate) fn address(&self) -> SocketAddr {
        self.address
    }

    /// `http://host:port`.
    pub(crate) fn uri(&self) -> String {
        uri_of(self.address)
    }
}

async fn accept_loop(
    listener: StdListener,
    address: SocketAddr,
    handler: Arc<dyn Handle>,
    mut stopped: watch::Receiver<()>,
) {
    let Ok(listener) = TcpListener::from_std(listener) else {
        return;
    };
    loop {
        let accepted = tokio::select! {
            biased;
            _ = stopped.changed() => break,
            accepted = listener.accept() => accepted,
        };
        let stream = match accepted {
            Ok((stream, _)) => stream,
            // Out of file descriptors and the like: let the pressure ease, then go on.
            Err(_) => {
                tokio::time::sleep(Duration::from_millis(10)).await;
                continue;
            }
        };
        let _ = stream.set_nodelay(true);
        let reset = Arc::new(AtomicBool::new(false));
        let io = TokioIo::new(Connection {
            stream,
            reset: reset.clone(),
        });
        let handler = handler.clone();
        let mut stopped = stopped.clone();
        tokio::spawn(async move {
            let service = service_fn(move |request| {
                serve_one(request, address, handler.clone(), reset.clone())
            });
            let builder = auto::Builder::new(TokioExecutor::new());
            let connection = builder.serve_connection(io, service);
            tokio::select! {
                _ = connection => {}
                _ = stopped.changed() => {}
            }
        });
    }
}

/// Why a connection ends without an answer.
#[derive(Debug, thiserror::Error)]
#[error("scimkit mock: connection closed on purpose")]
struct Closed;

type Body = BoxBody<Bytes, Box<dyn std::error::Error + Send + Sync>>;

async fn serve_one(
    request: hyper::Request<Incoming>,
    address: SocketAddr,
    handler: Arc<dyn Handle>,
    reset: Arc<AtomicBool>,
) -> Result<Response<Body>, Closed> {
    let (parts, body) = request.into_parts();
    let path_and_query = parts
        .uri
        .path_and_query()
        .map_or("/", |p| p.as_str())
        .to_owned();
    let Ok(url) = Url::parse(&format!("http://{address}{path_and_query}")) else {
        return Ok(response(Answer::new(400)));
    };
    let mut request = Request {
        method: parts.method,
        url,
        headers: parts.headers,
        body: Bytes::new(),
    };
    match Limited::new(body, MAX_REQUEST_BODY).collect().await {
        Ok(collected) => request.body = collected.to_bytes(),
        Err(err) if err.is::<http_body_util::LengthLimitError>() => {
            let refusal = Answer::new(413).set_body_raw(
                format!("the request body is over {MAX_REQUEST_BODY} bytes"),
                "text/plain",
            );
            return Ok(response(handler.refuse(request, refusal)));
        }
        // The client went away mid-body: nobody is left to answer.
        Err(_) => return Err(Closed),
    }
    match handler.handle(request) {
        Delivery::Answer(answer) => {
            if let Some(delay) = answer.delay {
                tokio::time::sleep(delay).await;
            }
            Ok(response(answer))
        }
        Delivery::Truncated(answer) => {
            if let Some(delay) = answer.delay {
                tokio::time::sleep(delay).await;
            }
            Ok(truncated(answer))
        }
        Delivery::Drop => Err(Closed),
        Delivery::Reset => {
            reset.store(true, Ordering::Relaxed);
            Err(Closed)
        }
    }
}

fn head(answer: &Answer) -> hyper::http::response::Builder {
    let status = StatusCode::from_u16(answer.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let mut builder = Response::builder().status(status);
    for (name, value) in &answer.headers {
        builder = builder.header(name, value);
    }
    builder
}

fn response(answer: Answer) -> Response<Body> {
    let body = Full::new(answer.body.clone())
        .map_err(|never| match never {})
        .boxed();
    head(&answer)
        .body(body)
        .unwrap_or_else(|_| Response::new(Full::new(Bytes::new()).map_err(|n| match n {}).boxed()))
}

/// The answer's head with its full `Content-Length`, then half its body, then (once hyper
/// has flushed what it has) an error that makes hyper close the connection.
fn truncated(answer: Answer) -> Response<Body> {
    let full = answer.body.len();
    let half = answer.body.slice(..full / 2);
    let frames = futures_util::stream::unfold(0u8, move |step| {
        let half = half.clone();
        async move {
            let frame: Result<Frame<Bytes>, Box<dyn std::error::Error + Send + Sync>> = match step {
                0 => Ok(Frame::data(half)),
                1 => {
                    // Pending once, so hyper writes the head and the half out first.
                    tokio::task::yield_now().await;
                    Err(Box::new(Closed))
                }
                _ => return None,
            };
            Some((frame, step + 1))
        }
    });
    let body = StreamBody::new(frames).boxed();
    head(&answer)
        .header(hyper::header::CONTENT_LENGTH, full.max(1))
        .body(body)
        .unwrap_or_else(|_| Response::new(Full::new(Bytes::new()).map_err(|n| match n {}).boxed()))
}

/// A TCP connection that resets (SO_LINGER 0, then close) instead of closing cleanly when
/// its flag is set.
struct Connection {
    stream: TcpStream,
    reset: Arc<AtomicBool>,
}

impl Drop for Connection {
    fn drop(&mut self) {
        if self.reset.load(Ordering::Relaxed) {
            let _ = socket2::SockRef::from(&self.stream).set_linger(Some(Duration::ZERO));
        }
    }
}

impl AsyncRead for Connection {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(&mut self.stream).poll_read(cx, buf)
    }
}

impl AsyncWrite for Connection {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.stream).poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.stream).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.stream).poll_shutdown(cx)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.stream).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.stream.is_write_vectored()
    }
}
