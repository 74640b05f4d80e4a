//! Okta's cursor paging: RFC 8288 `Link` headers, one page, and a `Stream` of items that
//! follows `rel="next"` until it is gone, on the crate's one [`Paginator`].

use std::fmt;
use std::marker::PhantomData;
use std::pin::Pin;
use std::task::{Context, Poll};

use futures_core::Stream;
use http::HeaderMap;
use serde::de::DeserializeOwned;
use url::Url;

use super::client::OktaClient;
use super::model::{Group, RoleAssignment, User};
use crate::error::{Error, Result};
use crate::redact::display_url;
use crate::transport::{self, PageFuture, PageSource, Paginator, PagingEnd};

/// One link of an RFC 8288 `Link` header: the target and its parameters.
///
/// Its `Debug` shows the target without its query.
#[derive(Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Link {
    /// The target as written between `<` and `>` (possibly relative).
    pub target: String,
    /// Parameters in order, names lower-cased, values unquoted.
    pub params: Vec<(String, String)>,
}

impl fmt::Debug for Link {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Link")
            .field("target", &crate::redact::display_raw_url(&self.target))
            .field("params", &self.params)
            .finish()
    }
}

impl Link {
    /// The value of parameter `name` (case-insensitive), if present.
    pub fn param(&self, name: &str) -> Option<&str> {
        self.params
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// Whether `rel` contains `relation` (rel holds space-separated types, compared
    /// case-insensitively).
    pub fn has_rel(&self, relation: &str) -> bool {
        self.param("rel").is_some_and(|rels| {
            rels.split_ascii_whitespace()
                .any(|r| r.eq_ignore_ascii_case(relation))
        })
    }
}

/// Parses one `Link` header value, which may hold several comma-separated links.
///
/// Quoted parameter values may contain `,` and `;` and backslash escapes; unquoted ones are
/// tokens. A malformed link is skipped; the rest are still returned.
///
/// ```
/// use scimkit::okta::parse_link_header;
///
/// let links = parse_link_header(
///     r#"<https://o.okta.com/api/v1/users?limit=2>; rel="self", </api/v1/users?after=00u2&limit=2>; rel=next; title="a, b""#,
/// );
/// assert_eq!(links.len(), 2);
/// assert!(links[1].has_rel("next"));
/// assert_eq!(links[1].target, "/api/v1/users?after=00u2&limit=2");
/// assert_eq!(links[1].param("title"), Some("a, b"));
/// ```
pub fn parse_link_header(value: &str) -> Vec<Link> {
    let mut links = Vec::new();
    let mut chars = value.char_indices().peekable();
    loop {
        // Skip separators before a link.
        while chars
            .peek()
            .is_some_and(|(_, c)| c.is_whitespace() || *c == ',')
        {
            chars.next();
        }
        let Some((_, c)) = chars.next() else { break };
        if c != '<' {
            skip_to_next_link(&mut chars);
            continue;
        }
        let mut target = String::new();
        let mut closed = false;
        for (_, c) in chars.by_ref() {
            if c == '>' {
                closed = true;
                break;
            }
            target.push(c);
        }
        if !closed {
            break;
        }
        let mut params = Vec::new();
        let mut ok = true;
        loop {
            while chars.peek().is_some_and(|(_, c)| c.is_whitespace()) {
                chars.next();
            }
            match chars.peek().map(|(_, c)| *c) {
                None => break,
                Some(',') => {
                    chars.next();
                    break;
                }
                Some(';') => {
                    chars.next();
                }
                Some(_) => {
                    ok = false;
                    skip_to_next_link(&mut chars);
                    break;
                }
            }
            while chars.peek().is_some_and(|(_, c)| c.is_whitespace()) {
                chars.next();
            }
            let mut name = String::new();
            while let Some((_, c)) = chars.peek() {
                if matches!(c, '=' | ';' | ',') || c.is_whitespace() {
                    break;
                }
                name.push(c.to_ascii_lowercase());
                chars.next();
            }
            while chars.peek().is_some_and(|(_, c)| c.is_whitespace()) {
                chars.next();
            }
            let mut value = String::new();
            if chars.peek().is_some_and(|(_, c)| *c == '=') {
                chars.next();
                while chars.peek().is_some_and(|(_, c)| c.is_whitespace()) {
                    chars.next();
                }
                if chars.peek().is_some_and(|(_, c)| *c == '"') {
                    chars.next();
                    let mut escaped = false;
                    let mut closed = false;
                    for (_, c) in chars.by_ref() {
                        if escaped {
                            value.push(c);
                            escaped = false;
                        } else if c == '\\' {
                            escaped = true;
                        } else if c == '"' {
                            closed = true;
                            break;
                        } else {
                            value.push(c);
                        }
                    }
                    if !closed {
                        ok = false;
                        break;
                    }
                } else {
                    while let Some((_, c)) = chars.peek() {
                        if matches!(c, ';' | ',') || c.is_whitespace() {
                            break;
                        }
                        value.push(*c);
                        chars.next();
                    }
                }
            }
            if !name.is_empty() {
                params.push((name, value));
            }
        }
        if ok {
            links.push(Link { target, params });
        }
    }
    links
}

fn skip_to_next_link(chars: &mut std::iter::Peekable<std::str::CharIndices<'_>>) {
    let mut quoted = false;
    let mut escaped = false;
    while let Some((_, c)) = chars.peek().copied() {
        if quoted {
            if escaped {
                escaped = false;
            } else if c == '\\' {
                escaped = true;
            } else if c == '"' {
                quoted = false;
            }
        } else if c == '"' {
            quoted = true;
        } else if c == ',' {
            return;
        }
        chars.next();
    }
}

/// Every link in every `Link` header of a response.
pub fn links(headers: &HeaderMap) -> Vec<Link> {
    headers
        .get_all(http::header::LINK)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(parse_link_header)
        .collect()
}

/// The `rel="next"` target of a response, resolved against the URL the response came from.
pub fn next_link(headers: &HeaderMap, base: &Url) -> Option<Url> {
    links(headers)
        .into_iter()
        .find(|l| l.has_rel("next"))
        .and_then(|l| base.join(&l.target).ok())
}

/// The `after` cursor in a page URL.
pub(crate) fn after_of(url: &Url) -> Option<String> {
    url.query_pairs()
        .find(|(k, _)| k == "after")
        .map(|(_, v)| v.into_owned())
}

/// One page of a listing: its items and the link to the next page.
///
/// Its `Debug` shows the next link without its query.
#[derive(Clone)]
#[non_exhaustive]
pub struct Page<T> {
    /// The items on this page.
    pub items: Vec<T>,
    /// The next page's URL (`rel="next"`), `None` on the last page.
    pub next: Option<Url>,
}

impl<T: fmt::Debug> fmt::Debug for Page<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Page")
            .field("items", &self.items)
            .field("next", &self.next.as_ref().map(display_url))
            .finish()
    }
}

