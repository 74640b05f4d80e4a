//! Planning one target: what it has (read, never written), matched to what the source
//! wants, and the difference as a [`TargetPlan`].

use std::collections::HashSet;
use std::sync::Arc;

use futures_util::{StreamExt, TryStreamExt};
use http::StatusCode;
use tracing::Instrument;

use super::matching::{GroupMatcher, MatchedBy, UserMatcher, Wanted};
use super::snapshot::{Entry, Snapshot};
use super::{
    Capabilities, Deprovision, GroupPlan, MappingError, MemberRef, SourceGroup, Target, TargetPlan,
    Unmappable, UserCreate, UserDeprovision, UserUpdate,
};
use crate::Result;
use crate::scim::{Filter, GetOptions, Group, OwnedAttributes, Patch, Resource, ScimClient, User};

/// The settings planning and applying share.
#[derive(Debug, Clone)]
pub(super) struct Settings {
    pub(super) concurrency: usize,
    pub(super) deprovision: Deprovision,
    pub(super) bulk: bool,
    pub(super) batch_size: usize,
    pub(super) page_size: u64,
}

/// What the engine owns on a target group.
pub(super) fn group_owned() -> OwnedAttributes {
    OwnedAttributes::new(["displayName", "externalId"])
}

/// The group as the source wants it (without members, which are planned apart).
pub(super) fn desired_group(source: &SourceGroup) -> Group {
    Group::new(source.name.clone()).external_id(source.id.clone())
}

/// Whether a member is a group (nested groups are not the source's to manage).
fn is_group_member(kind: Option<&str>) -> bool {
    kind.is_some_and(|k| k.eq_ignore_ascii_case("Group"))
}

/// The page size to ask for: the setting, within what the target advertises.
fn page(caps: &Capabilities, settings: &Settings) -> u64 {
    caps.max_results
        .unwrap_or(settings.page_size)
        .min(settings.page_size)
        .max(1)
}

/// Whether looking resources up one by one (`lookups` filter queries) costs fewer requests
/// than listing every resource of the target (`total` of them, a page at a time).
fn lookups_are_cheaper(caps: &Capabilities, total: Option<u64>, lookups: usize, page: u64) -> bool {
    caps.filter
        && total.is_some_and(|total| (lookups as u64).saturating_mul(2) < total / page.max(1))
}

/// How many resources the target holds at `T::ENDPOINT` (from a one-resource page).
async fn total<T: Resource>(client: &ScimClient, attribute: &str) -> Result<Option<u64>> {
    let page = client
        .resources::<T>()
        .list()
        .count(1)
        .attributes([attribute])
        .send()
        .await?;
    Ok(page.total_results)
}

/// Plans one target. Reads only; any failure to read is returned (the caller turns it into
/// [`ProvisionError::TargetUnavailable`](super::ProvisionError::TargetUnavailable)).
pub(super) async fn plan_target(
    target: &Target,
    snapshot: &Snapshot,
    owned: &OwnedAttributes,
    settings: &Settings,
) -> Result<TargetPlan> {
    let span = tracing::info_span!("scimkit.provision.plan_target", scim_target = %target.name());
    plan_target_inner(target, snapshot, owned, settings)
        .instrument(span)
        .await
}

