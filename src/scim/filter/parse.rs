//! A recursive-descent parser for RFC 7644 §3.4.2.2 filters and §3.5.2 PATCH paths.

use std::fmt;

use serde_json::Value;

use super::{AttrPath, CompareOp, Filter};

/// A filter or path that does not follow the grammar.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct FilterParseError {
    /// What was wrong.
    pub message: String,
    /// Byte offset in the input where it was noticed.
    pub position: usize,
}

impl fmt::Display for FilterParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "invalid filter at byte {}: {}",
            self.position, self.message
        )
    }
}

impl std::error::Error for FilterParseError {}

impl From<FilterParseError> for crate::Error {
    fn from(e: FilterParseError) -> Self {
        crate::Error::Config(e.to_string())
    }
}

fn err<T>(position: usize, message: impl Into<String>) -> Result<T, FilterParseError> {
    Err(FilterParseError {
        message: message.into(),
        position,
    })
}

#[derive(Debug, Clone, PartialEq)]
enum Tok {
    Open,
    Close,
    LBracket,
    RBracket,
    Str(String),
    Word(String),
}

struct Lexer<'a> {
    text: &'a str,
    pos: usize,
    peeked: Option<(usize, Tok)>,
    /// Attribute expressions parsed so far (see [`MAX_TERMS`]).
    terms: usize,
}

impl<'a> Lexer<'a> {
    fn new(text: &'a str) -> Self {
        Lexer {
            text,
            pos: 0,
            peeked: None,
            terms: 0,
        }
    }

    fn peek(&mut self) -> Result<Option<&(usize, Tok)>, FilterParseError> {
        if self.peeked.is_none() {
            self.peeked = self.lex()?;
        }
        Ok(self.peeked.as_ref())
    }

    fn next(&mut self) -> Result<Option<(usize, Tok)>, FilterParseError> {
        if let Some(t) = self.peeked.take() {
            return Ok(Some(t));
        }
        self.lex()
    }

    fn lex(&mut self) -> Result<Option<(usize, Tok)>, FilterParseError> {
        let bytes = self.text.as_bytes();
        while self.pos < bytes.len() && bytes[self.pos].is_ascii_whitespace() {
            self.pos += 1;
        }
        let start = self.pos;
        let Some(&b) = bytes.get(start) else {
            return Ok(None);
        };
        let tok = match b {
            b'(' => Tok::Open,
            b')' => Tok::Close,
            b'[' => Tok::LBracket,
            b']' => Tok::RBracket,
            b'"' => {
                let mut i = start + 1;
                loop {
                    match bytes.get(i) {
                        None => return err(start, "unterminated string"),
                        Some(b'\\') => i += 2,
                        Some(b'"') => break,
                        Some(_) => i += 1,
                    }
                }
                let literal = &self.text[start..=i];
                self.pos = i + 1;
                let s: String = serde_json::from_str(literal)
                    .or_else(|_| err(start, "invalid string literal"))?;
                return Ok(Some((start, Tok::Str(s))));
            }
            _ => {
                let mut i = start;
                while i < bytes.len()
                    && !bytes[i].is_ascii_whitespace()
                    && !matches!(bytes[i], b'(' | b')' | b'[' | b']' | b'"')
                {
                    i += 1;
                }
                self.pos = i;
                return Ok(Some((start, Tok::Word(self.text[start..i].to_owned()))));
            }
        };
        self.pos = start + 1;
        Ok(Some((start, tok)))
    }
}

pub(crate) fn parse_filter(text: &str) -> Result<Filter, FilterParseError> {
    let mut lx = Lexer::new(text);
    let f = parse_or(&mut lx, 0)?;
    match lx.next()? {
        None => Ok(f),
        Some((pos, tok)) => err(pos, format!("unexpected {tok:?} after a complete filter")),
    }
}

const MAX_DEPTH: usize = 64;

/// The most attribute expressions one filter may hold. `a pr and a pr and ...` builds a
/// left-deep tree whose drop, display and evaluation recurse once per term: a few thousand
/// terms (a 40 kB filter) overflowed the stack and aborted the process, e.g. the mock
/// server's, on a client's input.
const MAX_TERMS: usize = 256;

