//! [`OktaMapping`]: the default mapping of an Okta user to a SCIM user, with per-attribute
//! overrides.

use std::fmt;
use std::marker::PhantomData;
use std::sync::Arc;

use serde::Serialize;
use serde_json::{Map, Value};

use super::{MappingError, SourceUser, UserMapping, default_owned_attributes};
use crate::okta::{self, DefaultProfile, UserStatus};
use crate::scim::{Address, EnterpriseUser, MultiValued, Name, OwnedAttributes, User};

type Override<P> = Arc<dyn Fn(&okta::User<P>) -> Option<Value> + Send + Sync>;

/// One override: a value for a path, or `None` for an attribute left out and not owned.
type Rule<P> = (String, Option<Override<P>>);

/// The default mapping of an Okta user (`okta::User<P>`, any profile type) to a SCIM user.
///
/// | SCIM | Okta |
/// |---|---|
/// | `externalId` | `id` |
/// | `userName` | `profile.login` (required: a user without one is reported as unmappable) |
/// | `active` | `false` when `status` is `DEPROVISIONED` or `SUSPENDED`, else `true` |
/// | `name.givenName`, `.familyName`, `.middleName` | `firstName`, `lastName`, `middleName` |
/// | `name.formatted` | `firstName lastName` (whichever exist) |
/// | `displayName` | `displayName`, else `name.formatted` |
/// | `nickName`, `title`, `userType`, `preferredLanguage`, `timezone` | the same names |
/// | `locale` | `locale` with `_` as `-` (`en_US` → `en-US`) |
/// | `emails` | `email` (`work`, primary), `secondEmail` (`other`) |
/// | `phoneNumbers` | `primaryPhone` (`work`, primary), `mobilePhone` (`mobile`) |
/// | `addresses` | `streetAddress`, `city`, `state`, `zipCode`, `countryCode` (`work`, primary) |
/// | enterprise `employeeNumber`, `costCenter`, `organization`, `division`, `department` | the same names |
///
/// Attributes the profile lacks or leaves blank are left out: a user without an email or a
/// last name still maps. Okta's `managerId` is not mapped (a SCIM `manager.value` is the
/// target's id of the manager, which the source does not know); map it with an override if
/// your target takes the Okta id.
///
/// Overrides replace one SCIM attribute each, after the table above, and become owned;
/// [`without`](Self::without) leaves one out of the mapping and of the owned set:
///
/// ```
/// use scimkit::okta::{DefaultProfile, User};
/// use scimkit::provision::{OktaMapping, UserMapping};
/// use serde_json::json;
///
/// let mapping = OktaMapping::<DefaultProfile>::new()
///     .attribute("userName", |u: &User| u.profile.email.clone().map(Into::into))
///     .profile_attribute("urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value", "managerId")
///     .without("phoneNumbers");
/// let okta: User = serde_json::from_value(json!({
///     "id": "00u1", "status": "ACTIVE",
///     "profile": {"login": "ada", "email": "ada@example.com", "firstName": "Ada",
///                 "mobilePhone": "+44 20 7946 0000", "managerId": "00u0"}
/// })).unwrap();
/// let user = mapping.map(&okta).unwrap();
/// assert_eq!(user.user_name, "ada@example.com");
/// assert_eq!(user.external_id.as_deref(), Some("00u1"));
/// assert_eq!(user.name.unwrap().family_name, None); // no last name: still mapped
/// assert!(user.phone_numbers.is_empty());
/// assert_eq!(user.enterprise.unwrap().manager.unwrap().value.as_deref(), Some("00u0"));
/// ```
pub struct OktaMapping<P = DefaultProfile> {
    overrides: Vec<Rule<P>>,
    _profile: PhantomData<fn(&P)>,
}

impl<P> Clone for OktaMapping<P> {
    fn clone(&self) -> Self {
        OktaMapping {
            overrides: self.overrides.clone(),
            _profile: PhantomData,
        }
    }
}

impl<P> Default for OktaMapping<P> {
    fn default() -> Self {
        OktaMapping {
            overrides: Vec::new(),
            _profile: PhantomData,
        }
    }
}

impl<P> fmt::Debug for OktaMapping<P> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OktaMapping")
            .field(
                "overrides",
                &self.overrides.iter().map(|(p, _)| p).collect::<Vec<_>>(),
            )
            .finish()
    }
}

impl<P: Serialize> OktaMapping<P> {
    /// The default mapping, without overrides.
    pub fn new() -> Self {
        OktaMapping::default()
    }

    /// Sets the SCIM attribute at `scim_path` (`title`, `name.givenName`,
    /// `urn:…:User:department`, a whole multi-valued attribute as a JSON array) from the
    /// Okta user; `None` leaves it out. The attribute becomes owned. A later override of
    /// the same path wins.
    pub fn attribute(
        self,
        scim_path: impl Into<String>,
        value: impl Fn(&okta::User<P>) -> Option<Value> + Send + Sync + 'static,
    ) -> Self {
        self.rule(scim_path.into(), Some(Arc::new(value)))
    }

    fn rule(mut self, path: String, value: Option<Override<P>>) -> Self {
        self.overrides
            .retain(|(p, _)| !p.eq_ignore_ascii_case(&path));
        self.overrides.push((path, value));
        self
    }

    /// Sets the SCIM attribute at `scim_path` from the Okta profile attribute
    /// `okta_attribute` (standard or custom, taken as sent; blank strings left out).
    pub fn profile_attribute(self, scim_path: impl Into<String>, okta_attribute: &str) -> Self {
        let okta_attribute = okta_attribute.to_owned();
        self.attribute(scim_path, move |u: &okta::User<P>| {
            profile_of(u)
                .ok()
                .and_then(|p| p.get(&okta_attribute).cloned())
                .filter(|v| !v.is_null() && v.as_str().is_none_or(|s| !s.trim().is_empty()))
        })
    }

