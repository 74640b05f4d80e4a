//! `ScimClient`: the builder, the shared client and the per-resource-type handle.

use std::borrow::Cow;
use std::fmt;
use std::marker::PhantomData;
use std::sync::Arc;

use arc_swap::ArcSwapOption;
use http::header::{ACCEPT, ETAG, HeaderValue, IF_MATCH, IF_NONE_MATCH};
use http::{Method, StatusCode};
use serde::de::DeserializeOwned;
use url::Url;

use super::discovery::{ListOrArray, ResourceType, Schema, ServiceProviderConfig};
use super::error::error_from_response;
use super::query::ListRequest;
use super::resource::to_body;
use super::{Filter, Group, Member, Patch, PatchPath, Resource, User};
use crate::auth::{Authenticator, SharedAuthenticator};
use crate::redact::display_url;
use crate::transport::{ApiRequest, Response, Transport};
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
        Ok(ScimClient {
            inner: Arc::new(Inner {
                base,
                transport,
                auth: self.auth,
                config: ArcSwapOption::new(self.config.map(Arc::new)),
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

    /// Operations on `/Users`.
    pub fn users(&self) -> Resources<User> {
        self.resources()
    }

    /// Operations on `/Groups`, with membership helpers.
    pub fn groups(&self) -> Resources<Group> {
        self.resources()
    }

    /// Operations on any resource type at its [`Resource::ENDPOINT`].
    pub fn resources<T: Resource>(&self) -> Resources<T> {
        self.resources_at(T::ENDPOINT)
    }

    /// Operations on a resource type at another endpoint (relative to the base URL).
    pub fn resources_at<T: Resource>(
        &self,
        endpoint: impl Into<Cow<'static, str>>,
    ) -> Resources<T> {
        Resources {
            client: self.clone(),
            endpoint: endpoint.into(),
            _type: PhantomData,
        }
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
        self.inner
            .transport
            .send(request, self.inner.auth.as_deref())
            .await
    }

    /// Sends and decodes a 2xx JSON body; anything else becomes an error.
    pub(crate) async fn execute<T: DeserializeOwned>(&self, request: ApiRequest) -> Result<T> {
        let response = self.send(request).await?;
        if !response.status.is_success() {
            return Err(error_from_response(response));
        }
        decode(&response)
    }
}

/// Decodes a JSON body whatever JSON media type the server labelled it with; a body that is
/// not JSON (an HTML error page behind a 200) is a [`Error::Decode`].
pub(crate) fn decode<T: DeserializeOwned>(response: &Response) -> Result<T> {
    let looks_json = response
        .body
        .iter()
        .find(|b| !b.is_ascii_whitespace())
        .is_some_and(|b| *b == b'{' || *b == b'[');
    if !response.is_json() && !looks_json {
        return Err(response.decode_error(format!(
            "expected a SCIM JSON body, got content type {:?}",
            response.header_str("content-type").unwrap_or("(none)")
        )));
    }
    // The fast path decodes directly; only a failure pays for tracking the JSON path.
    if let Ok(value) = serde_json::from_slice(&response.body) {
        return Ok(value);
    }
    let mut de = serde_json::Deserializer::from_slice(&response.body);
    serde_path_to_error::deserialize(&mut de).map_err(|e| {
        let path = e.path().to_string();
        let inner = e.into_inner();
        response.decode_error(if path == "." {
            inner.to_string()
        } else {
            format!("at {path}: {inner}")
        })
    })
}

/// Reads a resource from a 2xx response, taking the `ETag` header as the version when the
/// body carries none.
fn decode_resource<T: Resource>(response: &Response) -> Result<T> {
    let mut resource: T = decode(response)?;
    if resource.version().is_none()
        && let Some(etag) = response.header_str(ETAG.as_str())
    {
        resource.set_version(etag.to_owned());
    }
    Ok(resource)
}

fn header(value: &str) -> Result<HeaderValue> {
    HeaderValue::from_str(value)
        .map_err(|_| Error::config(format!("{value:?} is not a valid header value")))
}

/// Options of a single-resource `GET`.
///
/// ```
/// use scimkit::scim::GetOptions;
/// let opts = GetOptions::new().attributes(["userName", "emails"]).if_none_match("W/\"3\"");
/// # let _ = opts;
/// ```
#[derive(Debug, Clone, Default)]
#[non_exhaustive]
pub struct GetOptions {
    /// Attributes to return (`attributes`).
    pub attributes: Vec<String>,
    /// Attributes not to return (`excludedAttributes`).
    pub excluded_attributes: Vec<String>,
    /// Sent as `If-None-Match`: a 304 then comes back as [`Error::NotModified`].
    pub if_none_match: Option<String>,
}

impl GetOptions {
    /// No options.
    pub fn new() -> Self {
        GetOptions::default()
    }

    /// Only these attributes (and those always returned).
    pub fn attributes<I, S>(mut self, attributes: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.attributes = attributes.into_iter().map(Into::into).collect();
        self
    }

    /// All but these attributes.
    pub fn excluded_attributes<I, S>(mut self, attributes: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.excluded_attributes = attributes.into_iter().map(Into::into).collect();
        self
    }

    /// Sends `If-None-Match: version`.
    pub fn if_none_match(mut self, version: impl Into<String>) -> Self {
        self.if_none_match = Some(version.into());
        self
    }
}

/// The operations on one resource type; from [`ScimClient::users`],
/// [`ScimClient::groups`] or [`ScimClient::resources`].
pub struct Resources<T> {
    pub(crate) client: ScimClient,
    pub(crate) endpoint: Cow<'static, str>,
    _type: PhantomData<fn() -> T>,
}

impl<T> Clone for Resources<T> {
    fn clone(&self) -> Self {
        Resources {
            client: self.client.clone(),
            endpoint: self.endpoint.clone(),
            _type: PhantomData,
        }
    }
}

impl<T> fmt::Debug for Resources<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Resources")
            .field("endpoint", &self.endpoint)
            .finish_non_exhaustive()
    }
}

impl<T: Resource> Resources<T> {
    /// The client behind this handle.
    pub fn client(&self) -> &ScimClient {
        &self.client
    }

    /// The endpoint relative to the base URL.
    pub fn endpoint(&self) -> &str {
        &self.endpoint
    }

    /// `POST /{endpoint}`: creates the resource and returns it as the server stored it.
    /// `schemas` is filled in and `meta` left out.
    pub async fn create(&self, resource: &T) -> Result<T> {
        let url = self.client.url(&[&self.endpoint])?;
        let body = to_body(resource, T::SCHEMA)?;
        let request = ApiRequest::new(Method::POST, url).json_as(&body, SCIM_JSON)?;
        let response = self.client.send(request).await?;
        if !response.status.is_success() {
            return Err(error_from_response(response));
        }
        decode_resource(&response)
    }

    /// `GET /{endpoint}/{id}`.
    pub async fn get(&self, id: &str) -> Result<T> {
        self.get_with(id, &GetOptions::default()).await
    }

    /// `GET /{endpoint}/{id}` with `attributes`, `excludedAttributes` or `If-None-Match`.
    ///
    /// With `if_none_match`, an unchanged resource is reported as [`Error::NotModified`].
    pub async fn get_with(&self, id: &str, options: &GetOptions) -> Result<T> {
        let mut url = self.client.resource_url(&self.endpoint, id)?;
        {
            let mut q = url.query_pairs_mut();
            if !options.attributes.is_empty() {
                q.append_pair("attributes", &options.attributes.join(","));
            }
            if !options.excluded_attributes.is_empty() {
                q.append_pair("excludedAttributes", &options.excluded_attributes.join(","));
            }
        }
        if url.query() == Some("") {
            url.set_query(None);
        }
        let mut request = ApiRequest::new(Method::GET, url);
        if let Some(version) = &options.if_none_match {
            request = request.header(IF_NONE_MATCH, header(version)?);
        }
        let response = self.client.send(request).await?;
        if !response.status.is_success() {
            return Err(error_from_response(response));
        }
        decode_resource(&response)
    }

    /// `PUT /{endpoint}/{id}`: replaces the resource (its `id` is required). When the
    /// resource carries a version (`meta.version`) it is sent as `If-Match`, so a concurrent
    /// change fails with a 412 ([`ScimError::is_precondition_failed`](crate::ScimError::is_precondition_failed)).
    pub async fn replace(&self, resource: &T) -> Result<T> {
        let id = resource
            .id()
            .ok_or_else(|| Error::config("replace needs a resource with an id"))?;
        let url = self.client.resource_url(&self.endpoint, id)?;
        let body = to_body(resource, T::SCHEMA)?;
        let mut request = ApiRequest::new(Method::PUT, url).json_as(&body, SCIM_JSON)?;
        if let Some(version) = resource.version().filter(|_| self.client.etags_enabled()) {
            request = request.header(IF_MATCH, header(version)?);
        }
        let response = self.client.send(request).await?;
        if !response.status.is_success() {
            return Err(error_from_response(response));
        }
        decode_resource(&response)
    }

    /// `PATCH /{endpoint}/{id}`. Returns the resource when the server sends it (200) and
    /// `None` for a 204.
    pub async fn patch(&self, id: &str, patch: &Patch) -> Result<Option<T>> {
        self.patch_inner(id, patch, None).await
    }

    /// `PATCH` with `If-Match: version`: fails with a 412 when the resource changed.
    pub async fn patch_if_match(
        &self,
        id: &str,
        patch: &Patch,
        version: &str,
    ) -> Result<Option<T>> {
        self.patch_inner(id, patch, Some(version)).await
    }

    async fn patch_inner(
        &self,
        id: &str,
        patch: &Patch,
        version: Option<&str>,
    ) -> Result<Option<T>> {
        if self
            .client
            .capabilities()
            .is_some_and(|c| !c.patch.supported)
        {
            return Err(Error::config(
                "the server does not support PATCH (ServiceProviderConfig patch.supported is false); use replace",
            ));
        }
        let url = self.client.resource_url(&self.endpoint, id)?;
        let mut request = ApiRequest::new(Method::PATCH, url).json_as(patch, SCIM_JSON)?;
        if let Some(version) = version {
            request = request.header(IF_MATCH, header(version)?);
        }
        let response = self.client.send(request).await?;
        if !response.status.is_success() {
            return Err(error_from_response(response));
        }
        if response.status == StatusCode::NO_CONTENT
            || response.body.iter().all(u8::is_ascii_whitespace)
        {
            return Ok(None);
        }
        decode_resource(&response).map(Some)
    }

    /// `DELETE /{endpoint}/{id}`.
    pub async fn delete(&self, id: &str) -> Result<()> {
        self.delete_inner(id, None).await
    }

    /// `DELETE` with `If-Match: version`.
    pub async fn delete_if_match(&self, id: &str, version: &str) -> Result<()> {
        self.delete_inner(id, Some(version)).await
    }

    async fn delete_inner(&self, id: &str, version: Option<&str>) -> Result<()> {
        let url = self.client.resource_url(&self.endpoint, id)?;
        let mut request = ApiRequest::new(Method::DELETE, url);
        if let Some(version) = version {
            request = request.header(IF_MATCH, header(version)?);
        }
        let response = self.client.send(request).await?;
        if !response.status.is_success() {
            return Err(error_from_response(response));
        }
        Ok(())
    }

    /// A query on this endpoint: set a filter, sorting, paging, attributes, then
    /// [`send`](ListRequest::send) one page, [`search`](ListRequest::search) with
    /// `POST /.search`, or [`stream`](ListRequest::stream) every result.
    pub fn list(&self) -> ListRequest<T> {
        ListRequest::new(self.clone())
    }
}

impl Resources<Group> {
    /// Adds members to a group with one PATCH (`add` on `members`).
    pub async fn add_members<'a, I>(&self, group_id: &str, member_ids: I) -> Result<Option<Group>>
    where
        I: IntoIterator<Item = &'a str>,
    {
        let members: Vec<Member> = member_ids.into_iter().map(Member::new).collect();
        if members.is_empty() {
            return Ok(None);
        }
        let patch = Patch::new().op_with(super::PatchOp::Add, "members", &members)?;
        self.patch(group_id, &patch).await
    }

    /// Removes members from a group with one PATCH (a `remove` per member, by value filter).
    pub async fn remove_members<'a, I>(
        &self,
        group_id: &str,
        member_ids: I,
    ) -> Result<Option<Group>>
    where
        I: IntoIterator<Item = &'a str>,
    {
        let mut patch = Patch::new();
        for id in member_ids {
            patch = patch.remove(PatchPath::attr("members").filter(Filter::attr("value").eq(id)));
        }
        if patch.is_empty() {
            return Ok(None);
        }
        self.patch(group_id, &patch).await
    }
}
