//! The one redactor of the crate: what an error, a log line or a `Debug` may show of a
//! body, a message, a JSON value or a URL.
//!
//! Two defences, applied together:
//! - **by key** ([`is_secret_key`], rules in `keys.rs`): the values of the secret keys of
//!   OAuth 2.0, SCIM and Okta at any depth, in JSON (parsed when it parses; otherwise a
//!   tolerant scanner that also reads escaped keys such as `"p\u0061ssword"`, truncated
//!   bodies and JSON inside HTML), in `key=value` pairs (forms, query strings, with
//!   percent-encoded keys), in header lines, after auth schemes (`Bearer x`), and anything
//!   shaped like a JWT;
//! - **by value** ([`Redactor`]): the exact secrets the request carried (client secret,
//!   bearer or `SSWS` token, client assertion, passwords), found raw, JSON-escaped,
//!   percent-encoded or HTML-escaped in whatever the server sends back. Values shorter than
//!   [`MIN_EXACT_LEN`] bytes are not matched by value (they would hide common words and
//!   tell little); keys still hide them.
//!
//! A hidden value reads `[redacted]` (`"[redacted]"` where it replaces a bare JSON value or
//! a whole object, so valid JSON stays valid).

mod exact;
mod harvest;
mod json;
mod keys;
mod text;

#[cfg(test)]
mod tests;

use std::fmt;
use std::sync::Arc;

use http::HeaderMap;
use secrecy::SecretString;
use serde_json::Value;

#[allow(
    unused_imports,
    reason = "the key rule, for callers outside `redact` to come"
)]
pub(crate) use keys::is_secret_key;

/// Whether an attribute path or name (`password`, `urn:...:User:password`,
/// `credentials.password.value`, `/credentials/password/value`) names a secret.
pub(crate) fn is_secret_path(path: &str) -> bool {
    keys::names_secret(path)
}

/// How many bytes of a body an error keeps (plus `…` when there was more).
pub(crate) const SNIPPET_LIMIT: usize = 256;

/// Secrets shorter than this many bytes are not matched by value.
pub(crate) const MIN_EXACT_LEN: usize = 4;

/// How many bytes of a body [`Redactor::snippet`] reads. See [`Redactor::snippet`].
const WINDOW: usize = 32 * SNIPPET_LIMIT;

/// What replaces a secret.
pub(crate) const REDACTED: &str = "[redacted]";

/// `text[from..to]`, or `""` if that is not a char range of `text` (the scanners only cut at
/// ASCII bytes, so this is a guard, not a path).
fn at(text: &str, from: usize, to: usize) -> &str {
    text.get(from..to).unwrap_or_default()
}

/// A part of a text to hide. `bare`: it replaces a bare JSON value or a whole container, so
/// the replacement is quoted.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Span {
    start: usize,
    end: usize,
    bare: bool,
}

/// Redacts bodies, messages and JSON values: every secret by key, and the exact secrets a
/// request carried. Cheap to clone (one `Arc`); [`Redactor::none`] allocates nothing.
///
/// Build one per request from what it sent ([`Redactor::for_request`]) and keep it with the
/// response, so an error built from the answer never shows a secret the server echoed.
#[derive(Clone, Default)]
pub(crate) struct Redactor {
    secrets: Option<Arc<exact::Index>>,
}

impl fmt::Debug for Redactor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Redactor")
            .field("secrets", &self.secrets.as_ref().map_or(0, |s| s.len()))
            .finish()
    }
}

impl Redactor {
    /// Redaction by key only: no exact secret is known.
    pub(crate) fn none() -> Self {
        Redactor::default()
    }

