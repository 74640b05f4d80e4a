//! Which URLs the transport sends to: `https://` always; `http://` only to loopback unless
//! the builder allowed insecure HTTP; never a URL that carries credentials.

use url::Url;

use crate::error::{Error, Result};
use crate::redact::display_url;

/// Parses `url`, refusing user info (never echoed) and applying [`check_scheme`].
pub(crate) fn check_url(url: &str, allow_insecure_http: bool) -> Result<Url> {
    // The text may carry credentials (`user:secret@host`): never echo it.
    let parsed = Url::parse(url).map_err(|e| Error::config(format!("invalid URL: {e}")))?;
    if !parsed.username().is_empty() || parsed.password().is_some() {
        return Err(Error::config(format!(
            "{} carries a user name or password; pass credentials through the builder's auth(..) (an Authenticator) instead",
            display_url(&parsed)
        )));
    }
    check_scheme(&parsed, allow_insecure_http)?;
    Ok(parsed)
}

/// `https://` always; `http://` to loopback, or anywhere when `allow_insecure_http`.
pub(crate) fn check_scheme(url: &Url, allow_insecure_http: bool) -> Result<()> {
    match url.scheme() {
        "https" => Ok(()),
        "http" if allow_insecure_http || is_loopback(url) => Ok(()),
        "http" => Err(Error::InsecureUrl {
            url: display_url(url),
        }),
        other => Err(Error::config(format!(
            "unsupported URL scheme {other:?} in {}",
            display_url(url)
        ))),
    }
}

fn is_loopback(url: &Url) -> bool {
    match url.host() {
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        Some(url::Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
        None => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn http_refused_unless_loopback_or_opted_in() {
        // (url, allow insecure, accepted)
        let table = [
            ("https://idp.example.com/x", false, true),
            ("http://idp.example.com/x", false, false),
            ("http://idp.example.com/x", true, true),
            ("http://localhost:1/x", false, true),
            ("http://LOCALHOST:1/x", false, true),
            ("http://127.0.0.1:1/x", false, true),
            ("http://127.8.0.1:1/x", false, true),
            ("http://[::1]:1/x", false, true),
            ("http://localhost.evil.example/x", false, false),
            ("http://0.0.0.0/x", false, false),
            ("ftp://h/x", true, false),
            ("file:///etc/passwd", true, false),
            ("not a url", true, false),
        ];
        for (url, allow, ok) in table {
            assert_eq!(check_url(url, allow).is_ok(), ok, "{url}");
        }
        assert!(matches!(
            check_url("http://idp.example.com/x", false),
            Err(Error::InsecureUrl { .. })
        ));
        for bad in [
            "https://svc:hunter2@idp.example.com/token",
            "https://svc:hunter2@[bad/token",
            "https://hunter2@idp.example.com/token",
        ] {
            let err = check_url(bad, false).unwrap_err();
            assert!(!err.to_string().contains("hunter2"), "{err}");
        }
    }
}
