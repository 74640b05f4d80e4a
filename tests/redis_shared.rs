//! Redis tier: tokens and rate budgets shared by replicas through a real Redis. Run by
//! `interop/run-redis.sh`, which starts `redis-server` on a free loopback port, sets
//! `SCIMKIT_REDIS_URL` (and `SCIMKIT_REDIS_SERVER`, the binary, for the tests that start,
//! kill and restart Redis instances of their own) and passes `--include-ignored`. Without
//! it the tests are listed as ignored, so `cargo test --all-features` needs only Rust.
#![cfg(feature = "redis")]
#![allow(clippy::unwrap_used)]

#[path = "support/sim_clock.rs"]
mod sim_clock;

use std::io::Write;
use std::net::{TcpListener, TcpStream};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use scimkit::mock::{OktaOrg, TokenServer};
use scimkit::okta::OktaClient;
use scimkit::store::redis::{EncryptionKey, Redis};
use scimkit::store::{Lock, SharedToken, TokenKey, TokenStore};
use scimkit::{ClientCredentials, ExposeSecret, ManualClock, RetryPolicy, Transport};
use sim_clock::SimClock;

const KEY: &str = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";
const REPLICAS: usize = 8;

fn redis_url() -> String {
    std::env::var("SCIMKIT_REDIS_URL")
        .expect("SCIMKIT_REDIS_URL must point at a Redis: run interop/run-redis.sh")
}

fn prefix() -> String {
    format!("test-{:016x}", fastrand::u64(..))
}

fn key() -> EncryptionKey {
    EncryptionKey::from_base64(KEY).unwrap()
}

/// A replica: its own Redis handle (own connection, own fallback state) and credentials.
fn replica(
    idp: &TokenServer,
    clock: &ManualClock,
    redis: &Redis,
    client_id: &str,
) -> ClientCredentials {
    ClientCredentials::builder()
        .token_url(idp.token_url())
        .client_id(client_id)
        .client_secret("s3cret".to_string())
        .refresh_margin(Duration::from_secs(60))
        .refresh_jitter(Duration::ZERO)
        .transport(Transport::builder().clock(clock.clone()).build().unwrap())
        .token_store(redis.token_store(key()))
        .build()
        .unwrap()
}

async fn all_tokens(replicas: &[ClientCredentials]) -> Vec<String> {
    let calls = replicas.iter().map(|c| c.token());
    futures_util::future::join_all(calls)
        .await
        .into_iter()
        .map(|t| t.unwrap().secret().expose_secret().to_owned())
        .collect()
}

