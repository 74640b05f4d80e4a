//! The core `User` resource (RFC 7643 §4.1).

use secrecy::SecretString;
use serde::{Deserialize, Serialize};

use super::serde_util::{de_secret, opt_bool, ser_secret, vec_or_null};
use super::{EnterpriseUser, Extension, Extra, Meta, Resource, schema};
use crate::Result;

/// A SCIM User. Every attribute of RFC 7643 §4.1; attributes this crate does not model
/// (custom extensions included) are kept in [`extra`](User::extra) and written back.
///
/// ```
/// use scimkit::scim::{MultiValued, Name, User};
///
/// let user = User::new("alice@example.com")
///     .display_name("Alice")
///     .name(Name::new("Alice", "Liddell"))
///     .email(MultiValued::new("alice@example.com").kind("work").primary(true))
///     .active(true);
/// assert_eq!(user.user_name, "alice@example.com");
/// let json = serde_json::to_value(&user).unwrap();
/// assert_eq!(json["name"]["familyName"], "Liddell");
/// ```
#[derive(Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct User {
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
    /// The provisioning client's id for the user.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub external_id: Option<String>,
    /// The unique login name.
    #[serde(default)]
    pub user_name: String,
    /// The user's name components.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<Name>,
    /// The name to display.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub display_name: Option<String>,
    /// A casual name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nick_name: Option<String>,
    /// A URL of the user's profile.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub profile_url: Option<String>,
    /// Job title.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    /// Relationship to the organisation (`Employee`, `Contractor`, ...).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_type: Option<String>,
    /// Preferred language (`en-US`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub preferred_language: Option<String>,
    /// Locale (`en-US`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub locale: Option<String>,
    /// Time zone (`America/Los_Angeles`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timezone: Option<String>,
    /// Whether the user may log in; `"True"`/`"false"` strings are read too.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "opt_bool"
    )]
    pub active: Option<bool>,
    /// Write-only password: sent on create/replace, never printed by `Debug`.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        serialize_with = "ser_secret",
        deserialize_with = "de_secret"
    )]
    pub password: Option<SecretString>,
    /// E-mail addresses.
    #[serde(
        default,
        skip_serializing_if = "Vec::is_empty",
        deserialize_with = "vec_or_null"
    )]
    pub emails: Vec<MultiValued>,
    /// Phone numbers.
    #[serde(
        default,
        skip_serializing_if = "Vec::is_empty",
        deserialize_with = "vec_or_null"
    )]
    pub phone_numbers: Vec<MultiValued>,
    /// Instant-messaging addresses.
    #[serde(
        default,
        skip_serializing_if = "Vec::is_empty",
        deserialize_with = "vec_or_null"
    )]
    pub ims: Vec<MultiValued>,
    /// Photo URLs.
    #[serde(
        default,
        skip_serializing_if = "Vec::is_empty",
        deserialize_with = "vec_or_null"
    )]
    pub photos: Vec<MultiValued>,
    /// Postal addresses.
    #[serde(
        default,
        skip_serializing_if = "Vec::is_empty",
        deserialize_with = "vec_or_null"
    )]
    pub addresses: Vec<Address>,
    /// Groups the user belongs to (read-only: change membership through the group).
    #[serde(
        default,
        skip_serializing_if = "Vec::is_empty",
        deserialize_with = "vec_or_null"
    )]
    pub groups: Vec<MultiValued>,
    /// Entitlements.
    #[serde(
        default,
        skip_serializing_if = "Vec::is_empty",
        deserialize_with = "vec_or_null"
    )]
    pub entitlements: Vec<MultiValued>,
    /// Roles.
    #[serde(
        default,
        skip_serializing_if = "Vec::is_empty",
        deserialize_with = "vec_or_null"
    )]
    pub roles: Vec<MultiValued>,
    /// X.509 certificates (base64 DER in `value`).
    #[serde(
        default,
        skip_serializing_if = "Vec::is_empty",
        deserialize_with = "vec_or_null"
    )]
    pub x509_certificates: Vec<MultiValued>,
    /// The enterprise extension.
    #[serde(
        rename = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub enterprise: Option<EnterpriseUser>,
    /// Server metadata.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub meta: Option<Meta>,
    /// Attributes and extensions this crate does not model, kept as sent.
    #[serde(flatten)]
    pub extra: Extra,
}

crate::redact::redacted_debug!(User {
    schemas, id, external_id, user_name, name, display_name, nick_name, profile_url, title,
    user_type, preferred_language, locale, timezone, active, password, emails, phone_numbers,
    ims, photos, addresses, groups, entitlements, roles, x509_certificates, enterprise, meta,
    @json extra,
});

impl User {
    /// A user with the given `userName` and nothing else.
    pub fn new(user_name: impl Into<String>) -> Self {
        User {
            schemas: vec![schema::USER.to_owned()],
            user_name: user_name.into(),
            ..User::default()
        }
    }

    /// Sets `displayName`.
    pub fn display_name(mut self, display_name: impl Into<String>) -> Self {
        self.display_name = Some(display_name.into());
        self
    }

    /// Sets `externalId`.
    pub fn external_id(mut self, external_id: impl Into<String>) -> Self {
        self.external_id = Some(external_id.into());
        self
    }