async fn plan_target_inner(
    target: &Target,
    snapshot: &Snapshot,
    owned: &OwnedAttributes,
    settings: &Settings,
) -> Result<TargetPlan> {
    let client = target.client();
    let caps = Capabilities::discover(client).await?;
    tracing::debug!(capabilities = %caps, "discovered");

    // The pushed groups, once each, in the order the selectors chose them.
    let mut groups: Vec<&SourceGroup> = Vec::new();
    let mut group_ids = HashSet::new();
    for selector in target.selectors() {
        for group in snapshot.selected.get(selector).into_iter().flatten() {
            if group_ids.insert(group.id.as_str()) {
                groups.push(group);
            }
        }
    }

    // The wanted users, once each; two source users that map to one userName or
    // externalId on this target cannot both be pushed: the second is reported.
    #[derive(Clone, Copy)]
    enum Slot {
        Unseen,
        Skipped,
        Wanted(usize),
    }
    let mut slots = vec![Slot::Unseen; snapshot.users.len()];
    let mut wanted = Wanted::default();
    let mut unmappable: Vec<Unmappable> = Vec::new();
    let mut frozen_external_ids: HashSet<String> = HashSet::new();
    for group in &groups {
        for &index in snapshot.members.get(&group.id).into_iter().flatten() {
            let Some(slot @ Slot::Unseen) = slots.get_mut(index) else {
                continue;
            };
            *slot = Slot::Skipped;
            match snapshot.users.get(index) {
                Some(Entry::Mapped(m)) => match wanted.want(m) {
                    Ok(position) => *slot = Slot::Wanted(position),
                    Err(first) => {
                        frozen_external_ids.insert(m.source_id.to_string());
                        unmappable.push(Unmappable {
                            source_id: m.source_id.to_string(),
                            label: m.user_name.to_string(),
                            error: MappingError::new(format!(
                                "maps to the userName or externalId of the source user {first}"
                            )),
                        });
                    }
                },
                Some(Entry::Unmappable(u)) => {
                    frozen_external_ids.insert(u.source_id.clone());
                    unmappable.push(u.clone());
                }
                None => {}
            }
        }
    }

    // The target's groups, with their members.
    let found_groups = find_groups(client, &groups, &caps, settings).await?;
    let found_group_ids: HashSet<&str> = found_groups
        .iter()
        .flatten()
        .map(|g| g.id.as_str())
        .collect();
    let mut managed: HashSet<String> = HashSet::new();
    for group in found_groups.iter().flatten() {
        for (id, nested) in &group.members {
            if !nested && !found_group_ids.contains(id.as_str()) {
                managed.insert(id.clone());
            }
        }
    }

    // The target's users, matched to the wanted ones.
    let page_size = page(&caps, settings);
    let lookups = caps.filter
        && lookups_are_cheaper(
            &caps,
            total::<User>(client, "userName").await?,
            wanted.len().saturating_add(managed.len()),
            page_size,
        );
    let mut matcher = UserMatcher::new(&wanted, owned, &frozen_external_ids, &managed, lookups);
    let looked_up = if lookups {
        match look_up_users(client, &wanted, &mut matcher, settings).await {
            Ok(()) => true,
            // A filter the target refuses: list instead.
            Err(e) if e.status() == Some(StatusCode::BAD_REQUEST) => {
                tracing::debug!(error = %e, "user lookups refused; listing instead");
                matcher = UserMatcher::new(&wanted, owned, &frozen_external_ids, &managed, false);
                false
            }
            Err(e) => return Err(e),
        }
    } else {
        false
    };
    if !looked_up {
        let mut users = client
            .users()
            .list()
            .count(page_size)
            .excluded_attributes(["groups"])
            .stream();
        while let Some(user) = users.try_next().await? {
            matcher.offer(user)?;
        }
    }

    // Users: create what is missing, change what differs in owned attributes.
    let mut creates = Vec::new();
    let mut updates = Vec::new();
    let mut unchanged_users = 0;
    let mut resolved: Vec<MemberRef> = Vec::with_capacity(wanted.len());
    let mut assigned: HashSet<Arc<str>> = HashSet::new();
    for (position, m) in wanted.users.iter().enumerate() {
        let candidate = matcher.found.get_mut(position).and_then(Option::take);
        match candidate {
            Some(c) => {
                let id: Arc<str> = c.id.as_str().into();
                resolved.push(MemberRef::Existing {
                    id: id.clone(),
                    user_name: m.user_name.clone(),
                });
                if c.patch.is_empty() {
                    unchanged_users += 1;
                } else {
                    updates.push(UserUpdate {
                        id: c.id,
                        source_id: m.source_id.clone(),
                        user_name: m.user_name.clone(),
                        adopted: c.by == MatchedBy::UserName,
                        patch: c.patch,
                        desired: m.json.clone(),
                    });
                }
                assigned.insert(id);
            }
            None => {
                creates.push(UserCreate {
                    source_id: m.source_id.clone(),
                    user_name: m.user_name.clone(),
                    json: m.json.clone(),
                });
                resolved.push(MemberRef::Created {
                    source_id: m.source_id.clone(),
                    user_name: m.user_name.clone(),
                });
            }
        }
    }
    creates.shrink_to_fit();
    updates.shrink_to_fit();
    let member_ref = |index: &usize| match slots.get(*index) {
        Some(Slot::Wanted(position)) => resolved.get(*position),
        _ => None,
    };

    // Groups: create what is missing; add the wanted members, remove the others (except
    // users left alone and nested groups); rename.
    let mut group_plans = Vec::new();
    let mut removed: Vec<String> = Vec::new();
    let mut removed_set: HashSet<String> = HashSet::new();
    for (position, source) in groups.iter().enumerate() {
        let refs: Vec<&MemberRef> = snapshot
            .members
            .get(&source.id)
            .into_iter()
            .flatten()
            .filter_map(member_ref)
            .collect();
        let plan = match found_groups.get(position).and_then(Option::as_ref) {
            None => GroupPlan {
                source: (*source).clone(),
                target_id: None,
                changes: Patch::new(),
                add: refs.into_iter().cloned().collect(),
                remove: Vec::new(),
            },
            Some(existing) => {
                let current: HashSet<&str> =
                    existing.members.iter().map(|(id, _)| id.as_str()).collect();
                let wanted_ids: HashSet<&str> = refs
                    .iter()
                    .filter_map(|r| match r {
                        MemberRef::Existing { id, .. } => Some(&**id),
                        MemberRef::Created { .. } => None,
                    })
                    .collect();
                let add = refs
                    .iter()
                    .filter(|r| match r {
                        MemberRef::Existing { id, .. } => !current.contains(&**id),
                        MemberRef::Created { .. } => true,
                    })
                    .map(|r| (*r).clone())
                    .collect();
                let mut remove = Vec::new();
                let mut removing: HashSet<&str> = HashSet::new();
                for (id, _) in &existing.members {
                    if wanted_ids.contains(id.as_str())
                        || !managed.contains(id)
                        || matcher.frozen.contains(id)
                        || !removing.insert(id)
                    {
                        continue;
                    }
                    remove.push(id.clone());
                    if !assigned.contains(id.as_str()) && removed_set.insert(id.clone()) {
                        removed.push(id.clone());
                    }
                }
                let mut current_group = Group::new(existing.display_name.clone());
                current_group.external_id = existing.external_id.clone();
                GroupPlan {
                    source: (*source).clone(),
                    target_id: Some(existing.id.clone()),
                    changes: Patch::diff_owned(
                        &current_group,
                        &desired_group(source),
                        &group_owned(),
                    )?,
                    add,
                    remove,
                }
            }
        };
        group_plans.push(plan);
    }

    // Users in no pushed group any more: deprovisioned, by policy.
    if looked_up {
        // Lookups only read the wanted users: read the leavers too.
        let missing: Vec<&String> = removed.iter().filter(|id| !matcher.has_seen(id)).collect();
        let fetched: Vec<Option<User>> = futures_util::stream::iter(missing)
            .map(|id| async move {
                let options = GetOptions::new().excluded_attributes(["groups"]);
                match client.users().get_with(id, &options).await {
                    Ok(user) => Ok(Some(user)),
                    Err(e) if e.status() == Some(StatusCode::NOT_FOUND) => Ok(None),
                    Err(e) => Err(e),
                }
            })
            .buffered(settings.concurrency)
            .try_collect()
            .await?;
        for user in fetched.into_iter().flatten() {
            matcher.offer(user)?;
        }
    }
    let mut deprovisions = Vec::new();
    for id in removed {
        let Some(other) = matcher.others.get(&id) else {
            continue;
        };
        let action = match settings.deprovision {
            Deprovision::Deactivate if other.active != Some(false) => Deprovision::Deactivate,
            Deprovision::Delete => Deprovision::Delete,
            _ => continue,
        };
        deprovisions.push(UserDeprovision {
            id,
            user_name: other.user_name.clone(),
            action,
        });
    }

    Ok(TargetPlan {
        target: target.name().to_owned(),
        capabilities: caps,
        owned: owned.clone(),
        creates,
        updates,
        deprovisions,
        groups: group_plans,
        unmappable,
        unchanged_users,
    })
}

