//! Secrets by shape in any text: `key=value` pairs (form bodies, query strings, URLs in
//! HTML), header lines (`Authorization: ...`), credentials after an auth scheme
//! (`Bearer x`, `SSWS x`, `Basic x`) and JWTs (`eyJ...`).

use base64::Engine as _;

use super::json::is_number;
use super::keys::{KeyClass, classify, is_secret_header};
use super::{Span, at};

/// `key=value` pairs whose key (percent- and `+`-decoded: `pass%77ord`) is a secret key.
/// The value runs to `&`, whitespace, a quote, `<`, `>` or a JSON escape (`\"`, `\u0026`).
pub(super) fn scan_pairs(text: &str, spans: &mut Vec<Span>) {
    let b = text.as_bytes();
    for (eq, _) in text.match_indices('=') {
        let mut k = eq;
        while k > 0 && is_key_byte(b[k - 1]) {
            k -= 1;
        }
        if k == eq {
            continue;
        }
        let mut key = at(text, k, eq);
        // `a=1\u0026token=x`: a JSON-escaped `&` before the key.
        if k > 0
            && b[k - 1] == b'\\'
            && key.len() > 5
            && key
                .get(..5)
                .is_some_and(|u| u.eq_ignore_ascii_case("u0026"))
        {
            key = key.get(5..).unwrap_or_default();
        }
        let class = classify(&form_decode(key.as_bytes()));
        if !matches!(class, KeyClass::Secret | KeyClass::SecretString) {
            continue;
        }
        let start = eq + 1;
        let end = value_end(b, start, true);
        if end == start || (class == KeyClass::SecretString && is_number(at(text, start, end))) {
            continue;
        }
        spans.push(Span {
            start,
            end,
            bare: false,
        });
    }
}

fn is_key_byte(c: u8) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, b'_' | b'-' | b'.' | b'%' | b'+' | b'[' | b']' | b'~')
}

/// Where a value written in text ends: at a quote, `<`, `>`, a JSON escape that stands for
/// one of those or a line break, and (when `at_space`) at `&` or whitespace.
fn value_end(b: &[u8], start: usize, at_space: bool) -> usize {
    let mut i = start;
    while i < b.len() {
        let c = b[i];
        let stop = match c {
            b'"' | b'\'' | b'<' | b'>' | b'`' | b'\r' | b'\n' => true,
            b'&' | b' ' | b'\t' => at_space,
            b'\\' => matches!(b.get(i + 1), Some(b'"' | b'n' | b'r' | b't' | b'u')),
            _ => false,
        };
        if stop {
            break;
        }
        i += 1;
    }
    i
}

/// Header lines in a text dump (`Authorization: Bearer x`, `Cookie: sid=x`): the value, to
/// the end of the line.
pub(super) fn scan_header_lines(text: &str, spans: &mut Vec<Span>) {
    let b = text.as_bytes();
    for (colon, _) in text.match_indices(':') {
        let mut k = colon;
        while k > 0 && (b[k - 1].is_ascii_alphanumeric() || matches!(b[k - 1], b'-' | b'_')) {
            k -= 1;
        }
        if k == colon || !is_secret_header(at(text, k, colon)) {
            continue;
        }
        let mut start = colon + 1;
        while start < b.len() && matches!(b[start], b' ' | b'\t') {
            start += 1;
        }
        let end = value_end(b, start, false);
        if end > start {
            spans.push(Span {
                start,
                end,
                bare: false,
            });
        }
    }
}

const SCHEMES: &[&str] = &["bearer", "ssws", "basic", "dpop", "token", "negotiate"];

