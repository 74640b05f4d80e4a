//! Resume a long export after a crash, from a saved cursor: SCIM (`ResourceStream::cursor()`
//! → `ListRequest::resume`) and Okta (`ItemStream::cursor()` → `List::after`).
//!
//! ```text
//! cargo run --example resume_export                   # both, offline, with a simulated crash
//! SCIMKIT_SCIM_URL=https://host/scim/v2 SCIMKIT_SCIM_TOKEN=... \
//!   cargo run --example resume_export -- --dir export/   # run it again after a crash: it resumes
//! SCIMKIT_OKTA_ORG=my-org SCIMKIT_OKTA_API_TOKEN=... cargo run --example resume_export
//! ```
//!
//! Each export writes one JSON line per user to `<dir>/<source>-users.jsonl` and keeps a
//! checkpoint in `<dir>/<source>-users.checkpoint.json`: the stream's cursor at the start of
//! the page being written and the file's length there. It is saved whenever a page starts
//! (a hard crash loses at most one page of work) and when the stream fails (nothing is
//! lost). On start, an export with a checkpoint cuts the file back to the saved length and
//! resumes from the saved cursor, so every user is in the file exactly once; when it
//! finishes it deletes the checkpoint.
//!
//! Offline (neither `SCIMKIT_SCIM_URL` nor `SCIMKIT_OKTA_ORG` set) it exports 250 users
//! from the in-memory SCIM server and from the in-memory Okta org, 50 a page, with an aimed
//! fault that fails the third page (503 on every attempt) standing in for the crash; then it
//! runs the export again, which resumes, and checks that the file holds each user once.
//! Against real endpoints: `SCIMKIT_SCIM_URL` (+ `SCIMKIT_SCIM_TOKEN`, or the
//! `SCIMKIT_TOKEN_URL` trio) and/or `SCIMKIT_OKTA_ORG` (+ `SCIMKIT_OKTA_API_TOKEN` or a
//! service app, default scope `okta.users.read`).

use std::collections::HashSet;
use std::fs::{File, OpenOptions};
use std::io::{BufRead, BufReader, BufWriter, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::Parser;
use futures_core::Stream;
use futures_util::TryStreamExt;
use http::Method;
use scimkit::mock::{Fault, OktaOrg};
use scimkit::okta::{ItemStream, OktaClient, User as OktaUser};
use scimkit::scim::{ResourceStream, ScimClient, StreamPosition, User as ScimUser};
use scimkit::{Error, Result};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

#[path = "common/okta_connect.rs"]
mod okta_connect;
#[path = "common/scim_connect.rs"]
mod scim_connect;

/// Export users with a resumable checkpoint.
#[derive(Parser)]
struct Args {
    /// Where the exports and their checkpoints go (default: the current directory; offline,
    /// a fresh temporary directory).
    #[arg(long)]
    dir: Option<PathBuf>,
}

/// What is saved between runs.
#[derive(Debug, Serialize, Deserialize)]
struct Checkpoint<C> {
    /// Where the stream resumes: the cursor of the first user not in the file.
    cursor: C,
    /// The file's length when the checkpoint was taken.
    bytes: u64,
    /// Users in the file then.
    users: u64,
}

#[tokio::main]
async fn main() -> ExitCode {
    match run(Args::parse()).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!(
                "resume_export failed: {}",
                err.to_string().replace('\n', " ")
            );
            ExitCode::FAILURE
        }
    }
}

async fn run(args: Args) -> Result<()> {
    let scim_set = okta_connect::env("SCIMKIT_SCIM_URL").is_some();
    let okta_set = okta_connect::env("SCIMKIT_OKTA_ORG").is_some();
    if scim_set || okta_set {
        let dir = args.dir.unwrap_or_else(|| PathBuf::from("."));
        if scim_set {
            let (scim, _) = scim_connect::connect(|s| s).await?;
            let outcome = export_scim(&scim, &dir).await?;
            println!("SCIM: {outcome}");
        }
        if okta_set {
            let (okta, _) = okta_connect::connect("okta.users.read", |_| {}).await?;
            let outcome = export_okta(&okta, &dir).await?;
            println!("Okta: {outcome}");
        }
        return Ok(());
    }
    let (dir, temporary) = match args.dir {
        Some(dir) => (dir, false),
        None => (
            std::env::temp_dir().join(format!("scimkit-resume-{}", std::process::id())),
            true,
        ),
    };
    std::fs::create_dir_all(&dir).map_err(|e| io_error(&dir, e))?;
    println!("files in {}", dir.display());
    scim_demo(&dir).await?;
    okta_demo(&dir).await?;
    if temporary {
        std::fs::remove_dir_all(&dir).map_err(|e| io_error(&dir, e))?;
    }
    Ok(())
}

