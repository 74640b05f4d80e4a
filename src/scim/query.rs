//! List and search requests: filter, sort, page, attributes.

use http::Method;

use super::client::{Resources, SCIM_JSON};
use super::error::error_from_response;
use super::stream::{ResourceStream, StreamPosition};
use super::{Filter, ListResponse, Resource, SearchRequest, SortOrder, schema};
use crate::Result;
use crate::transport::{ApiRequest, DEFAULT_MAX_PAGES};

/// The query parameters of a list or search (RFC 7644 §3.4.2).
#[derive(Debug, Clone, Default)]
#[non_exhaustive]
pub struct Query {
    /// The filter, rendered.
    pub filter: Option<String>,
    /// `sortBy`.
    pub sort_by: Option<String>,
    /// `sortOrder`.
    pub sort_order: Option<SortOrder>,
    /// 1-based `startIndex`.
    pub start_index: Option<u64>,
    /// `count` (page size).
    pub count: Option<u64>,
    /// `attributes`.
    pub attributes: Vec<String>,
    /// `excludedAttributes`.
    pub excluded_attributes: Vec<String>,
    /// RFC 9865 `cursor`: `Some("")` asks for the first page of cursor paging.
    pub cursor: Option<String>,
    /// Send as `POST /.search` instead of `GET`.
    pub use_search: bool,
}

/// A list or search request on one endpoint; from [`Resources::list`]. Then
/// [`send`](Self::send) for one page, [`stream`](Self::stream) for every result or
/// [`all`](Self::all) to collect them.
///
/// ```
/// # async fn f(scim: scimkit::scim::ScimClient) -> scimkit::Result<()> {
/// use futures_util::TryStreamExt;
/// use scimkit::scim::{Filter, SortOrder};
///
/// let page = scim.users().list()
///     .filter(Filter::attr("emails").matches(Filter::attr("type").eq("work")))
///     .sort_by("userName").sort_order(SortOrder::Descending)
///     .count(50)
///     .send().await?;
/// let mut all = scim.users().list().attributes(["userName"]).stream();
/// while let Some(user) = all.try_next().await? {
///     println!("{}", user.user_name);
/// }
/// # let _ = page; Ok(()) }
/// ```
#[derive(Debug)]
#[must_use = "a list request does nothing until sent or streamed"]
pub struct ListRequest<T> {
    pub(crate) resources: Resources<T>,
    pub(crate) query: Query,
    max_pages: u64,
}

impl<T: Resource> ListRequest<T> {
    pub(crate) fn new(resources: Resources<T>) -> Self {
        ListRequest {
            resources,
            query: Query::default(),
            max_pages: DEFAULT_MAX_PAGES,
        }
    }

    /// Only resources matching `filter`.
    pub fn filter(mut self, filter: Filter) -> Self {
        self.query.filter = Some(filter.to_string());
        self
    }

    /// A filter given as text (sent as is; prefer [`filter`](Self::filter) for untrusted
    /// values).
    pub fn filter_str(mut self, filter: impl Into<String>) -> Self {
        self.query.filter = Some(filter.into());
        self
    }

    /// `sortBy`.
    pub fn sort_by(mut self, attribute: impl Into<String>) -> Self {
        self.query.sort_by = Some(attribute.into());
        self
    }

    /// `sortOrder`.
    pub fn sort_order(mut self, order: SortOrder) -> Self {
        self.query.sort_order = Some(order);
        self
    }

    /// 1-based `startIndex` of the first result.
    pub fn start_index(mut self, index: u64) -> Self {
        self.query.start_index = Some(index.max(1));
        self
    }

    /// `count`: the page size (capped at the server's `maxResults` once discovered).
    pub fn count(mut self, count: u64) -> Self {
        self.query.count = Some(count);
        self
    }

    /// Only these attributes.
    pub fn attributes<I, S>(mut self, attributes: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.query.attributes = attributes.into_iter().map(Into::into).collect();
        self
    }

    /// All but these attributes.
    pub fn excluded_attributes<I, S>(mut self, attributes: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.query.excluded_attributes = attributes.into_iter().map(Into::into).collect();
        self
    }

    /// RFC 9865 cursor paging: `cursor("")` for the first page, then a `nextCursor`.
    pub fn cursor(mut self, cursor: impl Into<String>) -> Self {
        self.query.cursor = Some(cursor.into());
        self
    }

    /// Send pages as `POST /.search` (keeps filters out of URLs and logs).
    pub fn via_search(mut self, search: bool) -> Self {
        self.query.use_search = search;
        self
    }

