//! Paging as a `Stream`: index paging (RFC 7644 §3.4.2.4) or cursor paging (RFC 9865), on
//! the crate's one [`Paginator`].

use std::fmt;
use std::pin::Pin;
use std::task::{Context, Poll};

use futures_core::Stream;

use super::Resource;
use super::query::{Query, fetch_page};
use super::resources::Resources;
use crate::Result;
use crate::transport::{Page, PageFuture, PageSource, Paginator, PagingEnd};

/// Where a [`ResourceStream`] stands: the next resource it would yield. Pass it to
/// [`ListRequest::resume`](super::ListRequest::resume) to carry on later (after an error, a
/// restart, a rate limit, the page cap). It serializes with serde (e.g.
/// `{"index":{"start_index":101}}`), so it can be saved to a file and read back after a crash.
///
/// ```
/// use scimkit::scim::StreamPosition;
///
/// let saved = serde_json::to_string(&StreamPosition::Index { start_index: 101 }).unwrap();
/// assert_eq!(saved, r#"{"index":{"start_index":101}}"#);
/// let read: StreamPosition = serde_json::from_str(r#"{"cursor":{"cursor":"c2","skip":3}}"#).unwrap();
/// assert_eq!(read, StreamPosition::Cursor { cursor: Some("c2".into()), skip: 3 });
/// ```
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum StreamPosition {
    /// Index paging: the 1-based `startIndex` of the next resource.
    Index {
        /// `startIndex` to ask for next.
        start_index: u64,
    },
    /// Cursor paging: the cursor of the page holding the next resource (`None`: the first
    /// page) and how many of that page were already yielded.
    Cursor {
        /// The page's cursor.
        cursor: Option<String>,
        /// Resources of that page already yielded.
        skip: u64,
    },
}

/// What names a SCIM page.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) enum PageKey {
    /// The 1-based `startIndex`.
    Index(u64),
    /// The RFC 9865 cursor (`""`: the first page).
    Cursor(String),
}

/// SCIM's pages for the [`Paginator`].
pub(crate) struct ScimPages<T> {
    resources: Resources<T>,
    query: Query,
}

impl<T: Resource> PageSource for ScimPages<T> {
    type Item = T;
    type Key = PageKey;

    fn fetch(&mut self, key: &PageKey) -> PageFuture<T, PageKey> {
        let mut query = self.query.clone();
        match key {
            PageKey::Index(start) => {
                query.start_index = Some(*start);
                query.cursor = None;
            }
            PageKey::Cursor(cursor) => {
                query.start_index = None;
                query.cursor = Some(cursor.clone());
            }
        }
        let resources = self.resources.clone();
        let key = key.clone();
        Box::pin(async move {
            let page = fetch_page(&resources, &query).await?;
            let next = match key {
                // Advance by what the server returned, not by `count`; stop once past
                // `totalResults` when it is given (a lie upwards ends at an empty page or a
                // repeated one). An empty page needs no check here: the paginator ends the
                // listing on it whatever key comes with it.
                PageKey::Index(start) => {
                    let returned = u64::try_from(page.resources.len()).unwrap_or(u64::MAX);
                    let next = start.saturating_add(returned);
                    let past_total = page.total_results.is_some_and(|total| next > total);
                    (!past_total).then_some(PageKey::Index(next))
                }
                PageKey::Cursor(_) => page
                    .next_cursor
                    .filter(|c| !c.is_empty())
                    .map(PageKey::Cursor),
            };
            Ok(Page::new(page.resources, next).total(page.total_results))
        })
    }

    fn item_id<'a>(&self, item: &'a T) -> Option<&'a str> {
        item.id()
    }
}

