//! `ScimClient`: the builder and the shared client that every SCIM request is sent from.

use std::fmt;
use std::sync::Arc;

use arc_swap::ArcSwapOption;
use http::Method;
use http::header::{ACCEPT, HeaderValue};
use serde::de::DeserializeOwned;
use url::Url;

use super::Resource;
use super::discovery::{ListOrArray, ResourceType, Schema, ServiceProviderConfig};
use super::error::scim_error;
use crate::auth::{Authenticator, SharedAuthenticator};
use crate::redact::display_url;
use crate::store::{BudgetHook, RateBudget};
use crate::transport::{ApiRequest, Response, SendOptions, Transport};
use crate::{Error, Result};

pub(crate) const SCIM_JSON: &str = "application/scim+json";
const ACCEPT_VALUE: &str = "application/scim+json, application/json";

/// Builds a [`ScimClient`].
///
/// ```
/// use scimkit::auth::BearerToken;
/// use scimkit::scim::ScimClient;
///
/// let scim = ScimClient::builder()
///     .base_url("https://pam.example.com/iso/scim/v2")
///     .auth(BearerToken::new("t0ken".to_string()))
///     .build()
///     .unwrap();
/// assert_eq!(scim.base_url().as_str(), "https://pam.example.com/iso/scim/v2/");
/// ```
#[derive(Default)]
pub struct ScimClientBuilder {
    base_url: Option<String>,
    auth: Option<SharedAuthenticator>,
    transport: Option<Transport>,
    config: Option<ServiceProviderConfig>,
    throttle: bool,
    rate_budget: Option<Arc<dyn RateBudget>>,
}

impl fmt::Debug for ScimClientBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Shown without user info or query: they may hold credentials.
        let base_url = self.base_url.as_deref().map(|raw| {
            Url::parse(raw).map_or_else(|_| "[unparsable]".to_owned(), |u| display_url(&u))
        });
        f.debug_struct("ScimClientBuilder")
            .field("base_url", &base_url)
            .field("auth", &self.auth)
            .field("throttle", &self.throttle)
            .field("rate_budget", &self.rate_budget)
            .finish_non_exhaustive()
    }
}

impl ScimClientBuilder {
    /// The SCIM base URL, e.g. `https://host/scim/v2` (required). `http://` is refused unless
    /// the host is loopback or the transport allows insecure HTTP.
    pub fn base_url(mut self, url: impl Into<String>) -> Self {
        self.base_url = Some(url.into());
        self
    }

    /// The credentials for every request: [`BearerToken`](crate::BearerToken),
    /// [`ClientCredentials`](crate::ClientCredentials) or any [`Authenticator`]
    /// (default: none).
    pub fn auth(mut self, auth: impl Authenticator + 'static) -> Self {
        self.auth = Some(Arc::new(auth));
        self
    }

    /// A shared authenticator.
    pub fn shared_auth(mut self, auth: SharedAuthenticator) -> Self {
        self.auth = Some(auth);
        self
    }

    /// The transport (default: [`Transport::default`]); share one between clients to share
    /// its connection pool.
    pub fn transport(mut self, transport: Transport) -> Self {
        self.transport = Some(transport);
        self
    }

    /// Uses a known `ServiceProviderConfig` instead of discovering it.
    pub fn service_provider_config(mut self, config: ServiceProviderConfig) -> Self {
        self.config = Some(config);
        self
    }

    /// Reserves each request in an in-process [`RateBudget`] before sending it (default
    /// `false`), for servers that publish their limits in `X-Rate-Limit-Limit`,
    /// `-Remaining` and `-Reset` (as Okta does): a request the budget foresees would get a
    /// 429 waits for the window's reset instead. The rules are those of
    /// [`OktaClientBuilder::throttle`](crate::okta::OktaClientBuilder::throttle): one budget
    /// per endpoint family, learnt from the answers; answers without the headers leave
    /// their family unbudgeted. Without it, a 429 is still waited out by the transport's
    /// retry loop (`Retry-After`).
    pub fn throttle(mut self, throttle: bool) -> Self {
        self.throttle = throttle;
        self
    }

