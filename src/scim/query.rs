//! The query of a list or search (RFC 7644 §3.4.2) and how one page of it goes on the wire:
//! `GET` with query parameters, or `POST /.search`.

use http::Method;

use super::client::SCIM_JSON;
use super::resources::Resources;
use super::{ListResponse, Resource, SearchRequest, SortOrder, schema};
use crate::Result;
use crate::transport::ApiRequest;

/// The query parameters of a list or search (RFC 7644 §3.4.2).
#[derive(Debug, Clone, Default)]
#[non_exhaustive]
pub struct Query {
    /// The filter, rendered.
    pub filter: Option<String>,
    /// `sortBy`.
    pub sort_by: Option<String>,
    /// `sortOrder`.
    pub sort_order: Option<SortOrder>,
    /// 1-based `startIndex`.
    pub start_index: Option<u64>,
    /// `count` (page size).
    pub count: Option<u64>,
    /// `attributes`.
    pub attributes: Vec<String>,
    /// `excludedAttributes`.
    pub excluded_attributes: Vec<String>,
    /// RFC 9865 `cursor`: `Some("")` asks for the first page of cursor paging.
    pub cursor: Option<String>,
    /// Send as `POST /.search` instead of `GET`.
    pub use_search: bool,
}

/// Sends one page request for `query`.
pub(crate) async fn fetch_page<T: Resource>(
    resources: &Resources<T>,
    query: &Query,
) -> Result<ListResponse<T>> {
    let client = &resources.client;
    let request = if query.use_search {
        let url = client.url(&[&resources.endpoint, ".search"])?;
        let body = SearchRequest {
            schemas: vec![schema::SEARCH_REQUEST.to_owned()],
            attributes: query.attributes.clone(),
            excluded_attributes: query.excluded_attributes.clone(),
            filter: query.filter.clone(),
            sort_by: query.sort_by.clone(),
            sort_order: query.sort_order,
            start_index: query.start_index,
            count: query.count,
            cursor: query.cursor.clone(),
        };
        ApiRequest::new(Method::POST, url)
            .json_as(&body, SCIM_JSON)?
            .idempotent(true)
    } else {
        let mut url = client.url(&[&resources.endpoint])?;
        {
            let mut q = url.query_pairs_mut();
            if let Some(f) = &query.filter {
                q.append_pair("filter", f);
            }
            if let Some(s) = &query.sort_by {
                q.append_pair("sortBy", s);
            }
            if let Some(o) = query.sort_order {
                q.append_pair("sortOrder", o.as_str());
            }
            if let Some(i) = query.start_index {
                q.append_pair("startIndex", &i.to_string());
            }
            if let Some(c) = query.count {
                q.append_pair("count", &c.to_string());
            }
            if let Some(c) = &query.cursor {
                q.append_pair("cursor", c);
            }
            if !query.attributes.is_empty() {
                q.append_pair("attributes", &query.attributes.join(","));
            }
            if !query.excluded_attributes.is_empty() {
                q.append_pair("excludedAttributes", &query.excluded_attributes.join(","));
            }
        }
        if url.query() == Some("") {
            url.set_query(None);
        }
        ApiRequest::new(Method::GET, url)
    };
    client.call(request).await?.json()
}
