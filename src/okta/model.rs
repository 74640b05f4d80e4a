//! Okta's resources as Rust types: users (with any profile type), groups and admin role
//! assignments.
//!
//! Responses are read tolerantly: unknown fields land in `extra`, unknown enum values in an
//! `Other(String)` variant, `null` where a value was expected in `None`. Requests are written
//! canonically: only the fields Okta reads, `None`s left out.

use std::fmt;

use secrecy::{ExposeSecret, SecretString};
use serde::de::Deserializer;
use serde::ser::{SerializeStruct, Serializer};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// Declares a string enum that keeps values it does not know in `Other(String)`.
macro_rules! open_enum {
    (
        $(#[$meta:meta])*
        $name:ident { $($(#[$vmeta:meta])* $variant:ident => $text:literal,)* }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash)]
        #[non_exhaustive]
        pub enum $name {
            $($(#[$vmeta])* $variant,)*
            /// A value this version of the crate does not know, kept exactly as sent.
            Other(String),
        }

        impl $name {
            /// The value as Okta spells it.
            pub fn as_str(&self) -> &str {
                match self {
                    $(Self::$variant => $text,)*
                    Self::Other(other) => other,
                }
            }
        }

        impl From<&str> for $name {
            fn from(value: &str) -> Self {
                match value {
                    $($text => Self::$variant,)*
                    other => Self::Other(other.to_owned()),
                }
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl Serialize for $name {
            fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.serialize_str(self.as_str())
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                let text = String::deserialize(deserializer)?;
                Ok(Self::from(text.as_str()))
            }
        }
    };
}

open_enum! {
    /// A user's lifecycle status.
    ///
    /// ```
    /// use scimkit::okta::UserStatus;
    /// assert_eq!(UserStatus::from("LOCKED_OUT"), UserStatus::LockedOut);
    /// assert_eq!(UserStatus::from("NEW_STATE"), UserStatus::Other("NEW_STATE".into()));
    /// ```
    UserStatus {
        /// Created but not activated.
        Staged => "STAGED",
        /// Activated; the user has not finished activation (no password yet).
        Provisioned => "PROVISIONED",
        /// Active.
        Active => "ACTIVE",
        /// A password reset is in progress.
        Recovery => "RECOVERY",
        /// The password expired; the user must change it at next sign-in.
        PasswordExpired => "PASSWORD_EXPIRED",
        /// Locked after too many failed sign-ins.
        LockedOut => "LOCKED_OUT",
        /// Suspended by an admin.
        Suspended => "SUSPENDED",
        /// Deactivated; the only status from which a user can be deleted.
        Deprovisioned => "DEPROVISIONED",
    }
}

open_enum! {
    /// A group's type.
    GroupType {
        /// A group made in Okta.
        OktaGroup => "OKTA_GROUP",
        /// A group imported from an app (AD, LDAP, ...).
        AppGroup => "APP_GROUP",
        /// The built-in `Everyone` group.
        BuiltIn => "BUILT_IN",
    }
}

open_enum! {
    /// An admin role type (the spec's `RoleType`, plus `MOBILE_ADMIN`, which Okta still
    /// returns in role listings).
    ///
    /// ```
    /// use scimkit::okta::RoleType;
    /// assert_eq!(RoleType::UserAdmin.as_str(), "USER_ADMIN");
    /// assert_eq!(RoleType::from("SOME_NEW_ADMIN"), RoleType::Other("SOME_NEW_ADMIN".into()));
    /// ```
    RoleType {
        /// Super Administrator.
        SuperAdmin => "SUPER_ADMIN",
        /// Organization Administrator.
        OrgAdmin => "ORG_ADMIN",
        /// Group (user) Administrator.
        UserAdmin => "USER_ADMIN",
        /// Application Administrator.
        AppAdmin => "APP_ADMIN",
        /// Group Membership Administrator.
        GroupMembershipAdmin => "GROUP_MEMBERSHIP_ADMIN",
        /// Help Desk Administrator.
        HelpDeskAdmin => "HELP_DESK_ADMIN",
        /// Read-only Administrator.
        ReadOnlyAdmin => "READ_ONLY_ADMIN",
        /// Report Administrator.
        ReportAdmin => "REPORT_ADMIN",
        /// API Access Management Administrator.
        ApiAccessManagementAdmin => "API_ACCESS_MANAGEMENT_ADMIN",
        /// Mobile Administrator (in listings only; not assignable through the spec).
        MobileAdmin => "MOBILE_ADMIN",
        /// Workflows Administrator (IAM-based standard role).
        WorkflowsAdmin => "WORKFLOWS_ADMIN",
        /// Access Certifications Administrator (IAM-based standard role).
        AccessCertificationsAdmin => "ACCESS_CERTIFICATIONS_ADMIN",
        /// Access Requests Administrator (IAM-based standard role).
        AccessRequestsAdmin => "ACCESS_REQUESTS_ADMIN",
        /// A custom role (bound through a resource set).
        Custom => "CUSTOM",
    }
}

/// Okta's standard user profile attributes, plus any custom attributes in `custom`.
///
/// Use your own profile struct with [`User<P>`] when you want custom attributes typed.
///
/// ```
/// use scimkit::okta::DefaultProfile;
///
/// let p: DefaultProfile = serde_json::from_str(
///     r#"{"login":"a@example.com","email":"a@example.com","firstName":"A","costCenter":"42","badge":7}"#,
/// ).unwrap();
/// assert_eq!(p.first_name.as_deref(), Some("A"));
/// assert_eq!(p.cost_center.as_deref(), Some("42"));
/// assert_eq!(p.custom["badge"], 7);
/// ```
#[derive(Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct DefaultProfile {
    /// The unique sign-in name (often an email address).
    #[serde(default)]
    pub login: String,
    /// Primary email.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    /// Secondary email.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub second_email: Option<String>,
    /// Given name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub first_name: Option<String>,
    /// Family name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_name: Option<String>,
    /// Middle name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub middle_name: Option<String>,
    /// Display name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub display_name: Option<String>,
    /// Nickname.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nick_name: Option<String>,
    /// Job title.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    /// Mobile phone.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mobile_phone: Option<String>,
    /// Primary phone.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub primary_phone: Option<String>,
    /// City.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub city: Option<String>,
    /// Country code (ISO 3166-1 alpha-2).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub country_code: Option<String>,
    /// Preferred language.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub preferred_language: Option<String>,
    /// Locale, e.g. `en_US`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub locale: Option<String>,
    /// Time zone.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timezone: Option<String>,
    /// User type (free text).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_type: Option<String>,
    /// Employee number.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub employee_number: Option<String>,
    /// Cost center.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cost_center: Option<String>,
    /// Organization.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub organization: Option<String>,
    /// Division.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub division: Option<String>,
    /// Department.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub department: Option<String>,
    /// The manager's id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub manager_id: Option<String>,
    /// The manager's display name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub manager: Option<String>,
    /// Every other attribute, custom ones included, kept as sent.
    #[serde(flatten)]
    pub custom: Map<String, Value>,
}

crate::redact::redacted_debug!(DefaultProfile {
    login, email, second_email, first_name, last_name, middle_name, display_name, nick_name,
    title, mobile_phone, primary_phone, city, country_code, preferred_language, locale,
    timezone, user_type, employee_number, cost_center, organization, division, department,
    manager_id, manager, @json custom,
});

impl DefaultProfile {
    /// A profile with the four attributes Okta requires: login, email, first and last name.
    ///
    /// ```
    /// let p = scimkit::okta::DefaultProfile::new("ada@example.com", "Ada", "Lovelace")
    ///     .with("department", "Engineering");
    /// assert_eq!(p.email.as_deref(), Some("ada@example.com"));
    /// assert_eq!(p.department.as_deref(), Some("Engineering"));
    /// ```
    pub fn new(
        login_and_email: impl Into<String>,
        first_name: impl Into<String>,
        last_name: impl Into<String>,
    ) -> Self {
        let login = login_and_email.into();
        DefaultProfile {
            email: Some(login.clone()),
            login,
            first_name: Some(first_name.into()),
            last_name: Some(last_name.into()),
            ..Self::default()
        }
    }

    /// Sets any attribute by its Okta name, standard or custom.
    pub fn with(mut self, name: &str, value: impl Into<Value>) -> Self {
        let mut as_json = serde_json::to_value(&self).unwrap_or(Value::Null);
        if let Value::Object(map) = &mut as_json {
            map.insert(name.to_owned(), value.into());
        }
        if let Ok(updated) = serde_json::from_value(as_json) {
            self = updated;
        }
        self
    }
}

/// An Okta user, with profile type `P` ([`DefaultProfile`] unless you bring your own).
///
/// ```
/// use scimkit::okta::{User, UserStatus};
///
/// let u: User = serde_json::from_str(r#"{
///   "id": "00u1", "status": "ACTIVE", "created": "2024-01-01T00:00:00.000Z",
///   "profile": {"login": "a@example.com", "favouriteColour": "teal"},
///   "credentials": {"provider": {"type": "OKTA"}}, "_links": {}
/// }"#).unwrap();
/// assert_eq!(u.status, UserStatus::Active);
/// assert_eq!(u.profile.custom["favouriteColour"], "teal");
/// ```
#[derive(Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct User<P = DefaultProfile> {
    /// The user's id (`00u...`).
    pub id: String,
    /// Lifecycle status.
    pub status: UserStatus,
    /// The status an asynchronous operation is moving the user to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub transitioning_to_status: Option<UserStatus>,
    /// Creation time (RFC 3339).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created: Option<String>,
    /// Activation time.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub activated: Option<String>,
    /// Last status change.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status_changed: Option<String>,
    /// Last sign-in.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_login: Option<String>,
    /// Last update.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_updated: Option<String>,
    /// Last password change.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub password_changed: Option<String>,
    /// The profile.
    pub profile: P,
    /// Credentials as Okta shows them (never a password).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub credentials: Option<Value>,
    /// `_links`, `_embedded`, `type` and any other field, kept as sent.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

crate::redact::redacted_debug!(User<P> {
    id, status, transitioning_to_status, created, activated, status_changed, last_login,
    last_updated, password_changed, profile, @json credentials, @json extra,
});

/// What [`Users::activate`](super::Users::activate) and
/// [`Users::reactivate`](super::Users::reactivate) return: an activation link and token when
/// Okta was told not to email them (`sendEmail=false`), nothing otherwise.
#[derive(Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct ActivationToken {
    /// The activation link to hand to the user.
    #[serde(default, deserialize_with = "secret_opt")]
    pub activation_url: Option<SecretString>,
    /// The one-time activation token.
    #[serde(default, deserialize_with = "secret_opt")]
    pub activation_token: Option<SecretString>,
}

impl fmt::Debug for ActivationToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ActivationToken")
            .field(
                "activation_url",
                &self.activation_url.as_ref().map(|_| "[redacted]"),
            )
            .field(
                "activation_token",
                &self.activation_token.as_ref().map(|_| "[redacted]"),
            )
            .finish()
    }
}

/// What [`Users::reset_password`](super::Users::reset_password) returns: a reset link when
/// Okta was told not to email it (`sendEmail=false`).
#[derive(Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct ResetPasswordToken {
    /// The password-reset link to hand to the user.
    #[serde(default, deserialize_with = "secret_opt")]
    pub reset_password_url: Option<SecretString>,
}

impl fmt::Debug for ResetPasswordToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ResetPasswordToken")
            .field(
                "reset_password_url",
                &self.reset_password_url.as_ref().map(|_| "[redacted]"),
            )
            .finish()
    }
}

