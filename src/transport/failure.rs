//! What went wrong when no complete answer arrived, classified by *when* it went wrong:
//! before the request was written (safe to resend), after it was written (the outcome is
//! unknown), or in the middle of the answer's body.

use http::StatusCode;
use url::Url;

use super::response::Sent;
use crate::error::{Error, TlsErrorKind};
use crate::redact::{Redactor, display_url};

/// The root cause of a reqwest error, with any full URL (which may carry a query) replaced
/// by the shown one, scrubbed of the secrets the attempt carried.
fn root_message(e: &reqwest::Error, shown: &str, sent: &Sent) -> String {
    let mut message = e.to_string();
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        message = s.to_string();
        source = s.source();
    }
    if let Some(full) = e.url().map(|u| u.as_str().to_owned()) {
        message = message.replace(&full, shown);
    }
    Redactor::for_request(&sent.headers, sent.body.as_deref()).scrub(&message)
}

/// The TLS failure behind a connect error, if it is one: its kind, and the first message of
/// the error's causes that says it (OpenSSL's outer message holds the verify reason, such as
/// "(certificate has expired)", which its innermost one lacks).
///
/// Only the causes are read, never reqwest's own message: that one holds the request's
/// URL, so a path such as `/certificates/expired` would make a refused connection look
/// like a TLS failure (which is not retried).
fn tls_failure(e: &reqwest::Error, shown: &str) -> Option<(TlsErrorKind, String)> {
    let full = e.url().map(|u| u.as_str().to_owned());
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        let message = s.to_string();
        if let Some(kind) = tls_kind(&message.to_ascii_lowercase()) {
            let message = match &full {
                Some(full) => message.replace(full.as_str(), shown),
                None => message,
            };
            return Some((kind, message));
        }
        source = s.source();
    }
    None
}

/// The TLS failure a message (lower-cased) from either backend (rustls or the platform's
/// library) describes, if it describes one.
pub(crate) fn tls_kind(text: &str) -> Option<TlsErrorKind> {
    const UNKNOWN_ISSUER: &[&str] = &[
        "unknownissuer",
        "unknown issuer",
        "unable to get local issuer certificate",
        "self-signed certificate",
        "self signed certificate",
        "unable to verify the first certificate",
        "certificate verify failed: (unable to get",
    ];
    const EXPIRED: &[&str] = &[
        "expired",
        "certificate has expired",
        "notvalidyet",
        "not yet valid",
        "not valid yet",
    ];
    const WRONG_HOST: &[&str] = &[
        "notvalidforname",
        "not valid for name",
        "hostname mismatch",
        "ip address mismatch",
        "certificate is not valid for",
    ];
    const OTHER: &[&str] = &[
        "invalid peer certificate",
        "certificate verify failed",
        "tls handshake",
        "handshake failure",
        "received fatal alert",
        "invalidcertificate",
        "peer is incompatible",
        "wrong version number",
        "corrupt message",
        "ssl routines",
    ];
    let has = |needles: &[&str]| needles.iter().any(|n| text.contains(n));
    if has(WRONG_HOST) {
        Some(TlsErrorKind::WrongHost)
    } else if has(EXPIRED) && (text.contains("certif") || text.contains("notvalidyet")) {
        Some(TlsErrorKind::Expired)
    } else if has(UNKNOWN_ISSUER) {
        Some(TlsErrorKind::UnknownIssuer)
    } else if has(OTHER) {
        Some(TlsErrorKind::Other)
    } else {
        None
    }
}

/// A failure of `send()`: no answer head arrived.
///
/// - connection not made (refused, DNS, TLS handshake, connect timeout): [`Error::Connect`]
///   or [`Error::Tls`]; the request was never written;
/// - a timeout once the request may have been written: [`Error::Timeout`] for an idempotent
///   request, [`Error::OutcomeUnknown`] for any other;
/// - a reset, a close, an answer that is not HTTP: [`Error::OutcomeUnknown`].
pub(crate) fn send_failure(e: &reqwest::Error, url: &Url, idempotent: bool, sent: &Sent) -> Error {
    let shown = display_url(url);
    if e.is_builder() {
        return Error::Transport(root_message(e, &shown, sent).into());
    }
    if e.is_connect() {
        if let Some((kind, message)) = tls_failure(e, &shown) {
            return Error::Tls {
                url: shown,
                kind,
                message: Redactor::for_request(&sent.headers, sent.body.as_deref()).scrub(&message),
            };
        }
        if e.is_timeout() {
            return Error::Timeout { url: shown };
        }
        return Error::Connect {
            message: root_message(e, &shown, sent),
            url: shown,
        };
    }
    if e.is_timeout() && idempotent {
        return Error::Timeout { url: shown };
    }
    let message = if e.is_timeout() {
        "timed out after the request was sent".to_owned()
    } else {
        root_message(e, &shown, sent)
    };
    Error::OutcomeUnknown {
        url: shown,
        message,
        idempotent,
    }
}

