//! [`IdentityProvider`]: the three mocks started together and wired to each other.

use std::fmt;
use std::io;
use std::net::SocketAddr;

use super::core::LOOPBACK;
use super::record::DEFAULT_MAX_RECORDS;
use super::util::random_token;
use super::{MOCK_API_TOKEN, OktaOrg, ScimServer, TokenServer};
use crate::ClientCredentials;
use crate::okta::OktaClient;
use crate::scim::ScimClient;

/// The client id an [`IdentityProvider`] registers unless told otherwise.
pub const MOCK_CLIENT_ID: &str = "scimkit-mock";

/// Configures an [`IdentityProvider`]; every setting has a default.
pub struct IdentityProviderBuilder {
    client_id: String,
    client_secret: Option<String>,
    scim_token: Option<String>,
    okta_api_token: String,
    token_address: SocketAddr,
    scim_address: SocketAddr,
    okta_address: SocketAddr,
    max_records: usize,
}

impl fmt::Debug for IdentityProviderBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("IdentityProviderBuilder")
            .field("client_id", &self.client_id)
            .field("token_address", &self.token_address)
            .field("scim_address", &self.scim_address)
            .field("okta_address", &self.okta_address)
            .field("max_records", &self.max_records)
            .finish_non_exhaustive()
    }
}

impl Default for IdentityProviderBuilder {
    fn default() -> Self {
        IdentityProviderBuilder {
            client_id: MOCK_CLIENT_ID.to_owned(),
            client_secret: None,
            scim_token: None,
            okta_api_token: MOCK_API_TOKEN.to_owned(),
            token_address: LOOPBACK,
            scim_address: LOOPBACK,
            okta_address: LOOPBACK,
            max_records: DEFAULT_MAX_RECORDS,
        }
    }
}

impl IdentityProviderBuilder {
    /// The client registered at the token endpoint (default [`MOCK_CLIENT_ID`] and a random
    /// secret).
    pub fn client(mut self, client_id: &str, client_secret: &str) -> Self {
        self.client_id = client_id.to_owned();
        self.client_secret = Some(client_secret.to_owned());
        self
    }

    /// A static bearer token the SCIM server also accepts (default: a random one).
    pub fn scim_token(mut self, token: &str) -> Self {
        self.scim_token = Some(token.to_owned());
        self
    }

    /// The API token the Okta org accepts (default [`MOCK_API_TOKEN`]).
    pub fn okta_api_token(mut self, token: &str) -> Self {
        self.okta_api_token = token.to_owned();
        self
    }

    /// Where the token endpoint listens (default `127.0.0.1:0`).
    pub fn token_address(mut self, address: SocketAddr) -> Self {
        self.token_address = address;
        self
    }

    /// Where the SCIM server listens (default `127.0.0.1:0`).
    pub fn scim_address(mut self, address: SocketAddr) -> Self {
        self.scim_address = address;
        self
    }

    /// Where the Okta org listens (default `127.0.0.1:0`).
    pub fn okta_address(mut self, address: SocketAddr) -> Self {
        self.okta_address = address;
        self
    }

    /// How many requests each server keeps (default 10,000).
    pub fn max_records(mut self, max: usize) -> Self {
        self.max_records = max;
        self
    }

    /// Starts the three servers.
    ///
    /// # Panics
    /// If an address cannot be bound (for the defaults, if 127.0.0.1 has no free port);
    /// [`try_start`](Self::try_start) returns the error instead.
    #[allow(clippy::expect_used)]
    pub async fn start(self) -> IdentityProvider {
        self.try_start()
            .await
            .expect("the mock identity provider could not bind its addresses")
    }

    /// Starts the three servers, or says which address could not be bound.
    pub async fn try_start(self) -> io::Result<IdentityProvider> {
        let client_secret = self.client_secret.unwrap_or_else(|| random_token(32));
        let scim_token = self.scim_token.unwrap_or_else(|| random_token(32));
        let token = TokenServer::builder()
            .address(self.token_address)
            .client(&self.client_id, &client_secret)
            .max_records(self.max_records)
            .try_start()
            .await?;
        let scim = ScimServer::builder()
            .address(self.scim_address)
            .bearer_token(scim_token.clone())
            .token_server(&token)
            .max_records(self.max_records)
            .try_start()
            .await?;
        let okta = OktaOrg::builder()
            .address(self.okta_address)
            .api_token(self.okta_api_token)
            .max_records(self.max_records)
            .try_start()
            .await?;
        Ok(IdentityProvider {
            token,
            scim,
            okta,
            client_id: self.client_id,
            client_secret,
            scim_token,
        })
    }
}