/// Every result of a query, fetched one page at a time as the caller consumes them.
///
/// Index paging starts at `startIndex` (default 1) and advances by the number of resources
/// actually returned (servers may return fewer than `count`); it stops at an empty page or
/// once `totalResults` is reached. Cursor paging (RFC 9865; chosen when the query has a
/// cursor or the discovered configuration prefers it) follows `nextCursor` until there is
/// none.
///
/// It is the crate's one [`Paginator`], so it also ends on a cursor cycle of any length, on a
/// page that repeats one already read (a server ignoring `startIndex`, whatever
/// `totalResults` claims), and after [`max_pages`](super::ListRequest::max_pages) pages with
/// one [`Error::PageLimit`](crate::Error::PageLimit). At most one page is buffered and one
/// request in flight; dropping the stream cancels it and no further page is asked for. After
/// an error the stream ends; its [`cursor`](Self::cursor) tells where to resume.
///
/// ```
/// # #[cfg(feature = "mock")]
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> scimkit::Result<()> {
/// use futures_util::TryStreamExt;
/// use scimkit::scim::{StreamPosition, User};
///
/// let server = scimkit::mock::ScimServer::builder().max_results(2).start().await;
/// server.seed_users((0..5).map(|i| User::new(format!("user{i}"))));
/// let scim = scimkit::scim::ScimClient::builder()
///     .base_url(server.base_url())
///     .auth(scimkit::BearerToken::new(server.bearer_token().to_string()))
///     .build()?;
/// let mut users = scim.users().list().count(2).stream();
/// users.try_next().await?;
/// assert_eq!(users.cursor(), StreamPosition::Index { start_index: 2 });
/// let rest: Vec<User> = scim.users().list().count(2).resume(&users.cursor()).try_collect().await?;
/// assert_eq!(rest.len(), 4);
/// assert_eq!(users.pages_fetched(), 1);
/// # Ok(()) }
/// # #[cfg(not(feature = "mock"))]
/// # fn main() {}
/// ```
#[must_use = "streams do nothing unless polled"]
pub struct ResourceStream<T: Resource> {
    inner: Paginator<ScimPages<T>>,
}

impl<T: Resource> fmt::Debug for ResourceStream<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ResourceStream")
            .field("endpoint", &self.inner.source().resources.endpoint)
            .field("buffered", &self.inner.buffered())
            .field("pages", &self.inner.pages_fetched())
            .field("ended", &self.inner.ended())
            .finish_non_exhaustive()
    }
}

impl<T: Resource> ResourceStream<T> {
    /// A stream from `position` (`None`: from the query's own `startIndex` or cursor).
    pub(crate) fn new(
        resources: Resources<T>,
        query: Query,
        position: Option<&StreamPosition>,
        max_pages: u64,
    ) -> Self {
        let (first, skip) = match position {
            Some(StreamPosition::Index { start_index }) => {
                (PageKey::Index((*start_index).max(1)), 0)
            }
            Some(StreamPosition::Cursor { cursor, skip }) => {
                (PageKey::Cursor(cursor.clone().unwrap_or_default()), *skip)
            }
            None => match &query.cursor {
                Some(cursor) => (PageKey::Cursor(cursor.clone()), 0),
                None => (PageKey::Index(query.start_index.unwrap_or(1).max(1)), 0),
            },
        };
        let source = ScimPages { resources, query };
        ResourceStream {
            inner: Paginator::resume(source, first, skip).max_pages(max_pages),
        }
    }

    /// The position of the next resource this stream would yield: pass it to
    /// [`ListRequest::resume`](super::ListRequest::resume). Exact for index paging; for
    /// cursor paging the page's cursor and how many of its resources were yielded. After an
    /// error or the page cap it points at the page not read; after the end, just past the
    /// last resource read.
    pub fn cursor(&self) -> StreamPosition {
        let cursor = self.inner.cursor();
        match cursor.page {
            PageKey::Index(start) => StreamPosition::Index {
                start_index: start.saturating_add(cursor.skip).max(1),
            },
            PageKey::Cursor(page) => StreamPosition::Cursor {
                cursor: (!page.is_empty()).then(|| page.clone()),
                skip: cursor.skip,
            },
        }
    }

    /// The position of the next resource this stream would yield.
    #[deprecated(note = "renamed `cursor()`, the name Okta's `ItemStream` shares")]
    pub fn position(&self) -> StreamPosition {
        self.cursor()
    }

    /// `totalResults` of the last page that sent it.
    pub fn total_results(&self) -> Option<u64> {
        self.inner.total()
    }

    /// How many pages were fetched so far.
    pub fn pages_fetched(&self) -> u64 {
        self.inner.pages_fetched()
    }

    /// Why the stream stopped fetching; `None` while pages may still come.
    pub fn ended(&self) -> Option<PagingEnd> {
        self.inner.ended()
    }
}

impl<T: Resource> Stream for ResourceStream<T> {
    type Item = Result<T>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        Pin::new(&mut self.inner).poll_next(cx)
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        self.inner.size_hint()
    }
}
