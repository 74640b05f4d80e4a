//! The token endpoint's answers: the client-credentials grant as RFC 6749 §4.4 describes it.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use serde_json::json;

use super::TOKEN_PATH;
use super::state::{AuthMethod, MockClientAuth, State, TokenRequestRecord, issue};
use crate::mock::oauth::{GrantForm, oauth_error};
use crate::mock::serve::{Answer, Request, Service};
use crate::mock::util::{form_decode, lock};

/// The token endpoint behind the shared pipeline.
pub(crate) struct TokenResponder {
    pub(crate) state: Arc<Mutex<State>>,
}

impl Service for TokenResponder {
    fn answer(&self, request: &Request, _seq: u64) -> Answer {
        if request.url.path() != TOKEN_PATH {
            return Answer::new(404);
        }
        if request.method != http::Method::POST {
            return Answer::new(405).insert_header("allow", "POST");
        }
        self.grant(request)
    }

    fn finish(&self, answer: Answer, seq: u64, _injected: bool) -> Answer {
        answer.insert_header("x-request-id", &format!("mock-token-{seq}"))
    }
}

impl TokenResponder {
    fn grant(&self, request: &Request) -> Answer {
        let form = match GrantForm::parse(request) {
            Ok(form) => form,
            Err(answer) => return *answer,
        };
        let param = |name: &str| form.get(name);

        let basic = request
            .headers
            .get("authorization")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Basic "));
        let body_secret = param("client_secret");
        let (client_id, secret, auth_method) = match (basic, body_secret) {
            (Some(_), Some(_)) => {
                return oauth_error(
                    400,
                    "invalid_request",
                    "more than one client authentication method",
                );
            }
            (Some(encoded), None) => {
                let decoded = STANDARD
                    .decode(encoded.trim())
                    .ok()
                    .and_then(|b| String::from_utf8(b).ok());
                let Some((id, secret)) = decoded.as_deref().and_then(|d| d.split_once(':')) else {
                    return oauth_error(401, "invalid_client", "malformed Basic credentials");
                };
                (form_decode(id), form_decode(secret), AuthMethod::Basic)
            }
            (None, Some(secret)) => (
                param("client_id").unwrap_or_default().to_owned(),
                secret.to_owned(),
                AuthMethod::Body,
            ),
            (None, None) => {
                return oauth_error(401, "invalid_client", "client authentication is required");
            }
        };

        let mut state = lock(&self.state);
        let Some(client) = state.clients.get(&client_id) else {
            return oauth_error(401, "invalid_client", "client authentication failed");
        };
        let method_ok = match client.auth {
            MockClientAuth::Any => true,
            MockClientAuth::Basic => auth_method == AuthMethod::Basic,
            MockClientAuth::Body => auth_method == AuthMethod::Body,
        };
        if client.secret != secret || !method_ok {
            return oauth_error(401, "invalid_client", "client authentication failed");
        }
        let scopes: Vec<String> = param("scope")
            .map(|s| {
                s.split(' ')
                    .filter(|s| !s.is_empty())
                    .map(str::to_owned)
                    .collect()
            })
            .unwrap_or_default();
        if let Some(allowed) = &client.allowed_scopes
            && let Some(bad) = scopes.iter().find(|s| !allowed.contains(s))
        {
            return oauth_error(
                400,
                "invalid_scope",
                &format!("scope {bad:?} is not allowed for this client"),
            );
        }
        let params = form
            .pairs()
            .iter()
            .filter(|(k, _)| {
                !matches!(
                    k.as_str(),
                    "grant_type" | "scope" | "client_id" | "client_secret"
                )
            })
            .cloned()
            .collect();
        state.keep_grant(TokenRequestRecord {
            client_id: client_id.clone(),
            auth_method,
            scopes: scopes.clone(),
            params,
        });
        let lifetime = state.lifetime;
        let token_type = state.token_type.clone();
        let token = issue(
            &mut state,
            &client_id,
            scopes.clone(),
            lifetime.unwrap_or(Duration::from_secs(3600)),
        );
        let mut body = json!({ "access_token": token, "token_type": token_type });
        if let Some(lifetime) = lifetime {
            body["expires_in"] = json!(lifetime.as_secs());
        }
        if !scopes.is_empty() {
            body["scope"] = json!(scopes.join(" "));
        }
        Answer::new(200)
            .insert_header("cache-control", "no-store")
            .insert_header("pragma", "no-cache")
            .set_body_json(body)
    }
}
