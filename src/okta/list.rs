//! The query options Okta's list operations share, and the builder that sends them.

use std::fmt;
use std::marker::PhantomData;

use url::Url;

use super::client::OktaClient;
use super::paging::{ItemStream, OktaObject, Page, fetch_page};
use crate::error::{Error, Result};
use crate::transport::DEFAULT_MAX_PAGES;

/// A listing to send: `search`, `filter`, `q`, `limit`, `after`, `sortBy`, `sortOrder`.
///
/// Get one from `users().list()`, `groups().list()`, `groups().members(..)` or
/// `users().groups(..)`; then [`send`](Self::send) for one page, [`stream`](Self::stream)
/// for every item or [`all`](Self::all) to collect them. Options a given endpoint does not
/// take are left off by its handle.
///
/// ```
/// # fn f(okta: scimkit::okta::OktaClient) {
/// let engineers = okta.users().list()
///     .search(r#"profile.department eq "Engineering""#)
///     .sort_by("profile.lastName")
///     .limit(200)
///     .stream();
/// # let _ = engineers; }
/// ```
#[must_use = "a listing does nothing until sent or streamed"]
pub struct List<T> {
    client: OktaClient,
    url: Url,
    /// Why the listing cannot be sent (an invalid id in its path); reported on send.
    invalid: Option<Error>,
    params: Vec<(&'static str, String)>,
    max_pages: u64,
    _item: PhantomData<fn() -> T>,
}

impl<T> fmt::Debug for List<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The query's values (a search expression, a cursor) are the caller's data: only the
        // parameter names are shown.
        f.debug_struct("List")
            .field("url", &crate::redact::display_url(&self.url))
            .field(
                "params",
                &self.params.iter().map(|(k, _)| *k).collect::<Vec<_>>(),
            )
            .field("max_pages", &self.max_pages)
            .finish()
    }
}

impl<T> List<T> {
    pub(crate) fn new(client: OktaClient, url: Result<Url>) -> Self {
        let (url, invalid) = match url {
            Ok(url) => (url, None),
            Err(e) => (client.org_url().clone(), Some(e)),
        };
        List {
            client,
            url,
            invalid,
            params: Vec::new(),
            max_pages: DEFAULT_MAX_PAGES,
            _item: PhantomData,
        }
    }

    fn set(mut self, name: &'static str, value: impl Into<String>) -> Self {
        self.params.retain(|(k, _)| *k != name);
        self.params.push((name, value.into()));
        self
    }

    /// `search`: Okta's richest query language, e.g. `profile.department eq "Eng"`
    /// (users and groups; includes `DEPROVISIONED` users).
    pub fn search(self, expression: impl Into<String>) -> Self {
        self.set("search", expression)
    }

    /// `filter`: a restricted expression on a few attributes, e.g. `status eq "ACTIVE"`.
    pub fn filter(self, expression: impl Into<String>) -> Self {
        self.set("filter", expression)
    }

    /// `q`: a prefix match on names and email, for people pickers (no paging in Okta).
    pub fn q(self, query: impl Into<String>) -> Self {
        self.set("q", query)
    }

    /// `limit`: items per page (Okta's default and maximum depend on the endpoint: 200 for
    /// users).
    pub fn limit(self, limit: u32) -> Self {
        self.set("limit", limit.to_string())
    }

    /// `after`: resume from a cursor ([`Page::after`], [`ItemStream::cursor`]).
    pub fn after(self, cursor: impl Into<String>) -> Self {
        self.set("after", cursor)
    }

    /// `sortBy`: the property to sort search results by, e.g. `profile.lastName`.
    pub fn sort_by(self, property: impl Into<String>) -> Self {
        self.set("sortBy", property)
    }

    /// `sortOrder`: `asc` (Okta's default) or `desc`.
    pub fn sort_order(self, order: SortOrder) -> Self {
        self.set("sortOrder", order.as_str())
    }

    /// The most pages [`stream`](Self::stream) and [`all`](Self::all) fetch
    /// ([`DEFAULT_MAX_PAGES`] unless set). One more page due yields
    /// [`Error::PageLimit`] once and ends the stream; resume from its
    /// [`cursor`](ItemStream::cursor) with [`after`](Self::after).
    ///
    /// ```
    /// # #[cfg(feature = "mock")]
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// let org = scimkit::mock::OktaOrg::start().await;
    /// org.seed_sample_users(5);
    /// let err = org.client().users().list().limit(2).max_pages(2).all().await.unwrap_err();
    /// assert!(matches!(err, scimkit::Error::PageLimit { pages: 2 }));
    /// # }
    /// # #[cfg(not(feature = "mock"))]
    /// # fn main() {}
    /// ```
    pub fn max_pages(mut self, pages: u64) -> Self {
        self.max_pages = pages;
        self
    }

    /// Adds any other query parameter (`expand`, `fields`, ...).
    pub fn param(mut self, name: &'static str, value: impl Into<String>) -> Self {
        self.params.push((name, value.into()));
        self
    }

    /// The URL of the first page.
    pub fn url(&self) -> Url {
        let mut url = self.url.clone();
        if !self.params.is_empty() {
            let mut query = url.query_pairs_mut();
            for (k, v) in &self.params {
                query.append_pair(k, v);
            }
        }
        url
    }
}

impl<T: OktaObject> List<T> {
    /// Fetches the first page only.
    pub async fn send(self) -> Result<Page<T>> {
        if let Some(e) = self.invalid {
            return Err(e);
        }
        let url = self.url();
        fetch_page(&self.client, url).await
    }

    /// Every item, page after page, as a `Stream`.
    pub fn stream(self) -> ItemStream<T> {
        if let Some(e) = self.invalid {
            return ItemStream::failed(self.client, e);
        }
        let url = self.url();
        ItemStream::new(self.client, url, self.max_pages)
    }

    /// Every item collected into a `Vec` (fine for small listings; prefer
    /// [`stream`](Self::stream) for a whole org). Fails with the stream's first error.
    pub async fn all(self) -> Result<Vec<T>> {
        use futures_util::TryStreamExt;
        self.stream().try_collect().await
    }
}

/// `sortOrder` values.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum SortOrder {
    /// Ascending (Okta's default).
    Asc,
    /// Descending.
    Desc,
}

impl SortOrder {
    fn as_str(self) -> &'static str {
        match self {
            SortOrder::Asc => "asc",
            SortOrder::Desc => "desc",
        }
    }
}
