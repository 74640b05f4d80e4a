//! [`ListRequest`]: a list or search to send for one page, stream or collect.

use super::query::{Query, fetch_page};
use super::resources::Resources;
use super::stream::{ResourceStream, StreamPosition};
use super::{Filter, ListResponse, Resource, SortOrder};
use crate::Result;
use crate::transport::DEFAULT_MAX_PAGES;

impl<T: Resource> Resources<T> {
    /// A query on this endpoint: set a filter, sorting, paging, attributes, then
    /// [`send`](ListRequest::send) one page, [`search`](ListRequest::search) with
    /// `POST /.search`, or [`stream`](ListRequest::stream) every result.
    pub fn list(&self) -> ListRequest<T> {
        ListRequest::new(self.clone())
    }
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
