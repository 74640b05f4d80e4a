//! Bulk-provision users from a CSV file into a SCIM service provider: idempotent (users are
//! matched by `userName`, so running it twice changes nothing), `/Bulk` where the server
//! supports it and one request per user where it does not, and a report line per row.
//!
//! ```text
//! cargo run --example scim_bulk_csv                               # the sample file, the mock
//! cargo run --example scim_bulk_csv -- people.csv --one-by-one    # your file, no /Bulk
//! SCIMKIT_SCIM_URL=https://host/scim/v2 SCIMKIT_SCIM_TOKEN=... \
//!   cargo run --example scim_bulk_csv -- people.csv
//! ```
//!
//! The file has a header row and the columns `userName,givenName,familyName,email,title,active`
//! (only `userName` is required; an empty cell leaves the attribute as it is). The sample is
//! `examples/scim_bulk_csv/users.csv`.
//!
//! Rows are read in batches (`--batch`, default 50). For each batch: one search finds the
//! users that already exist (`userName eq ... or ...`); a missing user is created, an existing
//! one gets a PATCH with just the attributes that differ (`Patch::diff`), an identical one is
//! left alone. The writes go out as one `/Bulk` request when the server's
//! `ServiceProviderConfig` says it supports bulk (split to its limits), else one request per
//! user. The exit code is 1 when any row failed.
//!
//! Target: `SCIMKIT_SCIM_URL` with `SCIMKIT_SCIM_TOKEN`, or with `SCIMKIT_TOKEN_URL` +
//! `SCIMKIT_CLIENT_ID` + `SCIMKIT_CLIENT_SECRET` (+ `SCIMKIT_SCOPE`). Unset: the in-memory
//! mock, seeded with two of the sample users (one of them out of date), and the file is
//! imported twice to show that the second pass changes nothing.

use std::collections::HashMap;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::Parser;
use scimkit::scim::{Bulk, Filter, MultiValued, Name, Patch, ScimClient, User};
use scimkit::{Error, Result};
use serde::Deserialize;

#[path = "../common/scim_connect.rs"]
mod scim_connect;

/// Provision the users of a CSV file into a SCIM server.
#[derive(Parser)]
struct Args {
    /// The CSV file (header: userName,givenName,familyName,email,title,active).
    #[arg(default_value = concat!(env!("CARGO_MANIFEST_DIR"), "/examples/scim_bulk_csv/users.csv"))]
    csv: PathBuf,
    /// One request per user even when the server supports /Bulk.
    #[arg(long)]
    one_by_one: bool,
    /// Rows per batch: one search and at most one /Bulk request each.
    #[arg(long, default_value_t = 50)]
    batch: usize,
}

/// One row of the file. Empty cells are `None`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Row {
    user_name: String,
    given_name: Option<String>,
    family_name: Option<String>,
    email: Option<String>,
    title: Option<String>,
    active: Option<bool>,
}

/// What a row needs.
enum Plan {
    Create(Box<User>),
    Update { id: String, patch: Patch },
    Unchanged,
}

/// How a row went.
#[derive(Default)]
struct Tally {
    created: usize,
    updated: usize,
    unchanged: usize,
    failed: usize,
}

#[tokio::main]
async fn main() -> ExitCode {
    let args = Args::parse();
    match run(args).await {
        Ok(tally) if tally.failed == 0 => ExitCode::SUCCESS,
        Ok(tally) => {
            eprintln!(
                "scim_bulk_csv: {} row(s) failed (see the report above)",
                tally.failed
            );
            ExitCode::FAILURE
        }
        Err(err) => {
            eprintln!(
                "scim_bulk_csv failed: {}",
                err.to_string().replace('\n', " ")
            );
            ExitCode::FAILURE
        }
    }
}

