//! Secrets by key in JSON: a walk over a parsed value, and a tolerant scanner over text
//! (truncated, invalid, or JSON inside HTML or a message) that applies the same rules.

use std::borrow::Cow;

use serde_json::Value;

use super::keys::{KeyClass, classify, names_secret};
use super::{Span, at};

/// Calls `hide` on every string or number that is a secret by key, at any depth. Secret
/// objects and arrays have all their strings and numbers hidden; `true`, `false` and `null`
/// are kept.
pub(super) fn walk_tree(value: &mut Value, hide: &mut dyn FnMut(&mut Value)) {
    walk(value, false, hide);
}

fn walk(value: &mut Value, context: bool, hide: &mut dyn FnMut(&mut Value)) {
    match value {
        Value::Object(map) => {
            let jwk = map.keys().any(|k| classify(k) == KeyClass::Kty);
            let named = map.iter().any(|(k, v)| {
                classify(k) == KeyClass::Names && v.as_str().is_some_and(names_secret)
            });
            for (key, v) in map.iter_mut() {
                let class = classify(key);
                let secret = match class {
                    KeyClass::Secret => true,
                    KeyClass::SecretString => v.is_string(),
                    KeyClass::Value => context || named,
                    KeyClass::JwkPrivate => jwk,
                    _ => false,
                };
                if secret {
                    hide_all(v, hide);
                } else {
                    walk(v, context || class == KeyClass::Context, hide);
                }
            }
        }
        Value::Array(items) => {
            for v in items {
                walk(v, context, hide);
            }
        }
        _ => {}
    }
}

fn hide_all(value: &mut Value, hide: &mut dyn FnMut(&mut Value)) {
    match value {
        Value::String(_) | Value::Number(_) => hide(value),
        Value::Object(map) => {
            for v in map.values_mut() {
                hide_all(v, hide);
            }
        }
        Value::Array(items) => {
            for v in items {
                hide_all(v, hide);
            }
        }
        Value::Bool(_) | Value::Null => {}
    }
}

/// One open object or array while scanning.
#[derive(Default)]
struct Frame {
    /// Under `credentials`, `recovery_question`, `authScheme` or `headers`.
    context: bool,
    /// A `kty` member was seen.
    jwk: bool,
    /// A `path`/`name`/`key` member names a secret.
    named: bool,
    /// The class of the key just read, until its value.
    pending: Option<KeyClass>,
    /// `value` and private-JWK members whose secrecy depends on a sibling not seen yet.
    deferred: Vec<(Span, KeyClass)>,
    /// Where this container starts, when it is itself the value of such a member.
    candidate: Option<(usize, KeyClass)>,
}

impl Frame {
    fn child(&self, class: Option<KeyClass>, candidate: Option<(usize, KeyClass)>) -> Frame {
        Frame {
            context: self.context || class == Some(KeyClass::Context),
            candidate,
            ..Frame::default()
        }
    }

    fn settles(&self, class: KeyClass) -> bool {
        match class {
            KeyClass::Value => self.context || self.named,
            KeyClass::JwkPrivate => self.jwk,
            _ => false,
        }
    }
}

enum Verdict {
    Show,
    Hide,
    Defer(KeyClass),
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    String,
    Bare,
    Container,
}

fn verdict(frame: &Frame, class: Option<KeyClass>, kind: Kind, bare: &str) -> Verdict {
    let is_literal = kind == Kind::Bare && matches!(bare, "true" | "false" | "null");
    if is_literal {
        return Verdict::Show;
    }
    match class {
        Some(KeyClass::Secret) => Verdict::Hide,
        // An authorization code is a string; a number under `code` is a status code.
        Some(KeyClass::SecretString) => match kind {
            Kind::String => Verdict::Hide,
            Kind::Bare if !is_number(bare) => Verdict::Hide,
            _ => Verdict::Show,
        },
        Some(c @ (KeyClass::Value | KeyClass::JwkPrivate)) => {
            if frame.settles(c) {
                Verdict::Hide
            } else {
                Verdict::Defer(c)
            }
        }
        _ => Verdict::Show,
    }
}

pub(super) fn is_number(text: &str) -> bool {
    let t = text.strip_prefix('-').unwrap_or(text);
    t.starts_with(|c: char| c.is_ascii_digit())
        && t.bytes()
            .all(|c| c.is_ascii_digit() || matches!(c, b'.' | b'e' | b'E' | b'+' | b'-'))
}

