//! Paging against hostile and broken servers, one table per protocol: cycles of any length,
//! lying or missing `totalResults`, ignored `startIndex` and cursors, empty pages, the page
//! cap, resuming after an error, links to another origin, and dropping a stream mid-page.
//!
//! Every case runs against a scripted wiremock server on 127.0.0.1 and is bounded by
//! `tokio::time::timeout`, so a paginator that loops fails the test instead of hanging it.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;

use futures_core::Stream;
use futures_util::StreamExt;
use scimkit::okta::OktaClient;
use scimkit::scim::ScimClient;
use scimkit::transport::PagingEnd;
use scimkit::{BearerToken, Error, RetryPolicy, Transport};
use serde_json::{Value, json};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

/// Generous: every case finishes in milliseconds unless it loops.
const CASE_TIMEOUT: Duration = Duration::from_secs(20);

/// The page a scripted server answers with for one key (SCIM: the `startIndex` or `cursor`
/// sent; Okta: the `after` sent, `""` for none). Key `"*"` answers any key not scripted.
#[derive(Clone, Debug)]
struct P {
    key: &'static str,
    ids: &'static [&'static str],
    /// SCIM: `nextCursor`. Okta: the `rel="next"` target; `{after}` is replaced with the
    /// `after` of the request and `{origin}` with the server's own origin.
    next: Option<&'static str>,
    /// SCIM `totalResults`.
    total: Option<u64>,
    /// Answer 500 to the first this many requests for this key.
    fail_first: u32,
    /// SCIM: send resources without `id`.
    no_ids: bool,
}

fn p(key: &'static str, ids: &'static [&'static str]) -> P {
    P {
        key,
        ids,
        next: None,
        total: None,
        fail_first: 0,
        no_ids: false,
    }
}

impl P {
    fn next(mut self, next: &'static str) -> Self {
        self.next = Some(next);
        self
    }
    fn total(mut self, total: u64) -> Self {
        self.total = Some(total);
        self
    }
    fn fail_first(mut self, times: u32) -> Self {
        self.fail_first = times;
        self
    }
    fn no_ids(mut self) -> Self {
        self.no_ids = true;
        self
    }
}

/// What a case expects to go wrong.
#[derive(Clone, Copy, Debug)]
enum Want {
    PageLimit(u64),
    Status(u16),
    ForeignLink,
}

impl Want {
    fn matches(self, err: &Error) -> bool {
        match self {
            Want::PageLimit(n) => matches!(err, Error::PageLimit { pages } if *pages == n),
            Want::Status(s) => err.status().map(|s| s.as_u16()) == Some(s),
            Want::ForeignLink => {
                matches!(err, Error::Decode { message, .. } if message.contains("another origin"))
            }
        }
    }
}

/// Where a SCIM listing starts.
#[derive(Clone, Copy, Debug)]
enum Start {
    Index,
    Cursor(&'static str),
}

struct Case {
    name: &'static str,
    start: Start,
    pages: Vec<P>,
    max_pages: Option<u64>,
    /// Stop after this many items and drop the stream.
    take: Option<usize>,
    /// After the first stream ends, resume from its `cursor()` and read on.
    resume: bool,
    /// Every item read, resumed stream included.
    items: &'static [&'static str],
    /// The key of every request the server saw, in order.
    requests: &'static [&'static str],
    /// Errors yielded, in order.
    errors: &'static [Want],
    /// `ended()` of the first stream.
    end: Option<PagingEnd>,
}

fn case(name: &'static str, pages: Vec<P>) -> Case {
    Case {
        name,
        start: Start::Index,
        pages,
        max_pages: None,
        take: None,
        resume: false,
        items: &[],
        requests: &[],
        errors: &[],
        end: None,
    }
}

impl Case {
    fn cursor(mut self, first: &'static str) -> Self {
        self.start = Start::Cursor(first);
        self
    }
    fn max_pages(mut self, pages: u64) -> Self {
        self.max_pages = Some(pages);
        self
    }
    fn take(mut self, n: usize) -> Self {
        self.take = Some(n);
        self
    }
    fn resume(mut self) -> Self {
        self.resume = true;
        self
    }
    fn expect(
        mut self,
        items: &'static [&'static str],
        requests: &'static [&'static str],
        end: Option<PagingEnd>,
    ) -> Self {
        self.items = items;
        self.requests = requests;
        self.end = end;
        self
    }
    fn errors(mut self, errors: &'static [Want]) -> Self {
        self.errors = errors;
        self
    }
}