impl<T> Page<T> {
    /// The `after` cursor of the next page: pass it to a list's `.after(..)` to resume later.
    pub fn after(&self) -> Option<String> {
        self.next.as_ref().and_then(after_of)
    }
}

/// Fetches one page at `url` and reads its `Link` header. The next link must stay on the
/// org's origin: a link elsewhere would carry the org's credentials to another host.
pub(crate) async fn fetch_page<T: DeserializeOwned>(
    client: &OktaClient,
    url: Url,
) -> Result<Page<T>> {
    let response = client.get_url(url).await?;
    let items: Vec<T> = response.json()?;
    let next = next_link(&response.headers, response.url());
    if let Some(next) = &next
        && next.origin() != client.org_url().origin()
    {
        // Only the origin is shown: the link's path is the server's text and may carry
        // anything, a credential included.
        return Err(response.decode_error(format!(
            "the next-page link points to another origin ({}); not followed, as it would carry the org's credentials there",
            next.origin().ascii_serialization()
        )));
    }
    Ok(Page { items, next })
}

/// An object an Okta listing returns (a [`User`], a [`Group`], a [`RoleAssignment`]): its
/// id is how a stream notices a server answering with a page it already sent.
///
/// Sealed: implemented for the crate's Okta models only.
pub trait OktaObject: DeserializeOwned + Send + 'static + sealed::Sealed {
    /// The object's id (`00u...`, `00g...`).
    fn object_id(&self) -> &str;
}

mod sealed {
    pub trait Sealed {}
}

impl<P> sealed::Sealed for User<P> {}
impl<P> OktaObject for User<P>
where
    User<P>: DeserializeOwned + Send + 'static,
{
    fn object_id(&self) -> &str {
        &self.id
    }
}

impl sealed::Sealed for Group {}
impl OktaObject for Group {
    fn object_id(&self) -> &str {
        &self.id
    }
}

impl sealed::Sealed for RoleAssignment {}
impl OktaObject for RoleAssignment {
    fn object_id(&self) -> &str {
        &self.id
    }
}

/// Okta's pages for the [`Paginator`]: keyed by URL, following `rel="next"`.
pub(crate) struct OktaPages<T> {
    client: OktaClient,
    _item: PhantomData<fn() -> T>,
}

impl<T: OktaObject> PageSource for OktaPages<T> {
    type Item = T;
    type Key = Url;

