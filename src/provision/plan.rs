//! [`Plan`]: what a run will write, per target, computed without writing anything.

use std::fmt;
use std::sync::Arc;

use super::{Capabilities, MappingError, SourceGroup};
use crate::scim::{OwnedAttributes, Patch, User};
use crate::{Error, Result};

/// A user kept as JSON text (a plan of 10,000 users holds them all), decoded on demand.
fn decode(json: &str) -> Result<User> {
    serde_json::from_str(json)
        .map_err(|e| Error::Config(format!("could not decode a planned user: {e}")))
}

/// What to do with users who are no longer in any group pushed to a target.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Deprovision {
    /// Set `active` to `false` (the default): the account stays, and comes back active
    /// when the user returns to a pushed group.
    #[default]
    Deactivate,
    /// Delete the user on the target.
    Delete,
    /// Leave the user as it is; only take it out of the pushed groups.
    LeaveActive,
}

impl fmt::Display for Deprovision {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Deprovision::Deactivate => "deactivate",
            Deprovision::Delete => "delete",
            Deprovision::LeaveActive => "leave active",
        })
    }
}

/// What a run will do: one [`TargetPlan`] per target. Computed by
/// [`Provisioner::plan`](super::Provisioner::plan), which only reads; printing it is a dry
/// run (`{}` shows the first items of each kind, `{:#}` all of them).
#[derive(Debug, Clone, Default)]
#[non_exhaustive]
pub struct Plan {
    /// Per target, in the order the targets were given.
    pub targets: Vec<TargetPlan>,
}

impl Plan {
    /// Whether applying the plan writes nothing.
    pub fn is_empty(&self) -> bool {
        self.targets.iter().all(TargetPlan::is_empty)
    }

    /// The plan for one target.
    pub fn target(&self, name: &str) -> Option<&TargetPlan> {
        self.targets.iter().find(|t| t.target == name)
    }
}

/// What a run will do on one target.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct TargetPlan {
    /// The target's name.
    pub target: String,
    /// What the target supports, and so how it is written to.
    pub capabilities: Capabilities,
    /// The user attributes the engine owns (the only ones an update changes).
    pub owned: OwnedAttributes,
    /// Users to create.
    pub creates: Vec<UserCreate>,
    /// Existing users to change (owned attributes only).
    pub updates: Vec<UserUpdate>,
    /// Users no longer in any pushed group, to deactivate or delete.
    pub deprovisions: Vec<UserDeprovision>,
    /// One per pushed group: to create, or to change (name, members).
    pub groups: Vec<GroupPlan>,
    /// Source users that could not be mapped; a target user with their source id as
    /// `externalId` is left alone.
    pub unmappable: Vec<Unmappable>,
    /// Users already as the source wants them.
    pub unchanged_users: usize,
}

impl TargetPlan {
    /// Whether applying this writes nothing to the target.
    pub fn is_empty(&self) -> bool {
        self.creates.is_empty()
            && self.updates.is_empty()
            && self.deprovisions.is_empty()
            && self.groups.iter().all(GroupPlan::is_empty)
    }
}

/// A user to create.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct UserCreate {
    /// The source user's id.
    pub source_id: Arc<str>,
    /// The user's `userName`.
    pub user_name: Arc<str>,
    pub(crate) json: Arc<str>,
}

impl UserCreate {
    /// The user as it will be sent.
    pub fn user(&self) -> Result<User> {
        decode(&self.json)
    }
}

/// An existing target user to change.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct UserUpdate {
    /// The target's id of the user.
    pub id: String,
    /// The source user's id.
    pub source_id: Arc<str>,
    /// The user's `userName` (as the source wants it).
    pub user_name: Arc<str>,
    /// Whether the target user was matched by `userName` rather than `externalId`: a user
    /// made by hand or by another tool, adopted.
    pub adopted: bool,
    /// The changes, limited to owned attributes.
    pub patch: Patch,
    pub(crate) desired: Arc<str>,
}

impl UserUpdate {
    /// The user as the source wants it (what a `PUT` takes the owned attributes from, on
    /// targets without PATCH).
    pub fn desired(&self) -> Result<User> {
        decode(&self.desired)
    }
}

/// A user to deactivate or delete.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct UserDeprovision {
    /// The target's id of the user.
    pub id: String,
    /// The user's `userName` on the target.
    pub user_name: String,
    /// [`Deprovision::Deactivate`] or [`Deprovision::Delete`].
    pub action: Deprovision,
}

/// A group member in a plan: a user the target has, or one the run creates first.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum MemberRef {
    /// A user the target has, by its id.
    Existing {
        /// The target's id.
        id: Arc<str>,
        /// The user's `userName`.
        user_name: Arc<str>,
    },
    /// A user this run creates (its id is known once created).
    Created {
        /// The source user's id.
        source_id: Arc<str>,
        /// The user's `userName`.
        user_name: Arc<str>,
    },
}

