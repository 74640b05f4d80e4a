//! One paginator for every listing: a `Stream` of items over a [`PageSource`], which fetches
//! one page at a time and ends on its own when a server loops. SCIM and Okta streams are this
//! paginator with their own page source.

use std::collections::{HashSet, VecDeque};
use std::fmt;
use std::hash::{BuildHasher, Hash, RandomState};
use std::pin::Pin;
use std::task::{Context, Poll};

use futures_core::Stream;

use super::BoxFuture;
use crate::error::{Error, Result};

/// The page cap of a [`Paginator`] unless [`max_pages`](Paginator::max_pages) says
/// otherwise: 100,000 pages, that is 20 million Okta users at `limit=200` or 10 million SCIM
/// resources at `count=100`, with under 4 MiB of page hashes.
pub const DEFAULT_MAX_PAGES: u64 = 100_000;

/// One page from a [`PageSource`]: its items, the key of the next page, and the total the
/// server claimed.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Page<T, K> {
    /// The items, in the order the server sent them.
    pub items: Vec<T>,
    /// The key of the next page; `None` on the last page.
    pub next: Option<K>,
    /// How many items the server said the whole listing holds (SCIM `totalResults`), when it
    /// said so. Informational: the paginator never trusts it to keep going.
    pub total: Option<u64>,
}

impl<T, K> Page<T, K> {
    /// A page of `items` followed by the page at `next` (`None`: the last page).
    ///
    /// ```
    /// use scimkit::transport::Page;
    /// let page: Page<&str, u32> = Page::new(vec!["a", "b"], Some(2)).total(Some(5));
    /// assert_eq!(page.next, Some(2));
    /// assert_eq!(page.total, Some(5));
    /// ```
    pub fn new(items: Vec<T>, next: Option<K>) -> Self {
        Page {
            items,
            next,
            total: None,
        }
    }

    /// Sets the total the server claimed.
    pub fn total(mut self, total: Option<u64>) -> Self {
        self.total = total;
        self
    }
}

/// The future a [`PageSource`] returns for one page: the one future type every listing of
/// the crate shares.
pub type PageFuture<T, K> = BoxFuture<'static, Result<Page<T, K>>>;

/// Where pages come from: fetches the page at a key, and tells what identifies an item.
///
/// The paginator calls [`fetch`](Self::fetch) only when the caller polls for an item and the
/// previous page is used up, and drops the future (cancelling the request) when the stream
/// is dropped.
pub trait PageSource: Send + 'static {
    /// What the listing yields.
    type Item: Send + 'static;
    /// What names a page: a URL, a cursor, a `startIndex`. Hashed to notice cycles.
    type Key: Clone + Hash + Send + 'static;

    /// Fetches the page at `key`.
    fn fetch(&mut self, key: &Self::Key) -> PageFuture<Self::Item, Self::Key>;

    /// The item's identity on the server (its `id`), used to notice a page that brings
    /// nothing new. `None` (or an empty string) for an item without one: its page is then
    /// never taken for a repeat.
    fn item_id<'a>(&self, item: &'a Self::Item) -> Option<&'a str>;
}

/// Why a [`Paginator`] stopped fetching pages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum PagingEnd {
    /// The last page had no next page.
    LastPage,
    /// A page held no items.
    EmptyPage,
    /// A page held the same items as one read before (a server ignoring `startIndex` or the
    /// cursor); it was not yielded.
    RepeatedPage,
    /// The next page's key was one already fetched (a cursor or link cycle).
    Cycle,
    /// The page cap was reached and [`Error::PageLimit`] yielded; resume from the cursor.
    PageLimit,
    /// A fetch failed and its error was yielded; resume from the cursor.
    Error,
}

/// Where a [`Paginator`] stands: fetch `page` and drop its first `skip` items to carry on
/// with the next item it would yield.
///
/// Resuming is at-least-once when the server's pages moved in between (items inserted or
/// deleted before the cursor).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct PageCursor<'a, K> {
    /// The page holding the next item (after the end: the last page read).
    pub page: &'a K,
    /// Items of that page already yielded.
    pub skip: u64,
}

