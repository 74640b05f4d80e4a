//! The mock org's data and the rules Okta applies to it: lifecycle transitions, uniqueness,
//! memberships and role assignments.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::time::{Duration, SystemTime};

use crate::mock::serve::Request;
use serde_json::{Map, Value, json};
use url::Url;

use super::error::{ApiErr, ApiResult};
use crate::mock::util::Bounded;
use crate::okta::{RoleType, UserStatus};

#[derive(Debug, Clone)]
pub(crate) struct MockUser {
    pub id: String,
    pub status: UserStatus,
    pub created: String,
    pub activated: Option<String>,
    pub status_changed: Option<String>,
    pub last_updated: String,
    pub password_changed: Option<String>,
    pub profile: Map<String, Value>,
    pub has_password: bool,
}

#[derive(Debug, Clone)]
pub(crate) struct MockGroup {
    pub id: String,
    pub group_type: String,
    pub created: String,
    pub last_updated: String,
    pub last_membership_updated: String,
    pub profile: Map<String, Value>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum AssigneeKind {
    User,
    Group,
}

#[derive(Debug, Clone)]
pub(crate) struct MockRole {
    pub id: String,
    pub role_type: String,
    pub kind: AssigneeKind,
    pub assignee: String,
    pub created: String,
}

/// An OAuth access token the mock token endpoint issued.
#[derive(Debug, Clone)]
pub(crate) struct IssuedToken {
    pub scopes: Vec<String>,
    pub expires_at: SystemTime,
    /// The JWK thumbprint a DPoP-bound token is bound to.
    pub jkt: Option<String>,
}

/// A registered service app.
#[derive(Debug, Clone)]
pub(crate) struct ServiceClient {
    pub jwk: Value,
    pub scopes: Vec<String>,
    pub require_dpop: bool,
}

#[derive(Debug)]
pub(crate) struct RateWindow {
    pub limit: u32,
    pub window: Duration,
    pub remaining: u32,
    pub reset_at: SystemTime,
    /// Whether a request beyond the budget is refused (429) or only counted.
    pub enforced: bool,
}

#[derive(Debug, Default)]
pub(crate) struct State {
    pub base: String,
    pub api_tokens: HashSet<String>,
    pub users: BTreeMap<String, MockUser>,
    /// Lower-cased login → user id, so a login look-up (on every create) is not a scan of
    /// every user: seeding 50,000 users was quadratic.
    pub logins: HashMap<String, String>,
    pub groups: BTreeMap<String, MockGroup>,
    pub members: BTreeSet<(String, String)>,
    pub roles: BTreeMap<String, MockRole>,
    pub counter: u64,
    pub rate: Option<RateWindow>,
    pub rate_limited: u64,
    pub tokens: Bounded<String, IssuedToken>,
    pub tokens_issued: usize,
    pub tokens_issued_to: HashMap<String, usize>,
    pub clients: HashMap<String, ServiceClient>,
    pub seen_jti: Bounded<String, ()>,
    pub dpop_nonce: Option<String>,
    pub seen_dpop_jti: Bounded<String, ()>,
}

const STANDARD_ROLES: &[&str] = &[
    "SUPER_ADMIN",
    "ORG_ADMIN",
    "USER_ADMIN",
    "APP_ADMIN",
    "GROUP_MEMBERSHIP_ADMIN",
    "HELP_DESK_ADMIN",
    "READ_ONLY_ADMIN",
    "REPORT_ADMIN",
    "API_ACCESS_MANAGEMENT_ADMIN",
    "WORKFLOWS_ADMIN",
    "ACCESS_CERTIFICATIONS_ADMIN",
    "ACCESS_REQUESTS_ADMIN",
];

impl State {
    /// The URL as the client addressed it: the org's own base (not the `Host` header, which
    /// a proxy may change) plus the path and query.
    pub(crate) fn public_url(&self, req: &Request) -> Url {
        let mut url = Url::parse(&self.base).unwrap_or_else(|_| req.url.clone());
        url.set_path(req.url.path());
        url.set_query(req.url.query());
        url
    }

    pub(crate) fn next_id(&mut self, prefix: &str) -> String {
        self.counter += 1;
        format!("{prefix}{:017}", self.counter)
    }

