//! `scimkit-mock`: the crate's mock identity provider as a standalone server, for CI jobs in
//! any language and for trying the crate with curl.
//!
//! ```sh
//! cargo run --features mock --bin scimkit-mock -- --seed-users 5
//! ```
//!
//! It starts an OAuth token endpoint, a SCIM server that accepts its tokens, and an Okta org,
//! prints one line of JSON with their URLs and credentials on stdout, and serves until
//! SIGTERM or SIGINT, then exits 0. Run with `--help` for the flags.

use std::io::Write;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::process::ExitCode;

use serde::Deserialize;
use serde_json::{Value, json};

use scimkit::mock::{IdentityProvider, MOCK_API_TOKEN, MOCK_CLIENT_ID};
use scimkit::okta::{GroupProfile, UserStatus};
use scimkit::scim::{Group, User};

const HELP: &str = "\
scimkit-mock: a mock OAuth token endpoint, SCIM 2.0 server and Okta org on loopback ports

USAGE:
    scimkit-mock [FLAGS]

FLAGS (all optional):
    --host ADDR             the address to listen on (default 127.0.0.1)
    --token-port N          the token endpoint's port (default 0: one the OS picks)
    --scim-port N           the SCIM server's port (default 0)
    --okta-port N           the Okta org's port (default 0)
    --client-id ID          the registered client (default scimkit-mock)
    --client-secret SECRET  its secret (default: random, printed)
    --scim-token TOKEN      a static bearer token the SCIM server also accepts (default: random)
    --okta-api-token TOKEN  the Okta API token (default 00mock-okta-api-token)
    --seed-users N          seeds N users on both SCIM and Okta (default 0)
    --seed FILE             seeds from a JSON file (see below)
    --max-records N         request records kept per server (default 1000)
    --help                  prints this and exits

