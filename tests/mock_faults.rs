//! Aimed faults and request records, the same on all three mocks, checked on the wire.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::{ErrorKind, Read, Write};
use std::net::TcpStream;
use std::time::Duration;

use http::Method;
use scimkit::mock::{Fault, Faults, OktaOrg, RecordedRequest, ScimServer, TokenServer};

/// One of the three mocks, with a request that writes and one that reads.
enum Mock {
    Token(TokenServer),
    Scim(ScimServer),
    Okta(OktaOrg),
}

impl Mock {
    async fn all() -> Vec<Mock> {
        vec![
            Mock::Token(TokenServer::builder().client("svc", "s3cret").start().await),
            Mock::Scim(ScimServer::builder().bearer_token("tok").start().await),
            Mock::Okta(OktaOrg::start().await),
        ]
    }

    fn name(&self) -> &'static str {
        match self {
            Mock::Token(_) => "token",
            Mock::Scim(_) => "scim",
            Mock::Okta(_) => "okta",
        }
    }

    fn faults(&self) -> &Faults {
        match self {
            Mock::Token(m) => m.faults(),
            Mock::Scim(m) => m.faults(),
            Mock::Okta(m) => m.faults(),
        }
    }

    fn requests(&self) -> Vec<RecordedRequest> {
        match self {
            Mock::Token(m) => m.requests(),
            Mock::Scim(m) => m.requests(),
            Mock::Okta(m) => m.requests(),
        }
    }

    fn request_count(&self) -> usize {
        match self {
            Mock::Token(m) => m.request_count(),
            Mock::Scim(m) => m.request_count(),
            Mock::Okta(m) => m.request_count(),
        }
    }

    fn reset(&self) {
        match self {
            Mock::Token(m) => m.reset(),
            Mock::Scim(m) => m.reset(),
            Mock::Okta(m) => m.reset(),
        }
    }

    /// The path a write goes to, as a fault rule names it.
    fn write_path(&self) -> &'static str {
        match self {
            Mock::Token(_) => "/oauth2/token",
            Mock::Scim(_) => "/Users",
            Mock::Okta(_) => "/api/v1/users",
        }
    }

    /// How many things the writes created (tokens, users).
    fn written(&self) -> usize {
        match self {
            Mock::Token(m) => m.grants().len(),
            Mock::Scim(m) => m.user_count(),
            Mock::Okta(m) => m.user_count(),
        }
    }

    /// A raw HTTP/1.1 write request (`n` makes each one distinct).
    fn write_request(&self, n: usize) -> (std::net::SocketAddr, String) {
        let (addr, path, auth, content_type, body) = match self {
            Mock::Token(m) => (
                m.address(),
                "/oauth2/token".to_owned(),
                "Basic c3ZjOnMzY3JldA==".to_owned(),
                "application/x-www-form-urlencoded",
                "grant_type=client_credentials".to_owned(),
            ),
            Mock::Scim(m) => (
                m.address(),
                "/scim/v2/Users".to_owned(),
                "Bearer tok".to_owned(),
                "application/scim+json",
                format!(
                    r#"{{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"u{n}"}}"#
                ),
            ),
            Mock::Okta(m) => (
                m.address(),
                "/api/v1/users".to_owned(),
                format!("SSWS {}", m.api_token()),
                "application/json",
                format!(
                    r#"{{"profile":{{"login":"u{n}@example.com","email":"u{n}@example.com","firstName":"U","lastName":"{n}"}}}}"#
                ),
            ),
        };
        let request = format!(
            "POST {path} HTTP/1.1\r\nHost: {addr}\r\nAuthorization: {auth}\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
            body.len()
        );
        (addr, request)
    }
}

/// What came back on a raw connection.
#[derive(Debug)]
enum Wire {
    /// Bytes, then a clean end of stream.
    Closed(Vec<u8>),
    /// The connection was reset.
    Reset,
}

fn send_raw(addr: std::net::SocketAddr, request: &str) -> Wire {
    let mut stream = TcpStream::connect(addr).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    stream.write_all(request.as_bytes()).unwrap();
    let mut received = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        match stream.read(&mut buf) {
            Ok(0) => return Wire::Closed(received),
            Ok(n) => received.extend_from_slice(&buf[..n]),
            Err(e) if e.kind() == ErrorKind::ConnectionReset => return Wire::Reset,
            Err(e) => panic!("unexpected read error {e:?}"),
        }
    }
}