    fn fetch(&mut self, url: &Url) -> PageFuture<T, Url> {
        let client = self.client.clone();
        let url = url.clone();
        Box::pin(async move {
            let page = fetch_page(&client, url).await?;
            Ok(transport::Page::new(page.items, page.next))
        })
    }

    fn item_id<'a>(&self, item: &'a T) -> Option<&'a str> {
        Some(item.object_id())
    }
}

/// A `Stream` of every item of a listing, fetching pages as it is polled and following
/// `rel="next"` until the last page. Dropping it stops it: no page is fetched that nobody
/// polls for, and the request in flight is cancelled.
///
/// It is the crate's one [`Paginator`], so it also ends on a `Link` cycle of any length, on
/// a page that repeats one already read (a server ignoring `after`), on an empty page, and
/// after [`max_pages`](super::List::max_pages) pages with one
/// [`Error::PageLimit`]. A next link to another origin is refused with an error. An error is
/// yielded once and ends the stream; [`cursor`](Self::cursor) tells where to resume.
///
/// ```
/// # #[cfg(feature = "mock")]
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> scimkit::Result<()> {
/// use futures_util::TryStreamExt;
/// use scimkit::mock::OktaOrg;
///
/// let org = OktaOrg::start().await;
/// org.seed_sample_users(5);
/// let okta = org.client();
/// let mut users = okta.users().list().limit(2).stream();
/// let mut logins = Vec::new();
/// while let Some(user) = users.try_next().await? {
///     logins.push(user.profile.login);
/// }
/// assert_eq!(logins.len(), 5);
/// assert_eq!(users.pages_fetched(), 3); // three pages of at most two
/// assert_eq!(org.requests_to("/api/v1/users"), 3);
/// assert_eq!(users.cursor(), None); // finished
/// # Ok(()) }
/// # #[cfg(not(feature = "mock"))]
/// # fn main() {}
/// ```
#[must_use = "streams do nothing unless polled"]
pub struct ItemStream<T: OktaObject> {
    inner: Paginator<OktaPages<T>>,
}

impl<T: OktaObject> fmt::Debug for ItemStream<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ItemStream")
            .field("buffered", &self.inner.buffered())
            .field("next", &self.inner.next_key().map(display_url))
            .field("pages", &self.inner.pages_fetched())
            .field("ended", &self.inner.ended())
            .finish()
    }
}

impl<T: OktaObject> ItemStream<T> {
    pub(crate) fn new(client: OktaClient, first: Url, max_pages: u64) -> Self {
        let source = OktaPages {
            client,
            _item: PhantomData,
        };
        ItemStream {
            inner: Paginator::new(source, first).max_pages(max_pages),
        }
    }

    /// A stream that yields `error` once and ends.
    pub(crate) fn failed(client: OktaClient, error: Error) -> Self {
        let first = client.org_url().clone();
        let stream = Self::new(client, first, 0);
        ItemStream {
            inner: stream.inner.failing(error),
        }
    }

    /// Where to resume this listing with `.after(cursor)`: the `after` of the next page when
    /// every fetched item has been yielded, otherwise the `after` of the page being read (its
    /// first items may then be seen twice: resume is at-least-once). After an error or the
    /// page cap, the `after` of the page not read. `None` when the listing is finished, or
    /// when it should start over (started without a cursor, nothing past the first page).
    pub fn cursor(&self) -> Option<String> {
        if self.inner.buffered() == 0 {
            self.inner.next_key().and_then(after_of)
        } else {
            after_of(self.inner.cursor().page)
        }
    }

    /// The URL of the next page to fetch, if any.
    pub fn next_page_url(&self) -> Option<&Url> {
        self.inner.next_key()
    }

    /// How many pages have been fetched so far.
    pub fn pages_fetched(&self) -> u64 {
        self.inner.pages_fetched()
    }

    /// Why the stream stopped fetching; `None` while pages may still come.
    pub fn ended(&self) -> Option<PagingEnd> {
        self.inner.ended()
    }
}

impl<T: OktaObject> Stream for ItemStream<T> {
    type Item = Result<T>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        Pin::new(&mut self.inner).poll_next(cx)
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        self.inner.size_hint()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn several_headers_and_relative_targets() {
        let mut headers = HeaderMap::new();
        headers.append(
            http::header::LINK,
            "<https://o.okta.com/api/v1/users?limit=2>; rel=\"self\""
                .parse()
                .unwrap(),
        );
        headers.append(
            http::header::LINK,
            "</api/v1/users?after=00u9&limit=2>; REL=\"next\""
                .parse()
                .unwrap(),
        );
        let base = Url::parse("https://o.okta.com/api/v1/users?limit=2").unwrap();
        let next = next_link(&headers, &base).unwrap();
        assert_eq!(
            next.as_str(),
            "https://o.okta.com/api/v1/users?after=00u9&limit=2"
        );
        assert_eq!(after_of(&next).as_deref(), Some("00u9"));
    }