/// Looks each wanted user up by `externalId`, then the still unmatched by `userName`.
async fn look_up_users(
    client: &ScimClient,
    wanted: &Wanted<'_>,
    matcher: &mut UserMatcher<'_>,
    settings: &Settings,
) -> Result<()> {
    let query = |filter: Filter| async move {
        client
            .users()
            .list()
            .filter(filter)
            .excluded_attributes(["groups"])
            .send()
            .await
            .map(|page| page.resources)
    };
    let by_external_id: Vec<Vec<User>> = futures_util::stream::iter(wanted.users.iter())
        .filter_map(|m| async move { m.external_id.as_deref() })
        .map(|e| query(Filter::attr("externalId").eq(e)))
        .buffered(settings.concurrency)
        .try_collect()
        .await?;
    for user in by_external_id.into_iter().flatten() {
        matcher.offer(user)?;
    }
    let unmatched: Vec<&str> = wanted
        .users
        .iter()
        .enumerate()
        .filter(|(position, _)| !matcher.is_matched(*position))
        .map(|(_, m)| &*m.user_name)
        .collect();
    let by_user_name: Vec<Vec<User>> = futures_util::stream::iter(unmatched)
        .map(|name| query(Filter::attr("userName").eq(name)))
        .buffered(settings.concurrency)
        .try_collect()
        .await?;
    for user in by_user_name.into_iter().flatten() {
        matcher.offer(user)?;
    }
    Ok(())
}

