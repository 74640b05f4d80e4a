//! Helpers every mock server shares: timestamps, percent-decoding, poison-tolerant locks and
//! random tokens.

use std::collections::{HashMap, VecDeque};
use std::hash::Hash;
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::{SystemTime, UNIX_EPOCH};

/// RFC 3339 with milliseconds, in UTC (`2024-03-01T00:00:00.123Z`), as SCIM `meta` and Okta
/// write timestamps.
pub(crate) fn rfc3339(t: SystemTime) -> String {
    let d = t.duration_since(UNIX_EPOCH).unwrap_or_default();
    let secs = d.as_secs();
    let days = i64::try_from(secs / 86_400).unwrap_or(0);
    let rem = secs % 86_400;
    // Civil-from-days (Howard Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}.{:03}Z",
        rem / 3600,
        (rem % 3600) / 60,
        rem % 60,
        d.subsec_millis()
    )
}

/// Decodes `%XX` escapes in a URL path segment; `+` stays `+`; a malformed escape is kept as
/// written; bytes that are not UTF-8 become U+FFFD.
pub(crate) fn percent_decode(segment: &str) -> String {
    let bytes = segment.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%'
            && let Some(hex) = bytes.get(i + 1..i + 3)
            && let Some(b) = std::str::from_utf8(hex)
                .ok()
                .and_then(|h| u8::from_str_radix(h, 16).ok())
        {
            out.push(b);
            i += 3;
            continue;
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Decodes a form-encoded value (`application/x-www-form-urlencoded`): `+` is a space, then
/// `%XX` escapes, as RFC 6749 §2.3.1 wants for the halves of a Basic credential.
pub(crate) fn form_decode(value: &str) -> String {
    percent_decode(&value.replace('+', " "))
}

/// Locks a mutex, carrying on with the data if a panicking holder poisoned it: mock state
/// stays usable for the rest of a test.
pub(crate) fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

/// `len` random ASCII letters and digits, for bearer tokens and secrets.
pub(crate) fn random_token(len: usize) -> String {
    std::iter::repeat_with(fastrand::alphanumeric)
        .take(len)
        .collect()
}

/// A map that keeps at most `cap` entries, forgetting the oldest inserted first: what a
/// long-running mock keeps of tokens and replay caches, so its memory stays flat.
#[derive(Debug)]
pub(crate) struct Bounded<K, V> {
    map: HashMap<K, V>,
    order: VecDeque<K>,
    cap: usize,
}

/// How many tokens, and how many ids in a replay cache, a mock keeps.
pub(crate) const KEPT: usize = 10_000;

impl<K, V> Default for Bounded<K, V> {
    fn default() -> Self {
        Bounded {
            map: HashMap::new(),
            order: VecDeque::new(),
            cap: KEPT,
        }
    }
}

impl<K: Eq + Hash + Clone, V> Bounded<K, V> {
    #[cfg(test)]
    pub(crate) fn new(cap: usize) -> Self {
        Bounded {
            map: HashMap::new(),
            order: VecDeque::new(),
            cap,
        }
    }

    /// Inserts or replaces; `false` if the key was there already.
    pub(crate) fn insert(&mut self, key: K, value: V) -> bool {
        if self.map.insert(key.clone(), value).is_some() {
            return false;
        }
        self.order.push_back(key);
        while self.order.len() > self.cap {
            if let Some(oldest) = self.order.pop_front() {
                self.map.remove(&oldest);
            }
        }
        true
    }

    pub(crate) fn get<Q>(&self, key: &Q) -> Option<&V>
    where
        K: std::borrow::Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        self.map.get(key)
    }

    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.map.len()
    }

    pub(crate) fn clear(&mut self) {
        self.map.clear();
        self.order.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn rfc3339_formats_utc() {
        let cases = [
            (0, "1970-01-01T00:00:00.000Z"),
            (1_709_251_200_123, "2024-03-01T00:00:00.123Z"),
            (951_782_400_000, "2000-02-29T00:00:00.000Z"),
            (1_735_689_599_999, "2024-12-31T23:59:59.999Z"),
        ];
        for (millis, want) in cases {
            assert_eq!(rfc3339(UNIX_EPOCH + Duration::from_millis(millis)), want);
        }
    }

    #[test]
    fn percent_decode_table() {
        let cases = [
            ("plain", "plain"),
            ("a%20b", "a b"),
            ("a+b", "a+b"),
            ("a%2Bb", "a+b"),
            ("a&b=c", "a&b=c"),
            ("%zz", "%zz"),
            ("50%", "50%"),
            ("%4", "%4"),
            ("%C3%A9", "é"),
            ("%FF", "\u{FFFD}"),
        ];
        for (input, want) in cases {
            assert_eq!(percent_decode(input), want, "{input}");
        }
    }

    #[test]
    fn bounded_forgets_the_oldest() {
        let mut b = Bounded::new(2);
        assert!(b.insert("a", 1));
        assert!(b.insert("b", 2));
        assert!(!b.insert("a", 3), "a replaced, not added");
        assert!(b.insert("c", 4));
        assert_eq!(b.len(), 2);
        assert!(b.get(&"a").is_none());
        assert_eq!(b.get(&"c"), Some(&4));
        b.clear();
        assert_eq!(b.len(), 0);
    }

    #[test]
    fn form_decode_table() {
        let cases = [
            ("a+b", "a b"),
            ("a%2Bb", "a+b"),
            ("s%3Aid", "s:id"),
            ("", ""),
        ];
        for (input, want) in cases {
            assert_eq!(form_decode(input), want, "{input}");
        }
    }
}