fn secret_opt<'de, D: Deserializer<'de>>(d: D) -> Result<Option<SecretString>, D::Error> {
    Ok(Option::<String>::deserialize(d)?.map(SecretString::from))
}

/// A new user for [`Users::create`](super::Users::create): profile, optional password, the
/// groups to join, and the `activate` / `nextLogin` query options.
///
/// Defaults: `activate=true`, no password (the user gets an activation email and ends
/// `PROVISIONED`), no groups.
///
/// ```
/// use scimkit::okta::{CreateUser, DefaultProfile};
///
/// let new = CreateUser::new(DefaultProfile::new("ada@example.com", "Ada", "Lovelace"))
///     .password("Tr0ub4dor&3".to_string())
///     .next_login_change_password()
///     .group_id("00g1");
/// let body = serde_json::to_value(&new).unwrap();
/// assert_eq!(body["credentials"]["password"]["value"], "Tr0ub4dor&3");
/// assert!(!format!("{new:?}").contains("Tr0ub4dor"));
/// ```
#[derive(Clone)]
#[non_exhaustive]
pub struct CreateUser<P = DefaultProfile> {
    /// The profile.
    pub profile: P,
    /// A password to set (`credentials.password.value`).
    pub password: Option<SecretString>,
    /// Groups the user joins on creation (`groupIds`).
    pub group_ids: Vec<String>,
    /// `activate` query option (default `true`).
    pub activate: bool,
    /// `nextLogin=changePassword`: the password is expired at once (needs `activate`).
    pub change_password_at_next_login: bool,
}

