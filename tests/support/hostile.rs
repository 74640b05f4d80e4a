//! A hostile HTTP/1.1 server for tests: it reads one request per connection, records it,
//! and answers as scripted, however badly: garbage bytes, a reset, a close, a body cut short,
//! an endless body, a slow drip, absurd headers, an echo of the request's secrets.
//!
//! Used from a test file with `#[path = "support/hostile.rs"] mod hostile;`.
#![allow(dead_code)]

use std::fmt;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::{JoinHandle, JoinSet};

/// One request as the server read it off the wire.
#[derive(Debug, Clone)]
pub struct Received {
    /// `GET`, `POST`, ...
    pub method: String,
    /// The request target: path and query.
    pub target: String,
    /// Header names (lower-cased) and values (lossy UTF-8), in order.
    pub headers: Vec<(String, String)>,
    /// The body.
    pub body: Vec<u8>,
    /// The whole request as received.
    pub raw: Vec<u8>,
}

impl Received {
    /// The first value of header `name` (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// The path without the query.
    pub fn path(&self) -> &str {
        self.target.split('?').next().unwrap_or_default()
    }

    /// The value of query parameter `name`, decoded.
    pub fn query(&self, name: &str) -> Option<String> {
        let query = self.target.split_once('?')?.1;
        url::form_urlencoded::parse(query.as_bytes())
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.into_owned())
    }

    /// What the credentials part of `Authorization` holds (after the scheme).
    fn credential(&self) -> String {
        self.header("authorization")
            .and_then(|v| v.split_once(' '))
            .map(|(_, c)| c.to_owned())
            .unwrap_or_default()
    }

    /// The secret a hostile server can dig out of the request: a form `client_secret`, a
    /// JSON `password` (SCIM's, or Okta's `credentials.password.value`), or the secret of a
    /// Basic header, decoded.
    fn dug_secret(&self) -> String {
        let body = String::from_utf8_lossy(&self.body);
        if let Some(secret) = url::form_urlencoded::parse(body.as_bytes())
            .find(|(k, _)| k == "client_secret")
            .map(|(_, v)| v.into_owned())
        {
            return secret;
        }
        if let Ok(json) = serde_json::from_slice::<serde_json::Value>(&self.body) {
            for pointer in ["/password", "/credentials/password/value"] {
                if let Some(p) = json.pointer(pointer).and_then(|v| v.as_str()) {
                    return p.to_owned();
                }
            }
        }
        if let Some(basic) = self
            .header("authorization")
            .and_then(|v| v.strip_prefix("Basic "))
        {
            use base64::Engine;
            if let Ok(pair) = base64::engine::general_purpose::STANDARD.decode(basic.trim()) {
                let pair = String::from_utf8_lossy(&pair).into_owned();
                if let Some((_, secret)) = pair.split_once(':') {
                    return url::form_urlencoded::parse(format!("s={secret}").as_bytes())
                        .next()
                        .map(|(_, v)| v.into_owned())
                        .unwrap_or_default();
                }
            }
        }
        String::new()
    }

    /// `text` with the echo placeholders filled in from this request:
    /// - `{{REQUEST}}`: the whole request as text;
    /// - `{{REQUEST_JSON}}`: the same, escaped to sit inside a JSON string;
    /// - `{{BODY_JSON}}`: the body, escaped for a JSON string;
    /// - `{{CRED}}`: the credential of the `Authorization` header (token, base64 pair);
    /// - `{{SECRET}}`: a secret dug out of the request (see [`dug_secret`](Self::dug_secret)).
    pub fn fill(&self, text: &[u8]) -> Vec<u8> {
        // Bytes without placeholders go out exactly as given (non-UTF-8 included).
        if !text.windows(2).any(|w| w == b"{{") {
            return text.to_vec();
        }
        let text = String::from_utf8_lossy(text);
        let raw = String::from_utf8_lossy(&self.raw).into_owned();
        let escape = |s: &str| {
            let quoted = serde_json::to_string(s).unwrap_or_default();
            quoted[1..quoted.len() - 1].to_owned()
        };
        text.replace("{{REQUEST}}", &raw)
            .replace("{{REQUEST_JSON}}", &escape(&raw))
            .replace(
                "{{BODY_JSON}}",
                &escape(&String::from_utf8_lossy(&self.body)),
            )
            .replace("{{CRED}}", &self.credential())
            .replace("{{SECRET}}", &self.dug_secret())
            .into_bytes()
    }
}