    /// Redaction by key and of these exact values (those of at least [`MIN_EXACT_LEN`]
    /// bytes).
    pub(crate) fn new<I, S>(secrets: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<SecretString>,
    {
        Redactor::none().with_all(secrets.into_iter().map(Into::into).collect())
    }

    /// This redactor and the credentials in `headers`: every value marked sensitive
    /// ([`http::HeaderValue::is_sensitive`]) and `Authorization`, `Proxy-Authorization`,
    /// `Cookie` and `DPoP`. For `Basic`, the base64 credential and the secret half of
    /// `id:secret` (as sent and form-urlencoded-decoded, RFC 6749 §2.3.1); the client id is
    /// not a secret.
    #[cfg(test)]
    pub(crate) fn with_headers(self, headers: &HeaderMap) -> Self {
        let mut found = Vec::new();
        harvest::from_headers(headers, &mut found);
        self.with_all(found)
    }

    /// This redactor and the secret fields of an `application/x-www-form-urlencoded` body
    /// (`client_secret`, `client_assertion`, `assertion`, `password`, `refresh_token`,
    /// `code`, `code_verifier`, `device_code`, `subject_token`, ...).
    #[cfg(test)]
    pub(crate) fn with_form_body(self, body: &[u8]) -> Self {
        let mut found = Vec::new();
        harvest::from_form(body, &mut found);
        self.with_all(found)
    }

    /// This redactor and the values under secret keys, at any depth, of a JSON body.
    #[cfg(test)]
    pub(crate) fn with_json_body(self, body: &[u8]) -> Self {
        let mut found = Vec::new();
        harvest::from_json(body, &mut found);
        self.with_all(found)
    }

    /// This redactor and the secrets of a body of this content type: JSON
    /// (`application/json`, `application/*+json`) or anything else read as a form.
    #[cfg(test)]
    pub(crate) fn with_body(self, content_type: Option<&str>, body: &[u8]) -> Self {
        let mut found = Vec::new();
        harvest_body(content_type, body, &mut found);
        self.with_all(found)
    }

    /// The redactor for a request: the secrets in its headers and in its body (read by the
    /// `Content-Type` header).
    pub(crate) fn for_request(headers: &HeaderMap, body: Option<&[u8]>) -> Self {
        let mut found = Vec::new();
        harvest::from_headers(headers, &mut found);
        if let Some(body) = body.filter(|b| !b.is_empty()) {
            let content_type = headers
                .get(http::header::CONTENT_TYPE)
                .and_then(|v| v.to_str().ok());
            harvest_body(content_type, body, &mut found);
        }
        Redactor::none().with_all(found)
    }

    /// How many exact secrets this redactor knows.
    #[cfg(test)]
    pub(crate) fn secret_count(&self) -> usize {
        self.secrets.as_ref().map_or(0, |s| s.len())
    }

    fn with_all(self, mut extra: Vec<SecretString>) -> Self {
        use secrecy::ExposeSecret;
        extra.retain(|s| s.expose_secret().len() >= MIN_EXACT_LEN);
        if extra.is_empty() {
            return self;
        }
        if let Some(known) = &self.secrets {
            extra.extend(known.secrets().iter().cloned());
        }
        Redactor {
            secrets: Some(Arc::new(exact::Index::new(extra))),
        }
    }

    /// A body fit for an error message: secrets hidden first, then cut to
    /// [`SNIPPET_LIMIT`] bytes on a char boundary, with `…` when there was more.
    ///
    /// Bounded cost for any body size: only the first `WINDOW` (8 KiB) bytes are read. That
    /// is correct because every rule is local: a shown byte comes from the window, and a
    /// secret is recognised from what precedes it and itself, except in three cases the
    /// window's end handles explicitly:
    /// - a secret value cut by the window (a string, a bare value, a `key=value` pair, a
    ///   header line, a credential after a scheme, a JWT, a secret container) is hidden to
    ///   the end of the window;
    /// - an exact secret (in any encoding) whose prefix ends the window is hidden from
    ///   where it starts;
    /// - a `value` or private JWK member whose deciding sibling (`path`, `kty`) may lie past
    ///   the window is hidden when its object is still open at the end.
    ///
    /// The window is 32 times the snippet, so long hidden values and markup before the
    /// text rarely leave the snippet short. A body that fits the window and parses as JSON
    /// is redacted as a tree and shown compact (escaped keys decoded).
    pub(crate) fn snippet(&self, body: &[u8]) -> String {
        let (window, truncated) = window(body);
        let text = String::from_utf8_lossy(window);
        let redacted = match (!truncated).then(|| parse_json(&text)).flatten() {
            Some(mut value) => {
                json::walk_tree(&mut value, &mut hide_value);
                self.redact_text(&value.to_string(), false)
            }
            None => self.redact_text(&text, truncated),
        };
        cut(&redacted, truncated)
    }

    /// Any message text (a decode error, an HTTP stack's error, a provider's
    /// `error_description`) with every secret hidden: by key, by shape and by value.
    pub(crate) fn scrub(&self, text: &str) -> String {
        self.redact_text(text, false)
    }

    /// A decoding error's message for the value at `path` (as `serde_path_to_error` writes
    /// it): when the path names a secret (`access_token`, `credentials.password.value`),
    /// every quoted part of the message (`invalid type: string "..."`) is hidden; then the
    /// message is scrubbed.
    pub(crate) fn decode_message(&self, path: &str, message: &str) -> String {
        if !keys::names_secret(path) {
            return self.scrub(message);
        }
        let mut out = String::with_capacity(message.len());
        let mut chars = message.chars();
        while let Some(c) = chars.next() {
            out.push(c);
            if c != '"' && c != '`' {
                continue;
            }
            // Skip to the matching quote (`\"` inside a Debug-quoted string does not end it).
            let mut closed = false;
            while let Some(inner) = chars.next() {
                if inner == '\\' && c == '"' {
                    chars.next();
                } else if inner == c {
                    closed = true;
                    break;
                }
            }
            out.push_str(REDACTED);
            if closed {
                out.push(c);
            }
        }
        self.scrub(&out)
    }

    /// Hides, in place, every secret by key and every string holding an exact secret or a
    /// secret-shaped part (`Bearer x`, `token=x`).
    pub(crate) fn redact_json(&self, value: &mut Value) {
        json::walk_tree(value, &mut hide_value);
        self.scrub_strings(value);
    }

    fn scrub_strings(&self, value: &mut Value) {
        match value {
            Value::String(s) if s != REDACTED => {
                let scrubbed = self.scrub(s);
                if scrubbed != *s {
                    *s = scrubbed;
                }
            }
            Value::Object(map) => {
                for v in map.values_mut() {
                    self.scrub_strings(v);
                }
            }
            Value::Array(items) => {
                for v in items {
                    self.scrub_strings(v);
                }
            }
            _ => {}
        }
    }

    fn redact_text(&self, text: &str, truncated: bool) -> String {
        let mut spans = Vec::new();
        json::scan(text, &mut spans);
        text::scan_pairs(text, &mut spans);
        text::scan_header_lines(text, &mut spans);
        text::scan_schemes(text, truncated, &mut spans);
        text::scan_jwts(text, truncated, &mut spans);
        if let Some(index) = &self.secrets {
            exact::scan(text, truncated, index, &mut spans);
        }
        splice(text, spans)
    }
}

/// The secrets of a body of this content type: JSON (`application/json`,
/// `application/*+json`, or no type and a `{`), anything else read as a form.
fn harvest_body(content_type: Option<&str>, body: &[u8], found: &mut Vec<SecretString>) {
    let essence = content_type
        .and_then(|ct| ct.split(';').next())
        .map(|e| e.trim().to_ascii_lowercase())
        .unwrap_or_default();
    let json = essence == "application/json"
        || (essence.starts_with("application/") && essence.ends_with("+json"))
        || (essence.is_empty() && body.trim_ascii_start().first() == Some(&b'{'));
    if json {
        harvest::from_json(body, found);
    } else {
        harvest::from_form(body, found);
    }
}

/// A copy of `value` for `Debug` output, with every secret by key hidden.
pub(crate) fn redacted_json(value: &Value) -> Value {
    let mut copy = value.clone();
    Redactor::none().redact_json(&mut copy);
    copy
}

/// Open JSON (`serde_json::Value`, a map of them, an optional or a list of them) shown by
/// `Debug` through the redactor.
pub(crate) struct Redacted<'a, T>(pub(crate) &'a T);

