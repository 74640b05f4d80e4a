//! mock

mod okta;
pub use okta::{MOCK_API_TOKEN, OktaOrg, OktaOrgBuilder, RecordedRequest};
