//! [`OktaOrg`] and its builder: starting the org, seeding and inspecting its state.

use std::io;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, UNIX_EPOCH};

use serde::Serialize;
use serde_json::{Map, Value, json};

use super::responder::OktaService;
use super::state::{AssigneeKind, MockGroup, RateWindow, ServiceClient, State};
use crate::clock::{Clock, SystemClock};
use crate::mock::core::{Core, LOOPBACK};
use crate::mock::record::{DEFAULT_MAX_RECORDS, RecordedRequest};
use crate::mock::util::{lock, rfc3339};
use crate::mock::{Fault, Faults};
use crate::okta::{DefaultProfile, Group, GroupProfile, OktaClient, RoleType, User, UserStatus};
use crate::transport::Transport;

/// The budget an [`OktaOrg`] reports, per minute, without a
/// [`rate_limit`](OktaOrgBuilder::rate_limit); it is not enforced.
pub const DEFAULT_RATE_LIMIT: u32 = 10_000;

/// The API token [`OktaOrg`] accepts unless told otherwise.
pub const MOCK_API_TOKEN: &str = "00mock-okta-api-token";

/// Configures an [`OktaOrg`] before it starts.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() {
/// use std::time::Duration;
/// use scimkit::mock::OktaOrg;
///
/// let org = OktaOrg::builder()
///     .api_token("00my-test-token")
///     .rate_limit(100, Duration::from_secs(60))  // 100 requests a minute, then 429s
///     .start()
///     .await;
/// assert_eq!(org.api_token(), "00my-test-token");
/// # }
/// ```
pub struct OktaOrgBuilder {
    api_token: String,
    rate_limit: Option<(u32, Duration)>,
    clock: Arc<dyn Clock>,
    address: SocketAddr,
    max_records: usize,
}

impl std::fmt::Debug for OktaOrgBuilder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OktaOrgBuilder")
            .field("api_token", &"[redacted]")
            .field("rate_limit", &self.rate_limit)
            .field("address", &self.address)
            .field("max_records", &self.max_records)
            .finish_non_exhaustive()
    }
}

impl OktaOrgBuilder {
    /// The API token the org accepts as `SSWS <token>` (default [`MOCK_API_TOKEN`]).
    pub fn api_token(mut self, token: impl Into<String>) -> Self {
        self.api_token = token.into();
        self
    }

    /// A rate-limit budget for the management API, enforced: `limit` requests per `window`;
    /// a request beyond it gets Okta's 429 (`E0000047`). Every answer carries
    /// `X-Rate-Limit-Limit`, `-Remaining` and `-Reset` either way; without this setting they
    /// describe a budget of [`DEFAULT_RATE_LIMIT`] a minute that is counted but not enforced.
    pub fn rate_limit(mut self, limit: u32, window: Duration) -> Self {
        self.rate_limit = Some((limit, window));
        self
    }

    /// The clock for timestamps, rate-limit windows and token expiry (default: the system
    /// clock). Share a [`ManualClock`](crate::ManualClock) with the client's transport and
    /// its rate-limit waits move the org's clock too.
    pub fn clock(mut self, clock: impl Clock) -> Self {
        self.clock = Arc::new(clock);
        self
    }

    /// Whether to keep requests for [`OktaOrg::requests`] (default `true`); `false` is
    /// `max_records(0)`.
    pub fn record_requests(self, record: bool) -> Self {
        self.max_records(if record { DEFAULT_MAX_RECORDS } else { 0 })
    }

    /// How many requests to keep for [`OktaOrg::requests`] (default 10,000; the oldest go
    /// first; 0 keeps none, the count still runs).
    pub fn max_records(mut self, max: usize) -> Self {
        self.max_records = max;
        self
    }

    /// Where to listen (default `127.0.0.1:0`, a port the OS picks).
    pub fn address(mut self, address: SocketAddr) -> Self {
        self.address = address;
        self
    }

