//! The Users handlers: list (plain, `q`, `search` / `filter`), create and update.

use crate::mock::serve::Request;
use serde_json::Value;
use url::Url;

use super::error::{ApiErr, ApiResult};
use super::list::{Routed, expression, page, sort_key};
use super::request::{body_json, profile_of, query, query_bool};
use super::state::State;
use crate::okta::UserStatus;

pub(crate) fn list_users(st: &State, url: &Url) -> Routed {
    let expr = expression(url)?;
    // The common case, a plain listing, builds JSON only for the page it returns.
    if expr.is_none() && query(url, "q").is_none() {
        let limit = query(url, "limit")
            .and_then(|l| l.parse::<usize>().ok())
            .unwrap_or(200)
            .clamp(1, 200);
        let after = query(url, "after").unwrap_or_default();
        let items = st
            .users
            .range::<String, _>((
                std::ops::Bound::Excluded(&after),
                std::ops::Bound::Unbounded,
            ))
            .map(|(_, u)| u)
            .filter(|u| u.status != UserStatus::Deprovisioned)
            .take(limit + 1)
            .map(|u| (u.id.clone(), st.user_json(u)))
            .collect();
        return page(url, items, 200, 200, true);
    }
    let all = st.users.values().map(|u| (u.id.clone(), st.user_json(u)));
    if let Some(q) = query(url, "q") {
        let q = q.to_lowercase();
        let items = all
            .filter(|(_, v)| v["status"] != "DEPROVISIONED")
            .filter(|(_, v)| {
                ["firstName", "lastName", "email"].iter().any(|k| {
                    v["profile"][k]
                        .as_str()
                        .is_some_and(|s| s.to_lowercase().starts_with(&q))
                })
            })
            .collect();
        return page(url, items, 10, 200, false);
    }
    let mut items: Vec<(String, Value)> = match &expr {
        Some(e) => all.filter(|(_, v)| e.matches(v)).collect(),
        None => all
            .filter(|(_, v)| v["status"] != "DEPROVISIONED")
            .collect(),
    };
    if let (Some(sort_by), Some(_)) = (query(url, "sortBy"), &expr) {
        items.sort_by(|a, b| {
            sort_key(&a.1, &sort_by)
                .cmp(&sort_key(&b.1, &sort_by))
                .then(a.0.cmp(&b.0))
        });
        if query(url, "sortOrder").as_deref() == Some("desc") {
            items.reverse();
        }
    }
    page(url, items, 200, 200, true)
}

pub(crate) fn create_user(st: &mut State, req: &Request, now: &str) -> ApiResult {
    let body = body_json(req)?;
    let profile = profile_of(&body)?;
    st.check_profile(&profile, None)?;
    let activate = query_bool(&req.url, "activate", true)?;
    let change_password = match query(&req.url, "nextLogin").as_deref() {
        None => false,
        Some("changePassword") => true,
        Some(other) => {
            return Err(ApiErr::validation(format!(
                "nextLogin: invalid value {other:?}"
            )));
        }
    };
    let has_password = body
        .pointer("/credentials/password/value")
        .and_then(Value::as_str)
        .is_some_and(|p| !p.is_empty());
    let group_ids: Vec<String> = body
        .get("groupIds")
        .and_then(Value::as_array)
        .map(|ids| {
            ids.iter()
                .filter_map(Value::as_str)
                .map(str::to_owned)
                .collect()
        })
        .unwrap_or_default();
    if let Some(missing) = group_ids.iter().find(|g| !st.groups.contains_key(*g)) {
        return Err(ApiErr::validation(format!(
            "groupIds: group {missing} does not exist"
        )));
    }
    let status = match (activate, has_password, change_password) {
        (false, _, _) => UserStatus::Staged,
        (true, _, true) => UserStatus::PasswordExpired,
        (true, true, false) => UserStatus::Active,
        (true, false, false) => UserStatus::Provisioned,
    };
    let id = st.insert_user(profile, status, has_password, now);
    for g in group_ids {
        st.members.insert((g, id.clone()));
    }
    let user = st.users.get(&id).ok_or_else(|| ApiErr::not_found(&id))?;
    Ok((200, st.user_json(user)))
}

pub(crate) fn update_user(
    st: &mut State,
    req: &Request,
    id: &str,
    replace: bool,
    now: &str,
) -> ApiResult {
    let id = st.user_id(id)?;
    let body = body_json(req)?;
    let changes = profile_of(&body)?;
    let current = st.users.get(&id).ok_or_else(|| ApiErr::not_found(&id))?;
    let profile = if replace {
        changes
    } else {
        let mut merged = current.profile.clone();
        merged.extend(changes);
        merged
    };
    st.check_profile(&profile, Some(&id))?;
    let set_password = body.pointer("/credentials/password/value").is_some();
    let old_login = current
        .profile
        .get("login")
        .and_then(Value::as_str)
        .map(str::to_owned);
    if let Some(u) = st.users.get_mut(&id) {
        u.profile = profile;
        u.last_updated = now.to_owned();
        if set_password {
            u.has_password = true;
            u.password_changed = Some(now.to_owned());
        }
    }
    st.index_login(&id, old_login.as_deref());
    let user = st.users.get(&id).ok_or_else(|| ApiErr::not_found(&id))?;
    Ok((200, st.user_json(user)))
}
