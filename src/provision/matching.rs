//! Matching target resources to source ones: users by `externalId`, then by `userName`
//! ignoring case; groups by `externalId`, then by `displayName` ignoring case. So users and
//! groups made by hand or by an earlier tool are adopted, not duplicated.

use std::collections::{HashMap, HashSet};

use crate::scim::{Group, User};

/// How a target user was matched.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum MatchedBy {
    ExternalId,
    UserName,
}

/// A target user matched to a wanted one.
pub(super) struct Candidate {
    pub(super) by: MatchedBy,
    pub(super) user: User,
}

/// A target user matched to no wanted user, but a member of a pushed group.
pub(super) struct Other {
    pub(super) user_name: String,
    pub(super) active: Option<bool>,
}

/// The wanted users of one target, and what the target has for them.
pub(super) struct UserMatcher<'a> {
    by_external_id: HashMap<&'a str, usize>,
    by_user_name: HashMap<&'a str, usize>,
    frozen_external_ids: &'a HashSet<String>,
    managed: &'a HashSet<String>,
    /// Per wanted user (by position), its best match so far.
    pub(super) found: Vec<Option<Candidate>>,
    /// Members of pushed groups that match no wanted user, by id.
    pub(super) others: HashMap<String, Other>,
    /// Target users left alone: their `externalId` is a source user that could not be mapped.
    pub(super) frozen: HashSet<String>,
    /// Every target user offered, by id.
    seen: HashSet<String>,
}

impl<'a> UserMatcher<'a> {
    /// `wanted`: each wanted user's `externalId` (if the mapping set one) and lowercased
    /// `userName`, in order. The first of two wanted users with one key keeps it (the
    /// planner reports the second as a conflict before it gets here).
    pub(super) fn new(
        wanted: impl IntoIterator<Item = (Option<&'a str>, &'a str)>,
        frozen_external_ids: &'a HashSet<String>,
        managed: &'a HashSet<String>,
    ) -> Self {
        let mut by_external_id = HashMap::new();
        let mut by_user_name = HashMap::new();
        let mut count = 0;
        for (position, (external_id, name_key)) in wanted.into_iter().enumerate() {
            if let Some(e) = external_id {
                by_external_id.entry(e).or_insert(position);
            }
            by_user_name.entry(name_key).or_insert(position);
            count = position + 1;
        }
        UserMatcher {
            by_external_id,
            by_user_name,
            frozen_external_ids,
            managed,
            found: (0..count).map(|_| None).collect(),
            others: HashMap::new(),
            frozen: HashSet::new(),
            seen: HashSet::new(),
        }
    }

    /// Whether a target user with this id was offered.
    pub(super) fn has_seen(&self, id: &str) -> bool {
        self.seen.contains(id)
    }

    /// Whether the wanted user at `position` has a match.
    pub(super) fn is_matched(&self, position: usize) -> bool {
        self.found.get(position).is_some_and(Option::is_some)
    }

    /// Takes one target user into account.
    pub(super) fn offer(&mut self, user: User) {
        let Some(id) = user.id.as_deref() else {
            return;
        };
        if !self.seen.insert(id.to_owned()) {
            return;
        }
        if let Some(external_id) = user.external_id.as_deref() {
            if self.frozen_external_ids.contains(external_id) {
                self.frozen.insert(id.to_owned());
                return;
            }
            if let Some(&position) = self.by_external_id.get(external_id) {
                let by = self
                    .found
                    .get(position)
                    .and_then(|f| f.as_ref().map(|c| c.by));
                match by {
                    // Two target users with one externalId: the first keeps it.
                    Some(MatchedBy::ExternalId) => self.other(user),
                    _ => {
                        let candidate = Candidate {
                            by: MatchedBy::ExternalId,
                            user,
                        };
                        let displaced = self
                            .found
                            .get_mut(position)
                            .and_then(|slot| slot.replace(candidate));
                        if let Some(displaced) = displaced {
                            self.other(displaced.user);
                        }
                    }
                }
                return;
            }
        }
        let key = user.user_name.to_lowercase();
        if let Some(&position) = self.by_user_name.get(key.as_str())
            && let Some(slot @ None) = self.found.get_mut(position)
        {
            *slot = Some(Candidate {
                by: MatchedBy::UserName,
                user,
            });
            return;
        }
        self.other(user);
    }

    fn other(&mut self, user: User) {
        if let Some(id) = user.id
            && self.managed.contains(&id)
        {
            self.others.insert(
                id,
                Other {
                    user_name: user.user_name,
                    active: user.active,
                },
            );
        }
    }
}

/// Matches target groups to source groups (`externalId`, then `displayName` ignoring case).
pub(super) struct GroupMatcher<'a> {
    by_external_id: HashMap<&'a str, usize>,
    by_name: HashMap<String, usize>,
    pub(super) found: Vec<Option<(MatchedBy, Group)>>,
}

impl<'a> GroupMatcher<'a> {
    /// `wanted`: each source group's id and name, in order.
    pub(super) fn new(wanted: impl IntoIterator<Item = (&'a str, &'a str)>) -> Self {
        let mut by_external_id = HashMap::new();
        let mut by_name = HashMap::new();
        let mut count = 0;
        for (position, (id, name)) in wanted.into_iter().enumerate() {
            by_external_id.entry(id).or_insert(position);
            by_name.entry(name.to_lowercase()).or_insert(position);
            count = position + 1;
        }
        GroupMatcher {
            by_external_id,
            by_name,
            found: (0..count).map(|_| None).collect(),
        }
    }

    /// Takes one target group into account.
    pub(super) fn offer(&mut self, group: Group) {
        if group.id.is_none() {
            return;
        }
        if let Some(&position) = group
            .external_id
            .as_deref()
            .and_then(|e| self.by_external_id.get(e))
            && let Some(slot) = self.found.get_mut(position)
        {
            if !matches!(slot, Some((MatchedBy::ExternalId, _))) {
                *slot = Some((MatchedBy::ExternalId, group));
            }
            return;
        }
        if let Some(&position) = self.by_name.get(&group.display_name.to_lowercase())
            && let Some(slot @ None) = self.found.get_mut(position)
        {
            *slot = Some((MatchedBy::UserName, group));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn user(id: &str, name: &str, ext: Option<&str>) -> User {
        let mut u = User::new(name);
        u.id = Some(id.into());
        u.external_id = ext.map(str::to_owned);
        u
    }

    #[test]
    fn external_id_beats_user_name_and_the_displaced_is_another() {
        let frozen = HashSet::from(["00ubad".to_owned()]);
        let managed = HashSet::from(["t1".to_owned(), "t3".to_owned()]);
        let mut m = UserMatcher::new(
            [(Some("00u1"), "ada"), (Some("00u2"), "bob")],
            &frozen,
            &managed,
        );
        m.offer(user("t1", "ADA", None)); // by userName, first
        m.offer(user("t2", "ada-renamed", Some("00u1"))); // by externalId: wins
        m.offer(user("t3", "x", Some("00ubad"))); // unmappable source user: left alone
        m.offer(user("t4", "Bob", Some("other-tool"))); // adopted by userName
        let ids: Vec<Option<(&str, MatchedBy)>> = m
            .found
            .iter()
            .map(|c| c.as_ref().map(|c| (c.user.id.as_deref().unwrap(), c.by)))
            .collect();
        assert_eq!(
            ids,
            [
                Some(("t2", MatchedBy::ExternalId)),
                Some(("t4", MatchedBy::UserName))
            ]
        );
        assert!(m.others.contains_key("t1"));
        assert!(m.frozen.contains("t3"));
    }
}
