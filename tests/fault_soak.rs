//! Fault soak: thousands of randomized SCIM and Okta operations, 8 at a time, through a chaos
//! proxy that injects a fault into 10% of the requests (an answer dropped after the mock
//! acted, a reset, a 503, a 429, a slow answer, an answer cut in the middle), then the
//! mocks' own state is checked:
//!
//! - every idempotent operation (GET, PUT, DELETE, a list page) succeeded: retries absorbed
//!   the faults;
//! - every write that is not idempotent (create, PATCH, deactivate) either succeeded, or
//!   failed saying the outcome is unknown (`OutcomeUnknown` / `BodyInterrupted`), or failed
//!   with the 503/429 the proxy answered instead of forwarding; it was never sent again:
//!   no `userName` or login exists twice, no create met its own earlier attempt (409,
//!   `E0000001`), no deactivate met its own (`E0000038`);
//! - what succeeded is in the mock, what was refused is not, and the mock holds nothing else.
//!
//! `cargo test --test fault_soak` runs 1,000 operations; the 10,000-operation soak is
//! `#[ignore]`d: `cargo test --test fault_soak -- --ignored` (about 45 s in a debug build, 6 s
//! with `--release`; `.ci/run` runs it). Both print their figures (add `--nocapture` to see
//! them). `SCIMKIT_SOAK_SEED` overrides the seed.

#[path = "support/chaos.rs"]
mod chaos;

use std::collections::{BTreeMap, HashMap};
use std::time::{Duration, Instant};

use chaos::{Chaos, ChaosConfig, Fault};
use scimkit::mock::{OktaOrg, ScimServer};
use scimkit::okta::{CreateUser, DefaultProfile, OktaClient, UserStatus};
use scimkit::scim::{Patch, ScimClient, User};
use scimkit::{BearerToken, Error, ManualClock, RetryPolicy, Transport};

const TASKS: u64 = 8;
const FAULT_RATE: f64 = 0.10;
const DEFAULT_SEED: u64 = 0x5ca1_ab1e;

fn seed() -> u64 {
    std::env::var("SCIMKIT_SOAK_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(DEFAULT_SEED)
}

/// Enough retries that ten faults in a row (10⁻¹⁰ at a 10% rate) are needed to fail an
/// idempotent call; back-offs on a `ManualClock` take no time.
fn transport() -> Transport {
    Transport::builder()
        .timeout(Duration::from_secs(10))
        .retry(
            RetryPolicy::default()
                .max_retries(10)
                .initial_backoff(Duration::from_millis(1))
                .max_backoff(Duration::from_millis(4)),
        )
        .clock(ManualClock::new())
        .build()
        .expect("transport")
}

/// How a write that is not idempotent ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Write {
    /// It succeeded: the server acted.
    Done,
    /// `OutcomeUnknown`: the connection broke after the request was written.
    Unknown,
    /// `BodyInterrupted`: the answer's status arrived, its body did not.
    Interrupted,
    /// The 503 or 429 the proxy answered instead of forwarding: the server never saw it.
    Refused,
}

fn classify(result: &Result<(), Error>) -> Result<Write, String> {
    match result {
        Ok(()) => Ok(Write::Done),
        Err(Error::OutcomeUnknown {
            idempotent: false, ..
        }) => Ok(Write::Unknown),
        Err(Error::BodyInterrupted {
            idempotent: false, ..
        }) => Ok(Write::Interrupted),
        Err(e) if e.status().is_some_and(|s| s == 503 || s == 429) => Ok(Write::Refused),
        Err(e) => Err(format!("{e:?}")),
    }
}

/// What one task did and saw.
#[derive(Default)]
struct Tally {
    ops: BTreeMap<&'static str, u64>,
    /// Broken invariants, said in words.
    violations: Vec<String>,
    /// SCIM creates by outcome: (userName, id when known).
    scim_creates: Vec<(String, Write, Option<String>)>,
    /// SCIM users deleted (the DELETE succeeded, or its retry found the user gone).
    scim_deleted: Vec<String>,
    /// DELETEs whose retry found the user already gone (404): the first attempt acted.
    delete_404_on_retry: u64,
    /// SCIM PATCH outcomes.
    patches: BTreeMap<Write, u64>,
    /// Okta creates by outcome: (login, outcome).
    okta_creates: Vec<(String, Write)>,
    /// Okta deactivations by outcome: (login, outcome).
    deactivations: Vec<(String, Write)>,
}

impl Tally {
    fn op(&mut self, name: &'static str) {
        *self.ops.entry(name).or_default() += 1;
    }