/// A status line, headers and a body. `Content-Length` is added from the body unless the
/// reply sets one itself or is marked [`no_length`](Reply::no_length).
#[derive(Clone)]
pub struct Reply {
    status_line: Vec<u8>,
    headers: Vec<(Vec<u8>, Vec<u8>)>,
    body: Vec<u8>,
    length: bool,
}

impl fmt::Debug for Reply {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Reply")
            .field("status_line", &String::from_utf8_lossy(&self.status_line))
            .field("headers", &self.headers.len())
            .field("body", &self.body.len())
            .finish()
    }
}

impl Reply {
    /// `HTTP/1.1 <code> X`.
    pub fn status(code: u16) -> Self {
        Self::status_line(format!("HTTP/1.1 {code} X").as_bytes())
    }

    /// Any status line (without the CRLF).
    pub fn status_line(line: &[u8]) -> Self {
        Reply {
            status_line: line.to_vec(),
            headers: Vec::new(),
            body: Vec::new(),
            length: true,
        }
    }

    /// A JSON body with `Content-Type: application/json`.
    pub fn json(code: u16, body: serde_json::Value) -> Self {
        Self::status(code)
            .header("Content-Type", "application/json")
            .body(body.to_string())
    }

    /// A JSON body with `Content-Type: application/scim+json`.
    pub fn scim(code: u16, body: serde_json::Value) -> Self {
        Self::status(code)
            .header("Content-Type", "application/scim+json")
            .body(body.to_string())
    }

    /// Any body with the given content type.
    pub fn typed(code: u16, content_type: &str, body: impl Into<Vec<u8>>) -> Self {
        Self::status(code)
            .header("Content-Type", content_type)
            .body(body)
    }

    /// Adds a header; the value may be any bytes (it may hold placeholders).
    pub fn header(mut self, name: &str, value: impl AsRef<[u8]>) -> Self {
        self.headers
            .push((name.as_bytes().to_vec(), value.as_ref().to_vec()));
        self
    }

    /// Sets the body (it may hold placeholders, see [`Received::fill`]).
    pub fn body(mut self, body: impl Into<Vec<u8>>) -> Self {
        self.body = body.into();
        self
    }

    /// Sends no `Content-Length` of its own (the body then ends when the connection does,
    /// or the reply's own headers say otherwise).
    pub fn no_length(mut self) -> Self {
        self.length = false;
        self
    }

    fn sets_length(&self) -> bool {
        self.headers.iter().any(|(k, _)| {
            k.eq_ignore_ascii_case(b"content-length")
                || k.eq_ignore_ascii_case(b"transfer-encoding")
        })
    }

    /// The head (status line, headers, blank line) and the body, filled in from `request`.
    /// `length` overrides the `Content-Length` sent.
    fn render(&self, request: &Received, length: Option<Length>) -> (Vec<u8>, Vec<u8>) {
        let body = request.fill(&self.body);
        let mut head = self.status_line.clone();
        head.extend_from_slice(b"\r\n");
        for (k, v) in &self.headers {
            head.extend_from_slice(k);
            head.extend_from_slice(b": ");
            head.extend_from_slice(&request.fill(v));
            head.extend_from_slice(b"\r\n");
        }
        match length {
            Some(Length::Declared(n)) => {
                head.extend_from_slice(format!("Content-Length: {n}\r\n").as_bytes())
            }
            Some(Length::Chunked) => head.extend_from_slice(b"Transfer-Encoding: chunked\r\n"),
            None if self.length && !self.sets_length() => {
                head.extend_from_slice(format!("Content-Length: {}\r\n", body.len()).as_bytes())
            }
            None => {}
        }
        head.extend_from_slice(b"\r\n");
        (head, body)
    }
}