/// Finds the secrets by key in JSON-looking text, whether or not it is valid JSON, and
/// pushes their spans: string contents (inside the quotes), bare scalars, whole secret
/// containers.
///
/// The scanner keeps a stack of open objects and arrays, decodes every key (escapes
/// included, so `"p\u0061ssword"` is `password`) and judges each value by the rules of
/// [`walk_tree`]. A value whose secrecy depends on a sibling that may come later (`value`
/// before `path`, `d` before `kty`) is decided when its object closes; in an object left
/// open at the end of the text (truncated or invalid) it is hidden. An unterminated string
/// or container under a secret key is hidden to the end of the text. Cost: one pass, O(n),
/// no recursion.
pub(super) fn scan(text: &str, spans: &mut Vec<Span>) {
    let b = text.as_bytes();
    let mut stack = vec![Frame::default()];
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'"' => {
                let (end, closed) = string_end(b, i);
                let content = Span {
                    start: i + 1,
                    end: if closed { end - 1 } else { end },
                    bare: false,
                };
                let after = skip_ws(b, end);
                if closed && b.get(after) == Some(&b':') {
                    let key = unescape(at(text, content.start, content.end));
                    if let Some(top) = stack.last_mut() {
                        top.pending = Some(classify(&key));
                    }
                    i = after + 1;
                } else {
                    let raw = at(text, content.start, content.end);
                    scalar(&mut stack, content, Kind::String, raw, spans);
                    i = end;
                }
            }
            b'{' | b'[' => {
                let Some(top) = stack.last_mut() else { break };
                let class = top.pending.take();
                match verdict(top, class, Kind::Container, "") {
                    Verdict::Hide => {
                        let end = container_end(b, i);
                        spans.push(Span {
                            start: i,
                            end,
                            bare: true,
                        });
                        i = end;
                    }
                    Verdict::Defer(c) => {
                        let child = top.child(class, Some((i, c)));
                        stack.push(child);
                        i += 1;
                    }
                    Verdict::Show => {
                        let child = top.child(class, None);
                        stack.push(child);
                        i += 1;
                    }
                }
            }
            b'}' | b']' => {
                if stack.len() > 1
                    && let Some(frame) = stack.pop()
                {
                    close(frame, i + 1, &mut stack, spans);
                }
                i += 1;
            }
            b',' => {
                if let Some(top) = stack.last_mut() {
                    top.pending = None;
                }
                i += 1;
            }
            c if is_bare_start(c) && stack.last().is_some_and(|f| f.pending.is_some()) => {
                let end = bare_end(b, i);
                let span = Span {
                    start: i,
                    end,
                    bare: true,
                };
                scalar(&mut stack, span, Kind::Bare, at(text, i, end), spans);
                i = end;
            }
            _ => i += 1,
        }
    }
    // Objects left open: the text was cut or is not JSON. A deferred member's sibling may be
    // past the end, so hide it; the implicit top level is judged by what was seen.
    while stack.len() > 1 {
        if let Some(mut frame) = stack.pop() {
            frame.jwk = true;
            frame.named = true;
            close(frame, b.len(), &mut stack, spans);
        }
    }
    if let Some(root) = stack.pop() {
        settle(&root, spans);
    }
}

fn scalar(stack: &mut [Frame], span: Span, kind: Kind, raw: &str, spans: &mut Vec<Span>) {
    let Some(top) = stack.last_mut() else { return };
    let class = top.pending.take();
    match class {
        Some(KeyClass::Kty) => top.jwk = true,
        Some(KeyClass::Names) if kind == Kind::String && names_secret(&unescape(raw)) => {
            top.named = true;
        }
        _ => {}
    }
    match verdict(top, class, kind, raw) {
        Verdict::Hide => spans.push(span),
        Verdict::Defer(c) => top.deferred.push((span, c)),
        Verdict::Show => {}
    }
}

fn settle(frame: &Frame, spans: &mut Vec<Span>) {
    for (span, class) in &frame.deferred {
        if frame.settles(*class) {
            spans.push(*span);
        }
    }
}

