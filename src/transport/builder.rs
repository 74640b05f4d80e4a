//! [`TransportBuilder`]: every setting of the transport, with its documented default.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use arc_swap::ArcSwapOption;

use super::RetryPolicy;
use super::send::{Inner, Transport, USER_AGENT};
use crate::clock::{Clock, SharedClock, system_clock};
use crate::error::{Error, Result};

const DEFAULT_MAX_RESPONSE_BYTES: usize = 16 * 1024 * 1024;

type Configure = Box<dyn FnOnce(reqwest::ClientBuilder) -> reqwest::ClientBuilder + Send>;

/// Builds a [`Transport`]. Every setting has a documented default.
///
/// ```
/// use std::time::Duration;
/// use scimkit::{RetryPolicy, Transport};
///
/// let transport = Transport::builder()
///     .timeout(Duration::from_secs(20))          // default 30 s per attempt
///     .connect_timeout(Duration::from_secs(5))   // default 10 s
///     .retry(RetryPolicy::default().max_retries(5))
///     .max_response_bytes(4 * 1024 * 1024)       // default 16 MiB
///     .build()
///     .unwrap();
/// # let _ = transport;
/// ```
pub struct TransportBuilder {
    connect_timeout: Duration,
    timeout: Duration,
    retry: RetryPolicy,
    max_response_bytes: usize,
    allow_insecure_http: bool,
    #[cfg(any(feature = "rustls", feature = "native-tls"))]
    root_certificates: Vec<reqwest::Certificate>,
    user_agent_suffix: Option<String>,
    configure: Option<Configure>,
    clock: SharedClock,
    throttle: bool,
}

impl fmt::Debug for TransportBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut shown = f.debug_struct("TransportBuilder");
        shown
            .field("connect_timeout", &self.connect_timeout)
            .field("timeout", &self.timeout)
            .field("retry", &self.retry)
            .field("max_response_bytes", &self.max_response_bytes)
            .field("allow_insecure_http", &self.allow_insecure_http);
        #[cfg(any(feature = "rustls", feature = "native-tls"))]
        shown.field("root_certificates", &self.root_certificates.len());
        shown
            .field("throttle", &self.throttle)
            .finish_non_exhaustive()
    }
}

impl Default for TransportBuilder {
    fn default() -> Self {
        TransportBuilder {
            connect_timeout: Duration::from_secs(10),
            timeout: Duration::from_secs(30),
            retry: RetryPolicy::default(),
            max_response_bytes: DEFAULT_MAX_RESPONSE_BYTES,
            allow_insecure_http: false,
            #[cfg(any(feature = "rustls", feature = "native-tls"))]
            root_certificates: Vec::new(),
            user_agent_suffix: None,
            configure: None,
            clock: system_clock(),
            throttle: false,
        }
    }
}