/// A [`Stream`] of every item of a listing, one page at a time.
///
/// - Lazy: at most one request in flight, and none until an item is polled for that the
///   buffered page cannot give. Dropping the stream drops (cancels) the request in flight.
/// - Ends on its own on cycles and repeated pages, and after [`max_pages`](Self::max_pages)
///   pages with one [`Error::PageLimit`].
/// - An error is yielded once and ends the stream; [`cursor`](Self::cursor) tells where to
///   resume.
///
/// # When a listing ends
/// After each page, in this order:
/// 1. a page with no items ends the listing ([`PagingEnd::EmptyPage`]);
/// 2. a page that brings nothing new ends it, unread: its items' identities (as
///    [`PageSource::item_id`] gives them) are, as a set, those of a page read before
///    ([`PagingEnd::RepeatedPage`]). This ends a server that ignores `startIndex` or the
///    cursor and answers every request with the same items, whatever its `totalResults`
///    says, and a content cycle under ever new cursors. Pages that merely overlap (an item
///    inserted before the cursor between two requests) are not repeats; only exactly a
///    page's worth of inserts between two index-paged requests looks like one, and
///    [`ended`](Paginator::ended) then says so;
/// 3. the page's items are yielded; a next key already fetched is a cycle of any length
///    (`A→A`, `A→B→A`, `A→B→C→B`) and is not followed ([`PagingEnd::Cycle`]); no next key
///    ends the listing ([`PagingEnd::LastPage`]).
///
/// Before each fetch: after [`max_pages`](Paginator::max_pages) pages the stream yields one
/// [`Error::PageLimit`] and ends ([`PagingEnd::PageLimit`]). A failed fetch yields its error
/// once and ends the stream ([`PagingEnd::Error`]).
///
/// Pages are remembered as two 64-bit hashes (the key's and the identities'), under 40 bytes
/// per page fetched: memory is bounded by the page cap, never by the number of items. A page
/// is compared by identity only when every item on it has one; pages of items without
/// identities are still bounded by the other rules.
///
/// # Example
/// A page source for any paged API takes a few lines:
///
/// ```
/// use futures_util::TryStreamExt;
/// use scimkit::transport::{Page, PageFuture, PageSource, Paginator, PagingEnd};
///
/// /// Pages of two numbers out of a vector; the key is the offset.
/// struct Numbers(Vec<String>);
///
/// impl PageSource for Numbers {
///     type Item = String;
///     type Key = usize;
///     fn fetch(&mut self, offset: &usize) -> PageFuture<String, usize> {
///         let end = (*offset + 2).min(self.0.len());
///         let items = self.0[*offset..end].to_vec();
///         let next = (end < self.0.len()).then_some(end);
///         Box::pin(async move { Ok(Page::new(items, next)) })
///     }
///     fn item_id<'a>(&self, item: &'a String) -> Option<&'a str> {
///         Some(item)
///     }
/// }
///
/// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
/// let numbers: Vec<String> = (1..=5).map(|n| n.to_string()).collect();
/// let mut stream = Paginator::new(Numbers(numbers), 0);
/// let mut all = Vec::new();
/// while let Some(n) = stream.try_next().await? {
///     all.push(n);
/// }
/// assert_eq!(all, ["1", "2", "3", "4", "5"]);
/// assert_eq!(stream.pages_fetched(), 3);
/// assert_eq!(stream.ended(), Some(PagingEnd::LastPage));
/// # Ok::<(), scimkit::Error>(()) }).unwrap();
/// ```
#[must_use = "streams do nothing unless polled"]
pub struct Paginator<S: PageSource> {
    source: S,
    buffer: VecDeque<S::Item>,
    /// The page whose items are in `buffer` (before the first page: the first key).
    current: S::Key,
    /// Items of `current` yielded or skipped.
    consumed: u64,
    /// The page to fetch next; `None` once the listing is over.
    next: Option<S::Key>,
    /// Items to drop from the `next` page (resuming mid-page).
    skip_next: u64,
    in_flight: Option<PageFuture<S::Item, S::Key>>,
    /// An error to yield before anything else (a listing that could not be built).
    pending_error: Option<Error>,
    ended: Option<PagingEnd>,
    pages: u64,
    max_pages: u64,
    total: Option<u64>,
    hasher: RandomState,
    seen_keys: HashSet<u64>,
    seen_pages: HashSet<u64>,
}

