//! A chaos proxy for tests: an HTTP/1.1 proxy on 127.0.0.1:0 in front of one upstream server
//! (a mock), which answers most requests faithfully and, for a seeded random share of them,
//! injects a fault instead.
//!
//! Faults, each as likely as the others:
//! - [`Fault::DropAfter`]: the request is forwarded and answered upstream, then the client's
//!   connection is closed without the answer (the write happened; the client cannot know);
//! - [`Fault::Reset`]: the client's connection is reset once its request has been read, and
//!   nothing is forwarded (the client wrote the request: to it, the outcome is unknown);
//! - [`Fault::ServerError`]: a 503 instead of forwarding;
//! - [`Fault::TooMany`]: a 429 with `Retry-After: 0` instead of forwarding;
//! - [`Fault::Slow`]: forwarded, and the answer held back for a while (within the client's
//!   timeout);
//! - [`Fault::CutBody`]: forwarded, and the answer cut in the middle (of its body, or of its
//!   head when it has no body), then the connection closed.
//!
//! Like a reverse proxy, it rewrites the upstream's URLs in answer heads (`Link`,
//! `Location`) to its own.
//!
//! Used from a test file with `#[path = "support/chaos.rs"] mod chaos;`.
#![allow(dead_code)]

use std::collections::BTreeMap;
use std::fmt;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::{JoinHandle, JoinSet};

/// A fault the proxy injects into one request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Fault {
    /// Forwarded and answered, then the answer dropped with the connection.
    DropAfter,
    /// The connection reset after the request was read; nothing forwarded.
    Reset,
    /// A 503 instead of forwarding.
    ServerError,
    /// A 429 `Retry-After: 0` instead of forwarding.
    TooMany,
    /// Forwarded, the answer delayed.
    Slow,
    /// Forwarded, the answer cut in the middle.
    CutBody,
}

impl Fault {
    const ALL: [Fault; 6] = [
        Fault::DropAfter,
        Fault::Reset,
        Fault::ServerError,
        Fault::TooMany,
        Fault::Slow,
        Fault::CutBody,
    ];

    /// Whether the request reached the upstream server.
    pub fn forwards(self) -> bool {
        matches!(self, Fault::DropAfter | Fault::Slow | Fault::CutBody)
    }
}

/// The proxy's settings.
#[derive(Debug, Clone, Copy)]
pub struct ChaosConfig {
    /// The RNG seed: the same seed draws the same sequence of faults.
    pub seed: u64,
    /// The share of requests that get a fault (0.0..=1.0).
    pub rate: f64,
    /// The longest delay of a [`Fault::Slow`] answer.
    pub max_delay: Duration,
}

#[derive(Default)]
struct Stats {
    requests: AtomicU64,
    forwarded: AtomicU64,
    upstream_failures: AtomicU64,
    faults: Mutex<BTreeMap<Fault, u64>>,
}

/// A running chaos proxy; stops when dropped.
pub struct Chaos {
    addr: SocketAddr,
    stats: Arc<Stats>,
    task: JoinHandle<()>,
}

impl fmt::Debug for Chaos {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Chaos").field("addr", &self.addr).finish()
    }
}

impl Drop for Chaos {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl Chaos {
    /// Starts a proxy in front of `upstream` (`http://127.0.0.1:<port>`, any path ignored).
    pub async fn start(upstream: &str, config: ChaosConfig) -> Chaos {
        let upstream: SocketAddr = upstream
            .trim_start_matches("http://")
            .split('/')
            .next()
            .and_then(|a| a.parse().ok())
            .expect("upstream is http://127.0.0.1:<port>");
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let addr = listener.local_addr().expect("addr");
        let stats = Arc::new(Stats::default());
        let rng = Arc::new(Mutex::new(fastrand::Rng::with_seed(config.seed)));
        let shared = stats.clone();
        let task = tokio::spawn(async move {
            let mut connections = JoinSet::new();
            loop {
                while connections.try_join_next().is_some() {}
                let Ok((client, _)) = listener.accept().await else {
                    continue;
                };
                let _ = client.set_nodelay(true);
                connections.spawn(serve(
                    client,
                    upstream,
                    addr,
                    config,
                    rng.clone(),
                    shared.clone(),
                ));
            }
        });
        Chaos { addr, stats, task }
    }

