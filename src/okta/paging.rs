//! Okta's cursor paging: RFC 8288 `Link` headers, one page, and a `Stream` of items that
//! follows `rel="next"` until it is gone.

use std::collections::VecDeque;
use std::fmt;
use std::pin::Pin;
use std::task::{Context, Poll};

use futures_core::Stream;
use http::HeaderMap;
use serde::de::DeserializeOwned;
use url::Url;

use super::client::OktaClient;
use crate::auth::BoxFuture;
use crate::error::{Error, Result, display_url};

/// One link of an RFC 8288 `Link` header: the target and its parameters.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Link {
    /// The target as written between `<` and `>` (possibly relative).
    pub target: String,
    /// Parameters in order, names lower-cased, values unquoted.
    pub params: Vec<(String, String)>,
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
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Page<T> {
    /// The items on this page.
    pub items: Vec<T>,
    /// The next page's URL (`rel="next"`), `None` on the last page.
    pub next: Option<Url>,
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
        return Err(Error::config(format!(
            "refusing to follow a next-page link to another origin: {}",
            display_url(next)
        )));
    }
    Ok(Page { items, next })
}

/// A `Stream` of every item of a listing, fetching pages as it is polled and following
/// `rel="next"` until the last page. Dropping it stops it: no page is fetched that nobody
/// polls for.
///
/// An error is yielded once and ends the stream. [`cursor`](Self::cursor) tells where to
/// resume a listing later.
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
/// assert_eq!(org.requests_to("/api/v1/users"), 3); // three pages of at most two
/// # Ok(()) }
/// # #[cfg(not(feature = "mock"))]
/// # fn main() {}
/// ```
#[must_use = "streams do nothing unless polled"]
pub struct ItemStream<T> {
    client: OktaClient,
    buffer: VecDeque<T>,
    /// The URL of the page whose items are in `buffer` (or the first page, before any).
    current: Option<Url>,
    next: Option<Url>,
    pending: Option<BoxFuture<'static, Result<Page<T>>>>,
    done: bool,
    pages: u64,
}

impl<T> Unpin for ItemStream<T> {}

impl<T> fmt::Debug for ItemStream<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ItemStream")
            .field("buffered", &self.buffer.len())
            .field("next", &self.next.as_ref().map(display_url))
            .field("pages", &self.pages)
            .field("done", &self.done)
            .finish()
    }
}

impl<T> ItemStream<T> {
    pub(crate) fn new(client: OktaClient, first: Url) -> Self {
        ItemStream {
            client,
            buffer: VecDeque::new(),
            current: None,
            next: Some(first),
            pending: None,
            done: false,
            pages: 0,
        }
    }

    /// A stream that yields `error` once and ends.
    pub(crate) fn failed(client: OktaClient, error: Error) -> Self {
        ItemStream {
            client,
            buffer: VecDeque::new(),
            current: None,
            next: None,
            pending: Some(Box::pin(async move { Err(error) })),
            done: false,
            pages: 0,
        }
    }

    /// Where to resume this listing with `.after(cursor)`: the `after` of the next page when
    /// every fetched item has been yielded, otherwise the `after` of the page being read (its
    /// first items may then be seen twice: resume is at-least-once). `None` when the listing
    /// is finished or started without a cursor and nothing has been yielded yet.
    pub fn cursor(&self) -> Option<String> {
        if self.buffer.is_empty() {
            self.next.as_ref().and_then(after_of)
        } else {
            self.current.as_ref().and_then(after_of)
        }
    }

    /// The URL of the next page to fetch, if any.
    pub fn next_page_url(&self) -> Option<&Url> {
        self.next.as_ref()
    }

    /// How many pages have been fetched so far.
    pub fn pages_fetched(&self) -> u64 {
        self.pages
    }
}

impl<T: DeserializeOwned + Send + 'static> Stream for ItemStream<T> {
    type Item = Result<T>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = self.get_mut();
        loop {
            if let Some(item) = this.buffer.pop_front() {
                return Poll::Ready(Some(Ok(item)));
            }
            if this.done {
                return Poll::Ready(None);
            }
            if this.pending.is_none() {
                let Some(url) = this.next.clone() else {
                    this.done = true;
                    return Poll::Ready(None);
                };
                let client = this.client.clone();
                this.pending = Some(Box::pin(async move { fetch_page(&client, url).await }));
            }
            let Some(pending) = this.pending.as_mut() else {
                continue;
            };
            match pending.as_mut().poll(cx) {
                Poll::Pending => return Poll::Pending,
                Poll::Ready(result) => {
                    this.pending = None;
                    match result {
                        Ok(page) => {
                            this.pages += 1;
                            this.current = this.next.take();
                            // A next link back to the page just read would loop forever,
                            // yielding the same items again and again.
                            this.next = page.next.filter(|n| Some(n) != this.current.as_ref());
                            this.buffer.extend(page.items);
                        }
                        Err(err) => {
                            this.done = true;
                            return Poll::Ready(Some(Err(err)));
                        }
                    }
                }
            }
        }
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
}
