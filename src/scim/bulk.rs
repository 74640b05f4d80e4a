//! Bulk (RFC 7644 §3.7): many operations in one request, `bulkId` references between them,
//! split to respect the server's `maxOperations` and `maxPayloadSize`.

use std::collections::HashMap;
use std::fmt;

use http::{Method, StatusCode};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::client::SCIM_JSON;
use super::error::ScimErrorKind;
use super::resource::to_body;
use super::serde_util::opt_u64;
use super::{Extra, Patch, Resource, ScimClient, schema};
use crate::transport::ApiRequest;
use crate::{Error, Result};

/// A bulk request under construction.
///
/// ```
/// use scimkit::scim::{Bulk, Group, Member, User};
///
/// let bulk = Bulk::new()
///     .fail_on_errors(1)
///     .create("u1", &User::new("alice")).unwrap()
///     .create("g1", &Group::new("Eng").member(Member::new(Bulk::reference("u1")))).unwrap();
/// let json = serde_json::to_value(&bulk).unwrap();
/// assert_eq!(json["Operations"][1]["data"]["members"][0]["value"], "bulkId:u1");
/// assert_eq!(json["failOnErrors"], 1);
/// ```
#[derive(Debug, Clone, Default)]
#[non_exhaustive]
pub struct Bulk {
    /// Stop after this many errors (`failOnErrors`); all of them by default.
    pub fail_on_errors: Option<u64>,
    /// The operations, in order.
    pub operations: Vec<BulkOperation>,
}

impl Serialize for Bulk {
    fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let mut map = s.serialize_map(None)?;
        map.serialize_entry("schemas", &[schema::BULK_REQUEST])?;
        if let Some(f) = self.fail_on_errors {
            map.serialize_entry("failOnErrors", &f)?;
        }
        map.serialize_entry("Operations", &self.operations)?;
        map.end()
    }
}

/// One bulk operation. `Debug` hides secret values in `data`.
#[derive(Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct BulkOperation {
    /// `POST`, `PUT`, `PATCH` or `DELETE`.
    pub method: String,
    /// The client's id for a created resource, referenced elsewhere as `bulkId:<id>`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bulk_id: Option<String>,
    /// The resource path relative to the base URL (`/Users`, `/Groups/{id}`).
    pub path: String,
    /// `If-Match` version for this operation.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
    /// The body.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub data: Option<Value>,
}

impl fmt::Debug for BulkOperation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BulkOperation")
            .field("method", &self.method)
            .field("bulk_id", &self.bulk_id)
            .field("path", &self.path)
            .field("version", &self.version)
            .field("data", &crate::redact::Redacted(&self.data))
            .finish()
    }
}

fn path_for(endpoint: &str, id: Option<&str>) -> String {
    let endpoint = endpoint.trim_matches('/');
    match id {
        Some(id) => format!("/{endpoint}/{}", encode_segment(id)),
        None => format!("/{endpoint}"),
    }
}

/// Percent-encodes an id as one path segment (RFC 3986 `segment`): a `/`, `?`, `#` or a
/// lone `.`/`..` in an id must not reach another resource.
fn encode_segment(id: &str) -> String {
    use std::fmt::Write;
    if id == "." || id == ".." {
        return id.replace('.', "%2E");
    }
    let mut out = String::with_capacity(id.len());
    for b in id.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~:@!$&'()*+,;=".contains(&b) {
            out.push(char::from(b));
        } else {
            let _ = write!(out, "%{b:02X}");
        }
    }
    out
}

impl Bulk {
    /// An empty bulk request.
    pub fn new() -> Self {
        Bulk::default()
    }

    /// `bulkId:<id>`: a reference to the resource created by the operation with `bulk_id`.
    pub fn reference(bulk_id: &str) -> String {
        format!("bulkId:{bulk_id}")
    }

    /// Stops after `errors` failed operations.
    pub fn fail_on_errors(mut self, errors: u64) -> Self {
        self.fail_on_errors = Some(errors);
        self
    }

    /// `POST` a new resource, known to later operations as `bulkId:<bulk_id>`.
    pub fn create<T: Resource>(mut self, bulk_id: &str, resource: &T) -> Result<Self> {
        self.operations.push(BulkOperation {
            method: "POST".into(),
            bulk_id: Some(bulk_id.to_owned()),
            path: path_for(T::ENDPOINT, None),
            version: None,
            data: Some(to_body(resource, T::SCHEMA)?),
        });
        Ok(self)
    }

    /// `PUT` a resource (its id is required; its version becomes `version`).
    pub fn replace<T: Resource>(mut self, resource: &T) -> Result<Self> {
        let id = resource
            .id()
            .ok_or_else(|| Error::config("a bulk replace needs a resource with an id"))?;
        self.operations.push(BulkOperation {
            method: "PUT".into(),
            bulk_id: None,
            path: path_for(T::ENDPOINT, Some(id)),
            version: resource.version().map(str::to_owned),
            data: Some(to_body(resource, T::SCHEMA)?),
        });
        Ok(self)
    }

