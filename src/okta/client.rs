//! `OktaClient`: the org URL rules, credentials, and the one place requests are sent from.

use std::fmt;
use std::sync::Arc;

use http::Method;
use secrecy::SecretString;
use serde::Serialize;
use serde::de::DeserializeOwned;
use url::Url;

use super::errors::okta_error_shape;
use super::rate_limit::OktaRateLimits;
use crate::auth::{
    ApiToken, Authenticator, ClientAssertion, ClientAuth, ClientCredentials, SharedAuthenticator,
};
use crate::error::{Error, Result};
use crate::store::{BudgetHook, RateBudget, TokenStore};
use crate::transport::{ApiRequest, RateLimit, Response, SendOptions, Transport};

/// Okta's own domains, under which `<org>-admin.<domain>` is the Admin Console.
const OKTA_DOMAINS: &[&str] = &[
    "okta.com",
    "oktapreview.com",
    "okta-emea.com",
    "okta-gov.com",
    "okta.mil",
    "trexcloud.com",
];

/// Turns what an admin typed into the org's base URL.
///
/// - `my-org` → `https://my-org.okta.com`
/// - `my-org.oktapreview.com`, `login.example.com` → `https://` + host
/// - `https://my-org.okta.com/`, `https://my-org.okta.com/api/v1` → `https://my-org.okta.com`
/// - `http://127.0.0.1:8080` (loopback, for mocks) is kept as is
///
/// Refused, with the fix in the message: the Admin Console host (`my-org-admin.okta.com`),
/// a path other than `/` or `/api/v1` (such as `/app/UserHome`), a query, user info.
///
/// ```
/// use scimkit::okta::normalize_org_url;
///
/// assert_eq!(normalize_org_url("MY-ORG").unwrap().as_str(), "https://my-org.okta.com/");
/// assert_eq!(normalize_org_url("https://my-org.okta.com//").unwrap().as_str(), "https://my-org.okta.com/");
/// assert!(normalize_org_url("https://my-org-admin.okta.com").unwrap_err().to_string().contains("https://my-org.okta.com"));
/// assert!(normalize_org_url("https://my-org.okta.com/app/UserHome").is_err());
/// ```
pub fn normalize_org_url(input: &str) -> Result<Url> {
    let trimmed = input.trim();
    if trimmed.is_empty() {
        return Err(Error::config(
            "the Okta org is empty: give the org name (my-org) or its URL (https://my-org.okta.com)",
        ));
    }
    let with_scheme = if trimmed.contains("://") {
        trimmed.to_owned()
    } else if !trimmed.contains(['.', '/', ':']) {
        if !trimmed
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-')
        {
            return Err(Error::config(format!(
                "{:?} is not an Okta org name: use letters, digits and '-' (my-org), or the full URL",
                crate::redact::display_raw_url(trimmed)
            )));
        }
        format!("https://{}.okta.com", trimmed.to_ascii_lowercase())
    } else {
        format!("https://{trimmed}")
    };
    // What the caller typed, without user info or query, for error messages.
    let shown = crate::redact::display_raw_url(trimmed);
    let mut url = Url::parse(&with_scheme)
        .map_err(|e| Error::config(format!("the Okta org URL {shown:?} is not a URL: {e}")))?;
    if !url.username().is_empty() || url.password().is_some() {
        return Err(Error::config(
            "the Okta org URL must not carry a user name or password; pass the API token with api_token(..)",
        ));
    }
    if url.query().is_some() {
        return Err(Error::config(format!(
            "the Okta org URL must not have a query; use {}",
            origin_of(&url)
        )));
    }
    url.set_fragment(None);
    let host = url
        .host_str()
        .ok_or_else(|| Error::config(format!("the Okta org URL {shown:?} has no host")))?
        .to_ascii_lowercase();
    for domain in OKTA_DOMAINS {
        if let Some(sub) = host.strip_suffix(&format!(".{domain}"))
            && let Some(org) = sub.strip_suffix("-admin")
        {
            return Err(Error::config(format!(
                "{host} is the Okta Admin Console; the API lives on the org URL: use https://{org}.{domain}"
            )));
        }
    }
    let path = url.path().trim_end_matches('/').to_owned();
    let path_ok = path.is_empty()
        || path.chars().all(|c| c == '/')
        || path.trim_start_matches('/').eq_ignore_ascii_case("api/v1");
    if !path_ok {
        return Err(Error::config(format!(
            "the Okta org URL has a path ({path}) the API does not use; give just the org: {}",
            origin_of(&url)
        )));
    }
    url.set_path("/");
    Ok(url)
}

