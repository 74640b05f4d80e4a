//! The mock org authorization server: `POST /oauth2/v1/token` for service apps
//! (client credentials + private-key JWT, optionally DPoP-bound), and the check of the
//! `Authorization` header on every management API request (SSWS, Bearer, DPoP).

use std::time::{Duration, SystemTime};

use crate::mock::serve::{Answer, Request};
use serde_json::{Value, json};

use super::error::ApiErr;
use super::state::{IssuedToken, State};
use crate::auth::jose::{b64, epoch, jwk_thumbprint, random_id, verify_jws};
use crate::mock::oauth::{GrantForm, oauth_error};

const JWT_BEARER: &str = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";

fn claim_u64(claims: &Value, name: &str) -> Option<u64> {
    claims.get(name).and_then(Value::as_u64)
}

/// Checks a DPoP proof (RFC 9449 §4.3); returns the thumbprint of its key.
pub(crate) fn check_proof(
    st: &mut State,
    proof: &str,
    method: &str,
    url: &url::Url,
    access_token: Option<&str>,
    now: SystemTime,
) -> Result<String, String> {
    let header_part = proof.split('.').next().unwrap_or_default();
    let header: Value = base64::Engine::decode(
        &base64::engine::general_purpose::URL_SAFE_NO_PAD,
        header_part,
    )
    .ok()
    .and_then(|b| serde_json::from_slice(&b).ok())
    .ok_or("the DPoP proof header is not JSON")?;
    if header.get("typ").and_then(Value::as_str) != Some("dpop+jwt") {
        return Err("typ must be dpop+jwt".into());
    }
    let jwk = header
        .get("jwk")
        .cloned()
        .ok_or("the DPoP proof has no jwk")?;
    if jwk.get("d").is_some() {
        return Err("the DPoP jwk must be public".into());
    }
    let (_, claims) = verify_jws(proof, &jwk)?;
    let mut htu = url.clone();
    htu.set_query(None);
    htu.set_fragment(None);
    if claims.get("htm").and_then(Value::as_str) != Some(method) {
        return Err("htm does not match".into());
    }
    if claims.get("htu").and_then(Value::as_str) != Some(htu.as_str()) {
        return Err("htu does not match".into());
    }
    let iat = claim_u64(&claims, "iat").ok_or("no iat")?;
    if iat.abs_diff(epoch(now)) > 300 {
        return Err("iat is too far from now".into());
    }
    let jti = claims.get("jti").and_then(Value::as_str).ok_or("no jti")?;
    if !st.seen_dpop_jti.insert(jti.to_owned(), ()) {
        return Err("jti was used before".into());
    }
    if let Some(token) = access_token {
        let ath =
            b64(aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, token.as_bytes()).as_ref());
        if claims.get("ath").and_then(Value::as_str) != Some(ath.as_str()) {
            return Err("ath does not match the access token".into());
        }
    }
    if let Some(nonce) = &st.dpop_nonce
        && claims.get("nonce").and_then(Value::as_str) != Some(nonce.as_str())
    {
        return Err("use_dpop_nonce".into());
    }
    Ok(jwk_thumbprint(&jwk))
}