/// Waits (the test harness bounds it) until every replica holds a token other than `old`.
async fn all_refreshed(replicas: &[ClientCredentials], old: &str) -> String {
    loop {
        let tokens = all_tokens(replicas).await;
        if tokens.iter().all(|t| t != old) {
            assert!(tokens.windows(2).all(|w| w[0] == w[1]), "one token for all");
            return tokens[0].clone();
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs Redis: run interop/run-redis.sh"]
async fn eight_replicas_make_one_token_request_per_token_lifetime() {
    let idp = TokenServer::start().await;
    idp.register_client("svc", "s3cret");
    let clock = ManualClock::new();
    let prefix = prefix();
    let replicas: Vec<ClientCredentials> = (0..REPLICAS)
        .map(|_| {
            let redis = Redis::open(&redis_url()).unwrap().key_prefix(&prefix);
            replica(&idp, &clock, &redis, "svc")
        })
        .collect();

    // Cold start, all at once: one fetch, everyone reads it.
    let tokens = all_tokens(&replicas).await;
    assert!(tokens.windows(2).all(|w| w[0] == w[1]));
    assert_eq!(idp.request_count(), 1);

    let mut current = tokens[0].clone();
    for lifetime in 2..=4 {
        // Into the refresh window (59 s before the newest token expires): callers keep the
        // valid token while one replica refreshes in the background for all of them.
        clock.advance(Duration::from_secs(3600 - 59));
        let during = all_tokens(&replicas).await;
        assert!(during.iter().all(|t| *t == current), "no caller waited");
        current = all_refreshed(&replicas, &current).await;
        assert_eq!(idp.request_count(), lifetime, "one request per lifetime");
    }
    let per_replica: u64 = replicas.iter().map(ClientCredentials::token_requests).sum();
    assert_eq!(per_replica, 4);
}

#[tokio::test]
#[ignore = "needs Redis: run interop/run-redis.sh"]
async fn tokens_at_rest_are_encrypted_keyed_by_digest_and_expire_with_the_token() {
    let idp = TokenServer::start().await;
    let client_id = "client-id-in-clear";
    idp.register_client(client_id, "s3cret");
    let clock = ManualClock::new();
    let prefix = prefix();
    let redis = Redis::open(&redis_url()).unwrap().key_prefix(&prefix);
    let creds = replica(&idp, &clock, &redis, client_id);
    let token = creds.token().await.unwrap();
    let secret = token.secret().expose_secret().to_owned();

    let client = redis::Client::open(redis_url()).unwrap();
    let mut c = client.get_multiplexed_async_connection().await.unwrap();
    let keys: Vec<String> = redis::cmd("KEYS")
        .arg(format!("{prefix}:*"))
        .query_async(&mut c)
        .await
        .unwrap();
    assert!(!keys.is_empty());
    for k in &keys {
        assert!(!k.contains(client_id) && !k.contains("s3cret"), "{k}");
    }
    let token_key = format!("{prefix}:token:{{{}}}", creds.token_key().unwrap().as_str());
    let value: Vec<u8> = redis::cmd("GET")
        .arg(&token_key)
        .query_async(&mut c)
        .await
        .unwrap();
    let text = String::from_utf8_lossy(&value);
    assert!(!text.contains(&secret) && !text.contains(client_id));
    let ttl: i64 = redis::cmd("PTTL")
        .arg(&token_key)
        .query_async(&mut c)
        .await
        .unwrap();
    assert!(
        ttl > 3_500_000 && ttl <= 3_600_000,
        "TTL = the token's expiry: {ttl}"
    );

    // A replica with another key cannot read it: it fetches its own.
    let other = ClientCredentials::builder()
        .token_url(idp.token_url())
        .client_id(client_id)
        .client_secret("s3cret".to_string())
        .transport(Transport::builder().clock(clock.clone()).build().unwrap())
        .token_store(redis.token_store(EncryptionKey::from_base64(&KEY.replace('A', "B")).unwrap()))
        .build()
        .unwrap();
    let theirs = other.token().await.unwrap();
    assert_ne!(theirs.secret().expose_secret(), secret);
    assert_eq!(idp.request_count(), 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs Redis: run interop/run-redis.sh"]
async fn a_replica_that_dies_holding_the_lock_delays_the_others_by_at_most_the_lease() {
    let idp = TokenServer::start().await;
    idp.register_client("svc", "s3cret");
    let clock = ManualClock::new();
    let redis = Redis::open(&redis_url()).unwrap().key_prefix(prefix());
    let lease = Duration::from_millis(800);
    let creds = ClientCredentials::builder()
        .token_url(idp.token_url())
        .client_id("svc")
        .client_secret("s3cret".to_string())
        .transport(Transport::builder().clock(clock.clone()).build().unwrap())
        .token_store(redis.token_store(key()))
        .token_store_lease(lease)
        .build()
        .unwrap();
    let store = redis.token_store(key());
    let token_key: TokenKey = creds.token_key().unwrap().clone();
    // A replica takes the lock and dies.
    let Lock::Acquired(dead) = store.lock(&token_key, lease).await.unwrap() else {
        panic!("the lock is free")
    };
    let started = Instant::now();
    let token = creds.token().await.unwrap();
    let waited = started.elapsed();
    assert_eq!(idp.request_count(), 1, "one fetch, after the lease");
    // The dead replica wakes up and tries to save: fenced out.
    let stale = SharedToken::new(
        "stale".to_string().into(),
        "Bearer",
        std::time::SystemTime::now(),
        std::time::SystemTime::now() + Duration::from_secs(60),
        None,
    );
    assert!(!store.save(&token_key, &stale, dead).await.unwrap());
    let stored = store.load(&token_key).await.unwrap().unwrap();
    assert_eq!(
        stored.secret().expose_secret(),
        token.secret().expose_secret()
    );
    println!("waited {waited:?} for a dead holder's lease of {lease:?}");
}

/// A `redis-server` of the test's own, to kill, restart, stop and resume.
struct OwnRedis {
    port: u16,
    child: Option<Child>,
}

impl OwnRedis {
    fn start() -> OwnRedis {
        let port = TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let mut redis = OwnRedis { port, child: None };
        redis.restart();
        redis
    }

    fn url(&self) -> String {
        format!("redis://127.0.0.1:{}/", self.port)
    }

    fn restart(&mut self) {
        let server = std::env::var("SCIMKIT_REDIS_SERVER").unwrap_or("redis-server".into());
        let child = Command::new(server)
            .args(["--port", &self.port.to_string(), "--bind", "127.0.0.1"])
            .args(["--save", "", "--appendonly", "no"])
            .stdout(Stdio::null())
            .spawn()
            .expect("redis-server starts (SCIMKIT_REDIS_SERVER)");
        self.child = Some(child);
        let deadline = Instant::now() + Duration::from_secs(10);
        while TcpStream::connect(("127.0.0.1", self.port)).is_err() {
            assert!(Instant::now() < deadline, "redis-server did not start");
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    fn signal(&self, signal: &str) {
        if let Some(child) = &self.child {
            Command::new("kill")
                .args([signal, &child.id().to_string()])
                .status()
                .unwrap();
        }
    }
}

impl Drop for OwnRedis {
    fn drop(&mut self) {
        self.signal("-CONT");
        self.kill();
    }
}

#[derive(Clone, Default)]
struct Logs(Arc<Mutex<Vec<u8>>>);

impl Write for Logs {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Logs {
    fn count(&self, needle: &str) -> usize {
        String::from_utf8_lossy(&self.0.lock().unwrap())
            .matches(needle)
            .count()
    }
}

/// Waits until every handle answers again (each retries after its back-off).
async fn until_back(handles: &[Redis]) {
    let probe = TokenKey::from_parts(&["probe"]);
    for redis in handles {
        let store = redis.token_store(key());
        while store.load(&probe).await.is_err() {
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

#[tokio::test]
#[ignore = "needs redis-server: run interop/run-redis.sh"]
async fn redis_killed_hung_and_restarted_mid_run_callers_never_see_it() {
    let logs = Logs::default();
    let writer = logs.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::INFO)
        .with_writer(move || writer.clone())
        .with_ansi(false)
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);

    let mut server = OwnRedis::start();
    let idp = TokenServer::start().await;
    idp.register_client("svc", "s3cret");
    let clock = ManualClock::new();
    let org = OktaOrg::builder()
        .rate_limit(10_000, Duration::from_secs(60))
        .clock(clock.clone())
        .start()
        .await;
    let user = org.seed_sample_users(1).remove(0);
    let prefix = prefix();
    let handles: Vec<Redis> = (0..REPLICAS)
        .map(|_| Redis::open(&server.url()).unwrap().key_prefix(&prefix))
        .collect();
    let creds: Vec<ClientCredentials> = handles
        .iter()
        .map(|r| replica(&idp, &clock, r, "svc"))
        .collect();
    let okta: Vec<OktaClient> = handles
        .iter()
        .map(|r| {
            OktaClient::builder()
                .org(org.uri())
                .unwrap()
                .api_token(org.api_token())
                .transport(Transport::builder().clock(clock.clone()).build().unwrap())
                .rate_budget(r.rate_budget())
                .build()
                .unwrap()
        })
        .collect();
    let gets = |okta: &[OktaClient]| {
        let calls: Vec<_> = okta
            .iter()
            .map(|o| {
                let (o, user) = (o.clone(), user.clone());
                async move { o.users().get(&user).await.map(|_| ()) }
            })
            .collect();
        futures_util::future::join_all(calls)
    };

    all_tokens(&creds).await;
    assert_eq!(idp.request_count(), 1);
    for r in gets(&okta).await {
        r.unwrap();
    }

    // Killed: every replica falls back to its own cache and budget; no caller sees it.
    server.kill();
    clock.advance(Duration::from_secs(3601));
    all_tokens(&creds).await;
    for r in gets(&okta).await {
        r.unwrap();
    }
    let fallback_fetches = idp.request_count() - 1;
    assert!(
        (1..=REPLICAS).contains(&fallback_fetches),
        "{fallback_fetches}"
    );
    let warned = logs.count("Redis unavailable");
    assert!((1..=REPLICAS).contains(&warned), "{warned}");
    // More calls while it is down: no more warnings (logged once per replica).
    for r in gets(&okta).await {
        r.unwrap();
    }
    all_tokens(&creds).await;
    assert_eq!(logs.count("Redis unavailable"), warned);

    // Restarted (empty): sharing resumes, one fetch for everyone again.
    server.restart();
    until_back(&handles).await;
    assert!(logs.count("Redis answers again") >= 1);
    let before = idp.request_count();
    clock.advance(Duration::from_secs(3601));
    all_tokens(&creds).await;
    assert_eq!(idp.request_count(), before + 1, "shared again");
    for r in gets(&okta).await {
        r.unwrap();
    }

    // Hung (SIGSTOP): every command times out, callers still get answers.
    server.signal("-STOP");
    clock.advance(Duration::from_secs(3601));
    all_tokens(&creds).await;
    for r in gets(&okta).await {
        r.unwrap();
    }
    server.signal("-CONT");
    assert_eq!(org.rate_limited(), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs Redis: run interop/run-redis.sh"]
async fn eight_replicas_share_one_okta_budget_use_95_percent_and_get_no_429() {
    let (limit, windows, tasks) = (60u32, 3u32, 2usize);
    let window = Duration::from_secs(60);
    let clock = SimClock::new(REPLICAS * tasks);
    let org = OktaOrg::builder()
        .rate_limit(limit, window)
        .clock(clock.clone())
        .record_requests(false)
        .start()
        .await;
    let id = org.seed_sample_users(1).remove(0);
    let prefix = prefix();
    let ok = Arc::new(AtomicU64::new(0));
    let end = window * windows;
    let mut workers = Vec::new();
    for _ in 0..REPLICAS {
        let redis = Redis::open(&redis_url()).unwrap().key_prefix(&prefix);
        let okta = OktaClient::builder()
            .org(org.uri())
            .unwrap()
            .api_token(org.api_token())
            .transport(
                Transport::builder()
                    .clock(clock.clone())
                    .retry(RetryPolicy::default().max_wait(Duration::from_secs(600)))
                    .build()
                    .unwrap(),
            )
            .rate_budget(redis.rate_budget())
            .build()
            .unwrap();
        for _ in 0..tasks {
            let (okta, ok, clock, id) = (okta.clone(), ok.clone(), clock.clone(), id.clone());
            workers.push(tokio::spawn(async move {
                while clock.elapsed() < end {
                    if okta.users().get(&id).await.is_ok() && clock.elapsed() <= end {
                        ok.fetch_add(1, Ordering::Relaxed);
                    }
                }
                clock.worker_done();
            }));
        }
    }
    for w in workers {
        w.await.unwrap();
    }
    assert_eq!(org.rate_limited(), 0, "no request was spent on a 429");
    let ok = ok.load(Ordering::Relaxed);
    let budget = u64::from(limit * windows);
    assert!(ok * 100 >= budget * 95 && ok <= budget, "{ok} of {budget}");
}