    /// Starts the org.
    ///
    /// # Panics
    /// If the address cannot be bound (for the default, if 127.0.0.1 has no free port);
    /// [`try_start`](Self::try_start) returns the error instead.
    #[allow(clippy::expect_used)]
    pub async fn start(self) -> OktaOrg {
        self.try_start()
            .await
            .expect("the mock Okta org could not bind its address")
    }

    /// Starts the org, or says why it could not bind its address.
    pub async fn try_start(self) -> io::Result<OktaOrg> {
        let state = Arc::new(Mutex::new(State::default()));
        let clock = self.clock.clone();
        let service_state = state.clone();
        let core = Core::start(self.address, "", self.max_records, |uri| {
            let mut st = lock(&service_state);
            st.base = uri.to_owned();
            st.api_tokens.insert(self.api_token.clone());
            let (limit, window, enforced) = match self.rate_limit {
                Some((limit, window)) => (limit, window, true),
                None => (DEFAULT_RATE_LIMIT, Duration::from_secs(60), false),
            };
            st.rate = Some(RateWindow {
                limit,
                window,
                remaining: limit,
                reset_at: UNIX_EPOCH,
                enforced,
            });
            drop(st);
            OktaService {
                state: service_state.clone(),
                clock: clock.clone(),
            }
        })?;
        Ok(OktaOrg {
            core,
            state,
            api_token: self.api_token,
            clock: self.clock,
        })
    }
}

/// An in-memory Okta org: users with Okta's lifecycle, groups and memberships, admin role
/// assignments, `search` / `filter` / `q`, `Link` paging with an `after` cursor, rate-limit
/// headers and 429s from a budget, `SSWS` token checks, an OAuth token endpoint for service
/// apps (private-key JWT, DPoP), aimed faults, recorded requests, and typed seeding and
/// inspection.
///
/// Rules it enforces as Okta does: `DELETE` on a user that is not `DEPROVISIONED`
/// deactivates it (a second `DELETE` deletes it); lifecycle operations only from the
/// statuses that allow them (activation without a password leads to `PROVISIONED`); unique
/// logins and group names; listings without `search` or `filter` leave `DEPROVISIONED` users
/// out; `q` is a prefix match on first name, last name and email, unpaged, 10 by default;
/// `Authorization: SSWS <token>` with or without the space (Okta's Python SDK sends none);
/// `X-Okta-Request-Id`, `Date` and `X-Rate-Limit-Limit`/`-Remaining`/`-Reset` on every
/// answer. Okta's official Python SDK runs against it unmodified (`interop/run-okta-sdk.sh`).
///
/// # Deliberate differences from real Okta
///
/// - **Scope**: only the endpoints above (users, lifecycle, a user's groups, groups,
///   membership, role assignments for users and groups, `/oauth2/v1/token`); anything else
///   answers 404 `E0000022`. No apps, factors, policies, sessions, events or system log.
/// - **Rate limits**: one bucket for the whole management API (Okta keeps one per endpoint
///   family and adds concurrency limits); the token endpoint is not counted. Without
///   [`rate_limit`](OktaOrgBuilder::rate_limit) the headers describe a budget of
///   [`DEFAULT_RATE_LIMIT`] a minute that is never enforced. Answers injected by
///   [faults](Self::faults) carry no rate-limit headers.
/// - **Ids and cursors**: ids are a counter (`00u00000000000000001`, `00g…`, `ra1…`), so
///   listings come back in creation order and the `after` cursor is the last id of the page
///   (Okta's ids are random and its cursors opaque). Request ids are `mockreq{n}` and error
///   ids `oaemockreq{n}`; `errorLink` repeats the error code.
/// - **Search and filter**: `search` and `filter` take the same language (`eq`, `ne`, `sw`,
///   `co`, `ew`, `gt`, `ge`, `lt`, `le`, `pr`, `and`, `or`, `not`, parentheses) on any
///   attribute, case-insensitively. Okta's `filter` allows fewer attributes and operators,
///   its `search` has no `ne`, and its search index is eventually consistent; the mock's
///   results are exact at once.
/// - **Page sizes**: users 200 by default and at most; groups and a user's groups 10,000;
///   group members 1,000 by default, 10,000 at most.
/// - **Credentials and email**: passwords are neither stored nor checked against a policy
///   (a password only makes `credentials.password` appear); no recovery question, factor or
///   email; activation tokens and reset links are predictable (`mock-activation-{id}`).
/// - **Users and groups**: `lastLogin` is always null, `type.id` is one fixed user type,
///   `_links` has only `self`, `expand` and `_embedded` are not supported. Only
///   `OKTA_GROUP`s exist: no built-in `Everyone` group, no app groups. Seeding
///   ([`seed_user`](Self::seed_user)) does not check the required profile attributes.
/// - **Roles**: the standard role types only, assigned to users and groups (a user's roles
///   include its groups'); a `CUSTOM` assignment needs `role` and `resource-set` but they are
///   not checked against anything; no role targets.
/// - **OAuth**: service apps authenticate with a private-key JWT only (no client secret);
///   access tokens are opaque (`mock-at-…`, not JWTs), last one hour, and the 10,000 most
///   recent stay valid; scopes `okta.{users,groups,roles}.{read,manage}` are checked, a
///   `manage` scope grants `read`.
/// - **Transport**: plain HTTP on loopback; no TLS, no `Host` checks. Time comes from the
///   [`clock`](OktaOrgBuilder::clock) the org was built with.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> scimkit::Result<()> {
/// use scimkit::mock::OktaOrg;
/// use scimkit::okta::{DefaultProfile, GroupProfile, UserStatus};
///
/// let org = OktaOrg::start().await;
/// let ada = org
///     .seed_user(DefaultProfile::new("ada@example.com", "Ada", "Lovelace"), UserStatus::Active)
///     .unwrap();
/// let admins = org.seed_group(GroupProfile::new("Admins")).unwrap();
/// org.seed_membership(&admins, &ada);
///
/// let okta = org.client();
/// okta.users().suspend(&ada).await?;
/// assert_eq!(org.user(&ada).unwrap().status, UserStatus::Suspended);
/// assert_eq!(org.members(&admins), [ada]);
/// # Ok(()) }
/// ```
pub struct OktaOrg {
    core: Core,
    state: Arc<Mutex<State>>,
    api_token: String,
    clock: Arc<dyn Clock>,
}

