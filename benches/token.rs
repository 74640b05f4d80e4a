//! The cached `token()` path next to a baseline in the same run: an `Arc` clone behind an
//! uncontended `RwLock` read of the same token (what a hand-written cache would do at best).
//! One task, then 8 concurrent tasks on a multi-threaded runtime.

use std::hint::black_box;
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use criterion::{Criterion, criterion_group, criterion_main};
use scimkit::ClientCredentials;
use scimkit::auth::AccessToken;
use scimkit::mock::TokenServer;

const TASKS: u64 = 8;

fn setup(rt: &tokio::runtime::Runtime) -> (TokenServer, ClientCredentials, Arc<AccessToken>) {
    rt.block_on(async {
        let idp = TokenServer::start().await;
        idp.register_client("bench", "s3cret");
        let creds = ClientCredentials::builder()
            .token_url(idp.token_url())
            .client_id("bench")
            .client_secret("s3cret".to_string())
            .build()
            .expect("credentials");
        let token = creds.token().await.expect("first token");
        (idp, creds, token)
    })
}

fn cached_token(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    let (_idp, creds, token) = setup(&rt);
    let baseline = Arc::new(RwLock::new(Some(token)));

    let mut group = c.benchmark_group("token");
    group.bench_function("baseline_rwlock_arc_clone/1_task", |b| {
        b.to_async(&rt).iter(|| {
            let baseline = &baseline;
            async move { black_box(baseline.read().expect("lock").clone()) }
        })
    });
    group.bench_function("scimkit_cached_token/1_task", |b| {
        b.to_async(&rt)
            .iter(|| async { black_box(creds.token().await.expect("token")) })
    });

    group.bench_function("baseline_rwlock_arc_clone/8_tasks", |b| {
        b.iter_custom(|iters| {
            let baseline = baseline.clone();
            concurrently(&rt, iters, move || {
                let baseline = baseline.clone();
                async move {
                    black_box(baseline.read().expect("lock").clone());
                }
            })
        })
    });
    group.bench_function("scimkit_cached_token/8_tasks", |b| {
        b.iter_custom(|iters| {
            let creds = creds.clone();
            concurrently(&rt, iters, move || {
                let creds = creds.clone();
                async move {
                    black_box(creds.token().await.expect("token"));
                }
            })
        })
    });
    group.finish();
}

/// Runs `iters` calls split over 8 tasks and returns the wall time divided so that the
/// reported figure is the time per call with 8 callers at once.
fn concurrently<F, Fut>(rt: &tokio::runtime::Runtime, iters: u64, make: F) -> Duration
where
    F: Fn() -> Fut + Send + Sync + Clone + 'static,
    Fut: std::future::Future<Output = ()> + Send,
{
    let per_task = iters.div_ceil(TASKS);
    rt.block_on(async move {
        let start = Instant::now();
        let handles: Vec<_> = (0..TASKS)
            .map(|_| {
                let make = make.clone();
                tokio::spawn(async move {
                    for _ in 0..per_task {
                        make().await;
                    }
                })
            })
            .collect();
        for handle in handles {
            handle.await.expect("task");
        }
        start.elapsed()
    })
}

criterion_group!(benches, cached_token);
criterion_main!(benches);
