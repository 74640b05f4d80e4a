//! [`Report`]: what a run did, item by item, per target.

use std::fmt;
use std::sync::Arc;

use super::MappingError;
use crate::Error;

/// What one item of a run did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Action {
    /// Map a source user (only reported when it could not be mapped).
    MapUser,
    /// Create a user.
    CreateUser,
    /// Change an existing user's owned attributes.
    UpdateUser,
    /// Set a user's `active` to `false`.
    DeactivateUser,
    /// Delete a user.
    DeleteUser,
    /// Create a group (with its first members).
    CreateGroup,
    /// Change a group's `displayName` / `externalId`.
    UpdateGroup,
    /// Add this many members to a group.
    AddMembers(usize),
    /// Remove this many members from a group.
    RemoveMembers(usize),
}

impl fmt::Display for Action {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Action::MapUser => f.write_str("map user"),
            Action::CreateUser => f.write_str("create user"),
            Action::UpdateUser => f.write_str("update user"),
            Action::DeactivateUser => f.write_str("deactivate user"),
            Action::DeleteUser => f.write_str("delete user"),
            Action::CreateGroup => f.write_str("create group"),
            Action::UpdateGroup => f.write_str("update group"),
            Action::AddMembers(n) => write!(f, "add {n} members to"),
            Action::RemoveMembers(n) => write!(f, "remove {n} members from"),
        }
    }
}

/// Why an item was not attempted.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum SkipReason {
    /// The members are users whose creation failed in this run.
    UsersNotCreated,
    /// The group could not be created, so nothing was added to it.
    GroupNotCreated,
}

impl fmt::Display for SkipReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            SkipReason::UsersNotCreated => "the users were not created",
            SkipReason::GroupNotCreated => "the group was not created",
        })
    }
}

/// How one item ended.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum Outcome {
    /// Written.
    Done,
    /// The target refused it or could not be reached; the rest of the run went on.
    Failed(Error),
    /// The source user could not be mapped.
    Unmappable(MappingError),
    /// Not attempted.
    Skipped(SkipReason),
}

impl Outcome {
    /// Whether the item was written.
    pub fn is_done(&self) -> bool {
        matches!(self, Outcome::Done)
    }
}

impl fmt::Display for Outcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Outcome::Done => f.write_str("done"),
            Outcome::Failed(e) => write!(f, "failed: {e}"),
            Outcome::Unmappable(e) => write!(f, "unmappable: {e}"),
            Outcome::Skipped(r) => write!(f, "skipped: {r}"),
        }
    }
}

/// One item of a run.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct ItemReport {
    /// The target's name.
    pub target: Arc<str>,
    /// What was done.
    pub action: Action,
    /// To what: a `userName`, a group's `displayName`, a source user's label.
    pub subject: Arc<str>,
    /// How it ended.
    pub outcome: Outcome,
}

impl ItemReport {
    pub(crate) fn new(
        target: &Arc<str>,
        action: Action,
        subject: impl Into<Arc<str>>,
        outcome: Outcome,
    ) -> Self {
        ItemReport {
            target: target.clone(),
            action,
            subject: subject.into(),
            outcome,
        }
    }
}

impl fmt::Display for ItemReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "[{}] {} {}: {}",
            self.target, self.action, self.subject, self.outcome
        )
    }
}

/// Counts of a run's items.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Summary {
    /// Users created.
    pub users_created: usize,
    /// Users updated.
    pub users_updated: usize,
    /// Users deactivated.
    pub users_deactivated: usize,
    /// Users deleted.
    pub users_deleted: usize,
    /// Users already as wanted.
    pub users_unchanged: usize,
    /// Groups created.
    pub groups_created: usize,
    /// Groups renamed or given their `externalId`.
    pub groups_updated: usize,
    /// Members added.
    pub members_added: usize,
    /// Members removed.
    pub members_removed: usize,
    /// Items that failed.
    pub failed: usize,
    /// Source users that could not be mapped.
    pub unmappable: usize,
    /// Items not attempted.
    pub skipped: usize,
}

