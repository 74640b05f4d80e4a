//! Secrets by value: the exact secrets a request carried, found in text written raw,
//! JSON-escaped (`\"`, `\/`, `\u00e9`, surrogate pairs), percent-encoded (`%40`, and `+` for
//! a space), HTML-escaped (`&amp;`, `&#64;`, `&#x40;`), or any mix of these.
//!
//! Not found: double encodings (`%2540`), base64 of a secret (except the `Basic`
//! credential, which the harvest adds as a secret of its own), and case-changed copies.

use secrecy::{ExposeSecret, SecretString};

use super::Span;
use super::json::json_u_escape;
use super::text::hex_byte;

/// The most text bytes one secret byte can take when escaped (`\uD83D\uDE00` is 12 bytes
/// for 4; `&#x0000040;` is 11 for 1). A match that runs out of budget hides this much.
const MAX_ESCAPED_PER_BYTE: usize = 12;

/// Secrets sorted by their first byte, with an index of where each first byte starts, so a
/// text position is tried only against the secrets that can start there.
pub(super) struct Index {
    secrets: Box<[SecretString]>,
    /// `starts[b]..starts[b + 1]` are the secrets whose first byte is `b`.
    starts: Box<[u32; 257]>,
    /// The bytes a match can start at: a secret's first byte, or an escape (`%`, `\\`,
    /// `&`, `+`) that may stand for one.
    may_start: Box<[bool; 256]>,
}

impl Index {
    pub(super) fn new(mut secrets: Vec<SecretString>) -> Index {
        secrets.sort_by(|a, b| a.expose_secret().cmp(b.expose_secret()));
        secrets.dedup_by(|a, b| a.expose_secret() == b.expose_secret());
        let mut starts = Box::new([0u32; 257]);
        for s in &secrets {
            if let Some(&first) = s.expose_secret().as_bytes().first() {
                let slot = usize::from(first) + 1;
                starts[slot] = starts[slot].saturating_add(1);
            }
        }
        for b in 1..257 {
            starts[b] = starts[b].saturating_add(starts[b - 1]);
        }
        let mut may_start = Box::new([false; 256]);
        for b in 0..256 {
            may_start[b] =
                starts[b + 1] > starts[b] || matches!(b as u8, b'%' | b'\\' | b'&' | b'+');
        }
        Index {
            secrets: secrets.into_boxed_slice(),
            starts,
            may_start,
        }
    }

    pub(super) fn len(&self) -> usize {
        self.secrets.len()
    }

    pub(super) fn secrets(&self) -> &[SecretString] {
        &self.secrets
    }

    fn starting_with(&self, byte: u8) -> &[SecretString] {
        let from = self.starts[usize::from(byte)] as usize;
        let to = self.starts[usize::from(byte) + 1] as usize;
        self.secrets.get(from..to).unwrap_or_default()
    }
}

/// One way to read the text at a position: the bytes it stands for and the text it uses.
#[derive(Clone, Copy)]
struct Unit {
    bytes: [u8; 4],
    len: u8,
    used: u8,
}

impl Unit {
    fn raw(c: u8) -> Unit {
        Unit {
            bytes: [c, 0, 0, 0],
            len: 1,
            used: 1,
        }
    }

    fn char(c: char, used: usize) -> Option<Unit> {
        let mut bytes = [0u8; 4];
        let len = c.encode_utf8(&mut bytes).len();
        Some(Unit {
            bytes,
            len: u8::try_from(len).ok()?,
            used: u8::try_from(used).ok()?,
        })
    }

    /// Whether the bytes this unit stands for start `rest` (a byte loop: at most 4 bytes,
    /// cheaper than a `memcmp` call on this hot path).
    fn is_prefix_of(&self, rest: &[u8]) -> bool {
        let len = usize::from(self.len);
        rest.len() >= len && (0..len).all(|k| self.bytes[k] == rest[k])
    }
}

/// The readings of the text at `i`: the raw byte, and the escape starting there, if any.
#[inline(always)]
fn units_at(b: &[u8], i: usize) -> (Unit, Option<Unit>) {
    let raw = Unit::raw(b[i]);
    let escaped = match b[i] {
        b'+' => Some(Unit {
            bytes: [b' ', 0, 0, 0],
            len: 1,
            used: 1,
        }),
        b'%' => b.get(i + 1..i + 3).and_then(hex_byte).map(|byte| Unit {
            bytes: [byte, 0, 0, 0],
            len: 1,
            used: 3,
        }),
        b'\\' => json_escape(b, i),
        b'&' => html_entity(b, i),
        _ => None,
    };
    (raw, escaped)
}

