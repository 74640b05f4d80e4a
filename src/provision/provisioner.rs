//! [`Provisioner`]: the engine: a source, a mapping, targets; `plan()` then `apply()`.

use std::collections::HashSet;
use std::fmt;

use tracing::Instrument;

use super::apply::Apply;
use super::planner::{Settings, plan_target};
use super::{
    Deprovision, Event, GroupSelector, Plan, ProvisionError, Report, Source, Target, UserMapping,
    snapshot,
};
use crate::scim::OwnedAttributes;
use crate::{Error, Result};

/// The most requests one target gets at a time unless told otherwise.
const DEFAULT_CONCURRENCY: usize = 4;
/// Members per PATCH and operations per `/Bulk` request unless told otherwise.
const DEFAULT_BATCH_SIZE: usize = 100;
/// The largest batch allowed.
const MAX_BATCH_SIZE: usize = 1_000;
/// The most concurrent requests allowed per target.
const MAX_CONCURRENCY: usize = 256;
/// Resources per page when listing a target (capped by its `maxResults`).
const PAGE_SIZE: u64 = 1_000;

/// Builds a [`Provisioner`]; every setting has a documented default.
pub struct ProvisionerBuilder<S: Source> {
    source: S,
    mapping: Option<Box<dyn UserMapping<S::User>>>,
    owned: Option<OwnedAttributes>,
    targets: Vec<Target>,
    settings: Settings,
}

impl<S: Source> fmt::Debug for ProvisionerBuilder<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ProvisionerBuilder")
            .field("owned", &self.owned)
            .field("targets", &self.targets)
            .field("settings", &self.settings)
            .finish_non_exhaustive()
    }
}

impl<S: Source> ProvisionerBuilder<S> {
    /// How source users become SCIM users (default: the source's own default, such as
    /// [`OktaMapping`](super::OktaMapping) for [`OktaSource`](super::OktaSource)): any
    /// [`UserMapping`], including a closure.
    pub fn mapping(mut self, mapping: impl UserMapping<S::User> + 'static) -> Self {
        self.mapping = Some(Box::new(mapping));
        self
    }

    /// The user attributes the engine owns (default: the mapping's
    /// [`owned`](UserMapping::owned)); no other attribute of an existing target user is
    /// ever changed.
    pub fn owned(mut self, owned: OwnedAttributes) -> Self {
        self.owned = Some(owned);
        self
    }

    /// A target and the groups pushed to it. Targets are planned and applied side by
    /// side, each with its own client, credentials and capabilities.
    pub fn target(mut self, target: Target) -> Self {
        self.targets.push(target);
        self
    }

    /// The most requests in flight to one target at a time (default 4, at most 256); the
    /// source is read with the same bound.
    pub fn concurrency(mut self, requests: usize) -> Self {
        self.settings.concurrency = requests.clamp(1, MAX_CONCURRENCY);
        self
    }

    /// What happens to users no longer in any group pushed to a target (default
    /// [`Deprovision::Deactivate`]).
    pub fn deprovision(mut self, policy: Deprovision) -> Self {
        self.settings.deprovision = policy;
        self
    }

    /// Whether user writes go in `/Bulk` requests where a target supports them (default
    /// `true`: on the embedded mock, a bulk push runs several times faster than one
    /// request per user; see the `provision` bench).
    pub fn bulk(mut self, bulk: bool) -> Self {
        self.settings.bulk = bulk;
        self
    }

    /// Members per membership PATCH, operations per `/Bulk` request (within the target's
    /// `maxOperations`) and items per progress batch (default 100, at most 1,000).
    pub fn batch_size(mut self, size: usize) -> Self {
        self.settings.batch_size = size.clamp(1, MAX_BATCH_SIZE);
        self
    }

