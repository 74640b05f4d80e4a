//! Paging as a `Stream`: index paging (RFC 7644 §3.4.2.4) or cursor paging (RFC 9865).

use std::collections::VecDeque;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use futures_core::Stream;

use super::client::Resources;
use super::query::{Query, fetch_page};
use super::{ListResponse, Resource};
use crate::Result;

type PageFuture<T> = Pin<Box<dyn Future<Output = Result<ListResponse<T>>> + Send>>;

/// Where a [`ResourceStream`] stands: the next resource it would yield. Pass it to
/// [`ListRequest::resume`](super::ListRequest::resume) to carry on later (after an error, a
/// restart, a rate limit).
#[derive(Debug, Clone, PartialEq, Eq)]
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

/// Every result of a query, fetched one page at a time as the caller consumes them.
///
/// Index paging starts at `startIndex` (default 1) and advances by the number of resources
/// actually returned (servers may return fewer than `count`); it stops at an empty page or
/// once `totalResults` is reached (or, without `totalResults`, at a page that starts with
/// the same resource as the previous one: a server ignoring `startIndex`). Cursor paging (RFC 9865; chosen when the query has a
/// cursor or the discovered configuration prefers it) follows `nextCursor` until there is
/// none or it repeats. At most one page is buffered; dropping the stream cancels the request in flight
/// and no further page is asked for. After an error the stream ends; its
/// [`position`](Self::position) tells where to resume.
#[must_use = "streams do nothing unless polled"]
pub struct ResourceStream<T> {
    resources: Resources<T>,
    query: Query,
    cursor_mode: bool,
    next_start: u64,
    page_cursor: Option<String>,
    next_cursor: Option<String>,
    skip: u64,
    consumed: u64,
    buffer: VecDeque<T>,
    in_flight: Option<PageFuture<T>>,
    last_page: bool,
    done: bool,
    total: Option<u64>,
    pages: u64,
    /// The id of the previous index page's first resource, to notice a server that ignores
    /// `startIndex`.
    prev_first_id: Option<String>,
}

impl<T> fmt::Debug for ResourceStream<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ResourceStream")
            .field("endpoint", &self.resources.endpoint)
            .field("cursor_mode", &self.cursor_mode)
            .field("next_start", &self.next_start)
            .field("buffered", &self.buffer.len())
            .field("pages", &self.pages)
            .field("done", &self.done)
            .finish_non_exhaustive()
    }
}

impl<T: Resource> ResourceStream<T> {
    pub(crate) fn new(resources: Resources<T>, query: Query) -> Self {
        let cursor_mode = query.cursor.is_some();
        let next_cursor = query.cursor.clone().filter(|c| !c.is_empty());
        ResourceStream {
            next_start: query.start_index.unwrap_or(1).max(1),
            resources,
            query,
            cursor_mode,
            page_cursor: None,
            next_cursor,
            skip: 0,
            consumed: 0,
            buffer: VecDeque::new(),
            in_flight: None,
            last_page: false,
            done: false,
            total: None,
            pages: 0,
            prev_first_id: None,
        }
    }

    pub(crate) fn resume(resources: Resources<T>, query: Query, position: &StreamPosition) -> Self {
        let mut stream = Self::new(resources, query);
        if let StreamPosition::Cursor { cursor, skip } = position {
            stream.cursor_mode = true;
            stream.next_cursor = cursor.clone();
            stream.skip = *skip;
        }
        stream
    }

    /// The position of the next resource this stream would yield.
    pub fn position(&self) -> StreamPosition {
        if self.cursor_mode {
            if self.buffer.is_empty() {
                StreamPosition::Cursor {
                    cursor: self.next_cursor.clone(),
                    skip: self.skip,
                }
            } else {
                StreamPosition::Cursor {
                    cursor: self.page_cursor.clone(),
                    skip: self.consumed,
                }
            }
        } else {
            StreamPosition::Index {
                start_index: self
                    .next_start
                    .saturating_sub(self.buffer.len() as u64)
                    .max(1),
            }
        }
    }

    /// `totalResults` of the last page, when the server sent it.
    pub fn total_results(&self) -> Option<u64> {
        self.total
    }

    /// How many pages were fetched so far.
    pub fn pages_fetched(&self) -> u64 {
        self.pages
    }

    fn start_fetch(&mut self) {
        let mut query = self.query.clone();
        if self.cursor_mode {
            query.start_index = None;
            query.cursor = Some(self.next_cursor.clone().unwrap_or_default());
        } else {
            query.start_index = Some(self.next_start);
            query.cursor = None;
        }
        let resources = self.resources.clone();
        self.in_flight = Some(Box::pin(
            async move { fetch_page(&resources, &query).await },
        ));
    }

    fn accept(&mut self, page: ListResponse<T>) {
        self.pages += 1;
        if page.total_results.is_some() {
            self.total = page.total_results;
        }
        let returned = page.resources.len() as u64;
        if returned == 0 {
            self.done = true;
            return;
        }
        if self.cursor_mode {
            self.page_cursor = self.next_cursor.take();
            self.consumed = self.skip;
            let skip = usize::try_from(self.skip).unwrap_or(usize::MAX);
            self.buffer = page.resources.into_iter().skip(skip).collect();
            self.skip = 0;
            self.next_cursor = page.next_cursor.filter(|c| !c.is_empty());
            // A nextCursor equal to the one just used would fetch this page forever.
            if self.next_cursor.is_none() || self.next_cursor == self.page_cursor {
                self.last_page = true;
            }
        } else {
            // A server that ignores startIndex answers every request with the same page;
            // without totalResults nothing would end the stream. A page that starts with
            // the resource the previous page started with repeats it: stop.
            let first_id = page
                .resources
                .first()
                .and_then(|r| r.id())
                .map(str::to_owned);
            if self.total.is_none() && first_id.is_some() && first_id == self.prev_first_id {
                self.done = true;
                return;
            }
            self.prev_first_id = first_id;
            self.buffer = page.resources.into();
            self.consumed = 0;
            self.next_start = self.next_start.saturating_add(returned);
            if self.total.is_some_and(|total| self.next_start > total) {
                self.last_page = true;
            }
        }
    }
}

impl<T: Resource> Stream for ResourceStream<T> {
    type Item = Result<T>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = self.get_mut();
        loop {
            if let Some(item) = this.buffer.pop_front() {
                this.consumed += 1;
                return Poll::Ready(Some(Ok(item)));
            }
            if this.done || this.last_page {
                this.done = true;
                return Poll::Ready(None);
            }
            if this.in_flight.is_none() {
                this.start_fetch();
            }
            let Some(fut) = this.in_flight.as_mut() else {
                return Poll::Ready(None);
            };
            match fut.as_mut().poll(cx) {
                Poll::Pending => return Poll::Pending,
                Poll::Ready(Err(e)) => {
                    this.in_flight = None;
                    this.done = true;
                    return Poll::Ready(Some(Err(e)));
                }
                Poll::Ready(Ok(page)) => {
                    this.in_flight = None;
                    this.accept(page);
                }
            }
        }
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        (self.buffer.len(), None)
    }
}