    /// Reserves each request in `budget` before sending it (see [`throttle`](Self::throttle));
    /// share one between the clients of one server, or a Redis budget between replicas.
    /// Takes precedence over `throttle`.
    pub fn rate_budget(mut self, budget: Arc<dyn RateBudget>) -> Self {
        self.rate_budget = Some(budget);
        self
    }

    /// Builds the client.
    pub fn build(self) -> Result<ScimClient> {
        let transport = self.transport.unwrap_or_default();
        let raw = self
            .base_url
            .ok_or_else(|| Error::config("ScimClient needs a base_url"))?;
        let mut base = transport.check_url(&raw)?;
        if !base.username().is_empty() || base.password().is_some() {
            // reqwest would send them as Basic credentials, and the base URL is shown in
            // Debug output and errors.
            return Err(Error::config(format!(
                "the SCIM base URL must not carry a user name or password ({}); pass credentials with auth(..)",
                display_url(&base)
            )));
        }
        if base.cannot_be_a_base() {
            return Err(Error::config(format!(
                "{:?} cannot be a base URL",
                crate::redact::display_raw_url(&raw)
            )));
        }
        base.set_query(None);
        base.set_fragment(None);
        if !base.path().ends_with('/') {
            let path = format!("{}/", base.path());
            base.set_path(&path);
        }
        let rate_limits = Some(BudgetHook::for_client(
            self.rate_budget,
            self.throttle,
            &transport,
        ))
        .filter(BudgetHook::has_budget);
        Ok(ScimClient {
            inner: Arc::new(Inner {
                base,
                transport,
                auth: self.auth,
                config: ArcSwapOption::new(self.config.map(Arc::new)),
                rate_limits,
            }),
        })
    }
}

/// A SCIM 2.0 client (RFC 7644); cheap to clone (one `Arc`).
///
/// ```
/// # #[cfg(feature = "mock")]
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> scimkit::Result<()> {
/// use scimkit::scim::{Filter, Group, Patch, ScimClient, User};
///
/// let server = scimkit::mock::ScimServer::start().await;
/// let scim = ScimClient::builder()
///     .base_url(server.base_url())
///     .auth(scimkit::BearerToken::new(server.bearer_token().to_string()))
///     .build()?;
///
/// let alice = scim.users().create(&User::new("alice@example.com").display_name("Alice")).await?;
/// let id = alice.id.clone().unwrap();
/// let eng = scim.groups().create(&Group::new("Engineering")).await?;
/// scim.groups().add_members(eng.id.as_deref().unwrap(), [id.as_str()]).await?;
/// let found = scim.users().list().filter(Filter::attr("userName").sw("alice")).send().await?;
/// assert_eq!(found.total_results, Some(1));
/// scim.users().patch(&id, &Patch::new().replace("active", false)).await?;
/// assert_eq!(scim.users().get(&id).await?.active, Some(false));
/// # Ok(()) }
/// # #[cfg(not(feature = "mock"))]
/// # fn main() {}
/// ```
#[derive(Clone)]
pub struct ScimClient {
    inner: Arc<Inner>,
}

struct Inner {
    base: Url,
    transport: Transport,
    auth: Option<SharedAuthenticator>,
    config: ArcSwapOption<ServiceProviderConfig>,
    /// The rate budget's hook, when the client was built with one.
    rate_limits: Option<BudgetHook>,
}

impl fmt::Debug for ScimClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ScimClient")
            .field("base_url", &self.inner.base.as_str())
            .field("auth", &self.inner.auth)
            .finish_non_exhaustive()
    }
}

impl ScimClient {
    /// Starts a [`ScimClientBuilder`].
    pub fn builder() -> ScimClientBuilder {
        ScimClientBuilder::default()
    }

    /// The base URL (always ending in `/`).
    pub fn base_url(&self) -> &Url {
        &self.inner.base
    }

    /// The transport.
    pub fn transport(&self) -> &Transport {
        &self.inner.transport
    }

    /// The `X-Rate-Limit-*` values of the most recent response that carried them (as
    /// [`OktaClient::last_rate_limit`](crate::okta::OktaClient::last_rate_limit)).
    pub fn last_rate_limit(&self) -> Option<crate::transport::RateLimit> {
        self.inner.transport.last_rate_limit()
    }