fn origin_of(url: &Url) -> String {
    url.origin().ascii_serialization()
}

enum Credentials {
    Auth(SharedAuthenticator),
    ServiceApp {
        client_id: String,
        signer: Arc<dyn ClientAssertion>,
        scopes: Vec<String>,
    },
}

/// Builds an [`OktaClient`].
///
/// Required: the org and one credential (an API token, a service app, or any
/// [`Authenticator`]). Default transport: [`Transport::default`] (3 retries; 429s wait for
/// `X-Rate-Limit-Reset − Date + 1 s`, at most 60 s).
///
/// ```
/// use scimkit::okta::OktaClient;
///
/// let okta = OktaClient::builder()
///     .org("my-org")?
///     .api_token("00abc".to_string())
///     .build()?;
/// assert_eq!(okta.org_url().as_str(), "https://my-org.okta.com/");
/// # Ok::<(), scimkit::Error>(())
/// ```
#[derive(Default)]
pub struct OktaClientBuilder {
    org: Option<Url>,
    credentials: Option<Credentials>,
    transport: Option<Transport>,
    dpop: bool,
    throttle: bool,
    rate_budget: Option<Arc<dyn RateBudget>>,
    token_store: Option<Arc<dyn TokenStore>>,
}

impl fmt::Debug for OktaClientBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OktaClientBuilder")
            .field("org", &self.org.as_ref().map(Url::as_str))
            .field("credentials", &self.credentials.as_ref().map(|_| "[set]"))
            .field("throttle", &self.throttle)
            .field("rate_budget", &self.rate_budget)
            .field("token_store", &self.token_store)
            .field("transport", &self.transport)
            .finish()
    }
}

impl OktaClientBuilder {
    /// The org: a name (`my-org`), a host (`my-org.oktapreview.com`, a custom domain) or a
    /// URL. See [`normalize_org_url`] for the rules.
    pub fn org(mut self, org: impl AsRef<str>) -> Result<Self> {
        self.org = Some(normalize_org_url(org.as_ref())?);
        Ok(self)
    }

    /// Authenticates with an API token: `Authorization: SSWS <token>`.
    pub fn api_token(mut self, token: impl Into<SecretString>) -> Self {
        self.credentials = Some(Credentials::Auth(Arc::new(ApiToken::new(token))));
        self
    }