    pub(crate) fn user_json(&self, u: &MockUser) -> Value {
        let mut credentials = json!({"provider": {"type": "OKTA", "name": "OKTA"}});
        if u.has_password {
            credentials["password"] = json!({});
        }
        json!({
            "id": u.id,
            "status": u.status.as_str(),
            "created": u.created,
            "activated": u.activated,
            "statusChanged": u.status_changed,
            "lastLogin": null,
            "lastUpdated": u.last_updated,
            "passwordChanged": u.password_changed,
            "type": {"id": "oty00000000000000001"},
            "profile": u.profile,
            "credentials": credentials,
            "_links": {"self": {"href": format!("{}/api/v1/users/{}", self.base, u.id)}},
        })
    }

    pub(crate) fn group_json(&self, g: &MockGroup) -> Value {
        json!({
            "id": g.id,
            "created": g.created,
            "lastUpdated": g.last_updated,
            "lastMembershipUpdated": g.last_membership_updated,
            "objectClass": ["okta:user_group"],
            "type": g.group_type,
            "profile": g.profile,
            "_links": {"self": {"href": format!("{}/api/v1/groups/{}", self.base, g.id)}},
        })
    }

    pub(crate) fn role_json(&self, r: &MockRole) -> Value {
        let label = match RoleType::from(r.role_type.as_str()) {
            RoleType::SuperAdmin => "Super Administrator",
            RoleType::OrgAdmin => "Organizational Administrator",
            RoleType::UserAdmin => "Group Administrator",
            RoleType::AppAdmin => "Application Administrator",
            RoleType::GroupMembershipAdmin => "Group Membership Administrator",
            RoleType::HelpDeskAdmin => "Help Desk Administrator",
            RoleType::ReadOnlyAdmin => "Read-only Administrator",
            RoleType::ReportAdmin => "Report Administrator",
            RoleType::ApiAccessManagementAdmin => "API Access Management Administrator",
            RoleType::WorkflowsAdmin => "Workflows Administrator",
            RoleType::AccessCertificationsAdmin => "Access Certifications Administrator",
            RoleType::AccessRequestsAdmin => "Access Requests Administrator",
            _ => "Custom",
        };
        let kind = match r.kind {
            AssigneeKind::User => "USER",
            AssigneeKind::Group => "GROUP",
        };
        let assignee_path = match r.kind {
            AssigneeKind::User => "users",
            AssigneeKind::Group => "groups",
        };
        json!({
            "id": r.id,
            "label": label,
            "type": r.role_type,
            "status": "ACTIVE",
            "created": r.created,
            "lastUpdated": r.created,
            "assignmentType": kind,
            "_links": {"assignee": {"href": format!("{}/api/v1/{assignee_path}/{}", self.base, r.assignee)}},
        })
    }

    /// A user by id or (case-insensitive) login.
    pub(crate) fn find_user(&self, id_or_login: &str) -> Option<&MockUser> {
        self.users.get(id_or_login).or_else(|| {
            self.logins
                .get(&id_or_login.to_ascii_lowercase())
                .and_then(|id| self.users.get(id))
        })
    }

    /// Keeps the login index in step with a user's profile (after an insert or an update).
    pub(crate) fn index_login(&mut self, id: &str, old: Option<&str>) {
        if let Some(old) = old {
            let old = old.to_ascii_lowercase();
            if self.logins.get(&old).map(String::as_str) == Some(id) {
                self.logins.remove(&old);
            }
        }
        let login = self
            .users
            .get(id)
            .and_then(|u| u.profile.get("login"))
            .and_then(Value::as_str)
            .map(str::to_ascii_lowercase);
        if let Some(login) = login {
            self.logins.insert(login, id.to_owned());
        }
    }

    pub(crate) fn user_id(&self, id_or_login: &str) -> Result<String, ApiErr> {
        self.find_user(id_or_login)
            .map(|u| u.id.clone())
            .ok_or_else(|| ApiErr::not_found(id_or_login))
    }

