//! [`Source`]: where the groups and users to push come from, and how a group is chosen.

use std::fmt;

use futures_util::stream::BoxStream;

use super::UserMapping;
use crate::Result;
use crate::transport::BoxFuture;

/// How a group is chosen in the source.
///
/// ```
/// use scimkit::provision::GroupSelector;
///
/// let by_name: GroupSelector = "Engineering".into();
/// assert_eq!(by_name, GroupSelector::name("Engineering"));
/// assert_eq!(GroupSelector::id("00g1").to_string(), "id 00g1");
/// assert_eq!(GroupSelector::filter(r#"profile.name sw "eng-""#).to_string(), r#"filter profile.name sw "eng-""#);
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum GroupSelector {
    /// The group with this id in the source (`00g…` in Okta).
    Id(String),
    /// The group with exactly this name, compared as the source compares names
    /// (case-insensitively for Okta, whose group names are unique regardless of case).
    Name(String),
    /// Every group a source-specific filter matches (for Okta, a `search` expression such as
    /// `profile.name sw "eng-"`). Matching no group is not an error.
    Filter(String),
}

impl GroupSelector {
    /// By id.
    pub fn id(id: impl Into<String>) -> Self {
        GroupSelector::Id(id.into())
    }

    /// By exact name.
    pub fn name(name: impl Into<String>) -> Self {
        GroupSelector::Name(name.into())
    }

    /// By a source-specific filter.
    pub fn filter(expression: impl Into<String>) -> Self {
        GroupSelector::Filter(expression.into())
    }
}

impl fmt::Display for GroupSelector {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            GroupSelector::Id(id) => write!(f, "id {id}"),
            GroupSelector::Name(name) => write!(f, "name {name:?}"),
            GroupSelector::Filter(expression) => write!(f, "filter {expression}"),
        }
    }
}

impl From<&str> for GroupSelector {
    /// A group by exact name.
    fn from(name: &str) -> Self {
        GroupSelector::name(name)
    }
}

impl From<String> for GroupSelector {
    /// A group by exact name.
    fn from(name: String) -> Self {
        GroupSelector::name(name)
    }
}

/// A group read from the source.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub struct SourceGroup {
    /// The source's stable id: the target group's `externalId`.
    pub id: String,
    /// The group's name: the target group's `displayName`.
    pub name: String,
}

impl SourceGroup {
    /// A group from its id and name.
    pub fn new(id: impl Into<String>, name: impl Into<String>) -> Self {
        SourceGroup {
            id: id.into(),
            name: name.into(),
        }
    }
}

/// What the engine needs to know of a source's user besides its mapping.
pub trait SourceUser: Send + Sync + 'static {
    /// The source's stable id for the user (Okta's `00u…`): the default `externalId`.
    /// A target user whose `externalId` is the id of a user that could not be mapped is
    /// left alone (never removed from a group nor deprovisioned) until it can be.
    fn source_id(&self) -> &str;

    /// How reports name the user when it cannot be mapped (Okta: its login).
    fn label(&self) -> String {
        self.source_id().to_owned()
    }
}

/// Where the groups and users to push come from: Okta ([`OktaSource`](super::OktaSource)),
/// or anything else (a database, another identity provider) through this trait.
///
/// ```
/// use futures_util::StreamExt;
/// use futures_util::stream::BoxStream;
/// use scimkit::provision::{GroupSelector, Source, SourceGroup, SourceUser};
/// use scimkit::transport::BoxFuture;
///
/// /// People from a table, in one group.
/// struct Staff(Vec<Person>);
/// #[derive(Clone)]
/// struct Person { id: String, email: String }
///
/// impl SourceUser for Person {
///     fn source_id(&self) -> &str { &self.id }
/// }
///
/// impl Source for Staff {
///     type User = Person;
///     fn groups<'a>(&'a self, selector: &'a GroupSelector)
///         -> BoxFuture<'a, scimkit::Result<Vec<SourceGroup>>> {
///         let found = match selector {
///             GroupSelector::Name(n) if n == "Staff" => vec![SourceGroup::new("staff", "Staff")],
///             _ => vec![],
///         };
///         Box::pin(async move { Ok(found) })
///     }
///     fn members<'a>(&'a self, _group: &'a SourceGroup)
///         -> BoxStream<'a, scimkit::Result<Person>> {
///         futures_util::stream::iter(self.0.iter().cloned().map(Ok)).boxed()
///     }
/// }
/// # let _ = Staff(vec![Person { id: "1".into(), email: "a@example.com".into() }]);
/// ```
pub trait Source: Send + Sync + 'static {
    /// The source's user type.
    type User: SourceUser;

    /// The groups `selector` chooses: at most one for an id or a name (none when there is
    /// no such group), any number for a filter.
    fn groups<'a>(&'a self, selector: &'a GroupSelector)
    -> BoxFuture<'a, Result<Vec<SourceGroup>>>;

    /// The members of a group. An error ends the plan: a partial member list would
    /// deprovision the members not read.
    fn members<'a>(&'a self, group: &'a SourceGroup) -> BoxStream<'a, Result<Self::User>>;

    /// The mapping used unless the provisioner is given one (`None`: the provisioner must be
    /// given one).
    fn default_mapping(&self) -> Option<Box<dyn UserMapping<Self::User>>> {
        None
    }
}