// No field is ever pinned: the future in flight is boxed.
impl<S: PageSource> Unpin for Paginator<S> {}

impl<S: PageSource> fmt::Debug for Paginator<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Keys are left out: they are URLs and cursors, with queries.
        f.debug_struct("Paginator")
            .field("buffered", &self.buffer.len())
            .field("pages", &self.pages)
            .field("max_pages", &self.max_pages)
            .field("in_flight", &self.in_flight.is_some())
            .field("ended", &self.ended)
            .finish_non_exhaustive()
    }
}

impl<S: PageSource> Paginator<S> {
    /// A stream that starts at the page `first`. Nothing is fetched until it is polled.
    pub fn new(source: S, first: S::Key) -> Self {
        Self::resume(source, first, 0)
    }

    /// A stream that starts at the page `page` and drops its first `skip` items: what a
    /// [`PageCursor`] taken from an earlier stream says.
    pub fn resume(source: S, page: S::Key, skip: u64) -> Self {
        Paginator {
            source,
            buffer: VecDeque::new(),
            current: page.clone(),
            consumed: skip,
            next: Some(page),
            skip_next: skip,
            in_flight: None,
            pending_error: None,
            ended: None,
            pages: 0,
            max_pages: DEFAULT_MAX_PAGES,
            total: None,
            hasher: RandomState::new(),
            seen_keys: HashSet::new(),
            seen_pages: HashSet::new(),
        }
    }

    /// A stream that yields `error` once and ends; its cursor stays at its first page.
    pub(crate) fn failing(mut self, error: Error) -> Self {
        self.pending_error = Some(error);
        self.ended = Some(PagingEnd::Error);
        self
    }

    /// Fetches at most `pages` pages ([`DEFAULT_MAX_PAGES`] unless set). When one more page
    /// is due the stream yields [`Error::PageLimit`] once and ends; its
    /// [`cursor`](Self::cursor) then points at that page, to resume later.
    pub fn max_pages(mut self, pages: u64) -> Self {
        self.max_pages = pages;
        self
    }