    pub(crate) fn check_profile(
        &self,
        profile: &Map<String, Value>,
        except: Option<&str>,
    ) -> Result<(), ApiErr> {
        let mut causes = Vec::new();
        for required in ["login", "email", "firstName", "lastName"] {
            if profile
                .get(required)
                .and_then(Value::as_str)
                .is_none_or(str::is_empty)
            {
                causes.push(format!("{required}: The field cannot be left blank"));
            }
        }
        if let Some(login) = profile.get("login").and_then(Value::as_str)
            && self
                .find_user(login)
                .is_some_and(|u| Some(u.id.as_str()) != except)
        {
            causes.push(
                "login: An object with this field already exists in the current organization"
                    .into(),
            );
        }
        if causes.is_empty() {
            return Ok(());
        }
        let mut err = ApiErr::new(400, "E0000001", "Api validation failed: login");
        err.causes = causes;
        Err(err)
    }

    pub(crate) fn insert_user(
        &mut self,
        profile: Map<String, Value>,
        status: UserStatus,
        has_password: bool,
        now: &str,
    ) -> String {
        let id = self.next_id("00u");
        let active = !matches!(status, UserStatus::Staged);
        self.users.insert(
            id.clone(),
            MockUser {
                id: id.clone(),
                status,
                created: now.to_owned(),
                activated: active.then(|| now.to_owned()),
                status_changed: active.then(|| now.to_owned()),
                last_updated: now.to_owned(),
                password_changed: has_password.then(|| now.to_owned()),
                profile,
                has_password,
            },
        );
        self.index_login(&id, None);
        id
    }

    pub(crate) fn set_status(&mut self, id: &str, status: UserStatus, now: &str) {
        if let Some(u) = self.users.get_mut(id) {
            if u.status != status {
                u.status = status;
                u.status_changed = Some(now.to_owned());
            }
            u.last_updated = now.to_owned();
        }
    }

    /// Applies a lifecycle operation, with Okta's rules for which statuses allow it.
    pub(crate) fn lifecycle(
        &mut self,
        id: &str,
        op: &str,
        send_email: bool,
        now: &str,
    ) -> ApiResult {
        let user = self
            .users
            .get(id)
            .ok_or_else(|| ApiErr::not_found(id))?
            .clone();
        use UserStatus as S;
        let refuse = |what: &str| {
            Err(ApiErr::new(
                403,
                "E0000038",
                format!(
                    "This operation is not allowed in the user's current status: cannot {what} a user that is {}",
                    user.status
                ),
            ))
        };
        match op {
            "activate" => {
                if !matches!(user.status, S::Staged | S::Deprovisioned) {
                    return Err(ApiErr::new(
                        403,
                        "E0000016",
                        "Activation failed because the user is already active",
                    ));
                }
                let next = if user.has_password {
                    S::Active
                } else {
                    S::Provisioned
                };
                self.set_status(id, next, now);
                if let Some(u) = self.users.get_mut(id) {
                    u.activated = Some(now.to_owned());
                }
                Ok((200, activation(&self.base, id, send_email)))
            }
            "reactivate" => {
                if user.status != S::Provisioned {
                    return refuse("reactivate");
                }
                Ok((200, activation(&self.base, id, send_email)))
            }
            "deactivate" => {
                if user.status == S::Deprovisioned {
                    return refuse("deactivate");
                }
                self.set_status(id, S::Deprovisioned, now);
                Ok((200, json!({})))
            }
            "suspend" => {
                if user.status != S::Active {
                    return Err(ApiErr::new(
                        400,
                        "E0000001",
                        "Api validation failed: Cannot suspend a user that is not active",
                    ));
                }
                self.set_status(id, S::Suspended, now);
                Ok((200, json!({})))
            }
            "unsuspend" => {
                if user.status != S::Suspended {
                    return Err(ApiErr::new(
                        400,
                        "E0000001",
                        "Api validation failed: Cannot unsuspend a user that is not suspended",
                    ));
                }
                self.set_status(id, S::Active, now);
                Ok((200, json!({})))
            }
            "unlock" => {
                if user.status != S::LockedOut {
                    return refuse("unlock");
                }
                self.set_status(id, S::Active, now);
                Ok((200, json!({})))
            }
            "reset_password" => {
                if !matches!(
                    user.status,
                    S::Active | S::PasswordExpired | S::LockedOut | S::Recovery
                ) {
                    return refuse("reset the password of");
                }
                self.set_status(id, S::Recovery, now);
                let body = if send_email {
                    json!({})
                } else {
                    json!({"resetPasswordUrl": format!("{}/reset_password/mock-{id}", self.base)})
                };
                Ok((200, body))
            }
            "expire_password" => {
                if !matches!(user.status, S::Active | S::PasswordExpired) {
                    return refuse("expire the password of");
                }
                self.set_status(id, S::PasswordExpired, now);
                let u = self.users.get(id).ok_or_else(|| ApiErr::not_found(id))?;
                Ok((200, self.user_json(u)))
            }
            _ => Err(ApiErr::new(
                404,
                "E0000022",
                "The endpoint does not support the provided HTTP method",
            )),
        }
    }