/// A failure while reading the body of an answer whose head (status) had arrived.
pub(crate) fn body_failure(
    e: &reqwest::Error,
    url: &Url,
    status: StatusCode,
    received: usize,
    idempotent: bool,
    sent: &Sent,
) -> Error {
    let shown = display_url(url);
    if e.is_timeout() && idempotent {
        return Error::Timeout { url: shown };
    }
    let message = if e.is_timeout() {
        "timed out".to_owned()
    } else {
        root_message(e, &shown, sent)
    };
    Error::BodyInterrupted {
        status,
        url: shown,
        received: u64::try_from(received).unwrap_or(u64::MAX),
        message,
        idempotent,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tls_failures_from_both_backends() {
        // (message, lower-cased, kind): as rustls and OpenSSL word them. The exact ones
        // below come from tests/tls.rs (rustls 0.23 with webpki 0.103; OpenSSL 3.0).
        let table = [
            (
                "invalid peer certificate: certificate expired: verification time 1795787432 (unix), but certificate is not valid after 1609459200 (186328232 seconds ago)",
                Some(TlsErrorKind::Expired),
            ),
            (
                "invalid peer certificate: certificate not valid yet: verification time 1795787431 (unix), but certificate is not valid before 3786912000 (1991124569 seconds in future)",
                Some(TlsErrorKind::Expired),
            ),
            (
                "invalid peer certificate: certificate not valid for name \"scimkit.test\"; certificate is only valid for dnsname(\"other.example\")",
                Some(TlsErrorKind::WrongHost),
            ),
            (
                "error:0a000086:ssl routines:tls_post_process_server_certificate:certificate verify failed:../ssl/statem/statem_clnt.c:1889: (certificate has expired)",
                Some(TlsErrorKind::Expired),
            ),
            (
                "error:0a000086:ssl routines:tls_post_process_server_certificate:certificate verify failed:../ssl/statem/statem_clnt.c:1889: (certificate is not yet valid)",
                Some(TlsErrorKind::Expired),
            ),
            (
                "error:0a000086:ssl routines:tls_post_process_server_certificate:certificate verify failed:../ssl/statem/statem_clnt.c:1889: (hostname mismatch)",
                Some(TlsErrorKind::WrongHost),
            ),
            // OpenSSL's innermost message, without the verify reason (its outer one has it).
            (
                "error:0a000086:ssl routines:tls_post_process_server_certificate:certificate verify failed:../ssl/statem/statem_clnt.c:1889:",
                Some(TlsErrorKind::Other),
            ),
            ("client error (connect)", None),
            (
                "invalid peer certificate: unknownissuer",
                Some(TlsErrorKind::UnknownIssuer),
            ),
            (
                "error:0a000086:ssl routines:tls_post_process_server_certificate:certificate verify failed:../ssl/statem/statem_clnt.c:1889: (unable to get local issuer certificate)",
                Some(TlsErrorKind::UnknownIssuer),
            ),
            (
                "invalid peer certificate: expired",
                Some(TlsErrorKind::Expired),
            ),
            (
                "certificate verify failed (certificate has expired)",
                Some(TlsErrorKind::Expired),
            ),
            (
                "invalid peer certificate: notvalidforname",
                Some(TlsErrorKind::WrongHost),
            ),
            (
                "invalid peer certificate: certificate not valid for name \"localhost\"; certificate is only valid for ...",
                Some(TlsErrorKind::WrongHost),
            ),
            (
                "certificate verify failed (hostname mismatch)",
                Some(TlsErrorKind::WrongHost),
            ),
            (
                "received fatal alert: handshakefailure",
                Some(TlsErrorKind::Other),
            ),
            ("tcp connect error: connection refused (os error 111)", None),
            ("dns error: failed to lookup address information", None),
        ];
        for (text, kind) in table {
            assert_eq!(tls_kind(text), kind, "{text}");
        }
    }
}