    #[test]
    fn quoted_params_with_separators_and_escapes() {
        let links = parse_link_header(r#"<a>; title="x\"; y, z"; rel="prev next", <b>; rel=last"#);
        assert_eq!(links.len(), 2);
        assert_eq!(links[0].param("title"), Some(r#"x"; y, z"#));
        assert!(links[0].has_rel("next") && links[0].has_rel("prev"));
        assert!(links[1].has_rel("last"));
    }

    #[test]
    fn malformed_links_are_skipped() {
        let links = parse_link_header(r#"garbage; rel="next", <ok>; rel=next, <unterminated"#);
        assert_eq!(links.len(), 1);
        assert_eq!(links[0].target, "ok");
        assert!(parse_link_header("").is_empty());
        assert!(parse_link_header("<x>; rel=\"open").is_empty());
    }

    #[test]
    fn no_next_without_rel_next() {
        let mut headers = HeaderMap::new();
        headers.insert(http::header::LINK, "<a>; rel=self".parse().unwrap());
        let base = Url::parse("https://o.okta.com/").unwrap();
        assert!(next_link(&headers, &base).is_none());
    }
    #[test]
    fn a_malformed_link_is_skipped_whole_quotes_included() {
        // (header, targets of the links kept, with their rel)
        let table: &[(&str, &[(&str, &str)])] = &[
            // Garbage before a link, whose quoted part looks like a link.
            (r#"x "<evil>; rel=next", <ok>; rel=next"#, &[("ok", "next")]),
            // A link followed by junk instead of a parameter.
            (r#"<a> junk "<evil>", <b>; rel=next"#, &[("b", "next")]),
            // Unquoted values end at white space, `;` and `,`.
            (
                "<a>; rel=next, <b>; rel=prev ;title=t,<c>;rel=last",
                &[("a", "next"), ("b", "prev"), ("c", "last")],
            ),
        ];
        for (header, expected) in table {
            let links = parse_link_header(header);
            let got: Vec<(&str, &str)> = links
                .iter()
                .map(|l| (l.target.as_str(), l.param("rel").unwrap_or_default()))
                .collect();
            assert_eq!(&got, expected, "{header}");
        }
        let links = parse_link_header("<b>; rel=prev ;title=t");
        assert_eq!(links[0].param("TITLE"), Some("t"));
        assert_eq!(links[0].param("anchor"), None);
        assert!(links[0].has_rel("PREV"));
        assert!(!links[0].has_rel("next"));
    }

    #[test]
    fn debug_never_shows_a_query() {
        let link = &parse_link_header(
            "<https://o.okta.com/api/v1/users?after=q-secret&limit=2>; rel=next",
        )[0];
        let shown = format!("{link:?}");
        assert!(shown.contains("https://o.okta.com/api/v1/users"), "{shown}");
        assert!(shown.contains(r#"("rel", "next")"#), "{shown}");
        assert!(!shown.contains("q-secret"), "{shown}");

        let next = Url::parse("https://o.okta.com/api/v1/users?after=00u9&limit=2").unwrap();
        let page = Page {
            items: vec![1, 2],
            next: Some(next),
        };
        let shown = format!("{page:?}");
        assert!(shown.contains("[1, 2]"), "{shown}");
        assert!(shown.contains("https://o.okta.com/api/v1/users"), "{shown}");
        assert!(!shown.contains("00u9"), "{shown}");
        assert_eq!(page.after().as_deref(), Some("00u9"));
        let last = Page::<u8> {
            items: Vec::new(),
            next: None,
        };
        assert_eq!(last.after(), None);
        let no_cursor = Page::<u8> {
            items: Vec::new(),
            next: Some(Url::parse("https://o.okta.com/api/v1/users?limit=2").unwrap()),
        };
        assert_eq!(no_cursor.after(), None);
    }

    #[test]
    fn every_listed_object_is_identified_by_its_id() {
        use serde_json::json;
        let user: User = serde_json::from_value(
            json!({"id": "00u1", "status": "ACTIVE", "profile": {"login": "a@example.com"}}),
        )
        .unwrap();
        assert_eq!(user.object_id(), "00u1");
        let group: Group =
            serde_json::from_value(json!({"id": "00g1", "profile": {"name": "Eng"}})).unwrap();
        assert_eq!(group.object_id(), "00g1");
        let role: RoleAssignment =
            serde_json::from_value(json!({"id": "ra1", "type": "USER_ADMIN"})).unwrap();
        assert_eq!(role.object_id(), "ra1");
    }
}