    /// Where to resume: the page holding the next item this stream would yield and how many
    /// of its items were already yielded. After the end it points just past the last item
    /// read; after an error or the page cap, at the page that was not read.
    pub fn cursor(&self) -> PageCursor<'_, S::Key> {
        match &self.next {
            Some(next) if self.buffer.is_empty() => PageCursor {
                page: next,
                skip: self.skip_next,
            },
            _ => PageCursor {
                page: &self.current,
                skip: self.consumed,
            },
        }
    }

    /// The key of the next page to fetch; `None` once no page remains to fetch.
    pub fn next_key(&self) -> Option<&S::Key> {
        self.next.as_ref()
    }

    /// How many pages were fetched so far.
    pub fn pages_fetched(&self) -> u64 {
        self.pages
    }

    /// How many fetched items are waiting to be yielded.
    pub fn buffered(&self) -> usize {
        self.buffer.len()
    }

    /// The last total a page claimed ([`Page::total`]).
    pub fn total(&self) -> Option<u64> {
        self.total
    }

    /// Why the stream stopped fetching; `None` while pages may still come. Buffered items are
    /// still yielded after it is set.
    pub fn ended(&self) -> Option<PagingEnd> {
        self.ended
    }

    /// The page source.
    pub fn source(&self) -> &S {
        &self.source
    }

    /// A hash of the set of item identities of a page; `None` when an item has none.
    fn fingerprint(&self, items: &[S::Item]) -> Option<u64> {
        // A sum of per-item hashes does not depend on the order of the items.
        let mut sum = 0u64;
        for item in items {
            let id = self.source.item_id(item).filter(|id| !id.is_empty())?;
            sum = sum.wrapping_add(self.hasher.hash_one(id));
        }
        Some(self.hasher.hash_one((sum, items.len())))
    }

    fn accept(&mut self, page: Page<S::Item, S::Key>) {
        self.pages = self.pages.saturating_add(1);
        if page.total.is_some() {
            self.total = page.total;
        }
        let key = self.next.take();
        let skip = std::mem::take(&mut self.skip_next);
        if page.items.is_empty() {
            if let Some(key) = key {
                self.current = key;
            }
            self.consumed = 0;
            self.ended = Some(PagingEnd::EmptyPage);
            return;
        }
        if let Some(fingerprint) = self.fingerprint(&page.items)
            && !self.seen_pages.insert(fingerprint)
        {
            // The cursor stays just past the last page read.
            self.ended = Some(PagingEnd::RepeatedPage);
            return;
        }
        if let Some(key) = key {
            self.current = key;
        }
        self.next = match page.next {
            Some(next) if self.seen_keys.contains(&self.hasher.hash_one(&next)) => {
                self.ended = Some(PagingEnd::Cycle);
                None
            }
            Some(next) => Some(next),
            None => {
                self.ended = Some(PagingEnd::LastPage);
                None
            }
        };
        let len = u64::try_from(page.items.len()).unwrap_or(u64::MAX);
        self.consumed = skip.min(len);
        if skip == 0 {
            self.buffer = VecDeque::from(page.items);
        } else {
            let skip = usize::try_from(skip).unwrap_or(usize::MAX);
            self.buffer.extend(page.items.into_iter().skip(skip));
        }
    }
}

impl<S: PageSource> Stream for Paginator<S> {
    type Item = Result<S::Item>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = self.get_mut();
        loop {
            if let Some(item) = this.buffer.pop_front() {
                this.consumed = this.consumed.saturating_add(1);
                return Poll::Ready(Some(Ok(item)));
            }
            if let Some(error) = this.pending_error.take() {
                return Poll::Ready(Some(Err(error)));
            }
            if this.ended.is_some() {
                return Poll::Ready(None);
            }
            let in_flight = match &mut this.in_flight {
                Some(in_flight) => in_flight,
                slot @ None => {
                    let Some(key) = &this.next else {
                        this.ended = Some(PagingEnd::LastPage);
                        return Poll::Ready(None);
                    };
                    if this.pages >= this.max_pages {
                        this.ended = Some(PagingEnd::PageLimit);
                        return Poll::Ready(Some(Err(Error::PageLimit { pages: this.pages })));
                    }
                    this.seen_keys.insert(this.hasher.hash_one(key));
                    slot.insert(this.source.fetch(key))
                }
            };
            match in_flight.as_mut().poll(cx) {
                Poll::Pending => return Poll::Pending,
                Poll::Ready(result) => {
                    this.in_flight = None;
                    match result {
                        Ok(page) => this.accept(page),
                        Err(error) => {
                            this.ended = Some(PagingEnd::Error);
                            return Poll::Ready(Some(Err(error)));
                        }
                    }
                }
            }
        }
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        let buffered = self.buffer.len();
        if self.ended.is_some() && self.pending_error.is_none() {
            (buffered, Some(buffered))
        } else {
            (buffered, None)
        }
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;
    use std::sync::atomic::{AtomicU64, Ordering};
    use std::sync::{Arc, Mutex};

    use futures_util::{StreamExt, TryStreamExt};

    use super::*;

    /// Scripted pages by key: items and next key. A missing key answers with an error.
    #[derive(Clone, Default)]
    struct Script {
        pages: HashMap<&'static str, (Vec<&'static str>, Option<&'static str>)>,
        fetched: Arc<Mutex<Vec<&'static str>>>,
        failures: Arc<AtomicU64>,
    }

