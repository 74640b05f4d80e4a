//! Many replicas, one budget: how much of an Okta org's rate limit replicas achieve, how
//! many requests they spend on 429s, how many token requests they make per token
//! lifetime, and what sharing through Redis costs per request. Prints tables.
//!
//! Run: `cargo bench --features redis --bench replicas` with `SCIMKIT_REDIS_URL` pointing
//! at a Redis (e.g. `interop/run-redis.sh bench`); without it, the Redis rows are skipped
//! with a message. `SCIMKIT_BENCH_REAL=1` adds the runs on the real clock (budget 20 per
//! window of `SCIMKIT_BENCH_REAL_WINDOW_S` seconds, default 2, for
//! `SCIMKIT_BENCH_REAL_WINDOWS` windows, default 5).
//!
//! "achieved" is 2xx answers per second over the whole run (until every task stopped,
//! waits included) as a share of the budget's rate. The mock org starts a window at the
//! first request after a reset and rounds its end up to a whole second, so a 60 s window
//! lasts 61 s unless a request lands exactly on the second: 98.4% is the ceiling.
//!
//! Budget runs use a virtual clock shared by the mock org and every replica (time moves
//! only when every task sleeps), so five 60 s windows take seconds; request latency takes
//! no virtual time. "today" is the reactive throttling the crate had before `RateBudget`
//! (wait for the reset only after an answer said `Remaining: 0`), kept here as a
//! `SendHook` for comparison.

#[path = "../tests/support/sim_clock.rs"]
mod sim_clock;

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use http::{Method, StatusCode};
use scimkit::auth::ApiToken;
use scimkit::mock::{OktaOrg, TokenServer};
use scimkit::okta::OktaClient;
use scimkit::store::{InProcessRateBudget, RateBudget};
use scimkit::transport::{ApiRequest, Attempt, BoxFuture, Response, SendHook, SendOptions};
use scimkit::{
    ClientCredentials, Clock, ManualClock, RateLimit, RetryPolicy, SystemClock, Transport,
};
use sim_clock::SimClock;
use url::Url;

const WINDOW: Duration = Duration::from_secs(60);

fn redis_url() -> Option<String> {
    std::env::var("SCIMKIT_REDIS_URL")
        .ok()
        .filter(|u| !u.is_empty())
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Mode {
    /// No throttling: 429s are retried after `Reset − Date + 1 s`.
    None,
    /// The crate's throttling before this change: react to `Remaining: 0`.
    Today,
    /// One in-process budget per replica.
    InProcess,
    /// One budget on Redis for every replica.
    Redis,
}

impl Mode {
    fn label(self) -> &'static str {
        match self {
            Mode::None => "no throttling (retry 429s)",
            Mode::Today => "today: reactive, per replica",
            Mode::InProcess => "RateBudget in-process, per replica",
            Mode::Redis => "RateBudget on Redis, shared",
        }
    }
}

/// Today's reactive throttling, as `okta::rate_limit` had it: after an answer with
/// `Remaining: 0`, the next request to the same bucket waits for `Reset − now + 1 s`.
#[derive(Debug)]
struct Reactive {
    clock: Arc<dyn Clock>,
    last: Mutex<Option<RateLimit>>,
}

impl SendHook for Reactive {
    fn before_attempt<'a>(&'a self, _attempt: Attempt<'a>) -> BoxFuture<'a, scimkit::Result<()>> {
        Box::pin(async move {
            let last = *self.last.lock().expect("lock");
            let Some(limit) = last else { return Ok(()) };
            let now = self.clock.system_now();
            if limit.exhausted_at(now)
                && let Some(reset) = limit.reset
            {
                let wait = reset.duration_since(now).unwrap_or_default() + Duration::from_secs(1);
                self.clock.sleep(wait).await;
                *self.last.lock().expect("lock") = None;
            }
            Ok(())
        })
    }

    fn after_response(&self, _method: &Method, _url: &Url, response: &Response) {
        if let Some(limit) = RateLimit::from_headers(&response.headers) {
            *self.last.lock().expect("lock") = Some(limit);
        }
    }
}