impl std::fmt::Debug for OktaOrg {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OktaOrg")
            .field("uri", &self.core.uri())
            .finish_non_exhaustive()
    }
}

impl OktaOrg {
    /// Starts an org with the defaults of [`OktaOrgBuilder`].
    pub async fn start() -> OktaOrg {
        Self::builder().start().await
    }

    /// Starts configuring an org.
    pub fn builder() -> OktaOrgBuilder {
        OktaOrgBuilder {
            api_token: MOCK_API_TOKEN.to_owned(),
            rate_limit: None,
            clock: Arc::new(SystemClock),
            address: LOOPBACK,
            max_records: DEFAULT_MAX_RECORDS,
        }
    }

    fn state(&self) -> MutexGuard<'_, State> {
        lock(&self.state)
    }

    fn now(&self) -> String {
        rfc3339(self.clock.system_now())
    }

    /// The org URL (`http://127.0.0.1:<port>`), to pass to `OktaClient::builder().org(..)`.
    pub fn uri(&self) -> String {
        self.core.uri()
    }

    /// The address the org listens on.
    pub fn address(&self) -> SocketAddr {
        self.core.address()
    }

    /// The token endpoint, `{uri}/oauth2/v1/token`.
    pub fn token_url(&self) -> String {
        format!("{}/oauth2/v1/token", self.core.uri())
    }

    /// The API token the org accepts.
    pub fn api_token(&self) -> String {
        self.api_token.clone()
    }

    /// A client for this org with its API token and a default transport.
    pub fn client(&self) -> OktaClient {
        self.client_with(Transport::default())
    }

    /// A client for this org with its API token and the given transport.
    ///
    /// # Panics
    /// Never in practice: the mock's loopback URL always builds.
    #[allow(clippy::expect_used)]
    pub fn client_with(&self, transport: Transport) -> OktaClient {
        OktaClient::builder()
            .org(self.uri())
            .expect("the mock URL is a valid org URL")
            .api_token(self.api_token.clone())
            .transport(transport)
            .build()
            .expect("the mock client builds")
    }

    /// Registers a service app that authenticates with a private-key JWT signed by the key
    /// whose public JWK is `public_jwk` (e.g. `PrivateKeyJwt::public_jwk()`), and may be
    /// granted `scopes`.
    pub fn register_service_app(&self, client_id: &str, public_jwk: Value, scopes: &[&str]) {
        self.state().clients.insert(
            client_id.to_owned(),
            ServiceClient {
                jwk: public_jwk,
                scopes: scopes.iter().map(|s| (*s).to_owned()).collect(),
                require_dpop: false,
            },
        );
    }

    /// Makes the token endpoint demand DPoP proofs from `client_id` (`invalid_dpop_proof`
    /// without one), as an Okta app with "Require DPoP" does.
    pub fn require_dpop(&self, client_id: &str) {
        if let Some(c) = self.state().clients.get_mut(client_id) {
            c.require_dpop = true;
        }
    }

    /// Makes the token endpoint and the API demand this nonce in DPoP proofs
    /// (`use_dpop_nonce` with a `DPoP-Nonce` header until they carry it).
    pub fn require_dpop_nonce(&self, nonce: &str) {
        self.state().dpop_nonce = Some(nonce.to_owned());
    }

    /// How many access tokens the token endpoint has issued.
    pub fn tokens_issued(&self) -> usize {
        self.state().tokens_issued
    }

    /// How many access tokens the token endpoint has issued to `client_id`.
    pub fn tokens_issued_to(&self, client_id: &str) -> usize {
        self.state()
            .tokens_issued_to
            .get(client_id)
            .copied()
            .unwrap_or(0)
    }

    /// The org's fault rules.
    pub fn faults(&self) -> &Faults {
        &self.core.faults
    }

    /// Okta's error answer for `status` as a [`Fault`] (500 → `E0000009`, 503 →
    /// `E0000010`, 429 → `E0000047`, ...), to aim with [`faults`](Self::faults).
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// use http::Method;
    /// use scimkit::mock::OktaOrg;
    ///
    /// let org = OktaOrg::start().await;
    /// org.faults()
    ///     .on(Method::POST, "/api/v1/groups")
    ///     .times(1)
    ///     .respond(OktaOrg::error_fault(503));
    /// # }
    /// ```
    pub fn error_fault(status: u16) -> Fault {
        let (code, summary) = match status {
            429 => (
                "E0000047",
                "API call exceeded rate limit due to too many requests.",
            ),
            503 => ("E0000010", "Service is in read only mode"),
            401 => ("E0000011", "Invalid token provided"),
            403 => (
                "E0000006",
                "You do not have permission to perform the requested action",
            ),
            404 => ("E0000007", "Not found: Resource not found"),
            _ => ("E0000009", "Internal Server Error"),
        };
        let body = json!({"errorCode": code, "errorSummary": summary, "errorLink": code,
            "errorId": "oaefault", "errorCauses": []});
        Fault::Body {
            status,
            content_type: "application/json".into(),
            body: body.to_string().into_bytes(),
        }
    }

    /// Answers the next `times` requests, whatever they are, with Okta's error for `status`
    /// (see [`error_fault`](Self::error_fault)).
    pub fn fail_next(&self, status: u16, times: usize) {
        if times > 0 {
            self.faults()
                .on_any()
                .times(times)
                .respond(Self::error_fault(status));
        }
    }

    /// Adds a user directly (no request), with the given status; returns its id.
    #[deprecated(since = "0.1.0", note = "use `seed_user`, which takes a typed profile")]
    pub fn add_user(&self, profile: Value, status: UserStatus) -> String {
        let profile = match profile {
            Value::Object(map) => map,
            _ => Map::new(),
        };
        let has_password = !matches!(status, UserStatus::Staged | UserStatus::Provisioned);
        let now = self.now();
        self.state()
            .insert_user(profile, status, has_password, &now)
    }

    /// Adds a user directly (no request) with `profile` (a [`DefaultProfile`], your own
    /// profile type, or JSON) and `status`; its id, or `None` if the profile has no `login`
    /// or another user has it. Required attributes are not checked (Okta's API checks
    /// them).
    pub fn seed_user(&self, profile: impl Serialize, status: UserStatus) -> Option<String> {
        let Ok(Value::Object(profile)) = serde_json::to_value(profile) else {
            return None;
        };
        let login = profile.get("login").and_then(Value::as_str)?;
        if login.is_empty() || self.state().find_user(login).is_some() {
            return None;
        }
        let has_password = !matches!(status, UserStatus::Staged | UserStatus::Provisioned);
        let now = self.now();
        Some(
            self.state()
                .insert_user(profile, status, has_password, &now),
        )
    }

    /// Adds `ACTIVE` users directly, one per profile; returns the ids of those added (a
    /// profile [`seed_user`](Self::seed_user) refuses is left out).
    pub fn seed_users<P: Serialize>(&self, profiles: impl IntoIterator<Item = P>) -> Vec<String> {
        profiles
            .into_iter()
            .filter_map(|p| self.seed_user(p, UserStatus::Active))
            .collect()
    }

    /// Adds `n` active users `user{i}@example.com` (first name `User`, last name `{i}`,
    /// department `Engineering` for even `i`, `Sales` for odd); returns their ids in order.
    /// Numbering goes on from the users already there.
    pub fn seed_sample_users(&self, n: usize) -> Vec<String> {
        let start = self.user_count();
        self.seed_users((start..start.saturating_add(n)).map(|i| {
            DefaultProfile::new(format!("user{i}@example.com"), "User", i.to_string()).with(
                "department",
                if i % 2 == 0 { "Engineering" } else { "Sales" },
            )
        }))
    }

    /// Adds an `OKTA_GROUP` directly; returns its id.
    #[deprecated(
        since = "0.1.0",
        note = "use `seed_group`, which takes a `GroupProfile`"
    )]
    pub fn add_group(&self, name: &str, description: &str) -> String {
        self.insert_group(GroupProfile::new(name).description(description))
    }

    /// Adds an `OKTA_GROUP` directly; its id, or `None` if the profile has no name or
    /// another group has it.
    pub fn seed_group(&self, profile: GroupProfile) -> Option<String> {
        let taken = self.state().groups.values().any(|g| {
            g.profile
                .get("name")
                .and_then(Value::as_str)
                .is_some_and(|n| n.eq_ignore_ascii_case(&profile.name))
        });
        if profile.name.is_empty() || taken {
            return None;
        }
        Some(self.insert_group(profile))
    }

    /// Adds groups directly; returns the ids of those added.
    pub fn seed_groups(&self, profiles: impl IntoIterator<Item = GroupProfile>) -> Vec<String> {
        profiles
            .into_iter()
            .filter_map(|p| self.seed_group(p))
            .collect()
    }

    fn insert_group(&self, profile: GroupProfile) -> String {
        let now = self.now();
        let profile = match serde_json::to_value(profile) {
            Ok(Value::Object(map)) => map,
            _ => Map::new(),
        };
        let mut st = self.state();
        let id = st.next_id("00g");
        st.groups.insert(
            id.clone(),
            MockGroup {
                id: id.clone(),
                group_type: "OKTA_GROUP".into(),
                created: now.clone(),
                last_updated: now.clone(),
                last_membership_updated: now,
                profile,
            },
        );
        id
    }

    /// Makes a user (by id or login) a member of a group directly, as
    /// `PUT /groups/{id}/users/{userId}` would; `false` if either does not exist.
    pub fn seed_membership(&self, group_id: &str, user: &str) -> bool {
        let now = self.now();
        let mut st = self.state();
        let Some(user_id) = st.find_user(user).map(|u| u.id.clone()) else {
            return false;
        };
        let Some(group) = st.groups.get_mut(group_id) else {
            return false;
        };
        group.last_membership_updated = now;
        st.members.insert((group_id.to_owned(), user_id));
        true
    }

    /// Sets a user's status directly (e.g. `LOCKED_OUT`, which no API call causes).
    pub fn set_user_status(&self, id: &str, status: UserStatus) {
        let now = self.now();
        self.state().set_status(id, status, &now);
    }

    /// A user as the API would return it, by id or login.
    pub fn user(&self, id_or_login: &str) -> Option<User> {
        self.user_json(id_or_login)
            .and_then(|v| serde_json::from_value(v).ok())
    }

    /// A user as the API would return it, by id or login, as JSON.
    pub fn user_json(&self, id_or_login: &str) -> Option<Value> {
        let st = self.state();
        st.find_user(id_or_login).map(|u| st.user_json(u))
    }

    /// Every user (any status), in id order, as the API would return them.
    pub fn users(&self) -> Vec<User> {
        let st = self.state();
        st.users
            .values()
            .filter_map(|u| serde_json::from_value(st.user_json(u)).ok())
            .collect()
    }

    /// A user's status.
    pub fn user_status(&self, id_or_login: &str) -> Option<UserStatus> {
        self.state()
            .find_user(id_or_login)
            .map(|u| u.status.clone())
    }

    /// How many users exist (any status).
    pub fn user_count(&self) -> usize {
        self.state().users.len()
    }

    /// A group as the API would return it.
    pub fn group(&self, id: &str) -> Option<Group> {
        self.group_json(id)
            .and_then(|v| serde_json::from_value(v).ok())
    }

    /// A group as the API would return it, as JSON.
    pub fn group_json(&self, id: &str) -> Option<Value> {
        let st = self.state();
        st.groups.get(id).map(|g| st.group_json(g))
    }

    /// Every group, in id order, as the API would return them.
    pub fn groups(&self) -> Vec<Group> {
        let st = self.state();
        st.groups
            .values()
            .filter_map(|g| serde_json::from_value(st.group_json(g)).ok())
            .collect()
    }

    /// The ids of a group's members.
    pub fn members(&self, group_id: &str) -> Vec<String> {
        self.state()
            .members
            .iter()
            .filter(|(g, _)| g == group_id)
            .map(|(_, u)| u.clone())
            .collect()
    }

    /// The role types assigned directly to a user.
    pub fn user_roles(&self, user_id: &str) -> Vec<RoleType> {
        self.roles_of(AssigneeKind::User, user_id)
    }

    /// The role types assigned to a group.
    pub fn group_roles(&self, group_id: &str) -> Vec<RoleType> {
        self.roles_of(AssigneeKind::Group, group_id)
    }

    fn roles_of(&self, kind: AssigneeKind, id: &str) -> Vec<RoleType> {
        self.state()
            .roles
            .values()
            .filter(|r| r.kind == kind && r.assignee == id)
            .map(|r| RoleType::from(r.role_type.as_str()))
            .collect()
    }

    /// How many requests the org received (recorded or not).
    pub fn request_count(&self) -> usize {
        self.core.request_count()
    }

    /// The requests received, oldest first, faulted or not (the last
    /// [`max_records`](OktaOrgBuilder::max_records) of them).
    pub fn requests(&self) -> Vec<RecordedRequest> {
        self.core.requests()
    }

    /// How many kept requests went to exactly this path (any method, any query).
    pub fn requests_to(&self, path: &str) -> usize {
        self.core
            .requests()
            .iter()
            .filter(|r| r.path == path)
            .count()
    }

    /// How many requests were answered 429 because the budget was spent.
    pub fn rate_limited(&self) -> u64 {
        self.state().rate_limited
    }

    /// Forgets recorded requests and the request count, and disarms every fault; users,
    /// groups, roles, apps and tokens stay.
    pub fn reset(&self) {
        self.core.reset();
    }
}