    fn violation(&mut self, what: String) {
        if self.violations.len() < 50 {
            self.violations.push(what);
        }
    }

    fn merge(&mut self, other: Tally) {
        for (k, v) in other.ops {
            *self.ops.entry(k).or_default() += v;
        }
        self.violations.extend(other.violations);
        self.scim_creates.extend(other.scim_creates);
        self.scim_deleted.extend(other.scim_deleted);
        self.delete_404_on_retry += other.delete_404_on_retry;
        for (k, v) in other.patches {
            *self.patches.entry(k).or_default() += v;
        }
        self.okta_creates.extend(other.okta_creates);
        self.deactivations.extend(other.deactivations);
    }
}

/// One task's share of the operations.
async fn worker(task: u64, seed: u64, ops: u64, scim: ScimClient, okta: OktaClient) -> Tally {
    let mut rng = fastrand::Rng::with_seed(seed.wrapping_mul(31).wrapping_add(task));
    let mut tally = Tally::default();
    // Users this task created and may still touch: (id, name).
    let mut scim_live: Vec<(String, String)> = Vec::new();
    let mut okta_live: Vec<(String, String)> = Vec::new();
    for n in 0..ops {
        let roll = rng.u32(0..100);
        // Operations on an existing user fall back to a create while there is none.
        let roll = match roll {
            15..50 if scim_live.is_empty() => 0,
            68..83 | 90..100 if okta_live.is_empty() => 55,
            r => r,
        };
        match roll {
            0..15 => {
                tally.op("scim.create");
                let name = format!("soak-{seed}-{task}-{n}@example.com");
                let user = User::new(&name)
                    .display_name("Soak")
                    .password("s0ak-Pass!".to_string());
                let result = scim.users().create(&user).await;
                let id = result.as_ref().ok().and_then(|u| u.id.clone());
                match classify(&result.map(|_| ())) {
                    Ok(outcome) => {
                        if let Some(id) = &id {
                            scim_live.push((id.clone(), name.clone()));
                        }
                        tally.scim_creates.push((name, outcome, id));
                    }
                    Err(e) => tally.violation(format!("SCIM create {name}: {e}")),
                }
            }
            15..30 => {
                tally.op("scim.get");
                let (id, name) = &scim_live[rng.usize(..scim_live.len())];
                match scim.users().get(id).await {
                    Ok(u) if &u.user_name == name => {}
                    Ok(u) => tally.violation(format!("SCIM get {id}: got {}", u.user_name)),
                    Err(e) => tally.violation(format!("SCIM get {id} (idempotent) failed: {e:?}")),
                }
            }
            30..38 => {
                tally.op("scim.replace");
                let (id, name) = &scim_live[rng.usize(..scim_live.len())];
                // Unconditional (no meta.version, so no If-Match): a PUT whose answer was
                // lost is safe to send again.
                let mut user = User::new(name).display_name(format!("Replaced {n}"));
                user.id = Some(id.clone());
                if let Err(e) = scim.users().replace(&user).await {
                    tally.violation(format!("SCIM replace {id} (idempotent) failed: {e:?}"));
                }
            }
            38..46 => {
                tally.op("scim.patch");
                let (id, _) = &scim_live[rng.usize(..scim_live.len())];
                let patch = Patch::new().replace("displayName", format!("Patched {n}"));
                match classify(&scim.users().patch(id, &patch).await.map(|_| ())) {
                    Ok(outcome) => *tally.patches.entry(outcome).or_default() += 1,
                    Err(e) => tally.violation(format!("SCIM patch {id}: {e}")),
                }
            }
            46..50 => {
                tally.op("scim.delete");
                let (id, name) = scim_live.swap_remove(rng.usize(..scim_live.len()));
                match scim.users().delete(&id).await {
                    Ok(()) => tally.scim_deleted.push(name),
                    // Only this task ever deletes this user, once: a 404 is the retry of a
                    // DELETE whose first attempt acted and whose answer was lost.
                    Err(Error::Scim(e)) if e.is_not_found() => {
                        tally.delete_404_on_retry += 1;
                        tally.scim_deleted.push(name);
                    }
                    Err(e) => {
                        tally.violation(format!("SCIM delete {id} (idempotent) failed: {e:?}"))
                    }
                }
            }
            50..55 => {
                tally.op("scim.list");
                if let Err(e) = scim.users().list().count(10).send().await {
                    tally.violation(format!("SCIM list page (idempotent) failed: {e:?}"));
                }
            }
            55..68 => {
                tally.op("okta.create");
                let login = format!("soak-{seed}-{task}-{n}@example.org");
                let user = CreateUser::new(DefaultProfile::new(&login, "Soak", "Okta"));
                let result = okta.users().create(&user).await;
                let id = result.as_ref().ok().map(|u| u.id.clone());
                match classify(&result.map(|_| ())) {
                    Ok(outcome) => {
                        if let Some(id) = id {
                            okta_live.push((id, login.clone()));
                        }
                        tally.okta_creates.push((login, outcome));
                    }
                    Err(e) => tally.violation(format!("Okta create {login}: {e}")),
                }
            }
            68..83 => {
                tally.op("okta.get");
                let (id, login) = &okta_live[rng.usize(..okta_live.len())];
                match okta.users().get(id).await {
                    Ok(u) if &u.profile.login == login => {}
                    Ok(u) => tally.violation(format!("Okta get {id}: got {}", u.profile.login)),
                    Err(e) => tally.violation(format!("Okta get {id} (idempotent) failed: {e:?}")),
                }
            }
            83..90 => {
                tally.op("okta.list");
                if let Err(e) = okta.users().list().limit(20).send().await {
                    tally.violation(format!("Okta list page (idempotent) failed: {e:?}"));
                }
            }
            _ => {
                tally.op("okta.deactivate");
                let (id, login) = okta_live.swap_remove(rng.usize(..okta_live.len()));
                match classify(&okta.users().deactivate(&id).await) {
                    Ok(outcome) => tally.deactivations.push((login, outcome)),
                    Err(e) => tally.violation(format!("Okta deactivate {id}: {e}")),
                }
            }
        }
    }
    tally
}