/// A whole mock identity provider in one call: an OAuth token endpoint with one registered
/// client, a SCIM server that accepts that client's tokens (and a static bearer token), and
/// an Okta org, each on its own loopback port.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> scimkit::Result<()> {
/// use scimkit::mock::IdentityProvider;
/// use scimkit::okta::{DefaultProfile, UserStatus};
/// use scimkit::scim::User;
///
/// let idp = IdentityProvider::start().await;
///
/// // SCIM with a client-credentials token from the token endpoint.
/// let scim = idp.scim_client();
/// scim.users().create(&User::new("ada@example.com")).await?;
/// assert_eq!(idp.scim().users()[0].user_name, "ada@example.com");
/// assert_eq!(idp.token_server().grants().len(), 1);
///
/// // Okta with its API token.
/// idp.okta()
///     .seed_user(DefaultProfile::new("bob@example.com", "Bob", "B"), UserStatus::Active);
/// let users = idp.okta_client().users().list().send().await?;
/// assert_eq!(users.items[0].profile.login, "bob@example.com");
/// # Ok(()) }
/// ```
pub struct IdentityProvider {
    token: TokenServer,
    scim: ScimServer,
    okta: OktaOrg,
    client_id: String,
    client_secret: String,
    scim_token: String,
}

impl fmt::Debug for IdentityProvider {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("IdentityProvider")
            .field("token_url", &self.token_url())
            .field("scim_url", &self.scim_url())
            .field("okta_url", &self.okta_url())
            .field("client_id", &self.client_id)
            .finish_non_exhaustive()
    }
}

impl IdentityProvider {
    /// Starts the three servers with every default.
    pub async fn start() -> IdentityProvider {
        IdentityProviderBuilder::default().start().await
    }

    /// Starts configuring the servers.
    pub fn builder() -> IdentityProviderBuilder {
        IdentityProviderBuilder::default()
    }

    /// The token endpoint.
    pub fn token_server(&self) -> &TokenServer {
        &self.token
    }

    /// The SCIM server.
    pub fn scim(&self) -> &ScimServer {
        &self.scim
    }

    /// The Okta org.
    pub fn okta(&self) -> &OktaOrg {
        &self.okta
    }

    /// The token endpoint's URL (`http://127.0.0.1:PORT/oauth2/token`).
    pub fn token_url(&self) -> String {
        self.token.token_url()
    }

    /// The SCIM base URL (`http://127.0.0.1:PORT/scim/v2`).
    pub fn scim_url(&self) -> String {
        self.scim.base_url()
    }

    /// The Okta org URL (`http://127.0.0.1:PORT`).
    pub fn okta_url(&self) -> String {
        self.okta.uri()
    }

    /// The registered client's id.
    pub fn client_id(&self) -> &str {
        &self.client_id
    }

    /// The registered client's secret (a mock's: shown so tests and other languages can use
    /// it).
    pub fn client_secret(&self) -> &str {
        &self.client_secret
    }

    /// The static bearer token the SCIM server accepts.
    pub fn scim_token(&self) -> &str {
        &self.scim_token
    }

    /// The API token the Okta org accepts.
    pub fn okta_api_token(&self) -> String {
        self.okta.api_token()
    }

    /// Client credentials for the registered client against the token endpoint.
    pub fn client_credentials(&self) -> ClientCredentials {
        self.token
            .client_credentials(&self.client_id, &self.client_secret)
    }

    /// A SCIM client that authenticates with tokens from the token endpoint.
    ///
    /// # Panics
    /// Never in practice: the mock's loopback URL always builds.
    #[allow(clippy::expect_used)]
    pub fn scim_client(&self) -> ScimClient {
        ScimClient::builder()
            .base_url(self.scim_url())
            .auth(self.client_credentials())
            .build()
            .expect("the mock SCIM client builds")
    }

    /// An Okta client with the org's API token.
    pub fn okta_client(&self) -> OktaClient {
        self.okta.client()
    }

    /// Forgets every server's recorded requests and counts, and disarms their faults.
    pub fn reset(&self) {
        self.token.reset();
        self.scim.reset();
        self.okta.reset();
    }
}
