//! What a started [`ScimServer`](crate::mock::ScimServer) was built with, shared by the
//! responder and every handler.

use crate::mock::TokenValidator;

/// The path under the server's URI where the SCIM endpoints live.
pub const SCIM_BASE_PATH: &str = "/scim/v2";

/// The server's settings, fixed at start.
#[derive(Clone)]
pub(crate) struct Config {
    pub(crate) bearer: String,
    pub(crate) validator: Option<TokenValidator>,
    pub(crate) base_url: String,
    pub(crate) max_results: u64,
    pub(crate) bulk_max_operations: u64,
    pub(crate) bulk_max_payload: u64,
    pub(crate) cursor_paging: bool,
    pub(crate) etags: bool,
    pub(crate) patch_no_content: bool,
    pub(crate) content_type: &'static str,
    /// Refuse requests that break a client's MUST (see `ScimServerBuilder::strict_requests`).
    pub(crate) strict_requests: bool,
    /// Refuse group members the server does not hold.
    pub(crate) require_existing_members: bool,
}
