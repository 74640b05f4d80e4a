//! The resource types the mock SCIM server stores: `User` and `Group`.

use crate::scim::schema;

/// A resource type the server stores.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    User,
    Group,
}

impl Kind {
    pub(crate) fn from_endpoint(endpoint: &str) -> Option<Kind> {
        if endpoint.eq_ignore_ascii_case("Users") {
            Some(Kind::User)
        } else if endpoint.eq_ignore_ascii_case("Groups") {
            Some(Kind::Group)
        } else {
            None
        }
    }
    pub(crate) fn name(self) -> &'static str {
        match self {
            Kind::User => "User",
            Kind::Group => "Group",
        }
    }
    pub(crate) fn endpoint(self) -> &'static str {
        match self {
            Kind::User => "Users",
            Kind::Group => "Groups",
        }
    }
    pub(crate) fn schema(self) -> &'static str {
        match self {
            Kind::User => schema::USER,
            Kind::Group => schema::GROUP,
        }
    }
}
