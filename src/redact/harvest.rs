//! The secrets a request carries, for the exact-value scrub: the credentials in its headers
//! and the secret fields of its form or JSON body. Intermediate copies are wiped on drop
//! (best effort: `serde_json` may have copied a string while parsing).

use base64::Engine as _;
use http::HeaderMap;
use http::header::{AUTHORIZATION, COOKIE, PROXY_AUTHORIZATION};
use secrecy::SecretString;
use secrecy::zeroize::Zeroizing;
use serde_json::Value;

use super::json::{scan, unescape, walk_tree};
use super::keys::is_secret_key;
use super::text::form_decode;

/// Every header value marked sensitive, and `Authorization`, `Proxy-Authorization`,
/// `Cookie` and `DPoP`: the credential after the scheme (`Bearer x`, `SSWS x`, `DPoP x`);
/// for `Basic`, the base64 credential itself and the secret half of `id:secret` as sent and
/// form-urlencoded-decoded (RFC 6749 §2.3.1; the client id is not a secret); for cookies,
/// the header and each cookie's value.
pub(super) fn from_headers(headers: &HeaderMap, out: &mut Vec<SecretString>) {
    for (name, value) in headers {
        let authorization = name == AUTHORIZATION || name == PROXY_AUTHORIZATION;
        let named = authorization || name == COOKIE || name.as_str() == "dpop";
        if !(named || value.is_sensitive()) {
            continue;
        }
        let text = Zeroizing::new(String::from_utf8_lossy(value.as_bytes()).into_owned());
        let text = text.trim();
        if authorization {
            credentials(text, out);
        } else if name == COOKIE {
            out.push(text.into());
            for pair in text.split(';') {
                if let Some((_, v)) = pair.split_once('=') {
                    out.push(v.trim().into());
                }
            }
        } else {
            out.push(text.into());
        }
    }
}

fn credentials(value: &str, out: &mut Vec<SecretString>) {
    let Some((scheme, credential)) = value.split_once([' ', '\t']) else {
        // A bare credential, unless it is a scheme with nothing after it.
        let scheme_only = ["bearer", "basic", "ssws", "dpop"]
            .iter()
            .any(|s| s.eq_ignore_ascii_case(value));
        if !scheme_only {
            out.push(value.into());
        }
        return;
    };
    let credential = credential.trim();
    out.push(credential.into());
    if scheme.eq_ignore_ascii_case("basic") {
        basic(credential, out);
    }
}

fn basic(credential: &str, out: &mut Vec<SecretString>) {
    let engine = &base64::engine::general_purpose::STANDARD;
    let Ok(bytes) = engine
        .decode(credential)
        .or_else(|_| base64::engine::general_purpose::STANDARD_NO_PAD.decode(credential))
    else {
        return;
    };
    let bytes = Zeroizing::new(bytes);
    let decoded = Zeroizing::new(String::from_utf8_lossy(&bytes).into_owned());
    // RFC 7617 `user-id ":" password`; the id cannot hold a `:` (RFC 6749 encodes it).
    let secret = decoded.split_once(':').map_or(decoded.as_str(), |(_, s)| s);
    out.push(secret.into());
    let form_decoded = Zeroizing::new(form_decode(secret.as_bytes()));
    if form_decoded.as_str() != secret {
        out.push(form_decoded.as_str().into());
    }
}

/// The values of secret keys (`client_secret`, `client_assertion`, `assertion`, `password`,
/// `refresh_token`, `code`, `code_verifier`, `device_code`, `subject_token`, ...) in an
/// `application/x-www-form-urlencoded` body, decoded.
pub(super) fn from_form(body: &[u8], out: &mut Vec<SecretString>) {
    for pair in body.split(|&c| c == b'&') {
        let Some(eq) = pair.iter().position(|&c| c == b'=') else {
            continue;
        };
        if is_secret_key(&form_decode(&pair[..eq])) {
            // Decoded: the exact scrub finds it percent-encoded or with `+` for spaces.
            let value = Zeroizing::new(form_decode(&pair[eq + 1..]));
            out.push(value.as_str().into());
        }
    }
}

/// The values under secret keys, at any depth, of a JSON body (the same rules as the
/// redaction: `credentials.password.value`, a SCIM PATCH `value` whose `path` is
/// `password`, private JWK members, ...).
pub(super) fn from_json(body: &[u8], out: &mut Vec<SecretString>) {
    match serde_json::from_slice::<Value>(body) {
        Ok(mut value) => walk_tree(&mut value, &mut |leaf| match leaf {
            Value::String(s) => out.push(SecretString::from(std::mem::take(s))),
            other => out.push(SecretString::from(other.to_string())),
        }),
        Err(_) => {
            let text = String::from_utf8_lossy(body);
            let mut spans = Vec::new();
            scan(&text, &mut spans);
            for span in spans {
                if let Some(raw) = text.get(span.start..span.end) {
                    let decoded = Zeroizing::new(unescape(raw).into_owned());
                    out.push(decoded.as_str().into());
                }
            }
        }
    }
}