/// Answers each request with the scripted page for its key.
struct Script {
    pages: Vec<P>,
    key_of: fn(&Request) -> String,
    render: fn(&P, &str, &str) -> ResponseTemplate,
    hits: Mutex<HashMap<String, u32>>,
    /// The server's own origin (`MockServer::uri`).
    origin: String,
}

impl Respond for Script {
    fn respond(&self, request: &Request) -> ResponseTemplate {
        let key = (self.key_of)(request);
        let Some(page) = self
            .pages
            .iter()
            .find(|p| p.key == key)
            .or_else(|| self.pages.iter().find(|p| p.key == "*"))
        else {
            return ResponseTemplate::new(404);
        };
        let hits = {
            let mut hits = self.hits.lock().unwrap();
            let n = hits.entry(key.clone()).or_default();
            *n += 1;
            *n
        };
        if hits <= page.fail_first {
            return ResponseTemplate::new(500);
        }
        (self.render)(page, &key, &self.origin)
    }
}

fn query(request: &Request, name: &str) -> Option<String> {
    request
        .url
        .query_pairs()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.into_owned())
}

async fn requests(server: &MockServer, key_of: fn(&Request) -> String) -> Vec<String> {
    // Let anything a dropped stream might still have started reach the server first.
    for _ in 0..10 {
        tokio::task::yield_now().await;
    }
    server
        .received_requests()
        .await
        .unwrap()
        .iter()
        .map(key_of)
        .collect()
}

fn no_retries() -> Transport {
    Transport::builder()
        .retry(RetryPolicy::never())
        .build()
        .unwrap()
}

struct Outcome {
    items: Vec<String>,
    errors: Vec<Error>,
    end: Option<PagingEnd>,
}

/// Reads a stream until it ends or `take` items were read.
async fn read<S, T>(stream: &mut S, take: Option<usize>, id: fn(T) -> String, out: &mut Outcome)
where
    S: futures_core::Stream<Item = scimkit::Result<T>> + Unpin,
{
    while take.is_none_or(|n| out.items.len() < n) {
        match stream.next().await {
            None => break,
            Some(Ok(item)) => out.items.push(id(item)),
            Some(Err(e)) => out.errors.push(e),
        }
    }
}

fn check(case: &Case, out: &Outcome, seen: &[String]) {
    let name = case.name;
    assert_eq!(out.items, case.items, "{name}: items ({:?})", out.errors);
    assert_eq!(seen, case.requests, "{name}: requests");
    assert_eq!(out.end, case.end, "{name}: end");
    assert_eq!(
        out.errors.len(),
        case.errors.len(),
        "{name}: errors {:?}",
        out.errors
    );
    for (err, want) in out.errors.iter().zip(case.errors) {
        assert!(want.matches(err), "{name}: expected {want:?}, got {err:?}");
    }
}

// ---------------------------------------------------------------------------------------
// SCIM

fn scim_key(request: &Request) -> String {
    query(request, "cursor")
        .or_else(|| query(request, "startIndex"))
        .unwrap_or_default()
}

fn scim_page(page: &P, key: &str, _origin: &str) -> ResponseTemplate {
    let resources: Vec<Value> = page
        .ids
        .iter()
        .map(|id| {
            if page.no_ids {
                json!({"userName": id})
            } else {
                json!({"id": id, "userName": format!("user-{id}")})
            }
        })
        .collect();
    let mut body = json!({
        "schemas": ["urn:ietf:params:scim:api:messages:2.0:ListResponse"],
        "Resources": resources,
    });
    if let Some(total) = page.total {
        body["totalResults"] = json!(total);
    }
    if let Some(next) = page.next {
        body["nextCursor"] = json!(next.replace("{key}", key));
    }
    ResponseTemplate::new(200).set_body_raw(body.to_string(), "application/scim+json")
}

