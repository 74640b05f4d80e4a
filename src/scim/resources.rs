//! [`Resources`]: the operations on one resource type (`/Users`, `/Groups`, your own), and
//! the [`ScimClient`] methods that hand them out.

use std::borrow::Cow;
use std::fmt;
use std::marker::PhantomData;

use http::header::{ETAG, HeaderValue, IF_MATCH, IF_NONE_MATCH};
use http::{Method, StatusCode};

use super::client::{SCIM_JSON, ScimClient};
use super::resource::to_body;
use super::{Filter, Group, Member, Patch, PatchPath, Resource, User};
use crate::transport::{ApiRequest, Response};
use crate::{Error, Result};

impl ScimClient {
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
}

/// Reads a resource from a 2xx response, taking the `ETag` header as the version when the
/// body carries none.
fn decode_resource<T: Resource>(response: &Response) -> Result<T> {
    let mut resource: T = response.json()?;
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
        let response = self.client.call(request).await?;
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
        let response = self.client.call(request).await?;
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
        let response = self.client.call(request).await?;
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
        let response = self.client.call(request).await?;
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
        self.client.call(request).await?;
        Ok(())
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
