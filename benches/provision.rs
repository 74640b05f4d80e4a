//! Provisioning benchmarks: Okta → SCIM pushes against the embedded mocks on 127.0.0.1.
//!
//! - `provision/diff_owned` and `provision/map_okta_user` (criterion): the per-user CPU
//!   cost of the plan: mapping an Okta user, and the owned-attribute diff of a user that
//!   did not change.
//! - Push (timed runs, not criterion: the fastest of `SCIMKIT_BENCH_REPEAT`, default 3):
//!   10,000 Okta users in 50 groups of 200 pushed into a fresh `mock::ScimServer` at
//!   concurrency 1, 4 and 16, with `/Bulk` (the default) and without; then the second run
//!   of the same push against the unchanged org (zero writes, checked from the server's
//!   request log). Each run is a child process (this binary re-executed) so that `VmHWM`
//!   from `/proc/self/status` is the client's peak resident memory alone, not the mock
//!   servers', which hold every user; the CPU time of the client and of the mocks tells
//!   which side a run waited for.
//! - Push with latency (in process): 2,000 users into a server that answers each request
//!   after 5 ms, at concurrency 1, 4 and 16: how concurrency pays when the target's
//!   latency, not CPU, is the limit.
//! - Okta budget: reading the source from an org with an enforced rate limit, through a
//!   throttled client at concurrency 1, on a `ManualClock` shared with the org (time moves
//!   only when the client waits, so a 5-window read takes a moment): the share of the
//!   budget used and the 429s received.
//!
//! `SCIMKIT_BENCH_SKIP_PUSH=1` skips the pushes; `SCIMKIT_BENCH_USERS` changes the 10,000
//! (a multiple of 50).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::hint::black_box;
use std::time::{Duration, Instant};

use criterion::{Criterion, criterion_group};
use http::Method;
use scimkit::mock::{Fault, OktaOrg, ScimServer};
use scimkit::okta::{DefaultProfile, GroupProfile, OktaClient, User as OktaUser};
use scimkit::provision::{OktaMapping, OktaSource, Provisioner, Target, UserMapping};
use scimkit::scim::{Patch, ScimClient};
use scimkit::{BearerToken, Clock, ManualClock, RetryPolicy, Transport};
use serde_json::json;

const GROUPS: usize = 50;

/// Users pushed: 10,000 unless `SCIMKIT_BENCH_USERS` says otherwise (a multiple of 50).
fn users() -> usize {
    std::env::var("SCIMKIT_BENCH_USERS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(10_000)
}

fn okta_user(i: usize) -> OktaUser {
    serde_json::from_value(json!({
        "id": format!("00u{i:017}"),
        "status": "ACTIVE",
        "created": "2024-01-01T00:00:00.000Z",
        "profile": {
            "login": format!("user{i}@example.com"), "email": format!("user{i}@example.com"),
            "firstName": "User", "lastName": i.to_string(), "title": "Engineer",
            "mobilePhone": "+33 6 12 34 56 78", "department": "Platform", "costCenter": "4130",
            "city": "Paris", "countryCode": "FR", "locale": "en_US", "timezone": "Europe/Paris"
        },
        "credentials": {"provider": {"type": "OKTA", "name": "OKTA"}},
        "_links": {"self": {"href": format!("https://my-org.okta.com/api/v1/users/00u{i:017}")}}
    }))
    .unwrap()
}

fn per_user(c: &mut Criterion) {
    let mapping = OktaMapping::<DefaultProfile>::new();
    let owned = mapping.owned();
    let okta = okta_user(7);
    let mapped = mapping.map(&okta).unwrap();
    // As the server returns it: the same, plus id, meta and values it fills in.
    let mut stored = serde_json::to_value(&mapped).unwrap();
    stored["id"] = json!("2819c223-7f76-453a-919d-413861904646");
    stored["meta"] =
        json!({"resourceType": "User", "version": "W/\"1\"", "location": "https://x/Users/1"});
    stored["emails"][0]["display"] = json!("user7@example.com");
    let stored: scimkit::scim::User = serde_json::from_value(stored).unwrap();
    let mut group = c.benchmark_group("provision");
    group.bench_function("map_okta_user", |b| {
        b.iter(|| black_box(mapping.map(black_box(&okta)).unwrap()))
    });
    group.bench_function("diff_owned", |b| {
        b.iter(|| {
            let patch = Patch::diff_owned(black_box(&stored), black_box(&mapped), &owned).unwrap();
            assert!(patch.is_empty());
            black_box(patch)
        })
    });
    group.finish();
}

criterion_group!(benches, per_user);

/// CPU seconds (user + system) this process has used, from `/proc/self/stat`.
fn cpu_secs() -> f64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    // Fields after the command name (which may hold spaces): state is field 3.
    let after = stat.rsplit_once(')').map_or("", |(_, rest)| rest);
    let fields: Vec<&str> = after.split_whitespace().collect();
    let ticks = |i: usize| {
        fields
            .get(i)
            .and_then(|v| v.parse::<f64>().ok())
            .unwrap_or(0.0)
    };
    // utime and stime are fields 14 and 15 (1-based), 12 and 13 after the name.
    (ticks(11) + ticks(12)) / 100.0
}