enum Replica {
    Client(OktaClient),
    Hooked {
        transport: Transport,
        auth: ApiToken,
        hook: Reactive,
        url: Url,
    },
}

impl Replica {
    async fn get(&self, id: &str) -> bool {
        match self {
            Replica::Client(okta) => okta.users().get(id).await.is_ok(),
            Replica::Hooked {
                transport,
                auth,
                hook,
                url,
            } => {
                let options = SendOptions::new().auth(auth).hook(hook);
                matches!(
                    transport.send_with(ApiRequest::new(Method::GET, url.clone()), options).await,
                    Ok(r) if r.status == StatusCode::OK
                )
            }
        }
    }
}

#[derive(Clone)]
enum RunClock {
    Sim(SimClock),
    Real(Instant),
}

impl RunClock {
    fn elapsed(&self) -> Duration {
        match self {
            RunClock::Sim(c) => c.elapsed(),
            RunClock::Real(start) => start.elapsed(),
        }
    }
    fn done(&self) {
        if let RunClock::Sim(c) = self {
            c.worker_done();
        }
    }
    fn clock(&self) -> Arc<dyn Clock> {
        match self {
            RunClock::Sim(c) => Arc::new(c.clone()),
            RunClock::Real(_) => Arc::new(SystemClock),
        }
    }
}

struct Outcome {
    sent: u64,
    ok: u64,
    rate_limited: u64,
    virtual_s: f64,
    wall_s: f64,
}

#[allow(clippy::too_many_arguments)]
async fn budget_run(
    mode: Mode,
    replicas: usize,
    tasks: usize,
    limit: u32,
    window: Duration,
    windows: u32,
    real: bool,
) -> Option<Outcome> {
    let redis = if mode == Mode::Redis {
        match redis_url() {
            Some(url) => Some(url),
            None => return None,
        }
    } else {
        None
    };
    let workers = replicas * tasks;
    let run_clock = if real {
        RunClock::Real(Instant::now())
    } else {
        RunClock::Sim(SimClock::new(workers))
    };
    let clock = run_clock.clock();
    let org = OktaOrg::builder()
        .rate_limit(limit, window)
        .clock(ClockRef(clock.clone()))
        .record_requests(false)
        .start()
        .await;
    let id = org.seed_sample_users(1).remove(0);
    let prefix = format!("bench-{:016x}", fastrand::u64(..));
    let mut all = Vec::new();
    for _ in 0..replicas {
        let transport = Transport::builder()
            .clock(ClockRef(clock.clone()))
            .retry(RetryPolicy::default().max_wait(Duration::from_secs(3600)))
            .build()
            .expect("transport");
        let replica = match mode {
            Mode::Today => Replica::Hooked {
                url: Url::parse(&format!("{}/api/v1/users/{id}", org.uri())).expect("url"),
                transport,
                auth: ApiToken::new(org.api_token()),
                hook: Reactive {
                    clock: clock.clone(),
                    last: Mutex::new(None),
                },
            },
            _ => {
                let mut b = OktaClient::builder()
                    .org(org.uri())
                    .expect("org")
                    .api_token(org.api_token())
                    .transport(transport);
                match mode {
                    Mode::InProcess => {
                        b = b.rate_budget(Arc::new(InProcessRateBudget::new()));
                    }
                    Mode::Redis => {
                        b = b.rate_budget(redis_budget(redis.as_deref(), &prefix));
                    }
                    _ => {}
                }
                Replica::Client(b.build().expect("client"))
            }
        };
        all.push(Arc::new(replica));
    }
    let end = window * windows;
    let ok = Arc::new(AtomicU64::new(0));
    let wall = Instant::now();
    let mut handles = Vec::new();
    for replica in &all {
        for _ in 0..tasks {
            let (replica, ok, run_clock, id) =
                (replica.clone(), ok.clone(), run_clock.clone(), id.clone());
            handles.push(tokio::spawn(async move {
                while run_clock.elapsed() < end {
                    if replica.get(&id).await && run_clock.elapsed() <= end {
                        ok.fetch_add(1, Ordering::Relaxed);
                    }
                }
                run_clock.done();
            }));
        }
    }
    for h in handles {
        h.await.expect("worker");
    }
    Some(Outcome {
        sent: org.request_count() as u64,
        ok: ok.load(Ordering::Relaxed),
        rate_limited: org.rate_limited(),
        virtual_s: run_clock.elapsed().as_secs_f64(),
        wall_s: wall.elapsed().as_secs_f64(),
    })
}