async fn run(args: Args) -> Result<Tally> {
    let (scim, mock) = scim_connect::connect(|server| server).await?;
    if let Some(mock) = &mock {
        // Two of the sample users are already there; Grace's title is out of date.
        let mut ada = User::new("ada.lovelace@example.com")
            .name(Name::new("Ada", "Lovelace"))
            .email(
                MultiValued::new("ada.lovelace@example.com")
                    .kind("work")
                    .primary(true),
            )
            .active(true);
        ada.title = Some("Analyst".into());
        let mut grace = User::new("grace.hopper@example.com")
            .name(Name::new("Grace", "Hopper"))
            .active(true);
        grace.title = Some("Commodore".into());
        mock.server.seed_users([ada, grace]);
    }
    let config = scim.discover().await?;
    let bulk = config.bulk.supported && !args.one_by_one;
    println!(
        "{}: {}",
        args.csv.display(),
        if bulk {
            format!(
                "one /Bulk request per batch (the server allows {} operations per request)",
                config
                    .bulk
                    .max_operations
                    .map_or("any number of".to_owned(), |n| n.to_string())
            )
        } else if args.one_by_one {
            "one request per user (--one-by-one)".to_owned()
        } else {
            "one request per user (the server does not support /Bulk)".to_owned()
        }
    );
    let tally = import(&scim, &args, bulk).await?;
    summary("", &tally);
    if mock.is_some() {
        let again = import_quietly(&scim, &args, bulk).await?;
        summary("the same file again: ", &again);
    }
    Ok(tally)
}

fn summary(prefix: &str, t: &Tally) {
    println!(
        "{prefix}{} created, {} updated, {} unchanged, {} failed",
        t.created, t.updated, t.unchanged, t.failed
    );
}

async fn import_quietly(scim: &ScimClient, args: &Args, bulk: bool) -> Result<Tally> {
    import_with(scim, args, bulk, false).await
}

async fn import(scim: &ScimClient, args: &Args, bulk: bool) -> Result<Tally> {
    println!("{:>4}  {:<32} {:<9} result", "line", "userName", "action");
    import_with(scim, args, bulk, true).await
}

async fn import_with(scim: &ScimClient, args: &Args, bulk: bool, print: bool) -> Result<Tally> {
    let mut reader = csv::Reader::from_path(&args.csv)
        .map_err(|e| Error::Config(format!("cannot read {}: {e}", args.csv.display())))?;
    let mut tally = Tally::default();
    let mut report = |line: u64, user_name: &str, action: &str, outcome: Result<String>| {
        let result = match outcome {
            Ok(text) => {
                match action {
                    "create" => tally.created += 1,
                    "update" => tally.updated += 1,
                    _ => tally.unchanged += 1,
                }
                text
            }
            Err(err) => {
                tally.failed += 1;
                format!("FAILED: {}", err.to_string().replace('\n', " "))
            }
        };
        if print {
            println!("{line:>4}  {user_name:<32} {action:<9} {result}");
        }
    };
    let headers = reader
        .headers()
        .map_err(|e| Error::Config(format!("cannot read {}: {e}", args.csv.display())))?
        .clone();
    let mut batch: Vec<(u64, Row)> = Vec::new();
    let mut records = reader.records();
    loop {
        let next = records.next();
        match &next {
            Some(Ok(record)) => {
                let line = record.position().map_or(0, |p| p.line());
                match record.deserialize::<Row>(Some(&headers)) {
                    Ok(row) if row.user_name.trim().is_empty() => {
                        report(
                            line,
                            "",
                            "skip",
                            Err(Error::Config("userName is empty".into())),
                        );
                    }
                    Ok(row) => batch.push((line, row)),
                    Err(e) => {
                        let user_name = record.get(0).unwrap_or_default();
                        let why = Error::Config(format!("unreadable row: {e}"));
                        report(line, user_name, "skip", Err(why));
                    }
                }
            }
            Some(Err(e)) => {
                let line = e.position().map_or(0, |p| p.line());
                report(
                    line,
                    "",
                    "skip",
                    Err(Error::Config(format!("unreadable row: {e}"))),
                );
            }
            None => {}
        }
        if batch.len() >= args.batch.max(1) || (next.is_none() && !batch.is_empty()) {
            let rows = std::mem::take(&mut batch);
            for (line, user_name, action, outcome) in apply(scim, rows, bulk).await? {
                report(line, &user_name, action, outcome);
            }
        }
        if next.is_none() {
            break;
        }
    }
    Ok(tally)
}