fn is_word(tok: Option<&(usize, Tok)>, word: &str) -> bool {
    matches!(tok, Some((_, Tok::Word(w))) if w.eq_ignore_ascii_case(word))
}

fn parse_or(lx: &mut Lexer<'_>, depth: usize) -> Result<Filter, FilterParseError> {
    let mut left = parse_and(lx, depth)?;
    while is_word(lx.peek()?, "or") {
        lx.next()?;
        let right = parse_and(lx, depth)?;
        left = Filter::Or(Box::new(left), Box::new(right));
    }
    Ok(left)
}

fn parse_and(lx: &mut Lexer<'_>, depth: usize) -> Result<Filter, FilterParseError> {
    let mut left = parse_unary(lx, depth)?;
    while is_word(lx.peek()?, "and") {
        lx.next()?;
        let right = parse_unary(lx, depth)?;
        left = Filter::And(Box::new(left), Box::new(right));
    }
    Ok(left)
}

fn expect(lx: &mut Lexer<'_>, want: Tok, what: &str) -> Result<(), FilterParseError> {
    match lx.next()? {
        Some((_, t)) if t == want => Ok(()),
        Some((pos, t)) => err(pos, format!("expected {what}, found {t:?}")),
        None => err(lx.text.len(), format!("expected {what}, found the end")),
    }
}

fn parse_group(lx: &mut Lexer<'_>, depth: usize) -> Result<Filter, FilterParseError> {
    if depth >= MAX_DEPTH {
        return err(lx.pos, "filter nested too deeply");
    }
    expect(lx, Tok::Open, "'('")?;
    let inner = parse_or(lx, depth + 1)?;
    expect(lx, Tok::Close, "')'")?;
    Ok(inner)
}

fn parse_unary(lx: &mut Lexer<'_>, depth: usize) -> Result<Filter, FilterParseError> {
    let (pos, tok) = match lx.peek()? {
        Some(t) => t.clone(),
        None => return err(lx.text.len(), "expected a filter, found the end"),
    };
    if matches!(tok, Tok::Word(_)) {
        // Attribute expressions and `not`s alike (an attribute may be called "not").
        lx.terms += 1;
        if lx.terms > MAX_TERMS {
            return err(pos, format!("a filter may hold at most {MAX_TERMS} terms"));
        }
    }
    match tok {
        Tok::Open => parse_group(lx, depth),
        Tok::Word(w) if w.eq_ignore_ascii_case("not") => {
            lx.next()?;
            // `not` is the operator only before a group; otherwise it is an attribute that
            // happens to be called "not" (a legal ATTRNAME), as in `not[type eq "x"]`.
            if matches!(lx.peek()?, Some((_, Tok::Open))) {
                Ok(Filter::Not(Box::new(parse_group(lx, depth)?)))
            } else {
                let path = parse_attr_path(&w, pos)?;
                parse_after_path(lx, path, depth)
            }
        }
        Tok::Word(w) => {
            lx.next()?;
            let path = parse_attr_path(&w, pos)?;
            parse_after_path(lx, path, depth)
        }
        other => err(pos, format!("expected an attribute, found {other:?}")),
    }
}

fn parse_after_path(
    lx: &mut Lexer<'_>,
    path: AttrPath,
    depth: usize,
) -> Result<Filter, FilterParseError> {
    match lx.next()? {
        Some((_, Tok::LBracket)) => {
            if depth >= MAX_DEPTH {
                return err(lx.pos, "filter nested too deeply");
            }
            let inner = parse_or(lx, depth + 1)?;
            expect(lx, Tok::RBracket, "']'")?;
            Ok(Filter::ValuePath {
                path,
                filter: Box::new(inner),
            })
        }
        Some((_, Tok::Word(w))) if w.eq_ignore_ascii_case("pr") => Ok(Filter::Present(path)),
        Some((pos, Tok::Word(w))) => {
            let Some(op) = CompareOp::parse(&w) else {
                return err(pos, format!("unknown operator {w:?}"));
            };
            let value = match lx.next()? {
                Some((_, Tok::Str(s))) => Value::String(s),
                Some((pos, Tok::Word(w))) => parse_literal(&w, pos)?,
                Some((pos, t)) => return err(pos, format!("expected a value, found {t:?}")),
                None => return err(lx.text.len(), "expected a value, found the end"),
            };
            Ok(Filter::Compare { path, op, value })
        }
        Some((pos, t)) => err(pos, format!("expected an operator, found {t:?}")),
        None => err(lx.text.len(), "expected an operator, found the end"),
    }
}