impl<T: RedactedCopy> fmt::Debug for Redacted<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.redacted_copy().fmt(f)
    }
}

/// A value that can be copied with its secrets hidden.
pub(crate) trait RedactedCopy: fmt::Debug + Sized {
    /// The copy.
    fn redacted_copy(&self) -> Self;
}

impl RedactedCopy for Value {
    fn redacted_copy(&self) -> Self {
        redacted_json(self)
    }
}

impl RedactedCopy for serde_json::Map<String, Value> {
    fn redacted_copy(&self) -> Self {
        let mut copy = Value::Object(self.clone());
        Redactor::none().redact_json(&mut copy);
        match copy {
            Value::Object(map) => map,
            _ => serde_json::Map::new(),
        }
    }
}

impl<T: RedactedCopy> RedactedCopy for Option<T> {
    fn redacted_copy(&self) -> Self {
        self.as_ref().map(RedactedCopy::redacted_copy)
    }
}

impl<T: RedactedCopy> RedactedCopy for Vec<T> {
    fn redacted_copy(&self) -> Self {
        self.iter().map(RedactedCopy::redacted_copy).collect()
    }
}

/// `Debug` for a struct with open JSON fields: every field is listed (the struct is
/// destructured, so a new field does not compile until it is listed here), and those marked
/// `@json` go through the redactor.
///
/// `redacted_debug!(User<P> { id, profile, @json extra });`
macro_rules! redacted_debug {
    ($ty:ident $(<$g:ident>)? { $($(@$kind:ident)? $field:ident),* $(,)? }) => {
        impl $(<$g: ::std::fmt::Debug>)? ::std::fmt::Debug for $ty $(<$g>)? {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                let $ty { $($field),* } = self;
                f.debug_struct(stringify!($ty))
                    $(.field(
                        stringify!($field),
                        &$crate::redact::redacted_debug!(@field $($kind)? $field),
                    ))*
                    .finish()
            }
        }
    };
    (@field json $field:ident) => {
        $crate::redact::Redacted($field)
    };
    (@field $field:ident) => {
        $field
    };
}
pub(crate) use redacted_debug;