    /// `GET /Me`: the resource of the authenticated subject, where the server has it.
    pub async fn me<T: Resource>(&self) -> Result<T> {
        let url = self.url(&["Me"])?;
        self.execute(ApiRequest::new(Method::GET, url)).await
    }

    /// Fetches `/ServiceProviderConfig`, remembers it and returns it. Afterwards the client
    /// caps page sizes at `filter.maxResults`, splits bulk requests by the advertised limits,
    /// uses cursor paging where offered, and sends `If-Match` only when ETags are supported.
    pub async fn discover(&self) -> Result<Arc<ServiceProviderConfig>> {
        let config = Arc::new(self.service_provider_config().await?);
        self.inner.config.store(Some(config.clone()));
        Ok(config)
    }

    /// The configuration from [`discover`](Self::discover) or the builder, if any.
    pub fn capabilities(&self) -> Option<Arc<ServiceProviderConfig>> {
        self.inner.config.load_full()
    }

    /// `GET /ServiceProviderConfig` (not remembered; see [`discover`](Self::discover)).
    pub async fn service_provider_config(&self) -> Result<ServiceProviderConfig> {
        let url = self.url(&["ServiceProviderConfig"])?;
        self.execute(ApiRequest::new(Method::GET, url)).await
    }

    /// `GET /ResourceTypes` (a `ListResponse` or a bare array).
    pub async fn resource_types(&self) -> Result<Vec<ResourceType>> {
        let url = self.url(&["ResourceTypes"])?;
        let list: ListOrArray<ResourceType> =
            self.execute(ApiRequest::new(Method::GET, url)).await?;
        Ok(list.into_vec())
    }

    /// `GET /Schemas` (a `ListResponse` or a bare array).
    pub async fn schemas(&self) -> Result<Vec<Schema>> {
        let url = self.url(&["Schemas"])?;
        let list: ListOrArray<Schema> = self.execute(ApiRequest::new(Method::GET, url)).await?;
        Ok(list.into_vec())
    }

    pub(crate) fn etags_enabled(&self) -> bool {
        self.capabilities().is_none_or(|c| c.etag.supported)
    }

    /// The base URL joined with path segments (each percent-encoded).
    pub(crate) fn url(&self, segments: &[&str]) -> Result<Url> {
        let mut url = self.inner.base.clone();
        {
            let mut path = url
                .path_segments_mut()
                .map_err(|_| Error::config("the base URL cannot take path segments"))?;
            path.pop_if_empty();
            for segment in segments {
                for part in segment.split('/').filter(|p| !p.is_empty()) {
                    path.push(part);
                }
            }
        }
        Ok(url)
    }

    /// The base URL joined with an endpoint and a resource id; the id is one encoded segment.
    pub(crate) fn resource_url(&self, endpoint: &str, id: &str) -> Result<Url> {
        // The URL library drops `.` and `..` segments: `delete("..")` would be
        // `DELETE /Users`, the whole collection.
        if id.is_empty() || id == "." || id == ".." {
            return Err(Error::config(format!("{id:?} is not a valid resource id")));
        }
        let mut url = self.url(&[endpoint])?;
        url.path_segments_mut()
            .map_err(|_| Error::config("the base URL cannot take path segments"))?
            .push(id);
        Ok(url)
    }

    /// Sends a request with credentials and `Accept`; returns the response whatever its status.
    pub(crate) async fn send(&self, request: ApiRequest) -> Result<Response> {
        let request = request.header(ACCEPT, HeaderValue::from_static(ACCEPT_VALUE));
        let mut options = SendOptions::new();
        if let Some(auth) = self.inner.auth.as_deref() {
            options = options.auth(auth);
        }
        if let Some(hook) = &self.inner.rate_limits {
            options = options.hook(hook);
        }
        self.inner.transport.send_with(request, options).await
    }

    /// Sends with credentials; a non-2xx answer becomes an error (a SCIM error body as
    /// [`Error::Scim`], 304 as [`Error::NotModified`]).
    pub(crate) async fn call(&self, request: ApiRequest) -> Result<Response> {
        self.send(request).await?.check(Some(scim_error))
    }

    /// Sends and decodes a 2xx JSON body; anything else becomes an error.
    pub(crate) async fn execute<T: DeserializeOwned>(&self, request: ApiRequest) -> Result<T> {
        self.call(request).await?.json()
    }
}