#[derive(Clone, Copy)]
enum Length {
    Declared(u64),
    Chunked,
}

/// What the server does with one request.
#[derive(Clone, Debug)]
pub enum Answer {
    /// Sends the reply, then closes the connection.
    Reply(Reply),
    /// Sends these bytes as they are (placeholders filled), then closes.
    Raw(Vec<u8>),
    /// Closes the connection without answering (FIN).
    Close,
    /// Resets the connection (`SO_LINGER` 0, then close: RST) without answering.
    Reset,
    /// Keeps the connection open and never answers.
    Hang,
    /// Declares `Content-Length: declared`, sends the reply's (shorter) body, then closes:
    /// the connection drops mid-body.
    Cut { reply: Reply, declared: u64 },
    /// Sends the reply's head, then resets mid-body after sending its body.
    CutReset(Reply),
    /// A chunked body that never ends (16 KiB chunks until the client hangs up).
    Endless(Reply),
    /// Sends the head, then the body one byte every `every`.
    Drip { reply: Reply, every: Duration },
}

impl From<Reply> for Answer {
    fn from(reply: Reply) -> Self {
        Answer::Reply(reply)
    }
}

/// Chooses the answer to a request: the request and its 0-based number.
pub type Responder = Arc<dyn Fn(&Received, usize) -> Answer + Send + Sync>;

/// Answers in order; the last answer is repeated forever ("401 forever").
pub fn sequence(answers: Vec<Answer>) -> Responder {
    Arc::new(move |_, n| {
        answers
            .get(n)
            .or(answers.last())
            .cloned()
            .unwrap_or(Answer::Close)
    })
}

/// A running hostile server; stops (and drops every open connection) when dropped.
pub struct Hostile {
    addr: SocketAddr,
    received: Arc<Mutex<Vec<Received>>>,
    task: JoinHandle<()>,
}

impl fmt::Debug for Hostile {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Hostile").field("addr", &self.addr).finish()
    }
}

impl Drop for Hostile {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// The longest request head read; a longer one is dropped unanswered.
const MAX_HEAD: usize = 1 << 20;

impl Hostile {
    /// Starts a server answering with `answers` in order (the last one forever).
    pub async fn start(answers: Vec<Answer>) -> Hostile {
        Self::with(sequence(answers)).await
    }

    /// Starts a server whose answers `responder` chooses.
    pub async fn with(responder: Responder) -> Hostile {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let addr = listener.local_addr().expect("local addr");
        let received = Arc::new(Mutex::new(Vec::new()));
        let log = received.clone();
        let task = tokio::spawn(async move {
            // Owned by this task: aborting it drops every connection it holds (hung ones too).
            let mut connections = JoinSet::new();
            loop {
                while connections.try_join_next().is_some() {}
                let Ok((stream, _)) = listener.accept().await else {
                    continue;
                };
                connections.spawn(serve(stream, log.clone(), responder.clone()));
            }
        });
        Hostile {
            addr,
            received,
            task,
        }
    }

