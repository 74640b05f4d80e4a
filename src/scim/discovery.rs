//! Discovery: `ServiceProviderConfig`, `ResourceTypes` and `Schemas` (RFC 7643 §5–7).

use serde::{Deserialize, Serialize};

use super::serde_util::{bool_or_false, opt_bool, opt_u64, vec_or_null};
use super::{Extra, Meta};

/// What a server supports (RFC 7643 §5), plus RFC 9865 `pagination`.
///
/// Every part is optional on read: servers leave things out.
///
/// ```
/// let spc: scimkit::scim::ServiceProviderConfig = serde_json::from_str(
///     r#"{"patch":{"supported":"True"},"bulk":{"supported":true,"maxOperations":10,"maxPayloadSize":1048576},
///         "filter":{"supported":true,"maxResults":200},"etag":{"supported":false}}"#,
/// ).unwrap();
/// assert!(spc.patch.supported);
/// assert_eq!(spc.filter.max_results, Some(200));
/// ```
#[derive(Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct ServiceProviderConfig {
    /// Schemas.
    #[serde(default, deserialize_with = "vec_or_null")]
    pub schemas: Vec<String>,
    /// Documentation URL.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub documentation_uri: Option<String>,
    /// PATCH support.
    #[serde(default)]
    pub patch: Supported,
    /// Bulk support and limits.
    #[serde(default)]
    pub bulk: BulkConfig,
    /// Filter support and the largest result set.
    #[serde(default)]
    pub filter: FilterConfig,
    /// Password change support.
    #[serde(default)]
    pub change_password: Supported,
    /// Sorting support.
    #[serde(default)]
    pub sort: Supported,
    /// ETag support.
    #[serde(default)]
    pub etag: Supported,
    /// RFC 9865 pagination capabilities, when advertised.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pagination: Option<PaginationConfig>,
    /// Authentication schemes, as sent.
    #[serde(default, deserialize_with = "vec_or_null")]
    pub authentication_schemes: Vec<serde_json::Value>,
    /// Server metadata.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub meta: Option<Meta>,
    /// Attributes this crate does not model.
    #[serde(flatten)]
    pub extra: Extra,
}

crate::redact::redacted_debug!(ServiceProviderConfig {
    schemas, documentation_uri, patch, bulk, filter, change_password, sort, etag, pagination,
    @json authentication_schemes, meta, @json extra,
});

/// `{ "supported": bool }`.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Supported {
    /// Whether the feature is supported; `"True"` reads as `true`, absent as `false`.
    #[serde(default, deserialize_with = "bool_or_false")]
    pub supported: bool,
}

/// Bulk limits.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct BulkConfig {
    /// Whether `/Bulk` is supported.
    #[serde(default, deserialize_with = "bool_or_false")]
    pub supported: bool,
    /// Most operations in one bulk request.
    #[serde(
        default,
        deserialize_with = "opt_u64",
        skip_serializing_if = "Option::is_none"
    )]
    pub max_operations: Option<u64>,
    /// Largest bulk request body, in bytes.
    #[serde(
        default,
        deserialize_with = "opt_u64",
        skip_serializing_if = "Option::is_none"
    )]
    pub max_payload_size: Option<u64>,
}

/// Filter support.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct FilterConfig {
    /// Whether filters are supported.
    #[serde(default, deserialize_with = "bool_or_false")]
    pub supported: bool,
    /// The most resources one response returns.
    #[serde(
        default,
        deserialize_with = "opt_u64",
        skip_serializing_if = "Option::is_none"
    )]
    pub max_results: Option<u64>,
}

/// RFC 9865 pagination capabilities.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct PaginationConfig {
    /// Cursor paging supported.
    #[serde(
        default,
        deserialize_with = "opt_bool",
        skip_serializing_if = "Option::is_none"
    )]
    pub cursor: Option<bool>,
    /// Index paging supported.
    #[serde(
        default,
        deserialize_with = "opt_bool",
        skip_serializing_if = "Option::is_none"
    )]
    pub index: Option<bool>,
    /// `cursor` or `index`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default_pagination_method: Option<String>,
    /// Page size when `count` is not given.
    #[serde(
        default,
        deserialize_with = "opt_u64",
        skip_serializing_if = "Option::is_none"
    )]
    pub default_page_size: Option<u64>,
    /// Largest page.
    #[serde(
        default,
        deserialize_with = "opt_u64",
        skip_serializing_if = "Option::is_none"
    )]
    pub max_page_size: Option<u64>,
    /// Seconds a cursor stays valid.
    #[serde(
        default,
        deserialize_with = "opt_u64",
        skip_serializing_if = "Option::is_none"
    )]
    pub cursor_timeout: Option<u64>,
}