    /// `DELETE /users/{id}`: deactivates a user that is not yet deactivated; deletes a
    /// deactivated one with its memberships and roles.
    pub(crate) fn delete_user(&mut self, id: &str, now: &str) -> ApiResult {
        let status = self
            .users
            .get(id)
            .ok_or_else(|| ApiErr::not_found(id))?
            .status
            .clone();
        if status != UserStatus::Deprovisioned {
            self.set_status(id, UserStatus::Deprovisioned, now);
            return Ok((204, Value::Null));
        }
        if let Some(removed) = self.users.remove(id)
            && let Some(login) = removed.profile.get("login").and_then(Value::as_str)
        {
            self.logins.remove(&login.to_ascii_lowercase());
        }
        self.members.retain(|(_, u)| u != id);
        self.roles
            .retain(|_, r| !(r.kind == AssigneeKind::User && r.assignee == id));
        Ok((204, Value::Null))
    }

    pub(crate) fn delete_group(&mut self, id: &str) -> ApiResult {
        self.groups
            .remove(id)
            .ok_or_else(|| ApiErr::not_found(id))?;
        self.members.retain(|(g, _)| g != id);
        self.roles
            .retain(|_, r| !(r.kind == AssigneeKind::Group && r.assignee == id));
        Ok((204, Value::Null))
    }

    pub(crate) fn assign_role(
        &mut self,
        kind: AssigneeKind,
        assignee: &str,
        body: &Value,
        now: &str,
    ) -> ApiResult {
        let role_type = body
            .get("type")
            .and_then(Value::as_str)
            .ok_or_else(|| ApiErr::validation("type: The field cannot be left blank"))?;
        if role_type == "CUSTOM" {
            if body.get("role").is_none() || body.get("resource-set").is_none() {
                return Err(ApiErr::validation(
                    "A custom role assignment needs role and resource-set",
                ));
            }
        } else if !STANDARD_ROLES.contains(&role_type) {
            return Err(ApiErr::validation(format!(
                "type: Invalid role type {role_type}"
            )));
        }
        if self
            .roles
            .values()
            .any(|r| r.kind == kind && r.assignee == assignee && r.role_type == role_type)
        {
            return Err(ApiErr::new(
                409,
                "E0000090",
                "Duplicate role assignment exception",
            ));
        }
        let id = self.next_id("ra1");
        let role = MockRole {
            id: id.clone(),
            role_type: role_type.to_owned(),
            kind,
            assignee: assignee.to_owned(),
            created: now.to_owned(),
        };
        let out = self.role_json(&role);
        self.roles.insert(id, role);
        Ok((201, out))
    }

    /// The roles a user or group holds; a user's include those held through its groups.
    pub(crate) fn roles_of(&self, kind: AssigneeKind, id: &str) -> Vec<&MockRole> {
        self.roles
            .values()
            .filter(|r| {
                (r.kind == kind && r.assignee == id)
                    || (kind == AssigneeKind::User
                        && r.kind == AssigneeKind::Group
                        && self.members.contains(&(r.assignee.clone(), id.to_owned())))
            })
            .collect()
    }
}

fn activation(base: &str, id: &str, send_email: bool) -> Value {
    if send_email {
        json!({})
    } else {
        json!({
            "activationUrl": format!("{base}/welcome/mock-activation-{id}"),
            "activationToken": format!("mock-activation-{id}"),
        })
    }
}
