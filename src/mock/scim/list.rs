//! The list handler: filter, sort, and page by `startIndex`/`count` or by RFC 9865 cursor;
//! `POST .search` comes here with its body as parameters.

use std::collections::HashMap;

use base64::Engine;
use serde_json::{Value, json};

use super::answer::{Failure, Outcome, Reply};
use super::config::Config;
use super::store::{Kind, State};
use crate::scim::{AttrPath, Filter, schema};

impl State {
    pub(super) fn list(
        &mut self,
        config: &Config,
        kind: Kind,
        query: &HashMap<String, String>,
    ) -> Outcome {
        let filter = match query.get("filter").filter(|f| !f.trim().is_empty()) {
            Some(text) => Some(
                Filter::parse(text).map_err(|e| Failure::bad("invalidFilter", e.to_string()))?,
            ),
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
        let sort_by = query.get("sortby").filter(|s| !s.is_empty());
        let descending = query
            .get("sortorder")
            .is_some_and(|o| o.eq_ignore_ascii_case("descending"));
        let store = self.store(kind);
        let (total, page): (u64, Vec<&Value>) = if filter.is_none() && sort_by.is_none() {
            let total = store.len() as u64;
            let page = store
                .iter()
                .skip(usize::try_from(start - 1).unwrap_or(usize::MAX))
                .take(usize::try_from(count).unwrap_or(usize::MAX))
                .collect();
            (total, page)
        } else {
            let mut all: Vec<&Value> = store
                .iter()
                .filter(|v| filter.as_ref().is_none_or(|f| f.matches_json(v)))
                .collect();
            if let Some(sort_by) = sort_by {
                let path = crate::scim::AttrPath::new(sort_by);
                all.sort_by_cached_key(|v| sort_key(v, &path));
                if descending {
                    all.reverse();
                }
            }
            let total = all.len() as u64;
            let page = all
                .into_iter()
                .skip(usize::try_from(start - 1).unwrap_or(usize::MAX))
                .take(usize::try_from(count).unwrap_or(usize::MAX))
                .collect();
            (total, page)
        };
        let returned = page.len() as u64;
        let resources: Vec<Value> = page
            .into_iter()
            .map(|v| self.render(kind, v, query))
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

pub(super) fn search_params(body: Value) -> Result<HashMap<String, String>, Failure> {
    let Value::Object(map) = body else {
        return Err(Failure::bad("invalidSyntax", "not a SearchRequest"));
    };
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

fn sort_key(v: &Value, path: &AttrPath) -> String {
    let found = v.as_object().and_then(|o| {
        let base = match &path.urn {
            Some(urn) => o
                .iter()
                .find(|(k, _)| k.eq_ignore_ascii_case(urn))
                .map(|(_, v)| v)
                .and_then(Value::as_object)
                .unwrap_or(o),
            None => o,
        };
        let attr = base
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(&path.name))
            .map(|(_, v)| v)?;
        match &path.sub {
            Some(sub) => attr
                .as_object()?
                .iter()
                .find(|(k, _)| k.eq_ignore_ascii_case(sub))
                .map(|(_, v)| v),
            None => Some(attr),
        }
    });
    match found {
        Some(Value::String(s)) => s.to_lowercase(),
        Some(other) => other.to_string(),
        None => String::from("\u{10FFFF}"),
    }
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