    /// Authenticates as an OAuth 2.0 service app: client credentials at
    /// `{org}/oauth2/v1/token` with a signed client assertion (e.g.
    /// [`PrivateKeyJwt`](crate::auth::PrivateKeyJwt)) and Okta scopes such as
    /// `okta.users.read`. Tokens are cached and refreshed ahead of expiry.
    pub fn service_app<I, S>(
        mut self,
        client_id: impl Into<String>,
        signer: impl ClientAssertion + 'static,
        scopes: I,
    ) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.credentials = Some(Credentials::ServiceApp {
            client_id: client_id.into(),
            signer: Arc::new(signer),
            scopes: scopes.into_iter().map(Into::into).collect(),
        });
        self
    }

    /// Makes a service app's tokens DPoP-bound (RFC 9449), as an Okta app with "Require
    /// Demonstrating Proof of Possession" needs (default `false`; it also switches on by
    /// itself when the token endpoint answers `invalid_dpop_proof`).
    pub fn dpop(mut self, on: bool) -> Self {
        self.dpop = on;
        self
    }

    /// Authenticates with any [`Authenticator`] (e.g. a [`ClientCredentials`] you built).
    pub fn auth(mut self, auth: impl Authenticator + 'static) -> Self {
        self.credentials = Some(Credentials::Auth(Arc::new(auth)));
        self
    }

    /// Authenticates with a shared [`Authenticator`] (as [`ScimClientBuilder::shared_auth`](crate::scim::ScimClientBuilder::shared_auth)).
    pub fn shared_auth(mut self, auth: SharedAuthenticator) -> Self {
        self.credentials = Some(Credentials::Auth(auth));
        self
    }

    /// The transport (default [`Transport::default`]); share one to share connections.
    pub fn transport(mut self, transport: Transport) -> Self {
        self.transport = Some(transport);
        self
    }

    /// Reserves each request in an in-process [`RateBudget`] before sending it (default
    /// `false`): an [`InProcessRateBudget`](crate::store::InProcessRateBudget) of this client and its clones, per endpoint
    /// family (origin plus the first three path segments, and whether the path goes
    /// deeper), as Okta's limits are. The budget learns each family's limit and window
    /// from `X-Rate-Limit-*` (probing with one request first), so a request the budget can
    /// foresee would get a 429 waits for the window's reset instead. A wait longer than the
    /// retry policy's `max_wait` (plus 2 s for the whole-second rounding of `Reset` and
    /// `Date`) is not made: the call fails with
    /// [`Error::RateBudgetExhausted`] without sending. For one budget across clients or
    /// replicas, use [`rate_budget`](Self::rate_budget).
    pub fn throttle(mut self, throttle: bool) -> Self {
        self.throttle = throttle;
        self
    }

    /// Reserves each request in `budget` before sending it (see [`throttle`](Self::throttle)
    /// for the rules): share one [`InProcessRateBudget`](crate::store::InProcessRateBudget) between clients of one process, or
    /// a `store::redis::RedisRateBudget` (feature `redis`) between replicas. Takes
    /// precedence over `throttle`.
    ///
    /// ```
    /// use std::sync::Arc;
    /// use scimkit::okta::OktaClient;
    /// use scimkit::store::InProcessRateBudget;
    ///
    /// let budget = Arc::new(InProcessRateBudget::new());
    /// let okta = OktaClient::builder()
    ///     .org("my-org")?
    ///     .api_token("00abc".to_string())
    ///     .rate_budget(budget.clone())
    ///     .build()?;
    /// # let _ = okta;
    /// # Ok::<(), scimkit::Error>(())
    /// ```
    pub fn rate_budget(mut self, budget: Arc<dyn RateBudget>) -> Self {
        self.rate_budget = Some(budget);
        self
    }

    /// Where a service app's tokens live (default: this client's own cache). Give every
    /// replica the same shared store (`store::redis::RedisTokenStore`, feature `redis`) and
    /// they fetch one token between them. Ignored for other credentials (build a
    /// [`ClientCredentials`] with its own store and pass it to [`auth`](Self::auth)).
    pub fn token_store(mut self, store: Arc<dyn TokenStore>) -> Self {
        self.token_store = Some(store);
        self
    }

    /// Checks the settings and builds the client. Sends nothing.
    pub fn build(self) -> Result<OktaClient> {
        let org = self.org.ok_or_else(|| {
            Error::config(
                "OktaClient needs the org: .org(\"my-org\") or .org(\"https://my-org.okta.com\")",
            )
        })?;
        let transport = match self.transport {
            Some(t) => t,
            None => Transport::builder().build()?,
        };
        transport.check_parsed_url(&org)?;
        let auth: SharedAuthenticator = match self.credentials {
            Some(Credentials::Auth(auth)) => auth,
            Some(Credentials::ServiceApp {
                client_id,
                signer,
                scopes,
            }) => {
                let token_url = org
                    .join("oauth2/v1/token")
                    .map_err(|e| Error::config(format!("invalid token URL: {e}")))?;
                let mut creds = ClientCredentials::builder()
                    .token_url(token_url.as_str())
                    .client_id(client_id)
                    .client_auth(ClientAuth::Assertion(signer))
                    .scopes(scopes)
                    .dpop(self.dpop)
                    .transport(transport.clone());
                if let Some(store) = self.token_store {
                    creds = creds.token_store(store);
                }
                Arc::new(creds.build()?)
            }
            None => {
                return Err(Error::config(
                    "OktaClient needs credentials: .api_token(..), .service_app(..) or .auth(..)",
                ));
            }
        };
        let rate_limits = OktaRateLimits::new(BudgetHook::for_client(
            self.rate_budget,
            self.throttle || transport.throttle_requested(),
            &transport,
        ));
        Ok(OktaClient {
            inner: Arc::new(Inner {
                org,
                transport,
                auth,
                rate_limits,
            }),
        })
    }
}

