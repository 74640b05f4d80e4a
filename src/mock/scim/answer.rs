//! The answers a SCIM handler gives: a [`Reply`] or a SCIM error ([`Failure`]).

use serde_json::{Value, json};

use crate::scim::schema;

/// A SCIM error the mock answers with.
#[derive(Debug)]
pub(crate) struct Failure {
    pub(super) status: u16,
    scim_type: Option<&'static str>,
    detail: String,
    /// The methods the target takes, for the `Allow` header of a 405 (RFC 7231 §6.5.5).
    pub(super) allow: Option<&'static str>,
}

impl Failure {
    pub(super) fn new(
        status: u16,
        scim_type: Option<&'static str>,
        detail: impl Into<String>,
    ) -> Self {
        Failure {
            status,
            scim_type,
            detail: detail.into(),
            allow: None,
        }
    }
    /// 405: the target exists but does not take this method.
    pub(super) fn method_not_allowed(method: &str, allow: &'static str) -> Self {
        Failure {
            allow: Some(allow),
            ..Failure::new(
                405,
                None,
                format!("{method} is not supported here; use {allow}"),
            )
        }
    }
    pub(crate) fn bad(scim_type: &'static str, detail: impl Into<String>) -> Self {
        Failure::new(400, Some(scim_type), detail)
    }
    pub(crate) fn server(detail: impl Into<String>) -> Self {
        Failure::new(500, None, detail)
    }
    pub(super) fn not_found(detail: impl Into<String>) -> Self {
        Failure::new(404, None, detail)
    }
    pub(super) fn body(&self) -> Value {
        let mut body = json!({
            "schemas": [schema::ERROR],
            "status": self.status.to_string(),
            "detail": self.detail,
        });
        if let (Some(t), Some(o)) = (self.scim_type, body.as_object_mut()) {
            o.insert("scimType".into(), Value::String(t.into()));
        }
        body
    }
}

/// A successful answer.
#[derive(Debug, Default)]
pub(crate) struct Reply {
    pub(super) status: u16,
    pub(super) body: Option<Value>,
    pub(super) etag: Option<String>,
    /// `Location`: set on 201 Created.
    pub(super) location: Option<String>,
    /// `Content-Location`: the location of the one resource the body holds (RFC 7643 §3.1).
    pub(super) content_location: Option<String>,
}

pub(super) type Outcome = Result<Reply, Failure>;