impl<P> CreateUser<P> {
    /// A user with this profile, activated on creation, without a password.
    pub fn new(profile: P) -> Self {
        CreateUser {
            profile,
            password: None,
            group_ids: Vec::new(),
            activate: true,
            change_password_at_next_login: false,
        }
    }

    /// Sets the password credential.
    pub fn password(mut self, password: impl Into<SecretString>) -> Self {
        self.password = Some(password.into());
        self
    }

    /// Adds a group to join.
    pub fn group_id(mut self, id: impl Into<String>) -> Self {
        self.group_ids.push(id.into());
        self
    }

    /// Whether to activate the user on creation (default `true`; `false` leaves it `STAGED`).
    pub fn activate(mut self, activate: bool) -> Self {
        self.activate = activate;
        self
    }

    /// Sends `nextLogin=changePassword`: the user must change the password at first sign-in.
    pub fn next_login_change_password(mut self) -> Self {
        self.change_password_at_next_login = true;
        self
    }
}

impl<P: fmt::Debug> fmt::Debug for CreateUser<P> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CreateUser")
            .field("profile", &self.profile)
            .field("password", &self.password.as_ref().map(|_| "[redacted]"))
            .field("group_ids", &self.group_ids)
            .field("activate", &self.activate)
            .field(
                "change_password_at_next_login",
                &self.change_password_at_next_login,
            )
            .finish()
    }
}

