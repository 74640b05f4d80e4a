//! SCIM benchmarks.
//!
//! - `list_response_1000/typed` vs `list_response_1000/value`: decoding the same 1,000-user
//!   `ListResponse` (name, emails, phone numbers, enterprise extension with manager, meta)
//!   into `ListResponse<User>` and into `serde_json::Value`.
//! - Streaming from `mock::ScimServer` (not a criterion measurement: one timed run each):
//!   10,000 and 100,000 users through `ResourceStream`, reporting users/second and the peak
//!   resident memory of the client. The client runs in a child process (this binary
//!   re-executed) so that `VmHWM` from `/proc/self/status` counts only the client and not
//!   the mock server, which holds every user in memory. A global counting allocator would
//!   need `unsafe impl GlobalAlloc`, which the crate's lints forbid in every target.
//!   Set `SCIMKIT_BENCH_SKIP_STREAM=1` to skip it.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::hint::black_box;
use std::time::Instant;

use criterion::{Criterion, Throughput, criterion_group};
use futures_util::TryStreamExt;
use scimkit::mock::ScimServer;
use scimkit::scim::{EnterpriseUser, ListResponse, Manager, MultiValued, Name, ScimClient, User};
use serde_json::{Value, json};

fn realistic_user(i: usize) -> Value {
    json!({
        "schemas": [
            "urn:ietf:params:scim:schemas:core:2.0:User",
            "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
        ],
        "id": format!("2819c223-7f76-453a-919d-{i:012}"),
        "externalId": format!("ext-{i}"),
        "userName": format!("user{i}@example.com"),
        "name": {
            "formatted": format!("Ms. User {i} Jensen"),
            "familyName": "Jensen",
            "givenName": format!("User{i}"),
            "honorificPrefix": "Ms."
        },
        "displayName": format!("User {i} Jensen"),
        "title": "Engineer",
        "userType": "Employee",
        "preferredLanguage": "en-US",
        "locale": "en-US",
        "timezone": "Europe/Paris",
        "active": true,
        "emails": [
            {"value": format!("user{i}@example.com"), "type": "work", "primary": true},
            {"value": format!("user{i}@home.example.org"), "type": "home"}
        ],
        "phoneNumbers": [{"value": "+33 1 23 45 67 89", "type": "work"}],
        "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": {
            "employeeNumber": format!("{i}"),
            "costCenter": "4130",
            "organization": "Example Corp",
            "division": "R&D",
            "department": "Platform",
            "manager": {"value": "26118915-6090-4610-87e4-49d8ca9f808d", "displayName": "John Smith"}
        },
        "meta": {
            "resourceType": "User",
            "created": "2024-01-23T04:56:22Z",
            "lastModified": "2025-05-13T04:42:34Z",
            "location": format!("https://scim.example.com/v2/Users/2819c223-7f76-453a-919d-{i:012}"),
            "version": "W/\"3694e05e9dff590\""
        }
    })
}

fn list_bytes(n: usize) -> Vec<u8> {
    let resources: Vec<Value> = (0..n).map(realistic_user).collect();
    serde_json::to_vec(&json!({
        "schemas": ["urn:ietf:params:scim:api:messages:2.0:ListResponse"],
        "totalResults": n,
        "itemsPerPage": n,
        "startIndex": 1,
        "Resources": resources
    }))
    .unwrap()
}

fn decode(c: &mut Criterion) {
    let bytes = list_bytes(1000);
    let mut group = c.benchmark_group("list_response_1000");
    group.throughput(Throughput::Bytes(bytes.len() as u64));
    group.bench_function("typed", |b| {
        b.iter(|| {
            let page: ListResponse<User> = serde_json::from_slice(black_box(&bytes)).unwrap();
            black_box(page)
        })
    });
    group.bench_function("value", |b| {
        b.iter(|| {
            let page: Value = serde_json::from_slice(black_box(&bytes)).unwrap();
            black_box(page)
        })
    });
    group.finish();
}

criterion_group!(benches, decode);

fn seed_user(i: usize) -> User {
    User::new(format!("user{i:06}@example.com"))
        .display_name(format!("User {i}"))
        .name(Name::new(format!("User{i}"), "Jensen"))
        .email(
            MultiValued::new(format!("user{i}@example.com"))
                .kind("work")
                .primary(true),
        )
        .active(true)
        .enterprise(
            EnterpriseUser::new()
                .department("Platform")
                .cost_center("4130")
                .manager(Manager::new("26118915-6090-4610-87e4-49d8ca9f808d")),
        )
}

fn vm_hwm_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// The child: streams every user from the server and prints one result line.
fn child(url: String) {
    let token = std::env::var("SCIMKIT_BENCH_TOKEN").unwrap();
    let count: u64 = std::env::var("SCIMKIT_BENCH_COUNT")
        .unwrap()
        .parse()
        .unwrap();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let before = vm_hwm_kib().unwrap_or(0);
    let (n, secs) = rt.block_on(async move {
        let scim = ScimClient::builder()
            .base_url(url)
            .auth(scimkit::BearerToken::new(token))
            .build()
            .unwrap();
        scim.discover().await.unwrap();
        let start = Instant::now();
        let mut stream = scim.users().list().count(count).stream();
        let mut n = 0u64;
        while let Some(user) = stream.try_next().await.unwrap() {
            black_box(&user);
            n += 1;
        }
        (n, start.elapsed().as_secs_f64())
    });
    let peak = vm_hwm_kib().unwrap_or(0);
    println!("RESULT users={n} secs={secs:.3} vmhwm_before_kib={before} vmhwm_kib={peak}");
}

fn stream_report() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let page = 500u64;
        let server = ScimServer::builder()
            .max_results(page)
            .record_requests(false)
            .start()
            .await;
        let mut seeded = 0usize;
        for total in [10_000usize, 100_000] {
            server.seed_users((seeded..total).map(seed_user));
            seeded = total;
            let exe = std::env::current_exe().unwrap();
            let out = tokio::process::Command::new(exe)
                .env("SCIMKIT_BENCH_STREAM_CHILD", server.base_url())
                .env("SCIMKIT_BENCH_TOKEN", server.bearer_token())
                .env("SCIMKIT_BENCH_COUNT", page.to_string())
                .output()
                .await
                .unwrap();
            let text = String::from_utf8_lossy(&out.stdout);
            let line = text.lines().find(|l| l.starts_with("RESULT")).unwrap_or("RESULT missing");
            let field = |k: &str| -> f64 {
                line.split_whitespace()
                    .find_map(|f| f.strip_prefix(&format!("{k}=")))
                    .and_then(|v| v.parse().ok())
                    .unwrap_or(f64::NAN)
            };
            let (users, secs) = (field("users"), field("secs"));
            println!(
                "scim/stream_{total}: {users} users in {secs:.2} s = {:.0} users/s, pages of {page}; client peak RSS {:.1} MiB (before streaming {:.1} MiB)",
                users / secs,
                field("vmhwm_kib") / 1024.0,
                field("vmhwm_before_kib") / 1024.0,
            );
        }
    });
}

fn main() {
    if let Ok(url) = std::env::var("SCIMKIT_BENCH_STREAM_CHILD") {
        child(url);
        return;
    }
    benches();
    Criterion::default().configure_from_args().final_summary();
    if std::env::var_os("SCIMKIT_BENCH_SKIP_STREAM").is_none() {
        stream_report();
    }
}
