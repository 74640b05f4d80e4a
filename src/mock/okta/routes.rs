//! The mock org's HTTP side: authentication, rate limits, faults, routing and paging.

use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde_json::{Map, Value};
use url::Url;
use wiremock::{Request, Respond, ResponseTemplate};

use super::filter;
use super::state::{
    ApiErr, ApiResult, AssigneeKind, MockGroup, OktaRecordedRequest, State, rfc3339,
};
use super::token;
use crate::clock::Clock;
use crate::mock::{Fault, Faults};
use crate::okta::UserStatus;

pub(crate) struct Handler {
    pub state: Arc<Mutex<State>>,
    pub clock: Arc<dyn Clock>,
    pub faults: Faults,
}

/// Who is calling: an API token (all permissions) or an OAuth token with scopes.
pub(crate) enum Principal {
    ApiToken,
    OAuth(Vec<String>),
}

fn record(req: &Request) -> OktaRecordedRequest {
    let headers = req
        .headers
        .iter()
        .map(|(k, v)| {
            let name = k.as_str().to_ascii_lowercase();
            let value = v.to_str().unwrap_or_default();
            let shown = match name.as_str() {
                "authorization" => format!(
                    "{} [redacted]",
                    value.split_once(' ').map(|(s, _)| s).unwrap_or("")
                ),
                _ => value.to_owned(),
            };
            (name, shown)
        })
        .collect();
    OktaRecordedRequest {
        method: req.method.to_string(),
        path: req.url.path().to_owned(),
        query: req.url.query().map(str::to_owned),
        headers,
        body: String::from_utf8_lossy(&req.body).into_owned(),
    }
}

pub(crate) fn error_response(err: &ApiErr, request_id: &str) -> ResponseTemplate {
    let mut t = ResponseTemplate::new(err.status).set_body_json(err.body(request_id));
    for (name, value) in &err.headers {
        t = t.insert_header(*name, value.as_str());
    }
    t
}

fn epoch_secs(t: SystemTime) -> u64 {
    t.duration_since(UNIX_EPOCH).unwrap_or_default().as_secs()
}

impl Respond for Handler {
    fn respond(&self, req: &Request) -> ResponseTemplate {
        let fault = self.faults.take();
        let delay = match &fault {
            Some(Fault::Delay(d)) => Some(*d),
            _ => None,
        };
        let answer = self.answer(req, fault.and_then(|f| f.response()));
        match delay {
            Some(d) => answer.set_delay(d),
            None => answer,
        }
    }
}

impl Handler {
    fn answer(&self, req: &Request, fault: Option<ResponseTemplate>) -> ResponseTemplate {
        let mut st = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        let now = self.clock.system_now();
        st.request_count += 1;
        if st.record_requests {
            st.requests.push(record(req));
        }
        let request_id = format!("mockreq{}", st.request_count);
        let date = httpdate::fmt_http_date(now);
        let with_common = |t: ResponseTemplate| {
            t.insert_header("x-okta-request-id", request_id.as_str())
                .insert_header("date", date.as_str())
        };
        if let Some(fault) = fault {
            return with_common(fault);
        }
        if req.url.path() == "/oauth2/v1/token" {
            return with_common(token::handle(&mut st, req, now, &request_id));
        }

        // One rate-limit bucket for the whole management API.
        let mut rate_headers = None;
        if let Some(rate) = st.rate.as_mut() {
            if now >= rate.reset_at {
                rate.remaining = rate.limit;
                let reset = epoch_secs(now + rate.window)
                    + u64::from(
                        (now + rate.window)
                            .duration_since(UNIX_EPOCH)
                            .unwrap_or_default()
                            .subsec_nanos()
                            > 0,
                    );
                rate.reset_at = UNIX_EPOCH + Duration::from_secs(reset);
            }
            let exhausted = rate.remaining == 0;
            if !exhausted {
                rate.remaining -= 1;
            }
            let headers = (rate.limit, rate.remaining, epoch_secs(rate.reset_at));
            if exhausted {
                st.rate_limited += 1;
                let err = ApiErr::new(
                    429,
                    "E0000047",
                    "API call exceeded rate limit due to too many requests.",
                );
                return with_common(with_rate(error_response(&err, &request_id), headers));
            }
            rate_headers = Some(headers);
        }

        let finish = |t: ResponseTemplate| {
            let t = with_common(t);
            match rate_headers {
                Some(h) => with_rate(t, h),
                None => t,
            }
        };
        let principal = match token::authenticate(&mut st, req, now) {
            Ok(p) => p,
            Err(err) => {
                return finish(error_response(&err, &request_id));
            }
        };
        match route(&mut st, req, now, &principal) {
            Ok((status, body, links)) => {
                let mut t = ResponseTemplate::new(status);
                if status != 204 {
                    t = t.set_body_json(body);
                }
                for link in links {
                    t = t.append_header("link", link.as_str());
                }
                finish(t)
            }
            Err(err) => finish(error_response(&err, &request_id)),
        }
    }
}