impl<P: Serialize> Serialize for CreateUser<P> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        #[derive(Serialize)]
        struct Password<'a> {
            value: &'a str,
        }
        #[derive(Serialize)]
        struct Credentials<'a> {
            password: Password<'a>,
        }
        let fields =
            1 + usize::from(self.password.is_some()) + usize::from(!self.group_ids.is_empty());
        let mut s = serializer.serialize_struct("CreateUser", fields)?;
        s.serialize_field("profile", &self.profile)?;
        if let Some(password) = &self.password {
            s.serialize_field(
                "credentials",
                &Credentials {
                    password: Password {
                        value: password.expose_secret(),
                    },
                },
            )?;
        }
        if !self.group_ids.is_empty() {
            s.serialize_field("groupIds", &self.group_ids)?;
        }
        s.end()
    }
}

/// A group's profile: name, description and any custom attributes.
///
/// ```
/// let p = scimkit::okta::GroupProfile::new("Engineering").description("Everyone who builds");
/// assert_eq!(serde_json::to_value(&p).unwrap()["description"], "Everyone who builds");
/// ```
#[derive(Clone, Default, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct GroupProfile {
    /// The group's name.
    #[serde(default)]
    pub name: String,
    /// The description.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Custom attributes (and AD attributes for imported groups), kept as sent.
    #[serde(flatten)]
    pub custom: Map<String, Value>,
}