#[cfg(feature = "redis")]
fn redis_budget(url: Option<&str>, prefix: &str) -> Arc<dyn RateBudget> {
    let redis = scimkit::store::redis::Redis::open(url.expect("checked"))
        .expect("redis url")
        .key_prefix(prefix);
    redis.rate_budget()
}

#[cfg(not(feature = "redis"))]
fn redis_budget(_url: Option<&str>, _prefix: &str) -> Arc<dyn RateBudget> {
    Arc::new(InProcessRateBudget::new())
}

/// An `Arc<dyn Clock>` as an `impl Clock` for the builders.
#[derive(Debug, Clone)]
struct ClockRef(Arc<dyn Clock>);

impl Clock for ClockRef {
    fn now(&self) -> Instant {
        self.0.now()
    }
    fn system_now(&self) -> std::time::SystemTime {
        self.0.system_now()
    }
    fn sleep(&self, d: Duration) -> scimkit::Sleep {
        self.0.sleep(d)
    }
}

fn print_budget_table(
    title: &str,
    limit: u32,
    window: Duration,
    windows: u32,
    rows: &[(String, Option<Outcome>)],
) {
    println!(
        "\n{title}: budget {limit} per {}s window, {windows} windows",
        window.as_secs()
    );
    println!(
        "| {:<46} | {:>6} | {:>6} | {:>5} | {:>9} | {:>8} | {:>6} |",
        "run", "sent", "2xx", "429s", "achieved", "run s", "wall s"
    );
    println!(
        "|{:-<48}|{:->8}|{:->8}|{:->7}|{:->11}|{:->10}|{:->8}|",
        "", "", "", "", "", "", ""
    );
    let per_second = f64::from(limit) / window.as_secs_f64();
    for (label, outcome) in rows {
        match outcome {
            // Achieved: 2xx per second over the whole run (until every task stopped,
            // waits included), as a share of the budget's rate.
            Some(o) => println!(
                "| {:<46} | {:>6} | {:>6} | {:>5} | {:>8.1}% | {:>8.1} | {:>6.1} |",
                label,
                o.sent,
                o.ok,
                o.rate_limited,
                100.0 * o.ok as f64 / o.virtual_s / per_second,
                o.virtual_s,
                o.wall_s
            ),
            None => println!(
                "| {label:<46} | skipped: set SCIMKIT_REDIS_URL (interop/run-redis.sh bench) |"
            ),
        }
    }
}