fn close(frame: Frame, end: usize, stack: &mut [Frame], spans: &mut Vec<Span>) {
    settle(&frame, spans);
    if let (Some((start, class)), Some(parent)) = (frame.candidate, stack.last_mut()) {
        let span = Span {
            start,
            end,
            bare: true,
        };
        if parent.settles(class) {
            spans.push(span);
        } else {
            parent.deferred.push((span, class));
        }
    }
}

/// The end of the string starting at `start` (just past its closing quote) and whether it
/// was closed; an unterminated string runs to the end of the text.
fn string_end(b: &[u8], start: usize) -> (usize, bool) {
    let mut i = start + 1;
    while i < b.len() {
        match b[i] {
            b'\\' => i += 2,
            b'"' => return (i + 1, true),
            _ => i += 1,
        }
    }
    (b.len(), false)
}

/// Just past the container starting at `start`, or the end of the text.
fn container_end(b: &[u8], start: usize) -> usize {
    let mut depth = 0usize;
    let mut i = start;
    while i < b.len() {
        match b[i] {
            b'"' => {
                i = string_end(b, i).0;
                continue;
            }
            b'{' | b'[' => depth = depth.saturating_add(1),
            b'}' | b']' => {
                depth = depth.saturating_sub(1);
                if depth == 0 {
                    return i + 1;
                }
            }
            _ => {}
        }
        i += 1;
    }
    b.len()
}

fn skip_ws(b: &[u8], mut i: usize) -> usize {
    while i < b.len() && b[i].is_ascii_whitespace() {
        i += 1;
    }
    i
}

fn is_bare_start(c: u8) -> bool {
    !c.is_ascii_whitespace() && !matches!(c, b'{' | b'}' | b'[' | b']' | b',' | b':' | b'"')
}

/// A bare value (a number, a literal, or an unquoted word in a relaxed body) ends at a
/// delimiter.
fn bare_end(b: &[u8], start: usize) -> usize {
    let mut i = start;
    while i < b.len()
        && !b[i].is_ascii_whitespace()
        && !matches!(
            b[i],
            b',' | b'}' | b']' | b'"' | b'\'' | b'<' | b'>' | b'&' | b';'
        )
    {
        i += 1;
    }
    i
}

/// Decodes the escapes of a JSON string's contents; invalid escapes are kept as written.
pub(super) fn unescape(raw: &str) -> Cow<'_, str> {
    if !raw.contains('\\') {
        return Cow::Borrowed(raw);
    }
    let mut out = String::with_capacity(raw.len());
    let mut chars = raw.char_indices();
    while let Some((at, c)) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some((_, 'n')) => out.push('\n'),
            Some((_, 't')) => out.push('\t'),
            Some((_, 'r')) => out.push('\r'),
            Some((_, 'b')) => out.push('\u{8}'),
            Some((_, 'f')) => out.push('\u{c}'),
            Some((_, 'u')) => match json_u_escape(raw.as_bytes(), at) {
                Some((decoded, used)) => {
                    out.push(decoded);
                    // `at` + 2 already consumed; skip the rest of the escape.
                    for _ in 2..used {
                        chars.next();
                    }
                }
                None => out.push_str("\\u"),
            },
            Some((_, other)) => out.push(other),
            None => out.push('\\'),
        }
    }
    Cow::Owned(out)
}

/// Decodes `\uXXXX` (and a `\uXXXX\uXXXX` surrogate pair) at `at`: the char and the bytes
/// used. A lone surrogate is `None`.
pub(super) fn json_u_escape(b: &[u8], at: usize) -> Option<(char, usize)> {
    let unit = |i: usize| -> Option<u32> {
        if b.get(i) != Some(&b'\\') || b.get(i + 1) != Some(&b'u') {
            return None;
        }
        let hex = b.get(i + 2..i + 6)?;
        let text = std::str::from_utf8(hex).ok()?;
        u32::from_str_radix(text, 16).ok()
    };
    let first = unit(at)?;
    if (0xD800..0xDC00).contains(&first) {
        let second = unit(at + 6)?;
        if !(0xDC00..0xE000).contains(&second) {
            return None;
        }
        let code = 0x10000 + ((first - 0xD800) << 10) + (second - 0xDC00);
        return char::from_u32(code).map(|c| (c, 12));
    }
    char::from_u32(first).map(|c| (c, 6))
}
