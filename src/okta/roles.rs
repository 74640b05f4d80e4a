//! Admin roles: list, assign, get and unassign, for users and for groups.

use std::future::IntoFuture;

use http::Method;
use serde::Serialize;

use super::client::OktaClient;
use super::model::{RoleAssignment, RoleType};
use crate::auth::BoxFuture;
use crate::error::Result;

/// Admin role assignments: from [`OktaClient::roles`].
#[derive(Debug, Clone)]
pub struct Roles {
    client: OktaClient,
}

/// Who holds a role: a user or a group.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Assignee<'a> {
    /// A user, by id.
    User(&'a str),
    /// A group, by id (its members hold the role).
    Group(&'a str),
}

impl Assignee<'_> {
    fn segments(&self) -> [&str; 2] {
        match self {
            Assignee::User(id) => ["users", id],
            Assignee::Group(id) => ["groups", id],
        }
    }
}

/// A role assignment to send; `.await` it, optionally after
/// [`disable_notifications`](Self::disable_notifications).
///
/// ```
/// # async fn f(okta: scimkit::okta::OktaClient) -> scimkit::Result<()> {
/// use scimkit::okta::RoleType;
/// let assignment = okta.roles()
///     .assign_to_user("00u1", RoleType::ReadOnlyAdmin)
///     .disable_notifications(true)
///     .await?;
/// # let _ = assignment; Ok(()) }
/// ```
#[derive(Debug)]
#[must_use = "an assignment does nothing until awaited"]
pub struct AssignRole<'a> {
    roles: &'a Roles,
    assignee: Assignee<'a>,
    role: RoleType,
    disable_notifications: bool,
}

impl AssignRole<'_> {
    /// `disableNotifications`: do not email the admins about this assignment (default
    /// `false`).
    pub fn disable_notifications(mut self, disable: bool) -> Self {
        self.disable_notifications = disable;
        self
    }
}

#[derive(Serialize)]
struct AssignBody<'a> {
    #[serde(rename = "type")]
    role_type: &'a RoleType,
}

impl<'a> IntoFuture for AssignRole<'a> {
    type Output = Result<RoleAssignment>;
    type IntoFuture = BoxFuture<'a, Result<RoleAssignment>>;

    fn into_future(self) -> Self::IntoFuture {
        Box::pin(async move {
            let [kind, id] = self.assignee.segments();
            let mut url = self.roles.client.api_url(&[kind, id, "roles"])?;
            if self.disable_notifications {
                url.query_pairs_mut()
                    .append_pair("disableNotifications", "true");
            }
            self.roles
                .client
                .send_body(
                    Method::POST,
                    url,
                    &AssignBody {
                        role_type: &self.role,
                    },
                )
                .await
        })
    }
}

impl OktaClient {
    /// Admin role assignments.
    pub fn roles(&self) -> Roles {
        Roles::new(self.clone())
    }
}

impl Roles {
    pub(crate) fn new(client: OktaClient) -> Self {
        Roles { client }
    }

    fn url(&self, assignee: Assignee<'_>, assignment_id: Option<&str>) -> Result<url::Url> {
        let [kind, id] = assignee.segments();
        match assignment_id {
            Some(a) => self.client.api_url(&[kind, id, "roles", a]),
            None => self.client.api_url(&[kind, id, "roles"]),
        }
    }

    /// `GET /api/v1/{users|groups}/{id}/roles`: the roles assigned.
    pub async fn list(&self, assignee: Assignee<'_>) -> Result<Vec<RoleAssignment>> {
        self.client.get(self.url(assignee, None)?).await
    }

    /// The roles assigned to a user.
    pub async fn list_for_user(&self, user_id: &str) -> Result<Vec<RoleAssignment>> {
        self.list(Assignee::User(user_id)).await
    }

    /// The roles assigned to a group.
    pub async fn list_for_group(&self, group_id: &str) -> Result<Vec<RoleAssignment>> {
        self.list(Assignee::Group(group_id)).await
    }

    /// `POST /api/v1/{users|groups}/{id}/roles` with `{"type": ..}`: assigns a standard role.
    pub fn assign<'a>(&'a self, assignee: Assignee<'a>, role: RoleType) -> AssignRole<'a> {
        AssignRole {
            roles: self,
            assignee,
            role,
            disable_notifications: false,
        }
    }

    /// Assigns a role to a user.
    pub fn assign_to_user<'a>(&'a self, user_id: &'a str, role: RoleType) -> AssignRole<'a> {
        self.assign(Assignee::User(user_id), role)
    }

    /// Assigns a role to a group.
    pub fn assign_to_group<'a>(&'a self, group_id: &'a str, role: RoleType) -> AssignRole<'a> {
        self.assign(Assignee::Group(group_id), role)
    }

    /// `GET /api/v1/{users|groups}/{id}/roles/{roleAssignmentId}`.
    pub async fn get(&self, assignee: Assignee<'_>, assignment_id: &str) -> Result<RoleAssignment> {
        self.client
            .get(self.url(assignee, Some(assignment_id))?)
            .await
    }

    /// `DELETE /api/v1/{users|groups}/{id}/roles/{roleAssignmentId}`.
    pub async fn unassign(&self, assignee: Assignee<'_>, assignment_id: &str) -> Result<()> {
        self.client
            .send_empty(Method::DELETE, self.url(assignee, Some(assignment_id))?)
            .await
    }

    /// Unassigns a role from a user by assignment id.
    pub async fn unassign_from_user(&self, user_id: &str, assignment_id: &str) -> Result<()> {
        self.unassign(Assignee::User(user_id), assignment_id).await
    }

    /// Unassigns a role from a group by assignment id.
    pub async fn unassign_from_group(&self, group_id: &str, assignment_id: &str) -> Result<()> {
        self.unassign(Assignee::Group(group_id), assignment_id)
            .await
    }

    /// Unassigns every assignment of `role` held directly by `assignee` (one list request,
    /// then one delete per match); returns how many were removed (0 when none).
    pub async fn unassign_type(&self, assignee: Assignee<'_>, role: &RoleType) -> Result<usize> {
        let assignments = self.list(assignee).await?;
        let mut removed = 0;
        for a in assignments.iter().filter(|a| &a.role_type == role) {
            if held_directly(assignee, a) {
                self.unassign(assignee, &a.id).await?;
                removed += 1;
            }
        }
        Ok(removed)
    }
}

/// A user's listing also shows roles the user holds through a group
/// (`assignmentType: GROUP`); those can only be removed from the group.
fn held_directly(assignee: Assignee<'_>, a: &RoleAssignment) -> bool {
    match assignee {
        Assignee::User(_) => a.assignment_type.as_deref() != Some("GROUP"),
        Assignee::Group(_) => true,
    }
}
