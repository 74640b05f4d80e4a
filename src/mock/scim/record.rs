//! What the SCIM server keeps of each request it received.

use serde_json::Value;

/// A request the server received, for assertions.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct ScimRecordedRequest {
    /// The method.
    pub method: String,
    /// The path (from the server's root).
    pub path: String,
    /// The query string, if any.
    pub query: Option<String>,
    /// The `Content-Type` header.
    pub content_type: Option<String>,
    /// The `If-Match` header.
    pub if_match: Option<String>,
    /// The `If-None-Match` header.
    pub if_none_match: Option<String>,
    /// The JSON body, if any.
    pub body: Option<Value>,
}
