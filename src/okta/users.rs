//! Users: list and search, get, create, update, replace, lifecycle, delete, groups.

use std::fmt;
use std::marker::PhantomData;

use http::Method;
use serde::Serialize;
use serde::de::DeserializeOwned;
use url::Url;

use super::client::OktaClient;
use super::list::List;
use super::model::{
    ActivationToken, CreateUser, DefaultProfile, Group, ResetPasswordToken, User, UserStatus,
};
use crate::error::Result;
use crate::transport::ApiRequest;

/// The users of an org, with profile type `P`: from [`OktaClient::users`] or
/// [`OktaClient::users_with`].
///
/// Lifecycle in one picture: `create` → `STAGED` (or `PROVISIONED`/`ACTIVE` when activated)
/// → `suspend`/`unsuspend`, `unlock`, `reset_password`, `expire_password` → `deactivate` →
/// `DEPROVISIONED` → `delete`. Okta deletes only deactivated users: [`delete`](Self::delete)
/// on any other user deactivates it instead; [`deactivate_and_delete`](Self::deactivate_and_delete)
/// does both steps.
pub struct Users<P = DefaultProfile> {
    client: OktaClient,
    _profile: PhantomData<fn() -> P>,
}

impl<P> fmt::Debug for Users<P> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Users")
            .field("client", &self.client)
            .finish()
    }
}

impl<P> Clone for Users<P> {
    fn clone(&self) -> Self {
        Users::new(self.client.clone())
    }
}

fn flag(url: &mut Url, name: &str, value: bool) {
    url.query_pairs_mut()
        .append_pair(name, if value { "true" } else { "false" });
}

impl OktaClient {
    /// Users with Okta's standard profile ([`DefaultProfile`](super::DefaultProfile)).
    pub fn users(&self) -> Users {
        Users::new(self.clone())
    }

    /// Users with your own profile type `P`.
    ///
    /// ```
    /// #[derive(serde::Deserialize, serde::Serialize)]
    /// struct Hr { login: String, #[serde(rename = "employeeNumber")] employee_number: Option<String> }
    /// # fn f(okta: scimkit::okta::OktaClient) {
    /// let users = okta.users_with::<Hr>();
    /// # let _ = users; }
    /// ```
    pub fn users_with<P>(&self) -> Users<P> {
        Users::new(self.clone())
    }
}

impl<P> Users<P> {
    pub(crate) fn new(client: OktaClient) -> Self {
        Users {
            client,
            _profile: PhantomData,
        }
    }

    fn url(&self, segments: &[&str]) -> Result<Url> {
        let mut all = vec!["users"];
        all.extend_from_slice(segments);
        self.client.api_url(&all)
    }

    /// `GET /api/v1/users`: a listing to refine with `search`, `filter`, `q`, `limit`,
    /// `after`, `sort_by`, `sort_order`, then [`send`](List::send) or [`stream`](List::stream).
    ///
    /// Without `search` or `filter`, Okta leaves `DEPROVISIONED` users out.
    pub fn list(&self) -> List<User<P>> {
        List::new(self.client.clone(), self.url(&[]))
    }

    /// `GET /api/v1/users/{id}/groups`: the groups the user belongs to.
    pub fn groups(&self, user_id: &str) -> List<Group> {
        List::new(self.client.clone(), self.url(&[user_id, "groups"]))
    }

    /// `POST /api/v1/users/{id}/lifecycle/deactivate`: moves the user to `DEPROVISIONED`.
    pub async fn deactivate(&self, user_id: &str) -> Result<()> {
        self.client
            .send_empty(
                Method::POST,
                self.url(&[user_id, "lifecycle", "deactivate"])?,
            )
            .await
    }

    /// `POST .../lifecycle/activate`: activates a `STAGED` or `DEPROVISIONED` user. With
    /// `send_email = false` Okta returns the activation link and token instead of mailing them.
    pub async fn activate(&self, user_id: &str, send_email: bool) -> Result<ActivationToken> {
        let mut url = self.url(&[user_id, "lifecycle", "activate"])?;
        flag(&mut url, "sendEmail", send_email);
        self.client.send_for(Method::POST, url).await
    }

    /// `POST .../lifecycle/reactivate`: a new activation for a `PROVISIONED` user who never
    /// finished activating.
    pub async fn reactivate(&self, user_id: &str, send_email: bool) -> Result<ActivationToken> {
        let mut url = self.url(&[user_id, "lifecycle", "reactivate"])?;
        flag(&mut url, "sendEmail", send_email);
        self.client.send_for(Method::POST, url).await
    }

    /// `POST .../lifecycle/suspend`: `ACTIVE` → `SUSPENDED`.
    pub async fn suspend(&self, user_id: &str) -> Result<()> {
        self.client
            .send_empty(Method::POST, self.url(&[user_id, "lifecycle", "suspend"])?)
            .await
    }

