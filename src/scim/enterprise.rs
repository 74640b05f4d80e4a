//! The enterprise User extension (RFC 7643 §4.3).

use serde::{Deserialize, Serialize};

use super::{Extension, Extra, schema};

/// `urn:ietf:params:scim:schemas:extension:enterprise:2.0:User`.
///
/// ```
/// use scimkit::scim::{EnterpriseUser, User};
///
/// let user = User::new("bob").enterprise(EnterpriseUser::new().department("Engineering"));
/// let json = serde_json::to_value(&user).unwrap();
/// assert_eq!(
///     json["urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"]["department"],
///     "Engineering"
/// );
/// ```
#[derive(Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct EnterpriseUser {
    /// Employee number.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub employee_number: Option<String>,
    /// Cost centre.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cost_center: Option<String>,
    /// Organisation.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub organization: Option<String>,
    /// Division.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub division: Option<String>,
    /// Department.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub department: Option<String>,
    /// The user's manager.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub manager: Option<Manager>,
    /// Attributes this crate does not model.
    #[serde(flatten)]
    pub extra: Extra,
}

crate::redact::redacted_debug!(EnterpriseUser {
    employee_number, cost_center, organization, division, department, manager, @json extra,
});

impl EnterpriseUser {
    /// An empty extension.
    pub fn new() -> Self {
        EnterpriseUser::default()
    }

    /// Sets `employeeNumber`.
    pub fn employee_number(mut self, value: impl Into<String>) -> Self {
        self.employee_number = Some(value.into());
        self
    }

    /// Sets `costCenter`.
    pub fn cost_center(mut self, value: impl Into<String>) -> Self {
        self.cost_center = Some(value.into());
        self
    }

    /// Sets `organization`.
    pub fn organization(mut self, value: impl Into<String>) -> Self {
        self.organization = Some(value.into());
        self
    }

    /// Sets `division`.
    pub fn division(mut self, value: impl Into<String>) -> Self {
        self.division = Some(value.into());
        self
    }

    /// Sets `department`.
    pub fn department(mut self, value: impl Into<String>) -> Self {
        self.department = Some(value.into());
        self
    }

    /// Sets `manager`.
    pub fn manager(mut self, manager: Manager) -> Self {
        self.manager = Some(manager);
        self
    }
}

impl Extension for EnterpriseUser {
    const URN: &'static str = schema::ENTERPRISE_USER;
}

/// A reference to a user's manager.
#[derive(Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct Manager {
    /// The manager's id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value: Option<String>,
    /// The manager's URI.
    #[serde(rename = "$ref", default, skip_serializing_if = "Option::is_none")]
    pub reference: Option<String>,
    /// The manager's display name (read-only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub display_name: Option<String>,
    /// Attributes this crate does not model.
    #[serde(flatten)]
    pub extra: Extra,
}

crate::redact::redacted_debug!(Manager {
    value, reference, display_name, @json extra,
});

impl Manager {
    /// A manager reference by id.
    pub fn new(id: impl Into<String>) -> Self {
        Manager {
            value: Some(id.into()),
            ..Manager::default()
        }
    }
}