fn vm_hwm_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|v| v.parse().ok())
        })
        .unwrap_or(0)
}

/// The child: one push, timed, then one result line.
fn child() {
    let var = |k: &str| std::env::var(k).unwrap();
    let concurrency: usize = var("SCIMKIT_BENCH_CONCURRENCY").parse().unwrap();
    let bulk = var("SCIMKIT_BENCH_BULK") == "1";
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let before = vm_hwm_kib();
    let cpu_before = cpu_secs();
    let line = rt.block_on(async move {
        let okta = OktaClient::builder()
            .org(var("SCIMKIT_BENCH_OKTA"))
            .unwrap()
            .api_token(var("SCIMKIT_BENCH_OKTA_TOKEN"))
            .build()
            .unwrap();
        let scim = ScimClient::builder()
            .base_url(var("SCIMKIT_BENCH_SCIM"))
            .auth(BearerToken::new(var("SCIMKIT_BENCH_SCIM_TOKEN")))
            .build()
            .unwrap();
        let groups: Vec<String> = (0..GROUPS).map(|g| format!("Group {g:02}")).collect();
        let provisioner = Provisioner::builder(OktaSource::new(okta))
            .concurrency(concurrency)
            .bulk(bulk)
            .target(Target::new("bench", scim).groups(groups))
            .build()
            .unwrap();
        let start = Instant::now();
        let plan = provisioner.plan().await.unwrap();
        let planned = start.elapsed().as_secs_f64();
        let report = provisioner.apply(&plan).await;
        let total = start.elapsed().as_secs_f64();
        assert!(report.is_success(), "{report}");
        let s = report.summary();
        format!(
            "RESULT plan_s={planned:.3} total_s={total:.3} created={} members={} unchanged={}",
            s.users_created, s.members_added, s.users_unchanged
        )
    });
    println!(
        "{line} cpu_s={:.3} vmhwm_before_kib={before} vmhwm_kib={}",
        cpu_secs() - cpu_before,
        vm_hwm_kib()
    );
}

struct Outcome {
    plan_s: f64,
    total_s: f64,
    client_cpu_s: f64,
    mock_cpu_s: f64,
    created: f64,
    unchanged: f64,
    peak_mib: f64,
    base_mib: f64,
}

async fn push(org: &OktaOrg, server: &ScimServer, concurrency: usize, bulk: bool) -> Outcome {
    let mock_cpu = cpu_secs();
    let out = tokio::process::Command::new(std::env::current_exe().unwrap())
        .env("SCIMKIT_BENCH_PROVISION_CHILD", "1")
        .env("SCIMKIT_BENCH_OKTA", org.uri())
        .env("SCIMKIT_BENCH_OKTA_TOKEN", org.api_token())
        .env("SCIMKIT_BENCH_SCIM", server.base_url())
        .env("SCIMKIT_BENCH_SCIM_TOKEN", server.bearer_token())
        .env("SCIMKIT_BENCH_CONCURRENCY", concurrency.to_string())
        .env("SCIMKIT_BENCH_BULK", if bulk { "1" } else { "0" })
        .output()
        .await
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    let line = text
        .lines()
        .find(|l| l.starts_with("RESULT"))
        .unwrap_or_else(|| panic!("child failed: {}", String::from_utf8_lossy(&out.stderr)));
    let field = |k: &str| -> f64 {
        line.split_whitespace()
            .find_map(|f| f.strip_prefix(&format!("{k}=")))
            .and_then(|v| v.parse().ok())
            .unwrap_or(f64::NAN)
    };
    Outcome {
        plan_s: field("plan_s"),
        total_s: field("total_s"),
        client_cpu_s: field("cpu_s"),
        mock_cpu_s: cpu_secs() - mock_cpu,
        created: field("created"),
        unchanged: field("unchanged"),
        peak_mib: field("vmhwm_kib") / 1024.0,
        base_mib: field("vmhwm_before_kib") / 1024.0,
    }
}

