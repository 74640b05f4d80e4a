//! The Postman procedure in one command: run a client-credentials grant and print the access
//! token alone on stdout, ready to paste (or pipe) into the system that needs it.
//!
//! ```text
//! SCIMKIT_TOKEN_URL=https://pam.example.com/iso/oauth2/token \
//! SCIMKIT_CLIENT_ID=scim-client SCIMKIT_CLIENT_SECRET=... \
//!   cargo run --example activation_token > token.txt
//! ```
//!
//! Variables: `SCIMKIT_TOKEN_URL`, `SCIMKIT_CLIENT_ID`, `SCIMKIT_CLIENT_SECRET` (required),
//! `SCIMKIT_SCOPE` (optional, space-separated), `SCIMKIT_CLIENT_AUTH` = `basic` (default:
//! credentials in an HTTP Basic header) or `body` (in the form body).
//!
//! Everything but the token goes to stderr. On failure: exit code 1 and a one-line reason.
//! There is deliberately no mock fallback here: a script that forgot a variable must fail,
//! not paste a fake token somewhere.

use std::process::ExitCode;

use scimkit::{ClientAuth, ClientCredentials, Error, ExposeSecret, SecretString};

fn env(name: &str) -> Result<String, String> {
    std::env::var(name)
        .ok()
        .filter(|v| !v.trim().is_empty())
        .ok_or_else(|| format!("{name} is not set"))
}

#[tokio::main]
async fn main() -> ExitCode {
    match run().await {
        Ok(token) => {
            println!("{token}");
            ExitCode::SUCCESS
        }
        Err(reason) => {
            eprintln!("error: {reason}");
            ExitCode::FAILURE
        }
    }
}

async fn run() -> Result<String, String> {
    let token_url = env("SCIMKIT_TOKEN_URL")?;
    let client_id = env("SCIMKIT_CLIENT_ID")?;
    let secret = SecretString::from(env("SCIMKIT_CLIENT_SECRET")?);
    let auth = match std::env::var("SCIMKIT_CLIENT_AUTH")
        .unwrap_or_default()
        .to_ascii_lowercase()
        .as_str()
    {
        "" | "basic" => ClientAuth::BasicHeader,
        "body" | "post" => ClientAuth::RequestBody,
        other => {
            return Err(format!(
                "SCIMKIT_CLIENT_AUTH must be basic or body, not {other:?}"
            ));
        }
    };
    let scopes: Vec<String> = std::env::var("SCIMKIT_SCOPE")
        .unwrap_or_default()
        .split_whitespace()
        .map(str::to_owned)
        .collect();
    eprintln!("requesting a token from {token_url} as {client_id}");
    let creds = ClientCredentials::builder()
        .token_url(token_url)
        .client_id(client_id)
        .client_secret(secret)
        .client_auth(auth)
        .scopes(scopes)
        .build()
        .map_err(|e| reason(&e))?;
    let token = creds.token().await.map_err(|e| reason(&e))?;
    eprintln!(
        "got a {} token, valid for {} s",
        token.token_type(),
        token
            .expires_at()
            .saturating_duration_since(std::time::Instant::now())
            .as_secs()
    );
    Ok(token.secret().expose_secret().to_owned())
}

/// One line a person can act on.
fn reason(err: &Error) -> String {
    match err {
        Error::OAuth(e) if e.error == "invalid_client" => {
            format!("the token endpoint rejected the client ID or secret ({err})")
        }
        Error::Connect { .. } => format!("could not reach the token URL ({err})"),
        Error::Decode { .. } => {
            format!("the token URL did not answer with a token: is it the right URL? ({err})")
        }
        _ => err.to_string(),
    }
    .replace('\n', " ")
}