fn with_rate(t: ResponseTemplate, (limit, remaining, reset): (u32, u32, u64)) -> ResponseTemplate {
    t.insert_header("x-rate-limit-limit", limit.to_string().as_str())
        .insert_header("x-rate-limit-remaining", remaining.to_string().as_str())
        .insert_header("x-rate-limit-reset", reset.to_string().as_str())
}

/// The URL as the client addressed it: the server's own base (wiremock rebuilds
/// `Request::url` from the `Host` header without the port) plus the path and query.
pub(crate) fn public_url(st: &State, req: &Request) -> Url {
    let mut url = Url::parse(&st.base).unwrap_or_else(|_| req.url.clone());
    url.set_path(req.url.path());
    url.set_query(req.url.query());
    url
}

fn percent_decode(segment: &str) -> String {
    let bytes = segment.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' && i + 2 < bytes.len() {
            let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).unwrap_or("zz");
            if let Ok(b) = u8::from_str_radix(hex, 16) {
                out.push(b);
                i += 3;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn query(url: &Url, name: &str) -> Option<String> {
    url.query_pairs()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.into_owned())
}

fn query_bool(url: &Url, name: &str, default: bool) -> Result<bool, ApiErr> {
    match query(url, name).as_deref() {
        None => Ok(default),
        Some("true") => Ok(true),
        Some("false") => Ok(false),
        Some(other) => Err(ApiErr::validation(format!(
            "{name}: invalid boolean {other:?}"
        ))),
    }
}

fn body_json(req: &Request) -> Result<Value, ApiErr> {
    serde_json::from_slice(&req.body)
        .map_err(|_| ApiErr::new(400, "E0000003", "The request body was not well-formed."))
}

fn need_scope(principal: &Principal, resource: &str, write: bool) -> Result<(), ApiErr> {
    let Principal::OAuth(scopes) = principal else {
        return Ok(());
    };
    let manage = format!("okta.{resource}.manage");
    let read = format!("okta.{resource}.read");
    let ok = scopes
        .iter()
        .any(|s| *s == manage || (!write && *s == read));
    if ok {
        Ok(())
    } else {
        Err(ApiErr::new(
            403,
            "E0000006",
            "You do not have permission to perform the requested action",
        ))
    }
}

type Routed = Result<(u16, Value, Vec<String>), ApiErr>;

fn plain(result: ApiResult) -> Routed {
    result.map(|(s, v)| (s, v, Vec::new()))
}