On start it prints one line of JSON on stdout:
    {\"token_url\":...,\"client_id\":...,\"client_secret\":...,\"scim_url\":...,
     \"scim_token\":...,\"okta_url\":...,\"okta_api_token\":...}
then serves until SIGTERM or SIGINT and exits 0. Errors go to stderr (exit 2).

The SCIM server accepts the static token and any token the token endpoint issues.

The seed file:
    {\"scim\": {\"users\": [SCIM User, ...],
              \"groups\": [SCIM Group, ...]},
     \"okta\": {\"users\": [{\"profile\": {...}, \"status\": \"ACTIVE\"}, ...],
              \"groups\": [{\"profile\": {\"name\": ...}, \"members\": [\"login\", ...]}, ...]}}
A SCIM group member's \"value\" may be the userName of a seeded user instead of an id;
an Okta user's status defaults to ACTIVE.
";

/// The command line, parsed.
struct Options {
    host: IpAddr,
    token_port: u16,
    scim_port: u16,
    okta_port: u16,
    client_id: String,
    client_secret: Option<String>,
    scim_token: Option<String>,
    okta_api_token: String,
    seed_users: usize,
    seed_file: Option<String>,
    max_records: usize,
}

enum Parsed {
    Run(Box<Options>),
    Help,
}

fn parse(args: impl IntoIterator<Item = String>) -> Result<Parsed, String> {
    let mut options = Options {
        host: IpAddr::V4(Ipv4Addr::LOCALHOST),
        token_port: 0,
        scim_port: 0,
        okta_port: 0,
        client_id: MOCK_CLIENT_ID.to_owned(),
        client_secret: None,
        scim_token: None,
        okta_api_token: MOCK_API_TOKEN.to_owned(),
        seed_users: 0,
        seed_file: None,
        max_records: 1000,
    };
    let mut args = args.into_iter();
    while let Some(flag) = args.next() {
        if flag == "--help" || flag == "-h" {
            return Ok(Parsed::Help);
        }
        let (name, inline) = match flag.split_once('=') {
            Some((name, value)) => (name.to_owned(), Some(value.to_owned())),
            None => (flag, None),
        };
        let mut value = || {
            inline
                .clone()
                .or_else(|| args.next())
                .ok_or_else(|| format!("{name} needs a value"))
        };
        let number = |text: String| -> Result<usize, String> {
            text.parse()
                .map_err(|_| format!("{name}: {text:?} is not a number"))
        };
        let port = |text: String| -> Result<u16, String> {
            text.parse()
                .map_err(|_| format!("{name}: {text:?} is not a port"))
        };
        match name.as_str() {
            "--host" => {
                let text = value()?;
                options.host = if text == "localhost" {
                    IpAddr::V4(Ipv4Addr::LOCALHOST)
                } else {
                    text.parse()
                        .map_err(|_| format!("--host: {text:?} is not an IP address"))?
                };
            }
            "--token-port" => options.token_port = port(value()?)?,
            "--scim-port" => options.scim_port = port(value()?)?,
            "--okta-port" => options.okta_port = port(value()?)?,
            "--client-id" => options.client_id = value()?,
            "--client-secret" => options.client_secret = Some(value()?),
            "--scim-token" => options.scim_token = Some(value()?),
            "--okta-api-token" => options.okta_api_token = value()?,
            "--seed-users" => options.seed_users = number(value()?)?,
            "--seed" => options.seed_file = Some(value()?),
            "--max-records" => options.max_records = number(value()?)?,
            other => return Err(format!("unknown flag {other:?} (try --help)")),
        }
    }
    Ok(Parsed::Run(Box::new(options)))
}

/// The seed file's shape.
#[derive(Deserialize, Default)]
#[serde(default, deny_unknown_fields)]
struct Seed {
    scim: ScimSeed,
    okta: OktaSeed,
}

#[derive(Deserialize, Default)]
#[serde(default, deny_unknown_fields)]
struct ScimSeed {
    users: Vec<User>,
    groups: Vec<Group>,
}

#[derive(Deserialize, Default)]
#[serde(default, deny_unknown_fields)]
struct OktaSeed {
    users: Vec<OktaUserSeed>,
    groups: Vec<OktaGroupSeed>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct OktaUserSeed {
    profile: Value,
    #[serde(default)]
    status: Option<UserStatus>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct OktaGroupSeed {
    profile: GroupProfile,
    #[serde(default)]
    members: Vec<String>,
}

fn seed_from_file(idp: &IdentityProvider, path: &str) -> Result<(), String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("--seed {path}: {e}"))?;
    let seed: Seed = serde_json::from_str(&text).map_err(|e| format!("--seed {path}: {e}"))?;
    let scim = idp.scim();
    for user in seed.scim.users {
        let name = user.user_name.clone();
        scim.seed_user(user)
            .ok_or_else(|| format!("--seed: SCIM user {name:?} refused (duplicate userName?)"))?;
    }
    for mut group in seed.scim.groups {
        let name = group.display_name.clone();
        for member in &mut group.members {
            if let Some(value) = &member.value
                && scim.user(value).is_none()
                && let Some(user) = scim.users().into_iter().find(|u| u.user_name == *value)
            {
                member.value = user.id;
            }
        }
        scim.seed_group(group).ok_or_else(|| {
            format!("--seed: SCIM group {name:?} refused (no displayName, or a member that does not exist?)")
        })?;
    }
    let okta = idp.okta();
    for user in seed.okta.users {
        let login = user.profile.get("login").cloned().unwrap_or(Value::Null);
        okta.seed_user(user.profile, user.status.unwrap_or(UserStatus::Active))
            .ok_or_else(|| {
                format!("--seed: Okta user {login} refused (no login, or a duplicate)")
            })?;
    }
    for group in seed.okta.groups {
        let name = group.profile.name.clone();
        let id = okta.seed_group(group.profile).ok_or_else(|| {
            format!("--seed: Okta group {name:?} refused (no name, or a duplicate)")
        })?;
        for member in group.members {
            if !okta.seed_membership(&id, &member) {
                return Err(format!(
                    "--seed: Okta group {name:?}: no user {member:?} to add"
                ));
            }
        }
    }
    Ok(())
}

async fn start(options: &Options) -> Result<IdentityProvider, String> {
    let address = |port| SocketAddr::new(options.host, port);
    let mut builder = IdentityProvider::builder()
        .token_address(address(options.token_port))
        .scim_address(address(options.scim_port))
        .okta_address(address(options.okta_port))
        .okta_api_token(&options.okta_api_token)
        .max_records(options.max_records);
    if let Some(secret) = &options.client_secret {
        builder = builder.client(&options.client_id, secret);
    } else {
        builder = builder.client(&options.client_id, &random_secret());
    }
    if let Some(token) = &options.scim_token {
        builder = builder.scim_token(token);
    }
    let idp = builder
        .try_start()
        .await
        .map_err(|e| format!("could not listen on {}: {e}", options.host))?;
    if options.seed_users > 0 {
        idp.scim().seed_sample_users(options.seed_users);
        idp.okta().seed_sample_users(options.seed_users);
    }
    if let Some(path) = &options.seed_file {
        seed_from_file(&idp, path)?;
    }
    Ok(idp)
}

fn random_secret() -> String {
    std::iter::repeat_with(fastrand::alphanumeric)
        .take(32)
        .collect()
}

/// Waits for SIGTERM or SIGINT.
async fn stopped() -> std::io::Result<()> {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        let mut terminate = signal(SignalKind::terminate())?;
        let mut interrupt = signal(SignalKind::interrupt())?;
        tokio::select! {
            _ = terminate.recv() => {}
            _ = interrupt.recv() => {}
        }
        Ok(())
    }
    #[cfg(not(unix))]
    {
        tokio::signal::ctrl_c().await
    }
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> ExitCode {
    let options = match parse(std::env::args().skip(1)) {
        Ok(Parsed::Run(options)) => options,
        Ok(Parsed::Help) => {
            print!("{HELP}");
            return ExitCode::SUCCESS;
        }
        Err(why) => {
            eprintln!("scimkit-mock: {why}");
            return ExitCode::from(2);
        }
    };
    let idp = match start(&options).await {
        Ok(idp) => idp,
        Err(why) => {
            eprintln!("scimkit-mock: {why}");
            return ExitCode::from(2);
        }
    };
    let line = json!({
        "token_url": idp.token_url(),
        "client_id": idp.client_id(),
        "client_secret": idp.client_secret(),
        "scim_url": idp.scim_url(),
        "scim_token": idp.scim_token(),
        "okta_url": idp.okta_url(),
        "okta_api_token": idp.okta_api_token(),
    });
    let mut stdout = std::io::stdout().lock();
    if writeln!(stdout, "{line}")
        .and_then(|()| stdout.flush())
        .is_err()
    {
        eprintln!("scimkit-mock: could not write to stdout");
        return ExitCode::from(2);
    }
    drop(stdout);
    eprintln!(
        "scimkit-mock: token {}, SCIM {}, Okta {}; SIGTERM or Ctrl-C stops",
        idp.token_url(),
        idp.scim_url(),
        idp.okta_url()
    );
    if let Err(e) = stopped().await {
        eprintln!("scimkit-mock: cannot wait for signals: {e}");
        return ExitCode::from(2);
    }
    eprintln!("scimkit-mock: stopping");
    drop(idp);
    ExitCode::SUCCESS
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(text: &str) -> Vec<String> {
        text.split_whitespace().map(str::to_owned).collect()
    }

    #[test]
    fn flags_parse_and_mistakes_are_named() {
        let Ok(Parsed::Run(o)) = parse(args(
            "--host 0.0.0.0 --token-port=8080 --scim-port 8081 --seed-users 3 --max-records 5",
        )) else {
            panic!("should parse");
        };
        assert_eq!(o.host.to_string(), "0.0.0.0");
        assert_eq!((o.token_port, o.scim_port, o.okta_port), (8080, 8081, 0));
        assert_eq!((o.seed_users, o.max_records), (3, 5));
        assert!(matches!(parse(args("--help")), Ok(Parsed::Help)));
        let errors = [
            ("--token-port", "needs a value"),
            ("--token-port 70000", "not a port"),
            ("--seed-users x", "not a number"),
            ("--host example", "not an IP address"),
            ("--frobnicate", "unknown flag"),
        ];
        for (line, want) in errors {
            match parse(args(line)) {
                Err(why) => assert!(why.contains(want), "{line}: {why}"),
                Ok(_) => panic!("{line} should fail"),
            }
        }
    }
}