/// A client for one Okta org's management API; cheap to clone (one `Arc`).
///
/// ```
/// # #[cfg(feature = "mock")]
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> scimkit::Result<()> {
/// use scimkit::okta::{CreateUser, DefaultProfile, RoleType};
///
/// let org = scimkit::mock::OktaOrg::start().await;
/// let okta = org.client();     // SSWS token, pointed at the mock
/// let ada = okta.users()
///     .create(&CreateUser::new(DefaultProfile::new("ada@example.com", "Ada", "Lovelace")))
///     .await?;
/// let role = okta.roles().assign_to_user(&ada.id, RoleType::HelpDeskAdmin).await?;
/// assert_eq!(okta.roles().list_for_user(&ada.id).await?[0].id, role.id);
/// # Ok(()) }
/// # #[cfg(not(feature = "mock"))]
/// # fn main() {}
/// ```
#[derive(Clone)]
pub struct OktaClient {
    inner: Arc<Inner>,
}

struct Inner {
    org: Url,
    transport: Transport,
    auth: SharedAuthenticator,
    rate_limits: OktaRateLimits,
}

impl fmt::Debug for OktaClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OktaClient")
            .field("org", &self.inner.org.as_str())
            .field("auth", &self.inner.auth)
            .finish_non_exhaustive()
    }
}

impl OktaClient {
    /// Starts an [`OktaClientBuilder`].
    pub fn builder() -> OktaClientBuilder {
        OktaClientBuilder::default()
    }

    /// The org's base URL (always ends in `/`).
    pub fn org_url(&self) -> &Url {
        &self.inner.org
    }

    /// The transport this client sends through.
    pub fn transport(&self) -> &Transport {
        &self.inner.transport
    }

    /// The `X-Rate-Limit-*` values of the most recent response that carried them.
    pub fn last_rate_limit(&self) -> Option<RateLimit> {
        self.inner.transport.last_rate_limit()
    }

    /// The rate-limit headers last seen for the endpoint family `url` falls in (known only
    /// when the client has a rate budget; see [`OktaClientBuilder::throttle`]).
    pub fn rate_limit_for(&self, url: &Url) -> Option<RateLimit> {
        self.inner.rate_limits.for_url(url)
    }

    /// An escape hatch for operations this crate has no typed method for: sends `method` to
    /// `path` (relative to the org, e.g. `api/v1/users/00u1/factors`) with an optional JSON
    /// body, and returns the JSON answer (`null` for an empty one).
    pub async fn send_json(
        &self,
        method: Method,
        path: &str,
        body: Option<&serde_json::Value>,
    ) -> Result<serde_json::Value> {
        let url = self
            .inner
            .org
            .join(path.trim_start_matches('/'))
            .map_err(|e| Error::config(format!("invalid path {path:?}: {e}")))?;
        // An absolute URL in `path` would take the org's credentials to another host.
        if url.origin() != self.inner.org.origin() {
            return Err(Error::config(format!(
                "send_json takes a path relative to the org, not a URL on another origin ({})",
                crate::redact::display_url(&url)
            )));
        }
        let mut request = ApiRequest::new(method, url);
        if let Some(body) = body {
            request = request.json(body)?;
        }
        let response = self.send(request).await?;
        if response.is_empty_body() {
            return Ok(serde_json::Value::Null);
        }
        response.json()
    }

    /// The URL of `api/v1/<segments...>`, each segment percent-encoded. An empty, `.` or
    /// `..` segment (an id such as `".."`) is refused: the URL library drops dot segments,
    /// so `update_profile("..", ..)` would otherwise become `POST /api/v1/users`, a create.
    pub(crate) fn api_url(&self, segments: &[&str]) -> Result<Url> {
        if let Some(bad) = segments
            .iter()
            .find(|s| s.is_empty() || **s == "." || **s == "..")
        {
            return Err(Error::config(format!(
                "{bad:?} is not a valid Okta id or login"
            )));
        }
        let mut url = self.inner.org.clone();
        url.path_segments_mut()
            .map_err(|_| Error::config("the org URL cannot take path segments"))?
            .pop_if_empty()
            .push("api")
            .push("v1")
            .extend(segments);
        Ok(url)
    }

    /// Sends with the client's credentials; a non-2xx answer becomes an error (an Okta error
    /// body as [`Error::Okta`]).
    pub(crate) async fn send(&self, request: ApiRequest) -> Result<Response> {
        let options = SendOptions::new()
            .auth(self.inner.auth.as_ref())
            .hook(&self.inner.rate_limits);
        self.inner
            .transport
            .send_with(request, options)
            .await?
            .check(Some(okta_error_shape))
    }

