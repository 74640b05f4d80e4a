//! Provisioning: Okta groups and their members pushed to one or more SCIM targets, as
//! Okta's "Push Groups" does, from your own service.
//!
//! - [`Source`]: where groups and users come from; [`OktaSource`] reads Okta groups chosen
//!   by id, exact name or filter ([`GroupSelector`]) and their members.
//! - [`UserMapping`]: how a source user becomes a SCIM user; [`OktaMapping`] is the
//!   default for Okta, with per-attribute overrides; a closure replaces it whole. The
//!   attributes the engine owns are explicit ([`OwnedAttributes`](crate::scim::OwnedAttributes),
//!   [`default_owned_attributes`]): no other attribute of a target user is ever changed.
//! - [`Target`]: a SCIM service provider with its own client and the groups pushed to it;
//!   its [`Capabilities`] (PATCH, bulk, filter, `maxResults`) are discovered and used.
//! - [`Provisioner`]: `plan()` reads both sides and returns a [`Plan`] (a dry run: user
//!   creates, minimal PATCHes, deactivations or deletes, group creates, member adds and
//!   removes); `apply()` executes it with bounded concurrency, reporting [`Event`]s and
//!   returning a [`Report`] with every item's [`Outcome`].
//!
//! Runs are idempotent (nothing changed in the source: zero writes) and resumable (a run
//! stopped half-way converges on the next), because every plan starts from what the
//! targets have, matched by `externalId` and then `userName`.
//!
//! ```
//! # #[cfg(feature = "mock")]
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> scimkit::Result<()> {
//! use scimkit::mock::{OktaOrg, ScimServer};
//! use scimkit::okta::{DefaultProfile, GroupProfile, UserStatus};
//! use scimkit::provision::{OktaSource, Provisioner, Target};
//!
//! // An Okta org with two groups, and two SCIM targets (internal and third-party users).
//! let org = OktaOrg::start().await;
//! let ada = org.seed_user(DefaultProfile::new("ada@example.com", "Ada", "Lovelace"), UserStatus::Active).unwrap();
//! let bob = org.seed_user(DefaultProfile::new("bob@partner.example", "Bob", "Smith"), UserStatus::Active).unwrap();
//! let staff = org.seed_group(GroupProfile::new("Staff")).unwrap();
//! let partners = org.seed_group(GroupProfile::new("Partners")).unwrap();
//! org.seed_membership(&staff, &ada);
//! org.seed_membership(&partners, &bob);
//! let (internal, external) = (ScimServer::start().await, ScimServer::start().await);
//!
//! let provisioner = Provisioner::builder(OktaSource::new(org.client()))
//!     .target(Target::new("internal", internal.client()).group("Staff"))
//!     .target(Target::new("third-party", external.client()).group("Partners"))
//!     .build()?;
//! let report = provisioner.run().await?;
//! println!("{report}");
//! assert_eq!(report.summary().users_created, 2);
//! assert_eq!(internal.users()[0].user_name, "ada@example.com");
//! assert_eq!(external.users()[0].external_id.as_deref(), Some(bob.as_str()));
//! # Ok(()) }
//! # #[cfg(not(feature = "mock"))]
//! # fn main() {}
//! ```

mod apply;
mod event;
mod mapping;
mod matching;
mod okta_mapping;
mod okta_source;
mod plan;
mod planner;
mod provisioner;
mod report;
mod snapshot;
mod source;
mod target;

pub use crate::error::ProvisionError;
pub use event::{Event, Phase};
pub use mapping::{MappingError, UserMapping, default_owned_attributes};
pub use okta_mapping::OktaMapping;
pub use okta_source::OktaSource;
pub use plan::{
    Deprovision, GroupPlan, MemberRef, Plan, TargetPlan, Unmappable, UserCreate, UserDeprovision,
    UserUpdate,
};
pub use provisioner::{Provisioner, ProvisionerBuilder};
pub use report::{Action, ItemReport, Outcome, Report, SkipReason, Summary, TargetReport};
pub use source::{GroupSelector, Source, SourceGroup, SourceUser};
pub use target::{Capabilities, Target};
