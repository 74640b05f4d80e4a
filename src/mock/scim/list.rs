//! The list handler: filter, sort, and page by `startIndex`/`count` or by RFC 9865 cursor;
//! `POST .search` comes here with its body as parameters.

use std::collections::HashMap;

use base64::Engine;
use serde_json::{Value, json};

use super::answer::{Failure, Outcome, Reply};
use super::config::Config;
use super::filter::{self, SortKey};
use super::kind::Kind;
use super::store::State;
use crate::scim::{AttrPath, Filter, schema};

/// A resource in a query: its creation sequence number, type and stored JSON.
type Row<'a> = (u64, Kind, &'a Value);

impl State {
    /// A query over these resource types (one endpoint, or all of them at the server root,
    /// RFC 7644 §3.4.2), in creation order unless sorted.
    pub(super) fn list(
        &mut self,
        config: &Config,
        kinds: &[Kind],
        query: &HashMap<String, String>,
    ) -> Outcome {
        let filter = match query.get("filter").filter(|f| !f.trim().is_empty()) {
            Some(text) => {
                let f = Filter::parse(text)
                    .map_err(|e| Failure::bad("invalidFilter", e.to_string()))?;
                filter::check(&f, kinds)?;
                Some(f)
            }
            None => None,
        };
        let number = |name: &str| -> Result<Option<i64>, Failure> {
            match query.get(name) {
                None => Ok(None),
                Some(v) if v.trim().is_empty() => Ok(None),
                Some(v) => v.trim().parse::<i64>().map(Some).map_err(|_| {
                    Failure::bad("invalidValue", format!("{name} must be an integer"))
                }),
            }
        };
        let count = number("count")?
            .map_or(config.max_results, |c| u64::try_from(c.max(0)).unwrap_or(0))
            .min(config.max_results);
        let cursor = query.get("cursor").filter(|_| config.cursor_paging);
        let start = match cursor {
            Some(c) if c.is_empty() => 1,
            Some(c) => {
                decode_cursor(c).ok_or_else(|| Failure::bad("invalidCursor", "unknown cursor"))?
            }
            None => number("startindex")?.map_or(1, |s| u64::try_from(s.max(1)).unwrap_or(1)),
        };
        let sort_by = query
            .get("sortby")
            .filter(|s| !s.is_empty())
            .and_then(|s| AttrPath::parse(s.trim()).ok());
        let descending = query
            .get("sortorder")
            .is_some_and(|o| o.eq_ignore_ascii_case("descending"));
        let skip = usize::try_from(start - 1).unwrap_or(usize::MAX);
        let take = usize::try_from(count).unwrap_or(usize::MAX);
        let (total, page): (u64, Vec<(Kind, &Value)>) = match kinds {
            [kind] if filter.is_none() && sort_by.is_none() => {
                let store = self.store(*kind);
                let page = store.iter().skip(skip).take(take).map(|v| (*kind, v));
                (store.len() as u64, page.collect())
            }
            _ => {
                let mut all: Vec<Row<'_>> = kinds
                    .iter()
                    .flat_map(|k| self.store(*k).iter_seq().map(|(seq, v)| (seq, *k, v)))
                    .filter(|(_, k, v)| filter.as_ref().is_none_or(|f| filter::matches(f, *k, v)))
                    .collect();
                all.sort_by_key(|(seq, _, _)| *seq);
                if let Some(path) = &sort_by {
                    let mut keyed: Vec<(Option<SortKey>, Row<'_>)> = all
                        .into_iter()
                        .map(|e| (filter::sort_key(e.1, e.2, path), e))
                        .collect();
                    // Resources without a value sort last, whatever the order.
                    keyed.sort_by(|(a, _), (b, _)| match (a, b) {
                        (Some(a), Some(b)) if descending => b.cmp(a),
                        (Some(a), Some(b)) => a.cmp(b),
                        (Some(_), None) => std::cmp::Ordering::Less,
                        (None, Some(_)) => std::cmp::Ordering::Greater,
                        (None, None) => std::cmp::Ordering::Equal,
                    });
                    all = keyed.into_iter().map(|(_, e)| e).collect();
                }
                let total = all.len() as u64;
                let page = all
                    .into_iter()
                    .skip(skip)
                    .take(take)
                    .map(|(_, k, v)| (k, v));
                (total, page.collect())
            }
        };
        let returned = page.len() as u64;
        let resources: Vec<Value> = page
            .into_iter()
            .map(|(kind, v)| self.render(kind, v, query))
            .collect();
        let mut body = json!({
            "schemas": [schema::LIST_RESPONSE],
            "totalResults": total,
            "itemsPerPage": returned,
            "startIndex": start,
            "Resources": resources,
        });
        if cursor.is_some()
            && let Some(o) = body.as_object_mut()
        {
            o.remove("startIndex");
            if start - 1 + returned < total {
                o.insert(
                    "nextCursor".into(),
                    Value::String(encode_cursor(start + returned)),
                );
            }
            if start > 1 {
                let prev = start.saturating_sub(count).max(1);
                o.insert("previousCursor".into(), Value::String(encode_cursor(prev)));
            }
        }
        Ok(Reply {
            status: 200,
            body: Some(body),
            ..Reply::default()
        })
    }
}

/// A SearchRequest body (RFC 7644 §3.4.3) as query parameters. With `strict`, its
/// `schemas` must name the SearchRequest message.
pub(super) fn search_params(body: Value, strict: bool) -> Result<HashMap<String, String>, Failure> {
    let Value::Object(map) = body else {
        return Err(Failure::bad("invalidSyntax", "not a SearchRequest"));
    };
    if strict && !names_message(&map, schema::SEARCH_REQUEST) {
        return Err(Failure::bad(
            "invalidSyntax",
            format!("schemas must be [\"{}\"]", schema::SEARCH_REQUEST),
        ));
    }
    let mut params = HashMap::new();
    for (k, v) in map {
        let text = match v {
            Value::String(s) => s,
            Value::Array(items) => items
                .iter()
                .filter_map(Value::as_str)
                .collect::<Vec<_>>()
                .join(","),
            Value::Null => continue,
            other => other.to_string(),
        };
        params.insert(k.to_ascii_lowercase(), text);
    }
    params.remove("schemas");
    Ok(params)
}

/// Whether a request body's `schemas` names `message` (RFC 7644 §3.4.3, §3.5.2, §3.7).
pub(super) fn names_message(body: &serde_json::Map<String, Value>, message: &str) -> bool {
    body.iter()
        .find(|(k, _)| k.eq_ignore_ascii_case("schemas"))
        .and_then(|(_, v)| v.as_array())
        .is_some_and(|s| {
            s.iter()
                .any(|s| s.as_str().is_some_and(|s| s.eq_ignore_ascii_case(message)))
        })
}

fn encode_cursor(index: u64) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(format!("at:{index}"))
}

fn decode_cursor(cursor: &str) -> Option<u64> {
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(cursor)
        .ok()?;
    String::from_utf8(bytes)
        .ok()?
        .strip_prefix("at:")?
        .parse()
        .ok()
        .filter(|i| *i >= 1)
}