    impl Script {
        fn page(
            mut self,
            key: &'static str,
            items: &[&'static str],
            next: Option<&'static str>,
        ) -> Self {
            self.pages.insert(key, (items.to_vec(), next));
            self
        }
        fn fetched(&self) -> Vec<&'static str> {
            self.fetched.lock().unwrap().clone()
        }
    }

    impl PageSource for Script {
        type Item = &'static str;
        type Key = &'static str;
        fn fetch(&mut self, key: &&'static str) -> PageFuture<&'static str, &'static str> {
            self.fetched.lock().unwrap().push(key);
            let page = self.pages.get(key).cloned();
            let failures = self.failures.clone();
            Box::pin(async move {
                match page {
                    Some((items, next)) => Ok(Page::new(items, next)),
                    None => {
                        failures.fetch_add(1, Ordering::SeqCst);
                        Err(Error::config("no such page"))
                    }
                }
            })
        }
        fn item_id<'a>(&self, item: &'a &'static str) -> Option<&'a str> {
            // Items spelt "_..." have no identity.
            (!item.starts_with('_')).then_some(*item)
        }
    }

    async fn run(stream: &mut Paginator<Script>) -> (Vec<&'static str>, Vec<String>) {
        let mut items = Vec::new();
        let mut errors = Vec::new();
        while let Some(next) = stream.next().await {
            match next {
                Ok(item) => items.push(item),
                Err(e) => errors.push(e.to_string()),
            }
        }
        (items, errors)
    }

