//! The in-process `RateBudget` against the mock Okta org: reserved before sending, it
//! learns the org's budget (lower than any nominal one) from the first answer, uses
//! (nearly) all of it window after window, and spends no request on a 429. Time is a
//! virtual clock shared by the org and every task: it moves only when every task sleeps.
#![allow(clippy::unwrap_used)]

#[path = "support/sim_clock.rs"]
mod sim_clock;

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use scimkit::mock::OktaOrg;
use scimkit::okta::OktaClient;
use scimkit::store::InProcessRateBudget;
use scimkit::{Error, ManualClock, RetryPolicy, Transport};
use sim_clock::SimClock;

const WINDOW: Duration = Duration::from_secs(60);

/// `replicas` clients (each with `tasks` tasks) against one org with `limit` per minute
/// for `windows` minutes; `budget` picks each replica's budget. Returns (2xx, 429s).
async fn run(
    replicas: usize,
    tasks: usize,
    limit: u32,
    windows: u32,
    shared_budget: Option<Arc<InProcessRateBudget>>,
) -> (u64, u64) {
    let clock = SimClock::new(replicas * tasks);
    let org = OktaOrg::builder()
        .rate_limit(limit, WINDOW)
        .clock(clock.clone())
        .record_requests(false)
        .start()
        .await;
    let id = org.seed_sample_users(1).remove(0);
    let ok = Arc::new(AtomicU64::new(0));
    let end = WINDOW * windows;
    let mut handles = Vec::new();
    for _ in 0..replicas {
        let transport = Transport::builder()
            .clock(clock.clone())
            .retry(RetryPolicy::default().max_wait(Duration::from_secs(600)))
            .build()
            .unwrap();
        let mut builder = OktaClient::builder()
            .org(org.uri())
            .unwrap()
            .api_token(org.api_token())
            .transport(transport);
        builder = match &shared_budget {
            Some(budget) => builder.rate_budget(budget.clone()),
            None => builder.throttle(true),
        };
        let okta = builder.build().unwrap();
        for _ in 0..tasks {
            let (okta, ok, clock, id) = (okta.clone(), ok.clone(), clock.clone(), id.clone());
            handles.push(tokio::spawn(async move {
                while clock.elapsed() < end {
                    if okta.users().get(&id).await.is_ok() && clock.elapsed() <= end {
                        ok.fetch_add(1, Ordering::Relaxed);
                    }
                }
                clock.worker_done();
            }));
        }
    }
    for h in handles {
        h.await.unwrap();
    }
    (ok.load(Ordering::Relaxed), org.rate_limited())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_replica_uses_at_least_95_percent_of_the_budget_without_a_429() {
    let (limit, windows) = (100, 4);
    let (ok, rate_limited) = run(1, 8, limit, windows, None).await;
    assert_eq!(rate_limited, 0, "no request was spent on a 429");
    let budget = u64::from(limit * windows);
    assert!(ok * 100 >= budget * 95, "{ok} of {budget}");
    assert!(ok <= budget, "{ok} of {budget}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn clients_sharing_one_in_process_budget_get_no_429() {
    let budget = Arc::new(InProcessRateBudget::new());
    let (limit, windows) = (60, 3);
    let (ok, rate_limited) = run(4, 3, limit, windows, Some(budget)).await;
    assert_eq!(rate_limited, 0);
    let budget = u64::from(limit * windows);
    assert!(ok * 100 >= budget * 95, "{ok} of {budget}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_first_request_probes_and_the_orgs_lower_limit_is_learned() {
    // Okta documents 600 a minute for this endpoint; this org allows 3.
    let clock = SimClock::new(7);
    let org = OktaOrg::builder()
        .rate_limit(3, WINDOW)
        .clock(clock.clone())
        .start()
        .await;
    let id = org.seed_sample_users(1).remove(0);
    let okta = OktaClient::builder()
        .org(org.uri())
        .unwrap()
        .api_token(org.api_token())
        .transport(Transport::builder().clock(clock.clone()).build().unwrap())
        .throttle(true)
        .build()
        .unwrap();
    let calls = (0..7).map(|_| {
        let (okta, id, clock) = (okta.clone(), id.clone(), clock.clone());
        tokio::spawn(async move {
            let user = okta.users().get(&id).await.map(|u| u.id);
            clock.worker_done();
            user
        })
    });
    for result in futures_util::future::join_all(calls).await {
        result.unwrap().unwrap();
    }
    assert_eq!(org.rate_limited(), 0, "no request was spent on a 429");
    assert_eq!(org.requests().len(), 7);
    // 3 in the first window, 3 in the second, 1 in the third.
    assert!(clock.elapsed() >= WINDOW * 2, "{:?}", clock.elapsed());
    assert!(clock.elapsed() < WINDOW * 3, "{:?}", clock.elapsed());
}

#[tokio::test]
async fn a_wait_beyond_max_wait_fails_without_sending() {
    let clock = ManualClock::new();
    let org = OktaOrg::builder()
        .rate_limit(1, Duration::from_secs(600))
        .clock(clock.clone())
        .start()
        .await;
    let id = org.seed_sample_users(1).remove(0);
    let transport = Transport::builder()
        .clock(clock.clone())
        .retry(RetryPolicy::default().max_wait(Duration::from_secs(60)))
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
    okta.users().get(&id).await.unwrap();
    let err = okta.users().get(&id).await.unwrap_err();
    match &err {
        Error::RateBudgetExhausted { retry_after } => {
            assert!(*retry_after > Duration::from_secs(60), "{retry_after:?}");
        }
        other => panic!("{other:?}"),
    }
    assert!(err.is_retryable());
    assert_eq!(org.requests().len(), 1, "the foreseen 429 was not sent");
    assert_eq!(org.rate_limited(), 0);
}