async fn budgets() {
    let (limit, windows, tasks) = (600, 10, 4);
    let mut rows = Vec::new();
    for (mode, replicas) in [
        (Mode::None, 1),
        (Mode::Today, 1),
        (Mode::InProcess, 1),
        (Mode::None, 8),
        (Mode::Today, 8),
        (Mode::InProcess, 8),
        (Mode::Redis, 8),
    ] {
        let outcome = budget_run(mode, replicas, tasks, limit, WINDOW, windows, false).await;
        rows.push((
            format!("{replicas}×{tasks} tasks, {}", mode.label()),
            outcome,
        ));
    }
    print_budget_table(
        "Okta budget, virtual clock (org-wide limit, GET /api/v1/users/{id})",
        limit,
        WINDOW,
        windows,
        &rows,
    );

    if std::env::var("SCIMKIT_BENCH_REAL").is_ok() {
        let env = |name: &str, default: u64| {
            std::env::var(name)
                .ok()
                .and_then(|s| s.parse().ok())
                .unwrap_or(default)
        };
        let secs = env("SCIMKIT_BENCH_REAL_WINDOW_S", 2);
        let window = Duration::from_secs(secs);
        let (limit, windows) = (20, env("SCIMKIT_BENCH_REAL_WINDOWS", 5) as u32);
        let mut rows = Vec::new();
        for (mode, replicas) in [(Mode::InProcess, 1), (Mode::Today, 8), (Mode::Redis, 8)] {
            let outcome = budget_run(mode, replicas, 2, limit, window, windows, true).await;
            rows.push((format!("{replicas}×2 tasks, {}", mode.label()), outcome));
        }
        print_budget_table("Okta budget, real clock", limit, window, windows, &rows);
        println!(
            "(the mock org starts a window at the first request after a reset and rounds its end up to a whole second: a {secs} s window lasts up to {} s on the real clock)",
            secs + 1
        );
    }
}

/// Token requests per token lifetime: 8 replicas with separate caches, one token endpoint,
/// every replica calling `token()` every virtual minute for three hours; tokens live one
/// hour and are refreshed (in the background) 5 minutes before expiry, so the run needs
/// 4 tokens (at 0, 55, 110 and 165 minutes).
async fn tokens() {
    let replicas = 8;
    let needed = 4u64;
    type Row = (String, Option<(u64, Vec<u64>)>);
    let mut rows: Vec<Row> = Vec::new();
    for shared in [false, true] {
        let label = if shared {
            "8 replicas, RedisTokenStore (shared)"
        } else {
            "8 replicas, own caches (today)"
        };
        if shared && redis_url().is_none() {
            rows.push((label.into(), None));
            continue;
        }
        let idp = TokenServer::start().await;
        idp.register_client("svc", "s3cret");
        idp.set_token_lifetime(Some(Duration::from_secs(3600)));
        let clock = ManualClock::new();
        let prefix = format!("bench-{:016x}", fastrand::u64(..));
        let creds: Vec<ClientCredentials> = (0..replicas)
            .map(|_| {
                let transport = Transport::builder()
                    .clock(clock.clone())
                    .build()
                    .expect("transport");
                let b = ClientCredentials::builder()
                    .token_url(idp.token_url())
                    .client_id("svc")
                    .client_secret("s3cret".to_string())
                    .refresh_margin(Duration::from_secs(300))
                    .refresh_jitter(Duration::ZERO)
                    .transport(transport);
                let b = if shared {
                    with_redis_store(b, &prefix)
                } else {
                    b
                };
                b.build().expect("creds")
            })
            .collect();
        let mut per_round = Vec::new();
        for _minute in 0..180 {
            let before = idp.request_count() as u64;
            let calls = creds.iter().map(|c| c.token());
            for result in futures_util::future::join_all(calls).await {
                result.expect("token");
            }
            // Let background refreshes land (real time; the virtual clock stands still).
            tokio::time::sleep(Duration::from_millis(30)).await;
            let made = idp.request_count() as u64 - before;
            if made > 0 {
                per_round.push(made);
            }
            clock.advance(Duration::from_secs(60));
        }
        rows.push((label.into(), Some((idp.request_count() as u64, per_round))));
    }
    println!(
        "\nToken requests: 8 replicas, token() every minute for 3 h, 1 h tokens refreshed 5 min ahead ({needed} tokens needed)"
    );
    println!(
        "| {:<38} | {:>14} | {:>15} | {:<36} |",
        "run", "token requests", "per token", "per refresh (cold, 55, 110, 165 min)"
    );
    println!("|{:-<40}|{:->16}|{:->17}|{:-<38}|", "", "", "", "");
    for (label, row) in rows {
        match row {
            Some((n, rounds)) => println!(
                "| {label:<38} | {n:>14} | {:>15.2} | {:<36} |",
                n as f64 / needed as f64,
                format!("{rounds:?}")
            ),
            None => println!("| {label:<38} | skipped: set SCIMKIT_REDIS_URL |"),
        }
    }
}