    /// Checks the settings and builds the provisioner. Sends nothing.
    pub fn build(self) -> Result<Provisioner<S>> {
        if self.targets.is_empty() {
            return Err(Error::Config(
                "a provisioner needs at least one target".into(),
            ));
        }
        let mut names = HashSet::new();
        for target in &self.targets {
            if !names.insert(target.name()) {
                return Err(Error::Config(format!(
                    "two targets are named {:?}: target names must be unique",
                    target.name()
                )));
            }
            if target.selectors().is_empty() {
                return Err(Error::Config(format!(
                    "target {:?} pushes no group: add one with Target::group",
                    target.name()
                )));
            }
        }
        let mapping = match self.mapping {
            Some(mapping) => mapping,
            None => self.source.default_mapping().ok_or_else(|| {
                Error::Config("this source has no default mapping: set one with mapping(..)".into())
            })?,
        };
        let owned = self.owned.unwrap_or_else(|| mapping.owned());
        Ok(Provisioner {
            source: self.source,
            mapping,
            owned,
            targets: self.targets,
            settings: self.settings,
        })
    }
}

/// Pushes groups and their members from a [`Source`] to SCIM [`Target`]s: `plan()` reads
/// both sides and returns what would change (a dry run), `apply()` makes the changes and
/// reports each item, `run()` does both.
///
/// - Users are matched by `externalId`, then by `userName` ignoring case, so users made by
///   hand or by another tool are adopted, not duplicated; groups by `externalId`, then
///   `displayName`.
/// - Only the [owned attributes](ProvisionerBuilder::owned) of an existing user change,
///   by a minimal PATCH (or `GET` + `PUT` where a target has no PATCH).
/// - The membership of pushed groups is the source's: members not in the source group are
///   removed; users left in no pushed group are deactivated (or deleted, or left active:
///   [`Deprovision`]). Nested groups and target users whose source user cannot be mapped
///   are left alone.
/// - Idempotent: a second run against an unchanged source writes nothing. Resumable: a run
///   stopped half-way (its future dropped, the process killed) converges on the next one,
///   without duplicates, because every run starts from what the target has.
/// - Bounded: at most [`concurrency`](ProvisionerBuilder::concurrency) requests in flight
///   per target; each client's retry loop honours `Retry-After`, and an Okta client built
///   with [`throttle`](crate::okta::OktaClientBuilder::throttle) reads within its budget.
///
/// ```
/// # #[cfg(feature = "mock")]
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> scimkit::Result<()> {
/// use scimkit::mock::{OktaOrg, ScimServer};
/// use scimkit::okta::GroupProfile;
/// use scimkit::provision::{OktaSource, Provisioner, Target};
///
/// let org = OktaOrg::start().await;                 // stands in for your Okta org
/// let staff = org.seed_group(GroupProfile::new("Staff")).unwrap();
/// for id in org.seed_sample_users(3) {
///     org.seed_membership(&staff, &id);
/// }
/// let pam = ScimServer::start().await;              // stands in for your SCIM target
///
/// let provisioner = Provisioner::builder(OktaSource::new(org.client()))
///     .target(Target::new("pam", pam.client()).group("Staff"))
///     .build()?;
/// let plan = provisioner.plan().await?;             // reads only: a dry run
/// assert_eq!(plan.targets[0].creates.len(), 3);
/// println!("{plan}");
/// let report = provisioner.apply(&plan).await;
/// assert!(report.is_success());
/// assert_eq!(pam.groups()[0].members.len(), 3);
///
/// // Nothing changed in Okta: nothing to write.
/// assert!(provisioner.plan().await?.is_empty());
/// # Ok(()) }
/// # #[cfg(not(feature = "mock"))]
/// # fn main() {}
/// ```
pub struct Provisioner<S: Source> {
    source: S,
    mapping: Box<dyn UserMapping<S::User>>,
    owned: OwnedAttributes,
    targets: Vec<Target>,
    settings: Settings,
}

impl<S: Source> fmt::Debug for Provisioner<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Provisioner")
            .field("owned", &self.owned)
            .field("targets", &self.targets)
            .field("settings", &self.settings)
            .finish_non_exhaustive()
    }
}