/// The credential after an auth scheme (`Bearer x`, `SSWS x`, `Basic x`, `DPoP x`,
/// `token x`), unless it is an auth-param (`Bearer realm="x"`) or does not look like a
/// credential (`Bearer token required`). At the cut of a truncated text, any credential is
/// hidden, however short.
pub(super) fn scan_schemes(text: &str, truncated: bool, spans: &mut Vec<Span>) {
    let b = text.as_bytes();
    let mut i = 0;
    while i < b.len() {
        if !b[i].is_ascii_alphabetic() || (i > 0 && b[i - 1].is_ascii_alphanumeric()) {
            i += 1;
            continue;
        }
        let mut word_end = i;
        while word_end < b.len() && b[word_end].is_ascii_alphanumeric() {
            word_end += 1;
        }
        let word = at(text, i, word_end);
        let scheme = matches!(word.len(), 4..=6 | 9)
            .then(|| SCHEMES.iter().find(|s| s.eq_ignore_ascii_case(word)))
            .flatten();
        let mut start = word_end;
        while start < b.len() && matches!(b[start], b' ' | b'\t') {
            start += 1;
        }
        let (Some(scheme), true) = (scheme, start > word_end) else {
            i = word_end.max(i + 1);
            continue;
        };
        let mut end = start;
        while end < b.len() && is_token68(b[end]) {
            end += 1;
        }
        while end < b.len() && b[end] == b'=' {
            end += 1;
        }
        let credential = at(text, start, end);
        let at_cut = truncated && end == b.len();
        let param = b
            .get(end)
            .is_some_and(|&c| c == b'"' || c.is_ascii_alphanumeric());
        if !credential.is_empty() && !param && (at_cut || looks_like_credential(scheme, credential))
        {
            spans.push(Span {
                start,
                end,
                bare: false,
            });
        }
        i = end.max(i + 1);
    }
}

fn is_token68(c: u8) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, b'-' | b'.' | b'_' | b'~' | b'+' | b'/')
}

fn looks_like_credential(scheme: &str, credential: &str) -> bool {
    if scheme.eq_ignore_ascii_case("basic") {
        let engine = &base64::engine::general_purpose::STANDARD;
        return engine
            .decode(credential)
            .or_else(|_| base64::engine::general_purpose::STANDARD_NO_PAD.decode(credential))
            .is_ok_and(|decoded| decoded.contains(&b':'));
    }
    let n = credential.len();
    n >= 20
        || (n >= 8
            && credential
                .bytes()
                .any(|c| c.is_ascii_digit() || b"-._~+/=".contains(&c)))
}

/// JWTs (`eyJ` header, then `.`-separated base64url parts): ID tokens, access tokens,
/// client assertions, DPoP proofs. A cut one at the end of a truncated text is hidden too.
pub(super) fn scan_jwts(text: &str, truncated: bool, spans: &mut Vec<Span>) {
    let b = text.as_bytes();
    let is_b64url = |c: u8| c.is_ascii_alphanumeric() || c == b'-' || c == b'_';
    for (start, _) in text.match_indices("eyJ") {
        if start > 0 && is_b64url(b[start - 1]) {
            continue;
        }
        let mut end = start;
        while end < b.len() && (is_b64url(b[end]) || b[end] == b'.') {
            end += 1;
        }
        let mut parts = at(text, start, end).split('.');
        let header = parts.next().map_or(0, str::len);
        let payload = parts.next().map_or(0, str::len);
        let at_cut = truncated && end == b.len() && end - start >= 6;
        if at_cut || (header >= 10 && payload >= 4) {
            spans.push(Span {
                start,
                end,
                bare: false,
            });
        }
    }
}

/// `application/x-www-form-urlencoded` decoding of one component: `+` is a space, `%XX` a
/// byte; invalid escapes are kept; invalid UTF-8 becomes U+FFFD.
pub(super) fn form_decode(raw: &[u8]) -> String {
    let mut out = Vec::with_capacity(raw.len());
    let mut i = 0;
    while i < raw.len() {
        match raw[i] {
            b'+' => out.push(b' '),
            b'%' => match raw.get(i + 1..i + 3).and_then(hex_byte) {
                Some(byte) => {
                    out.push(byte);
                    i += 2;
                }
                None => out.push(b'%'),
            },
            c => out.push(c),
        }
        i += 1;
    }
    match String::from_utf8(out) {
        Ok(s) => s,
        Err(e) => String::from_utf8_lossy(e.as_bytes()).into_owned(),
    }
}

/// Two hex digits as a byte.
pub(super) fn hex_byte(two: &[u8]) -> Option<u8> {
    let digit = |c: u8| (c as char).to_digit(16);
    match two {
        [hi, lo] => Some(u8::try_from(digit(*hi)? * 16 + digit(*lo)?).ok()?),
        _ => None,
    }
}
