//! [`OktaOrg`] and its builder: starting the org, seeding and inspecting its state.

use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, UNIX_EPOCH};

use serde_json::{Map, Value, json};
use wiremock::{Mock, MockServer};

use super::responder::Handler;
use super::state::{self, AssigneeKind, OktaRecordedRequest, RateWindow, ServiceClient, State};
use crate::clock::{Clock, SystemClock};
use crate::mock::util::{lock, rfc3339};
use crate::mock::{Fault, Faults};
use crate::okta::{OktaClient, RoleType, UserStatus};
use crate::transport::Transport;

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
    record_requests: bool,
}

impl std::fmt::Debug for OktaOrgBuilder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OktaOrgBuilder")
            .field("api_token", &"[redacted]")
            .field("rate_limit", &self.rate_limit)
            .field("record_requests", &self.record_requests)
            .finish_non_exhaustive()
    }
}

impl OktaOrgBuilder {
    /// The API token the org accepts as `SSWS <token>` (default [`MOCK_API_TOKEN`]).
    pub fn api_token(mut self, token: impl Into<String>) -> Self {
        self.api_token = token.into();
        self
    }

    /// A rate-limit budget for the management API: `limit` requests per `window`; every
    /// response carries `X-Rate-Limit-Limit`, `-Remaining` and `-Reset`, and a request
    /// beyond the budget gets Okta's 429 (`E0000047`). Default: no limit, no headers.
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

    /// Whether to keep every request for [`OktaOrg::requests`] (default `true`; turn it off
    /// for long benchmarks so memory stays flat).
    pub fn record_requests(mut self, record: bool) -> Self {
        self.record_requests = record;
        self
    }

    /// Starts the server on 127.0.0.1 with a free port.
    pub async fn start(self) -> OktaOrg {
        // The org keeps its own record of requests (see `record_requests`).
        let server = MockServer::builder()
            .disable_request_recording()
            .start()
            .await;
        let mut state = State {
            base: server.uri(),
            record_requests: self.record_requests,
            ..State::default()
        };
        state.api_tokens.insert(self.api_token.clone());
        state.rate = self.rate_limit.map(|(limit, window)| RateWindow {
            limit,
            window,
            remaining: limit,
            reset_at: UNIX_EPOCH,
        });
        let state = Arc::new(Mutex::new(state));
        let faults = Faults::default();
        faults.mount_drop_connection(&server).await;
        Mock::given(wiremock::matchers::any())
            .respond_with(Handler {
                state: state.clone(),
                clock: self.clock.clone(),
                faults: faults.clone(),
            })
            .mount(&server)
            .await;
        OktaOrg {
            server,
            state,
            faults,
            api_token: self.api_token,
            clock: self.clock,
        }
    }
}

/// An in-memory Okta org: users with Okta's lifecycle, groups and memberships, admin role
/// assignments, `search` / `filter` / `q`, `Link` paging with an `after` cursor, rate-limit
/// headers and 429s from a budget, `SSWS` token checks, an OAuth token endpoint for service
/// apps (private-key JWT, DPoP), faults on demand and state inspection.
///
/// Rules it enforces as Okta does: `DELETE` on a user that is not `DEPROVISIONED`
/// deactivates it (a second `DELETE` deletes it); lifecycle operations only from the
/// statuses that allow them; unique logins and group names; listings without `search` or
/// `filter` leave `DEPROVISIONED` users out. One rate-limit bucket covers the whole API.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> scimkit::Result<()> {
/// use scimkit::mock::OktaOrg;
/// use scimkit::okta::UserStatus;
///
/// let org = OktaOrg::start().await;
/// let ids = org.seed_users(3);
/// let okta = org.client();
/// okta.users().suspend(&ids[0]).await?;
/// assert_eq!(org.user_status(&ids[0]), Some(UserStatus::Suspended));
/// # Ok(()) }
/// ```
pub struct OktaOrg {
    server: MockServer,
    state: Arc<Mutex<State>>,
    faults: Faults,
    api_token: String,
    clock: Arc<dyn Clock>,
}