fn scim_cases() -> Vec<Case> {
    use PagingEnd::*;
    vec![
        case(
            "index paging advances by what was returned, stops at totalResults",
            vec![
                p("1", &["a", "b"]).total(5),
                p("3", &["c", "d"]).total(5),
                p("5", &["e"]).total(5),
            ],
        )
        .expect(&["a", "b", "c", "d", "e"], &["1", "3", "5"], Some(LastPage)),
        case("cursor self-loop", vec![p("A", &["a"]).next("A")])
            .cursor("A")
            .expect(&["a"], &["A"], Some(Cycle)),
        case(
            "cursor cycle A→B→A",
            vec![p("A", &["a"]).next("B"), p("B", &["b"]).next("A")],
        )
        .cursor("A")
        .expect(&["a", "b"], &["A", "B"], Some(Cycle)),
        case(
            "cursor cycle A→B→C→B",
            vec![
                p("A", &["a"]).next("B"),
                p("B", &["b"]).next("C"),
                p("C", &["c"]).next("B"),
            ],
        )
        .cursor("A")
        .expect(&["a", "b", "c"], &["A", "B", "C"], Some(Cycle)),
        case(
            "a nextCursor that repeats the page's own cursor",
            vec![p("", &["a"]).next("B"), p("B", &["b"]).next("B")],
        )
        .cursor("")
        .expect(&["a", "b"], &["", "B"], Some(Cycle)),
        case(
            "cursor ignored, a fresh nextCursor every time",
            vec![p("*", &["a", "b"]).next("{key}x")],
        )
        .cursor("")
        .expect(&["a", "b"], &["", "x"], Some(RepeatedPage)),
        case(
            "totalResults lying (larger) and startIndex ignored",
            vec![p("*", &["a", "b"]).total(1_000_000)],
        )
        .expect(&["a", "b"], &["1", "3"], Some(RepeatedPage)),
        case(
            "totalResults at u64::MAX and startIndex ignored",
            vec![p("*", &["a", "b"]).total(u64::MAX)],
        )
        .expect(&["a", "b"], &["1", "3"], Some(RepeatedPage)),
        case(
            "totalResults missing and startIndex ignored",
            vec![p("*", &["a", "b"])],
        )
        .expect(&["a", "b"], &["1", "3"], Some(RepeatedPage)),
        case(
            "startIndex ignored, same resources in another order",
            vec![p("1", &["a", "b"]), p("*", &["b", "a"])],
        )
        .expect(&["a", "b"], &["1", "3"], Some(RepeatedPage)),
        case(
            "totalResults lying (larger), startIndex honoured: ends at the empty page",
            vec![
                p("1", &["a", "b"]).total(1_000),
                p("3", &["c"]).total(1_000),
                p("4", &[]).total(1_000),
            ],
        )
        .expect(&["a", "b", "c"], &["1", "3", "4"], Some(EmptyPage)),
        case(
            "an empty page with a nextCursor ends the listing",
            vec![p("A", &["a"]).next("B"), p("B", &[]).next("C")],
        )
        .cursor("A")
        .expect(&["a"], &["A", "B"], Some(EmptyPage)),
        case("an empty first page", vec![p("1", &[]).total(0)]).expect(
            &[],
            &["1"],
            Some(EmptyPage),
        ),
        case(
            "resources without id and startIndex ignored: bounded by the page cap",
            vec![p("*", &["a"]).no_ids()],
        )
        .max_pages(3)
        .expect(&["a", "a", "a"], &["1", "2", "3"], Some(PageLimit))
        .errors(&[Want::PageLimit(3)]),
        case(
            "the page cap yields one error; resume from cursor() reads the rest",
            vec![
                p("1", &["a"]).total(3),
                p("2", &["b"]).total(3),
                p("3", &["c"]).total(3),
            ],
        )
        .max_pages(2)
        .resume()
        .expect(&["a", "b", "c"], &["1", "2", "3"], Some(PageLimit))
        .errors(&[Want::PageLimit(2)]),
        case(
            "an error mid-stream, then resume from cursor() (index)",
            vec![
                p("1", &["a", "b"]).total(4),
                p("3", &["c", "d"]).total(4).fail_first(1),
            ],
        )
        .resume()
        .expect(
            &["a", "b", "c", "d"],
            &["1", "3", "3"],
            Some(PagingEnd::Error),
        )
        .errors(&[Want::Status(500)]),
        case(
            "an error mid-stream, then resume from cursor() (cursor)",
            vec![
                p("A", &["a"]).next("B"),
                p("B", &["b"]).next("C").fail_first(1),
                p("C", &["c"]),
            ],
        )
        .cursor("A")
        .resume()
        .expect(
            &["a", "b", "c"],
            &["A", "B", "B", "C"],
            Some(PagingEnd::Error),
        )
        .errors(&[Want::Status(500)]),
        case(
            "resume mid-page after dropping: cursor paging skips what was read",
            vec![p("A", &["a", "b", "c"]).next("B"), p("B", &["d"])],
        )
        .cursor("A")
        .take(2)
        .resume()
        .expect(&["a", "b", "c", "d"], &["A", "A", "B"], None),
        case(
            "a nextCursor naming another origin is only a cursor for this server",
            vec![
                p("A", &["a"]).next("https://other.example/v2/Users?cursor=B"),
                p("https://other.example/v2/Users?cursor=B", &["b"]),
            ],
        )
        .cursor("A")
        .expect(
            &["a", "b"],
            &["A", "https://other.example/v2/Users?cursor=B"],
            Some(LastPage),
        ),
        case(
            "dropping the stream mid-page fetches nothing more",
            vec![p("1", &["a", "b"]).total(4), p("3", &["c", "d"]).total(4)],
        )
        .take(1)
        .expect(&["a"], &["1"], None),
    ]
}

