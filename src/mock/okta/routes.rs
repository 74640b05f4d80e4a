//! Routing a management API request to its handler, after the caller's scopes are checked.

use std::time::SystemTime;

use crate::mock::serve::Request;
use serde_json::Value;

use super::error::{ApiErr, ApiResult};
use super::groups::{create_group, list_groups, replace_group};
use super::list::{Routed, page};
use super::request::{body_json, query_bool};
use super::state::{AssigneeKind, State};
use super::token::Principal;
use super::users::{create_user, list_users, update_user};
use crate::mock::util::{percent_decode, rfc3339};

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

fn plain(result: ApiResult) -> Routed {
    result.map(|(s, v)| (s, v, Vec::new()))
}

pub(crate) fn route(
    st: &mut State,
    req: &Request,
    now: SystemTime,
    principal: &Principal,
) -> Routed {
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
        ("GET", ["users"]) => list_users(st, &st.public_url(req)),
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
            page(&st.public_url(req), items, 10_000, 10_000, true)
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
        ("GET", ["groups"]) => list_groups(st, &st.public_url(req)),
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
            page(&st.public_url(req), items, 1000, 10_000, true)
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
