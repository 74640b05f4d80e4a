//! The Groups handlers: list, create and replace, with unique names.

use crate::mock::serve::Request;
use serde_json::{Map, Value};
use url::Url;

use super::error::{ApiErr, ApiResult};
use super::list::{Routed, expression, page, sort_key};
use super::request::{body_json, profile_of, query};
use super::state::{MockGroup, State};

pub(crate) fn list_groups(st: &State, url: &Url) -> Routed {
    let expr = expression(url)?;
    let q = query(url, "q").map(|q| q.to_lowercase());
    let mut items: Vec<(String, Value)> = st
        .groups
        .values()
        .map(|g| (g.id.clone(), st.group_json(g)))
        .filter(|(_, v)| expr.as_ref().is_none_or(|e| e.matches(v)))
        .filter(|(_, v)| {
            q.as_ref().is_none_or(|q| {
                v["profile"]["name"]
                    .as_str()
                    .is_some_and(|n| n.to_lowercase().starts_with(q))
            })
        })
        .collect();
    if let Some(sort_by) = query(url, "sortBy") {
        items.sort_by(|a, b| {
            sort_key(&a.1, &sort_by)
                .cmp(&sort_key(&b.1, &sort_by))
                .then(a.0.cmp(&b.0))
        });
        if query(url, "sortOrder").as_deref() == Some("desc") {
            items.reverse();
        }
    }
    page(url, items, 10_000, 10_000, true)
}

pub(crate) fn group_profile(
    st: &State,
    body: &Value,
    except: Option<&str>,
) -> Result<Map<String, Value>, ApiErr> {
    let profile = profile_of(body)?;
    let name = profile
        .get("name")
        .and_then(Value::as_str)
        .filter(|n| !n.is_empty())
        .ok_or_else(|| ApiErr::validation("name: The field cannot be left blank"))?;
    if st.groups.values().any(|g| {
        Some(g.id.as_str()) != except
            && g.profile
                .get("name")
                .and_then(Value::as_str)
                .is_some_and(|n| n.eq_ignore_ascii_case(name))
    }) {
        return Err(ApiErr::validation(
            "name: An object with this field already exists in the current organization",
        ));
    }
    Ok(profile)
}

pub(crate) fn create_group(st: &mut State, req: &Request, now: &str) -> ApiResult {
    let body = body_json(req)?;
    let profile = group_profile(st, &body, None)?;
    let id = st.next_id("00g");
    let group = MockGroup {
        id: id.clone(),
        group_type: "OKTA_GROUP".into(),
        created: now.to_owned(),
        last_updated: now.to_owned(),
        last_membership_updated: now.to_owned(),
        profile,
    };
    let out = st.group_json(&group);
    st.groups.insert(id, group);
    Ok((200, out))
}

pub(crate) fn replace_group(st: &mut State, req: &Request, id: &str, now: &str) -> ApiResult {
    let body = body_json(req)?;
    let group_type = st
        .groups
        .get(id)
        .ok_or_else(|| ApiErr::not_found(id))?
        .group_type
        .clone();
    if group_type != "OKTA_GROUP" {
        return Err(ApiErr::new(
            403,
            "E0000006",
            "You do not have permission to perform the requested action",
        ));
    }
    let profile = group_profile(st, &body, Some(id))?;
    let group = st.groups.get_mut(id).ok_or_else(|| ApiErr::not_found(id))?;
    group.profile = profile;
    group.last_updated = now.to_owned();
    let g = group.clone();
    Ok((200, st.group_json(&g)))
}
