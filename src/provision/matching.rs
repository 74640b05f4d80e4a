//! Matching target resources to source ones: users by `externalId`, then by `userName`
//! ignoring case; groups by `externalId`, then by `displayName` ignoring case. So users and
//! groups made by hand or by an earlier tool are adopted, not duplicated.

use std::borrow::Cow;
use std::collections::{HashMap, HashSet};

use serde_json::Value;

use super::snapshot::Mapped;
use crate::scim::{Group, OwnedAttributes, Patch, User};
use crate::{Error, Result};

/// How a target user was matched.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum MatchedBy {
    ExternalId,
    UserName,
}

/// A target user matched to a wanted one, with the PATCH that makes it what the source
/// wants (computed when matched, so that only the difference is kept).
pub(super) struct Candidate {
    pub(super) by: MatchedBy,
    pub(super) id: String,
    pub(super) patch: Patch,
    user_name: String,
    active: Option<bool>,
}

/// A target user matched to no wanted user, but a member of a pushed group.
pub(super) struct Other {
    pub(super) user_name: String,
    pub(super) active: Option<bool>,
}

/// The users one target should have, each findable by `externalId` and by lowercased
/// `userName`.
#[derive(Default)]
pub(super) struct Wanted<'a> {
    pub(super) users: Vec<&'a Mapped>,
    by_external_id: HashMap<&'a str, usize>,
    by_user_name: HashMap<Cow<'a, str>, usize>,
}

impl<'a> Wanted<'a> {
    /// Adds a user; when another already has its `userName` (ignoring case) or its
    /// `externalId`, that user's source id instead (both cannot be pushed).
    pub(super) fn want(&mut self, m: &'a Mapped) -> std::result::Result<usize, &'a str> {
        let key = m.name_key();
        let clash = self.by_user_name.get(&*key).copied().or_else(|| {
            m.external_id
                .as_deref()
                .and_then(|e| self.by_external_id.get(e).copied())
        });
        if let Some(first) = clash.and_then(|p| self.users.get(p)) {
            return Err(&first.source_id);
        }
        let position = self.users.len();
        self.by_user_name.insert(key, position);
        if let Some(e) = m.external_id.as_deref() {
            self.by_external_id.insert(e, position);
        }
        self.users.push(m);
        Ok(position)
    }

    pub(super) fn len(&self) -> usize {
        self.users.len()
    }
}

/// What a target has for its wanted users.
pub(super) struct UserMatcher<'a> {
    wanted: &'a Wanted<'a>,
    owned: &'a OwnedAttributes,
    frozen_external_ids: &'a HashSet<String>,
    managed: &'a HashSet<String>,
    /// Per wanted user (by position), its best match so far.
    pub(super) found: Vec<Option<Box<Candidate>>>,
    /// Members of pushed groups that match no wanted user, by id.
    pub(super) others: HashMap<String, Other>,
    /// Target users left alone: their `externalId` is a source user that could not be mapped.
    pub(super) frozen: HashSet<String>,
    /// The ids offered, when the same user may be offered twice (lookups).
    seen: Option<HashSet<String>>,
}

impl<'a> UserMatcher<'a> {
    /// A matcher for `wanted`; `dedupe` when a target user may be offered more than once.
    pub(super) fn new(
        wanted: &'a Wanted<'a>,
        owned: &'a OwnedAttributes,
        frozen_external_ids: &'a HashSet<String>,
        managed: &'a HashSet<String>,
        dedupe: bool,
    ) -> Self {
        UserMatcher {
            wanted,
            owned,
            frozen_external_ids,
            managed,
            found: wanted.users.iter().map(|_| None).collect(),
            others: HashMap::new(),
            frozen: HashSet::new(),
            seen: dedupe.then(HashSet::new),
        }
    }

    /// Whether a target user with this id was offered (always `false` without dedupe).
    pub(super) fn has_seen(&self, id: &str) -> bool {
        self.seen.as_ref().is_some_and(|s| s.contains(id))
    }

    /// Whether the wanted user at `position` has a match.
    pub(super) fn is_matched(&self, position: usize) -> bool {
        self.found.get(position).is_some_and(Option::is_some)
    }

