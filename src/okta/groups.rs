//! Groups: list and search, get, create, replace, delete, members.

use http::Method;
use serde::Serialize;

use super::client::OktaClient;
use super::list::List;
use super::model::{DefaultProfile, Group, GroupProfile, User};
use crate::error::Result;

/// The groups of an org: from [`OktaClient::groups`].
#[derive(Debug, Clone)]
pub struct Groups {
    client: OktaClient,
}

#[derive(Serialize)]
struct ProfileBody<'a> {
    profile: &'a GroupProfile,
}

impl OktaClient {
    /// Groups.
    pub fn groups(&self) -> Groups {
        Groups::new(self.clone())
    }
}

impl Groups {
    pub(crate) fn new(client: OktaClient) -> Self {
        Groups { client }
    }

    fn url(&self, segments: &[&str]) -> Result<url::Url> {
        let mut all = vec!["groups"];
        all.extend_from_slice(segments);
        self.client.api_url(&all)
    }

    /// `GET /api/v1/groups`: a listing to refine with `search`, `filter`, `q`, `limit`,
    /// `after`, `sort_by`, `sort_order`.
    pub fn list(&self) -> List<Group> {
        List::new(self.client.clone(), self.url(&[]))
    }

    /// `GET /api/v1/groups/{groupId}`.
    pub async fn get(&self, group_id: &str) -> Result<Group> {
        self.client.get(self.url(&[group_id])?).await
    }

    /// `POST /api/v1/groups`: creates an `OKTA_GROUP`.
    ///
    /// ```
    /// # async fn f(okta: scimkit::okta::OktaClient) -> scimkit::Result<()> {
    /// use scimkit::okta::GroupProfile;
    /// let eng = okta.groups().create(&GroupProfile::new("Engineering").description("Builders")).await?;
    /// # let _ = eng; Ok(()) }
    /// ```
    pub async fn create(&self, profile: &GroupProfile) -> Result<Group> {
        self.client
            .send_body(Method::POST, self.url(&[])?, &ProfileBody { profile })
            .await
    }

    /// `PUT /api/v1/groups/{groupId}`: replaces the profile of an `OKTA_GROUP`.
    pub async fn replace(&self, group_id: &str, profile: &GroupProfile) -> Result<Group> {
        self.client
            .send_body(
                Method::PUT,
                self.url(&[group_id])?,
                &ProfileBody { profile },
            )
            .await
    }

    /// `DELETE /api/v1/groups/{groupId}`.
    pub async fn delete(&self, group_id: &str) -> Result<()> {
        self.client
            .send_empty(Method::DELETE, self.url(&[group_id])?)
            .await
    }

    /// `GET /api/v1/groups/{groupId}/users`: the members (`limit`, `after`, `stream()`).
    pub fn members(&self, group_id: &str) -> List<User<DefaultProfile>> {
        List::new(self.client.clone(), self.url(&[group_id, "users"]))
    }

    /// Like [`members`](Self::members), with your own profile type.
    pub fn members_with<P>(&self, group_id: &str) -> List<User<P>> {
        List::new(self.client.clone(), self.url(&[group_id, "users"]))
    }

    /// `PUT /api/v1/groups/{groupId}/users/{userId}`: adds a user (idempotent).
    pub async fn add_user(&self, group_id: &str, user_id: &str) -> Result<()> {
        self.client
            .send_empty(Method::PUT, self.url(&[group_id, "users", user_id])?)
            .await
    }

    /// `DELETE /api/v1/groups/{groupId}/users/{userId}`: removes a user.
    pub async fn remove_user(&self, group_id: &str, user_id: &str) -> Result<()> {
        self.client
            .send_empty(Method::DELETE, self.url(&[group_id, "users", user_id])?)
            .await
    }
}