/// The SCIM export, offline: a crash on the third page, then a resumed run.
async fn scim_demo(dir: &Path) -> Result<()> {
    println!("\n== SCIM: 250 users, 50 a page");
    let (scim, mock) = scim_connect::connect(|s| s.max_results(50)).await?;
    let server = &mock
        .ok_or_else(|| Error::Config("expected the mock SCIM server".into()))?
        .server;
    server.seed_sample_users(250);
    let crash = server
        .faults()
        .on(Method::GET, "/Users")
        .matching(|r| r.query_param("startIndex").as_deref() == Some("101"))
        .respond(Fault::Status(503));
    crashed(
        export_scim(&scim, dir).await,
        &dir.join("scim-users.checkpoint.json"),
    )?;
    crash.disarm();
    println!("run 2: {}", export_scim(&scim, dir).await?);
    check_once(&dir.join("scim-users.jsonl"), 250)
}

/// The Okta export, offline: a crash on the third page, then a resumed run.
async fn okta_demo(dir: &Path) -> Result<()> {
    println!("\n== Okta: 250 users, 50 a page");
    let org = OktaOrg::start().await;
    let ids = org.seed_sample_users(250);
    let after = ids
        .get(99)
        .cloned()
        .ok_or_else(|| Error::Config("the org has too few users".into()))?;
    let crash = org
        .faults()
        .on(Method::GET, "/api/v1/users")
        .matching(move |r| r.query_param("after").as_deref() == Some(after.as_str()))
        .respond(OktaOrg::error_fault(503));
    let okta = org.client();
    crashed(
        export_okta(&okta, dir).await,
        &dir.join("okta-users.checkpoint.json"),
    )?;
    crash.disarm();
    println!("run 2: {}", export_okta(&okta, dir).await?);
    check_once(&dir.join("okta-users.jsonl"), 250)
}

/// Reports the simulated crash, which must have happened and left a checkpoint.
fn crashed(outcome: Result<String>, checkpoint: &Path) -> Result<()> {
    match outcome {
        Ok(done) => Err(Error::Config(format!(
            "the export was meant to crash but finished: {done}"
        ))),
        Err(err) => {
            println!("run 1: crashed: {err}");
            let saved = std::fs::read_to_string(checkpoint).map_err(|e| io_error(checkpoint, e))?;
            println!("       checkpoint: {saved}");
            Ok(())
        }
    }
}

/// Exports SCIM users to `<dir>/scim-users.jsonl`, resuming from its checkpoint if any.
async fn export_scim(scim: &ScimClient, dir: &Path) -> Result<String> {
    let files = Files::new(dir, "scim-users");
    let saved: Option<Checkpoint<StreamPosition>> = files.load()?;
    let request = scim.users().list().count(50);
    let stream = match &saved {
        Some(checkpoint) => request.resume(&checkpoint.cursor),
        None => request.stream(),
    };
    export(
        stream,
        ResourceStream::<ScimUser>::cursor,
        ResourceStream::<ScimUser>::pages_fetched,
        saved,
        &files,
    )
    .await
}

/// Exports Okta users to `<dir>/okta-users.jsonl`, resuming from its checkpoint if any.
async fn export_okta(okta: &OktaClient, dir: &Path) -> Result<String> {
    let files = Files::new(dir, "okta-users");
    let saved: Option<Checkpoint<Option<String>>> = files.load()?;
    let request = okta.users().list().limit(50);
    let stream = match saved.as_ref().and_then(|c| c.cursor.clone()) {
        Some(after) => request.after(after).stream(),
        None => request.stream(),
    };
    export(
        stream,
        ItemStream::<OktaUser>::cursor,
        ItemStream::<OktaUser>::pages_fetched,
        saved,
        &files,
    )
    .await
}

