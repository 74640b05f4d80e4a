//! A custom SCIM schema extension: define it as a Rust type, write it on users, read it back,
//! change one of its attributes with PATCH, and filter on it.
//!
//! ```text
//! cargo run --example scim_custom_extension
//! SCIMKIT_SCIM_URL=https://host/scim/v2 SCIMKIT_SCIM_TOKEN=... \
//!   cargo run --example scim_custom_extension
//! ```
//!
//! The extension is `urn:example:params:scim:schemas:extension:acme:2.0:User` with
//! `badgeNumber`, `clearance` and `remote`; its schema definition (RFC 7643 §7), to load into
//! a server, is `examples/scim_custom_extension/schema.json` (`interop/run-scim.sh` gives it
//! to scim2-server). The example asks the server's `/Schemas` first and says whether the
//! server knows it: one that does not may drop or refuse the attributes.
//!
//! Target: `SCIMKIT_SCIM_URL` with `SCIMKIT_SCIM_TOKEN`, or with `SCIMKIT_TOKEN_URL` +
//! `SCIMKIT_CLIENT_ID` + `SCIMKIT_CLIENT_SECRET` (+ `SCIMKIT_SCOPE`); unset: the in-memory
//! mock. It creates three users named `acme-<random>-...@example.com` and deletes them again.

use std::process::ExitCode;

use scimkit::scim::{Extension, Filter, Patch, ScimClient, User};
use scimkit::{Error, Result};
use serde::{Deserialize, Serialize};

#[path = "../common/scim_connect.rs"]
mod scim_connect;

/// Acme's extension: the attributes under its URN, typed.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct AcmeUser {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    badge_number: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    clearance: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    remote: Option<bool>,
}

impl Extension for AcmeUser {
    const URN: &'static str = "urn:example:params:scim:schemas:extension:acme:2.0:User";
}

fn describe(e: &AcmeUser) -> String {
    format!(
        "badgeNumber {}, clearance {}, remote {}",
        e.badge_number.as_deref().unwrap_or("-"),
        e.clearance.as_deref().unwrap_or("-"),
        e.remote.map_or("-".into(), |r| r.to_string())
    )
}

/// The filter path of one of the extension's attributes: `<URN>:<name>`.
fn acme(attribute: &str) -> String {
    format!("{}:{attribute}", AcmeUser::URN)
}

#[tokio::main]
async fn main() -> ExitCode {
    match run().await {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!(
                "scim_custom_extension failed: {}",
                err.to_string().replace('\n', " ")
            );
            ExitCode::FAILURE
        }
    }
}

async fn run() -> Result<()> {
    let (scim, _mock) = scim_connect::connect(|server| server).await?;
    let known = scim.schemas().await?.iter().any(|s| s.id == AcmeUser::URN);
    if known {
        println!("the server advertises {}", AcmeUser::URN);
    } else {
        println!(
            "the server does not advertise {} (the mock keeps unknown extensions as sent; another server may drop or refuse them)",
            AcmeUser::URN
        );
    }

    let prefix = format!("acme-{:08x}", fastrand::u32(..));
    let people = [
        ("ada", "B-1001", "secret", false),
        ("grace", "B-1002", "internal", true),
        ("alan", "B-1003", "secret", true),
    ];
    let mut ids = Vec::new();
    for (name, badge, clearance, remote) in people {
        let mut user = User::new(format!("{prefix}-{name}@example.com")).display_name(name);
        user.set_extension(&AcmeUser {
            badge_number: Some(badge.into()),
            clearance: Some(clearance.into()),
            remote: Some(remote),
        })?;
        let created = scim.users().create(&user).await?;
        let id = created
            .id
            .ok_or_else(|| Error::Config("the server returned no user id".into()))?;
        ids.push((id, created.user_name));
    }
    let outcome = show(&scim, &prefix, &ids).await;
    for (id, _) in &ids {
        scim.users().delete(id).await?;
    }
    println!("deleted the {} users again", ids.len());
    outcome
}

async fn show(scim: &ScimClient, prefix: &str, ids: &[(String, String)]) -> Result<()> {
    println!("created {} users with the extension", ids.len());

    // Read one back: the extension comes out typed.
    let ada = scim.users().get(&ids[0].0).await?;
    let ext: Option<AcmeUser> = ada.extension()?;
    if let Some(e) = &ext {
        println!("read back {}: {}", ada.user_name, describe(e));
    }
    if ext.as_ref().and_then(|e| e.badge_number.as_deref()) != Some("B-1001") {
        return Err(Error::Config(format!(
            "the server did not keep the extension of {} (is {} loaded?)",
            ada.user_name,
            AcmeUser::URN
        )));
    }

    // Change one attribute with PATCH: its path is URN-qualified.
    scim.users()
        .patch(
            &ids[1].0,
            &Patch::new().replace(acme("clearance"), "secret"),
        )
        .await?;
    println!("patched {}: clearance internal -> secret", ids[1].1);

    // Filter on an extension attribute (and on our own users only).
    let filter = Filter::attr(&acme("clearance"))
        .eq("secret")
        .and(Filter::attr("userName").sw(prefix));
    println!("\nfilter: {filter}");
    let found = scim.users().list().filter(filter).all().await?;
    println!(
        "{:<34} {:<8} {:<9} remote",
        "userName", "badge", "clearance"
    );
    for user in &found {
        let ext: AcmeUser = user.extension()?.unwrap_or_default();
        println!(
            "{:<34} {:<8} {:<9} {}",
            user.user_name,
            ext.badge_number.as_deref().unwrap_or("-"),
            ext.clearance.as_deref().unwrap_or("-"),
            ext.remote.map_or("-".into(), |r| r.to_string())
        );
    }
    if found.len() != 3 {
        return Err(Error::Config(format!(
            "expected the 3 users with clearance secret, found {}",
            found.len()
        )));
    }
    Ok(())
}