impl Summary {
    fn add(&mut self, item: &ItemReport) {
        match &item.outcome {
            Outcome::Failed(_) => self.failed += 1,
            Outcome::Unmappable(_) => self.unmappable += 1,
            Outcome::Skipped(_) => self.skipped += 1,
            Outcome::Done => match item.action {
                Action::MapUser => {}
                Action::CreateUser => self.users_created += 1,
                Action::UpdateUser => self.users_updated += 1,
                Action::DeactivateUser => self.users_deactivated += 1,
                Action::DeleteUser => self.users_deleted += 1,
                Action::CreateGroup => self.groups_created += 1,
                Action::UpdateGroup => self.groups_updated += 1,
                Action::AddMembers(n) => self.members_added += n,
                Action::RemoveMembers(n) => self.members_removed += n,
            },
        }
    }

    /// Writes made (items done).
    pub fn writes(&self) -> usize {
        self.users_created
            + self.users_updated
            + self.users_deactivated
            + self.users_deleted
            + self.groups_created
            + self.groups_updated
            + self.members_added
            + self.members_removed
    }
}

/// What a run did on one target.
#[derive(Debug, Clone, Default)]
#[non_exhaustive]
pub struct TargetReport {
    /// The target's name.
    pub target: String,
    /// Every item, in the order they finished.
    pub items: Vec<ItemReport>,
    /// Users that needed no change.
    pub unchanged_users: usize,
}

impl TargetReport {
    /// The counts.
    pub fn summary(&self) -> Summary {
        let mut summary = Summary {
            users_unchanged: self.unchanged_users,
            ..Summary::default()
        };
        self.items.iter().for_each(|i| summary.add(i));
        summary
    }

    /// The items that failed, could not be mapped or were skipped.
    pub fn problems(&self) -> impl Iterator<Item = &ItemReport> {
        self.items.iter().filter(|i| !i.outcome.is_done())
    }
}

/// What a run did: one [`TargetReport`] per target, every item with its [`Outcome`].
#[derive(Debug, Clone, Default)]
#[non_exhaustive]
pub struct Report {
    /// Per target, in the order the targets were given.
    pub targets: Vec<TargetReport>,
}

impl Report {
    /// The counts over every target.
    pub fn summary(&self) -> Summary {
        let mut summary = Summary::default();
        for target in &self.targets {
            summary.users_unchanged += target.unchanged_users;
            target.items.iter().for_each(|i| summary.add(i));
        }
        summary
    }

    /// Whether every item was done (nothing failed, skipped or unmappable).
    pub fn is_success(&self) -> bool {
        self.items().all(|i| i.outcome.is_done())
    }

    /// Every item of every target.
    pub fn items(&self) -> impl Iterator<Item = &ItemReport> {
        self.targets.iter().flat_map(|t| t.items.iter())
    }

    /// The items that failed, could not be mapped or were skipped.
    pub fn problems(&self) -> impl Iterator<Item = &ItemReport> {
        self.items().filter(|i| !i.outcome.is_done())
    }

    /// The report for one target.
    pub fn target(&self, name: &str) -> Option<&TargetReport> {
        self.targets.iter().find(|t| t.target == name)
    }
}

impl fmt::Display for Report {
    /// A summary table, one row per target, then the problems (the first 20; `{:#}` all).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let width = self
            .targets
            .iter()
            .map(|t| t.target.chars().count())
            .chain(std::iter::once(6))
            .max()
            .unwrap_or(6);
        writeln!(
            f,
            "| {:<width$} | created | updated | deactivated | deleted | unchanged | groups new | +members | -members | failed | unmappable | skipped |",
            "target"
        )?;
        writeln!(
            f,
            "|{:-<w$}|---------|---------|-------------|---------|-----------|------------|----------|----------|--------|------------|---------|",
            "",
            w = width + 2
        )?;
        for t in &self.targets {
            let s = t.summary();
            writeln!(
                f,
                "| {:<width$} | {:>7} | {:>7} | {:>11} | {:>7} | {:>9} | {:>10} | {:>8} | {:>8} | {:>6} | {:>10} | {:>7} |",
                t.target,
                s.users_created,
                s.users_updated,
                s.users_deactivated,
                s.users_deleted,
                s.users_unchanged,
                s.groups_created,
                s.members_added,
                s.members_removed,
                s.failed,
                s.unmappable,
                s.skipped
            )?;
        }
        let problems: Vec<&ItemReport> = self.problems().collect();
        let shown = if f.alternate() {
            problems.len()
        } else {
            problems.len().min(20)
        };
        for p in problems.iter().take(shown) {
            writeln!(f, "{p}")?;
        }
        if shown < problems.len() {
            writeln!(f, "… and {} more problems", problems.len() - shown)?;
        }
        Ok(())
    }
}