/// The export loop both sources share: write each user as a JSON line; save a checkpoint
/// whenever a page starts and when the stream fails; delete it at the end.
async fn export<S, T, C>(
    mut stream: S,
    cursor: fn(&S) -> C,
    pages: fn(&S) -> u64,
    saved: Option<Checkpoint<C>>,
    files: &Files,
) -> Result<String>
where
    S: Stream<Item = Result<T>> + Unpin,
    T: Serialize,
    C: Serialize,
{
    let resumed = saved
        .as_ref()
        .map(|c| serde_json::to_string(&c.cursor).unwrap_or_default());
    let (bytes, before) = saved.map_or((0, 0), |c| (c.bytes, c.users));
    let mut out = files.open_at(bytes)?;
    let mut here = Checkpoint {
        cursor: cursor(&stream),
        bytes,
        users: before,
    };
    loop {
        let fetched = pages(&stream);
        here.cursor = cursor(&stream);
        match stream.try_next().await {
            Ok(Some(user)) => {
                if pages(&stream) > fetched {
                    // A page starts with this user: everything before it is in the file.
                    out.flush().map_err(|e| io_error(&files.data, e))?;
                    files.save(&here)?;
                }
                let mut line = serde_json::to_vec(&user)
                    .map_err(|e| Error::Config(format!("cannot encode a user: {e}")))?;
                line.push(b'\n');
                out.write_all(&line).map_err(|e| io_error(&files.data, e))?;
                here.bytes += line.len() as u64;
                here.users += 1;
            }
            Ok(None) => break,
            Err(err) => {
                // The stream's cursor now points at the page it could not read.
                here.cursor = cursor(&stream);
                out.flush().map_err(|e| io_error(&files.data, e))?;
                files.save(&here)?;
                return Err(err);
            }
        }
    }
    out.flush().map_err(|e| io_error(&files.data, e))?;
    files.finish()?;
    let new = here.users - before;
    Ok(match resumed {
        Some(from) => format!(
            "resumed from {from}: {new} more users, {} in {}",
            here.users,
            files.data.display()
        ),
        None => format!("{new} users in {}", files.data.display()),
    })
}

/// An export's data file and checkpoint file.
struct Files {
    data: PathBuf,
    checkpoint: PathBuf,
}

impl Files {
    fn new(dir: &Path, name: &str) -> Files {
        Files {
            data: dir.join(format!("{name}.jsonl")),
            checkpoint: dir.join(format!("{name}.checkpoint.json")),
        }
    }

    fn load<C: DeserializeOwned>(&self) -> Result<Option<Checkpoint<C>>> {
        match std::fs::read(&self.checkpoint) {
            Ok(bytes) => serde_json::from_slice(&bytes).map(Some).map_err(|e| {
                Error::Config(format!("{} is damaged: {e}", self.checkpoint.display()))
            }),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(io_error(&self.checkpoint, e)),
        }
    }

    /// Opens the data file cut back to `bytes` (what the checkpoint covers), for appending.
    fn open_at(&self, bytes: u64) -> Result<BufWriter<File>> {
        let file = OpenOptions::new()
            .create(true)
            .append(true)
            .open(&self.data)
            .map_err(|e| io_error(&self.data, e))?;
        file.set_len(bytes).map_err(|e| io_error(&self.data, e))?;
        Ok(BufWriter::new(file))
    }

    /// Saves the checkpoint atomically: written aside, then renamed over the old one.
    fn save<C: Serialize>(&self, checkpoint: &Checkpoint<C>) -> Result<()> {
        let aside = self.checkpoint.with_extension("json.tmp");
        let json = serde_json::to_vec(checkpoint)
            .map_err(|e| Error::Config(format!("cannot encode the checkpoint: {e}")))?;
        std::fs::write(&aside, json).map_err(|e| io_error(&aside, e))?;
        std::fs::rename(&aside, &self.checkpoint).map_err(|e| io_error(&self.checkpoint, e))
    }

    fn finish(&self) -> Result<()> {
        match std::fs::remove_file(&self.checkpoint) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
                Err(io_error(&self.checkpoint, e))
            }
            _ => Ok(()),
        }
    }
}

/// Checks that the file holds `expected` users, each once.
fn check_once(path: &Path, expected: usize) -> Result<()> {
    let file = File::open(path).map_err(|e| io_error(path, e))?;
    let mut ids = HashSet::new();
    let mut lines = 0;
    for line in BufReader::new(file).lines() {
        let line = line.map_err(|e| io_error(path, e))?;
        let user: serde_json::Value = serde_json::from_str(&line)
            .map_err(|e| Error::Config(format!("{}: a damaged line: {e}", path.display())))?;
        ids.insert(user["id"].as_str().unwrap_or_default().to_owned());
        lines += 1;
    }
    if lines != expected || ids.len() != expected {
        return Err(Error::Config(format!(
            "{}: {lines} lines, {} distinct users; expected {expected} of each",
            path.display(),
            ids.len()
        )));
    }
    println!(
        "       {}: {expected} users, each exactly once",
        path.display()
    );
    Ok(())
}

fn io_error(path: &Path, e: std::io::Error) -> Error {
    Error::Config(format!("{}: {e}", path.display()))
}