fn hide_value(value: &mut Value) {
    *value = Value::String(REDACTED.to_owned());
}

fn parse_json(text: &str) -> Option<Value> {
    match text.trim_start().as_bytes().first() {
        Some(b'{' | b'[') => serde_json::from_str(text).ok(),
        _ => None,
    }
}

/// The first `WINDOW` bytes of a body (less an incomplete UTF-8 sequence at the cut) and
/// whether the body is longer.
fn window(body: &[u8]) -> (&[u8], bool) {
    if body.len() <= WINDOW {
        return (body, false);
    }
    let mut end = WINDOW;
    for k in (end.saturating_sub(3)..end).rev() {
        let c = body[k];
        if c & 0xC0 == 0x80 {
            continue; // a continuation byte: look for its lead
        }
        let need = match c {
            0xF0.. => 4,
            0xE0.. => 3,
            0xC0.. => 2,
            _ => 1,
        };
        if k + need > end {
            end = k;
        }
        break;
    }
    (&body[..end], true)
}

/// The text with every span replaced: overlapping and touching spans are merged, and each
/// is widened to char boundaries.
fn splice(text: &str, mut spans: Vec<Span>) -> String {
    if spans.is_empty() {
        return text.to_owned();
    }
    spans.sort_by_key(|s| (s.start, std::cmp::Reverse(s.end)));
    let mut out = String::with_capacity(text.len());
    let mut shown_to = 0;
    let mut current: Option<Span> = None;
    let flush = |span: Span, out: &mut String, shown_to: &mut usize| {
        let mut start = span.start.min(text.len());
        while !text.is_char_boundary(start) {
            start -= 1;
        }
        let mut end = span.end.min(text.len());
        while !text.is_char_boundary(end) {
            end += 1;
        }
        let start = start.max(*shown_to);
        out.push_str(&text[*shown_to..start]);
        out.push_str(if span.bare {
            "\"[redacted]\""
        } else {
            REDACTED
        });
        *shown_to = end.max(*shown_to);
    };
    for span in spans {
        current = match current {
            Some(cur) if span.start <= cur.end => Some(Span {
                start: cur.start,
                end: cur.end.max(span.end),
                bare: if span.end > cur.end {
                    span.bare
                } else {
                    cur.bare
                },
            }),
            Some(cur) => {
                flush(cur, &mut out, &mut shown_to);
                Some(span)
            }
            None => Some(span),
        };
    }
    if let Some(cur) = current {
        flush(cur, &mut out, &mut shown_to);
    }
    out.push_str(&text[shown_to..]);
    out
}

/// `text` cut to [`SNIPPET_LIMIT`] bytes on a char boundary, with `…` when cut or when the
/// body went on past the text.
fn cut(text: &str, more: bool) -> String {
    if text.len() <= SNIPPET_LIMIT {
        let mut out = text.to_owned();
        if more {
            out.push('…');
        }
        return out;
    }
    let mut end = SNIPPET_LIMIT;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}…", &text[..end])
}

/// A URL fit for an error message or a log: no query, no fragment, no credentials.
pub(crate) fn display_url(url: &url::Url) -> String {
    let mut shown = url.clone();
    shown.set_query(None);
    shown.set_fragment(None);
    let _ = shown.set_username("");
    let _ = shown.set_password(None);
    shown.to_string()
}

/// A URL as typed or sent (absolute or relative, valid or not, e.g. a `Location` header or
/// a builder's input) fit for an error message: no query, no fragment, no user info.
pub(crate) fn display_raw_url(raw: &str) -> String {
    let raw = raw.trim();
    if raw.contains("://")
        && let Ok(url) = url::Url::parse(raw)
    {
        return display_url(&url);
    }
    let without_query = raw.split(['?', '#']).next().unwrap_or_default();
    let (scheme, rest) = match without_query.split_once("://") {
        Some((scheme, rest)) => (Some(scheme), rest),
        None => (None, without_query),
    };
    let authority_end = rest.find('/').unwrap_or(rest.len());
    let host_from = rest[..authority_end].rfind('@').map_or(0, |at| at + 1);
    match scheme {
        Some(scheme) => format!("{scheme}://{}", &rest[host_from..]),
        None => rest[host_from..].to_owned(),
    }
}