    /// `http://127.0.0.1:<port>`.
    pub fn uri(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Requests read from clients.
    pub fn requests(&self) -> u64 {
        self.stats.requests.load(Ordering::Relaxed)
    }

    /// Requests forwarded to the upstream server.
    pub fn forwarded(&self) -> u64 {
        self.stats.forwarded.load(Ordering::Relaxed)
    }

    /// Requests the upstream server failed to answer (answered 502 by the proxy): none, in
    /// a sound test.
    pub fn upstream_failures(&self) -> u64 {
        self.stats.upstream_failures.load(Ordering::Relaxed)
    }

    /// Faults injected, by kind.
    pub fn faults(&self) -> BTreeMap<Fault, u64> {
        self.stats.faults.lock().expect("stats").clone()
    }

    /// Faults injected in all.
    pub fn fault_count(&self) -> u64 {
        self.faults().values().sum()
    }
}

/// One HTTP message as raw bytes: its head (through the blank line) and its body (as framed
/// on the wire, chunked framing included).
struct Message {
    head: Vec<u8>,
    body: Vec<u8>,
}

impl Message {
    fn header(&self, name: &str) -> Option<String> {
        String::from_utf8_lossy(&self.head)
            .split("\r\n")
            .skip(1)
            .filter_map(|l| l.split_once(':'))
            .find(|(k, _)| k.trim().eq_ignore_ascii_case(name))
            .map(|(_, v)| v.trim().to_owned())
    }

