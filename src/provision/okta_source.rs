//! [`OktaSource`]: Okta groups (by id, exact name or filter) and their members, read through
//! the Okta client's streams.

use std::fmt;
use std::marker::PhantomData;

use futures_util::StreamExt;
use futures_util::stream::BoxStream;
use http::StatusCode;
use serde::Serialize;
use serde::de::DeserializeOwned;

use super::{GroupSelector, OktaMapping, Source, SourceGroup, UserMapping};
use crate::Result;
use crate::okta::{self, DefaultProfile, Group, OktaClient};
use crate::transport::BoxFuture;

/// The most groups one `q` query asks for (Okta's maximum `limit` for groups; a `q` query
/// cannot be paged).
const NAME_QUERY_LIMIT: u32 = 10_000;

/// The default page size of group member listings.
const DEFAULT_PAGE_SIZE: u32 = 1_000;

/// Okta as a [`Source`]: groups by id, by exact name or by a `search` expression, and their
/// members as `okta::User<P>` ([`DefaultProfile`] unless you bring your own profile type).
///
/// A name is looked up with Okta's `q`, which is a prefix search, then matched exactly on
/// the client (ignoring case, as Okta does for group names); should the prefix match more
/// groups than one query returns, an exact `search` on `profile.name` follows. Members are
/// read with `Link` paging, through the client (and so within its rate budget when it has
/// one: see [`OktaClientBuilder::throttle`](crate::okta::OktaClientBuilder::throttle)).
///
/// ```
/// # #[cfg(feature = "mock")]
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> scimkit::Result<()> {
/// use futures_util::TryStreamExt;
/// use scimkit::okta::GroupProfile;
/// use scimkit::provision::{GroupSelector, OktaSource, Source};
///
/// let org = scimkit::mock::OktaOrg::start().await;
/// let ids = org.seed_sample_users(2);
/// let eng = org.seed_group(GroupProfile::new("Engineering")).unwrap();
/// org.seed_group(GroupProfile::new("Engineering Managers")).unwrap();
/// org.seed_membership(&eng, &ids[0]);
///
/// let source = OktaSource::new(org.client());
/// let groups = source.groups(&GroupSelector::name("engineering")).await?;
/// assert_eq!(groups.len(), 1); // not "Engineering Managers", which `q` also matches
/// assert_eq!(groups[0].id, eng);
/// let members: Vec<_> = source.members(&groups[0]).try_collect().await?;
/// assert_eq!(members[0].id, ids[0]);
/// # Ok(()) }
/// # #[cfg(not(feature = "mock"))]
/// # fn main() {}
/// ```
pub struct OktaSource<P = DefaultProfile> {
    client: OktaClient,
    page_size: u32,
    _profile: PhantomData<fn() -> P>,
}

impl<P> Clone for OktaSource<P> {
    fn clone(&self) -> Self {
        OktaSource {
            client: self.client.clone(),
            page_size: self.page_size,
            _profile: PhantomData,
        }
    }
}

impl<P> fmt::Debug for OktaSource<P> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OktaSource")
            .field("client", &self.client)
            .field("page_size", &self.page_size)
            .finish()
    }
}

impl OktaSource<DefaultProfile> {
    /// Okta through this client, with the default profile type.
    pub fn new(client: OktaClient) -> Self {
        OktaSource {
            client,
            page_size: DEFAULT_PAGE_SIZE,
            _profile: PhantomData,
        }
    }
}

impl<P> OktaSource<P> {
    /// Reads users with your own profile type `Q` (custom attributes typed).
    pub fn with_profile<Q>(self) -> OktaSource<Q> {
        OktaSource {
            client: self.client,
            page_size: self.page_size,
            _profile: PhantomData,
        }
    }

    /// Members per page (`limit`, default 1,000; Okta allows up to 10,000).
    pub fn page_size(mut self, limit: u32) -> Self {
        self.page_size = limit.max(1);
        self
    }

    /// The Okta client.
    pub fn client(&self) -> &OktaClient {
        &self.client
    }

    async fn by_id(&self, id: &str) -> Result<Vec<SourceGroup>> {
        match self.client.groups().get(id).await {
            Ok(group) => Ok(vec![source_group(group)]),
            Err(e) if e.status() == Some(StatusCode::NOT_FOUND) => Ok(Vec::new()),
            Err(e) => Err(e),
        }
    }

    async fn by_name(&self, name: &str) -> Result<Vec<SourceGroup>> {
        let page = self
            .client
            .groups()
            .list()
            .q(name)
            .limit(NAME_QUERY_LIMIT)
            .send()
            .await?;
        let full = page.items.len() >= NAME_QUERY_LIMIT as usize;
        if let Some(group) = exact(page.items, name) {
            return Ok(vec![source_group(group)]);
        }
        if !full {
            return Ok(Vec::new());
        }
        let all = self
            .client
            .groups()
            .list()
            .search(format!("profile.name eq {}", quoted(name)))
            .all()
            .await?;
        Ok(exact(all, name).map(source_group).into_iter().collect())
    }

    async fn by_filter(&self, expression: &str) -> Result<Vec<SourceGroup>> {
        let groups = self.client.groups().list().search(expression).all().await?;
        Ok(groups.into_iter().map(source_group).collect())
    }
}

fn source_group(group: Group) -> SourceGroup {
    SourceGroup::new(group.id, group.profile.name)
}

/// The group named exactly `name`, ignoring case as Okta does (a case-exact match first).
fn exact(groups: Vec<Group>, name: &str) -> Option<Group> {
    let lower = name.to_lowercase();
    let mut folded = None;
    for group in groups {
        if group.profile.name == name {
            return Some(group);
        }
        if folded.is_none() && group.profile.name.to_lowercase() == lower {
            folded = Some(group);
        }
    }
    folded
}

/// A string literal of Okta's filter language.
fn quoted(value: &str) -> String {
    let mut out = String::with_capacity(value.len() + 2);
    out.push('"');
    for c in value.chars() {
        if c == '"' || c == '\\' {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('"');
    out
}

impl<P> Source for OktaSource<P>
where
    P: Serialize + DeserializeOwned + Send + Sync + 'static,
{
    type User = okta::User<P>;

    fn groups<'a>(
        &'a self,
        selector: &'a GroupSelector,
    ) -> BoxFuture<'a, Result<Vec<SourceGroup>>> {
        Box::pin(async move {
            match selector {
                GroupSelector::Id(id) => self.by_id(id).await,
                GroupSelector::Name(name) => self.by_name(name).await,
                GroupSelector::Filter(expression) => self.by_filter(expression).await,
            }
        })
    }

    fn members<'a>(&'a self, group: &'a SourceGroup) -> BoxStream<'a, Result<Self::User>> {
        self.client
            .groups()
            .members_with::<P>(&group.id)
            .limit(self.page_size)
            .stream()
            .boxed()
    }

    fn default_mapping(&self) -> Option<Box<dyn UserMapping<Self::User>>> {
        Some(Box::new(OktaMapping::<P>::new()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn filter_literals_are_escaped() {
        assert_eq!(quoted(r#"a "b" \c"#), r#""a \"b\" \\c""#);
    }
}