async fn run_scim(case: &Case, transport: &Transport) -> (Outcome, Vec<String>) {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/v2/Users"))
        .respond_with(Script {
            pages: case.pages.clone(),
            key_of: scim_key,
            render: scim_page,
            hits: Mutex::default(),
            origin: server.uri(),
        })
        .mount(&server)
        .await;
    let scim = ScimClient::builder()
        .base_url(format!("{}/v2", server.uri()))
        .auth(BearerToken::new("tok".to_string()))
        .transport(transport.clone())
        .build()
        .unwrap();
    let list = || {
        let list = scim.users().list();
        let list = match case.start {
            Start::Index => list,
            Start::Cursor(first) => list.cursor(first),
        };
        match case.max_pages {
            Some(n) => list.max_pages(n),
            None => list,
        }
    };
    let id = |u: scimkit::scim::User| u.id.unwrap_or(u.user_name);
    let mut out = Outcome {
        items: Vec::new(),
        errors: Vec::new(),
        end: None,
    };
    let mut stream = list().stream();
    read(&mut stream, case.take, id, &mut out).await;
    out.end = stream.ended();
    let position = stream.cursor();
    drop(stream);
    if case.resume {
        let mut rest = list().resume(&position);
        read(&mut rest, None, id, &mut out).await;
    }
    let seen = requests(&server, scim_key).await;
    (out, seen)
}

#[tokio::test]
async fn scim_paging_table() {
    // One transport for the table: building one loads the platform's root certificates.
    let transport = no_retries();
    for case in scim_cases() {
        let (out, seen) = tokio::time::timeout(CASE_TIMEOUT, run_scim(&case, &transport))
            .await
            .unwrap_or_else(|_| panic!("{}: paging did not end", case.name));
        check(&case, &out, &seen);
    }
}

// ---------------------------------------------------------------------------------------
// Okta

const GROUPS: &str = "/api/v1/groups";

fn okta_key(request: &Request) -> String {
    query(request, "after").unwrap_or_default()
}

fn okta_page(page: &P, key: &str, origin: &str) -> ResponseTemplate {
    let groups: Vec<Value> = page
        .ids
        .iter()
        .map(|id| json!({"id": id, "profile": {"name": format!("group {id}")}}))
        .collect();
    let mut response = ResponseTemplate::new(200).set_body_json(groups);
    if let Some(next) = page.next {
        let target = next.replace("{after}", key).replace("{origin}", origin);
        response = response.append_header("link", format!("<{target}>; rel=\"next\""));
    }
    response
}