    /// Takes one target user into account.
    pub(super) fn offer(&mut self, user: User) -> Result<()> {
        let Some(id) = user.id.as_deref() else {
            return Ok(());
        };
        if let Some(seen) = &mut self.seen
            && !seen.insert(id.to_owned())
        {
            return Ok(());
        }
        if let Some(external_id) = user.external_id.as_deref() {
            if self.frozen_external_ids.contains(external_id) {
                self.frozen.insert(id.to_owned());
                return Ok(());
            }
            if let Some(&position) = self.wanted.by_external_id.get(external_id) {
                let by = self
                    .found
                    .get(position)
                    .and_then(|f| f.as_ref().map(|c| c.by));
                if by == Some(MatchedBy::ExternalId) {
                    // Two target users with one externalId: the first keeps it.
                    self.other(user);
                    return Ok(());
                }
                let candidate = self.candidate(MatchedBy::ExternalId, position, user)?;
                let displaced = self
                    .found
                    .get_mut(position)
                    .and_then(|slot| slot.replace(candidate));
                if let Some(d) = displaced {
                    self.other_parts(d.id, d.user_name, d.active);
                }
                return Ok(());
            }
        }
        let key = user.user_name.to_lowercase();
        if let Some(&position) = self.wanted.by_user_name.get(key.as_str())
            && self.found.get(position).is_some_and(Option::is_none)
        {
            let candidate = self.candidate(MatchedBy::UserName, position, user)?;
            if let Some(slot) = self.found.get_mut(position) {
                *slot = Some(candidate);
            }
            return Ok(());
        }
        self.other(user);
        Ok(())
    }

    /// The match of `user` to the wanted user at `position`, with the owned difference.
    fn candidate(&self, by: MatchedBy, position: usize, user: User) -> Result<Box<Candidate>> {
        let patch = match self.wanted.users.get(position) {
            Some(wanted) => {
                let desired: Value = serde_json::from_str(&wanted.json)
                    .map_err(|e| Error::Config(format!("could not decode a mapped user: {e}")))?;
                let current = serde_json::to_value(&user)
                    .map_err(|e| Error::Config(format!("could not encode a target user: {e}")))?;
                Patch::diff_owned_json(&current, &desired, self.owned)
            }
            None => Patch::new(),
        };
        Ok(Box::new(Candidate {
            by,
            id: user.id.unwrap_or_default(),
            patch,
            user_name: user.user_name,
            active: user.active,
        }))
    }

    fn other(&mut self, user: User) {
        if let Some(id) = user.id {
            self.other_parts(id, user.user_name, user.active);
        }
    }

    fn other_parts(&mut self, id: String, user_name: String, active: Option<bool>) {
        if self.managed.contains(&id) {
            self.others.insert(id, Other { user_name, active });
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
    use std::sync::Arc;

    fn user(id: &str, name: &str, ext: Option<&str>) -> User {
        let mut u = User::new(name);
        u.id = Some(id.into());
        u.external_id = ext.map(str::to_owned);
        u
    }

    fn wanted(ext: &str, name: &str) -> Mapped {
        let u = User::new(name).external_id(ext);
        Mapped {
            source_id: ext.into(),
            user_name: name.into(),
            external_id: Some(ext.into()),
            json: Arc::from(serde_json::to_string(&u).unwrap()),
        }
    }

    #[test]
    fn external_id_beats_user_name_and_the_displaced_is_another() {
        let frozen = HashSet::from(["00ubad".to_owned()]);
        let managed = HashSet::from(["t1".to_owned(), "t3".to_owned()]);
        let (ada, bob, ada2) = (
            wanted("00u1", "ada"),
            wanted("00u2", "bob"),
            wanted("00u3", "ADA"),
        );
        let mut all = Wanted::default();
        assert_eq!(all.want(&ada), Ok(0));
        assert_eq!(all.want(&bob), Ok(1));
        assert_eq!(all.want(&ada2), Err("00u1"), "one userName, ignoring case");
        let owned = OwnedAttributes::new(["userName", "externalId"]);
        let mut m = UserMatcher::new(&all, &owned, &frozen, &managed, true);
        m.offer(user("t1", "ADA", None)).unwrap(); // by userName, first
        m.offer(user("t2", "ada-renamed", Some("00u1"))).unwrap(); // by externalId: wins
        m.offer(user("t3", "x", Some("00ubad"))).unwrap(); // unmappable source user: left alone
        m.offer(user("t4", "Bob", Some("other-tool"))).unwrap(); // adopted by userName
        let ids: Vec<Option<(&str, MatchedBy, usize)>> = m
            .found
            .iter()
            .map(|c| {
                c.as_ref()
                    .map(|c| (c.id.as_str(), c.by, c.patch.operations.len()))
            })
            .collect();
        assert_eq!(
            ids,
            [
                Some(("t2", MatchedBy::ExternalId, 1)),
                Some(("t4", MatchedBy::UserName, 2))
            ]
        );
        assert!(m.others.contains_key("t1"));
        assert!(m.frozen.contains("t3"));
    }
}
