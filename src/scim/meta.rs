//! `meta`: the read-only attributes every SCIM resource carries (RFC 7643 §3.1).

use serde::{Deserialize, Serialize};

use super::Extra;

/// Resource metadata set by the server.
///
/// Timestamps are kept as the server sent them (RFC 3339 in practice, but servers differ in
/// precision and zone notation); `version` is the resource's ETag, e.g. `W/"3"`.
///
/// ```
/// let meta: scimkit::scim::Meta = serde_json::from_str(
///     r#"{"resourceType":"User","version":"W/\"3\"","location":"https://h/v2/Users/1"}"#,
/// ).unwrap();
/// assert_eq!(meta.version.as_deref(), Some("W/\"3\""));
/// ```
#[derive(Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct Meta {
    /// The resource type's name, e.g. `User`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resource_type: Option<String>,
    /// When the resource was created.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created: Option<String>,
    /// When the resource last changed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_modified: Option<String>,
    /// The resource's URI.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub location: Option<String>,
    /// The resource's version (ETag).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
    /// Attributes this crate does not model, kept as sent.
    #[serde(flatten)]
    pub extra: Extra,
}

crate::redact::redacted_debug!(Meta {
    resource_type, created, last_modified, location, version, @json extra,
});