fn okta_cases() -> Vec<Case> {
    use PagingEnd::*;
    vec![
        case(
            "relative next links resolve against the page URL",
            vec![
                p("", &["g1", "g2"]).next("groups?after=B"),
                p("B", &["g3"]).next("/api/v1/groups?after=C"),
                p("C", &["g4"]),
            ],
        )
        .expect(&["g1", "g2", "g3", "g4"], &["", "B", "C"], Some(LastPage)),
        case("self-loop", vec![p("", &["g1"]).next("/api/v1/groups")]).expect(
            &["g1"],
            &[""],
            Some(Cycle),
        ),
        case(
            "cycle A→B→A",
            vec![
                p("", &["g1"]).next("?after=B"),
                p("B", &["g2"]).next("{origin}/api/v1/groups"),
            ],
        )
        .expect(&["g1", "g2"], &["", "B"], Some(Cycle)),
        case(
            "cycle A→B→C→B",
            vec![
                p("", &["g1"]).next("?after=B"),
                p("B", &["g2"]).next("?after=C"),
                p("C", &["g3"]).next("?after=B"),
            ],
        )
        .expect(&["g1", "g2", "g3"], &["", "B", "C"], Some(Cycle)),
        case(
            "after ignored, a fresh cursor every time",
            vec![p("*", &["g1", "g2"]).next("?after={after}x")],
        )
        .expect(&["g1", "g2"], &["", "x"], Some(RepeatedPage)),
        case(
            "after ignored, same items in another order",
            vec![
                p("", &["g1", "g2"]).next("?after=B"),
                p("*", &["g2", "g1"]).next("?after={after}x"),
            ],
        )
        .expect(&["g1", "g2"], &["", "B"], Some(RepeatedPage)),
        case(
            "a cursor that repeats under another URL",
            vec![
                p("", &["g1"]).next("?after=B&limit=1"),
                p("B", &["g2"]).next("?limit=1&after=B"),
            ],
        )
        .expect(&["g1", "g2"], &["", "B", "B"], Some(RepeatedPage)),
        case(
            "an empty page with a next link ends the listing",
            vec![
                p("", &["g1"]).next("?after=B"),
                p("B", &[]).next("?after=C"),
            ],
        )
        .expect(&["g1"], &["", "B"], Some(EmptyPage)),
        case(
            "the page cap yields one error; resume from cursor() reads the rest",
            vec![
                p("", &["g1"]).next("?after=B"),
                p("B", &["g2"]).next("?after=C"),
                p("C", &["g3"]),
            ],
        )
        .max_pages(2)
        .resume()
        .expect(&["g1", "g2", "g3"], &["", "B", "C"], Some(PageLimit))
        .errors(&[Want::PageLimit(2)]),
        case(
            "an error mid-stream, then resume from cursor()",
            vec![
                p("", &["g1"]).next("?after=B"),
                p("B", &["g2"]).next("?after=C").fail_first(1),
                p("C", &["g3"]),
            ],
        )
        .resume()
        .expect(
            &["g1", "g2", "g3"],
            &["", "B", "B", "C"],
            Some(PagingEnd::Error),
        )
        .errors(&[Want::Status(500)]),
        case(
            "resume mid-page is at-least-once: the page is read again",
            vec![
                p("", &["g1"]).next("?after=B"),
                p("B", &["g2", "g3"]).next("?after=C"),
                p("C", &["g4"]),
            ],
        )
        .take(2)
        .resume()
        .expect(&["g1", "g2", "g2", "g3", "g4"], &["", "B", "B", "C"], None),
        case(
            "a next link to another origin is refused",
            vec![p("", &["g1"]).next("https://other.example/api/v1/groups?after=B")],
        )
        .expect(&[], &[""], Some(PagingEnd::Error))
        .errors(&[Want::ForeignLink]),
        case(
            "dropping the stream mid-page fetches nothing more",
            vec![p("", &["g1", "g2"]).next("?after=B"), p("B", &["g3"])],
        )
        .take(1)
        .expect(&["g1"], &[""], None),
    ]
}

async fn run_okta(case: &Case, transport: &Transport) -> (Outcome, Vec<String>) {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path(GROUPS))
        .respond_with(Script {
            pages: case.pages.clone(),
            key_of: okta_key,
            render: okta_page,
            hits: Mutex::default(),
            origin: server.uri(),
        })
        .mount(&server)
        .await;
    let okta = OktaClient::builder()
        .org(server.uri())
        .unwrap()
        .api_token("tok".to_string())
        .transport(transport.clone())
        .build()
        .unwrap();
    let list = |after: Option<String>| {
        let list = okta.groups().list();
        let list = match after {
            Some(after) => list.after(after),
            None => list,
        };
        match case.max_pages {
            Some(n) => list.max_pages(n),
            None => list,
        }
    };
    let id = |g: scimkit::okta::Group| g.id;
    let mut out = Outcome {
        items: Vec::new(),
        errors: Vec::new(),
        end: None,
    };
    let mut stream = list(None).stream();
    read(&mut stream, case.take, id, &mut out).await;
    out.end = stream.ended();
    let cursor = stream.cursor();
    drop(stream);
    if case.resume {
        let mut rest = list(cursor).stream();
        read(&mut rest, None, id, &mut out).await;
    }
    let seen = requests(&server, okta_key).await;
    (out, seen)
}