/// Runs the soak and checks the invariants; panics listing every broken one.
async fn soak(ops: u64) {
    let seed = seed();
    let started = Instant::now();
    let scim_server = ScimServer::start().await;
    let org = OktaOrg::start().await;
    let config = |salt: u64| ChaosConfig {
        seed: seed.wrapping_add(salt),
        rate: FAULT_RATE,
        max_delay: Duration::from_millis(50),
    };
    let scim_proxy = Chaos::start(&scim_server.uri(), config(1)).await;
    let okta_proxy = Chaos::start(&org.uri(), config(2)).await;
    let transport = transport();
    let scim = ScimClient::builder()
        .base_url(format!(
            "{}{}",
            scim_proxy.uri(),
            scim_server
                .base_url()
                .strip_prefix(&scim_server.uri())
                .expect("base URL under the server's URI")
        ))
        .auth(BearerToken::new(scim_server.bearer_token().to_string()))
        .transport(transport.clone())
        .build()
        .expect("SCIM client");
    let okta = OktaClient::builder()
        .org(okta_proxy.uri())
        .expect("org")
        .api_token(org.api_token())
        .transport(transport)
        .build()
        .expect("Okta client");

    let mut tasks = Vec::new();
    for task in 0..TASKS {
        let share = ops / TASKS + u64::from(task < ops % TASKS);
        tasks.push(tokio::spawn(worker(
            task,
            seed,
            share,
            scim.clone(),
            okta.clone(),
        )));
    }
    let mut tally = Tally::default();
    for task in tasks {
        tally.merge(task.await.expect("a soak task panicked"));
    }
    let elapsed = started.elapsed();

    // ---- The mocks' state.
    let mut violations = std::mem::take(&mut tally.violations);

    // SCIM: every userName at most once; what succeeded is there, what was refused or
    // deleted is not, and nothing else is.
    let stored = serde_json::to_value(scim_server.users()).expect("users as JSON");
    let mut by_name: HashMap<String, usize> = HashMap::new();
    for user in stored.as_array().into_iter().flatten() {
        let name = user["userName"].as_str().unwrap_or_default().to_owned();
        *by_name.entry(name).or_default() += 1;
    }
    let scim_duplicates: usize = by_name.values().map(|n| n.saturating_sub(1)).sum();
    let deleted: std::collections::HashSet<&String> = tally.scim_deleted.iter().collect();
    let mut scim_outcomes: BTreeMap<Write, (u64, u64)> = BTreeMap::new(); // (present, absent)
    for (name, outcome, _) in &tally.scim_creates {
        let present = by_name.contains_key(name);
        let entry = scim_outcomes.entry(*outcome).or_default();
        if present {
            entry.0 += 1;
        } else {
            entry.1 += 1;
        }
        match outcome {
            Write::Done if !present && !deleted.contains(name) => violations.push(format!(
                "SCIM create {name} succeeded but the user is missing"
            )),
            Write::Refused if present => violations.push(format!(
                "SCIM create {name} was refused but the user exists"
            )),
            _ => {}
        }
        if deleted.contains(name) && present {
            violations.push(format!("SCIM user {name} was deleted but still exists"));
        }
    }
    let attempted: std::collections::HashSet<&String> =
        tally.scim_creates.iter().map(|(n, _, _)| n).collect();
    let strangers = by_name.keys().filter(|n| !attempted.contains(n)).count();
    if strangers > 0 {
        violations.push(format!("{strangers} SCIM users nobody created"));
    }

    // Okta: the same, by login; the mock refuses a second user with a login, so a
    // duplicate would have shown as an `E0000001` answer (a violation above) — and the
    // count of users must be exactly what was created.
    let mut okta_outcomes: BTreeMap<Write, (u64, u64)> = BTreeMap::new();
    let mut okta_present = 0usize;
    for (login, outcome) in &tally.okta_creates {
        let present = org.user(login).is_some();
        okta_present += usize::from(present);
        let entry = okta_outcomes.entry(*outcome).or_default();
        if present {
            entry.0 += 1;
        } else {
            entry.1 += 1;
        }
        match outcome {
            Write::Done if !present => violations.push(format!(
                "Okta create {login} succeeded but the user is missing"
            )),
            Write::Refused if present => violations.push(format!(
                "Okta create {login} was refused but the user exists"
            )),
            _ => {}
        }
    }
    let okta_duplicates = org.user_count().saturating_sub(okta_present);
    let mut deactivation_outcomes: BTreeMap<Write, (u64, u64)> = BTreeMap::new(); // (deprovisioned, not)
    for (login, outcome) in &tally.deactivations {
        let off = org.user_status(login) == Some(UserStatus::Deprovisioned);
        let entry = deactivation_outcomes.entry(*outcome).or_default();
        if off {
            entry.0 += 1;
        } else {
            entry.1 += 1;
        }
        match outcome {
            Write::Done if !off => violations.push(format!(
                "Okta deactivate {login} succeeded but the user is not DEPROVISIONED"
            )),
            Write::Refused if off => violations.push(format!(
                "Okta deactivate {login} was refused but the user is DEPROVISIONED"
            )),
            _ => {}
        }
    }
    if scim_duplicates > 0 {
        violations.push(format!("{scim_duplicates} duplicated SCIM users"));
    }
    if okta_duplicates > 0 {
        violations.push(format!("{okta_duplicates} Okta users more than created"));
    }
    for proxy in [&scim_proxy, &okta_proxy] {
        if proxy.upstream_failures() > 0 {
            violations.push(format!(
                "the proxy failed to reach the mock {} times (a broken test)",
                proxy.upstream_failures()
            ));
        }
    }

    // ---- Figures.
    let total_ops: u64 = tally.ops.values().sum();
    let requests = scim_proxy.requests() + okta_proxy.requests();
    let mut faults: BTreeMap<Fault, u64> = scim_proxy.faults();
    for (k, v) in okta_proxy.faults() {
        *faults.entry(k).or_default() += v;
    }
    let fault_total: u64 = faults.values().sum();
    println!(
        "fault soak: {total_ops} operations, {TASKS} tasks, seed {seed}, {:.1} s",
        elapsed.as_secs_f64()
    );
    println!("  operations: {:?}", tally.ops);
    println!(
        "  requests: {requests} ({} SCIM, {} Okta), forwarded to the mocks {}; retries {}",
        scim_proxy.requests(),
        okta_proxy.requests(),
        scim_proxy.forwarded() + okta_proxy.forwarded(),
        requests.saturating_sub(total_ops)
    );
    println!(
        "  faults: {fault_total} ({:.1}% of requests): {faults:?}",
        100.0 * fault_total as f64 / requests.max(1) as f64
    );
    println!("  SCIM creates (present, absent): {scim_outcomes:?}");
    println!("  Okta creates (present, absent): {okta_outcomes:?}");
    println!("  Okta deactivations (deprovisioned, not): {deactivation_outcomes:?}");
    println!("  SCIM patches: {:?}", tally.patches);
    println!(
        "  DELETEs whose retry found the user gone (404): {}",
        tally.delete_404_on_retry
    );
    println!(
        "  duplicates: SCIM {scim_duplicates}, Okta {okta_duplicates}; violations: {}",
        violations.len()
    );

    assert_eq!(total_ops, ops, "every operation ran");
    assert!(fault_total > 0, "the proxy injected no fault");
    assert!(
        violations.is_empty(),
        "{} invariants broken:\n{}",
        violations.len(),
        violations.join("\n")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fault_soak_1k() {
    soak(1_000).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "10,000 operations, run by .ci/run: cargo test --test fault_soak -- --ignored"]
async fn fault_soak_10k() {
    soak(10_000).await;
}