fn push_report() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let users_n = users();
    rt.block_on(async {
        let org = OktaOrg::builder().record_requests(false).start().await;
        let users = org.seed_sample_users(users_n);
        let per = users_n / GROUPS;
        for g in 0..GROUPS {
            let id = org.seed_group(GroupProfile::new(format!("Group {g:02}"))).unwrap();
            for u in &users[g * per..(g + 1) * per] {
                org.seed_membership(&id, u);
            }
        }
        println!(
            "\nprovision/push: {users_n} Okta users in {GROUPS} groups into a fresh mock::ScimServer (maxResults 200, bulk maxOperations 100); client in a child process on one thread"
        );
        println!(
            "| run                            | plan s | total s | users/s | requests/writes | client CPU s | mocks CPU s | client peak RSS MiB (at start) |"
        );
        println!(
            "|--------------------------------|--------|---------|---------|-----------------|--------------|-------------|--------------------------------|"
        );
        let repeat: usize = std::env::var("SCIMKIT_BENCH_REPEAT")
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(3)
            .max(1);
        for bulk in [true, false] {
            for concurrency in [1usize, 4, 16] {
                // The fastest of `repeat` pushes, each into a fresh server; the highest peak.
                let mut best: Option<(Outcome, usize, usize)> = None;
                let mut peak = 0f64;
                let mut server = ScimServer::start().await;
                for _ in 0..repeat {
                    server = ScimServer::start().await;
                    let run = push(&org, &server, concurrency, bulk).await;
                    assert_eq!(run.created as usize, users_n);
                    assert_eq!(server.user_count(), users_n);
                    assert_eq!(server.groups().len(), GROUPS);
                    let requests = server.request_count();
                    let writes = server
                        .requests()
                        .iter()
                        .filter(|r| r.method != Method::GET)
                        .count();
                    peak = peak.max(run.peak_mib);
                    if best.as_ref().is_none_or(|(b, _, _)| run.total_s < b.total_s) {
                        best = Some((run, requests, writes));
                    }
                }
                let Some((first, requests, writes)) = best else {
                    continue;
                };
                let label = format!(
                    "first, {}, concurrency {concurrency}",
                    if bulk { "bulk" } else { "no bulk" }
                );
                println!(
                    "| {label:<30} | {:>6.2} | {:>7.2} | {:>7.0} | {:>15} | {:>12.2} | {:>11.2} | {:>6.1} ({:.1}) |",
                    first.plan_s,
                    first.total_s,
                    users_n as f64 / first.total_s,
                    format!("{requests}/{writes}"),
                    first.client_cpu_s,
                    first.mock_cpu_s,
                    peak,
                    first.base_mib,
                );
                if bulk && concurrency == 4 {
                    // The same push again, against the unchanged org: it only reads.
                    server.reset();
                    let second = push(&org, &server, 4, true).await;
                    let writes = server
                        .requests()
                        .iter()
                        .filter(|r| r.method != Method::GET)
                        .count();
                    assert_eq!(writes, 0, "the second run writes nothing");
                    assert_eq!(second.unchanged as usize, users_n);
                    println!(
                        "| {:<30} | {:>6.2} | {:>7.2} | {:>7.0} | {:>15} | {:>12.2} | {:>11.2} | {:>6.1} ({:.1}) |",
                        "second (unchanged), c 4",
                        second.plan_s,
                        second.total_s,
                        users_n as f64 / second.total_s,
                        format!("{}/{writes}", server.request_count()),
                        second.client_cpu_s,
                        second.mock_cpu_s,
                        second.peak_mib,
                        second.base_mib,
                    );
                }
            }
        }
        println!(
            "(fastest of {repeat} runs, highest peak; users/s: users pushed per second of the whole run, plan included; requests/writes: what the SCIM server received, and of those the non-GET ones; CPU: the client process, and the bench process holding both mocks, during the run, on {} cores)",
            std::thread::available_parallelism().map_or(0, |n| n.get())
        );
    });
}