#[tokio::test]
async fn okta_paging_table() {
    // One transport for the table: building one loads the platform's root certificates.
    let transport = no_retries();
    for case in okta_cases() {
        let (out, seen) = tokio::time::timeout(CASE_TIMEOUT, run_okta(&case, &transport))
            .await
            .unwrap_or_else(|_| panic!("{}: paging did not end", case.name));
        check(&case, &out, &seen);
    }
}

// ---------------------------------------------------------------------------------------
// Both

/// A server that accepts one connection, reads the request and never answers; it reports
/// when the request arrived, then finishes when the client closes the connection.
async fn silent_server() -> (
    String,
    tokio::sync::oneshot::Receiver<()>,
    tokio::task::JoinHandle<()>,
) {
    use tokio::io::AsyncReadExt;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let uri = format!("http://{}", listener.local_addr().unwrap());
    let (arrived, arrival) = tokio::sync::oneshot::channel();
    let task = tokio::spawn(async move {
        let (mut socket, _) = listener.accept().await.unwrap();
        let mut buf = vec![0u8; 8192];
        let n = socket.read(&mut buf).await.unwrap();
        assert!(n > 0);
        let _ = arrived.send(());
        // EOF (or a reset) means the client gave the request up.
        while let Ok(n) = socket.read(&mut buf).await {
            if n == 0 {
                break;
            }
        }
    });
    (uri, arrival, task)
}

/// Polls `stream` until its first request reached the server, drops it, and waits for the
/// server to see the connection closed: the request in flight was cancelled.
async fn drop_cancels<S: futures_core::Stream + Unpin>(
    mut stream: S,
    arrival: tokio::sync::oneshot::Receiver<()>,
    server: tokio::task::JoinHandle<()>,
) {
    let run = async move {
        tokio::select! {
            _ = stream.next() => panic!("the silent server answered"),
            arrived = arrival => arrived.unwrap(),
        }
        drop(stream);
        server.await.unwrap();
    };
    tokio::time::timeout(CASE_TIMEOUT, run)
        .await
        .expect("the request in flight was not cancelled when the stream was dropped");
}

#[tokio::test]
async fn dropping_an_okta_stream_cancels_the_request_in_flight() {
    let (uri, arrival, server) = silent_server().await;
    let okta = OktaClient::builder()
        .org(uri)
        .unwrap()
        .api_token("tok".to_string())
        .transport(no_retries())
        .build()
        .unwrap();
    drop_cancels(okta.groups().list().stream(), arrival, server).await;
}

#[tokio::test]
async fn dropping_a_scim_stream_cancels_the_request_in_flight() {
    let (uri, arrival, server) = silent_server().await;
    let scim = ScimClient::builder()
        .base_url(format!("{uri}/v2"))
        .auth(BearerToken::new("tok".to_string()))
        .transport(no_retries())
        .build()
        .unwrap();
    drop_cancels(scim.users().list().stream(), arrival, server).await;
}