impl<S: Source> Provisioner<S> {
    /// Starts a [`ProvisionerBuilder`] reading from `source`.
    pub fn builder(source: S) -> ProvisionerBuilder<S> {
        ProvisionerBuilder {
            source,
            mapping: None,
            owned: None,
            targets: Vec::new(),
            settings: Settings {
                concurrency: DEFAULT_CONCURRENCY,
                deprovision: Deprovision::default(),
                bulk: true,
                batch_size: DEFAULT_BATCH_SIZE,
                page_size: PAGE_SIZE,
            },
        }
    }

    /// The targets.
    pub fn targets(&self) -> &[Target] {
        &self.targets
    }

    /// The user attributes the engine owns.
    pub fn owned(&self) -> &OwnedAttributes {
        &self.owned
    }

    /// The source.
    pub fn source(&self) -> &S {
        &self.source
    }

    /// Reads the source (each group once, each user mapped once) and every target, and
    /// returns what applying would write. Writes nothing.
    ///
    /// Fails with [`Error::Provision`] when a selected group is not in the source
    /// ([`ProvisionError::GroupNotFound`]), the source cannot be read
    /// ([`ProvisionError::Source`]), or a target cannot be read
    /// ([`ProvisionError::TargetUnavailable`], the first in the order targets were given):
    /// since every target is read before anything is written, one target that is down
    /// stops the run before any write to the others.
    pub async fn plan(&self) -> Result<Plan> {
        let span = tracing::info_span!("scimkit.provision.plan", targets = self.targets.len());
        async {
            let mut selectors: Vec<GroupSelector> = Vec::new();
            for selector in self.targets.iter().flat_map(Target::selectors) {
                if !selectors.contains(selector) {
                    selectors.push(selector.clone());
                }
            }
            let snapshot = snapshot::read(
                &self.source,
                self.mapping.as_ref(),
                &selectors,
                self.settings.concurrency,
            )
            .await?;
            let planned = futures_util::future::join_all(
                self.targets
                    .iter()
                    .map(|target| plan_target(target, &snapshot, &self.owned, &self.settings)),
            )
            .await;
            let mut plan = Plan::default();
            for (target, result) in self.targets.iter().zip(planned) {
                match result {
                    Ok(target_plan) => plan.targets.push(target_plan),
                    Err(source) => {
                        return Err(ProvisionError::TargetUnavailable {
                            target: target.name().to_owned(),
                            source,
                        }
                        .into());
                    }
                }
            }
            Ok(plan)
        }
        .instrument(span)
        .await
    }

    /// Applies `plan` (from [`plan`](Self::plan)): every target side by side; on each,
    /// users first, then groups. Never fails as a whole: each item's outcome is in the
    /// [`Report`], and one failed item never stops the others.
    pub async fn apply(&self, plan: &Plan) -> Report {
        self.apply_with(plan, |_| {}).await
    }

    /// [`apply`](Self::apply), calling `on_event` with each [`Event`] as it happens: phase
    /// starts, items, and a batch line every `batch_size` items and per bulk request.
    ///
    /// A target of the plan that this provisioner does not have is skipped.
    pub async fn apply_with(&self, plan: &Plan, on_event: impl Fn(&Event) + Send + Sync) -> Report {
        let span = tracing::info_span!("scimkit.provision.apply", targets = plan.targets.len());
        let on_event: &(dyn Fn(&Event) + Send + Sync) = &on_event;
        async {
            let runs = plan.targets.iter().filter_map(|target_plan| {
                let target = self
                    .targets
                    .iter()
                    .find(|t| t.name() == target_plan.target)?;
                Some(Apply::new(target, target_plan, &self.settings, on_event).run())
            });
            Report {
                targets: futures_util::future::join_all(runs).await,
            }
        }
        .instrument(span)
        .await
    }

    /// [`plan`](Self::plan), then [`apply`](Self::apply).
    pub async fn run(&self) -> Result<Report> {
        let plan = self.plan().await?;
        Ok(self.apply(&plan).await)
    }
}
