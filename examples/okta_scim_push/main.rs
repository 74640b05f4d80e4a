//! Okta → SCIM "Push Groups" from your own service: Okta groups and their members pushed to
//! one or more SCIM targets, idempotently, with a plan you can print first.
//!
//! ```text
//! cargo run --example okta_scim_push                 # embedded mocks: an Okta org, two targets
//! cargo run --example okta_scim_push -- --dry-run    # print the plan, write nothing
//! ```
//!
//! - Okta: `SCIMKIT_OKTA_ORG` with `SCIMKIT_OKTA_API_TOKEN`, or a service app
//!   (`SCIMKIT_OKTA_CLIENT_ID`, `SCIMKIT_OKTA_PRIVATE_KEY`, `SCIMKIT_OKTA_SCOPES`, default
//!   `okta.groups.read okta.users.read`). Unset: an embedded Okta org with groups
//!   `Employees` and `Contractors`. Okta is only read.
//! - Target 1: `SCIMKIT_SCIM_URL` with `SCIMKIT_TOKEN_URL` + `SCIMKIT_CLIENT_ID` +
//!   `SCIMKIT_CLIENT_SECRET` (client credentials, Basic client auth) or `SCIMKIT_SCIM_TOKEN`;
//!   its groups in `SCIMKIT_PUSH_GROUPS` (comma-separated exact names).
//! - Target 2 (to 9): the same variables suffixed `_2` (`SCIMKIT_SCIM_URL_2`,
//!   `SCIMKIT_CLIENT_ID_2`, ..., `SCIMKIT_PUSH_GROUPS_2`), each with its own credentials.
//!   `SCIMKIT_TARGET_NAME[_N]` names a target in the output.
//! - Unset `SCIMKIT_SCIM_URL`: two embedded SCIM servers, `internal` (`Employees`) and
//!   `third-party` (`Contractors`), each with its own token endpoint.
//!
//! It prints a line per batch and a summary table. Exit status: 0 when every item was
//! done, 1 (with a one-line reason) when the run could not start, 2 when some items were
//! not done (listed under the table).

mod targets;

use std::process::ExitCode;

use scimkit::Result;
use scimkit::okta::{DefaultProfile, GroupProfile, UserStatus};
use scimkit::provision::{Event, OktaSource, Provisioner, Report};

#[path = "../common/okta_connect.rs"]
mod okta_connect;

/// A non-empty environment variable.
pub fn env(name: &str) -> Option<String> {
    okta_connect::env(name)
}

#[tokio::main]
async fn main() -> ExitCode {
    let dry_run = std::env::args().skip(1).any(|a| a == "--dry-run");
    match run(dry_run).await {
        Ok(None) => ExitCode::SUCCESS,
        Ok(Some(report)) => {
            let problems = report.problems().count();
            if problems == 0 {
                ExitCode::SUCCESS
            } else {
                eprintln!("okta_scim_push: {problems} items were not done (listed above)");
                ExitCode::from(2)
            }
        }
        Err(err) => {
            eprintln!("okta_scim_push: {err}");
            ExitCode::FAILURE
        }
    }
}

/// The embedded org: eight people, two groups that overlap, one user without an email
/// or a last name.
fn seed(org: &scimkit::mock::OktaOrg) {
    let ids = org.seed_sample_users(8);
    let kiosk = org.seed_user(
        serde_json::json!({"login": "kiosk-1", "firstName": "Kiosk"}),
        UserStatus::Active,
    );
    let contractor = org.seed_user(
        DefaultProfile::new("pat@partner.example", "Pat", "Partner"),
        UserStatus::Active,
    );
    let employees = org.seed_group(GroupProfile::new("Employees"));
    let contractors = org.seed_group(GroupProfile::new("Contractors"));
    if let (Some(employees), Some(contractors)) = (employees, contractors) {
        for id in ids.iter().take(6).chain(kiosk.iter()) {
            org.seed_membership(&employees, id);
        }
        for id in ids.iter().skip(5).chain(contractor.iter()) {
            org.seed_membership(&contractors, id);
        }
    }
}

async fn run(dry_run: bool) -> Result<Option<Report>> {
    let (okta, okta_mock) = okta_connect::connect("okta.groups.read okta.users.read", seed).await?;
    let (targets, target_mocks) = targets::targets().await?;
    let mut builder = Provisioner::builder(OktaSource::new(okta));
    for target in targets {
        builder = builder.target(target);
    }
    let provisioner = builder.build()?;

    let plan = provisioner.plan().await?;
    if dry_run {
        println!("dry run: nothing is written\n{plan:#}");
        return Ok(None);
    }
    print!("{plan}");
    let report = provisioner
        .apply_with(&plan, |event| {
            if let Event::Batch {
                target,
                phase,
                done,
                failed,
                total,
            } = event
            {
                println!("  [{target}] {phase}: {done}/{total} done, {failed} not done");
            }
        })
        .await;
    print!("{report}");
    if okta_mock.is_some() && !target_mocks.is_empty() {
        // Everything embedded: show that a second run has nothing to write.
        let again = provisioner.plan().await?;
        println!(
            "second plan against the unchanged org: {}",
            if again.is_empty() {
                "nothing to write"
            } else {
                "changes (unexpected)"
            }
        );
    }
    Ok(Some(report))
}