impl TransportBuilder {
    /// Time allowed to open a connection (default 10 s).
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = timeout;
        self
    }

    /// Time allowed for one attempt, from sending to the last byte of the body (default 30 s).
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// Retry policy for transient failures (default: [`RetryPolicy::default`]).
    pub fn retry(mut self, policy: RetryPolicy) -> Self {
        self.retry = policy;
        self
    }

    /// Largest response body accepted, in bytes (default 16 MiB); larger bodies fail with
    /// [`Error::BodyTooLarge`].
    pub fn max_response_bytes(mut self, limit: usize) -> Self {
        self.max_response_bytes = limit;
        self
    }

    /// Allows plain `http://` URLs to hosts that are not loopback (default `false`:
    /// loopback `http://` is always allowed, for tests and local mocks).
    pub fn allow_insecure_http(mut self, allow: bool) -> Self {
        self.allow_insecure_http = allow;
        self
    }

    /// Trusts one more root certificate, e.g. the CA of a TLS-inspecting enterprise proxy.
    /// (Needs a TLS feature: `rustls`, the default, or `native-tls`.)
    #[cfg(any(feature = "rustls", feature = "native-tls"))]
    #[cfg_attr(docsrs, doc(cfg(any(feature = "rustls", feature = "native-tls"))))]
    pub fn add_root_certificate(mut self, certificate: reqwest::Certificate) -> Self {
        self.root_certificates.push(certificate);
        self
    }

    /// Appends `suffix` to the `User-Agent` (`scimkit/<version> <suffix>`).
    pub fn user_agent_suffix(mut self, suffix: impl Into<String>) -> Self {
        self.user_agent_suffix = Some(suffix.into());
        self
    }

    /// Adjusts the underlying `reqwest::ClientBuilder` (proxies, local address, HTTP/2
    /// settings, client certificates, ...). Redirects stay off and the timeouts above are
    /// applied after this closure runs.
    ///
    /// ```
    /// let transport = scimkit::Transport::builder()
    ///     .configure_reqwest(|b| b.pool_max_idle_per_host(4).tcp_nodelay(true))
    ///     .build()
    ///     .unwrap();
    /// # let _ = transport;
    /// ```
    pub fn configure_reqwest(
        mut self,
        configure: impl FnOnce(reqwest::ClientBuilder) -> reqwest::ClientBuilder + Send + 'static,
    ) -> Self {
        self.configure = Some(Box::new(configure));
        self
    }

    /// The clock for back-off and rate-limit waits (default: the system clock).
    pub fn clock(mut self, clock: impl Clock) -> Self {
        self.clock = Arc::new(clock);
        self
    }

    /// Throttling moved to the Okta client, which owns Okta's per-endpoint rate-limit
    /// rules: use [`OktaClientBuilder::throttle`](crate::okta::OktaClientBuilder::throttle).
    /// An Okta client built on a transport with this set throttles as if asked to.
    #[deprecated(since = "0.2.0", note = "use OktaClientBuilder::throttle(true)")]
    pub fn throttle(mut self, throttle: bool) -> Self {
        self.throttle = throttle;
        self
    }

    /// Builds the transport and its one `reqwest::Client`.
    pub fn build(self) -> Result<Transport> {
        let user_agent = match &self.user_agent_suffix {
            Some(suffix) => format!("{USER_AGENT} {suffix}"),
            None => USER_AGENT.to_owned(),
        };
        let mut builder = reqwest::Client::builder();
        if let Some(configure) = self.configure {
            builder = configure(builder);
        }
        #[cfg(any(feature = "rustls", feature = "native-tls"))]
        for cert in self.root_certificates {
            builder = builder.add_root_certificate(cert);
        }
        let http = builder
            .user_agent(user_agent)
            .redirect(reqwest::redirect::Policy::none())
            .connect_timeout(self.connect_timeout)
            .timeout(self.timeout)
            .build()
            .map_err(|e| {
                Error::Transport(format!("could not build the HTTP client: {e}").into())
            })?;
        Ok(Transport::from_parts(Inner {
            http,
            retry: self.retry,
            max_response_bytes: self.max_response_bytes,
            allow_insecure_http: self.allow_insecure_http,
            clock: self.clock,
            throttle: self.throttle,
            rate_limit: ArcSwapOption::empty(),
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_documented_defaults() {
        let transport = TransportBuilder::default().build().unwrap();
        assert_eq!(transport.max_response_bytes(), 16 * 1024 * 1024);
        assert_eq!(transport.retry_policy(), &RetryPolicy::default());
        assert!(transport.check_url("http://idp.example.com/token").is_err());
        #[allow(deprecated)]
        let throttled = TransportBuilder::default().throttle(true).build().unwrap();
        assert!(throttled.throttle_requested());
        assert!(!transport.throttle_requested());
        let shown = format!("{:?}", TransportBuilder::default());
        for part in [
            "connect_timeout: 10s",
            "timeout: 30s",
            "max_response_bytes: 16777216",
            "allow_insecure_http: false",
            "throttle: false",
        ] {
            assert!(shown.contains(part), "{part} missing from {shown}");
        }
    }

    #[test]
    fn every_setting_reaches_the_transport() {
        let retry = RetryPolicy::never();
        let builder = Transport::builder()
            .connect_timeout(Duration::from_secs(3))
            .timeout(Duration::from_secs(4))
            .retry(retry.clone())
            .max_response_bytes(1234)
            .allow_insecure_http(true)
            .user_agent_suffix("probe/1");
        let shown = format!("{builder:?}");
        for part in [
            "connect_timeout: 3s",
            "timeout: 4s",
            "max_response_bytes: 1234",
            "allow_insecure_http: true",
        ] {
            assert!(shown.contains(part), "{part} missing from {shown}");
        }
        let transport = builder.build().unwrap();
        assert_eq!(transport.max_response_bytes(), 1234);
        assert_eq!(transport.retry_policy(), &retry);
        assert!(transport.check_url("http://idp.example.com/token").is_ok());
        let shown = format!("{transport:?}");
        for part in [
            "max_response_bytes: 1234",
            "allow_insecure_http: true",
            "max_retries: 0",
        ] {
            assert!(shown.contains(part), "{part} missing from {shown}");
        }
    }
}
