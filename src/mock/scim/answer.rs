//! The answers a SCIM handler gives: a [`Reply`] or a SCIM error ([`Failure`]).

use serde_json::{Value, json};

use crate::scim::schema;

/// A SCIM error the mock answers with.
#[derive(Debug)]
pub(crate) struct Failure {
    pub(super) status: u16,
    scim_type: Option<&'static str>,
    detail: String,
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
    pub(super) location: Option<String>,
}

pub(super) type Outcome = Result<Reply, Failure>;