fn status_of(bytes: &[u8]) -> Option<u16> {
    let text = String::from_utf8_lossy(bytes);
    text.split(' ').nth(1)?.parse().ok()
}

fn content_length_and_body(bytes: &[u8]) -> (usize, usize) {
    let text = String::from_utf8_lossy(bytes);
    let (head, body) = text
        .split_once("\r\n\r\n")
        .unwrap_or_else(|| panic!("{text:?}"));
    let length = head
        .lines()
        .find_map(|l| {
            let (k, v) = l.split_once(':')?;
            k.eq_ignore_ascii_case("content-length")
                .then(|| v.trim().parse::<usize>().unwrap())
        })
        .unwrap();
    (length, body.len())
}

#[tokio::test]
async fn every_fault_kind_on_every_mock_reaches_the_wire_and_the_record() {
    // (fault, processed?, what the client sees)
    type Seen = fn(&Wire) -> bool;
    let cases: Vec<(Fault, bool, Seen)> = vec![
        (
            Fault::Status(503),
            false,
            |w| matches!(w, Wire::Closed(b) if status_of(b) == Some(503)),
        ),
        (
            Fault::RateLimited {
                retry_after: Duration::from_secs(7),
            },
            false,
            |w| {
                matches!(w, Wire::Closed(b) if status_of(b) == Some(429)
                    && String::from_utf8_lossy(b).to_ascii_lowercase().contains("retry-after: 7"))
            },
        ),
        (
            Fault::Html,
            false,
            |w| matches!(w, Wire::Closed(b) if String::from_utf8_lossy(b).contains("<html>")),
        ),
        (
            Fault::MalformedJson,
            false,
            |w| matches!(w, Wire::Closed(b) if String::from_utf8_lossy(b).ends_with(r#"{"access_token": "tr"#)),
        ),
        (
            Fault::DropConnection,
            false,
            |w| matches!(w, Wire::Closed(b) if b.is_empty()),
        ),
        (Fault::Reset, false, |w| matches!(w, Wire::Reset)),
        (
            Fault::DropAfterProcessing,
            true,
            |w| matches!(w, Wire::Closed(b) if b.is_empty()),
        ),
        (Fault::TruncatedBody, true, |w| match w {
            Wire::Closed(b) => {
                let (length, got) = content_length_and_body(b);
                got < length
            }
            Wire::Reset => false,
        }),
        (
            Fault::Delay(Duration::from_millis(1)),
            true,
            |w| matches!(w, Wire::Closed(b) if status_of(b).is_some_and(|s| s < 300)),
        ),
    ];
    for mock in Mock::all().await {
        for (n, (fault, processed, seen)) in cases.iter().enumerate() {
            mock.reset();
            let before = mock.written();
            let armed = mock
                .faults()
                .on(Method::POST, mock.write_path())
                .times(1)
                .respond(fault.clone());
            let (addr, request) = mock.write_request(n);
            let wire = tokio::task::spawn_blocking(move || send_raw(addr, &request))
                .await
                .unwrap();
            let what = format!("{} / {fault:?}: {wire:?}", mock.name());
            assert!(seen(&wire), "{what}");
            assert_eq!(armed.hits(), 1, "{what}");
            assert!(!armed.is_armed(), "{what}");
            assert_eq!(mock.written() - before, usize::from(*processed), "{what}");
            let records = mock.requests();
            assert_eq!(records.len(), 1, "{what}");
            assert_eq!(records[0].fault.as_ref(), Some(fault), "{what}");
            let answered = !matches!(
                fault,
                Fault::DropConnection | Fault::DropAfterProcessing | Fault::Reset
            );
            assert_eq!(records[0].status.is_some(), answered, "{what}");
            assert_eq!(mock.request_count(), 1, "{what}");
        }
    }
}

#[tokio::test]
async fn an_aimed_fault_hits_only_its_target() {
    let server = ScimServer::start().await;
    let scim = server.client();
    let armed = server
        .faults()
        .on(Method::POST, "/Users")
        .times(1)
        .respond(Fault::Status(503));
    // A GET is not aimed at: it goes through.
    scim.users().list().send().await.unwrap();
    assert_eq!(armed.hits(), 0);
    // The POST is retried? No: a write is never repeated after a 503; the caller sees it.
    let err = scim
        .users()
        .create(&scimkit::scim::User::new("ada"))
        .await
        .unwrap_err();
    assert_eq!(err.status().map(|s| s.as_u16()), Some(503));
    assert_eq!(armed.hits(), 1);
    // Spent: the next POST succeeds.
    scim.users()
        .create(&scimkit::scim::User::new("ada"))
        .await
        .unwrap();
    let statuses: Vec<(String, Option<u16>, bool)> = server
        .requests()
        .iter()
        .map(|r| (r.method.to_string(), r.status, r.fault.is_some()))
        .collect();
    assert_eq!(
        statuses,
        [
            ("GET".into(), Some(200), false),
            ("POST".into(), Some(503), true),
            ("POST".into(), Some(201), false),
        ]
    );
}

#[tokio::test]
async fn predicates_and_patterns_narrow_a_rule() {
    let org = OktaOrg::start().await;
    let ids = org.seed_sample_users(3);
    let okta = org.client();
    org.faults()
        .on(Method::GET, "/api/v1/users/*")
        .matching({
            let target = ids[1].clone();
            move |r| r.path.ends_with(&target)
        })
        .respond(OktaOrg::error_fault(404));
    okta.users().get(&ids[0]).await.unwrap();
    let err = okta.users().get(&ids[1]).await.unwrap_err();
    assert_eq!(err.status().map(|s| s.as_u16()), Some(404));
    okta.users().get(&ids[2]).await.unwrap();
    // Unlimited: it keeps hitting until cleared.
    assert!(okta.users().get(&ids[1]).await.is_err());
    org.faults().clear();
    okta.users().get(&ids[1]).await.unwrap();
}

#[tokio::test]
async fn records_are_bounded_and_counted_the_same_on_every_mock() {
    let token = TokenServer::builder()
        .client("svc", "s")
        .max_records(2)
        .start()
        .await;
    let scim = ScimServer::builder().max_records(2).start().await;
    let okta = OktaOrg::builder().max_records(2).start().await;
    let creds = token.client_credentials("svc", "s");
    let scim_client = scim.client();
    let okta_client = okta.client();
    for _ in 0..5 {
        creds.invalidate();
        creds.token().await.unwrap();
        scim_client.users().list().send().await.unwrap();
        okta_client.users().list().send().await.unwrap();
    }
    let kept = [
        token.requests().iter().map(|r| r.seq).collect::<Vec<_>>(),
        scim.requests().iter().map(|r| r.seq).collect(),
        okta.requests().iter().map(|r| r.seq).collect(),
    ];
    for seqs in kept {
        assert_eq!(seqs, [4, 5], "the newest two are kept");
    }
    assert_eq!(token.request_count(), 5);
    assert_eq!(scim.request_count(), 5);
    assert_eq!(okta.request_count(), 5);
    assert_eq!(token.grants().len(), 2, "grants are bounded too");
    okta.reset();
    assert_eq!(okta.request_count(), 0);
    assert!(okta.requests().is_empty());
}

#[tokio::test]
async fn records_never_show_credentials() {
    let token = TokenServer::builder().client("svc", "s3cret").start().await;
    token
        .client_credentials("svc", "s3cret")
        .token()
        .await
        .unwrap();
    let form = scimkit::ClientCredentials::builder()
        .token_url(token.token_url())
        .client_id("svc")
        .client_secret(scimkit::SecretString::from("s3cret".to_owned()))
        .client_auth(scimkit::ClientAuth::RequestBody)
        .build()
        .unwrap();
    form.token().await.unwrap();
    let org = OktaOrg::start().await;
    org.client().users().list().send().await.unwrap();
    let mut shown = format!("{:?}", token.requests());
    shown.push_str(&format!("{:?}", org.requests()));
    for r in token.requests().iter().chain(org.requests().iter()) {
        shown.push_str(&r.text());
        shown.push_str(r.header("authorization").unwrap_or_default());
    }
    assert!(!shown.contains("s3cret"), "{shown}");
    assert!(!shown.contains(&org.api_token()), "{shown}");
    assert!(!shown.contains("c3ZjOnMzY3JldA"), "{shown}");
}