fn budget_report() {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let users_n = users();
    rt.block_on(async {
        // 300 requests (50 name lookups, 250 member pages of 40): 5 windows of 60. The mock
        // counts one bucket for its whole API where Okta (and the client's budget) keep
        // one per endpoint family; the budget is such that the name lookups (`/groups`)
        // do not spend a window before the member pages (`/groups/{id}/users`) learn it.
        let (limit, window) = (60u32, Duration::from_secs(60));
        let clock = ManualClock::new();
        let org = OktaOrg::builder()
            .rate_limit(limit, window)
            .clock(clock.clone())
            .record_requests(false)
            .start()
            .await;
        let users = org.seed_sample_users(users_n);
        let per = users_n / GROUPS;
        let groups: Vec<String> = (0..GROUPS).map(|g| format!("Group {g:02}")).collect();
        for (g, name) in groups.iter().enumerate() {
            let id = org.seed_group(GroupProfile::new(name.as_str())).unwrap();
            for u in &users[g * per..(g + 1) * per] {
                org.seed_membership(&id, u);
            }
        }
        let transport = Transport::builder()
            .clock(clock.clone())
            .retry(RetryPolicy::default().max_wait(Duration::from_secs(120)))
            .build()
            .unwrap();
        let okta = OktaClient::builder()
            .org(org.uri())
            .unwrap()
            .api_token(org.api_token())
            .transport(transport)
            .throttle(true)
            .build()
            .unwrap();
        let server = ScimServer::builder().record_requests(false).start().await;
        let provisioner = Provisioner::builder(OktaSource::new(okta).page_size(40))
            .concurrency(1)
            .target(Target::new("bench", server.client()).groups(groups))
            .build()
            .unwrap();
        let start = clock.now();
        let wall = Instant::now();
        let plan = provisioner.plan().await.unwrap();
        let waited = clock.now() - start;
        assert_eq!(plan.targets[0].creates.len(), users_n);
        let sent = org.request_count() as f64;
        let windows = 1.0 + waited.as_secs_f64() / window.as_secs_f64();
        println!(
            "\nprovision/okta_budget: reading {users_n} users in {GROUPS} groups from an org limited to {limit} requests per {}s, throttled client, concurrency 1: {sent} requests over {:.0} s of org time ({:.2} windows: the first, and one per minute waited): {:.1}% of the budget used, {} answered 429 ({:.2} s of wall time)",
            window.as_secs(),
            waited.as_secs_f64(),
            windows,
            100.0 * sent / (f64::from(limit) * windows),
            org.rate_limited(),
            wall.elapsed().as_secs_f64(),
        );
    });
}

/// The same push into a server that answers every request after 5 ms (as a remote target
/// would), in process: throughput as concurrency grows, when the target's latency, not
/// CPU, bounds it.
fn latency_report() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let users_n = 2_000;
    let latency = Duration::from_millis(5);
    rt.block_on(async {
        let org = OktaOrg::builder().record_requests(false).start().await;
        let users = org.seed_sample_users(users_n);
        let per = users_n / GROUPS;
        let groups: Vec<String> = (0..GROUPS).map(|g| format!("Group {g:02}")).collect();
        for (g, name) in groups.iter().enumerate() {
            let id = org.seed_group(GroupProfile::new(name.as_str())).unwrap();
            for u in &users[g * per..(g + 1) * per] {
                org.seed_membership(&id, u);
            }
        }
        println!(
            "\nprovision/push_latency: {users_n} users in {GROUPS} groups into a mock::ScimServer answering each request after {latency:?}"
        );
        println!("| run                 | concurrency 1 | concurrency 4 | concurrency 16 |");
        println!("|---------------------|---------------|---------------|----------------|");
        for bulk in [false, true] {
            let mut cells = Vec::new();
            for concurrency in [1usize, 4, 16] {
                let server = ScimServer::builder().record_requests(false).start().await;
                server.faults().on_any().respond(Fault::Delay(latency));
                let provisioner = Provisioner::builder(OktaSource::new(org.client()))
                    .concurrency(concurrency)
                    .bulk(bulk)
                    .target(Target::new("bench", server.client()).groups(groups.clone()))
                    .build()
                    .unwrap();
                let start = Instant::now();
                let report = provisioner.run().await.unwrap();
                let secs = start.elapsed().as_secs_f64();
                assert!(report.is_success(), "{report}");
                assert_eq!(server.user_count(), users_n);
                cells.push(format!(
                    "{secs:>5.2} s {:>5.0}/s",
                    users_n as f64 / secs
                ));
            }
            println!(
                "| {:<19} | {:>13} | {:>13} | {:>14} |",
                if bulk { "bulk" } else { "one request per user" },
                cells[0],
                cells[1],
                cells[2]
            );
        }
    });
}

fn main() {
    if std::env::var_os("SCIMKIT_BENCH_PROVISION_CHILD").is_some() {
        child();
        return;
    }
    benches();
    Criterion::default().configure_from_args().final_summary();
    budget_report();
    if std::env::var_os("SCIMKIT_BENCH_SKIP_PUSH").is_none() {
        latency_report();
        push_report();
    }
}