crate::redact::redacted_debug!(GroupProfile {
    name, description, @json custom,
});

impl GroupProfile {
    /// A profile with just a name.
    pub fn new(name: impl Into<String>) -> Self {
        GroupProfile {
            name: name.into(),
            ..Self::default()
        }
    }

    /// Sets the description.
    pub fn description(mut self, description: impl Into<String>) -> Self {
        self.description = Some(description.into());
        self
    }
}

/// An Okta group.
#[derive(Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct Group {
    /// The group's id (`00g...`).
    pub id: String,
    /// Okta, app or built-in group.
    #[serde(rename = "type", default, skip_serializing_if = "Option::is_none")]
    pub group_type: Option<GroupType>,
    /// Creation time.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created: Option<String>,
    /// Last profile update.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_updated: Option<String>,
    /// Last membership change.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_membership_updated: Option<String>,
    /// Object classes, e.g. `okta:user_group`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub object_class: Vec<String>,
    /// The profile.
    pub profile: GroupProfile,
    /// `_links`, `_embedded` and any other field, kept as sent.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

crate::redact::redacted_debug!(Group {
    id, group_type, created, last_updated, last_membership_updated, object_class, profile,
    @json extra,
});

/// An admin role assigned to a user or a group.
#[derive(Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct RoleAssignment {
    /// The assignment's id (what unassigning takes).
    pub id: String,
    /// The role type; unknown types are kept.
    #[serde(rename = "type")]
    pub role_type: RoleType,
    /// Display label, e.g. `User Administrator`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub label: Option<String>,
    /// `ACTIVE` or `INACTIVE`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
    /// `USER` (assigned directly) or `GROUP` (through a group).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub assignment_type: Option<String>,
    /// Creation time.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created: Option<String>,
    /// Last update.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_updated: Option<String>,
    /// `_links`, `_embedded`, custom-role fields and anything else, kept as sent.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

crate::redact::redacted_debug!(RoleAssignment {
    id, role_type, label, status, assignment_type, created, last_updated, @json extra,
});

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn custom_profile_struct_works() {
        #[derive(Debug, Deserialize, Serialize)]
        #[serde(rename_all = "camelCase")]
        struct Hr {
            login: String,
            employee_badge: u32,
        }
        let u: User<Hr> = serde_json::from_value(serde_json::json!({
            "id": "00u1", "status": "SOMETHING_NEW",
            "profile": {"login": "a", "employeeBadge": 9, "ignored": true}
        }))
        .unwrap();
        assert_eq!(u.profile.employee_badge, 9);
        assert_eq!(u.status, UserStatus::Other("SOMETHING_NEW".into()));
    }

    #[test]
    fn create_user_without_password_is_canonical() {
        let body =
            serde_json::to_value(CreateUser::new(DefaultProfile::new("a@x", "A", "B"))).unwrap();
        assert_eq!(
            body,
            serde_json::json!({"profile": {"login": "a@x", "email": "a@x", "firstName": "A", "lastName": "B"}})
        );
    }

    #[test]
    fn role_assignment_keeps_unknown_type() {
        let r: RoleAssignment =
            serde_json::from_value(serde_json::json!({"id": "ra1", "type": "NEW_ADMIN", "x": 1}))
                .unwrap();
        assert_eq!(r.role_type, RoleType::Other("NEW_ADMIN".into()));
        assert_eq!(r.extra["x"], 1);
        assert_eq!(serde_json::to_value(&r).unwrap()["type"], "NEW_ADMIN");
    }
}
