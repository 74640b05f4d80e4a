//! [`Target`]: one SCIM service provider and the source groups pushed to it, and the
//! [`Capabilities`] discovered from it.

use std::fmt;

use http::StatusCode;

use super::GroupSelector;
use crate::Result;
use crate::scim::{ScimClient, ServiceProviderConfig};

/// A SCIM service provider to push groups to, with its own client: its own credentials,
/// token cache and discovered capabilities.
///
/// ```
/// use scimkit::auth::BearerToken;
/// use scimkit::provision::{GroupSelector, Target};
/// use scimkit::scim::ScimClient;
///
/// let internal = ScimClient::builder()
///     .base_url("https://pam.example.com/iso/scim/v2")
///     .auth(BearerToken::new("t0ken".to_string()))
///     .build()?;
/// let target = Target::new("internal", internal)
///     .group("Employees")                        // by exact name
///     .group(GroupSelector::id("00g1a2b3c4"));   // by id
/// assert_eq!(target.selectors().len(), 2);
/// # Ok::<(), scimkit::Error>(())
/// ```
#[derive(Debug, Clone)]
pub struct Target {
    name: String,
    client: ScimClient,
    groups: Vec<GroupSelector>,
}

impl Target {
    /// A target named `name` (in plans, reports and errors), reached through `client`.
    pub fn new(name: impl Into<String>, client: ScimClient) -> Self {
        Target {
            name: name.into(),
            client,
            groups: Vec::new(),
        }
    }

    /// Pushes the groups `selector` chooses (a `&str` is an exact name) to this target.
    pub fn group(mut self, selector: impl Into<GroupSelector>) -> Self {
        let selector = selector.into();
        if !self.groups.contains(&selector) {
            self.groups.push(selector);
        }
        self
    }

    /// Pushes several groups.
    pub fn groups<I, G>(self, selectors: I) -> Self
    where
        I: IntoIterator<Item = G>,
        G: Into<GroupSelector>,
    {
        selectors.into_iter().fold(self, Target::group)
    }

    /// The target's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The target's client.
    pub fn client(&self) -> &ScimClient {
        &self.client
    }

    /// The groups pushed to this target.
    pub fn selectors(&self) -> &[GroupSelector] {
        &self.groups
    }
}

/// What a target supports, from its `/ServiceProviderConfig` (or assumed when it has
/// none), and so how the engine talks to it.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Capabilities {
    /// Whether the target answered `/ServiceProviderConfig`; when not, the rest is assumed:
    /// PATCH and filters supported, no bulk.
    pub discovered: bool,
    /// PATCH supported; without it, changes are made by `GET` then `PUT` of the whole
    /// resource, owned attributes replaced and the rest sent back as it was.
    pub patch: bool,
    /// The most operations in one `/Bulk` request, when bulk is supported.
    pub bulk: Option<u64>,
    /// Filters supported: users and groups are then looked up one by one when that costs
    /// fewer requests than listing every resource.
    pub filter: bool,
    /// The most resources one page returns (`filter.maxResults`).
    pub max_results: Option<u64>,
    /// ETags supported (a `PUT` then carries `If-Match`).
    pub etag: bool,
}

impl Capabilities {
    /// What a target that does not answer `/ServiceProviderConfig` is assumed to support.
    pub fn assumed() -> Self {
        Capabilities {
            discovered: false,
            patch: true,
            bulk: None,
            filter: true,
            max_results: None,
            etag: false,
        }
    }

    /// The capabilities a `ServiceProviderConfig` advertises.
    pub fn from_config(config: &ServiceProviderConfig) -> Self {
        Capabilities {
            discovered: true,
            patch: config.patch.supported,
            bulk: config.bulk.supported.then(|| {
                config
                    .bulk
                    .max_operations
                    .filter(|m| *m > 0)
                    .unwrap_or(u64::MAX)
            }),
            filter: config.filter.supported,
            max_results: config.filter.max_results.filter(|m| *m > 0),
            etag: config.etag.supported,
        }
    }

    /// Discovers what `client` supports (once: a client that already has its
    /// configuration is not asked again). A target without `/ServiceProviderConfig` (404,
    /// 405, 501) gets [`assumed`](Self::assumed); any other failure is returned.
    pub(crate) async fn discover(client: &ScimClient) -> Result<Capabilities> {
        if let Some(config) = client.capabilities() {
            return Ok(Capabilities::from_config(&config));
        }
        match client.discover().await {
            Ok(config) => Ok(Capabilities::from_config(&config)),
            Err(e)
                if matches!(
                    e.status(),
                    Some(StatusCode::NOT_FOUND)
                        | Some(StatusCode::METHOD_NOT_ALLOWED)
                        | Some(StatusCode::NOT_IMPLEMENTED)
                ) =>
            {
                Ok(Capabilities::assumed())
            }
            Err(e) => Err(e),
        }
    }
}

impl fmt::Display for Capabilities {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let yes = |b: bool| if b { "yes" } else { "no" };
        write!(f, "PATCH {}, bulk ", yes(self.patch))?;
        match self.bulk {
            Some(u64::MAX) => f.write_str("yes")?,
            Some(n) => write!(f, "{n} ops")?,
            None => f.write_str("no")?,
        }
        write!(f, ", filter {}", yes(self.filter))?;
        if let Some(m) = self.max_results {
            write!(f, ", maxResults {m}")?;
        }
        if !self.discovered {
            f.write_str(" (assumed: no /ServiceProviderConfig)")?;
        }
        Ok(())
    }
}