/// Plans and sends one batch; one result per row, in file order.
async fn apply(
    scim: &ScimClient,
    rows: Vec<(u64, Row)>,
    bulk: bool,
) -> Result<Vec<(u64, String, &'static str, Result<String>)>> {
    // One search for the whole batch: userName eq "a" or userName eq "b" or ...
    let filter = rows
        .iter()
        .map(|(_, row)| Filter::attr("userName").eq(row.user_name.as_str()))
        .reduce(Filter::or)
        .ok_or_else(|| Error::Config("empty batch".into()))?;
    let existing: HashMap<String, User> = scim
        .users()
        .list()
        .filter(filter)
        .all()
        .await?
        .into_iter()
        .map(|u| (u.user_name.to_lowercase(), u))
        .collect();

    let mut planned = Vec::new();
    for (line, row) in rows {
        let plan = match existing.get(&row.user_name.to_lowercase()) {
            None => Plan::Create(Box::new(desired(User::new(row.user_name.clone()), &row))),
            Some(current) => {
                let patch = Patch::diff(current, &desired(current.clone(), &row))?;
                match current.id.clone() {
                    _ if patch.is_empty() => Plan::Unchanged,
                    Some(id) => Plan::Update { id, patch },
                    None => Plan::Unchanged,
                }
            }
        };
        planned.push((line, row.user_name, plan));
    }

    let mut out = Vec::new();
    if bulk {
        let mut request = Bulk::new();
        for (line, _, plan) in &planned {
            request = match plan {
                Plan::Create(user) => request.create(&format!("line{line}"), user.as_ref())?,
                Plan::Update { id, patch } => request.patch::<User>(id, patch)?,
                Plan::Unchanged => request,
            };
        }
        let mut results = if request.operations.is_empty() {
            Vec::new()
        } else {
            scim.bulk(&request).await?.operations
        }
        .into_iter();
        for (line, user_name, plan) in planned {
            let (action, outcome) = match &plan {
                Plan::Unchanged => ("none", Ok("unchanged".to_owned())),
                Plan::Create(_) | Plan::Update { .. } => {
                    let action = if matches!(plan, Plan::Create(_)) {
                        "create"
                    } else {
                        "update"
                    };
                    let outcome = match results.next() {
                        Some(r) if r.is_success() => Ok(done(&plan, r.id().as_deref())),
                        Some(r) => Err(r.error().map_or_else(
                            || Error::Config(format!("status {}", r.status)),
                            |e| Error::Scim(Box::new(e)),
                        )),
                        None => Err(Error::Config("the server did not process it".into())),
                    };
                    (action, outcome)
                }
            };
            out.push((line, user_name, action, outcome));
        }
    } else {
        for (line, user_name, plan) in planned {
            let (action, outcome) = match &plan {
                Plan::Unchanged => ("none", Ok("unchanged".to_owned())),
                Plan::Create(user) => (
                    "create",
                    scim.users()
                        .create(user)
                        .await
                        .map(|u| done(&plan, u.id.as_deref())),
                ),
                Plan::Update { id, patch } => (
                    "update",
                    scim.users()
                        .patch(id, patch)
                        .await
                        .map(|_| done(&plan, Some(id))),
                ),
            };
            out.push((line, user_name, action, outcome));
        }
    }
    Ok(out)
}

/// `user` with the row's non-empty cells applied.
fn desired(mut user: User, row: &Row) -> User {
    if row.given_name.is_some() || row.family_name.is_some() {
        let mut name = user.name.take().unwrap_or_default();
        if let Some(given) = &row.given_name {
            name.given_name = Some(given.clone());
        }
        if let Some(family) = &row.family_name {
            name.family_name = Some(family.clone());
        }
        user.name = Some(name);
    }
    if let Some(email) = &row.email {
        let known = user.emails.iter().any(|e| {
            e.value
                .as_deref()
                .is_some_and(|v| v.eq_ignore_ascii_case(email))
        });
        if !known {
            user.emails = vec![MultiValued::new(email).kind("work").primary(true)];
        }
    }
    if let Some(title) = &row.title {
        user.title = Some(title.clone());
    }
    if let Some(active) = row.active {
        user.active = Some(active);
    }
    user
}

/// The report text of a write that succeeded.
fn done(plan: &Plan, id: Option<&str>) -> String {
    let id = id.unwrap_or("?");
    match plan {
        Plan::Create(_) => format!("created, id {id}"),
        Plan::Update { patch, .. } => {
            let paths: Vec<&str> = patch
                .operations
                .iter()
                .filter_map(|op| op.path.as_deref())
                .collect();
            format!("updated {}", paths.join(", "))
        }
        Plan::Unchanged => "unchanged".to_owned(),
    }
}