    /// `http://127.0.0.1:<port>`.
    pub fn uri(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Every request read so far, in order.
    pub fn requests(&self) -> Vec<Received> {
        self.received.lock().expect("log").clone()
    }

    /// How many requests were read.
    pub fn request_count(&self) -> usize {
        self.received.lock().expect("log").len()
    }
}

/// An address where nothing listens: connecting is refused.
pub async fn refused_uri() -> String {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    drop(listener);
    format!("http://{addr}")
}

async fn serve(mut stream: TcpStream, log: Arc<Mutex<Vec<Received>>>, responder: Responder) {
    let request =
        match tokio::time::timeout(Duration::from_secs(10), read_request(&mut stream)).await {
            Ok(Some(request)) => request,
            _ => return,
        };
    let number = {
        let mut log = log.lock().expect("log");
        log.push(request.clone());
        log.len() - 1
    };
    let answer = responder(&request, number);
    let _ = answer_with(&mut stream, &request, answer).await;
}

async fn answer_with(
    stream: &mut TcpStream,
    request: &Received,
    answer: Answer,
) -> std::io::Result<()> {
    match answer {
        Answer::Reply(reply) => {
            let (head, body) = reply.render(request, None);
            stream.write_all(&head).await?;
            stream.write_all(&body).await?;
            stream.flush().await?;
            stream.shutdown().await?;
        }
        Answer::Raw(bytes) => {
            stream.write_all(&request.fill(&bytes)).await?;
            stream.flush().await?;
            stream.shutdown().await?;
        }
        Answer::Close => {
            stream.shutdown().await?;
        }
        Answer::Reset => {
            stream.set_zero_linger()?;
        }
        Answer::Hang => {
            std::future::pending::<()>().await;
        }
        Answer::Cut { reply, declared } => {
            let (head, body) = reply.render(request, Some(Length::Declared(declared)));
            stream.write_all(&head).await?;
            stream.write_all(&body).await?;
            stream.flush().await?;
            stream.shutdown().await?;
        }
        Answer::CutReset(reply) => {
            let (head, body) = reply.render(request, None);
            stream.write_all(&head).await?;
            stream.write_all(&body[..body.len() / 2]).await?;
            stream.flush().await?;
            // Let the head reach the client before the reset destroys what is in flight.
            tokio::time::sleep(Duration::from_millis(50)).await;
            stream.set_zero_linger()?;
        }
        Answer::Endless(reply) => {
            let (head, _) = reply.render(request, Some(Length::Chunked));
            stream.write_all(&head).await?;
            let chunk = [b'a'; 16 * 1024];
            // Bounded only so a forgotten test cannot fill a disk: 1 GiB.
            for _ in 0..(1 << 16) {
                stream
                    .write_all(format!("{:x}\r\n", chunk.len()).as_bytes())
                    .await?;
                stream.write_all(&chunk).await?;
                stream.write_all(b"\r\n").await?;
            }
        }
        Answer::Drip { reply, every } => {
            let (head, body) = reply.render(request, None);
            stream.write_all(&head).await?;
            stream.flush().await?;
            for byte in body {
                tokio::time::sleep(every).await;
                stream.write_all(&[byte]).await?;
                stream.flush().await?;
            }
            stream.shutdown().await?;
        }
    }
    Ok(())
}

/// Reads one request: the head up to the blank line, then `Content-Length` bytes of body.
async fn read_request(stream: &mut TcpStream) -> Option<Received> {
    let mut buf = Vec::with_capacity(4096);
    let head_end = loop {
        if let Some(at) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break at + 4;
        }
        if buf.len() > MAX_HEAD {
            return None;
        }
        let mut chunk = [0u8; 8192];
        let n = stream.read(&mut chunk).await.ok()?;
        if n == 0 {
            return None;
        }
        buf.extend_from_slice(&chunk[..n]);
    };
    let head = String::from_utf8_lossy(&buf[..head_end]).into_owned();
    let mut lines = head.split("\r\n");
    let mut request_line = lines.next()?.split(' ');
    let method = request_line.next()?.to_owned();
    let target = request_line.next()?.to_owned();
    let headers: Vec<(String, String)> = lines
        .filter(|l| !l.is_empty())
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_owned()))
        .collect();
    let length = headers
        .iter()
        .find(|(k, _)| k == "content-length")
        .and_then(|(_, v)| v.parse::<usize>().ok())
        .unwrap_or(0);
    while buf.len() < head_end + length {
        let mut chunk = [0u8; 8192];
        let n = stream.read(&mut chunk).await.ok()?;
        if n == 0 {
            return None;
        }
        buf.extend_from_slice(&chunk[..n]);
    }
    Some(Received {
        method,
        target,
        headers,
        body: buf[head_end..head_end + length].to_vec(),
        raw: buf,
    })
}
