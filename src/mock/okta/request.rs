//! Reading a management API request: query parameters, the JSON body and its `profile`.

use crate::mock::serve::Request;
use serde_json::{Map, Value};
use url::Url;

use super::error::ApiErr;

pub(crate) fn query(url: &Url, name: &str) -> Option<String> {
    url.query_pairs()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.into_owned())
}

pub(crate) fn query_bool(url: &Url, name: &str, default: bool) -> Result<bool, ApiErr> {
    match query(url, name).as_deref() {
        None => Ok(default),
        Some("true") => Ok(true),
        Some("false") => Ok(false),
        Some(other) => Err(ApiErr::validation(format!(
            "{name}: invalid boolean {other:?}"
        ))),
    }
}

pub(crate) fn body_json(req: &Request) -> Result<Value, ApiErr> {
    serde_json::from_slice(&req.body)
        .map_err(|_| ApiErr::new(400, "E0000003", "The request body was not well-formed."))
}

pub(crate) fn profile_of(body: &Value) -> Result<Map<String, Value>, ApiErr> {
    body.get("profile")
        .and_then(Value::as_object)
        .cloned()
        .ok_or_else(|| ApiErr::validation("profile: The field cannot be left blank"))
}
