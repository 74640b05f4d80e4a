//! Okta client overhead and paging throughput, against the in-memory `mock::OktaOrg` on
//! 127.0.0.1 (so the numbers are the client's and the mock's work, not a network's).
//!
//! - `okta/get_user`: `GET /api/v1/users/{id}` decoded into `User`, through the crate and
//!   through a hand-written `reqwest` call with the same client settings (timeouts,
//!   User-Agent, no redirects, `SSWS` header), in one run.
//! - `okta/stream_50k_users`: a 50,000-user `stream()` through `Link` pages of 200;
//!   throughput in users/s. Before the criterion runs, one pass prints users/s, the growth
//!   of resident memory while streaming (sampled from /proc/self/status every 1,000 users)
//!   and the process's VmHWM. It runs first, so VmHWM is not inflated by `get_user`'s
//!   requests (wiremock keeps every request a mock matched for the life of the server).

use std::hint::black_box;
use std::time::{Duration, Instant};

use criterion::{Criterion, SamplingMode, Throughput, criterion_group, criterion_main};
use futures_util::TryStreamExt;
use scimkit::Transport;
use scimkit::mock::OktaOrg;
use scimkit::okta::User;
use scimkit::transport::USER_AGENT;

const USERS: usize = 50_000;

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime")
}

fn proc_status_kib(field: &str) -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with(field))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|v| v.parse().ok())
        })
        .unwrap_or(0)
}

fn get_user(c: &mut Criterion) {
    let rt = runtime();
    let (org, okta, id) = rt.block_on(async {
        let org = OktaOrg::builder().record_requests(false).start().await;
        let id = org.seed_sample_users(1).remove(0);
        let okta = org.client_with(Transport::default());
        (org, okta, id)
    });
    // The crate's defaults, written out by hand.
    let http = reqwest::Client::builder()
        .user_agent(USER_AGENT)
        .redirect(reqwest::redirect::Policy::none())
        .connect_timeout(Duration::from_secs(10))
        .timeout(Duration::from_secs(30))
        .build()
        .expect("reqwest client");
    let url = format!("{}/api/v1/users/{id}", org.uri());
    let auth = format!("SSWS {}", org.api_token());

    let mut group = c.benchmark_group("okta/get_user");
    group.throughput(Throughput::Elements(1));
    group.bench_function("hand_written_reqwest", |b| {
        b.to_async(&rt).iter(|| async {
            let response = http
                .get(&url)
                .header(reqwest::header::AUTHORIZATION, &auth)
                .send()
                .await
                .expect("send");
            assert!(response.status().is_success());
            let body = response.bytes().await.expect("body");
            black_box(serde_json::from_slice::<User>(&body).expect("decode"))
        })
    });
    group.bench_function("scimkit", |b| {
        b.to_async(&rt)
            .iter(|| async { black_box(okta.users().get(&id).await.expect("get")) })
    });
    group.finish();
}

fn stream_users(c: &mut Criterion) {
    let rt = runtime();
    let (_org, okta) = rt.block_on(async {
        let org = OktaOrg::builder().record_requests(false).start().await;
        org.seed_sample_users(USERS);
        let okta = org.client_with(Transport::default());
        (org, okta)
    });

    // One measured pass: users/s and memory while streaming.
    rt.block_on(async {
        let baseline = proc_status_kib("VmRSS:");
        let mut peak = baseline;
        let started = Instant::now();
        let mut stream = okta.users().list().limit(200).stream();
        let mut n = 0usize;
        while let Some(user) = stream.try_next().await.expect("page") {
            black_box(&user);
            n += 1;
            if n.is_multiple_of(1000) {
                peak = peak.max(proc_status_kib("VmRSS:"));
            }
        }
        let elapsed = started.elapsed();
        assert_eq!(n, USERS);
        eprintln!(
            "okta/stream_50k_users: {n} users in {:.2?} = {:.0} users/s over {} pages; RSS growth while streaming {} KiB (baseline {} KiB); VmHWM {} KiB",
            elapsed,
            n as f64 / elapsed.as_secs_f64(),
            stream.pages_fetched(),
            peak.saturating_sub(baseline),
            baseline,
            proc_status_kib("VmHWM:"),
        );
    });

    let mut group = c.benchmark_group("okta");
    group.sampling_mode(SamplingMode::Flat);
    group.sample_size(10);
    group.throughput(Throughput::Elements(USERS as u64));
    group.bench_function("stream_50k_users", |b| {
        b.to_async(&rt).iter(|| async {
            let n = okta
                .users()
                .list()
                .limit(200)
                .stream()
                .try_fold(0usize, |n, user| async move {
                    black_box(&user);
                    Ok(n + 1)
                })
                .await
                .expect("stream");
            assert_eq!(n, USERS);
        })
    });
    group.finish();
}

criterion_group!(benches, stream_users, get_user);
criterion_main!(benches);
