//! Malformed answers from a hostile server, as a table: for each, the typed error (or the
//! documented tolerance) a caller gets, how many requests the server saw, and proof that
//! nothing panicked, nothing hung and no secret reached an error.
//!
//! Every case runs against its own [`hostile::Hostile`] server (raw TCP on 127.0.0.1:0)
//! through a transport with a short timeout, two retries and a [`ManualClock`] (back-offs and
//! `Retry-After` waits take no time), under `tokio::time::timeout`.
//!
//! The request count is how the table proves the idempotency rule: a POST answered by a
//! reset is seen once (`OutcomeUnknown { idempotent: false }`), a GET answered by a reset and
//! then a 200 succeeds after two.
//!
//! The paging table (cycles and lying paging fields) and the table of secrets from the
//! request body echoed back are at the end.

#[path = "support/hostile.rs"]
mod hostile;

use std::sync::Arc;
use std::time::Duration;

use base64::Engine;
use futures_util::TryStreamExt;
use hostile::{Answer, Hostile, Received, Reply, Responder, refused_uri};
use scimkit::auth::{ClientAuth, ClientCredentials};
use scimkit::okta::{CreateUser, DefaultProfile, OktaClient};
use scimkit::scim::{Patch, ScimClient, ScimErrorKind, User};
use scimkit::transport::MAX_SERVER_WAIT;
use scimkit::{BearerToken, Clock, Error, ManualClock, RetryPolicy, Transport};
use serde_json::{Value, json};

// The secrets every request carries; none may appear in any error.
const CLIENT_ID: &str = "hostile-client";
const CLIENT_SECRET: &str = "cs-Hunter2-Secret-0001";
const BEARER: &str = "scim-Bearer-Secret-0002";
const SSWS: &str = "okta-SSWS-Secret-0003";
const PASSWORD: &str = "pw-Correct-Horse-0004";
/// The access token the hostile token endpoint issues.
const ISSUED: &str = "at-Issued-Token-0005";

fn basic_credential() -> String {
    base64::engine::general_purpose::STANDARD.encode(format!("{CLIENT_ID}:{CLIENT_SECRET}"))
}

fn secrets() -> Vec<String> {
    vec![
        CLIENT_SECRET.into(),
        BEARER.into(),
        SSWS.into(),
        PASSWORD.into(),
        ISSUED.into(),
        basic_credential(),
    ]
}

/// Per attempt; a `Hang` costs this once per attempt.
const ATTEMPT_TIMEOUT: Duration = Duration::from_millis(1500);
/// A whole case, retries included: past this it "hung".
const CASE_LIMIT: Duration = Duration::from_secs(20);
/// The largest body accepted in these tests.
const MAX_BODY: usize = 64 * 1024;

fn transport(clock: &ManualClock) -> Transport {
    Transport::builder()
        .timeout(ATTEMPT_TIMEOUT)
        .connect_timeout(Duration::from_secs(2))
        .retry(
            RetryPolicy::default()
                .max_retries(2)
                .initial_backoff(Duration::from_millis(10))
                .jitter(false),
        )
        .max_response_bytes(MAX_BODY)
        .clock(clock.clone())
        // One connection per request, so the server's count is the request count.
        .configure_reqwest(|b| b.pool_max_idle_per_host(0))
        .build()
        .expect("transport")
}

/// What a case calls.
#[derive(Debug, Clone, Copy)]
enum Call {
    /// `ClientCredentials::token()` with a Basic header.
    TokenBasic,
    /// `ClientCredentials::token()` with the secret in the form body.
    TokenBody,
    /// `ClientCredentials::token()` with a Basic header and DPoP on.
    TokenDpop,
    /// `scim.users().get("u1")`.
    ScimGet,
    /// `scim.users().create(alice with a password)`.
    ScimCreate,
    /// `scim.users().patch("u1", replace active)`.
    ScimPatch,
    /// `scim.users().list().send()`: one page.
    ScimList,
    /// `scim.users().list().count(2).stream()`: every page.
    ScimStream,
    /// `scim.users().list().cursor("A").stream()`: cursor paging from cursor `A`.
    ScimCursorStream,
    /// `okta.users().get("00u1")`.
    OktaGet,
    /// `okta.users().create(ada with a password)`.
    OktaCreate,
    /// `okta.users().list().limit(2).send()`: one page.
    OktaList,
    /// `okta.users().list().limit(2).stream()`: every page.
    OktaStream,
    /// The same until it fails, then again from its `cursor()` with `.after(cursor)`.
    OktaStreamResume,
    /// `scim.users().get("u1")` with `ClientCredentials` from `{uri}/oauth2/token`.
    ScimGetOAuth,
}

/// Where the case's answers come from.
enum Script {
    /// In order, the last one forever.
    Seq(Vec<Answer>),
    /// Chosen per request.
    Route(Responder),
    /// Chosen per request, knowing a decoy server on another origin that must never be
    /// reached.
    Decoy(fn(&str) -> Responder),
    /// Nothing listens: the connection is refused.
    Refused,
}