#[tokio::test]
async fn an_okta_stream_tells_where_it_stands() {
    let server = MockServer::start().await;
    let pages = vec![
        p("", &["g1", "g2"]).next("?after=B&limit=2"),
        p("B", &["g3"]),
    ];
    Mock::given(method("GET"))
        .and(path(GROUPS))
        .respond_with(Script {
            pages,
            key_of: okta_key,
            render: okta_page,
            hits: Mutex::default(),
            origin: server.uri(),
        })
        .mount(&server)
        .await;
    let okta = OktaClient::builder()
        .org(server.uri())
        .unwrap()
        .api_token("tok".to_string())
        .transport(no_retries())
        .build()
        .unwrap();
    let mut stream = okta.groups().list().stream();
    let first = format!("{}{GROUPS}", server.uri());
    assert_eq!(stream.next_page_url().map(|u| u.path()), Some(GROUPS));
    assert_eq!(stream.size_hint(), (0, None));
    assert_eq!(stream.next().await.unwrap().unwrap().id, "g1");
    // (next page, pages fetched, buffered, why it ended)
    let next = stream.next_page_url().unwrap();
    assert_eq!(next.as_str(), format!("{first}?after=B&limit=2"));
    assert_eq!(stream.pages_fetched(), 1);
    assert_eq!(stream.size_hint(), (1, None));
    assert_eq!(stream.ended(), None);
    // Mid-page the cursor is the page being read (the first: none).
    assert_eq!(stream.cursor(), None);
    let shown = format!("{stream:?}");
    for part in [
        "buffered: 1",
        &format!("next: Some(\"{first}\")"),
        "pages: 1",
        "ended: None",
    ] {
        assert!(shown.contains(part), "{part} missing from {shown}");
    }
    assert!(!shown.contains("after=B"), "{shown}");
    assert_eq!(stream.next().await.unwrap().unwrap().id, "g2");
    // Page used up: the cursor is the next page's `after`.
    assert_eq!(stream.cursor().as_deref(), Some("B"));
    assert_eq!(stream.next().await.unwrap().unwrap().id, "g3");
    assert!(stream.next().await.is_none());
    assert_eq!(stream.next_page_url(), None);
    assert_eq!(stream.pages_fetched(), 2);
    assert_eq!(stream.ended(), Some(PagingEnd::LastPage));
    assert_eq!(stream.size_hint(), (0, Some(0)));
    assert_eq!(stream.cursor(), None, "finished");
}

#[tokio::test]
async fn a_scim_stream_tells_where_it_stands() {
    use scimkit::scim::StreamPosition;
    let server = MockServer::start().await;
    let pages = vec![
        p("1", &["a", "b"]).total(3),
        p("3", &["c"]).total(3),
        p("", &["x"]).next("B"),
        p("B", &["y"]),
    ];
    Mock::given(method("GET"))
        .and(path("/v2/Users"))
        .respond_with(Script {
            pages,
            key_of: scim_key,
            render: scim_page,
            hits: Mutex::default(),
            origin: server.uri(),
        })
        .mount(&server)
        .await;
    let scim = ScimClient::builder()
        .base_url(format!("{}/v2", server.uri()))
        .auth(BearerToken::new("tok".to_string()))
        .transport(no_retries())
        .build()
        .unwrap();
    let index = |start_index| StreamPosition::Index { start_index };

    let mut stream = scim.users().list().stream();
    assert_eq!(stream.cursor(), index(1));
    assert_eq!(stream.size_hint(), (0, None));
    assert_eq!(stream.total_results(), None);
    assert_eq!(stream.next().await.unwrap().unwrap().user_name, "user-a");
    assert_eq!(stream.total_results(), Some(3));
    assert_eq!(stream.pages_fetched(), 1);
    assert_eq!(stream.ended(), None);
    assert_eq!(stream.size_hint(), (1, None));
    assert_eq!(stream.cursor(), index(2));
    #[allow(deprecated)]
    let position = stream.position();
    assert_eq!(position, index(2));
    let shown = format!("{stream:?}");
    for part in ["ResourceStream", "buffered: 1", "pages: 1", "ended: None"] {
        assert!(shown.contains(part), "{part} missing from {shown}");
    }
    let rest: Vec<String> = stream
        .by_ref()
        .map(|u| u.unwrap().user_name)
        .collect()
        .await;
    assert_eq!(rest, ["user-b", "user-c"]);
    assert_eq!(stream.pages_fetched(), 2);
    assert_eq!(stream.ended(), Some(PagingEnd::LastPage));
    assert_eq!(stream.size_hint(), (0, Some(0)));
    assert_eq!(stream.cursor(), index(4), "just past the last resource");

    // Cursor paging: the first page has no cursor; then the page's and how many were read.
    let cursor = |cursor: Option<&str>, skip| StreamPosition::Cursor {
        cursor: cursor.map(str::to_owned),
        skip,
    };
    let mut stream = scim.users().list().cursor("").stream();
    assert_eq!(stream.cursor(), cursor(None, 0));
    assert_eq!(stream.next().await.unwrap().unwrap().user_name, "user-x");
    assert_eq!(stream.cursor(), cursor(Some("B"), 0));
    assert_eq!(stream.next().await.unwrap().unwrap().user_name, "user-y");
    assert!(stream.next().await.is_none());
    assert_eq!(stream.cursor(), cursor(Some("B"), 1));
    assert_eq!(stream.total_results(), None);
}