fn parse_literal(word: &str, pos: usize) -> Result<Value, FilterParseError> {
    match word.to_ascii_lowercase().as_str() {
        "true" => return Ok(Value::Bool(true)),
        "false" => return Ok(Value::Bool(false)),
        "null" => return Ok(Value::Null),
        _ => {}
    }
    match serde_json::from_str::<Value>(word) {
        // A number that is no integer is read again by the standard library, whose parse is
        // correctly rounded: serde_json's default one can miss by a unit in the last place,
        // and a rendered filter would then not parse back to the same value (found by the
        // `scim_filter` fuzz target: `1111111161111111055555555`).
        Ok(Value::Number(n)) if n.is_f64() => word
            .parse::<f64>()
            .ok()
            .and_then(serde_json::Number::from_f64)
            .map(Value::Number)
            .map_or_else(|| err(pos, format!("invalid value {word:?}")), Ok),
        Ok(v @ Value::Number(_)) => Ok(v),
        _ => err(pos, format!("invalid value {word:?}")),
    }
}

fn valid_name(name: &str) -> bool {
    let mut chars = name.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_alphabetic() || c == '$')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-' || c == '$')
}

pub(crate) fn parse_attr_path(text: &str, pos: usize) -> Result<AttrPath, FilterParseError> {
    // `get`, not indexing: byte 4 may fall inside a multi-byte character.
    let (urn, rest) = if text.len() > 4
        && text
            .get(..4)
            .is_some_and(|p| p.eq_ignore_ascii_case("urn:"))
    {
        match text.rfind(':') {
            Some(i) if i + 1 < text.len() => (Some(text[..i].to_owned()), &text[i + 1..]),
            _ => return err(pos, format!("invalid attribute path {text:?}")),
        }
    } else {
        (None, text)
    };
    let (name, sub) = match rest.split_once('.') {
        Some((n, s)) => (n, Some(s)),
        None => (rest, None),
    };
    if !valid_name(name) || sub.is_some_and(|s| !valid_name(s)) {
        return err(pos, format!("invalid attribute path {text:?}"));
    }
    Ok(AttrPath {
        urn,
        name: name.to_owned(),
        sub: sub.map(str::to_owned),
    })
}

/// A PATCH path: `attrPath`, or `attrPath[valFilter]` optionally followed by `.subAttr`.
pub(crate) fn parse_patch_path(
    text: &str,
) -> Result<(AttrPath, Option<Filter>, Option<String>), FilterParseError> {
    let Some(open) = text.find('[') else {
        return Ok((parse_attr_path(text.trim(), 0)?, None, None));
    };
    let path = parse_attr_path(text[..open].trim(), 0)?;
    let close = match text.rfind(']') {
        Some(c) if c > open => c,
        _ => return err(open, "unclosed '['"),
    };
    let filter = parse_filter(&text[open + 1..close]).map_err(|mut e| {
        e.position += open + 1;
        e
    })?;
    let rest = text[close + 1..].trim();
    let sub = if rest.is_empty() {
        None
    } else if let Some(sub) = rest.strip_prefix('.') {
        if !valid_name(sub) {
            return err(close + 1, format!("invalid sub-attribute {sub:?}"));
        }
        Some(sub.to_owned())
    } else {
        return err(close + 1, format!("unexpected {rest:?} after ']'"));
    };
    Ok((path, Some(filter), sub))
}
