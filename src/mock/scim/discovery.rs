//! The mock SCIM server's discovery documents.

use serde_json::{Value, json};

use super::answer::Failure;
use super::config::Config;
use super::schema;
use crate::scim::schema as urn;

pub(crate) fn service_provider_config(config: &Config) -> Value {
    let mut spc = json!({
        "schemas": [urn::SERVICE_PROVIDER_CONFIG],
        "documentationUri": "https://docs.rs/scimkit",
        "patch": {"supported": true},
        "bulk": {
            "supported": true,
            "maxOperations": config.bulk_max_operations,
            "maxPayloadSize": config.bulk_max_payload,
        },
        "filter": {"supported": true, "maxResults": config.max_results},
        "changePassword": {"supported": false},
        "sort": {"supported": true},
        "etag": {"supported": config.etags},
        "authenticationSchemes": [{
            "type": "oauthbearertoken",
            "name": "OAuth Bearer Token",
            "description": "Authentication with a bearer token",
            "primary": true,
        }],
        "meta": {
            "resourceType": "ServiceProviderConfig",
            "location": format!("{}/ServiceProviderConfig", config.base_url),
        },
    });
    if config.cursor_paging
        && let Some(o) = spc.as_object_mut()
    {
        o.insert(
            "pagination".into(),
            json!({
                "cursor": true,
                "index": true,
                "defaultPaginationMethod": "cursor",
                "defaultPageSize": config.max_results,
                "maxPageSize": config.max_results,
                "cursorTimeout": 3600,
            }),
        );
    }
    spc
}

fn user_type(config: &Config) -> Value {
    json!({
        "schemas": [urn::RESOURCE_TYPE],
        "id": "User",
        "name": "User",
        "endpoint": "/Users",
        "description": "User Account",
        "schema": urn::USER,
        "schemaExtensions": [{"schema": urn::ENTERPRISE_USER, "required": false}],
        "meta": {"resourceType": "ResourceType", "location": format!("{}/ResourceTypes/User", config.base_url)},
    })
}

fn group_type(config: &Config) -> Value {
    json!({
        "schemas": [urn::RESOURCE_TYPE],
        "id": "Group",
        "name": "Group",
        "endpoint": "/Groups",
        "description": "Group",
        "schema": urn::GROUP,
        "meta": {"resourceType": "ResourceType", "location": format!("{}/ResourceTypes/Group", config.base_url)},
    })
}

fn list(resources: Vec<Value>) -> Value {
    json!({
        "schemas": [urn::LIST_RESPONSE],
        "totalResults": resources.len(),
        "itemsPerPage": resources.len(),
        "startIndex": 1,
        "Resources": resources,
    })
}

pub(crate) fn resource_types(config: &Config) -> Value {
    list(vec![user_type(config), group_type(config)])
}

pub(crate) fn resource_type(config: &Config, name: &str) -> Result<Value, Failure> {
    match name {
        "User" => Ok(user_type(config)),
        "Group" => Ok(group_type(config)),
        _ => Err(Failure::not_found(format!("no resource type {name}"))),
    }
}

pub(crate) fn schemas(config: &Config) -> Value {
    list(
        schema::ALL
            .iter()
            .map(|s| s.to_json(&config.base_url))
            .collect(),
    )
}

pub(crate) fn schema(config: &Config, id: &str) -> Result<Value, Failure> {
    schema::ALL
        .iter()
        .find(|s| s.id.eq_ignore_ascii_case(id))
        .map(|s| s.to_json(&config.base_url))
        .ok_or_else(|| Failure::not_found(format!("no schema {id}")))
}
