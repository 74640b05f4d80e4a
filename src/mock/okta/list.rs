//! Listings: `Link`-header paging with an `after` cursor, `search` / `filter` expressions and
//! sorting.

use serde_json::Value;
use url::Url;

use super::error::ApiErr;
use super::filter;
use super::request::query;

/// A routed answer: status, body and `Link` header values.
pub(crate) type Routed = Result<(u16, Value, Vec<String>), ApiErr>;

/// One page of `items` (already filtered and ordered) after the `after` cursor, with `Link`
/// headers: `self`, and `next` while items remain.
pub(crate) fn page(
    url: &Url,
    items: Vec<(String, Value)>,
    default_limit: usize,
    max_limit: usize,
    paged: bool,
) -> Routed {
    let limit = match query(url, "limit") {
        None => default_limit,
        Some(l) => l
            .parse::<usize>()
            .ok()
            .filter(|l| *l > 0)
            .ok_or_else(|| ApiErr::validation(format!("limit: invalid value {l:?}")))?
            .min(max_limit),
    };
    let start = match query(url, "after") {
        None => 0,
        Some(after) => match items.iter().position(|(id, _)| *id == after) {
            Some(i) => i + 1,
            None => items.iter().take_while(|(id, _)| *id <= after).count(),
        },
    };
    let total = items.len();
    let chosen: Vec<Value> = items
        .into_iter()
        .skip(start)
        .take(limit)
        .map(|(_, v)| v)
        .collect();
    let mut links = vec![format!("<{url}>; rel=\"self\"")];
    if paged
        && start + chosen.len() < total
        && let Some(last) = chosen
            .last()
            .and_then(|v| v.get("id"))
            .and_then(Value::as_str)
    {
        {
            let mut next = url.clone();
            let kept: Vec<(String, String)> = url
                .query_pairs()
                .filter(|(k, _)| k != "after")
                .map(|(k, v)| (k.into_owned(), v.into_owned()))
                .collect();
            {
                let mut q = next.query_pairs_mut();
                q.clear();
                q.append_pair("after", last);
                for (k, v) in &kept {
                    q.append_pair(k, v);
                }
            }
            links.push(format!("<{next}>; rel=\"next\""));
        }
    }
    Ok((200, Value::Array(chosen), links))
}

pub(crate) fn expression(url: &Url) -> Result<Option<filter::Expr>, ApiErr> {
    let text = query(url, "search").or_else(|| query(url, "filter"));
    text.map(|t| {
        filter::parse(&t).map_err(|why| {
            let mut e = ApiErr::new(400, "E0000031", "Invalid search criteria.");
            e.causes.push(why);
            e
        })
    })
    .transpose()
}

pub(crate) fn sort_key(v: &Value, path: &str) -> String {
    let found = path.split('.').try_fold(v, |v, k| v.get(k));
    match found {
        Some(Value::String(s)) => s.to_lowercase(),
        Some(Value::Null) | None => String::new(),
        Some(other) => other.to_string(),
    }
}