fn route(st: &mut State, req: &Request, now: SystemTime, principal: &Principal) -> Routed {
    let now_s = rfc3339(now);
    let segments: Vec<String> = req
        .url
        .path()
        .trim_start_matches('/')
        .split('/')
        .map(percent_decode)
        .collect();
    let segs: Vec<&str> = segments.iter().map(String::as_str).collect();
    let method = req.method.as_str();
    let write = method != "GET";
    let Some(rest) = segs.strip_prefix(&["api", "v1"]) else {
        return Err(ApiErr::new(
            404,
            "E0000022",
            "The endpoint does not support the provided HTTP method",
        ));
    };
    let resource = match rest {
        [_, _, "roles", ..] => "roles",
        ["users", ..] => "users",
        ["groups", ..] => "groups",
        _ => "",
    };
    if !resource.is_empty() {
        need_scope(principal, resource, write)?;
    }
    match (method, rest) {
        ("GET", ["users"]) => list_users(st, &public_url(st, req)),
        ("POST", ["users"]) => plain(create_user(st, req, &now_s)),
        ("GET", ["users", id]) => {
            let u = st.find_user(id).ok_or_else(|| ApiErr::not_found(id))?;
            Ok((200, st.user_json(u), Vec::new()))
        }
        ("POST" | "PUT", ["users", id]) => plain(update_user(st, req, id, method == "PUT", &now_s)),
        ("DELETE", ["users", id]) => {
            let id = st.user_id(id)?;
            plain(st.delete_user(&id, &now_s))
        }
        ("GET", ["users", id, "groups"]) => {
            let id = st.user_id(id)?;
            let items = st
                .groups
                .values()
                .filter(|g| st.members.contains(&(g.id.clone(), id.clone())))
                .map(|g| (g.id.clone(), st.group_json(g)))
                .collect();
            page(&public_url(st, req), items, 10_000, 10_000, true)
        }
        ("POST", ["users", id, "lifecycle", op]) => {
            let id = st.user_id(id)?;
            let send_email = query_bool(
                &req.url,
                "sendEmail",
                *op == "activate" || *op == "reactivate" || *op == "reset_password",
            )?;
            plain(st.lifecycle(&id, op, send_email, &now_s))
        }
        ("GET", [kind @ ("users" | "groups"), id, "roles"]) => {
            let (k, id) = assignee(st, kind, id)?;
            let roles: Vec<Value> = st
                .roles_of(k, &id)
                .into_iter()
                .map(|r| st.role_json(r))
                .collect();
            Ok((200, Value::Array(roles), Vec::new()))
        }
        ("POST", [kind @ ("users" | "groups"), id, "roles"]) => {
            let (k, id) = assignee(st, kind, id)?;
            query_bool(&req.url, "disableNotifications", false)?;
            let body = body_json(req)?;
            plain(st.assign_role(k, &id, &body, &now_s))
        }
        ("GET" | "DELETE", [kind @ ("users" | "groups"), id, "roles", ra]) => {
            let (k, id) = assignee(st, kind, id)?;
            let role = st
                .roles
                .get(*ra)
                .filter(|r| r.kind == k && r.assignee == id)
                .ok_or_else(|| {
                    ApiErr::new(
                        404,
                        "E0000007",
                        format!("Not found: Resource not found: {ra} (RoleAssignment)"),
                    )
                })?;
            if method == "GET" {
                return Ok((200, st.role_json(role), Vec::new()));
            }
            st.roles.remove(*ra);
            Ok((204, Value::Null, Vec::new()))
        }
        ("GET", ["groups"]) => list_groups(st, &public_url(st, req)),
        ("POST", ["groups"]) => plain(create_group(st, req, &now_s)),
        ("GET", ["groups", id]) => {
            let g = st.groups.get(*id).ok_or_else(|| ApiErr::not_found(id))?;
            Ok((200, st.group_json(g), Vec::new()))
        }
        ("PUT", ["groups", id]) => plain(replace_group(st, req, id, &now_s)),
        ("DELETE", ["groups", id]) => plain(st.delete_group(id)),
        ("GET", ["groups", id, "users"]) => {
            if !st.groups.contains_key(*id) {
                return Err(ApiErr::not_found(id));
            }
            let items = st
                .members
                .iter()
                .filter(|(g, _)| g == id)
                .filter_map(|(_, u)| st.users.get(u))
                .map(|u| (u.id.clone(), st.user_json(u)))
                .collect();
            page(&public_url(st, req), items, 1000, 10_000, true)
        }
        ("PUT" | "DELETE", ["groups", gid, "users", uid]) => {
            let group = st
                .groups
                .get_mut(*gid)
                .ok_or_else(|| ApiErr::not_found(gid))?;
            group.last_membership_updated = now_s.clone();
            let uid = st.user_id(uid)?;
            if method == "PUT" {
                st.members.insert(((*gid).to_owned(), uid));
            } else {
                st.members.remove(&((*gid).to_owned(), uid));
            }
            Ok((204, Value::Null, Vec::new()))
        }
        _ => Err(ApiErr::new(
            404,
            "E0000022",
            "The endpoint does not support the provided HTTP method",
        )),
    }
}

fn assignee(st: &State, kind: &str, id: &str) -> Result<(AssigneeKind, String), ApiErr> {
    if kind == "users" {
        Ok((AssigneeKind::User, st.user_id(id)?))
    } else if st.groups.contains_key(id) {
        Ok((AssigneeKind::Group, id.to_owned()))
    } else {
        Err(ApiErr::not_found(id))
    }
}

/// One page of `items` (already filtered and ordered) after the `after` cursor, with `Link`
/// headers: `self`, and `next` while items remain.
fn page(
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

fn expression(url: &Url) -> Result<Option<filter::Expr>, ApiErr> {
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

fn sort_key(v: &Value, path: &str) -> String {
    let found = path.split('.').try_fold(v, |v, k| v.get(k));
    match found {
        Some(Value::String(s)) => s.to_lowercase(),
        Some(Value::Null) | None => String::new(),
        Some(other) => other.to_string(),
    }
}

fn list_users(st: &State, url: &Url) -> Routed {
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

fn list_groups(st: &State, url: &Url) -> Routed {
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

fn profile_of(body: &Value) -> Result<Map<String, Value>, ApiErr> {
    body.get("profile")
        .and_then(Value::as_object)
        .cloned()
        .ok_or_else(|| ApiErr::validation("profile: The field cannot be left blank"))
}

fn create_user(st: &mut State, req: &Request, now: &str) -> ApiResult {
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

fn update_user(st: &mut State, req: &Request, id: &str, replace: bool, now: &str) -> ApiResult {
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
    if let Some(u) = st.users.get_mut(&id) {
        u.profile = profile;
        u.last_updated = now.to_owned();
        if set_password {
            u.has_password = true;
            u.password_changed = Some(now.to_owned());
        }
    }
    let user = st.users.get(&id).ok_or_else(|| ApiErr::not_found(&id))?;
    Ok((200, st.user_json(user)))
}

fn group_profile(
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

fn create_group(st: &mut State, req: &Request, now: &str) -> ApiResult {
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

fn replace_group(st: &mut State, req: &Request, id: &str, now: &str) -> ApiResult {
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
