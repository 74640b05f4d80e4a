//! Okta's rate limits through the Okta client: `X-Rate-Limit-*` exposed, 429s waited out
//! until `Reset − Date + 1 s` with `X-Okta-Retry-For` / `-Count`, bounded waits, and
//! throttling. Time is a `ManualClock` shared by the client and the mock org, so waits are
//! instant and recorded.

use std::time::Duration;

use scimkit::mock::OktaOrg;
use scimkit::okta::OktaClient;
use scimkit::{Error, ManualClock, RetryPolicy, Transport};

async fn org_and_client(
    limit: u32,
    window: Duration,
    retry: RetryPolicy,
    throttle: bool,
) -> (OktaOrg, OktaClient, ManualClock) {
    let clock = ManualClock::new();
    let org = OktaOrg::builder()
        .rate_limit(limit, window)
        .clock(clock.clone())
        .start()
        .await;
    let transport = Transport::builder()
        .clock(clock.clone())
        .retry(retry)
        .build()
        .expect("test setup");
    let okta = OktaClient::builder()
        .org(org.uri())
        .and_then(|b| {
            b.api_token(org.api_token())
                .transport(transport)
                .throttle(throttle)
                .build()
        })
        .expect("test setup");
    (org, okta, clock)
}

#[tokio::test]
async fn rate_limit_headers_are_exposed() {
    let (org, okta, _clock) =
        org_and_client(5, Duration::from_secs(60), RetryPolicy::default(), false).await;
    let id = org.seed_sample_users(1).remove(0);
    assert!(okta.last_rate_limit().is_none());
    okta.users().get(&id).await.unwrap();
    okta.users().get(&id).await.unwrap();
    let limit = okta.last_rate_limit().unwrap();
    assert_eq!(limit.limit, Some(5));
    assert_eq!(limit.remaining, Some(3));
    assert!(limit.reset.is_some());
}

#[tokio::test]
async fn a_429_waits_for_reset_minus_date_plus_one_and_says_what_it_retries() {
    let (org, okta, clock) =
        org_and_client(2, Duration::from_secs(30), RetryPolicy::default(), false).await;
    let id = org.seed_sample_users(1).remove(0);
    okta.users().get(&id).await.unwrap();
    okta.users().get(&id).await.unwrap();
    // The third request is over budget: 429, wait for the reset, then succeed.
    let user = okta.users().get(&id).await.unwrap();
    assert_eq!(user.id, id);
    assert_eq!(org.rate_limited(), 1);

    let sleeps = clock.sleeps();
    assert_eq!(sleeps.len(), 1, "{sleeps:?}");
    // Reset is the window's end rounded up to a whole second, Date is whole seconds: the
    // wait is 30 s of window + 1 s, plus at most 1 s of rounding.
    assert!(
        sleeps[0] >= Duration::from_secs(31) && sleeps[0] <= Duration::from_secs(32),
        "{sleeps:?}"
    );

    let requests = org.requests();
    let rejected = &requests[2];
    let retried = &requests[3];
    assert!(rejected.header("x-okta-retry-for").is_none());
    assert_eq!(
        retried.header("x-okta-retry-for"),
        Some("mockreq3"),
        "the 429's X-Okta-Request-Id"
    );
    assert_eq!(retried.header("x-okta-retry-count"), Some("1"));
}

#[tokio::test]
async fn a_reset_beyond_the_maximum_wait_is_returned_as_an_okta_429() {
    let (org, okta, clock) = org_and_client(
        1,
        Duration::from_secs(600),
        RetryPolicy::default().max_wait(Duration::from_secs(60)),
        false,
    )
    .await;
    let id = org.seed_sample_users(1).remove(0);
    okta.users().get(&id).await.unwrap();
    let err = okta.users().get(&id).await.unwrap_err();
    match &err {
        Error::Okta(e) => {
            assert_eq!(e.status.as_u16(), 429);
            assert_eq!(e.error_code, "E0000047");
        }
        other => panic!("{other:?}"),
    }
    assert!(err.is_retryable());
    assert!(clock.sleeps().is_empty(), "no 10-minute wait");
}

#[tokio::test]
async fn retries_stop_at_the_configured_count() {
    let (org, okta, clock) = org_and_client(
        1000,
        Duration::from_secs(60),
        RetryPolicy::default().max_retries(2),
        false,
    )
    .await;
    let id = org.seed_sample_users(1).remove(0);
    org.fail_next(429, 3);
    let err = okta.users().get(&id).await.unwrap_err();
    assert_eq!(err.status().unwrap().as_u16(), 429);
    assert_eq!(clock.sleeps().len(), 2);
    let counts: Vec<Option<String>> = org
        .requests()
        .iter()
        .map(|r| r.header("x-okta-retry-count").map(str::to_owned))
        .collect();
    assert_eq!(counts, vec![None, Some("1".into()), Some("2".into())]);
}

#[tokio::test]
async fn throttling_waits_for_the_reset_instead_of_collecting_429s() {
    let (org, okta, clock) =
        org_and_client(3, Duration::from_secs(20), RetryPolicy::default(), true).await;
    let id = org.seed_sample_users(1).remove(0);
    for _ in 0..7 {
        okta.users().get(&id).await.unwrap();
    }
    assert_eq!(org.rate_limited(), 0, "no request was spent on a 429");
    assert_eq!(org.requests().len(), 7);
    assert_eq!(
        clock.sleeps().len(),
        2,
        "one wait per spent window: {:?}",
        clock.sleeps()
    );
}

#[tokio::test]
async fn tasks_sharing_a_throttled_client_all_get_through() {
    let (org, okta, _clock) = org_and_client(
        5,
        Duration::from_secs(10),
        RetryPolicy::default().max_retries(10),
        true,
    )
    .await;
    let id = org.seed_sample_users(1).remove(0);
    let mut tasks = Vec::new();
    for _ in 0..20 {
        let okta = okta.clone();
        let id = id.clone();
        tasks.push(tokio::spawn(async move {
            okta.users().get(&id).await.map(|u| u.id)
        }));
    }
    for t in tasks {
        assert_eq!(t.await.unwrap().unwrap(), id);
    }
    // Concurrent tasks may race past the throttle on the last request of a window; the 429s
    // they meet are retried, never surfaced.
    assert!(org.requests().len() >= 20);
}
