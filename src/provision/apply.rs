//! Applying a [`TargetPlan`]: users first (creates, updates, deprovisioning; in `/Bulk`
//! requests where the target takes them), then groups (creates, renames, members), each
//! phase with bounded concurrency. One failed item never stops the others.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use futures_util::StreamExt;
use http::StatusCode;
use serde::Serialize;
use serde_json::{Value, json};
use tracing::Instrument;

use super::planner::{Settings, desired_group, group_owned};
use super::{
    Action, Deprovision, Event, GroupPlan, ItemReport, MemberRef, Outcome, Phase, SkipReason,
    Target, TargetPlan, TargetReport, UserCreate, UserDeprovision, UserUpdate,
};
use crate::redact::display_url;
use crate::scim::{
    Bulk, BulkOperation, BulkOperationResult, Group, Member, OwnedAttributes, Patch, Resource,
    Resources, ScimErrorKind, User,
};
use crate::{Error, Result};

/// The progress callback.
pub(super) type OnEvent<'a> = &'a (dyn Fn(&Event) + Send + Sync);

/// Whether an answer says the target does not take PATCH on this resource after all.
fn patch_unsupported(e: &Error) -> bool {
    matches!(
        e.status(),
        Some(StatusCode::METHOD_NOT_ALLOWED) | Some(StatusCode::NOT_IMPLEMENTED)
    )
}

fn outcome(result: &Result<()>) -> Outcome {
    match result {
        Ok(()) => Outcome::Done,
        Err(e) => Outcome::Failed(e.clone()),
    }
}

fn encode<T: Serialize>(value: &T) -> Result<Value> {
    serde_json::to_value(value)
        .map_err(|e| Error::Config(format!("could not encode the resource: {e}")))
}

fn decode<T: serde::de::DeserializeOwned>(value: Value) -> Result<T> {
    serde_json::from_value(value)
        .map_err(|e| Error::Config(format!("could not rebuild the resource: {e}")))
}

/// Counts items and reports progress.
struct Progress<'a> {
    target: &'a str,
    phase: Phase,
    total: usize,
    done: usize,
    failed: usize,
    since_batch: usize,
    on_event: OnEvent<'a>,
}

impl<'a> Progress<'a> {
    fn start(target: &'a str, phase: Phase, total: usize, on_event: OnEvent<'a>) -> Self {
        on_event(&Event::PhaseStarted {
            target: target.to_owned(),
            phase,
            items: total,
        });
        Progress {
            target,
            phase,
            total,
            done: 0,
            failed: 0,
            since_batch: 0,
            on_event,
        }
    }

    /// Reports an item; whether it was done.
    fn item(&self, item: &ItemReport) -> bool {
        let done = match &item.outcome {
            Outcome::Done => {
                tracing::debug!(action = %item.action, subject = %item.subject, "done");
                true
            }
            other => {
                tracing::warn!(action = %item.action, subject = %item.subject, outcome = %other, "not done");
                false
            }
        };
        (self.on_event)(&Event::Item(item.clone()));
        done
    }

    /// Counts one unit of the phase (a user write, a group) as finished.
    fn advance(&mut self, ok: bool) {
        self.done += 1;
        if !ok {
            self.failed += 1;
        }
        self.since_batch += 1;
    }

    fn batch(&mut self) {
        if self.since_batch == 0 {
            return;
        }
        self.since_batch = 0;
        (self.on_event)(&Event::Batch {
            target: self.target.to_owned(),
            phase: self.phase,
            done: self.done,
            failed: self.failed,
            total: self.total.max(self.done),
        });
    }
}

/// One target's plan being applied.
pub(super) struct Apply<'a> {
    name: Arc<str>,
    target: &'a Target,
    plan: &'a TargetPlan,
    settings: &'a Settings,
    on_event: OnEvent<'a>,
    /// PATCH is used until the target says it does not take it.
    patch: AtomicBool,
}