pub(crate) fn handle(st: &mut State, req: &Request, now: SystemTime) -> Answer {
    if req.method.as_str() != "POST" {
        return oauth_error(405, "invalid_request", "use POST");
    }
    let form = match GrantForm::parse(req) {
        Ok(form) => form,
        Err(answer) => return *answer,
    };
    let param = |name: &str| form.get(name);
    if param("client_assertion_type") != Some(JWT_BEARER) {
        return oauth_error(
            401,
            "invalid_client",
            "a private_key_jwt client assertion is required",
        );
    }
    let Some(assertion) = param("client_assertion") else {
        return oauth_error(401, "invalid_client", "client_assertion is missing");
    };
    let claims_part = assertion.split('.').nth(1).unwrap_or_default();
    let unverified: Value = base64::Engine::decode(
        &base64::engine::general_purpose::URL_SAFE_NO_PAD,
        claims_part,
    )
    .ok()
    .and_then(|b| serde_json::from_slice(&b).ok())
    .unwrap_or(Value::Null);
    let client_id = unverified
        .get("iss")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_owned();
    let Some(client) = st.clients.get(&client_id).cloned() else {
        return oauth_error(401, "invalid_client", "The client_id is invalid.");
    };
    let claims = match verify_jws(assertion, &client.jwk) {
        Ok((header, claims)) => {
            let kid = header.get("kid");
            if kid.is_some() && client.jwk.get("kid").is_some() && kid != client.jwk.get("kid") {
                return oauth_error(
                    401,
                    "invalid_client",
                    "The client_assertion kid is not registered.",
                );
            }
            claims
        }
        Err(why) => {
            return oauth_error(
                401,
                "invalid_client",
                &format!("The client_assertion signature is invalid: {why}"),
            );
        }
    };
    let token_url = format!("{}/oauth2/v1/token", st.base);
    if claims.get("sub").and_then(Value::as_str) != Some(client_id.as_str()) {
        return oauth_error(
            401,
            "invalid_client",
            "The client_assertion sub must equal iss.",
        );
    }
    if claims.get("aud").and_then(Value::as_str) != Some(token_url.as_str()) {
        return oauth_error(
            401,
            "invalid_client",
            "The audience claim for client_assertion must be the endpoint invoked for the request.",
        );
    }
    let now_s = epoch(now);
    match claim_u64(&claims, "exp") {
        Some(exp) if exp <= now_s => {
            return oauth_error(
                401,
                "invalid_client",
                "The client_assertion token is expired.",
            );
        }
        Some(exp) if exp > now_s + 3600 => {
            return oauth_error(
                401,
                "invalid_client",
                "The client_assertion token has an expiration too far into the future.",
            );
        }
        Some(_) => {}
        None => return oauth_error(401, "invalid_client", "The client_assertion has no exp."),
    }
    let Some(jti) = claims.get("jti").and_then(Value::as_str) else {
        return oauth_error(401, "invalid_client", "The client_assertion has no jti.");
    };
    if !st.seen_jti.insert(jti.to_owned(), ()) {
        return oauth_error(
            401,
            "invalid_client",
            "The client_assertion token has already been used.",
        );
    }
    let scopes: Vec<String> = param("scope")
        .unwrap_or_default()
        .split_ascii_whitespace()
        .map(str::to_owned)
        .collect();
    if scopes.is_empty() {
        return oauth_error(
            400,
            "invalid_scope",
            "The scope parameter is required for client credentials.",
        );
    }
    if let Some(bad) = scopes.iter().find(|s| !client.scopes.contains(s)) {
        return oauth_error(
            400,
            "invalid_scope",
            &format!("The requested scope {bad} is not granted to the client."),
        );
    }
    let proof = req.headers.get("dpop").and_then(|v| v.to_str().ok());
    let jkt = match proof {
        None if client.require_dpop => {
            return oauth_error(400, "invalid_dpop_proof", "DPoP proof is missing");
        }
        None => None,
        Some(proof) => match check_proof(st, proof, "POST", &st.public_url(req), None, now) {
            Ok(jkt) => Some(jkt),
            Err(why) if why == "use_dpop_nonce" => {
                let nonce = st.dpop_nonce.clone().unwrap_or_default();
                return oauth_error(
                    400,
                    "use_dpop_nonce",
                    "Authorization server requires nonce in DPoP proof.",
                )
                .insert_header("dpop-nonce", nonce.as_str());
            }
            Err(why) => return oauth_error(400, "invalid_dpop_proof", &why),
        },
    };
    let token = format!("mock-at-{}", random_id().unwrap_or_default());
    let token_type = if jkt.is_some() { "DPoP" } else { "Bearer" };
    st.tokens_issued = st.tokens_issued.saturating_add(1);
    let to_client = st.tokens_issued_to.entry(client_id.clone()).or_default();
    *to_client = to_client.saturating_add(1);
    st.tokens.insert(
        token.clone(),
        IssuedToken {
            scopes: scopes.clone(),
            expires_at: now + Duration::from_secs(3600),
            jkt,
        },
    );
    Answer::new(200)
        .insert_header("cache-control", "no-store")
        .set_body_json(json!({
            "token_type": token_type,
            "expires_in": 3600,
            "access_token": token,
            "scope": scopes.join(" "),
        }))
}