    #[tokio::test]
    async fn ends_on_cycles_repeats_and_empty_pages() {
        // Name, pages, items yielded, keys fetched, why it ended.
        type Case = (
            &'static str,
            Script,
            &'static [&'static str],
            &'static [&'static str],
            PagingEnd,
        );
        let cases: &[Case] = &[
            (
                "last page",
                Script::default()
                    .page("A", &["1", "2"], Some("B"))
                    .page("B", &["3"], None),
                &["1", "2", "3"],
                &["A", "B"],
                PagingEnd::LastPage,
            ),
            (
                "self loop",
                Script::default().page("A", &["1"], Some("A")),
                &["1"],
                &["A"],
                PagingEnd::Cycle,
            ),
            (
                "A→B→A",
                Script::default()
                    .page("A", &["1"], Some("B"))
                    .page("B", &["2"], Some("A")),
                &["1", "2"],
                &["A", "B"],
                PagingEnd::Cycle,
            ),
            (
                "A→B→C→B",
                Script::default()
                    .page("A", &["1"], Some("B"))
                    .page("B", &["2"], Some("C"))
                    .page("C", &["3"], Some("B")),
                &["1", "2", "3"],
                &["A", "B", "C"],
                PagingEnd::Cycle,
            ),
            (
                "same items under new keys, any order",
                Script::default()
                    .page("A", &["1", "2"], Some("B"))
                    .page("B", &["2", "1"], Some("C"))
                    .page("C", &["9"], None),
                &["1", "2"],
                &["A", "B"],
                PagingEnd::RepeatedPage,
            ),
            (
                "content cycle under new keys",
                Script::default()
                    .page("A", &["1"], Some("B"))
                    .page("B", &["2"], Some("C"))
                    .page("C", &["1"], Some("D")),
                &["1", "2"],
                &["A", "B", "C"],
                PagingEnd::RepeatedPage,
            ),
            (
                "overlapping pages are not repeats",
                Script::default()
                    .page("A", &["1", "2"], Some("B"))
                    .page("B", &["2", "3"], None),
                &["1", "2", "2", "3"],
                &["A", "B"],
                PagingEnd::LastPage,
            ),
            (
                "items without identity are never taken for a repeat",
                Script::default()
                    .page("A", &["_x"], Some("B"))
                    .page("B", &["_x"], None),
                &["_x", "_x"],
                &["A", "B"],
                PagingEnd::LastPage,
            ),
            (
                "empty page",
                Script::default()
                    .page("A", &["1"], Some("B"))
                    .page("B", &[], Some("C")),
                &["1"],
                &["A", "B"],
                PagingEnd::EmptyPage,
            ),
        ];
        for (name, script, items, fetched, end) in cases {
            let mut stream = Paginator::new(script.clone(), "A");
            let (got, errors) = run(&mut stream).await;
            assert_eq!(&got, items, "{name}");
            assert!(errors.is_empty(), "{name}: {errors:?}");
            assert_eq!(&script.fetched(), fetched, "{name}");
            assert_eq!(stream.ended(), Some(*end), "{name}");
        }
    }

    #[tokio::test]
    async fn the_page_cap_yields_one_error_and_the_cursor_resumes() {
        let script = Script::default()
            .page("A", &["1"], Some("B"))
            .page("B", &["2"], Some("C"))
            .page("C", &["3"], None);
        let mut stream = Paginator::new(script.clone(), "A").max_pages(2);
        let (items, errors) = run(&mut stream).await;
        assert_eq!(items, ["1", "2"]);
        assert_eq!(errors.len(), 1);
        assert_eq!(stream.ended(), Some(PagingEnd::PageLimit));
        let cursor = stream.cursor();
        assert_eq!((*cursor.page, cursor.skip), ("C", 0));
        let rest: Vec<_> = Paginator::resume(script.clone(), *cursor.page, cursor.skip)
            .try_collect()
            .await
            .unwrap();
        assert_eq!(rest, ["3"]);
        assert_eq!(script.fetched(), ["A", "B", "C"]);
    }

    #[tokio::test]
    async fn an_error_is_yielded_once_and_the_cursor_points_at_the_failed_page() {
        let script = Script::default().page("A", &["1", "2"], Some("B"));
        let mut stream = Paginator::new(script.clone(), "A");
        let (items, errors) = run(&mut stream).await;
        assert_eq!(items, ["1", "2"]);
        assert_eq!(errors, ["invalid configuration: no such page"]);
        assert!(stream.next().await.is_none());
        assert_eq!(script.failures.load(Ordering::SeqCst), 1);
        assert_eq!(*stream.cursor().page, "B");
    }

    #[tokio::test]
    async fn lazy_and_cursor_mid_page() {
        let script = Script::default()
            .page("A", &["1", "2", "3"], Some("B"))
            .page("B", &["4"], None);
        let mut stream = Paginator::new(script.clone(), "A");
        assert!(script.fetched().is_empty(), "nothing fetched before a poll");
        assert_eq!(
            stream.cursor(),
            PageCursor {
                page: &"A",
                skip: 0
            }
        );
        assert_eq!(stream.next().await.unwrap().unwrap(), "1");
        assert_eq!(
            stream.cursor(),
            PageCursor {
                page: &"A",
                skip: 1
            }
        );
        assert_eq!(script.fetched(), ["A"]);
        let resumed: Vec<_> = Paginator::resume(script.clone(), "A", 1)
            .try_collect()
            .await
            .unwrap();
        assert_eq!(resumed, ["2", "3", "4"]);
        drop(stream);
        assert_eq!(script.fetched(), ["A", "A", "B"]);
    }

    #[tokio::test]
    async fn after_the_end_the_cursor_points_past_the_last_item() {
        let script = Script::default().page("A", &["1", "2"], None);
        let mut stream = Paginator::new(script.clone(), "A");
        let _ = run(&mut stream).await;
        assert_eq!(
            stream.cursor(),
            PageCursor {
                page: &"A",
                skip: 2
            }
        );
        let again: Vec<_> = Paginator::resume(script, "A", 2)
            .try_collect()
            .await
            .unwrap();
        assert!(again.is_empty());
    }

    #[tokio::test]
    async fn a_failing_stream_yields_its_error_first() {
        let script = Script::default().page("A", &["1"], None);
        let mut stream = Paginator::new(script.clone(), "A").failing(Error::config("bad id"));
        let (items, errors) = run(&mut stream).await;
        assert!(items.is_empty());
        assert_eq!(errors.len(), 1);
        assert!(script.fetched().is_empty());
    }
    #[tokio::test]
    async fn what_a_stream_reports_as_it_goes() {
        /// Pages "A" (3 items, total 9) → "B" (1 item, no total) → end.
        #[derive(Clone, Default)]
        struct Totals;
        impl PageSource for Totals {
            type Item = &'static str;
            type Key = &'static str;
            fn fetch(&mut self, key: &&'static str) -> PageFuture<&'static str, &'static str> {
                let page = match *key {
                    "A" => Page::new(vec!["1", "2", "3"], Some("B")).total(Some(9)),
                    _ => Page::new(vec!["4"], None),
                };
                Box::pin(async move { Ok(page) })
            }
            fn item_id<'a>(&self, item: &'a &'static str) -> Option<&'a str> {
                Some(*item)
            }
        }
        let mut stream = Paginator::new(Totals, "A");
        // (buffered, pages, next key, total, ended, size hint) before each item.
        assert_eq!(stream.size_hint(), (0, None));
        assert_eq!((stream.next_key(), stream.pages_fetched()), (Some(&"A"), 0));
        assert_eq!(stream.next().await.unwrap().unwrap(), "1");
        assert_eq!(Paginator::buffered(&stream), 2);
        assert_eq!(stream.pages_fetched(), 1);
        assert_eq!(stream.next_key(), Some(&"B"));
        assert_eq!(stream.total(), Some(9));
        assert_eq!(stream.ended(), None);
        assert_eq!(stream.size_hint(), (2, None), "more pages may come");
        let shown = format!("{stream:?}");
        for part in [
            "buffered: 2",
            "pages: 1",
            "max_pages: 100000",
            "in_flight: false",
            "ended: None",
        ] {
            assert!(shown.contains(part), "{part} missing from {shown}");
        }
        let rest: Vec<_> = stream.by_ref().take(3).try_collect().await.unwrap();
        assert_eq!(rest, ["2", "3", "4"]);
        assert_eq!(stream.pages_fetched(), 2);
        assert_eq!(
            stream.total(),
            Some(9),
            "a page without a total keeps the last one"
        );
        assert_eq!(stream.ended(), Some(PagingEnd::LastPage));
        assert_eq!(stream.next_key(), None);
        assert_eq!(stream.size_hint(), (0, Some(0)), "nothing more will come");
        let _: &Totals = stream.source();

        // A stream that failed before it began may still yield its error.
        let failing = Paginator::new(Totals, "A").failing(Error::config("bad"));
        assert_eq!(failing.size_hint(), (0, None));
        // At the cap, one error is still to come after the buffered items.
        let mut capped = Paginator::new(Totals, "A").max_pages(1);
        assert_eq!(capped.next().await.unwrap().unwrap(), "1");
        assert_eq!(capped.size_hint(), (2, None));
        let tail: Vec<_> = capped.by_ref().collect().await;
        assert_eq!(tail.len(), 3, "two items and the page-limit error");
        assert!(
            matches!(tail[2], Err(Error::PageLimit { pages: 1 })),
            "{:?}",
            tail[2]
        );
    }

    #[tokio::test]
    async fn an_empty_id_is_no_identity() {
        /// Every page holds one item whose id is empty; the next key is always new.
        struct Anonymous(u32);
        impl PageSource for Anonymous {
            type Item = u32;
            type Key = u32;
            fn fetch(&mut self, key: &u32) -> PageFuture<u32, u32> {
                self.0 += 1;
                let key = *key;
                Box::pin(async move { Ok(Page::new(vec![key], (key < 3).then_some(key + 1))) })
            }
            fn item_id<'a>(&self, _item: &'a u32) -> Option<&'a str> {
                Some("")
            }
        }
        let mut stream = Paginator::new(Anonymous(0), 1);
        let all: Vec<u32> = stream.by_ref().try_collect().await.unwrap();
        assert_eq!(
            all,
            [1, 2, 3],
            "pages of items without identity are never repeats"
        );
        assert_eq!(stream.source().0, 3);
        assert_eq!(stream.ended(), Some(PagingEnd::LastPage));
    }
}