#[cfg(feature = "redis")]
fn with_redis_store(
    b: scimkit::auth::ClientCredentialsBuilder,
    prefix: &str,
) -> scimkit::auth::ClientCredentialsBuilder {
    use scimkit::store::redis::{EncryptionKey, Redis};
    let redis = Redis::open(&redis_url().expect("checked"))
        .expect("url")
        .key_prefix(prefix);
    let key =
        EncryptionKey::from_base64("AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=").expect("key");
    b.token_store(redis.token_store(key))
}

#[cfg(not(feature = "redis"))]
fn with_redis_store(
    b: scimkit::auth::ClientCredentialsBuilder,
    _prefix: &str,
) -> scimkit::auth::ClientCredentialsBuilder {
    b
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i]
}

/// Latency of one Okta GET on loopback with and without a budget, and the Redis share.
async fn latency() {
    let samples = 5000;
    let org = OktaOrg::builder()
        .rate_limit(1_000_000, WINDOW)
        .record_requests(false)
        .start()
        .await;
    let id = org.seed_sample_users(1).remove(0);
    let prefix = format!("bench-{:016x}", fastrand::u64(..));
    let mut rows: Vec<(String, Option<(Duration, Duration)>)> = Vec::new();
    for mode in [Mode::None, Mode::InProcess, Mode::Redis] {
        if mode == Mode::Redis && redis_url().is_none() {
            rows.push((mode.label().into(), None));
            continue;
        }
        let mut b = OktaClient::builder()
            .org(org.uri())
            .expect("org")
            .api_token(org.api_token())
            .transport(Transport::default());
        match mode {
            Mode::InProcess => b = b.rate_budget(Arc::new(InProcessRateBudget::new())),
            Mode::Redis => b = b.rate_budget(redis_budget(redis_url().as_deref(), &prefix)),
            _ => {}
        }
        let okta = b.build().expect("client");
        for _ in 0..500 {
            okta.users().get(&id).await.expect("warm-up");
        }
        let mut times = Vec::with_capacity(samples);
        for _ in 0..samples {
            let t = Instant::now();
            okta.users().get(&id).await.expect("get");
            times.push(t.elapsed());
        }
        times.sort();
        rows.push((
            mode.label().into(),
            Some((percentile(&times, 0.5), percentile(&times, 0.99))),
        ));
    }
    println!(
        "\nLatency of one GET /api/v1/users/{{id}} on loopback ({samples} sequential requests)"
    );
    println!("| {:<38} | {:>10} | {:>10} |", "run", "median", "p99");
    println!("|{:-<40}|{:->12}|{:->12}|", "", "", "");
    let base = rows[0].1;
    for (label, row) in &rows {
        match row {
            Some((p50, p99)) => {
                let extra = base
                    .map(|(b50, b99)| {
                        format!(
                            " (+{:.0} µs / +{:.0} µs)",
                            p50.saturating_sub(b50).as_secs_f64() * 1e6,
                            p99.saturating_sub(b99).as_secs_f64() * 1e6
                        )
                    })
                    .unwrap_or_default();
                println!(
                    "| {label:<38} | {:>8.0}µs | {:>8.0}µs |{extra}",
                    p50.as_secs_f64() * 1e6,
                    p99.as_secs_f64() * 1e6
                );
            }
            None => println!("| {label:<38} | skipped: set SCIMKIT_REDIS_URL |"),
        }
    }
}

fn main() {
    // `cargo bench` passes `--bench`; `cargo test --benches` passes nothing: run only on
    // `cargo bench`, so the test suite stays fast.
    if !std::env::args().any(|a| a == "--bench") {
        return;
    }
    if redis_url().is_none() {
        eprintln!(
            "SCIMKIT_REDIS_URL is not set: the Redis rows are skipped (interop/run-redis.sh bench runs them)"
        );
    }
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    rt.block_on(async {
        budgets().await;
        tokens().await;
        latency().await;
    });
}
