//! The `scimkit-mock` binary as a CI job in another language would use it: start it, read
//! its JSON line, talk to the three servers, stop it with SIGTERM.
#![cfg(unix)]
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::{BufRead, BufReader, Write};
use std::process::{Child, Command, Stdio};

use futures_util::TryStreamExt;
use scimkit::okta::{OktaClient, UserStatus};
use scimkit::scim::{ScimClient, User};
use scimkit::{ClientCredentials, SecretString};
use serde_json::Value;

/// The running binary and the line it printed.
struct Running {
    child: Child,
    line: Value,
}

impl Running {
    fn start(args: &[&str]) -> Running {
        let mut child = Command::new(env!("CARGO_BIN_EXE_scimkit-mock"))
            .args(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("the binary starts");
        let stdout = child.stdout.take().unwrap();
        let mut first = String::new();
        BufReader::new(stdout).read_line(&mut first).unwrap();
        let line: Value = serde_json::from_str(&first).expect("one line of JSON");
        Running { child, line }
    }

    fn get(&self, key: &str) -> String {
        self.line[key]
            .as_str()
            .unwrap_or_else(|| panic!("{key} in {}", self.line))
            .to_owned()
    }

    /// Sends SIGTERM and returns the exit status.
    fn terminate(mut self) -> std::process::ExitStatus {
        let pid = self.child.id().to_string();
        let sent = Command::new("kill").args(["-TERM", &pid]).status().unwrap();
        assert!(sent.success());
        self.child.wait().unwrap()
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        // A failed test must not leave the server running.
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[tokio::test]
async fn the_binary_serves_all_three_and_exits_cleanly_on_sigterm() {
    let running = Running::start(&["--seed-users", "3", "--client-id", "ci-job"]);
    let keys: Vec<&str> = running
        .line
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(
        keys.len(),
        7,
        "token_url, client_id, client_secret, scim_url, scim_token, okta_url, okta_api_token: {keys:?}"
    );
    assert_eq!(running.get("client_id"), "ci-job");
    assert!(running.get("scim_url").ends_with("/scim/v2"));

    // A token from the token endpoint...
    let creds = ClientCredentials::builder()
        .token_url(running.get("token_url"))
        .client_id(running.get("client_id"))
        .client_secret(SecretString::from(running.get("client_secret")))
        .build()
        .unwrap();
    creds.token().await.unwrap();

    // ...that the SCIM server accepts.
    let scim = ScimClient::builder()
        .base_url(running.get("scim_url"))
        .auth(creds)
        .build()
        .unwrap();
    let created = scim
        .users()
        .create(&User::new("ada@example.com"))
        .await
        .unwrap();
    assert_eq!(created.user_name, "ada@example.com");
    let all: Vec<User> = scim.users().list().stream().try_collect().await.unwrap();
    assert_eq!(all.len(), 4, "three seeded, one created");

    // The static SCIM token works too.
    let static_scim = ScimClient::builder()
        .base_url(running.get("scim_url"))
        .auth(scimkit::BearerToken::new(running.get("scim_token")))
        .build()
        .unwrap();
    static_scim
        .users()
        .get(created.id.as_deref().unwrap())
        .await
        .unwrap();

    // The Okta org, with its API token and the seeded users.
    let okta = OktaClient::builder()
        .org(running.get("okta_url"))
        .unwrap()
        .api_token(running.get("okta_api_token"))
        .build()
        .unwrap();
    let users: Vec<_> = okta.users().list().stream().try_collect().await.unwrap();
    assert_eq!(users.len(), 3);
    assert!(users.iter().all(|u| u.status == UserStatus::Active));

    let status = running.terminate();
    assert!(status.success(), "exit status {status:?}");
}

#[tokio::test]
async fn the_binary_seeds_from_a_json_file() {
    let dir = std::env::temp_dir().join(format!("scimkit-mock-seed-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("seed.json");
    let seed = serde_json::json!({
        "scim": {
            "users": [{"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"], "userName": "ada"}],
            "groups": [{"schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"],
                        "displayName": "Admins", "members": [{"value": "ada"}]}]
        },
        "okta": {
            "users": [{"profile": {"login": "bob@example.com", "email": "bob@example.com",
                                   "firstName": "Bob", "lastName": "B"}, "status": "STAGED"}],
            "groups": [{"profile": {"name": "Engineering"}, "members": ["bob@example.com"]}]
        }
    });
    std::fs::File::create(&path)
        .unwrap()
        .write_all(seed.to_string().as_bytes())
        .unwrap();
    let running = Running::start(&["--seed", path.to_str().unwrap(), "--scim-token", "ci"]);
    assert_eq!(running.get("scim_token"), "ci");

    let scim = ScimClient::builder()
        .base_url(running.get("scim_url"))
        .auth(scimkit::BearerToken::new("ci".to_owned()))
        .build()
        .unwrap();
    let groups: Vec<scimkit::scim::Group> =
        scim.groups().list().stream().try_collect().await.unwrap();
    assert_eq!(groups.len(), 1);
    assert_eq!(groups[0].members.len(), 1, "ada resolved by userName");

    let okta = OktaClient::builder()
        .org(running.get("okta_url"))
        .unwrap()
        .api_token(running.get("okta_api_token"))
        .build()
        .unwrap();
    let bob = okta.users().get("bob@example.com").await.unwrap();
    assert_eq!(bob.status, UserStatus::Staged);
    let engineering: Vec<_> = okta.groups().list().stream().try_collect().await.unwrap();
    let members: Vec<_> = okta
        .groups()
        .members(&engineering[0].id)
        .stream()
        .try_collect()
        .await
        .unwrap();
    assert_eq!(members.len(), 1);

    assert!(running.terminate().success());
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn a_bad_flag_or_seed_file_exits_2_with_a_reason() {
    let bad = [
        vec!["--frobnicate"],
        vec!["--seed", "/nonexistent/seed.json"],
    ];
    for args in bad {
        let out = Command::new(env!("CARGO_BIN_EXE_scimkit-mock"))
            .args(&args)
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        assert!(out.stdout.is_empty(), "{args:?}: no JSON line on failure");
        assert!(
            String::from_utf8_lossy(&out.stderr).starts_with("scimkit-mock: "),
            "{args:?}"
        );
    }
}