    /// Sets `name`.
    pub fn name(mut self, name: Name) -> Self {
        self.name = Some(name);
        self
    }

    /// Adds an e-mail address.
    pub fn email(mut self, email: MultiValued) -> Self {
        self.emails.push(email);
        self
    }

    /// Sets `active`.
    pub fn active(mut self, active: bool) -> Self {
        self.active = Some(active);
        self
    }

    /// Sets the (write-only) password.
    pub fn password(mut self, password: impl Into<SecretString>) -> Self {
        self.password = Some(password.into());
        self
    }

    /// Sets the enterprise extension.
    pub fn enterprise(mut self, enterprise: EnterpriseUser) -> Self {
        self.enterprise = Some(enterprise);
        self
    }

    /// The primary e-mail address, else the first one.
    pub fn primary_email(&self) -> Option<&str> {
        self.emails
            .iter()
            .find(|e| e.primary == Some(true))
            .or_else(|| self.emails.first())
            .and_then(|e| e.value.as_deref())
    }

    /// Reads a custom extension stored under `E::URN`.
    pub fn extension<E: Extension>(&self) -> Result<Option<E>> {
        super::resource::get_extension(&self.extra)
    }

    /// Stores a custom extension under `E::URN` (listed in `schemas` when written).
    pub fn set_extension<E: Extension>(&mut self, extension: &E) -> Result<()> {
        super::resource::set_extension(&mut self.extra, extension)
    }
}

impl Resource for User {
    const SCHEMA: &'static str = schema::USER;
    const ENDPOINT: &'static str = "Users";
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

/// The components of a user's name.
#[derive(Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct Name {
    /// The full name, formatted for display.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub formatted: Option<String>,
    /// Family (last) name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub family_name: Option<String>,
    /// Given (first) name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub given_name: Option<String>,
    /// Middle name(s).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub middle_name: Option<String>,
    /// Honorific prefix (`Ms.`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub honorific_prefix: Option<String>,
    /// Honorific suffix (`III`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub honorific_suffix: Option<String>,
    /// Sub-attributes this crate does not model.
    #[serde(flatten)]
    pub extra: Extra,
}

crate::redact::redacted_debug!(Name {
    formatted, family_name, given_name, middle_name, honorific_prefix, honorific_suffix,
    @json extra,
});

impl Name {
    /// A name from given and family names.
    pub fn new(given_name: impl Into<String>, family_name: impl Into<String>) -> Self {
        Name {
            given_name: Some(given_name.into()),
            family_name: Some(family_name.into()),
            ..Name::default()
        }
    }
}

/// One value of a multi-valued attribute (`emails`, `phoneNumbers`, `groups`, `roles`, ...).
///
/// ```
/// let v: scimkit::scim::MultiValued =
///     serde_json::from_str(r#"{"value":"a@b.c","type":"work","primary":"True"}"#).unwrap();
/// assert_eq!(v.primary, Some(true));
/// ```
#[derive(Clone, Default, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct MultiValued {
    /// The value.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value: Option<String>,
    /// A human-readable label.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub display: Option<String>,
    /// The kind (`work`, `home`, `direct`, ...).
    #[serde(rename = "type", default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
    /// Whether this is the primary value.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "opt_bool"
    )]
    pub primary: Option<bool>,
    /// A URI of the referenced resource (`groups`).
    #[serde(rename = "$ref", default, skip_serializing_if = "Option::is_none")]
    pub reference: Option<String>,
    /// Sub-attributes this crate does not model.
    #[serde(flatten)]
    pub extra: Extra,
}

crate::redact::redacted_debug!(MultiValued {
    value, display, kind, primary, reference, @json extra,
});

impl MultiValued {
    /// A value with nothing else set.
    pub fn new(value: impl Into<String>) -> Self {
        MultiValued {
            value: Some(value.into()),
            ..MultiValued::default()
        }
    }

    /// Sets `type`.
    pub fn kind(mut self, kind: impl Into<String>) -> Self {
        self.kind = Some(kind.into());
        self
    }

    /// Sets `primary`.
    pub fn primary(mut self, primary: bool) -> Self {
        self.primary = Some(primary);
        self
    }

    /// Sets `display`.
    pub fn display(mut self, display: impl Into<String>) -> Self {
        self.display = Some(display.into());
        self
    }
}

/// A postal address.
#[derive(Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct Address {
    /// The full address, formatted for display.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub formatted: Option<String>,
    /// Street, house number, ...
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub street_address: Option<String>,
    /// City.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub locality: Option<String>,
    /// State or region.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub region: Option<String>,
    /// Postal code.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub postal_code: Option<String>,
    /// Country (ISO 3166-1 alpha-2).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub country: Option<String>,
    /// The kind (`work`, `home`, `other`).
    #[serde(rename = "type", default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
    /// Whether this is the primary address.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "opt_bool"
    )]
    pub primary: Option<bool>,
    /// Sub-attributes this crate does not model.
    #[serde(flatten)]
    pub extra: Extra,
}

crate::redact::redacted_debug!(Address {
    formatted, street_address, locality, region, postal_code, country, kind, primary,
    @json extra,
});
