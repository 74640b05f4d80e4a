//! [`UserMapping`]: how a source user becomes a SCIM user, and which attributes the engine
//! owns on the target.

use std::fmt;

use crate::scim::{OwnedAttributes, User};

/// The enterprise extension's URN, for the owned paths below.
const ENTERPRISE: &str = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";

/// The attributes the default mapping writes, and so the ones the engine owns unless told
/// otherwise: `externalId`, `userName`, `active`, `displayName`, `nickName`, `title`,
/// `userType`, `preferredLanguage`, `locale`, `timezone`, `name.givenName`,
/// `name.familyName`, `name.middleName`, `name.formatted`, `emails`, `phoneNumbers`,
/// `addresses`, and the enterprise extension's `employeeNumber`, `costCenter`,
/// `organization`, `division` and `department`.
///
/// Everything else on a target user (a password, `name.honorificPrefix`, `roles`, the
/// enterprise `manager`, custom extensions) is never changed by the engine.
///
/// ```
/// let owned = scimkit::provision::default_owned_attributes();
/// assert!(owned.owns("name.givenName"));
/// assert!(!owned.owns("name.honorificPrefix"));
/// assert!(!owned.owns("password"));
/// ```
pub fn default_owned_attributes() -> OwnedAttributes {
    let core = [
        "externalId",
        "userName",
        "active",
        "displayName",
        "nickName",
        "title",
        "userType",
        "preferredLanguage",
        "locale",
        "timezone",
        "name.givenName",
        "name.familyName",
        "name.middleName",
        "name.formatted",
        "emails",
        "phoneNumbers",
        "addresses",
    ];
    let enterprise = [
        "employeeNumber",
        "costCenter",
        "organization",
        "division",
        "department",
    ];
    enterprise
        .iter()
        .fold(OwnedAttributes::new(core), |set, a| {
            set.with(&format!("{ENTERPRISE}:{a}"))
        })
}

/// Why a source user could not be mapped. Reported for that user; the run goes on.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{reason}")]
#[non_exhaustive]
pub struct MappingError {
    /// What is missing or wrong, for people.
    pub reason: String,
}

impl MappingError {
    /// An error with this reason.
    pub fn new(reason: impl Into<String>) -> Self {
        MappingError {
            reason: reason.into(),
        }
    }
}

/// Turns a source user into the SCIM user it should be on a target.
///
/// The default for Okta is [`OktaMapping`](super::OktaMapping), which takes per-attribute
/// overrides. Replace it whole with your own type, or with a closure:
///
/// ```
/// use scimkit::okta::User as OktaUser;
/// use scimkit::provision::{MappingError, UserMapping};
/// use scimkit::scim::User;
///
/// let mapping = |u: &OktaUser| -> Result<User, MappingError> {
///     let email = u.profile.email.clone().ok_or_else(|| MappingError::new("no email"))?;
///     Ok(User::new(email).external_id(u.id.clone()).active(true))
/// };
/// fn takes(_: &dyn UserMapping<OktaUser>) {}
/// takes(&mapping);
/// ```
///
/// `map` runs once per source user and plan; it should not block (no I/O).
pub trait UserMapping<U>: Send + Sync {
    /// The SCIM user for `user`, or why there is none. The engine matches it on the target
    /// by its `externalId`, then its `userName`; a user without `userName` is reported as
    /// unmappable.
    fn map(&self, user: &U) -> Result<User, MappingError>;

    /// The attributes the engine owns when this mapping is used (unless the provisioner is
    /// told otherwise): only these are ever changed on an existing target user. Default:
    /// [`default_owned_attributes`].
    fn owned(&self) -> OwnedAttributes {
        default_owned_attributes()
    }
}

impl<U, F> UserMapping<U> for F
where
    F: Fn(&U) -> Result<User, MappingError> + Send + Sync,
{
    fn map(&self, user: &U) -> Result<User, MappingError> {
        self(user)
    }
}

impl<U> fmt::Debug for dyn UserMapping<U> + '_ {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("UserMapping")
            .field("owned", &self.owned())
            .finish()
    }
}
