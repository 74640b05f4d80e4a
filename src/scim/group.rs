//! The core `Group` resource (RFC 7643 §4.2).

use serde::{Deserialize, Serialize};

use super::serde_util::vec_or_null;
use super::{Extension, Extra, Meta, Resource, schema};
use crate::Result;

/// A SCIM Group.
///
/// ```
/// use scimkit::scim::{Group, Member};
///
/// let group = Group::new("Engineering").member(Member::user("2819c223"));
/// let json = serde_json::to_value(&group).unwrap();
/// assert_eq!(json["members"][0]["value"], "2819c223");
/// ```
#[derive(Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct Group {
    /// Schemas the resource uses; filled in on write.
    #[serde(
        default,
        skip_serializing_if = "Vec::is_empty",
        deserialize_with = "vec_or_null"
    )]
    pub schemas: Vec<String>,
    /// The server's id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// The provisioning client's id for the group.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub external_id: Option<String>,
    /// The group's name.
    #[serde(default)]
    pub display_name: String,
    /// Members (users or groups).
    #[serde(
        default,
        skip_serializing_if = "Vec::is_empty",
        deserialize_with = "vec_or_null"
    )]
    pub members: Vec<Member>,
    /// Server metadata.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub meta: Option<Meta>,
    /// Attributes and extensions this crate does not model, kept as sent.
    #[serde(flatten)]
    pub extra: Extra,
}

crate::redact::redacted_debug!(Group {
    schemas, id, external_id, display_name, members, meta, @json extra,
});

impl Group {
    /// A group with the given `displayName`.
    pub fn new(display_name: impl Into<String>) -> Self {
        Group {
            schemas: vec![schema::GROUP.to_owned()],
            display_name: display_name.into(),
            ..Group::default()
        }
    }

    /// Sets `externalId`.
    pub fn external_id(mut self, external_id: impl Into<String>) -> Self {
        self.external_id = Some(external_id.into());
        self
    }

    /// Adds a member.
    pub fn member(mut self, member: Member) -> Self {
        self.members.push(member);
        self
    }

    /// Reads a custom extension stored under `E::URN`.
    pub fn extension<E: Extension>(&self) -> Result<Option<E>> {
        super::resource::get_extension(&self.extra)
    }

    /// Stores a custom extension under `E::URN`.
    pub fn set_extension<E: Extension>(&mut self, extension: &E) -> Result<()> {
        super::resource::set_extension(&mut self.extra, extension)
    }
}

impl Resource for Group {
    const SCHEMA: &'static str = schema::GROUP;
    const ENDPOINT: &'static str = "Groups";
    fn id(&self) -> Option<&str> {
        self.id.as_deref()
    }
    fn meta(&self) -> Option<&Meta> {
        self.meta.as_ref()
    }
    fn set_version(&mut self, version: String) {
        self.meta.get_or_insert_with(Meta::default).version = Some(version);
    }
}

/// A group member.
#[derive(Clone, Default, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Member {
    /// The member's id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value: Option<String>,
    /// The member's URI.
    #[serde(rename = "$ref", default, skip_serializing_if = "Option::is_none")]
    pub reference: Option<String>,
    /// The member's display name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub display: Option<String>,
    /// `User` or `Group`.
    #[serde(rename = "type", default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
    /// Sub-attributes this crate does not model.
    #[serde(flatten)]
    pub extra: Extra,
}

crate::redact::redacted_debug!(Member {
    value, reference, display, kind, @json extra,
});

impl Member {
    /// A member by id, with no type.
    pub fn new(id: impl Into<String>) -> Self {
        Member {
            value: Some(id.into()),
            ..Member::default()
        }
    }

    /// A user member by id.
    pub fn user(id: impl Into<String>) -> Self {
        Member {
            kind: Some("User".into()),
            ..Member::new(id)
        }
    }

    /// A group member by id.
    pub fn group(id: impl Into<String>) -> Self {
        Member {
            kind: Some("Group".into()),
            ..Member::new(id)
        }
    }
}