    /// `POST .../lifecycle/unsuspend`: `SUSPENDED` → `ACTIVE`.
    pub async fn unsuspend(&self, user_id: &str) -> Result<()> {
        self.client
            .send_empty(
                Method::POST,
                self.url(&[user_id, "lifecycle", "unsuspend"])?,
            )
            .await
    }

    /// `POST .../lifecycle/unlock`: `LOCKED_OUT` → `ACTIVE`.
    pub async fn unlock(&self, user_id: &str) -> Result<()> {
        self.client
            .send_empty(Method::POST, self.url(&[user_id, "lifecycle", "unlock"])?)
            .await
    }

    /// `POST .../lifecycle/reset_password`: moves the user to `RECOVERY`. With
    /// `send_email = false` Okta returns the reset link instead of mailing it.
    pub async fn reset_password(
        &self,
        user_id: &str,
        send_email: bool,
    ) -> Result<ResetPasswordToken> {
        let mut url = self.url(&[user_id, "lifecycle", "reset_password"])?;
        flag(&mut url, "sendEmail", send_email);
        self.client.send_for(Method::POST, url).await
    }

    /// `DELETE /api/v1/users/{id}`. Okta deletes only `DEPROVISIONED` users: on any other
    /// user this call **deactivates** it, and a second call deletes it. Use
    /// [`deactivate_and_delete`](Self::deactivate_and_delete) to do both.
    pub async fn delete(&self, user_id: &str) -> Result<()> {
        self.client
            .send_empty(Method::DELETE, self.url(&[user_id])?)
            .await
    }
}

impl<P: DeserializeOwned + Send + 'static> Users<P> {
    /// `GET /api/v1/users/{idOrLogin}`: by id (`00u...`) or by login.
    pub async fn get(&self, id_or_login: &str) -> Result<User<P>> {
        self.client.get(self.url(&[id_or_login])?).await
    }

    /// `POST .../lifecycle/expire_password`: the user must change the password at next
    /// sign-in (`PASSWORD_EXPIRED`).
    pub async fn expire_password(&self, user_id: &str) -> Result<User<P>> {
        let url = self.url(&[user_id, "lifecycle", "expire_password"])?;
        self.client
            .send(ApiRequest::new(Method::POST, url))
            .await?
            .json()
    }

    /// Deletes a user whatever its status: deactivates it first unless it is already
    /// `DEPROVISIONED`, then deletes it (two or three requests).
    pub async fn deactivate_and_delete(&self, user_id: &str) -> Result<()> {
        let user: User<serde_json::Value> = self.client.get(self.url(&[user_id])?).await?;
        if user.status != UserStatus::Deprovisioned {
            self.deactivate(user_id).await?;
        }
        self.delete(user_id).await
    }
}

impl<P: Serialize + DeserializeOwned + Send + 'static> Users<P> {
    /// `POST /api/v1/users?activate=..[&nextLogin=changePassword]`: creates a user, with or
    /// without a password. See [`CreateUser`] for the options.
    pub async fn create(&self, user: &CreateUser<P>) -> Result<User<P>> {
        let mut url = self.url(&[])?;
        flag(&mut url, "activate", user.activate);
        if user.change_password_at_next_login {
            url.query_pairs_mut()
                .append_pair("nextLogin", "changePassword");
        }
        self.client.send_body(Method::POST, url, user).await
    }

    /// `PUT /api/v1/users/{id}`: replaces the whole profile (attributes left out are
    /// cleared).
    pub async fn replace(&self, user_id: &str, profile: &P) -> Result<User<P>> {
        self.client
            .send_body(Method::PUT, self.url(&[user_id])?, &ProfileBody { profile })
            .await
    }
}

impl<P: DeserializeOwned + Send + 'static> Users<P> {
    /// `POST /api/v1/users/{id}`: a partial update: only the attributes in `changes` are
    /// set, the others kept.
    ///
    /// ```
    /// # async fn f(okta: scimkit::okta::OktaClient) -> scimkit::Result<()> {
    /// let user = okta.users()
    ///     .update_profile("00u1", &serde_json::json!({"department": "Research"}))
    ///     .await?;
    /// # let _ = user; Ok(()) }
    /// ```
    pub async fn update_profile<B: Serialize + ?Sized>(
        &self,
        user_id: &str,
        changes: &B,
    ) -> Result<User<P>> {
        self.client
            .send_body(
                Method::POST,
                self.url(&[user_id])?,
                &ProfileBody { profile: changes },
            )
            .await
    }
}

#[derive(Serialize)]
struct ProfileBody<'a, B: ?Sized> {
    profile: &'a B,
}