    pub(crate) async fn get_url(&self, url: Url) -> Result<Response> {
        self.send(ApiRequest::new(Method::GET, url)).await
    }

    pub(crate) async fn get<T: DeserializeOwned>(&self, url: Url) -> Result<T> {
        self.get_url(url).await?.json()
    }

    pub(crate) async fn send_body<B: Serialize + ?Sized, T: DeserializeOwned>(
        &self,
        method: Method,
        url: Url,
        body: &B,
    ) -> Result<T> {
        self.send(ApiRequest::new(method, url).json(body)?)
            .await?
            .json()
    }

    /// Sends a request whose answer carries nothing we need (204, or 200 with `{}`).
    pub(crate) async fn send_empty(&self, method: Method, url: Url) -> Result<()> {
        self.send(ApiRequest::new(method, url)).await.map(|_| ())
    }

    /// Sends a body-less request and decodes its answer, tolerating an empty body as `T::default()`.
    pub(crate) async fn send_for<T: DeserializeOwned + Default>(
        &self,
        method: Method,
        url: Url,
    ) -> Result<T> {
        let response = self.send(ApiRequest::new(method, url)).await?;
        if response.is_empty_body() {
            return Ok(T::default());
        }
        response.json()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ok(input: &str) -> String {
        normalize_org_url(input).unwrap().to_string()
    }

    fn err(input: &str) -> String {
        normalize_org_url(input).unwrap_err().to_string()
    }

    #[test]
    fn org_forms() {
        assert_eq!(ok("my-org"), "https://my-org.okta.com/");
        assert_eq!(ok(" MY-ORG "), "https://my-org.okta.com/");
        assert_eq!(
            ok("my-org.oktapreview.com"),
            "https://my-org.oktapreview.com/"
        );
        assert_eq!(ok("my-org.okta-emea.com/"), "https://my-org.okta-emea.com/");
        assert_eq!(
            ok("https://login.example.com///"),
            "https://login.example.com/"
        );
        assert_eq!(
            ok("https://my-org.okta.com/api/v1/"),
            "https://my-org.okta.com/"
        );
        assert_eq!(ok("http://127.0.0.1:8080"), "http://127.0.0.1:8080/");
        assert_eq!(ok("https://My-Org.Okta.com#x"), "https://my-org.okta.com/");
    }

    #[test]
    fn org_refusals_say_how_to_fix() {
        assert!(err("https://my-org-admin.okta.com").contains("use https://my-org.okta.com"));
        assert!(err("my-org-admin.oktapreview.com").contains("use https://my-org.oktapreview.com"));
        assert!(
            err("https://my-org.okta.com/app/UserHome")
                .contains("give just the org: https://my-org.okta.com")
        );
        assert!(err("https://u:p@my-org.okta.com").contains("api_token"));
        // A refused URL never echoes a password it carried.
        let bad_port = err("https://admin:hunter2@my-org.okta.com:99999");
        assert!(
            bad_port.contains("not a URL") && !bad_port.contains("hunter2"),
            "{bad_port}"
        );
        assert!(err("my org").contains("letters, digits"));
        assert!(err("").contains("org name"));
        assert!(err("https://my-org.okta.com/?a=b").contains("query"));
    }

    #[test]
    fn build_checks_scheme_and_credentials() {
        let insecure = OktaClient::builder()
            .org("http://my-org.okta.com")
            .unwrap()
            .api_token("t".to_string())
            .build();
        assert!(matches!(insecure, Err(Error::InsecureUrl { .. })));
        let missing = OktaClient::builder().org("my-org").unwrap().build();
        assert!(missing.unwrap_err().to_string().contains("credentials"));
        assert!(
            OktaClient::builder()
                .api_token("t".to_string())
                .build()
                .is_err()
        );
    }

    #[test]
    fn api_urls_escape_segments() {
        let c = OktaClient::builder()
            .org("my-org")
            .unwrap()
            .api_token("t".to_string())
            .build()
            .unwrap();
        assert_eq!(
            c.api_url(&["users", "a/b@example.com"]).unwrap().as_str(),
            "https://my-org.okta.com/api/v1/users/a%2Fb@example.com"
        );
        for bad in ["", ".", ".."] {
            assert!(c.api_url(&["users", bad]).is_err(), "{bad:?}");
        }
        assert!(!format!("{c:?}").contains("\"t\""));
    }
}