    fn bytes(&self) -> Vec<u8> {
        let mut all = self.head.clone();
        all.extend_from_slice(&self.body);
        all
    }
}

/// Reads one message: the head, then a body framed by `Content-Length`, chunked encoding,
/// or (for a response without either) the end of the connection. `None` at a clean end of
/// stream before any byte, or on any error.
async fn read_message(
    reader: &mut BufReader<TcpStream>,
    is_response: bool,
    bodiless: bool,
) -> Option<Message> {
    let mut head = Vec::new();
    loop {
        let before = head.len();
        let n = reader.read_until(b'\n', &mut head).await.ok()?;
        if n == 0 {
            return None;
        }
        let line = &head[before..];
        if line == b"\r\n" && before > 0 {
            break;
        }
        if head.len() > 1 << 20 {
            return None;
        }
    }
    let mut message = Message {
        head,
        body: Vec::new(),
    };
    let status = if is_response {
        String::from_utf8_lossy(&message.head)
            .split(' ')
            .nth(1)
            .and_then(|s| s.parse::<u16>().ok())
    } else {
        None
    };
    if bodiless || status.is_some_and(|s| s < 200 || s == 204 || s == 304) {
        return Some(message);
    }
    let chunked = message
        .header("transfer-encoding")
        .is_some_and(|v| v.to_ascii_lowercase().contains("chunked"));
    if chunked {
        loop {
            let mut size_line = Vec::new();
            reader.read_until(b'\n', &mut size_line).await.ok()?;
            message.body.extend_from_slice(&size_line);
            let size_text = String::from_utf8_lossy(&size_line);
            let size = usize::from_str_radix(size_text.split(';').next()?.trim(), 16).ok()?;
            if size == 0 {
                // Trailers, up to the blank line.
                loop {
                    let mut line = Vec::new();
                    let n = reader.read_until(b'\n', &mut line).await.ok()?;
                    message.body.extend_from_slice(&line);
                    if n == 0 || line == b"\r\n" {
                        break;
                    }
                }
                return Some(message);
            }
            let mut chunk = vec![0; size + 2];
            reader.read_exact(&mut chunk).await.ok()?;
            message.body.extend_from_slice(&chunk);
        }
    }
    match message.header("content-length") {
        Some(length) => {
            let length: usize = length.parse().ok()?;
            message.body = vec![0; length];
            reader.read_exact(&mut message.body).await.ok()?;
        }
        None if is_response => {
            reader.read_to_end(&mut message.body).await.ok()?;
        }
        None => {}
    }
    Some(message)
}

/// Sends `request` to the upstream on a fresh connection and reads the whole answer. The
/// connection is then reset rather than closed, so ten thousand requests leave no sockets
/// in TIME_WAIT.
async fn forward(upstream: SocketAddr, request: &Message, method: &str) -> Option<Message> {
    let mut stream = TcpStream::connect(upstream).await.ok()?;
    let _ = stream.set_nodelay(true);
    stream.write_all(&request.bytes()).await.ok()?;
    let mut reader = BufReader::new(stream);
    let answer = read_message(&mut reader, true, method == "HEAD").await;
    let _ = reader.get_ref().set_zero_linger();
    answer
}

fn canned(status: &str, extra: &str) -> Vec<u8> {
    let body = r#"{"errorCode":"E0000010","errorSummary":"chaos: injected","errorCauses":[]}"#;
    format!(
        "HTTP/1.1 {status}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n{extra}\r\n{body}",
        body.len()
    )
    .into_bytes()
}

async fn serve(
    client: TcpStream,
    upstream: SocketAddr,
    own: SocketAddr,
    config: ChaosConfig,
    rng: Arc<Mutex<fastrand::Rng>>,
    stats: Arc<Stats>,
) {
    let mut client = BufReader::new(client);
    loop {
        let Some(request) = read_message(&mut client, false, false).await else {
            return;
        };
        stats.requests.fetch_add(1, Ordering::Relaxed);
        let method = String::from_utf8_lossy(&request.head)
            .split(' ')
            .next()
            .unwrap_or_default()
            .to_owned();
        let (fault, delay) = {
            let mut rng = rng.lock().expect("rng");
            let fault =
                (rng.f64() < config.rate).then(|| Fault::ALL[rng.usize(..Fault::ALL.len())]);
            let max = u64::try_from(config.max_delay.as_millis()).unwrap_or(u64::MAX);
            (fault, Duration::from_millis(rng.u64(0..=max)))
        };
        if let Some(fault) = fault {
            *stats
                .faults
                .lock()
                .expect("stats")
                .entry(fault)
                .or_default() += 1;
        }
        let stream = client.get_mut();
        match fault {
            Some(Fault::Reset) => {
                let _ = stream.set_zero_linger();
                return;
            }
            Some(Fault::ServerError) => {
                if stream
                    .write_all(&canned("503 Service Unavailable", ""))
                    .await
                    .is_err()
                {
                    return;
                }
                continue;
            }
            Some(Fault::TooMany) => {
                if stream
                    .write_all(&canned("429 Too Many Requests", "Retry-After: 0\r\n"))
                    .await
                    .is_err()
                {
                    return;
                }
                continue;
            }
            _ => {}
        }
        stats.forwarded.fetch_add(1, Ordering::Relaxed);
        let Some(mut answer) = forward(upstream, &request, &method).await else {
            // The upstream failed us: say so plainly, as a proxy would, and end.
            stats.upstream_failures.fetch_add(1, Ordering::Relaxed);
            let _ = stream
                .write_all(&canned("502 Bad Gateway", "Connection: close\r\n"))
                .await;
            return;
        };
        // As a reverse proxy does, the upstream's own URLs in the head (`Link`, `Location`)
        // are rewritten to the proxy's, so that clients page through the proxy too.
        answer.head = String::from_utf8_lossy(&answer.head)
            .replace(&format!("http://{upstream}"), &format!("http://{own}"))
            .into_bytes();
        match fault {
            Some(Fault::DropAfter) => {
                let _ = stream.shutdown().await;
                return;
            }
            Some(Fault::CutBody) => {
                let cut = if answer.body.is_empty() {
                    answer.head[..answer.head.len() / 2].to_vec()
                } else {
                    let mut bytes = answer.head.clone();
                    bytes.extend_from_slice(&answer.body[..answer.body.len() / 2]);
                    bytes
                };
                let _ = stream.write_all(&cut).await;
                let _ = stream.shutdown().await;
                return;
            }
            Some(Fault::Slow) => tokio::time::sleep(delay).await,
            _ => {}
        }
        if stream.write_all(&answer.bytes()).await.is_err() {
            return;
        }
        let closes = answer
            .header("connection")
            .is_some_and(|v| v.eq_ignore_ascii_case("close"));
        if closes {
            let _ = stream.shutdown().await;
            return;
        }
    }
}