fn json_escape(b: &[u8], i: usize) -> Option<Unit> {
    let simple = |c: u8| {
        Some(Unit {
            bytes: [c, 0, 0, 0],
            len: 1,
            used: 2,
        })
    };
    match b.get(i + 1)? {
        b'"' => simple(b'"'),
        b'\\' => simple(b'\\'),
        b'/' => simple(b'/'),
        b'b' => simple(0x08),
        b'f' => simple(0x0c),
        b'n' => simple(b'\n'),
        b'r' => simple(b'\r'),
        b't' => simple(b'\t'),
        b'u' => json_u_escape(b, i).and_then(|(c, used)| Unit::char(c, used)),
        _ => None,
    }
}

fn html_entity(b: &[u8], i: usize) -> Option<Unit> {
    let rest = b.get(i + 1..b.len().min(i + 12))?;
    let semi = rest.iter().position(|&c| c == b';')?;
    let name = std::str::from_utf8(&rest[..semi]).ok()?;
    let used = semi + 2;
    let c = match name {
        "amp" => '&',
        "lt" => '<',
        "gt" => '>',
        "quot" => '"',
        "apos" => '\'',
        _ => {
            let number = name.strip_prefix('#')?;
            let code = match number.strip_prefix(['x', 'X']) {
                Some(hex) => u32::from_str_radix(hex, 16).ok()?,
                None => number.parse::<u32>().ok()?,
            };
            char::from_u32(code)?
        }
    };
    Unit::char(c, used)
}

/// Pushes a span for every place the text holds one of the secrets, in any of the
/// encodings above. When the text was cut (`truncated`), a secret begun but cut off at the
/// end is hidden too: its prefix is a secret's prefix.
///
/// Cost: each text position is tried only against secrets with a matching first byte; each
/// try is a depth-first walk over the readings of the text (at most two per position),
/// bounded by a step budget proportional to the secret's length.
pub(super) fn scan(text: &str, truncated: bool, index: &Index, spans: &mut Vec<Span>) {
    let b = text.as_bytes();
    let mut stack = Vec::new();
    let mut i = 0;
    while i < b.len() {
        if !index.may_start[usize::from(b[i])] {
            i += 1;
            continue;
        }
        let (raw, escaped) = units_at(b, i);
        let mut best: Option<usize> = None;
        for unit in std::iter::once(raw).chain(escaped) {
            for secret in index.starting_with(unit.bytes[0]) {
                let secret = secret.expose_secret().as_bytes();
                let budget = secret.len().saturating_mul(8).saturating_add(64);
                if let Some(end) = match_at(b, i, secret, truncated, &mut stack, budget) {
                    best = Some(best.map_or(end, |e| e.max(end)));
                }
            }
        }
        match best {
            Some(end) if end > i => {
                spans.push(Span {
                    start: i,
                    end,
                    bare: false,
                });
                i = end;
            }
            _ => i += 1,
        }
    }
}

/// Where the secret that starts at `start` ends in the text, if it does, walking at most
/// `budget` steps.
pub(super) fn match_at(
    b: &[u8],
    start: usize,
    secret: &[u8],
    truncated: bool,
    stack: &mut Vec<(usize, usize)>,
    mut budget: usize,
) -> Option<usize> {
    stack.clear();
    stack.push((start, 0));
    while let Some((i, j)) = stack.pop() {
        if j == secret.len() {
            return Some(i);
        }
        if i >= b.len() {
            if truncated && j > 0 {
                return Some(b.len());
            }
            continue;
        }
        if budget == 0 {
            // A text built to make the walk branch: hide as far as the secret could reach.
            let reach = secret.len().saturating_mul(MAX_ESCAPED_PER_BYTE);
            return Some(b.len().min(start.saturating_add(reach)));
        }
        budget -= 1;
        let (raw, escaped) = units_at(b, i);
        let mut advanced = false;
        for unit in std::iter::once(raw).chain(escaped) {
            if unit.is_prefix_of(&secret[j..]) {
                stack.push((i + usize::from(unit.used), j + usize::from(unit.len)));
                advanced = true;
            }
        }
        // An escape cut at the end of a truncated text, after a matching prefix.
        if !advanced
            && truncated
            && j > 0
            && b.len() - i < MAX_ESCAPED_PER_BYTE
            && matches!(b[i], b'%' | b'\\' | b'&')
        {
            return Some(b.len());
        }
    }
    None
}
