//! What makes a type a SCIM resource or a SCIM schema extension.

use serde::Serialize;
use serde::de::DeserializeOwned;

use super::Meta;
use crate::{Error, Result};

/// A SCIM resource type: its core schema URN and its endpoint.
///
/// [`User`](super::User) and [`Group`](super::Group) implement it; implement it for your own
/// types to use every operation of [`ScimClient`](super::ScimClient) on them through
/// [`ScimClient::resources`](super::ScimClient::resources).
///
/// ```
/// use scimkit::scim::{Extra, Meta, Resource};
/// use serde::{Deserialize, Serialize};
///
/// #[derive(Debug, Clone, Serialize, Deserialize)]
/// #[serde(rename_all = "camelCase")]
/// struct Device {
///     #[serde(default, skip_serializing_if = "Option::is_none")]
///     id: Option<String>,
///     serial_number: String,
///     #[serde(default, skip_serializing_if = "Option::is_none")]
///     meta: Option<Meta>,
///     #[serde(flatten)]
///     extra: Extra,
/// }
///
/// impl Resource for Device {
///     const SCHEMA: &'static str = "urn:example:scim:schemas:Device";
///     const ENDPOINT: &'static str = "Devices";
///     fn id(&self) -> Option<&str> { self.id.as_deref() }
///     fn meta(&self) -> Option<&Meta> { self.meta.as_ref() }
/// }
/// ```
pub trait Resource: Serialize + DeserializeOwned + Send + Sync + Unpin + 'static {
    /// The core schema URN, always listed in `schemas` when the resource is written.
    const SCHEMA: &'static str;
    /// The endpoint relative to the base URL, without slashes (`Users`).
    const ENDPOINT: &'static str;
    /// The server-assigned id, once there is one.
    fn id(&self) -> Option<&str>;
    /// The server's metadata, when the resource was read from a server.
    fn meta(&self) -> Option<&Meta>;
    /// The version (ETag) to send as `If-Match`: `meta.version`.
    fn version(&self) -> Option<&str> {
        self.meta().and_then(|m| m.version.as_deref())
    }
    /// Records the version the server sent in an `ETag` header when the body had none.
    /// The default does nothing; implement it to keep ETags from such servers.
    fn set_version(&mut self, version: String) {
        let _ = version;
    }
}

/// A schema extension: a typed view of the attributes under one URN key.
///
/// ```
/// use scimkit::scim::{Extension, User};
/// use serde::{Deserialize, Serialize};
///
/// #[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
/// struct Badge { number: String }
/// impl Extension for Badge { const URN: &'static str = "urn:example:params:scim:Badge"; }
///
/// let mut user = User::new("alice");
/// user.set_extension(&Badge { number: "42".into() }).unwrap();
/// assert_eq!(user.extension::<Badge>().unwrap(), Some(Badge { number: "42".into() }));
/// ```
pub trait Extension: Serialize + DeserializeOwned {
    /// The extension schema's URN, also the key its attributes live under.
    const URN: &'static str;
}

/// Serialises a resource for a request: `schemas` lists the core schema and every extension
/// URN the body carries; the read-only `meta` (and a User's `groups`) are left out.
pub(crate) fn to_body<T: Serialize>(resource: &T, core: &str) -> Result<serde_json::Value> {
    let mut value = serde_json::to_value(resource)
        .map_err(|e| Error::config(format!("could not encode the resource: {e}")))?;
    if let serde_json::Value::Object(map) = &mut value {
        map.remove("meta");
        if core == super::schema::USER {
            // Read-only: membership changes go through the group.
            map.remove("groups");
        }
        let mut schemas: Vec<String> = map
            .get("schemas")
            .and_then(|s| s.as_array())
            .map(|a| {
                a.iter()
                    .filter_map(|s| s.as_str().map(str::to_owned))
                    .collect()
            })
            .unwrap_or_default();
        if !schemas.iter().any(|s| s.eq_ignore_ascii_case(core)) {
            schemas.insert(0, core.to_owned());
        }
        for key in map.keys() {
            if key.starts_with("urn:")
                && map.get(key).is_some_and(|v| v.is_object())
                && !schemas.iter().any(|s| s.eq_ignore_ascii_case(key))
            {
                schemas.push(key.clone());
            }
        }
        map.insert("schemas".into(), serde_json::json!(schemas));
    }
    Ok(value)
}

pub(crate) fn get_extension<E: Extension>(extra: &super::Extra) -> Result<Option<E>> {
    match extra.get(E::URN) {
        None | Some(serde_json::Value::Null) => Ok(None),
        Some(v) => E::deserialize(v).map(Some).map_err(|e| {
            Error::config(format!(
                "the {} extension does not match its type: {e}",
                E::URN
            ))
        }),
    }
}

pub(crate) fn set_extension<E: Extension>(extra: &mut super::Extra, ext: &E) -> Result<()> {
    let value = serde_json::to_value(ext)
        .map_err(|e| Error::config(format!("could not encode the {} extension: {e}", E::URN)))?;
    extra.insert(E::URN.to_owned(), value);
    Ok(())
}
