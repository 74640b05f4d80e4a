//! The mock SCIM server's discovery documents.

use serde_json::{Value, json};

use super::answer::Failure;
use super::config::Config;
use crate::scim::schema;

pub(crate) fn service_provider_config(config: &Config) -> Value {
    let mut spc = json!({
        "schemas": [schema::SERVICE_PROVIDER_CONFIG],
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
        "schemas": [schema::RESOURCE_TYPE],
        "id": "User",
        "name": "User",
        "endpoint": "/Users",
        "description": "User Account",
        "schema": schema::USER,
        "schemaExtensions": [{"schema": schema::ENTERPRISE_USER, "required": false}],
        "meta": {"resourceType": "ResourceType", "location": format!("{}/ResourceTypes/User", config.base_url)},
    })
}

fn group_type(config: &Config) -> Value {
    json!({
        "schemas": [schema::RESOURCE_TYPE],
        "id": "Group",
        "name": "Group",
        "endpoint": "/Groups",
        "description": "Group",
        "schema": schema::GROUP,
        "meta": {"resourceType": "ResourceType", "location": format!("{}/ResourceTypes/Group", config.base_url)},
    })
}

fn list(resources: Vec<Value>) -> Value {
    json!({
        "schemas": [schema::LIST_RESPONSE],
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

fn attr(name: &str, kind: &str, unique: bool) -> Value {
    json!({
        "name": name, "type": kind, "multiValued": false, "required": name == "userName" || name == "displayName",
        "caseExact": false, "mutability": "readWrite", "returned": "default",
        "uniqueness": if unique { "server" } else { "none" },
    })
}

fn multi(name: &str) -> Value {
    json!({
        "name": name, "type": "complex", "multiValued": true, "required": false,
        "mutability": if name == "groups" { "readOnly" } else { "readWrite" }, "returned": "default",
        "subAttributes": [attr("value", "string", false), attr("display", "string", false),
                          attr("type", "string", false), attr("primary", "boolean", false)],
    })
}

fn all_schemas() -> Vec<Value> {
    let user = json!({
        "schemas": [schema::SCHEMA],
        "id": schema::USER, "name": "User", "description": "User Account",
        "attributes": [
            attr("userName", "string", true), attr("externalId", "string", false),
            {"name": "name", "type": "complex", "multiValued": false, "required": false,
             "subAttributes": [attr("formatted", "string", false), attr("familyName", "string", false),
                               attr("givenName", "string", false)]},
            attr("displayName", "string", false), attr("title", "string", false),
            attr("active", "boolean", false),
            {"name": "password", "type": "string", "multiValued": false, "required": false,
             "mutability": "writeOnly", "returned": "never"},
            multi("emails"), multi("phoneNumbers"), multi("groups"), multi("roles"),
        ],
        "meta": {"resourceType": "Schema"},
    });
    let group = json!({
        "schemas": [schema::SCHEMA],
        "id": schema::GROUP, "name": "Group", "description": "Group",
        "attributes": [attr("displayName", "string", false), multi("members")],
        "meta": {"resourceType": "Schema"},
    });
    let enterprise = json!({
        "schemas": [schema::SCHEMA],
        "id": schema::ENTERPRISE_USER, "name": "EnterpriseUser", "description": "Enterprise User",
        "attributes": [attr("employeeNumber", "string", false), attr("costCenter", "string", false),
                       attr("organization", "string", false), attr("division", "string", false),
                       attr("department", "string", false),
                       {"name": "manager", "type": "complex", "multiValued": false,
                        "subAttributes": [attr("value", "string", false), attr("displayName", "string", false)]}],
        "meta": {"resourceType": "Schema"},
    });
    vec![user, group, enterprise]
}

pub(crate) fn schemas() -> Value {
    list(all_schemas())
}

pub(crate) fn schema(id: &str) -> Result<Value, Failure> {
    all_schemas()
        .into_iter()
        .find(|s| {
            s.get("id")
                .and_then(Value::as_str)
                .is_some_and(|i| i.eq_ignore_ascii_case(id))
        })
        .ok_or_else(|| Failure::not_found(format!("no schema {id}")))
}