/// What the caller must get.
enum Expect {
    /// Success, summarised (see [`call`]).
    Ok(&'static str),
    /// This error (the pattern, as text, and its matcher).
    Err(&'static str, fn(&Error) -> bool),
}

macro_rules! err {
    ($($pattern:tt)+) => {
        Expect::Err(stringify!($($pattern)+), |e: &Error| matches!(e, $($pattern)+))
    };
}

/// A check of the requests a server read.
type Check = fn(&[Received]) -> bool;

struct Case {
    name: &'static str,
    call: Call,
    script: Script,
    expect: Expect,
    /// Requests the server must have read.
    requests: usize,
    /// What the requests the server read must show, said in words.
    seen: Option<(&'static str, Check)>,
}

impl Case {
    /// Nothing listens where this case sends: the connection is refused.
    fn refused(mut self) -> Self {
        self.script = Script::Refused;
        self
    }

    /// The requests the server read must pass `check`.
    fn seen(mut self, what: &'static str, check: Check) -> Self {
        self.seen = Some((what, check));
        self
    }
}

fn case(
    name: &'static str,
    call: Call,
    answers: Vec<Answer>,
    expect: Expect,
    requests: usize,
) -> Case {
    Case {
        name,
        call,
        script: Script::Seq(answers),
        expect,
        requests,
        seen: None,
    }
}

fn routed(
    name: &'static str,
    call: Call,
    responder: impl Fn(&Received, usize) -> Answer + Send + Sync + 'static,
    expect: Expect,
    requests: usize,
) -> Case {
    Case {
        name,
        call,
        script: Script::Route(Arc::new(responder)),
        expect,
        requests,
        seen: None,
    }
}

// ---------------------------------------------------------------------------------------
// Calls

fn scim_client(uri: &str, transport: Transport) -> scimkit::Result<ScimClient> {
    ScimClient::builder()
        .base_url(format!("{uri}/scim/v2"))
        .auth(BearerToken::new(BEARER.to_string()))
        .transport(transport)
        .build()
}

fn okta_client(uri: &str, transport: Transport) -> scimkit::Result<OktaClient> {
    OktaClient::builder()
        .org(uri)?
        .api_token(SSWS.to_string())
        .transport(transport)
        .build()
}

/// Makes the call; a success is summarised as text the table compares.
async fn call(call: Call, uri: String, clock: ManualClock) -> scimkit::Result<String> {
    let transport = transport(&clock);
    match call {
        Call::TokenBasic | Call::TokenBody | Call::TokenDpop => {
            let auth = match call {
                Call::TokenBody => ClientAuth::RequestBody,
                _ => ClientAuth::BasicHeader,
            };
            let creds = ClientCredentials::builder()
                .token_url(format!("{uri}/oauth2/token"))
                .client_id(CLIENT_ID)
                .client_secret(CLIENT_SECRET.to_string())
                .client_auth(auth)
                .scope("scim")
                .dpop(matches!(call, Call::TokenDpop))
                .transport(transport)
                .build()?;
            let issued = clock.now();
            let token = creds.token().await?;
            let lifetime = token.expires_at().saturating_duration_since(issued);
            Ok(format!("{} {}s", token.token_type(), lifetime.as_secs()))
        }
        Call::ScimGet => Ok(scim_client(&uri, transport)?
            .users()
            .get("u1")
            .await?
            .user_name),
        Call::ScimCreate => Ok(scim_client(&uri, transport)?
            .users()
            .create(&User::new("alice").password(PASSWORD.to_string()))
            .await?
            .user_name),
        Call::ScimPatch => Ok(scim_client(&uri, transport)?
            .users()
            .patch("u1", &Patch::new().replace("active", false))
            .await?
            .map_or_else(|| "none".to_owned(), |u| u.user_name)),
        Call::ScimList => {
            let page = scim_client(&uri, transport)?.users().list().send().await?;
            Ok(format!(
                "{} of {:?}",
                page.resources.len(),
                page.total_results
            ))
        }
        Call::ScimStream | Call::ScimCursorStream => {
            let list = scim_client(&uri, transport)?.users().list().count(2);
            let list = match call {
                Call::ScimCursorStream => list.cursor("A"),
                _ => list,
            };
            let mut stream = list.stream();
            let mut ids = Vec::new();
            while let Some(user) = stream.try_next().await? {
                ids.push(user.id.unwrap_or_default());
            }
            Ok(format!(
                "{} ({} pages)",
                ids.join(","),
                stream.pages_fetched()
            ))
        }
        Call::OktaGet => Ok(okta_client(&uri, transport)?
            .users()
            .get("00u1")
            .await?
            .profile
            .login),
        Call::OktaCreate => {
            let user = CreateUser::new(DefaultProfile::new("ada@example.com", "Ada", "Lovelace"))
                .password(PASSWORD.to_string());
            Ok(okta_client(&uri, transport)?
                .users()
                .create(&user)
                .await?
                .profile
                .login)
        }
        Call::OktaList => {
            let page = okta_client(&uri, transport)?
                .users()
                .list()
                .limit(2)
                .send()
                .await?;
            Ok(format!("{} after {:?}", page.items.len(), page.after()))
        }
        Call::OktaStream => {
            let mut stream = okta_client(&uri, transport)?
                .users()
                .list()
                .limit(2)
                .stream();
            let mut ids = Vec::new();
            while let Some(user) = stream.try_next().await? {
                ids.push(user.id);
            }
            Ok(format!(
                "{} ({} pages, cursor {:?})",
                ids.join(","),
                stream.pages_fetched(),
                stream.cursor()
            ))
        }
        Call::OktaStreamResume => {
            let okta = okta_client(&uri, transport)?;
            let mut stream = okta.users().list().limit(2).stream();
            let mut ids = Vec::new();
            let failed = loop {
                match stream.try_next().await {
                    Ok(Some(user)) => ids.push(user.id),
                    Ok(None) => break None,
                    Err(e) => break Some(e),
                }
            };
            let Some(failed) = failed else {
                return Ok(format!("{} (never failed)", ids.join(",")));
            };
            let cursor = stream.cursor();
            let mut list = okta.users().list().limit(2);
            if let Some(after) = &cursor {
                list = list.after(after);
            }
            let rest: Vec<String> = list.all().await?.into_iter().map(|u| u.id).collect();
            Ok(format!(
                "{} | {} | resumed after {cursor:?}: {}",
                ids.join(","),
                match failed {
                    Error::Okta(e) => e.error_code,
                    other => format!("{other:?}"),
                },
                rest.join(",")
            ))
        }
        Call::ScimGetOAuth => {
            let creds = ClientCredentials::builder()
                .token_url(format!("{uri}/oauth2/token"))
                .client_id(CLIENT_ID)
                .client_secret(CLIENT_SECRET.to_string())
                .transport(transport.clone())
                .build()?;
            let scim = ScimClient::builder()
                .base_url(format!("{uri}/scim/v2"))
                .auth(creds)
                .transport(transport)
                .build()?;
            Ok(scim.users().get("u1").await?.user_name)
        }
    }
}

// ---------------------------------------------------------------------------------------
// Running a table

/// Runs one case; `Err` says what went wrong.
async fn run(case: Case) -> Result<String, String> {
    let decoy = Hostile::start(vec![Reply::json(200, json!([])).into()]).await;
    let server = match case.script {
        Script::Seq(answers) => Some(Hostile::start(answers).await),
        Script::Route(responder) => Some(Hostile::with(responder).await),
        Script::Decoy(make) => Some(Hostile::with(make(&decoy.uri())).await),
        Script::Refused => None,
    };
    let uri = match &server {
        Some(server) => server.uri(),
        None => refused_uri().await,
    };
    let clock = ManualClock::new();
    let mut handle = tokio::spawn(call(case.call, uri, clock));
    let result = match tokio::time::timeout(CASE_LIMIT, &mut handle).await {
        Err(_) => {
            handle.abort();
            return Err(format!("hung for {CASE_LIMIT:?}"));
        }
        Ok(Err(join)) if join.is_panic() => return Err(format!("panicked: {join}")),
        Ok(Err(join)) => return Err(format!("task failed: {join}")),
        Ok(Ok(result)) => result,
    };
    let mut problems = Vec::new();
    let shown = match &result {
        Ok(summary) => format!("Ok({summary})"),
        Err(e) => format!("Err({e}) / {e:?}"),
    };
    for secret in secrets() {
        if shown.contains(&secret) {
            problems.push(format!("shows the secret {secret:?}"));
        }
    }
    match (&case.expect, &result) {
        (Expect::Ok(want), Ok(got)) if want == got => {}
        (Expect::Err(_, matcher), Err(e)) if matcher(e) => {}
        (Expect::Ok(want), _) => problems.push(format!("expected Ok({want})")),
        (Expect::Err(pattern, _), _) => problems.push(format!("expected {pattern}")),
    }
    let seen = server.as_ref().map_or(0, Hostile::request_count);
    if seen != case.requests {
        problems.push(format!(
            "the server saw {seen} requests, expected {}",
            case.requests
        ));
    }
    if let (Some((what, check)), Some(server)) = (case.seen, &server)
        && !check(&server.requests())
    {
        problems.push(format!("the requests do not show that {what}"));
    }
    if decoy.request_count() != 0 {
        problems.push(format!(
            "the decoy on another origin got {} requests",
            decoy.request_count()
        ));
    }
    if problems.is_empty() {
        Ok(format!("{shown:.160} [{seen} requests]"))
    } else {
        Err(format!("{}; got {shown:.600}", problems.join("; ")))
    }
}

/// Runs a table, prints every outcome, and fails listing every case that did not hold.
async fn run_table(table: &str, cases: Vec<Case>) {
    let total = cases.len();
    let mut failures = Vec::new();
    for case in cases {
        let name = case.name;
        let call = case.call;
        match run(case).await {
            Ok(outcome) => println!("[{table}] ok   {name} ({call:?}): {outcome}"),
            Err(problem) => {
                println!("[{table}] FAIL {name} ({call:?}): {problem}");
                failures.push(format!("{name} ({call:?}): {problem}"));
            }
        }
    }
    println!("[{table}] {} of {total} cases hold", total - failures.len());
    assert!(
        failures.is_empty(),
        "{} of {total} {table} cases failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

// ---------------------------------------------------------------------------------------
// Answers

fn token_body(access_token: Value, token_type: Value, expires_in: Value) -> Value {
    json!({"access_token": access_token, "token_type": token_type, "expires_in": expires_in})
}

fn token(expires_in: Value) -> Answer {
    Reply::json(200, token_body(json!(ISSUED), json!("Bearer"), expires_in)).into()
}

fn token_ok() -> Answer {
    token(json!(3600))
}

fn scim_user(id: &str, user_name: &str) -> Value {
    json!({
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
        "id": id,
        "userName": user_name,
        "meta": {"resourceType": "User", "version": "W/\"1\""}
    })
}

fn alice() -> Answer {
    Reply::scim(200, scim_user("u1", "alice")).into()
}

fn alice_created() -> Answer {
    Reply::scim(201, scim_user("u1", "alice")).into()
}

fn scim_error(status: u16, scim_type: Option<&str>, detail: &str) -> Reply {
    let mut body = json!({
        "schemas": ["urn:ietf:params:scim:api:messages:2.0:Error"],
        "status": status.to_string(),
        "detail": detail,
    });
    if let Some(t) = scim_type {
        body["scimType"] = json!(t);
    }
    Reply::scim(status, body)
}

fn scim_page(ids: &[&str], total: Option<u64>, next_cursor: Option<&str>) -> Reply {
    let resources: Vec<Value> = ids.iter().map(|id| scim_user(id, id)).collect();
    let mut body = json!({
        "schemas": ["urn:ietf:params:scim:api:messages:2.0:ListResponse"],
        "itemsPerPage": ids.len(),
        "startIndex": 1,
        "Resources": resources,
    });
    if let Some(total) = total {
        body["totalResults"] = json!(total);
    }
    if let Some(cursor) = next_cursor {
        body["nextCursor"] = json!(cursor);
    }
    Reply::scim(200, body)
}

fn okta_user(id: &str, login: &str) -> Value {
    json!({
        "id": id,
        "status": "ACTIVE",
        "created": "2024-01-01T00:00:00.000Z",
        "profile": {"login": login, "email": login, "firstName": "Ada", "lastName": "Lovelace"},
        "_links": {"self": {"href": format!("https://org/api/v1/users/{id}")}}
    })
}

fn ada() -> Answer {
    Reply::json(200, okta_user("00u1", "ada@example.com")).into()
}

fn okta_error(status: u16, code: &str, summary: &str) -> Reply {
    Reply::json(
        status,
        json!({"errorCode": code, "errorSummary": summary, "errorLink": code,
               "errorId": "oae1", "errorCauses": []}),
    )
}

fn okta_page(ids: &[&str], next: Option<&str>) -> Reply {
    let users: Vec<Value> = ids
        .iter()
        .map(|id| okta_user(id, &format!("{id}@example.com")))
        .collect();
    let reply = Reply::json(200, Value::Array(users));
    match next {
        Some(next) => reply.header("Link", format!("<{next}>; rel=\"next\"")),
        None => reply,
    }
}

fn html(status: u16) -> Reply {
    Reply::typed(status, "text/html", "<html><body>Sign in</body></html>")
}

fn cut(reply: Reply) -> Answer {
    Answer::Cut {
        reply,
        declared: 10_000,
    }
}

fn drip_slow(reply: Reply) -> Answer {
    // Far longer than one attempt's timeout.
    Answer::Drip {
        reply,
        every: Duration::from_millis(200),
    }
}

fn drip_fast(reply: Reply) -> Answer {
    // A slow server, within the timeout.
    Answer::Drip {
        reply: reply.body(r#"{"userName": "alice", "id": "u1"}"#),
        every: Duration::from_millis(2),
    }
}

fn garbage() -> Answer {
    Answer::Raw(b"\x16\x03\x01 this is not HTTP at all\r\n\r\n".to_vec())
}

fn many_headers(reply: Reply, n: usize) -> Answer {
    let mut reply = reply;
    for i in 0..n {
        reply = reply.header(&format!("X-Junk-{i}"), "x");
    }
    reply.into()
}

fn huge_header(reply: Reply) -> Answer {
    reply.header("X-Huge", "h".repeat(1 << 20)).into()
}

fn far_future_date() -> &'static str {
    "Fri, 31 Dec 9999 23:59:59 GMT"
}

const SERVER_DATE: &str = "Tue, 01 Jan 2030 00:00:00 GMT";
/// `SERVER_DATE` + 5 s, in epoch seconds.
const RESET_SOON: &str = "1893456005";

// ---------------------------------------------------------------------------------------
// The token endpoint

fn token_cases() -> Vec<Case> {
    use Call::{TokenBasic as B, TokenBody};
    let u64_max = u64::MAX.to_string();
    vec![
        case(
            "well-formed token",
            B,
            vec![token_ok()],
            Expect::Ok("Bearer 3600s"),
            1,
        ),
        case(
            "expires_in as a numeric string",
            B,
            vec![token(json!("3600"))],
            Expect::Ok("Bearer 3600s"),
            1,
        ),
        case(
            "expires_in negative: used once",
            B,
            vec![token(json!(-5))],
            Expect::Ok("Bearer 1s"),
            1,
        ),
        case(
            "expires_in huge: capped at a day",
            B,
            vec![token(json!(1e300))],
            Expect::Ok("Bearer 86400s"),
            1,
        ),
        case(
            "expires_in u64::MAX: capped",
            B,
            vec![token(json!(u64::MAX))],
            Expect::Ok("Bearer 86400s"),
            1,
        ),
        case(
            "expires_in \"inf\": capped",
            B,
            vec![token(json!("inf"))],
            Expect::Ok("Bearer 86400s"),
            1,
        ),
        case(
            "expires_in null: the default lifetime",
            B,
            vec![token(Value::Null)],
            Expect::Ok("Bearer 300s"),
            1,
        ),
        case(
            "expires_in \"NaN\"",
            B,
            vec![token(json!("NaN"))],
            err!(Error::Decode { .. }),
            1,
        ),
        case(
            "expires_in a word",
            B,
            vec![token(json!("soon"))],
            err!(Error::Decode { .. }),
            1,
        ),
        case(
            "expires_in a bool",
            B,
            vec![token(json!(true))],
            err!(Error::Decode { .. }),
            1,
        ),
        case(
            "expires_in NaN literal (not JSON)",
            B,
            vec![
                Reply::typed(
                    200,
                    "application/json",
                    format!(
                        r#"{{"access_token":"{ISSUED}","token_type":"Bearer","expires_in":NaN}}"#
                    ),
                )
                .into(),
            ],
            err!(Error::Decode { .. }),
            1,
        ),
        case(
            "expires_in 1e400 (out of f64 range)",
            B,
            vec![
                Reply::typed(
                    200,
                    "application/json",
                    format!(
                        r#"{{"access_token":"{ISSUED}","token_type":"Bearer","expires_in":1e400}}"#
                    ),
                )
                .into(),
            ],
            err!(Error::Decode { .. }),
            1,
        ),
        case(
            "empty access_token",
            B,
            vec![Reply::json(200, token_body(json!(""), json!("Bearer"), json!(3600))).into()],
            err!(Error::Decode { .. }),
            1,
        ),
        case(
            "whitespace access_token",
            B,
            vec![Reply::json(200, token_body(json!(" \t "), json!("Bearer"), json!(3600))).into()],
            err!(Error::Decode { .. }),
            1,
        ),
        case(
            "access_token a number",
            B,
            vec![Reply::json(200, token_body(json!(42), json!("Bearer"), json!(3600))).into()],
            err!(Error::Decode { .. }),
            1,
        ),
        case(
            "access_token missing",
            B,
            vec![Reply::json(200, json!({"token_type": "Bearer"})).into()],
            err!(Error::Decode { .. }),
            1,
        ),
        case(
            "token_type missing",
            B,
            vec![Reply::json(200, json!({"access_token": ISSUED})).into()],
            err!(Error::Decode { .. }),
            1,
        ),
        case(
            "token_type mac",
            B,
            vec![Reply::json(200, token_body(json!(ISSUED), json!("mac"), json!(3600))).into()],
            err!(Error::UnsupportedTokenType { .. }),
            1,
        ),
        case(
            "token_type echoes the Basic credential",
            B,
            vec![
                Reply::json(
                    200,
                    token_body(json!(ISSUED), json!("{{CRED}}"), json!(3600)),
                )
                .into(),
            ],
            err!(Error::UnsupportedTokenType { .. }),
            1,
        ),
        case(
            "HTML behind 200",
            B,
            vec![html(200).into()],
            err!(Error::Decode { .. }),
            1,
        ),
        case(
            "JSON labelled text/html",
            B,
            vec![
                Reply::typed(
                    200,
                    "text/html",
                    token_body(json!(ISSUED), json!("Bearer"), json!(60)).to_string(),
                )
                .into(),
            ],
            err!(Error::Decode { .. }),
            1,
        ),
        case(
            "JSON labelled text/plain (tolerated)",
            B,
            vec![
                Reply::typed(
                    200,
                    "text/plain",
                    token_body(json!(ISSUED), json!("Bearer"), json!(60)).to_string(),
                )
                .into(),
            ],
            Expect::Ok("Bearer 60s"),
            1,
        ),
        case(
            "UTF-8 BOM before the JSON (tolerated)",
            B,
            vec![
                Reply::typed(
                    200,
                    "application/json",
                    format!(
                        "\u{feff}{}",
                        token_body(json!(ISSUED), json!("bearer"), json!(60))
                    ),
                )
                .into(),
            ],
            Expect::Ok("Bearer 60s"),
            1,
        ),
        case(
            "truncated JSON with the token in it",
            B,
            vec![
                Reply::typed(
                    200,
                    "application/json",
                    format!(r#"{{"token_type":"Bearer","access_token":"{ISSUED}","exp"#),
                )
                .into(),
            ],
            err!(Error::Decode { .. }),
            1,
        ),
        case(
            "a JSON array",
            B,
            vec![
                Reply::json(
                    200,
                    json!([token_body(json!(ISSUED), json!("Bearer"), json!(1))]),
                )
                .into(),
            ],
            err!(Error::Decode { .. }),
            1,
        ),
        case(
            "an empty 200",
            B,
            vec![Reply::typed(200, "application/json", "").into()],
            err!(Error::Decode { .. }),
            1,
        ),
        case(
            "200 carrying an OAuth error",
            B,
            vec![
                Reply::json(
                    200,
                    json!({"error": "invalid_client", "error_description": "no"}),
                )
                .into(),
            ],
            err!(Error::OAuth(e) if e.error == "invalid_client" && e.status == Some(http::StatusCode::OK)),
            1,
        ),
        case(
            "400 echoing the whole request (Basic credential)",
            B,
            vec![
                Reply::json(
                    400,
                    json!({"error": "invalid_client", "error_description": "got {{REQUEST_JSON}}"}),
                )
                .into(),
            ],
            err!(Error::OAuth(e) if e.error == "invalid_client"),
            1,
        ),
        case(
            "400 with a 60 KB error_description: cut to 1 KiB",
            B,
            vec![
                Reply::json(
                    400,
                    json!({"error": "invalid_request", "error_description": "d".repeat(60_000)}),
                )
                .into(),
            ],
            err!(Error::OAuth(e) if e.error_description.as_ref().is_some_and(|d| d.len() <= 1100)),
            1,
        ),
        case(
            "400 whose error is not a string",
            B,
            vec![Reply::json(400, json!({"error": {"nested": true}})).into()],
            err!(Error::Http(h) if h.status == 400),
            1,
        ),
        case(
            "401 invalid_client forever",
            B,
            vec![Reply::json(401, json!({"error": "invalid_client"})).into()],
            err!(Error::OAuth(e) if e.status == Some(http::StatusCode::UNAUTHORIZED)),
            1,
        ),
        case(
            "401 with no body forever",
            B,
            vec![Reply::status(401).into()],
            err!(Error::Http(h) if h.status == 401),
            1,
        ),
        case(
            "invalid_dpop_proof forever: DPoP switched on once, then the error",
            B,
            vec![Reply::json(400, json!({"error": "invalid_dpop_proof"})).into()],
            err!(Error::OAuth(e) if e.error == "invalid_dpop_proof"),
            2,
        ),
        case(
            "302 to a URL whose query carries the secret",
            B,
            vec![
                Reply::status(302)
                    .header(
                        "Location",
                        format!("https://evil.example/cb?client_secret={CLIENT_SECRET}"),
                    )
                    .into(),
            ],
            err!(Error::Redirect { status, location: Some(_), .. } if status.as_u16() == 302),
            1,
        ),
        case(
            "307 to a path echoing the credential",
            B,
            vec![
                Reply::status(307)
                    .header("Location", "/steal/{{CRED}}")
                    .into(),
            ],
            err!(Error::Redirect { status, .. } if status.as_u16() == 307),
            1,
        ),
        case(
            "500, then a token",
            B,
            vec![html(500).into(), token_ok()],
            Expect::Ok("Bearer 3600s"),
            2,
        ),
        case(
            "503 forever",
            B,
            vec![html(503).into()],
            err!(Error::Http(h) if h.status == 503),
            3,
        ),
        case(
            "429 Retry-After u64::MAX: not waited for",
            B,
            vec![Reply::status(429).header("Retry-After", &u64_max).into()],
            err!(Error::Http(h) if h.status == 429 && h.retry_after == Some(MAX_SERVER_WAIT)),
            1,
        ),
        case(
            "429 Retry-After 0, then a token",
            B,
            vec![
                Reply::status(429).header("Retry-After", "0").into(),
                token_ok(),
            ],
            Expect::Ok("Bearer 3600s"),
            2,
        ),
        case(
            "reset, then a token (a token request is safe to resend)",
            B,
            vec![Answer::Reset, token_ok()],
            Expect::Ok("Bearer 3600s"),
            2,
        )
        .seen(
            "both attempts carry one Basic header and the same form",
            |r| {
                r.iter().all(|q| {
                    q.header("authorization")
                        .is_some_and(|a| a.starts_with("Basic "))
                        && q.body == r[0].body
                })
            },
        ),
        case(
            "reset forever",
            B,
            vec![Answer::Reset],
            err!(Error::OutcomeUnknown {
                idempotent: true,
                ..
            }),
            3,
        ),
        case(
            "closed without an answer forever",
            B,
            vec![Answer::Close],
            err!(Error::OutcomeUnknown {
                idempotent: true,
                ..
            }),
            3,
        ),
        case(
            "garbage instead of HTTP",
            B,
            vec![garbage()],
            err!(Error::OutcomeUnknown {
                idempotent: true,
                ..
            }),
            3,
        ),
        case(
            "body cut mid-way forever",
            B,
            vec![cut(Reply::json(
                200,
                token_body(json!(ISSUED), json!("Bearer"), json!(60)),
            ))],
            err!(Error::BodyInterrupted { idempotent: true, status, .. } if status.as_u16() == 200),
            3,
        ),
        case(
            "body cut, then a token",
            TokenBody,
            vec![cut(Reply::json(200, json!({"a": 1}))), token_ok()],
            Expect::Ok("Bearer 3600s"),
            2,
        )
        .seen(
            "each attempt carries the client secret once, in the body, and no Authorization",
            |r| {
                r.iter().all(|q| {
                    String::from_utf8_lossy(&q.body)
                        .matches("client_secret=")
                        .count()
                        == 1
                        && q.header("authorization").is_none()
                })
            },
        ),
        case(
            "endless chunked body",
            B,
            vec![Answer::Endless(
                Reply::status(200).header("Content-Type", "application/json"),
            )],
            err!(Error::BodyTooLarge { .. }),
            1,
        ),
        case(
            "huge declared Content-Length",
            B,
            vec![
                Reply::status(200)
                    .header("Content-Length", "1099511627776")
                    .body("{}")
                    .into(),
            ],
            err!(Error::BodyTooLarge { .. }),
            1,
        ),
        case(
            "never answers",
            B,
            vec![Answer::Hang],
            err!(Error::Timeout { .. }),
            3,
        ),
        case(
            "dripped past the timeout",
            B,
            vec![drip_slow(Reply::json(
                200,
                token_body(json!(ISSUED), json!("Bearer"), json!(60)),
            ))],
            err!(Error::Timeout { .. }),
            3,
        ),
        case(
            "X-Rate-Limit-Reset beyond SystemTime on the 200",
            B,
            vec![
                Reply::json(200, token_body(json!(ISSUED), json!("Bearer"), json!(3600)))
                    .header("X-Rate-Limit-Reset", &u64_max)
                    .header("Date", "yesterday-ish")
                    .into(),
            ],
            Expect::Ok("Bearer 3600s"),
            1,
        ),
        case(
            "status 600",
            B,
            vec![Reply::status(600).into()],
            err!(Error::Http(h) if h.status.as_u16() == 600),
            1,
        ),
        case(
            "request id echoing the credential",
            B,
            vec![
                Reply::json(400, json!({"error": "invalid_grant"}))
                    .header("X-Request-Id", "{{CRED}}")
                    .into(),
            ],
            err!(Error::OAuth(e) if e.error == "invalid_grant"),
            1,
        ),
        case(
            "DPoP: a DPoP token",
            Call::TokenDpop,
            vec![Reply::json(200, token_body(json!(ISSUED), json!("DPoP"), json!(600))).into()],
            Expect::Ok("DPoP 600s"),
            1,
        )
        .seen("the request carries a DPoP proof", |r| {
            r[0].header("dpop").is_some()
        }),
        case(
            "DPoP: use_dpop_nonce forever: two fresh proofs, then the error",
            Call::TokenDpop,
            vec![
                Reply::json(400, json!({"error": "use_dpop_nonce"}))
                    .header("DPoP-Nonce", "n-1")
                    .into(),
            ],
            err!(Error::OAuth(e) if e.error == "use_dpop_nonce"),
            3,
        )
        .seen("every attempt carries a new proof", |r| {
            let proofs: std::collections::HashSet<_> =
                r.iter().filter_map(|q| q.header("dpop")).collect();
            proofs.len() == 3
        }),
        case(
            "DPoP: a 60 KB DPoP-Nonce is not taken",
            Call::TokenDpop,
            vec![
                Reply::json(400, json!({"error": "use_dpop_nonce"}))
                    .header("DPoP-Nonce", "n".repeat(60_000))
                    .into(),
            ],
            err!(Error::OAuth(e) if e.error == "use_dpop_nonce"),
            3,
        )
        .seen("no proof grew to hold it", |r| {
            r.iter()
                .all(|q| q.header("dpop").is_some_and(|p| p.len() < 4096))
        }),
        case(
            "DPoP: a DPoP-Nonce that is not UTF-8 is not taken",
            Call::TokenDpop,
            vec![
                Reply::json(400, json!({"error": "use_dpop_nonce"}))
                    .header("DPoP-Nonce", b"\xff\xfe".as_slice())
                    .into(),
                Reply::json(200, token_body(json!(ISSUED), json!("DPoP"), json!(60))).into(),
            ],
            Expect::Ok("DPoP 60s"),
            2,
        ),
        case(
            "refused connection (body client auth)",
            TokenBody,
            vec![],
            err!(Error::Connect { .. }),
            0,
        )
        .refused(),
    ]
}

// ---------------------------------------------------------------------------------------
// SCIM

fn scim_cases() -> Vec<Case> {
    use Call::{ScimCreate as C, ScimGet as G, ScimList as L, ScimPatch as P, ScimStream as S};
    let u64_max = u64::MAX.to_string();
    vec![
        // get: bodies
        case("get: well-formed", G, vec![alice()], Expect::Ok("alice"), 1),
        case("get: application/json (tolerated)", G, vec![Reply::json(200, scim_user("u1", "alice")).into()], Expect::Ok("alice"), 1),
        case("get: no content type (tolerated)", G, vec![Reply::status(200).body(scim_user("u1", "alice").to_string()).into()], Expect::Ok("alice"), 1),
        case("get: BOM (tolerated)", G, vec![Reply::typed(200, "application/scim+json", format!("\u{feff}{}", scim_user("u1", "alice"))).into()], Expect::Ok("alice"), 1),
        case("get: active \"True\" (tolerated)", G, vec![Reply::scim(200, json!({"id": "u1", "userName": "alice", "active": "True"})).into()], Expect::Ok("alice"), 1),
        case("get: HTML behind 200", G, vec![html(200).into()], err!(Error::Decode { .. }), 1),
        case("get: JSON labelled text/html", G, vec![Reply::typed(200, "text/html", scim_user("u1", "alice").to_string()).into()], err!(Error::Decode { .. }), 1),
        case("get: JSON labelled application/xml", G, vec![Reply::typed(200, "application/xml", scim_user("u1", "alice").to_string()).into()], err!(Error::Decode { .. }), 1),
        case("get: truncated JSON", G, vec![Reply::typed(200, "application/scim+json", r#"{"id":"u1","userName":"ali"#).into()], err!(Error::Decode { .. }), 1),
        case("get: userName a number", G, vec![Reply::scim(200, json!({"id": "u1", "userName": 5})).into()], err!(Error::Decode { message, .. } if message.contains("userName")), 1),
        case("get: emails an object", G, vec![Reply::scim(200, json!({"id": "u1", "userName": "a", "emails": {"value": "x"}})).into()], err!(Error::Decode { .. }), 1),
        case("get: 30,000 nested arrays in an extension", G, vec![Reply::typed(200, "application/scim+json", format!(r#"{{"userName":"a","x":{}{}}}"#, "[".repeat(30_000), "]".repeat(30_000))).into()], err!(Error::Decode { message, .. } if message.contains("recursion")), 1),
        case("get: body not UTF-8", G, vec![Reply::typed(200, "application/scim+json", b"{\"userName\":\"\xff\xfe\"}".to_vec()).into()], err!(Error::Decode { .. }), 1),
        case("get: Content-Encoding gzip, body garbage", G, vec![Reply::typed(200, "application/scim+json", b"\x1f\x8b\x08garbage".to_vec()).header("Content-Encoding", "gzip").into()], err!(Error::Decode { .. }), 1),
        case("get: bad chunk size mid-body", G, vec![Answer::Raw(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\n{\"use\r\nzz\r\n".to_vec())], err!(Error::BodyInterrupted { idempotent: true, .. }), 3),
        case("get: Content-Length and chunked both (tolerated as chunked)", G, vec![Answer::Raw(format!("HTTP/1.1 200 OK\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\nContent-Type: application/scim+json\r\n\r\n{:x}\r\n{}\r\n0\r\n\r\n", scim_user("u1", "alice").to_string().len(), scim_user("u1", "alice")).into_bytes())], Expect::Ok("alice"), 1),
        case("get: more body than Content-Length (the rest ignored)", G, vec![Answer::Raw(format!("HTTP/1.1 200 OK\r\nContent-Length: {}\r\nContent-Type: application/scim+json\r\n\r\n{}GARBAGE", scim_user("u1", "alice").to_string().len(), scim_user("u1", "alice")).into_bytes())], Expect::Ok("alice"), 1),
        case("get: empty 200", G, vec![Reply::typed(200, "application/scim+json", "").into()], err!(Error::Decode { .. }), 1),
        case("get: HTTP/1.0 body until close (tolerated)", G, vec![Answer::Raw(format!("HTTP/1.0 200 OK\r\nContent-Type: application/scim+json\r\n\r\n{}", scim_user("u1", "alice")).into_bytes())], Expect::Ok("alice"), 1),
        // get: statuses
        case("get: 404 SCIM error", G, vec![scim_error(404, None, "Resource u1 not found").into()], err!(Error::Scim(e) if e.is_not_found() && e.detail.is_some()), 1),
        case("get: 404 HTML", G, vec![html(404).into()], err!(Error::Scim(e) if e.is_not_found() && e.detail.is_none()), 1),
        case("get: 404 echoing the request", G, vec![scim_error(404, None, "no {{REQUEST_JSON}}").into()], err!(Error::Scim(e) if e.is_not_found()), 1),
        case("get: 404 with a request id echoing the bearer", G, vec![scim_error(404, None, "gone").header("X-Request-Id", "{{CRED}}").into()], err!(Error::Scim(e) if e.is_not_found()), 1),
        case("get: 304 unasked", G, vec![Reply::status(304).into()], err!(Error::NotModified), 1),
        case("get: 302", G, vec![Reply::status(302).header("Location", "https://login.example/?next=/scim").into()], err!(Error::Redirect { location: Some(_), .. }), 1),
        case("get: 301 with no Location", G, vec![Reply::status(301).into()], err!(Error::Redirect { location: None, .. }), 1),
        case("get: 401 forever", G, vec![scim_error(401, None, "bad token").into()], err!(Error::Scim(e) if e.status == 401), 1),
        case("get: 401 echoing the bearer in WWW-Authenticate and body", G, vec![Reply::status(401).header("WWW-Authenticate", "Bearer error=\"{{CRED}}\"").body("bad token {{CRED}}").into()], err!(Error::Http(h) if h.status == 401), 1),
        case("get: 500 HTML forever", G, vec![html(500).into()], err!(Error::Http(h) if h.status == 500), 3),
        case("get: 500 SCIM error forever", G, vec![scim_error(500, None, "boom").into()], err!(Error::Scim(e) if e.status == 500), 3),
        case("get: 503, then 200", G, vec![html(503).into(), alice()], Expect::Ok("alice"), 2),
        case("get: status 600", G, vec![Reply::status(600).into()], err!(Error::Http(h) if h.status.as_u16() == 600), 1),
        case("get: 101 Switching Protocols unasked", G, vec![Reply::status(101).header("Upgrade", "websocket").header("Connection", "upgrade").no_length().into()], err!(Error::Http(h) if h.status == 101), 1),
        // get: broken connections, retried (a GET is safe to resend)
        case("get: reset, then 200", G, vec![Answer::Reset, alice()], Expect::Ok("alice"), 2),
        case("get: closed, then 200", G, vec![Answer::Close, alice()], Expect::Ok("alice"), 2),
        case("get: garbage, then 200", G, vec![garbage(), alice()], Expect::Ok("alice"), 2),
        case("get: cut mid-body, then 200", G, vec![cut(Reply::scim(200, scim_user("u1", "alice"))), alice()], Expect::Ok("alice"), 2),
        case("get: reset mid-body, then 200", G, vec![Answer::CutReset(Reply::scim(200, scim_user("u1", "alice"))), alice()], Expect::Ok("alice"), 2),
        case("get: reset forever", G, vec![Answer::Reset], err!(Error::OutcomeUnknown { idempotent: true, .. }), 3),
        case("get: cut mid-body forever", G, vec![cut(Reply::scim(200, scim_user("u1", "alice")))], err!(Error::BodyInterrupted { idempotent: true, .. }), 3),
        case("get: never answers", G, vec![Answer::Hang], err!(Error::Timeout { .. }), 3),
        case("get: dripped past the timeout", G, vec![drip_slow(Reply::scim(200, scim_user("u1", "alice")))], err!(Error::Timeout { .. }), 3),
        case("get: dripped within the timeout (tolerated)", G, vec![drip_fast(Reply::status(200).header("Content-Type", "application/scim+json"))], Expect::Ok("alice"), 1),
        case("get: Content-Length not a number", G, vec![Answer::Raw(b"HTTP/1.1 200 OK\r\nContent-Length: abc\r\n\r\n{}".to_vec())], err!(Error::OutcomeUnknown { idempotent: true, .. }), 3),
        case("get: Content-Length negative", G, vec![Answer::Raw(b"HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n{}".to_vec())], err!(Error::OutcomeUnknown { idempotent: true, .. }), 3),
        case("get: two-digit status", G, vec![Answer::Raw(b"HTTP/1.1 99 X\r\nContent-Length: 0\r\n\r\n".to_vec())], err!(Error::OutcomeUnknown { idempotent: true, .. }), 3),
        // get: sizes
        case("get: endless chunked body", G, vec![Answer::Endless(Reply::status(200).header("Content-Type", "application/scim+json"))], err!(Error::BodyTooLarge { .. }), 1),
        case("get: huge declared Content-Length", G, vec![Reply::status(200).header("Content-Length", "1099511627776").body("{}").into()], err!(Error::BodyTooLarge { .. }), 1),
        case("get: Content-Length u64::MAX (beyond what HTTP parses)", G, vec![Reply::status(200).header("Content-Length", &u64_max).body("{}").into()], err!(Error::OutcomeUnknown { idempotent: true, .. }), 3),
        case("get: 10,000 headers", G, vec![many_headers(Reply::scim(200, scim_user("u1", "alice")), 10_000)], err!(Error::OutcomeUnknown { idempotent: true, .. }), 3),
        case("get: a 1 MiB header", G, vec![huge_header(Reply::scim(200, scim_user("u1", "alice")))], err!(Error::OutcomeUnknown { idempotent: true, .. }), 3),
        // get: absurd header values
        case("get: Retry-After u64::MAX on a 200", G, vec![Reply::scim(200, scim_user("u1", "alice")).header("Retry-After", &u64_max).into()], Expect::Ok("alice"), 1),
        case("get: 429 Retry-After u64::MAX: not waited for", G, vec![Reply::status(429).header("Retry-After", &u64_max).into()], err!(Error::Http(h) if h.status == 429 && h.retry_after == Some(MAX_SERVER_WAIT)), 1),
        case("get: 429 Retry-After 0, then 200", G, vec![Reply::status(429).header("Retry-After", "0").into(), alice()], Expect::Ok("alice"), 2),
        case("get: 503 Retry-After -5, then 200", G, vec![html(503).header("Retry-After", "-5").into(), alice()], Expect::Ok("alice"), 2),
        case("get: 503 Retry-After in the year 9999", G, vec![html(503).header("Retry-After", far_future_date()).into()], err!(Error::Http(h) if h.status == 503 && h.retry_after == Some(MAX_SERVER_WAIT)), 1),
        case("get: 503 Retry-After a date, Date garbage, then 200", G, vec![html(503).header("Retry-After", "Thu, 01 Jan 1970 00:00:00 GMT").header("Date", "garbage").into(), alice()], Expect::Ok("alice"), 2),
        case("get: X-Rate-Limit-Reset u64::MAX on a 200", G, vec![Reply::scim(200, scim_user("u1", "alice")).header("X-Rate-Limit-Reset", &u64_max).into()], Expect::Ok("alice"), 1),
        case("get: 429 X-Rate-Limit-Reset u64::MAX forever", G, vec![Reply::status(429).header("X-Rate-Limit-Reset", &u64_max).into()], err!(Error::Http(h) if h.status == 429), 3),
        case("get: 429 X-Rate-Limit-Reset in 3 million years", G, vec![Reply::status(429).header("X-Rate-Limit-Reset", "99999999999999").header("Date", SERVER_DATE).into()], err!(Error::Http(h) if h.status == 429 && h.retry_after == Some(MAX_SERVER_WAIT)), 1),
        case("get: garbage Date, negative X-Rate-Limit-Remaining", G, vec![Reply::scim(200, scim_user("u1", "alice")).header("Date", "not a date").header("X-Rate-Limit-Remaining", "-1").header("X-Rate-Limit-Limit", "-600").into()], Expect::Ok("alice"), 1),
        case("get: non-UTF-8 header values", G, vec![Reply::scim(200, scim_user("u1", "alice")).header("X-Request-Id", b"\xff\xfe\x80".as_slice()).header("ETag", b"W/\"\xc3\x28\"".as_slice()).into()], Expect::Ok("alice"), 1),
        // create: a POST the server may have seen is never resent
        case("create: well-formed", C, vec![alice_created()], Expect::Ok("alice"), 1),
        case("create: reset after the request", C, vec![Answer::Reset, alice_created()], err!(Error::OutcomeUnknown { idempotent: false, .. }), 1),
        case("create: closed after the request", C, vec![Answer::Close, alice_created()], err!(Error::OutcomeUnknown { idempotent: false, .. }), 1),
        case("create: garbage answer", C, vec![garbage(), alice_created()], err!(Error::OutcomeUnknown { idempotent: false, .. }), 1),
        case("create: never answers", C, vec![Answer::Hang, alice_created()], err!(Error::OutcomeUnknown { idempotent: false, .. }), 1),
        case("create: 10,000 headers", C, vec![many_headers(Reply::scim(201, scim_user("u1", "alice")), 10_000), alice_created()], err!(Error::OutcomeUnknown { idempotent: false, .. }), 1),
        case("create: 201 cut mid-body", C, vec![cut(Reply::scim(201, scim_user("u1", "alice"))), alice_created()], err!(Error::BodyInterrupted { idempotent: false, status, .. } if status.as_u16() == 201), 1),
        case("create: 201 reset mid-body", C, vec![Answer::CutReset(Reply::scim(201, scim_user("u1", "alice"))), alice_created()], err!(Error::BodyInterrupted { idempotent: false, .. }), 1),
        case("create: 201 dripped past the timeout", C, vec![drip_slow(Reply::scim(201, scim_user("u1", "alice"))), alice_created()], err!(Error::BodyInterrupted { idempotent: false, .. }), 1),
        case("create: 500 SCIM error: not resent", C, vec![scim_error(500, None, "boom").into(), alice_created()], err!(Error::Scim(e) if e.status == 500), 1),
        case("create: 503: not resent", C, vec![html(503).into(), alice_created()], err!(Error::Http(h) if h.status == 503), 1),
        case("create: 429 Retry-After 0, then 201 (a 429 was not acted on)", C, vec![Reply::status(429).header("Retry-After", "0").into(), alice_created()], Expect::Ok("alice"), 2).seen(
            "the retry is the same POST, password included",
            |r| r.iter().all(|q| q.method == "POST" && q.body == r[0].body && String::from_utf8_lossy(&q.body).contains(PASSWORD)),
        ),
        case("create: 408, then 201", C, vec![Reply::status(408).into(), alice_created()], Expect::Ok("alice"), 2),
        case("create: refused connection: retried, never written", C, vec![], err!(Error::Connect { .. }), 0).refused(),
        case("create: 409 uniqueness echoing the bearer", C, vec![scim_error(409, Some("uniqueness"), "taken; you sent {{CRED}}").into()], err!(Error::Scim(e) if e.kind() == Some(ScimErrorKind::Uniqueness)), 1),
        case("create: 400 echoing the request in HTML", C, vec![Reply::typed(400, "text/html", "<pre>{{REQUEST}}</pre>").into()], err!(Error::Http(h) if h.status == 400), 1),
        case("create: 201 HTML", C, vec![html(201).into()], err!(Error::Decode { status, .. } if status.as_u16() == 201), 1),
        case("create: endless chunked 201", C, vec![Answer::Endless(Reply::status(201))], err!(Error::BodyTooLarge { .. }), 1),
        case("create: 307 (not followed)", C, vec![Reply::status(307).header("Location", "/scim/v2/Users2").into()], err!(Error::Redirect { .. }), 1),
        // patch
        case("patch: 204", P, vec![Reply::status(204).into()], Expect::Ok("none"), 1),
        case("patch: 204 with a body anyway", P, vec![Reply::status(204).body("garbage").into()], Expect::Ok("none"), 1),
        case("patch: 200 whitespace body (tolerated)", P, vec![Reply::typed(200, "application/scim+json", " \r\n ").into()], Expect::Ok("none"), 1),
        case("patch: 200 HTML", P, vec![html(200).into()], err!(Error::Decode { .. }), 1),
        case("patch: reset", P, vec![Answer::Reset, Reply::status(204).into()], err!(Error::OutcomeUnknown { idempotent: false, .. }), 1),
        case("patch: 503: not resent", P, vec![html(503).into(), Reply::status(204).into()], err!(Error::Http(h) if h.status == 503), 1),
        case("patch: 200 cut mid-body", P, vec![cut(Reply::scim(200, scim_user("u1", "alice")))], err!(Error::BodyInterrupted { idempotent: false, .. }), 1),
        // list: one page
        case("list: totalResults as a string (tolerated)", L, vec![Reply::scim(200, json!({"totalResults": "3", "Resources": [scim_user("a", "a"), scim_user("b", "b")]})).into()], Expect::Ok("2 of Some(3)"), 1),
        case("list: totalResults missing (tolerated)", L, vec![Reply::scim(200, json!({"Resources": [scim_user("a", "a"), scim_user("b", "b")]})).into()], Expect::Ok("2 of None"), 1),
        case("list: Resources missing: an empty page", L, vec![Reply::scim(200, json!({"totalResults": 0})).into()], Expect::Ok("0 of Some(0)"), 1),
        case("list: totalResults negative", L, vec![Reply::scim(200, json!({"totalResults": -1, "Resources": []})).into()], err!(Error::Decode { .. }), 1),
        case("list: Resources an object", L, vec![Reply::scim(200, json!({"totalResults": 1, "Resources": {"id": "a"}})).into()], err!(Error::Decode { .. }), 1),
        case("list: a bare array", L, vec![Reply::scim(200, json!([scim_user("a", "a")])).into()], err!(Error::Decode { .. }), 1),
        // stream: paging that the current stream already survives
        routed(
            "stream: startIndex ignored, no totalResults: ends on the repeat",
            S,
            |_, _| scim_page(&["u1", "u2"], None, None).into(),
            Expect::Ok("u1,u2 (2 pages)"),
            2,
        ),
        routed(
            "stream: an empty page ends it, whatever totalResults says",
            S,
            |r, _| match r.query("startIndex").as_deref() {
                Some("1") | None => scim_page(&["u1", "u2"], Some(100), None).into(),
                _ => scim_page(&[], Some(100), None).into(),
            },
            Expect::Ok("u1,u2 (2 pages)"),
            2,
        ),
        routed(
            "stream: second page reset once, then served",
            S,
            |r, n| match (r.query("startIndex").as_deref(), n) {
                (Some("3"), 1) => Answer::Reset,
                (Some("3"), _) => scim_page(&["u3"], Some(3), None).into(),
                _ => scim_page(&["u1", "u2"], Some(3), None).into(),
            },
            Expect::Ok("u1,u2,u3 (2 pages)"),
            3,
        ),
        routed(
            "stream: second page 500 forever",
            S,
            |r, _| match r.query("startIndex").as_deref() {
                Some("3") => html(500).into(),
                _ => scim_page(&["u1", "u2"], Some(4), None).into(),
            },
            err!(Error::Http(h) if h.status == 500),
            4,
        ),
        routed(
            "stream: nextCursor equal to the cursor (A→A) ends",
            Call::ScimCursorStream,
            |_, _| scim_page(&["u1", "u2"], None, Some("A")).into(),
            Expect::Ok("u1,u2 (1 pages)"),
            1,
        ),
        // through ClientCredentials: the token endpoint and the API on one hostile server
        routed(
            "via OAuth: 401 forever: one fresh token, one resend, then the error",
            Call::ScimGetOAuth,
            |r, _| match r.path() {
                "/oauth2/token" => token_ok(),
                _ => scim_error(401, None, "token {{CRED}} rejected").into(),
            },
            err!(Error::Scim(e) if e.status == 401),
            4,
        )
        .seen("token, API, token, API", |r| {
            r.iter().map(Received::path).collect::<Vec<_>>()
                == ["/oauth2/token", "/scim/v2/Users/u1", "/oauth2/token", "/scim/v2/Users/u1"]
        }),
        routed(
            "via OAuth: the token endpoint answers garbage",
            Call::ScimGetOAuth,
            |r, _| match r.path() {
                "/oauth2/token" => garbage(),
                _ => alice(),
            },
            err!(Error::OutcomeUnknown { idempotent: true, url, .. } if url.ends_with("/oauth2/token")),
            3,
        ),
        routed(
            "via OAuth: the token endpoint issues an empty token",
            Call::ScimGetOAuth,
            |r, _| match r.path() {
                "/oauth2/token" => Reply::json(200, token_body(json!(""), json!("Bearer"), json!(60))).into(),
                _ => alice(),
            },
            err!(Error::Decode { url, .. } if url.ends_with("/oauth2/token")),
            1,
        ),
        routed(
            "via OAuth: a token with a lifetime of -1 s serves one call",
            Call::ScimGetOAuth,
            |r, _| match r.path() {
                "/oauth2/token" => token(json!(-1)),
                _ => alice(),
            },
            Expect::Ok("alice"),
            2,
        ),
    ]
}

// ---------------------------------------------------------------------------------------
// Okta

fn okta_cases() -> Vec<Case> {
    use Call::{OktaCreate as C, OktaGet as G, OktaList as L, OktaStream as S};
    let u64_max = u64::MAX.to_string();
    let causes: Vec<Value> = (0..2000)
        .map(|i| json!({"errorSummary": format!("c{i}")}))
        .collect();
    vec![
        case("get: well-formed", G, vec![ada()], Expect::Ok("ada@example.com"), 1),
        case("get: text/plain JSON (tolerated)", G, vec![Reply::typed(200, "text/plain", okta_user("00u1", "ada@example.com").to_string()).into()], Expect::Ok("ada@example.com"), 1),
        case("get: unknown status value (kept)", G, vec![Reply::json(200, json!({"id": "00u1", "status": "FUTURE_STATE", "profile": {"login": "ada@example.com"}})).into()], Expect::Ok("ada@example.com"), 1),
        case("get: status a number", G, vec![Reply::json(200, json!({"id": "00u1", "status": 5, "profile": {"login": "a"}})).into()], err!(Error::Decode { .. }), 1),
        case("get: profile missing", G, vec![Reply::json(200, json!({"id": "00u1", "status": "ACTIVE"})).into()], err!(Error::Decode { .. }), 1),
        case("get: HTML behind 200", G, vec![html(200).into()], err!(Error::Decode { .. }), 1),
        case("get: 404 E0000007", G, vec![okta_error(404, "E0000007", "Not found: Resource not found: 00u1 (User)").into()], err!(Error::Okta(e) if e.error_code == "E0000007" && e.status == 404), 1),
        case(
            "get: 404 with 2,000 errorCauses: 20 kept",
            G,
            vec![Reply::json(404, json!({"errorCode": "E0000007", "errorSummary": "x", "errorCauses": causes})).into()],
            err!(Error::Okta(e) if e.error_causes.len() == 20),
            1,
        ),
        case(
            "get: 403 echoing the SSWS token, with a request id echoing it too",
            G,
            vec![okta_error(403, "E0000006", "token {{CRED}} may not; you sent {{REQUEST_JSON}}").header("X-Okta-Request-Id", "{{CRED}}").into()],
            err!(Error::Okta(e) if e.status == 403),
            1,
        ),
        case("get: errorCode a number: a plain HTTP error", G, vec![Reply::json(400, json!({"errorCode": 7})).into()], err!(Error::Http(h) if h.status == 400), 1),
        case("get: 401 E0000011 forever", G, vec![okta_error(401, "E0000011", "Invalid token provided").into()], err!(Error::Okta(e) if e.status == 401), 1),
        case("get: 301", G, vec![Reply::status(301).header("Location", "https://other.okta.com/api/v1/users/00u1").into()], err!(Error::Redirect { .. }), 1),
        case("get: 500 E0000009, then 200", G, vec![okta_error(500, "E0000009", "Internal Server Error").into(), ada()], Expect::Ok("ada@example.com"), 2),
        case(
            "get: 429 X-Rate-Limit-Reset 5 s after Date, then 200",
            G,
            vec![okta_error(429, "E0000047", "rate limit").header("X-Rate-Limit-Limit", "600").header("X-Rate-Limit-Remaining", "0").header("X-Rate-Limit-Reset", RESET_SOON).header("Date", SERVER_DATE).into(), ada()],
            Expect::Ok("ada@example.com"),
            2,
        ),
        case(
            "get: 429 X-Rate-Limit-Reset in 3 million years: not waited for",
            G,
            vec![okta_error(429, "E0000047", "rate limit").header("X-Rate-Limit-Reset", "99999999999999").header("Date", SERVER_DATE).into()],
            err!(Error::Okta(e) if e.status == 429),
            1,
        ),
        case(
            "get: 429 X-Rate-Limit-Reset beyond SystemTime forever",
            G,
            vec![okta_error(429, "E0000047", "rate limit").header("X-Rate-Limit-Reset", &u64_max).into()],
            err!(Error::Okta(e) if e.status == 429),
            3,
        ),
        case("get: X-Rate-Limit-Reset beyond SystemTime on a 200", G, vec![Reply::json(200, okta_user("00u1", "ada@example.com")).header("X-Rate-Limit-Reset", &u64_max).header("X-Rate-Limit-Remaining", "0").into()], Expect::Ok("ada@example.com"), 1),
        case("get: reset, then 200", G, vec![Answer::Reset, ada()], Expect::Ok("ada@example.com"), 2),
        case("get: cut mid-body, then 200", G, vec![cut(Reply::json(200, okta_user("00u1", "ada@example.com"))), ada()], Expect::Ok("ada@example.com"), 2),
        case("get: garbage forever", G, vec![garbage()], err!(Error::OutcomeUnknown { idempotent: true, .. }), 3),
        case("get: never answers", G, vec![Answer::Hang], err!(Error::Timeout { .. }), 3),
        case("get: endless chunked body", G, vec![Answer::Endless(Reply::status(200))], err!(Error::BodyTooLarge { .. }), 1),
        // create
        case("create: well-formed", C, vec![ada()], Expect::Ok("ada@example.com"), 1),
        case("create: reset after the request", C, vec![Answer::Reset, ada()], err!(Error::OutcomeUnknown { idempotent: false, .. }), 1),
        case("create: closed after the request", C, vec![Answer::Close, ada()], err!(Error::OutcomeUnknown { idempotent: false, .. }), 1),
        case("create: garbage answer", C, vec![garbage(), ada()], err!(Error::OutcomeUnknown { idempotent: false, .. }), 1),
        case("create: never answers", C, vec![Answer::Hang, ada()], err!(Error::OutcomeUnknown { idempotent: false, .. }), 1),
        case("create: 200 cut mid-body", C, vec![cut(Reply::json(200, okta_user("00u1", "ada@example.com"))), ada()], err!(Error::BodyInterrupted { idempotent: false, .. }), 1),
        case("create: 500: not resent", C, vec![okta_error(500, "E0000009", "Internal Server Error").into(), ada()], err!(Error::Okta(e) if e.status == 500), 1),
        case(
            "create: 429 with a reset 5 s away, then 200",
            C,
            vec![okta_error(429, "E0000047", "rate limit").header("X-Rate-Limit-Reset", RESET_SOON).header("Date", SERVER_DATE).header("X-Okta-Request-Id", "req-429").into(), ada()],
            Expect::Ok("ada@example.com"),
            2,
        )
        .seen("the retry says what it retries (X-Okta-Retry-For/-Count)", |r| {
            r[1].header("x-okta-retry-for") == Some("req-429") && r[1].header("x-okta-retry-count") == Some("1")
        }),
        case("create: 400 E0000001 echoing the token", C, vec![okta_error(400, "E0000001", "Api validation failed: {{CRED}}").into()], err!(Error::Okta(e) if e.error_code == "E0000001"), 1),
        case("create: endless chunked body", C, vec![Answer::Endless(Reply::status(200))], err!(Error::BodyTooLarge { .. }), 1),
        case("create: refused connection: retried, never written", C, vec![], err!(Error::Connect { .. }), 0).refused(),
        // list: one page
        case("list: an object, not an array", L, vec![Reply::json(200, json!({"users": []})).into()], err!(Error::Decode { .. }), 1),
        case("list: Link header garbage: no next page", L, vec![okta_page(&["u1", "u2"], None).header("Link", "<<<>>>; rel=next; ;;, garbage").into()], Expect::Ok("2 after None"), 1),
        case("list: Link header not UTF-8: ignored", L, vec![okta_page(&["u1", "u2"], None).header("Link", b"<\xff\xfe?after=x>; rel=\"next\"".as_slice()).into()], Expect::Ok("2 after None"), 1),
        case(
            "list: 1,000 links in one header",
            L,
            vec![okta_page(&["u1", "u2"], None).header("Link", (0..1000).map(|i| format!("</api/v1/users?after=x{i}>; rel=\"prev\"")).collect::<Vec<_>>().join(", ") + ", </api/v1/users?after=u2&limit=2>; rel=\"next\"").into()],
            Expect::Ok("2 after Some(\"u2\")"),
            1,
        ),
        Case {
            name: "list: next link to another origin: refused, never followed",
            call: L,
            script: Script::Decoy(|decoy| {
                let next = format!("{decoy}/api/v1/users?after=u2");
                Arc::new(move |_, _| okta_page(&["u1", "u2"], Some(&next)).into())
            }),
            expect: err!(Error::Decode { .. }),
            requests: 1,
            seen: None,
        },
        // stream
        routed(
            "stream: relative next link, then the last page",
            S,
            |r, _| match r.query("after").as_deref() {
                None => okta_page(&["u1", "u2"], Some("/api/v1/users?after=u2&limit=2")).into(),
                _ => okta_page(&["u3"], None).into(),
            },
            Expect::Ok("u1,u2,u3 (2 pages, cursor None)"),
            2,
        ),
        routed(
            "stream: next link to itself (A→A) ends",
            S,
            |r, _| okta_page(&["u1", "u2"], Some(&r.target.clone())).into(),
            Expect::Ok("u1,u2 (1 pages, cursor None)"),
            1,
        ),
        Case {
            name: "stream: next link to another origin after page 1: refused",
            call: S,
            script: Script::Decoy(|decoy| {
                let next = format!("{decoy}/api/v1/users?after=u2");
                Arc::new(move |_, _| okta_page(&["u1", "u2"], Some(&next)).into())
            }),
            expect: err!(Error::Decode { .. }),
            requests: 1,
            seen: None,
        },
        routed(
            "stream: second page 503 forever",
            S,
            |r, _| match r.query("after").as_deref() {
                None => okta_page(&["u1", "u2"], Some("/api/v1/users?after=u2&limit=2")).into(),
                _ => okta_error(503, "E0000010", "read only").into(),
            },
            err!(Error::Okta(e) if e.status == 503),
            4,
        ),
        routed(
            "stream: second page 503 until the stream gives up, then resumed from cursor()",
            Call::OktaStreamResume,
            |r, n| match (r.query("after").as_deref(), n) {
                (None, _) => okta_page(&["u1", "u2"], Some("/api/v1/users?after=u2&limit=2")).into(),
                (Some("u2"), 1..=3) => okta_error(503, "E0000010", "read only").into(),
                (Some(_), _) => okta_page(&["u3"], None).into(),
            },
            Expect::Ok("u1,u2 | E0000010 | resumed after Some(\"u2\"): u3"),
            5,
        ),
    ]
}

#[tokio::test]
async fn token_endpoint_table() {
    run_table("token", token_cases()).await;
}

#[tokio::test]
async fn scim_table() {
    run_table("scim", scim_cases()).await;
}

#[tokio::test]
async fn okta_table() {
    run_table("okta", okta_cases()).await;
}

#[test]
fn the_tables_hold_at_least_80_cases() {
    let n = token_cases().len() + scim_cases().len() + okta_cases().len();
    assert!(n >= 80, "{n} cases");
}

// ---------------------------------------------------------------------------------------
// Waiting for other branches. These cases fail on main today; their expectations are what
// the branch that owns the fix promises. The lead runs them after each merge:
// `cargo test --test hostile_answers -- --ignored`, then moves them into the tables above.

/// Paging cases: the one paginator ends on cycles of any length and on pages that bring
/// nothing new; a stream that paged forever would show here as "hung".
fn paging_cases() -> Vec<Case> {
    vec![
        routed(
            "SCIM stream: totalResults lies (1000) and startIndex is ignored",
            Call::ScimStream,
            |_, _| scim_page(&["u1", "u2"], Some(1000), None).into(),
            Expect::Ok("u1,u2 (2 pages)"),
            2,
        ),
        routed(
            "SCIM stream: cursor cycle A→B→A",
            Call::ScimCursorStream,
            |r, _| match r.query("cursor").as_deref() {
                Some("B") => scim_page(&["b1", "b2"], None, Some("A")).into(),
                _ => scim_page(&["a1", "a2"], None, Some("B")).into(),
            },
            Expect::Ok("a1,a2,b1,b2 (2 pages)"),
            2,
        ),
        routed(
            "SCIM stream: the same page under ever new cursors",
            Call::ScimCursorStream,
            |_, n| scim_page(&["u1", "u2"], None, Some(&format!("c{n}"))).into(),
            Expect::Ok("u1,u2 (2 pages)"),
            2,
        ),
        routed(
            "Okta stream: Link cycle A→B→A",
            Call::OktaStream,
            |r, _| match r.query("after").as_deref() {
                None => okta_page(&["u1", "u2"], Some("/api/v1/users?after=B&limit=2")).into(),
                Some("B") => okta_page(&["u3", "u4"], Some("/api/v1/users?after=A&limit=2")).into(),
                Some(_) => okta_page(&["u5", "u6"], Some("/api/v1/users?after=B&limit=2")).into(),
            },
            Expect::Ok("u1,u2,u3,u4,u5,u6 (3 pages, cursor None)"),
            3,
        ),
        routed(
            "Okta stream: `after` ignored, the same users under ever new links",
            Call::OktaStream,
            |_, n| {
                okta_page(
                    &["u1", "u2"],
                    Some(&format!("/api/v1/users?after=x{n}&limit=2")),
                )
                .into()
            },
            Expect::Ok("u1,u2 (2 pages, cursor None)"),
            2,
        ),
        // The refusal shows only the link's origin: its path is the server's text.
        Case {
            name: "Okta list: next link to another origin echoing the token in its path",
            call: Call::OktaList,
            script: Script::Decoy(|decoy| {
                let next = format!("{decoy}/steal/{{{{CRED}}}}?after=u2");
                Arc::new(move |_, _| okta_page(&["u1", "u2"], Some(&next)).into())
            }),
            expect: err!(Error::Decode { .. }),
            requests: 1,
            seen: None,
        },
    ]
}

/// Echoed secrets the request carried in its body (not in a header): the redactor scrubs the
/// exact secret values a request carried (client secret, passwords) wherever a server echoes
/// them.
fn echoed_body_secret_cases() -> Vec<Case> {
    vec![
        case(
            "token (body auth): 400 echoing the form in error_description",
            Call::TokenBody,
            vec![Reply::json(400, json!({"error": "invalid_client", "error_description": "got {{BODY_JSON}}"})).into()],
            err!(Error::OAuth(e) if e.error == "invalid_client"),
            1,
        ),
        case(
            "token (body auth): 401 plain text naming the secret",
            Call::TokenBody,
            vec![Reply::typed(401, "text/plain", "client secret {{SECRET}} is wrong").into()],
            err!(Error::Http(h) if h.status == 401),
            1,
        ),
        case(
            "token (Basic): 400 naming the decoded secret",
            Call::TokenBasic,
            vec![Reply::json(400, json!({"error": "invalid_client", "error_description": "secret {{SECRET}} is wrong"})).into()],
            err!(Error::OAuth(e) if e.error == "invalid_client"),
            1,
        ),
        case(
            "SCIM create: 400 echoing the body (password) in detail",
            Call::ScimCreate,
            vec![scim_error(400, Some("invalidValue"), "bad user {{BODY_JSON}}").into()],
            err!(Error::Scim(e) if e.kind() == Some(ScimErrorKind::InvalidValue)),
            1,
        ),
        case(
            "SCIM create: 500 text echoing the escaped body",
            Call::ScimCreate,
            vec![Reply::typed(500, "text/plain", "failed on {{BODY_JSON}}").into()],
            err!(Error::Http(h) if h.status == 500),
            1,
        ),
        case(
            "Okta create: 400 E0000001 naming the password in errorCauses",
            Call::OktaCreate,
            vec![Reply::json(400, json!({"errorCode": "E0000001", "errorSummary": "Api validation failed: password",
                "errorCauses": [{"errorSummary": "password: {{SECRET}} was used before"}]})).into()],
            err!(Error::Okta(e) if e.error_code == "E0000001"),
            1,
        ),
    ]
}

#[tokio::test]
async fn paging_answers() {
    run_table("paging", paging_cases()).await;
}

#[tokio::test]
async fn echoed_body_secrets() {
    run_table("echoed body secrets", echoed_body_secret_cases()).await;
}