/// A resource type the server offers (RFC 7643 §6).
#[derive(Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct ResourceType {
    /// Id (often the name).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// Name, e.g. `User`.
    #[serde(default)]
    pub name: String,
    /// Endpoint, e.g. `/Users`.
    #[serde(default)]
    pub endpoint: String,
    /// Description.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Core schema URN.
    #[serde(default)]
    pub schema: String,
    /// Extension schemas.
    #[serde(default, deserialize_with = "vec_or_null")]
    pub schema_extensions: Vec<SchemaExtension>,
    /// Server metadata.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub meta: Option<Meta>,
    /// Attributes this crate does not model.
    #[serde(flatten)]
    pub extra: Extra,
}

crate::redact::redacted_debug!(ResourceType {
    id, name, endpoint, description, schema, schema_extensions, meta, @json extra,
});

/// An extension schema of a resource type.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[non_exhaustive]
pub struct SchemaExtension {
    /// The extension's URN.
    #[serde(default)]
    pub schema: String,
    /// Whether resources must carry it.
    #[serde(default, deserialize_with = "bool_or_false")]
    pub required: bool,
}

/// A schema definition (RFC 7643 §7).
#[derive(Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct Schema {
    /// The schema URN.
    #[serde(default)]
    pub id: String,
    /// Name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Description.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Attribute definitions.
    #[serde(default, deserialize_with = "vec_or_null")]
    pub attributes: Vec<SchemaAttribute>,
    /// Server metadata.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub meta: Option<Meta>,
    /// Attributes this crate does not model.
    #[serde(flatten)]
    pub extra: Extra,
}

crate::redact::redacted_debug!(Schema {
    id, name, description, attributes, meta, @json extra,
});

/// An attribute definition. Enumerated characteristics (`type`, `mutability`, `returned`,
/// `uniqueness`) are kept as sent, so values from newer specifications are not lost.
#[derive(Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct SchemaAttribute {
    /// Attribute name.
    #[serde(default)]
    pub name: String,
    /// `string`, `boolean`, `decimal`, `integer`, `dateTime`, `reference`, `complex`, `binary`.
    #[serde(rename = "type", default)]
    pub kind: String,
    /// Multi-valued.
    #[serde(default, deserialize_with = "bool_or_false")]
    pub multi_valued: bool,
    /// Required.
    #[serde(default, deserialize_with = "bool_or_false")]
    pub required: bool,
    /// Case-sensitive comparisons.
    #[serde(default, deserialize_with = "bool_or_false")]
    pub case_exact: bool,
    /// `readOnly`, `readWrite`, `immutable`, `writeOnly`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mutability: Option<String>,
    /// `always`, `never`, `default`, `request`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub returned: Option<String>,
    /// `none`, `server`, `global`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub uniqueness: Option<String>,
    /// Description.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Sub-attributes of a complex attribute.
    #[serde(default, deserialize_with = "vec_or_null")]
    pub sub_attributes: Vec<SchemaAttribute>,
    /// Canonical values.
    #[serde(default, deserialize_with = "vec_or_null")]
    pub canonical_values: Vec<serde_json::Value>,
    /// Reference types of a `reference` attribute.
    #[serde(default, deserialize_with = "vec_or_null")]
    pub reference_types: Vec<String>,
    /// Characteristics this crate does not model.
    #[serde(flatten)]
    pub extra: Extra,
}

crate::redact::redacted_debug!(SchemaAttribute {
    name, kind, multi_valued, required, case_exact, mutability, returned, uniqueness,
    description, sub_attributes, @json canonical_values, reference_types, @json extra,
});

/// Reads a discovery listing that is either a `ListResponse` or a bare JSON array (both are
/// seen in the wild).
#[derive(Deserialize)]
#[serde(untagged)]
pub(crate) enum ListOrArray<T> {
    List(super::ListResponse<T>),
    Array(Vec<T>),
}

impl<T> ListOrArray<T> {
    pub(crate) fn into_vec(self) -> Vec<T> {
        match self {
            ListOrArray::List(l) => l.resources,
            ListOrArray::Array(a) => a,
        }
    }
}