    /// `PATCH` a resource of type `T` by id (or by `bulkId:<id>`).
    pub fn patch<T: Resource>(mut self, id: &str, patch: &Patch) -> Result<Self> {
        let data = serde_json::to_value(patch)
            .map_err(|e| Error::config(format!("could not encode the PATCH: {e}")))?;
        self.operations.push(BulkOperation {
            method: "PATCH".into(),
            bulk_id: None,
            path: path_for(T::ENDPOINT, Some(id)),
            version: None,
            data: Some(data),
        });
        Ok(self)
    }

    /// `DELETE` a resource of type `T` by id.
    pub fn delete<T: Resource>(mut self, id: &str) -> Self {
        self.operations.push(BulkOperation {
            method: "DELETE".into(),
            bulk_id: None,
            path: path_for(T::ENDPOINT, Some(id)),
            version: None,
            data: None,
        });
        self
    }

    /// Adds a prepared operation.
    pub fn operation(mut self, operation: BulkOperation) -> Self {
        self.operations.push(operation);
        self
    }
}

/// The answer to a bulk request: one result per operation sent.
#[derive(Clone, Default, Serialize, Deserialize)]
#[non_exhaustive]
pub struct BulkResponse {
    /// `urn:ietf:params:scim:api:messages:2.0:BulkResponse`.
    #[serde(default)]
    pub schemas: Vec<String>,
    /// Results in the order the server reports them.
    #[serde(rename = "Operations", alias = "operations", default)]
    pub operations: Vec<BulkOperationResult>,
    /// Attributes this crate does not model.
    #[serde(flatten)]
    pub extra: Extra,
}

crate::redact::redacted_debug!(BulkResponse {
    schemas, operations, @json extra,
});

/// The result of one bulk operation.
#[derive(Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct BulkOperationResult {
    /// The method of the operation.
    #[serde(default)]
    pub method: String,
    /// The operation's `bulkId`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bulk_id: Option<String>,
    /// The resource's new version.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
    /// The resource's URI.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub location: Option<String>,
    /// The HTTP status (sent as a string or a number, or as `{"code": ...}` by old servers).
    #[serde(deserialize_with = "de_status", default)]
    pub status: u16,
    /// The response body (a SCIM error for failures), when sent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub response: Option<Value>,
}

crate::redact::redacted_debug!(BulkOperationResult {
    method, bulk_id, version, location, status, @json response,
});

fn de_status<'de, D: serde::Deserializer<'de>>(d: D) -> std::result::Result<u16, D::Error> {
    let v = Value::deserialize(d)?;
    let v = match v {
        Value::Object(mut o) => o.remove("code").unwrap_or(Value::Null),
        v => v,
    };
    let n = opt_u64(v).map_err(serde::de::Error::custom)?;
    Ok(n.and_then(|n| u16::try_from(n).ok()).unwrap_or(0))
}

impl BulkOperationResult {
    /// 2xx.
    pub fn is_success(&self) -> bool {
        (200..300).contains(&self.status)
    }

    /// The id of the resource the operation created or changed: `response.id`, else the last
    /// segment of `location`.
    pub fn id(&self) -> Option<String> {
        if let Some(id) = self
            .response
            .as_ref()
            .and_then(|r| r.get("id"))
            .and_then(Value::as_str)
        {
            return Some(id.to_owned());
        }
        self.location
            .as_deref()
            .and_then(|l| l.trim_end_matches('/').rsplit('/').next())
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
    }