impl MemberRef {
    /// The member's `userName`.
    pub fn user_name(&self) -> &str {
        match self {
            MemberRef::Existing { user_name, .. } | MemberRef::Created { user_name, .. } => {
                user_name
            }
        }
    }
}

/// One pushed group on a target.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct GroupPlan {
    /// The source group.
    pub source: SourceGroup,
    /// The target's id of the group; `None` when the run creates it.
    pub target_id: Option<String>,
    /// Changes to an existing group's `displayName` / `externalId`.
    pub changes: Patch,
    /// Members to add (all of them for a group to create).
    pub add: Vec<MemberRef>,
    /// Members to remove, by the target's id.
    pub remove: Vec<String>,
}

impl GroupPlan {
    /// Whether nothing changes on this group.
    pub fn is_empty(&self) -> bool {
        self.target_id.is_some()
            && self.changes.is_empty()
            && self.add.is_empty()
            && self.remove.is_empty()
    }
}

/// A source user that could not be mapped.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Unmappable {
    /// The source user's id.
    pub source_id: String,
    /// How the source names the user.
    pub label: String,
    /// Why.
    pub error: MappingError,
}

/// How many items of one kind `{}` prints before "… and N more".
const SHOWN: usize = 20;

fn list<T>(
    f: &mut fmt::Formatter<'_>,
    items: &[T],
    all: bool,
    line: impl Fn(&mut fmt::Formatter<'_>, &T) -> fmt::Result,
) -> fmt::Result {
    let shown = if all {
        items.len()
    } else {
        SHOWN.min(items.len())
    };
    for item in items.iter().take(shown) {
        line(f, item)?;
    }
    if shown < items.len() {
        writeln!(f, "    … and {} more", items.len() - shown)?;
    }
    Ok(())
}

fn paths(patch: &Patch) -> String {
    patch
        .operations
        .iter()
        .map(|op| op.path.as_deref().unwrap_or("(resource)"))
        .collect::<Vec<_>>()
        .join(", ")
}

impl fmt::Display for TargetPlan {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let all = f.alternate();
        writeln!(f, "target {:?} ({})", self.target, self.capabilities)?;
        let (deactivate, delete) =
            self.deprovisions
                .iter()
                .fold((0, 0), |(a, d), p| match p.action {
                    Deprovision::Delete => (a, d + 1),
                    _ => (a + 1, d),
                });
        writeln!(
            f,
            "  users: {} to create, {} to update, {deactivate} to deactivate, {delete} to delete, {} unchanged, {} unmappable",
            self.creates.len(),
            self.updates.len(),
            self.unchanged_users,
            self.unmappable.len()
        )?;
        list(f, &self.creates, all, |f, c| {
            writeln!(f, "    + create user {}", c.user_name)
        })?;
        list(f, &self.updates, all, |f, u| {
            let adopted = if u.adopted {
                " (adopted by userName)"
            } else {
                ""
            };
            writeln!(
                f,
                "    ~ update user {}{adopted}: {}",
                u.user_name,
                paths(&u.patch)
            )
        })?;
        list(f, &self.deprovisions, all, |f, d| {
            writeln!(f, "    - {} user {}", d.action, d.user_name)
        })?;
        list(f, &self.unmappable, all, |f, u| {
            writeln!(f, "    ! cannot map {}: {}", u.label, u.error)
        })?;
        let changed: Vec<&GroupPlan> = self.groups.iter().filter(|g| !g.is_empty()).collect();
        writeln!(
            f,
            "  groups: {} pushed, {} to create, {} to change",
            self.groups.len(),
            self.groups.iter().filter(|g| g.target_id.is_none()).count(),
            changed.iter().filter(|g| g.target_id.is_some()).count(),
        )?;
        list(f, &changed, all, |f, g| {
            if g.target_id.is_none() {
                writeln!(
                    f,
                    "    + create group {} with {} members",
                    g.source.name,
                    g.add.len()
                )
            } else {
                write!(
                    f,
                    "    ~ group {}: +{} members, -{} members",
                    g.source.name,
                    g.add.len(),
                    g.remove.len()
                )?;
                if !g.changes.is_empty() {
                    write!(f, ", {}", paths(&g.changes))?;
                }
                writeln!(f)
            }
        })
    }
}

impl fmt::Display for Plan {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for target in &self.targets {
            if f.alternate() {
                write!(f, "{target:#}")?;
            } else {
                write!(f, "{target}")?;
            }
        }
        if self.is_empty() {
            writeln!(f, "nothing to write")?;
        }
        Ok(())
    }
}