impl std::fmt::Debug for OktaOrg {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OktaOrg")
            .field("uri", &self.server.uri())
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
            record_requests: true,
        }
    }

    fn state(&self) -> MutexGuard<'_, State> {
        lock(&self.state)
    }

    /// The org URL (`http://127.0.0.1:<port>`), to pass to `OktaClient::builder().org(..)`.
    pub fn uri(&self) -> String {
        self.server.uri()
    }

    /// The token endpoint, `{uri}/oauth2/v1/token`.
    pub fn token_url(&self) -> String {
        format!("{}/oauth2/v1/token", self.server.uri())
    }

    /// The API token the org accepts.
    pub fn api_token(&self) -> String {
        self.api_token.clone()
    }

    /// A client for this org with its API token and a default transport.
    ///
    /// # Panics
    /// Never in practice: the mock's loopback URL always builds.
    #[allow(clippy::expect_used)]
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
        self.state().tokens.len()
    }

    /// How many access tokens the token endpoint has issued to `client_id`.
    pub fn tokens_issued_to(&self, client_id: &str) -> usize {
        self.state()
            .tokens
            .values()
            .filter(|t| t.client_id == client_id)
            .count()
    }

    /// The org's fault queue: each queued [`Fault`] answers one request, whatever it is.
    pub fn faults(&self) -> &Faults {
        &self.faults
    }

    /// Queues Okta's error answer for `status` (500 → `E0000009`, 503 → `E0000010`, ...)
    /// for the next `times` requests.
    pub fn fail_next(&self, status: u16, times: usize) {
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
        self.faults.push(
            Fault::Body {
                status,
                content_type: "application/json".into(),
                body: body.to_string().into_bytes(),
            },
            times,
        );
    }

    /// Adds a user directly (no request), with the given status; returns its id.
    pub fn add_user(&self, profile: Value, status: UserStatus) -> String {
        let profile = match profile {
            Value::Object(map) => map,
            _ => Map::new(),
        };
        let now = rfc3339(self.clock.system_now());
        let has_password = !matches!(status, UserStatus::Staged | UserStatus::Provisioned);
        self.state()
            .insert_user(profile, status, has_password, &now)
    }

    /// Adds `n` active users `user{i}@example.com` (first name `User`, last name `{i}`,
    /// department `Engineering` for even `i`, `Sales` for odd); returns their ids in order.
    pub fn seed_users(&self, n: usize) -> Vec<String> {
        let now = rfc3339(self.clock.system_now());
        let mut st = self.state();
        let start = st.users.len();
        (start..start + n)
            .map(|i| {
                let profile = json!({
                    "login": format!("user{i}@example.com"),
                    "email": format!("user{i}@example.com"),
                    "firstName": "User",
                    "lastName": format!("{i}"),
                    "department": if i % 2 == 0 { "Engineering" } else { "Sales" },
                });
                let Value::Object(profile) = profile else {
                    unreachable!()
                };
                st.insert_user(profile, UserStatus::Active, true, &now)
            })
            .collect()
    }

    /// Adds an `OKTA_GROUP` directly; returns its id.
    pub fn add_group(&self, name: &str, description: &str) -> String {
        let now = rfc3339(self.clock.system_now());
        let mut st = self.state();
        let id = st.next_id("00g");
        let mut profile = Map::new();
        profile.insert("name".into(), json!(name));
        profile.insert("description".into(), json!(description));
        st.groups.insert(
            id.clone(),
            state::MockGroup {
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

    /// Sets a user's status directly (e.g. `LOCKED_OUT`, which no API call causes).
    pub fn set_user_status(&self, id: &str, status: UserStatus) {
        let now = rfc3339(self.clock.system_now());
        self.state().set_status(id, status, &now);
    }

    /// A user as the API would return it, by id or login.
    pub fn user(&self, id_or_login: &str) -> Option<Value> {
        let st = self.state();
        st.find_user(id_or_login).map(|u| st.user_json(u))
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
    pub fn group(&self, id: &str) -> Option<Value> {
        let st = self.state();
        st.groups.get(id).map(|g| st.group_json(g))
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

    /// How many requests the org has answered (recorded or not).
    pub fn request_count(&self) -> u64 {
        self.state().request_count
    }

    /// Every request received, in order.
    pub fn requests(&self) -> Vec<OktaRecordedRequest> {
        self.state().requests.clone()
    }

    /// How many requests went to exactly this path (any method, any query).
    pub fn requests_to(&self, path: &str) -> usize {
        self.state()
            .requests
            .iter()
            .filter(|r| r.path == path)
            .count()
    }

    /// How many requests were answered 429 because the budget was spent.
    pub fn rate_limited(&self) -> u64 {
        self.state().rate_limited
    }
}