/// A target group, as much of it as planning needs.
struct TargetGroup {
    id: String,
    display_name: String,
    external_id: Option<String>,
    /// Members: id, and whether it is a group.
    members: Vec<(String, bool)>,
}

impl TargetGroup {
    fn from_group(group: Group) -> Option<TargetGroup> {
        Some(TargetGroup {
            id: group.id?,
            display_name: group.display_name,
            external_id: group.external_id,
            members: group
                .members
                .into_iter()
                .filter_map(|m| {
                    let nested = is_group_member(m.kind.as_deref());
                    m.value.map(|v| (v, nested))
                })
                .collect(),
        })
    }
}

/// The target's group for each source group (in order), with members: listed (without
/// members) or looked up, whichever costs fewer requests, then each match read whole.
async fn find_groups(
    client: &ScimClient,
    groups: &[&SourceGroup],
    caps: &Capabilities,
    settings: &Settings,
) -> Result<Vec<Option<TargetGroup>>> {
    let mut matcher = GroupMatcher::new(groups.iter().map(|g| (g.id.as_str(), g.name.as_str())));
    let page_size = page(caps, settings);
    let lookups = caps.filter
        && lookups_are_cheaper(
            caps,
            total::<Group>(client, "displayName").await?,
            groups.len(),
            page_size,
        );
    let mut listed = !lookups;
    if lookups {
        let query = |filter: Filter| async move {
            client
                .groups()
                .list()
                .filter(filter)
                .excluded_attributes(["members"])
                .send()
                .await
                .map(|page| page.resources)
        };
        let found: Result<Vec<Vec<Group>>> = futures_util::stream::iter(groups.iter())
            .map(|g| {
                query(
                    Filter::attr("externalId")
                        .eq(g.id.as_str())
                        .or(Filter::attr("displayName").eq(g.name.as_str())),
                )
            })
            .buffered(settings.concurrency)
            .try_collect()
            .await;
        match found {
            Ok(found) => found.into_iter().flatten().for_each(|g| matcher.offer(g)),
            Err(e) if e.status() == Some(StatusCode::BAD_REQUEST) => listed = true,
            Err(e) => return Err(e),
        }
    }
    if listed {
        let mut all = client
            .groups()
            .list()
            .count(page_size)
            .excluded_attributes(["members"])
            .stream();
        while let Some(group) = all.try_next().await? {
            matcher.offer(group);
        }
    }
    // Each match read whole, for its members.
    futures_util::stream::iter(matcher.found)
        .map(|found| async move {
            let Some((_, group)) = found else {
                return Ok(None);
            };
            let Some(id) = group.id.as_deref() else {
                return Ok(None);
            };
            match client.groups().get(id).await {
                Ok(full) => Ok(TargetGroup::from_group(full)),
                // Gone since the listing: created again.
                Err(e) if e.status() == Some(StatusCode::NOT_FOUND) => Ok(None),
                Err(e) => Err(e),
            }
        })
        .buffered(settings.concurrency)
        .try_collect()
        .await
}