    /// Leaves the SCIM attribute at `scim_path` (and what is under it) out of the mapping
    /// and of the owned set: it is not sent, and whatever a target has there stays.
    pub fn without(self, scim_path: impl Into<String>) -> Self {
        self.rule(scim_path.into(), None)
    }

    fn default_user(&self, okta: &okta::User<P>) -> Result<User, MappingError> {
        let profile = profile_of(okta)?;
        let text = |key: &str| -> Option<String> {
            match profile.get(key)? {
                Value::String(s) if !s.trim().is_empty() => Some(s.trim().to_owned()),
                Value::Number(n) => Some(n.to_string()),
                _ => None,
            }
        };
        let login = text("login")
            .ok_or_else(|| MappingError::new(format!("the Okta user {} has no login", okta.id)))?;
        let mut user = User::new(login).external_id(okta.id.clone());
        user.active = Some(!matches!(
            okta.status,
            UserStatus::Deprovisioned | UserStatus::Suspended
        ));

        let (given, family, middle) = (text("firstName"), text("lastName"), text("middleName"));
        let formatted = [given.as_deref(), family.as_deref()]
            .into_iter()
            .flatten()
            .collect::<Vec<_>>()
            .join(" ");
        if given.is_some() || family.is_some() || middle.is_some() {
            user.name = Some(Name {
                given_name: given,
                family_name: family,
                middle_name: middle,
                formatted: Some(formatted.clone()).filter(|f| !f.is_empty()),
                ..Name::default()
            });
        }
        user.display_name = text("displayName").or(Some(formatted).filter(|f| !f.is_empty()));
        user.nick_name = text("nickName");
        user.title = text("title");
        user.user_type = text("userType");
        user.preferred_language = text("preferredLanguage");
        user.locale = text("locale").map(|l| l.replace('_', "-"));
        user.timezone = text("timezone");

        let email = text("email");
        if let Some(email) = &email {
            user.emails
                .push(MultiValued::new(email).kind("work").primary(true));
        }
        if let Some(second) = text("secondEmail").filter(|s| Some(s) != email.as_ref()) {
            user.emails.push(MultiValued::new(second).kind("other"));
        }
        if let Some(phone) = text("primaryPhone") {
            user.phone_numbers
                .push(MultiValued::new(phone).kind("work").primary(true));
        }
        if let Some(mobile) = text("mobilePhone") {
            user.phone_numbers
                .push(MultiValued::new(mobile).kind("mobile"));
        }
        let address = Address {
            street_address: text("streetAddress"),
            locality: text("city"),
            region: text("state"),
            postal_code: text("zipCode"),
            country: text("countryCode"),
            ..Address::default()
        };
        if address != Address::default() {
            user.addresses.push(Address {
                kind: Some("work".into()),
                primary: Some(true),
                ..address
            });
        }
        let enterprise = EnterpriseUser {
            employee_number: text("employeeNumber"),
            cost_center: text("costCenter"),
            organization: text("organization"),
            division: text("division"),
            department: text("department"),
            ..EnterpriseUser::default()
        };
        if enterprise != EnterpriseUser::default() {
            user.enterprise = Some(enterprise);
        }
        Ok(user)
    }
}

fn profile_of<P: Serialize>(okta: &okta::User<P>) -> Result<Map<String, Value>, MappingError> {
    match serde_json::to_value(&okta.profile) {
        Ok(Value::Object(map)) => Ok(map),
        Ok(_) => Err(MappingError::new(format!(
            "the profile of the Okta user {} is not an object",
            okta.id
        ))),
        Err(e) => Err(MappingError::new(format!(
            "the profile of the Okta user {} could not be read: {e}",
            okta.id
        ))),
    }
}

impl<P: Serialize + Send + Sync + 'static> UserMapping<okta::User<P>> for OktaMapping<P> {
    fn map(&self, okta: &okta::User<P>) -> Result<User, MappingError> {
        let user = self.default_user(okta)?;
        if self.overrides.is_empty() {
            return Ok(user);
        }
        let mut json = serde_json::to_value(&user)
            .map_err(|e| MappingError::new(format!("could not encode the user: {e}")))?;
        for (path, value) in &self.overrides {
            crate::scim::set_at(&mut json, path, value.as_ref().and_then(|v| v(okta)));
        }
        let user: User = serde_json::from_value(json).map_err(|e| {
            MappingError::new(format!(
                "the overrides made an invalid SCIM user for {}: {e}",
                okta.id
            ))
        })?;
        if user.user_name.trim().is_empty() {
            return Err(MappingError::new(format!(
                "the mapping gave the Okta user {} no userName",
                okta.id
            )));
        }
        Ok(user)
    }

    fn owned(&self) -> OwnedAttributes {
        self.overrides.iter().fold(
            default_owned_attributes(),
            |set, (path, value)| match value {
                Some(_) => set.with(path),
                None => set.without(path),
            },
        )
    }
}

impl<P: Serialize + Send + Sync + 'static> SourceUser for okta::User<P> {
    fn source_id(&self) -> &str {
        &self.id
    }

    fn label(&self) -> String {
        profile_of(self)
            .ok()
            .and_then(|p| p.get("login").and_then(Value::as_str).map(str::to_owned))
            .filter(|l| !l.is_empty())
            .map_or_else(|| self.id.clone(), |login| format!("{login} ({})", self.id))
    }
}
