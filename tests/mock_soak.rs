//! Soak of the `scimkit-mock` binary: 100,000 requests over loopback, the process's memory
//! read from /proc before and after. Not part of `cargo test`; run it with
//!
//! ```sh
//! cargo test --test mock_soak -- --ignored --nocapture
//! ```
//!
//! "Before" is taken once every bounded structure is full (10,000 tokens issued, more than
//! `--max-records` requests to each server), so any growth after it is a leak.
#![cfg(target_os = "linux")]
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use serde_json::{Value, json};

const REQUESTS: usize = 100_000;
const WORKERS: usize = 8;

struct Mock {
    child: Child,
    line: Value,
}

impl Mock {
    fn url(&self, key: &str) -> String {
        self.line[key].as_str().unwrap().to_owned()
    }

    /// (VmHWM, VmRSS) in KiB.
    fn memory(&self) -> (u64, u64) {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id())).unwrap();
        let field = |name: &str| -> u64 {
            status
                .lines()
                .find_map(|l| l.strip_prefix(name))
                .and_then(|rest| rest.trim().trim_end_matches("kB").trim().parse().ok())
                .unwrap()
        };
        (field("VmHWM:"), field("VmRSS:"))
    }
}

impl Drop for Mock {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// One kind of request in the mix; each returns how many HTTP requests it made.
#[derive(Clone)]
struct Load {
    http: reqwest::Client,
    token_url: String,
    client_id: String,
    client_secret: String,
    scim_url: String,
    scim_token: String,
    okta_url: String,
    okta_token: String,
}

impl Load {
    async fn token(&self) -> usize {
        let r = self
            .http
            .post(&self.token_url)
            .basic_auth(&self.client_id, Some(&self.client_secret))
            .header("content-type", "application/x-www-form-urlencoded")
            .body("grant_type=client_credentials")
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
        r.bytes().await.unwrap();
        1
    }

    async fn scim_list(&self) -> usize {
        let r = self
            .http
            .get(format!("{}/Users?count=5", self.scim_url))
            .bearer_auth(&self.scim_token)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
        r.bytes().await.unwrap();
        1
    }

    async fn scim_create_delete(&self, n: usize) -> usize {
        let body = json!({
            "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
            "userName": format!("soak{n}@example.com"),
            "displayName": "Soak",
        });
        let r = self
            .http
            .post(format!("{}/Users", self.scim_url))
            .bearer_auth(&self.scim_token)
            .header("content-type", "application/scim+json")
            .body(body.to_string())
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 201);
        let created: Value = serde_json::from_slice(&r.bytes().await.unwrap()).unwrap();
        let id = created["id"].as_str().unwrap();
        let r = self
            .http
            .delete(format!("{}/Users/{id}", self.scim_url))
            .bearer_auth(&self.scim_token)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 204);
        2
    }

    async fn okta_list(&self) -> usize {
        let r = self
            .http
            .get(format!("{}/api/v1/users?limit=5", self.okta_url))
            .header("authorization", format!("SSWS {}", self.okta_token))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
        r.bytes().await.unwrap();
        1
    }

    async fn okta_create_delete(&self, n: usize) -> usize {
        let login = format!("soak{n}@example.com");
        let body = json!({"profile": {"login": login, "email": login,
            "firstName": "Soak", "lastName": n.to_string()}});
        let r = self
            .http
            .post(format!("{}/api/v1/users?activate=false", self.okta_url))
            .header("authorization", format!("SSWS {}", self.okta_token))
            .header("content-type", "application/json")
            .body(body.to_string())
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
        let created: Value = serde_json::from_slice(&r.bytes().await.unwrap()).unwrap();
        let id = created["id"].as_str().unwrap();
        // Okta deletes in two steps: deactivate, then delete.
        for _ in 0..2 {
            let r = self
                .http
                .delete(format!("{}/api/v1/users/{id}", self.okta_url))
                .header("authorization", format!("SSWS {}", self.okta_token))
                .send()
                .await
                .unwrap();
            assert_eq!(r.status(), 204);
        }
        3
    }

    /// One step of the mix, chosen by `n`.
    async fn step(&self, n: usize) -> usize {
        match n % 8 {
            0 => self.token().await,
            1 | 2 => self.scim_list().await,
            3 => self.scim_create_delete(n).await,
            4 | 5 => self.okta_list().await,
            6 => self.okta_create_delete(n).await,
            _ => self.scim_list().await + self.okta_list().await,
        }
    }
}

/// Runs the mix (or token requests only) on `WORKERS` tasks until `total` requests were
/// sent; returns how many.
async fn run(load: &Load, total: usize, tokens_only: bool) -> usize {
    let sent = Arc::new(AtomicUsize::new(0));
    let next = Arc::new(AtomicUsize::new(0));
    let mut tasks = Vec::new();
    for _ in 0..WORKERS {
        let (load, sent, next) = (load.clone(), sent.clone(), next.clone());
        tasks.push(tokio::spawn(async move {
            while sent.load(Ordering::Relaxed) < total {
                let n = next.fetch_add(1, Ordering::Relaxed);
                let made = if tokens_only {
                    load.token().await
                } else {
                    load.step(n).await
                };
                sent.fetch_add(made, Ordering::Relaxed);
            }
        }));
    }
    for task in tasks {
        task.await.unwrap();
    }
    sent.load(Ordering::Relaxed)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "a soak: run with --ignored --nocapture"]
async fn memory_stays_flat_over_100_000_requests() {
    let mut child = Command::new(env!("CARGO_BIN_EXE_scimkit-mock"))
        .args(["--seed-users", "50", "--max-records", "1000"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut first = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut first)
        .unwrap();
    let mock = Mock {
        child,
        line: serde_json::from_str(&first).unwrap(),
    };
    let load = Load {
        http: reqwest::Client::builder()
            .pool_max_idle_per_host(WORKERS)
            .build()
            .unwrap(),
        token_url: mock.url("token_url"),
        client_id: mock.url("client_id"),
        client_secret: mock.url("client_secret"),
        scim_url: mock.url("scim_url"),
        scim_token: mock.url("scim_token"),
        okta_url: mock.url("okta_url"),
        okta_token: mock.url("okta_api_token"),
    };
    let started = mock.memory();

    // Fill every bound: 10,000 tokens (the most either token store keeps), then enough of
    // the mix that each server's 1,000 records are full.
    let warm = run(&load, 10_000, true).await + run(&load, 10_000, false).await;
    let before = mock.memory();

    let sent = run(&load, REQUESTS, false).await;
    let after = mock.memory();

    println!(
        "scimkit-mock soak: {warm} warm-up + {sent} requests; VmHWM/VmRSS KiB: \
         at start {}/{}, after warm-up {}/{}, after the soak {}/{}",
        started.0, started.1, before.0, before.1, after.0, after.1
    );
    assert!(sent >= REQUESTS);
    // Flat: the peak may move by allocator noise, not by what 100,000 requests would leave
    // behind if anything kept them (at least 100 bytes each: ~10 MiB).
    let slack_kib = before.0 / 20 + 2048;
    assert!(
        after.0 <= before.0 + slack_kib,
        "peak memory grew from {} KiB to {} KiB",
        before.0,
        after.0
    );
}