/// One user write.
#[derive(Clone, Copy)]
enum UserOp<'p> {
    Create(&'p UserCreate),
    Update(&'p UserUpdate),
    Deprovision(&'p UserDeprovision),
}

impl UserOp<'_> {
    fn action(&self) -> Action {
        match self {
            UserOp::Create(_) => Action::CreateUser,
            UserOp::Update(_) => Action::UpdateUser,
            UserOp::Deprovision(d) if d.action == Deprovision::Delete => Action::DeleteUser,
            UserOp::Deprovision(_) => Action::DeactivateUser,
        }
    }

    fn subject(&self) -> Arc<str> {
        match self {
            UserOp::Create(c) => c.user_name.clone(),
            UserOp::Update(u) => u.user_name.clone(),
            UserOp::Deprovision(d) => d.user_name.as_str().into(),
        }
    }
}

/// A finished user write, and the id of the user it created.
struct UserDone {
    item: ItemReport,
    created: Option<(Arc<str>, String)>,
}

/// One group write, in the order they are made.
enum GroupWrite<'p> {
    Rename(&'p Patch),
    Add(&'p [String]),
    Remove(&'p [String]),
}

impl GroupWrite<'_> {
    fn action(&self) -> Action {
        match self {
            GroupWrite::Rename(_) => Action::UpdateGroup,
            GroupWrite::Add(ids) => Action::AddMembers(ids.len()),
            GroupWrite::Remove(ids) => Action::RemoveMembers(ids.len()),
        }
    }
}

impl<'a> Apply<'a> {
    pub(super) fn new(
        target: &'a Target,
        plan: &'a TargetPlan,
        settings: &'a Settings,
        on_event: OnEvent<'a>,
    ) -> Self {
        Apply {
            name: plan.target.as_str().into(),
            target,
            plan,
            settings,
            on_event,
            patch: AtomicBool::new(plan.capabilities.patch),
        }
    }

    fn name(&self) -> &str {
        &self.plan.target
    }

    fn item(&self, action: Action, subject: &Arc<str>, outcome: Outcome) -> ItemReport {
        ItemReport::new(&self.name, action, subject.clone(), outcome)
    }

    fn patch_ok(&self) -> bool {
        self.patch.load(Ordering::Relaxed)
    }

    fn no_patch(&self) {
        if self.patch.swap(false, Ordering::Relaxed) {
            tracing::info!("the target refused PATCH; replacing resources instead");
        }
    }

    fn users(&self) -> Resources<User> {
        self.target.client().users()
    }

    /// Applies the plan; every item ends up in the report.
    pub(super) async fn run(self) -> TargetReport {
        let span =
            tracing::info_span!("scimkit.provision.apply_target", scim_target = %self.name());
        async move {
            let plan = self.plan;
            let mut items = Vec::with_capacity(
                plan.unmappable.len()
                    + plan.creates.len()
                    + plan.updates.len()
                    + plan.deprovisions.len()
                    + plan.groups.len().saturating_mul(3),
            );
            for u in &self.plan.unmappable {
                let item = self.item(
                    Action::MapUser,
                    &u.label.as_str().into(),
                    Outcome::Unmappable(u.error.clone()),
                );
                (self.on_event)(&Event::Item(item.clone()));
                items.push(item);
            }
            let created = self.apply_users(&mut items).await;
            self.apply_groups(&created, &mut items).await;
            TargetReport {
                target: self.name().to_owned(),
                items,
                unchanged_users: self.plan.unchanged_users,
            }
        }
        .instrument(span)
        .await
    }

    async fn apply_users(&self, items: &mut Vec<ItemReport>) -> HashMap<Arc<str>, String> {
        let plan = self.plan;
        let ops: Vec<UserOp<'_>> = plan
            .creates
            .iter()
            .map(UserOp::Create)
            .chain(plan.updates.iter().map(UserOp::Update))
            .chain(plan.deprovisions.iter().map(UserOp::Deprovision))
            .collect();
        let mut progress = Progress::start(self.name(), Phase::Users, ops.len(), self.on_event);
        let mut created = HashMap::with_capacity(plan.creates.len());
        let mut record = |done: UserDone, progress: &mut Progress<'_>| {
            let ok = progress.item(&done.item);
            progress.advance(ok);
            if let Some((source_id, id)) = done.created {
                created.insert(source_id, id);
            }
            items.push(done.item);
        };

        let bulkable = |op: &UserOp<'_>| match op {
            UserOp::Create(_) => true,
            UserOp::Update(_) => self.patch_ok(),
            UserOp::Deprovision(d) => d.action == Deprovision::Delete || self.patch_ok(),
        };
        let use_bulk = self.settings.bulk
            && plan.capabilities.bulk.is_some()
            && ops.iter().filter(|op| bulkable(op)).count() > 1;
        let (in_bulk, single): (Vec<UserOp<'_>>, Vec<UserOp<'_>>) = if use_bulk {
            ops.into_iter().partition(|op| bulkable(op))
        } else {
            (Vec::new(), ops)
        };

        let chunk = plan
            .capabilities
            .bulk
            .map_or(self.settings.batch_size, |max| {
                usize::try_from(max).unwrap_or(usize::MAX)
            })
            .min(self.settings.batch_size)
            .max(1);
        let mut bulks = futures_util::stream::iter(in_bulk.chunks(chunk))
            .map(|ops| self.bulk_users(ops))
            .buffer_unordered(self.settings.concurrency);
        while let Some(dones) = bulks.next().await {
            for done in dones {
                record(done, &mut progress);
            }
            progress.batch();
        }
        drop(bulks);

        let mut singles = futures_util::stream::iter(single)
            .map(|op| self.user_op(op))
            .buffer_unordered(self.settings.concurrency);
        while let Some(done) = singles.next().await {
            record(done, &mut progress);
            if progress.since_batch >= self.settings.batch_size {
                progress.batch();
            }
        }
        progress.batch();
        created
    }

    /// One user write on its own.
    async fn user_op(&self, op: UserOp<'_>) -> UserDone {
        let mut created = None;
        let result = match op {
            UserOp::Create(c) => match c.user() {
                Ok(user) => match self.users().create(&user).await {
                    Ok(made) => {
                        created = made.id.map(|id| (c.source_id.clone(), id));
                        Ok(())
                    }
                    Err(e) => Err(e),
                },
                Err(e) => Err(e),
            },
            UserOp::Update(u) => match serde_json::from_str::<Value>(&u.desired)
                .map_err(|e| Error::Config(format!("could not decode a planned user: {e}")))
            {
                Ok(desired) => {
                    self.update_user(&u.id, &u.patch, &desired, &self.plan.owned)
                        .await
                }
                Err(e) => Err(e),
            },
            UserOp::Deprovision(d) if d.action == Deprovision::Delete => {
                match self.users().delete(&d.id).await {
                    Err(e) if e.status() != Some(StatusCode::NOT_FOUND) => Err(e),
                    _ => Ok(()),
                }
            }
            UserOp::Deprovision(d) => {
                self.update_user(
                    &d.id,
                    &Patch::new().replace("active", false),
                    &json!({"active": false}),
                    &OwnedAttributes::new(["active"]),
                )
                .await
            }
        };
        UserDone {
            item: self.item(op.action(), &op.subject(), outcome(&result)),
            created,
        }
    }

    /// PATCH, or where the target does not take it, `GET` then `PUT` with the owned
    /// attributes replaced.
    async fn update_user(
        &self,
        id: &str,
        patch: &Patch,
        desired: &Value,
        owned: &OwnedAttributes,
    ) -> Result<()> {
        if self.patch_ok() {
            match self.users().patch(id, patch).await {
                Ok(_) => return Ok(()),
                Err(e) if patch_unsupported(&e) => self.no_patch(),
                Err(e) => return Err(e),
            }
        }
        replace(&self.users(), id, |json| owned.overlay(json, desired)).await
    }

    /// User writes in one `/Bulk` request (split further by the client when the target's
    /// `maxPayloadSize` asks for it).
    async fn bulk_users(&self, ops: &[UserOp<'_>]) -> Vec<UserDone> {
        let mut bulk = Bulk::new();
        // Per op: its index in the request, or why it could not be encoded.
        let mut slots: Vec<std::result::Result<usize, Error>> = Vec::with_capacity(ops.len());
        for (i, op) in ops.iter().enumerate() {
            match bulk_operation(i, op) {
                Ok(operation) => {
                    slots.push(Ok(bulk.operations.len()));
                    bulk.operations.push(operation);
                }
                Err(e) => slots.push(Err(e)),
            }
        }
        let answer = if bulk.operations.is_empty() {
            Ok(Vec::new())
        } else {
            self.target.client().bulk(&bulk).await.map(|r| r.operations)
        };
        ops.iter()
            .zip(slots)
            .map(|(op, slot)| {
                let result = slot.and_then(|at| match &answer {
                    Err(e) => Err(e.clone()),
                    Ok(results) => bulk_result(results, &bulk.operations, at, self),
                });
                let (result, created) = match (result, op) {
                    (Ok(Some(id)), UserOp::Create(c)) => (Ok(()), Some((c.source_id.clone(), id))),
                    (Ok(_), _) => (Ok(()), None),
                    (Err(e), _) => (Err(e), None),
                };
                UserDone {
                    item: self.item(op.action(), &op.subject(), outcome(&result)),
                    created,
                }
            })
            .collect()
    }

    async fn apply_groups(&self, created: &HashMap<Arc<str>, String>, items: &mut Vec<ItemReport>) {
        let groups: Vec<&GroupPlan> = self.plan.groups.iter().filter(|g| !g.is_empty()).collect();
        let mut progress = Progress::start(self.name(), Phase::Groups, groups.len(), self.on_event);
        let mut runs = futures_util::stream::iter(groups)
            .map(|g| self.apply_group(g, created))
            .buffer_unordered(self.settings.concurrency);
        while let Some(group_items) = runs.next().await {
            let mut ok = true;
            for item in group_items {
                ok &= progress.item(&item);
                items.push(item);
            }
            progress.advance(ok);
            progress.batch();
        }
    }

    /// One group's writes, in order: create (with its first members), rename, adds,
    /// removes; by PATCH, or by one `PUT` of the whole group where PATCH is not taken.
    async fn apply_group(
        &self,
        plan: &GroupPlan,
        created: &HashMap<Arc<str>, String>,
    ) -> Vec<ItemReport> {
        let name: &Arc<str> = &plan.source.name.as_str().into();
        let batch = self.settings.batch_size;
        let mut items = Vec::new();
        let mut ids: Vec<String> = Vec::with_capacity(plan.add.len());
        let mut not_created = 0;
        for member in &plan.add {
            match member {
                MemberRef::Existing { id, .. } => ids.push(id.to_string()),
                MemberRef::Created { source_id, .. } => match created.get(source_id) {
                    Some(id) => ids.push(id.clone()),
                    None => not_created += 1,
                },
            }
        }
        if not_created > 0 {
            items.push(self.item(
                Action::AddMembers(not_created),
                name,
                Outcome::Skipped(SkipReason::UsersNotCreated),
            ));
        }
        let groups = self.target.client().groups();
        let (id, rest) = match &plan.target_id {
            Some(id) => (id.clone(), ids),
            None => {
                // Without PATCH, every member goes in the create.
                let first = if self.patch_ok() {
                    ids.len().min(batch)
                } else {
                    ids.len()
                };
                let rest = ids.split_off(first);
                let mut group = desired_group(&plan.source);
                group.members = ids.iter().map(Member::user).collect();
                match groups.create(&group).await {
                    Ok(made) => {
                        items.push(self.item(Action::CreateGroup, name, Outcome::Done));
                        if !ids.is_empty() {
                            items.push(self.item(
                                Action::AddMembers(ids.len()),
                                name,
                                Outcome::Done,
                            ));
                        }
                        match made.id {
                            Some(id) => (id, rest),
                            None => {
                                if !rest.is_empty() {
                                    items.push(self.item(
                                        Action::AddMembers(rest.len()),
                                        name,
                                        Outcome::Skipped(SkipReason::GroupNotCreated),
                                    ));
                                }
                                return items;
                            }
                        }
                    }
                    Err(e) => {
                        items.push(self.item(Action::CreateGroup, name, Outcome::Failed(e)));
                        let total = ids.len() + rest.len();
                        if total > 0 {
                            items.push(self.item(
                                Action::AddMembers(total),
                                name,
                                Outcome::Skipped(SkipReason::GroupNotCreated),
                            ));
                        }
                        return items;
                    }
                }
            }
        };
        let mut writes: Vec<GroupWrite<'_>> = Vec::new();
        if !plan.changes.is_empty() {
            writes.push(GroupWrite::Rename(&plan.changes));
        }
        writes.extend(rest.chunks(batch).map(GroupWrite::Add));
        writes.extend(plan.remove.chunks(batch).map(GroupWrite::Remove));

        let mut next = 0;
        while next < writes.len() && self.patch_ok() {
            let Some(write) = writes.get(next) else { break };
            let result = match write {
                GroupWrite::Rename(patch) => groups.patch(&id, patch).await.map(|_| ()),
                GroupWrite::Add(ids) => groups
                    .add_members(&id, ids.iter().map(String::as_str))
                    .await
                    .map(|_| ()),
                GroupWrite::Remove(ids) => {
                    match groups
                        .remove_members(&id, ids.iter().map(String::as_str))
                        .await
                    {
                        // A member already gone (a deleted user, a change since the plan):
                        // remove those still there.
                        Err(e) if is_no_target(&e) => remove_present(&groups, &id, ids).await,
                        result => result.map(|_| ()),
                    }
                }
            };
            match result {
                Err(e) if patch_unsupported(&e) => self.no_patch(),
                result => {
                    items.push(self.item(write.action(), name, outcome(&result)));
                    next += 1;
                }
            }
        }
        if let Some(remaining) = writes.get(next..).filter(|r| !r.is_empty()) {
            let result = self.replace_group(&id, plan, remaining).await;
            for write in remaining {
                items.push(self.item(write.action(), name, outcome(&result)));
            }
        }
        items
    }

    /// The group's remaining writes as one `GET` then `PUT`.
    async fn replace_group(
        &self,
        id: &str,
        plan: &GroupPlan,
        writes: &[GroupWrite<'_>],
    ) -> Result<()> {
        let desired = encode(&desired_group(&plan.source))?;
        let rename = writes.iter().any(|w| matches!(w, GroupWrite::Rename(_)));
        let remove: HashSet<&str> = writes
            .iter()
            .flat_map(|w| match w {
                GroupWrite::Remove(ids) => ids.iter().map(String::as_str).collect(),
                _ => Vec::new(),
            })
            .collect();
        let add: Vec<&str> = writes
            .iter()
            .flat_map(|w| match w {
                GroupWrite::Add(ids) => ids.iter().map(String::as_str).collect(),
                _ => Vec::new(),
            })
            .collect();
        let groups = self.target.client().groups();
        replace(&groups, id, |json| {
            if rename {
                group_owned().overlay(json, &desired);
            }
            let current: Vec<Member> = json
                .get("members")
                .cloned()
                .and_then(|m| serde_json::from_value(m).ok())
                .unwrap_or_default();
            let mut members: Vec<Member> = current
                .into_iter()
                .filter(|m| m.value.as_deref().is_none_or(|v| !remove.contains(v)))
                .collect();
            let present: HashSet<String> = members.iter().filter_map(|m| m.value.clone()).collect();
            members.extend(
                add.iter()
                    .filter(|a| !present.contains(**a))
                    .map(|a| Member::user(*a)),
            );
            if let Some(map) = json.as_object_mut() {
                map.insert(
                    "members".into(),
                    serde_json::to_value(members).unwrap_or(Value::Array(Vec::new())),
                );
            }
        })
        .await
    }
}

fn is_no_target(e: &Error) -> bool {
    matches!(e, Error::Scim(s) if s.kind() == Some(ScimErrorKind::NoTarget))
}

/// Removes the members of `ids` the group still has.
async fn remove_present(groups: &Resources<Group>, id: &str, ids: &[String]) -> Result<()> {
    let current = groups.get(id).await?;
    let present: HashSet<&str> = current
        .members
        .iter()
        .filter_map(|m| m.value.as_deref())
        .collect();
    let still: Vec<&str> = ids
        .iter()
        .map(String::as_str)
        .filter(|i| present.contains(i))
        .collect();
    if still.is_empty() {
        return Ok(());
    }
    groups.remove_members(id, still).await.map(|_| ())
}

/// `GET` a resource, change it as JSON, `PUT` it back (with `If-Match` when the target
/// does ETags).
async fn replace<T: Resource>(
    resources: &Resources<T>,
    id: &str,
    change: impl FnOnce(&mut Value),
) -> Result<()> {
    let current = resources.get(id).await?;
    let mut json = encode(&current)?;
    change(&mut json);
    resources.replace(&decode::<T>(json)?).await.map(|_| ())
}

/// The bulk operation for one user write (`bulkId` `u{i}` for a create).
fn bulk_operation(i: usize, op: &UserOp<'_>) -> Result<BulkOperation> {
    let bulk = match op {
        UserOp::Create(c) => Bulk::new().create(&format!("u{i}"), &c.user()?)?,
        UserOp::Update(u) => Bulk::new().patch::<User>(&u.id, &u.patch)?,
        UserOp::Deprovision(d) if d.action == Deprovision::Delete => {
            Bulk::new().delete::<User>(&d.id)
        }
        UserOp::Deprovision(d) => {
            Bulk::new().patch::<User>(&d.id, &Patch::new().replace("active", false))?
        }
    };
    bulk.operations
        .into_iter()
        .next()
        .ok_or_else(|| Error::Config("no bulk operation was built".into()))
}

/// The outcome of the operation at `at` in a bulk answer (`Ok(Some(id))` for a create):
/// by position when the answer lists every operation, else by `bulkId`.
fn bulk_result(
    results: &[BulkOperationResult],
    sent: &[BulkOperation],
    at: usize,
    apply: &Apply<'_>,
) -> Result<Option<String>> {
    let operation = sent.get(at);
    let result = if results.len() == sent.len() {
        results.get(at)
    } else {
        operation
            .and_then(|o| o.bulk_id.as_deref())
            .and_then(|b| results.iter().find(|r| r.bulk_id.as_deref() == Some(b)))
    };
    let Some(result) = result else {
        return Err(Error::Decode {
            status: StatusCode::OK,
            url: apply
                .target
                .client()
                .base_url()
                .join("Bulk")
                .map(|u| display_url(&u))
                .unwrap_or_default(),
            message: "the bulk answer has no result for this operation".into(),
            snippet: String::new(),
        });
    };
    let delete = operation.is_some_and(|o| o.method.eq_ignore_ascii_case("DELETE"));
    if result.is_success() || (delete && result.status == 404) {
        return Ok(result.id());
    }
    match result.error() {
        Some(e) => Err(Error::Scim(Box::new(e))),
        None => Ok(result.id()),
    }
}
