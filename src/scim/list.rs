//! `ListResponse` and the query parameters of list and search requests (RFC 7644 §3.4.2).

use serde::{Deserialize, Serialize};

use super::serde_util::opt_u64;
use super::{Extra, schema};

/// One page of query results.
///
/// Read tolerantly: `totalResults`, `itemsPerPage` and `startIndex` may be missing or sent as
/// strings, `Resources` may be missing (an empty page) or spelt `resources`. `nextCursor` /
/// `previousCursor` are the cursor-paging attributes of RFC 9865.
///
/// ```
/// use scimkit::scim::{ListResponse, User};
/// let page: ListResponse<User> =
///     serde_json::from_str(r#"{"Resources":[{"userName":"a"}]}"#).unwrap();
/// assert_eq!(page.resources[0].user_name, "a");
/// assert_eq!(page.total_results, None);
/// ```
#[derive(Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", bound(deserialize = "T: Deserialize<'de>"))]
#[non_exhaustive]
pub struct ListResponse<T> {
    /// `urn:ietf:params:scim:api:messages:2.0:ListResponse`.
    #[serde(default)]
    pub schemas: Vec<String>,
    /// How many resources match the query in all.
    #[serde(
        default,
        deserialize_with = "opt_u64",
        skip_serializing_if = "Option::is_none"
    )]
    pub total_results: Option<u64>,
    /// How many resources this page holds.
    #[serde(
        default,
        deserialize_with = "opt_u64",
        skip_serializing_if = "Option::is_none"
    )]
    pub items_per_page: Option<u64>,
    /// The 1-based index of the first resource of this page.
    #[serde(
        default,
        deserialize_with = "opt_u64",
        skip_serializing_if = "Option::is_none"
    )]
    pub start_index: Option<u64>,
    /// The resources.
    #[serde(
        rename = "Resources",
        alias = "resources",
        default = "Vec::new",
        deserialize_with = "super::serde_util::vec_or_null"
    )]
    pub resources: Vec<T>,
    /// RFC 9865: the cursor of the next page, absent on the last page.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next_cursor: Option<String>,
    /// RFC 9865: the cursor of the previous page.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub previous_cursor: Option<String>,
    /// Attributes this crate does not model.
    #[serde(flatten)]
    pub extra: Extra,
}

crate::redact::redacted_debug!(ListResponse<T> {
    schemas, total_results, items_per_page, start_index, resources, next_cursor,
    previous_cursor, @json extra,
});

impl<T> ListResponse<T> {
    /// A page holding `resources`, as a server would send it.
    pub fn new(resources: Vec<T>, total_results: u64, start_index: u64) -> Self {
        ListResponse {
            schemas: vec![schema::LIST_RESPONSE.to_owned()],
            total_results: Some(total_results),
            items_per_page: Some(resources.len() as u64),
            start_index: Some(start_index),
            resources,
            next_cursor: None,
            previous_cursor: None,
            extra: Extra::new(),
        }
    }
}

/// `sortOrder`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
#[non_exhaustive]
pub enum SortOrder {
    /// `ascending` (the default when `sortBy` is given).
    Ascending,
    /// `descending`.
    Descending,
}

impl SortOrder {
    /// The wire value.
    pub fn as_str(self) -> &'static str {
        match self {
            SortOrder::Ascending => "ascending",
            SortOrder::Descending => "descending",
        }
    }
}

/// The body of `POST /.search` (RFC 7644 §3.4.3).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct SearchRequest {
    /// `urn:ietf:params:scim:api:messages:2.0:SearchRequest`.
    pub schemas: Vec<String>,
    /// Attributes to return.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub attributes: Vec<String>,
    /// Attributes not to return.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub excluded_attributes: Vec<String>,
    /// The filter, rendered.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub filter: Option<String>,
    /// Attribute to sort by.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sort_by: Option<String>,
    /// Sort direction.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sort_order: Option<SortOrder>,
    /// 1-based index of the first result.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "opt_u64"
    )]
    pub start_index: Option<u64>,
    /// Page size.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "opt_u64"
    )]
    pub count: Option<u64>,
    /// RFC 9865 cursor (empty for the first page).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cursor: Option<String>,
}