/// Who is calling: an API token (all permissions) or an OAuth token with scopes.
pub(crate) enum Principal {
    ApiToken,
    OAuth(Vec<String>),
}

fn invalid_token() -> ApiErr {
    ApiErr::new(401, "E0000011", "Invalid token provided")
}

/// Splits an `Authorization` value into scheme and credential. `SSWS` may be followed by
/// the token without a space, as Okta's Python SDK sends it and Okta accepts it.
fn split_credentials(header: &str) -> Option<(&str, &str)> {
    let header = header.trim();
    if let Some(token) = header.strip_prefix("SSWS") {
        let token = token.trim_start();
        return (!token.is_empty()).then_some(("SSWS", token));
    }
    let (scheme, credential) = header.split_once(' ')?;
    Some((scheme, credential.trim()))
}

/// Who sent a management API request, from its `Authorization` (and `DPoP`) header.
pub(crate) fn authenticate(
    st: &mut State,
    req: &Request,
    now: SystemTime,
) -> Result<Principal, ApiErr> {
    let header = req
        .headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .ok_or_else(invalid_token)?;
    let (scheme, credential) = split_credentials(header).ok_or_else(invalid_token)?;
    match scheme {
        "SSWS" if st.api_tokens.contains(credential) => Ok(Principal::ApiToken),
        "Bearer" | "DPoP" => {
            let issued = st
                .tokens
                .get(credential)
                .cloned()
                .ok_or_else(invalid_token)?;
            if now >= issued.expires_at {
                return Err(invalid_token());
            }
            match (&issued.jkt, scheme) {
                (None, "Bearer") => Ok(Principal::OAuth(issued.scopes)),
                (Some(jkt), "DPoP") => {
                    let proof = req
                        .headers
                        .get("dpop")
                        .and_then(|v| v.to_str().ok())
                        .ok_or_else(invalid_token)?;
                    let method = req.method.as_str().to_owned();
                    let url = st.public_url(req);
                    match check_proof(st, proof, &method, &url, Some(credential), now) {
                        Ok(thumbprint) if &thumbprint == jkt => Ok(Principal::OAuth(issued.scopes)),
                        Ok(_) => Err(invalid_token()),
                        Err(why) if why == "use_dpop_nonce" => {
                            let mut e = invalid_token();
                            let nonce = st.dpop_nonce.clone().unwrap_or_default();
                            e.headers
                                .push(("www-authenticate", "DPoP error=\"use_dpop_nonce\"".into()));
                            e.headers.push(("dpop-nonce", nonce));
                            Err(e)
                        }
                        Err(_) => Err(invalid_token()),
                    }
                }
                _ => Err(invalid_token()),
            }
        }
        _ => Err(invalid_token()),
    }
}

#[cfg(test)]
mod tests {
    use super::split_credentials;

    #[test]
    fn authorization_values_split_as_okta_reads_them() {
        let cases = [
            ("SSWS 00abc", Some(("SSWS", "00abc"))),
            ("SSWS00abc", Some(("SSWS", "00abc"))),
            ("SSWS   00abc ", Some(("SSWS", "00abc"))),
            ("SSWS", None),
            ("Bearer tok", Some(("Bearer", "tok"))),
            ("DPoP tok", Some(("DPoP", "tok"))),
            ("Bearertok", None),
            ("", None),
        ];
        for (header, want) in cases {
            assert_eq!(split_credentials(header), want, "{header:?}");
        }
    }
}
