//! The source as one plan sees it: the chosen groups, their members, each user mapped once.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use futures_util::{StreamExt, TryStreamExt};

use super::{
    GroupSelector, MappingError, ProvisionError, Source, SourceGroup, SourceUser, Unmappable,
    UserMapping,
};
use crate::scim::User;

/// A source user, mapped; compact, since a plan holds one per user (the SCIM user as JSON
/// text is a third of its size as a `User`).
pub(super) struct Mapped {
    pub(super) source_id: Arc<str>,
    pub(super) user_name: Arc<str>,
    /// `externalId` (shares `source_id`'s text when equal, as with the default mapping).
    pub(super) external_id: Option<Arc<str>>,
    /// The SCIM user, as JSON (without `schemas`, which every write puts back).
    pub(super) json: Arc<str>,
}

impl Mapped {
    /// `userName`, lowercased: users match case-insensitively.
    pub(super) fn name_key(&self) -> std::borrow::Cow<'_, str> {
        if self.user_name.chars().any(char::is_uppercase) {
            std::borrow::Cow::Owned(self.user_name.to_lowercase())
        } else {
            std::borrow::Cow::Borrowed(&self.user_name)
        }
    }
}

pub(super) enum Entry {
    Mapped(Mapped),
    Unmappable(Unmappable),
}

impl Entry {
    pub(super) fn source_id(&self) -> &str {
        match self {
            Entry::Mapped(m) => &m.source_id,
            Entry::Unmappable(u) => &u.source_id,
        }
    }
}

/// Everything one plan needs from the source.
pub(super) struct Snapshot {
    /// The groups each selector chose.
    pub(super) selected: HashMap<GroupSelector, Vec<SourceGroup>>,
    /// Each group's members, as indexes into `users`, in the order the source listed them.
    pub(super) members: HashMap<String, Vec<usize>>,
    /// Every member of any chosen group, once.
    pub(super) users: Vec<Entry>,
}

fn map_user<U: SourceUser>(mapping: &dyn UserMapping<U>, user: &U) -> Entry {
    let source_id = user.source_id().to_owned();
    let unmappable = |error: MappingError| {
        Entry::Unmappable(Unmappable {
            source_id: source_id.clone(),
            label: user.label(),
            error,
        })
    };
    let mut mapped: User = match mapping.map(user) {
        Ok(mapped) if mapped.user_name.trim().is_empty() => {
            return unmappable(MappingError::new("the mapping gave no userName"));
        }
        Ok(mapped) => mapped,
        Err(error) => return unmappable(error),
    };
    mapped.schemas.clear();
    match serde_json::to_string(&mapped) {
        Ok(json) => {
            let source_id: Arc<str> = source_id.as_str().into();
            Entry::Mapped(Mapped {
                external_id: mapped.external_id.map(|e| {
                    if *e == *source_id {
                        source_id.clone()
                    } else {
                        e.into()
                    }
                }),
                user_name: mapped.user_name.into(),
                source_id,
                json: json.into(),
            })
        }
        Err(e) => unmappable(MappingError::new(format!(
            "the SCIM user could not be encoded: {e}"
        ))),
    }
}

/// Resolves every selector and reads every chosen group's members, `concurrency` requests
/// at a time. Any failure fails the whole read: a partial member list would deprovision
/// the members not read.
pub(super) async fn read<S: Source>(
    source: &S,
    mapping: &dyn UserMapping<S::User>,
    selectors: &[GroupSelector],
    concurrency: usize,
) -> Result<Snapshot, ProvisionError> {
    let resolved: Vec<(GroupSelector, Vec<SourceGroup>)> =
        futures_util::stream::iter(selectors.iter().cloned())
            .map(|selector| async move {
                let groups = source.groups(&selector).await?;
                Ok::<_, crate::Error>((selector, groups))
            })
            .buffered(concurrency)
            .try_collect()
            .await
            .map_err(|source| ProvisionError::Source { source })?;
    let mut selected = HashMap::new();
    let mut groups: Vec<SourceGroup> = Vec::new();
    let mut group_ids = HashSet::new();
    for (selector, found) in resolved {
        if found.is_empty() && !matches!(selector, GroupSelector::Filter(_)) {
            return Err(ProvisionError::GroupNotFound {
                selector: selector.to_string(),
            });
        }
        for group in &found {
            if group_ids.insert(group.id.clone()) {
                groups.push(group.clone());
            }
        }
        selected.insert(selector, found);
    }
    tracing::debug!(
        groups = groups.len(),
        "reading the members of the source groups"
    );

    let mut reads = futures_util::stream::iter(groups.iter())
        .map(|group| async move {
            let mut entries = Vec::new();
            let mut seen = HashSet::new();
            let mut stream = source.members(group);
            while let Some(user) = stream.try_next().await? {
                if seen.insert(user.source_id().to_owned()) {
                    entries.push(map_user(mapping, &user));
                }
            }
            Ok::<_, crate::Error>((group.id.clone(), entries))
        })
        .buffer_unordered(concurrency);
    let mut members = HashMap::new();
    let mut users: Vec<Entry> = Vec::new();
    let mut index: HashMap<String, usize> = HashMap::new();
    while let Some(read) = reads.next().await {
        let (group_id, entries) = read.map_err(|source| ProvisionError::Source { source })?;
        let mut list = Vec::with_capacity(entries.len());
        for entry in entries {
            let next = users.len();
            let at = *index.entry(entry.source_id().to_owned()).or_insert(next);
            if at == next {
                users.push(entry);
            }
            list.push(at);
        }
        members.insert(group_id, list);
    }
    users.shrink_to_fit();
    tracing::debug!(users = users.len(), "source read");
    Ok(Snapshot {
        selected,
        members,
        users,
    })
}