    /// The operation's error as a typed SCIM error, when it failed.
    pub fn error(&self) -> Option<crate::ScimError> {
        if self.is_success() {
            return None;
        }
        let body = self.response.as_ref();
        let text = |k: &str| {
            body.and_then(|b| b.get(k))
                .and_then(Value::as_str)
                .map(str::to_owned)
        };
        Some(crate::ScimError {
            status: StatusCode::from_u16(self.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
            scim_type: text("scimType"),
            detail: text("detail"),
            request_id: None,
        })
    }

    /// The typed `scimType` of a failed operation.
    pub fn error_kind(&self) -> Option<ScimErrorKind> {
        self.error().and_then(|e| e.kind())
    }
}

/// Replaces every string `bulkId:<id>` whose id is resolved.
fn substitute(value: &mut Value, ids: &HashMap<String, String>) {
    match value {
        Value::String(s) => {
            if let Some(id) = s.strip_prefix("bulkId:").and_then(|b| ids.get(b)) {
                *s = id.clone();
            }
        }
        Value::Array(items) => items.iter_mut().for_each(|v| substitute(v, ids)),
        Value::Object(map) => map.values_mut().for_each(|v| substitute(v, ids)),
        _ => {}
    }
}

const ENVELOPE_BYTES: usize = 128;

impl ScimClient {
    /// `POST /Bulk`. When the server's limits are known (from [`discover`](Self::discover)),
    /// the operations are split into several requests that each respect `maxOperations` and
    /// `maxPayloadSize`; `bulkId` references to resources created by an earlier request are
    /// replaced with their ids, and `failOnErrors` counts across requests. The results of
    /// every request are returned together, in order.
    pub async fn bulk(&self, bulk: &Bulk) -> Result<BulkResponse> {
        let config = self.capabilities();
        if config.as_ref().is_some_and(|c| !c.bulk.supported) {
            return Err(Error::config("the server does not support bulk operations"));
        }
        let max_ops = config
            .as_ref()
            .and_then(|c| c.bulk.max_operations)
            .filter(|m| *m > 0)
            .map_or(usize::MAX, |m| usize::try_from(m).unwrap_or(usize::MAX));
        let max_bytes = config
            .as_ref()
            .and_then(|c| c.bulk.max_payload_size)
            .filter(|m| *m > 0)
            .map_or(usize::MAX, |m| usize::try_from(m).unwrap_or(usize::MAX));

        let mut ids: HashMap<String, String> = HashMap::new();
        let mut errors = 0u64;
        let mut out = BulkResponse {
            schemas: vec![schema::BULK_RESPONSE.to_owned()],
            ..BulkResponse::default()
        };
        // Borrowed: each operation is cloned once, when it goes into a chunk.
        let mut pending = bulk.operations.iter().peekable();
        while pending.peek().is_some() {
            let mut chunk = Vec::new();
            let mut size = ENVELOPE_BYTES;
            while let Some(op) = pending.peek() {
                let mut op = BulkOperation::clone(op);
                if let Some(data) = &mut op.data {
                    substitute(data, &ids);
                }
                if let Some(id) = op
                    .path
                    .rsplit('/')
                    .next()
                    .and_then(|s| s.strip_prefix("bulkId:"))
                    && let Some(real) = ids.get(id)
                {
                    op.path = format!("{}/{real}", &op.path[..op.path.rfind('/').unwrap_or(0)]);
                }
                let op_size = serde_json::to_vec(&op).map(|v| v.len() + 1).unwrap_or(0);
                if ENVELOPE_BYTES + op_size > max_bytes {
                    return Err(Error::config(format!(
                        "a bulk operation on {} is {op_size} bytes, more than the server's maxPayloadSize of {max_bytes}",
                        op.path
                    )));
                }
                if chunk.len() >= max_ops || size + op_size > max_bytes {
                    break;
                }
                size += op_size;
                chunk.push(op);
                pending.next();
            }
            let fail_on_errors = bulk.fail_on_errors.map(|f| f.saturating_sub(errors));
            let body = Bulk {
                fail_on_errors,
                operations: chunk,
            };
            let url = self.url(&["Bulk"])?;
            let request = ApiRequest::new(Method::POST, url).json_as(&body, SCIM_JSON)?;
            let result: BulkResponse = self.call(request).await?.json()?;
            for r in &result.operations {
                if !r.is_success() {
                    errors += 1;
                }
                if let (Some(bulk_id), Some(id)) = (&r.bulk_id, r.id()) {
                    ids.insert(bulk_id.clone(), id);
                }
            }
            out.operations.extend(result.operations);
            if bulk.fail_on_errors.is_some_and(|f| errors >= f) {
                break;
            }
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scim::User;

    #[test]
    fn ids_are_one_path_segment() {
        let bulk = Bulk::new()
            .delete::<User>("a/../../Groups/x?y#z")
            .delete::<User>("..")
            .delete::<User>("bulkId:u1");
        let paths: Vec<&str> = bulk.operations.iter().map(|o| o.path.as_str()).collect();
        assert_eq!(
            paths,
            [
                "/Users/a%2F..%2F..%2FGroups%2Fx%3Fy%23z",
                "/Users/%2E%2E",
                "/Users/bulkId:u1"
            ]
        );
    }

    #[test]
    fn debug_never_shows_a_password_in_operation_data() {
        let bulk = Bulk::new()
            .create(
                "u1",
                &User::new("alice").password("hunter2-bulk".to_string()),
            )
            .unwrap();
        let shown = format!("{bulk:?}");
        assert!(!shown.contains("hunter2"), "{shown}");
        assert!(shown.contains("alice"), "{shown}");
        let wire = serde_json::to_string(&bulk).unwrap();
        assert!(wire.contains("hunter2-bulk"));
    }
}