    /// The most pages [`stream`](Self::stream), [`resume`](Self::resume) and
    /// [`all`](Self::all) fetch ([`DEFAULT_MAX_PAGES`] unless set). One more page due yields
    /// [`Error::PageLimit`](crate::Error::PageLimit) once and ends the stream; resume from
    /// its [`cursor`](ResourceStream::cursor).
    ///
    /// ```
    /// # #[cfg(feature = "mock")]
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> scimkit::Result<()> {
    /// use scimkit::scim::{ScimClient, User};
    ///
    /// let server = scimkit::mock::ScimServer::builder().max_results(2).start().await;
    /// server.seed_users((0..5).map(|i| User::new(format!("user{i}"))));
    /// let scim = ScimClient::builder()
    ///     .base_url(server.base_url())
    ///     .auth(scimkit::BearerToken::new(server.bearer_token().to_string()))
    ///     .build()?;
    /// let err = scim.users().list().max_pages(2).all().await.unwrap_err();
    /// assert!(matches!(err, scimkit::Error::PageLimit { pages: 2 }));
    /// # Ok(()) }
    /// # #[cfg(not(feature = "mock"))]
    /// # fn main() {}
    /// ```
    pub fn max_pages(mut self, pages: u64) -> Self {
        self.max_pages = pages;
        self
    }

    /// The query as it stands.
    pub fn query(&self) -> &Query {
        &self.query
    }

    /// Fetches one page.
    pub async fn send(self) -> Result<ListResponse<T>> {
        let query = self.capped();
        fetch_page(&self.resources, &query).await
    }

    /// Fetches one page with `POST /{endpoint}/.search`.
    pub async fn search(mut self) -> Result<ListResponse<T>> {
        self.query.use_search = true;
        self.send().await
    }

    /// Every result, page by page, as a [`Stream`](futures_core::Stream); see
    /// [`ResourceStream`].
    pub fn stream(self) -> ResourceStream<T> {
        let query = self.capped();
        ResourceStream::new(self.resources, query, None, self.max_pages)
    }

    /// Every result collected into a `Vec` (fine for small listings; prefer
    /// [`stream`](Self::stream) for large ones). Fails with the stream's first error.
    pub async fn all(self) -> Result<Vec<T>> {
        use futures_util::TryStreamExt;
        self.stream().try_collect().await
    }

    /// Resumes a stream from a [`StreamPosition`] taken from an earlier one
    /// ([`ResourceStream::cursor`]).
    pub fn resume(self, position: &StreamPosition) -> ResourceStream<T> {
        let query = self.capped();
        ResourceStream::new(self.resources, query, Some(position), self.max_pages)
    }

    /// The query with `count` capped at what the server advertised, and cursor paging
    /// chosen when the server prefers it.
    fn capped(&self) -> Query {
        let mut query = self.query.clone();
        if let Some(config) = self.resources.client.capabilities() {
            let max = [
                config.filter.max_results,
                config.pagination.as_ref().and_then(|p| p.max_page_size),
            ]
            .into_iter()
            .flatten()
            .filter(|m| *m > 0)
            .min();
            if let Some(max) = max {
                query.count = Some(query.count.map_or(max, |c| c.min(max)));
            }
            if let Some(p) = &config.pagination {
                let prefers_cursor = p.cursor == Some(true)
                    && (p.index == Some(false)
                        || p.default_pagination_method
                            .as_deref()
                            .is_some_and(|m| m.eq_ignore_ascii_case("cursor")));
                if prefers_cursor && query.cursor.is_none() && query.start_index.is_none() {
                    query.cursor = Some(String::new());
                }
            }
        }
        query
    }
}

/// Sends one page request for `query`.
pub(crate) async fn fetch_page<T: Resource>(
    resources: &Resources<T>,
    query: &Query,
) -> Result<ListResponse<T>> {
    let client = &resources.client;
    let request = if query.use_search {
        let url = client.url(&[&resources.endpoint, ".search"])?;
        let body = SearchRequest {
            schemas: vec![schema::SEARCH_REQUEST.to_owned()],
            attributes: query.attributes.clone(),
            excluded_attributes: query.excluded_attributes.clone(),
            filter: query.filter.clone(),
            sort_by: query.sort_by.clone(),
            sort_order: query.sort_order,
            start_index: query.start_index,
            count: query.count,
            cursor: query.cursor.clone(),
        };
        ApiRequest::new(Method::POST, url)
            .json_as(&body, SCIM_JSON)?
            .idempotent(true)
    } else {
        let mut url = client.url(&[&resources.endpoint])?;
        {
            let mut q = url.query_pairs_mut();
            if let Some(f) = &query.filter {
                q.append_pair("filter", f);
            }
            if let Some(s) = &query.sort_by {
                q.append_pair("sortBy", s);
            }
            if let Some(o) = query.sort_order {
                q.append_pair("sortOrder", o.as_str());
            }
            if let Some(i) = query.start_index {
                q.append_pair("startIndex", &i.to_string());
            }
            if let Some(c) = query.count {
                q.append_pair("count", &c.to_string());
            }
            if let Some(c) = &query.cursor {
                q.append_pair("cursor", c);
            }
            if !query.attributes.is_empty() {
                q.append_pair("attributes", &query.attributes.join(","));
            }
            if !query.excluded_attributes.is_empty() {
                q.append_pair("excludedAttributes", &query.excluded_attributes.join(","));
            }
        }
        if url.query() == Some("") {
            url.set_query(None);
        }
        ApiRequest::new(Method::GET, url)
    };
    let response = client.send(request).await?;
    if !response.status.is_success() {
        return Err(error_from_response(response));
    }
    response.json()
}
