//! The schemas the mock SCIM server serves (RFC 7643 §4 and §8.7.1), as data: one source for
//! `/Schemas`, for what a request may write (mutability), for what an answer returns
//! (returned) and for how filters and sorting compare (type, caseExact).

use serde_json::{Map, Value, json};

use super::kind::Kind;
use crate::scim::schema as urn;

/// An attribute's type (RFC 7643 §2.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Type {
    String,
    Boolean,
    DateTime,
    Binary,
    Reference,
    Complex,
}

/// Whether and how an attribute may be written (RFC 7643 §2.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Mutability {
    ReadOnly,
    ReadWrite,
    Immutable,
    WriteOnly,
}

/// When an attribute is returned (RFC 7643 §2.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Returned {
    Always,
    Never,
    Default,
}

/// One attribute definition (RFC 7643 §7).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Attr {
    pub(crate) name: &'static str,
    pub(crate) ty: Type,
    pub(crate) multi: bool,
    pub(crate) required: bool,
    pub(crate) case_exact: bool,
    pub(crate) mutability: Mutability,
    pub(crate) returned: Returned,
    pub(crate) unique: bool,
    pub(crate) description: &'static str,
    pub(crate) canonical: &'static [&'static str],
    pub(crate) reference_types: &'static [&'static str],
    pub(crate) sub: &'static [Attr],
}

const fn attr(name: &'static str, ty: Type, description: &'static str) -> Attr {
    Attr {
        name,
        ty,
        multi: false,
        required: false,
        case_exact: false,
        mutability: Mutability::ReadWrite,
        returned: Returned::Default,
        unique: false,
        description,
        canonical: &[],
        reference_types: &[],
        sub: &[],
    }
}

const fn string(name: &'static str, description: &'static str) -> Attr {
    attr(name, Type::String, description)
}

const fn complex(name: &'static str, description: &'static str, sub: &'static [Attr]) -> Attr {
    let mut a = attr(name, Type::Complex, description);
    a.sub = sub;
    a
}

const fn multi(name: &'static str, description: &'static str, sub: &'static [Attr]) -> Attr {
    let mut a = complex(name, description, sub);
    a.multi = true;
    a
}

const fn reference(
    name: &'static str,
    description: &'static str,
    types: &'static [&'static str],
) -> Attr {
    let mut a = attr(name, Type::Reference, description);
    a.reference_types = types;
    a.case_exact = true;
    a
}

impl Attr {
    const fn mutability(mut self, m: Mutability) -> Attr {
        self.mutability = m;
        self
    }
    const fn returned(mut self, r: Returned) -> Attr {
        self.returned = r;
        self
    }
    const fn required(mut self) -> Attr {
        self.required = true;
        self
    }
    const fn exact(mut self) -> Attr {
        self.case_exact = true;
        self
    }
    const fn unique(mut self) -> Attr {
        self.unique = true;
        self
    }
    const fn canonical(mut self, values: &'static [&'static str]) -> Attr {
        self.canonical = values;
        self
    }

    /// The sub-attribute called `name` (case-insensitive).
    pub(crate) fn sub_attr(&self, name: &str) -> Option<&'static Attr> {
        find(self.sub, name)
    }

    fn to_json(self) -> Value {
        let mut o = Map::new();
        o.insert("name".into(), json!(self.name));
        o.insert(
            "type".into(),
            json!(match self.ty {
                Type::String => "string",
                Type::Boolean => "boolean",
                Type::DateTime => "dateTime",
                Type::Binary => "binary",
                Type::Reference => "reference",
                Type::Complex => "complex",
            }),
        );
        o.insert("multiValued".into(), json!(self.multi));
        o.insert("description".into(), json!(self.description));
        o.insert("required".into(), json!(self.required));
        o.insert("caseExact".into(), json!(self.case_exact));
        o.insert(
            "mutability".into(),
            json!(match self.mutability {
                Mutability::ReadOnly => "readOnly",
                Mutability::ReadWrite => "readWrite",
                Mutability::Immutable => "immutable",
                Mutability::WriteOnly => "writeOnly",
            }),
        );
        o.insert(
            "returned".into(),
            json!(match self.returned {
                Returned::Always => "always",
                Returned::Never => "never",
                Returned::Default => "default",
            }),
        );
        o.insert(
            "uniqueness".into(),
            json!(if self.unique { "server" } else { "none" }),
        );
        if !self.canonical.is_empty() {
            o.insert("canonicalValues".into(), json!(self.canonical));
        }
        if !self.reference_types.is_empty() {
            o.insert("referenceTypes".into(), json!(self.reference_types));
        }
        if !self.sub.is_empty() {
            let subs: Vec<Value> = self.sub.iter().map(|s| s.to_json()).collect();
            o.insert("subAttributes".into(), Value::Array(subs));
        }
        Value::Object(o)
    }
}

/// The attribute called `name` in `attrs` (case-insensitive).
pub(crate) fn find(attrs: &'static [Attr], name: &str) -> Option<&'static Attr> {
    attrs.iter().find(|a| a.name.eq_ignore_ascii_case(name))
}

/// A schema: its URN, name and attributes.
#[derive(Debug)]
pub(crate) struct Schema {
    pub(crate) id: &'static str,
    name: &'static str,
    description: &'static str,
    pub(crate) attributes: &'static [Attr],
}

impl Schema {
    pub(crate) fn to_json(&self, base_url: &str) -> Value {
        let attributes: Vec<Value> = self.attributes.iter().map(|a| a.to_json()).collect();
        json!({
            "schemas": [urn::SCHEMA],
            "id": self.id,
            "name": self.name,
            "description": self.description,
            "attributes": attributes,
            "meta": {
                "resourceType": "Schema",
                "location": format!("{base_url}/Schemas/{}", self.id),
            },
        })
    }
}

/// A multi-valued attribute's usual sub-attributes (RFC 7643 §2.4) with these `type`s.
const fn plural(types: &'static [&'static str], value: Attr) -> [Attr; 4] {
    [
        value,
        string(
            "display",
            "A human-readable name, primarily used for display purposes.",
        ),
        string("type", "A label indicating the attribute's function.").canonical(types),
        attr(
            "primary",
            Type::Boolean,
            "A Boolean value indicating the 'primary' or preferred attribute value.",
        ),
    ]
}

const EMAIL_PARTS: [Attr; 4] = plural(
    &["work", "home", "other"],
    string("value", "Email addresses for the user."),
);
const PHONE_PARTS: [Attr; 4] = plural(
    &["work", "home", "mobile", "fax", "pager", "other"],
    string("value", "Phone number of the User."),
);
const IM_PARTS: [Attr; 4] = plural(
    &["aim", "gtalk", "icq", "xmpp", "msn", "skype", "qq", "yahoo"],
    string("value", "Instant messaging address for the User."),
);
const PHOTO_PARTS: [Attr; 4] = plural(
    &["photo", "thumbnail"],
    reference("value", "URL of a photo of the User.", &["external"]),
);
const ENTITLEMENT_PARTS: [Attr; 4] = plural(&[], string("value", "The value of an entitlement."));
const ROLE_PARTS: [Attr; 4] = plural(&[], string("value", "The value of a role."));
const CERT_PARTS: [Attr; 4] = plural(
    &[],
    attr("value", Type::Binary, "The value of an X.509 certificate."),
);

const NAME_PARTS: &[Attr] = &[
    string(
        "formatted",
        "The full name, including all middle names, titles, and suffixes as appropriate, formatted for display.",
    ),
    string(
        "familyName",
        "The family name of the User, or last name in most Western languages.",
    ),
    string(
        "givenName",
        "The given name of the User, or first name in most Western languages.",
    ),
    string("middleName", "The middle name(s) of the User."),
    string(
        "honorificPrefix",
        "The honorific prefix(es) of the User, or title in most Western languages.",
    ),
    string(
        "honorificSuffix",
        "The honorific suffix(es) of the User, or suffix in most Western languages.",
    ),
];

const ADDRESS_PARTS: &[Attr] = &[
    string(
        "formatted",
        "The full mailing address, formatted for display or use with a mailing label.",
    ),
    string("streetAddress", "The full street address component."),
    string("locality", "The city or locality component."),
    string("region", "The state or region component."),
    string("postalCode", "The zip code or postal code component."),
    string("country", "The country name component."),
    string("type", "A label indicating the attribute's function.")
        .canonical(&["work", "home", "other"]),
    attr(
        "primary",
        Type::Boolean,
        "A Boolean value indicating the 'primary' or preferred attribute value.",
    ),
];

const GROUPS_PARTS: &[Attr] = &[
    string("value", "The identifier of the User's group.").mutability(Mutability::ReadOnly),
    reference(
        "$ref",
        "The URI of the corresponding 'Group' resource to which the user belongs.",
        &["User", "Group"],
    )
    .mutability(Mutability::ReadOnly),
    string(
        "display",
        "A human-readable name, primarily used for display purposes.",
    )
    .mutability(Mutability::ReadOnly),
    string(
        "type",
        "A label indicating the membership: direct, or indirect through a nested group.",
    )
    .canonical(&["direct", "indirect"])
    .mutability(Mutability::ReadOnly),
];

const USER_ATTRS: &[Attr] = &[
    string("userName", "Unique identifier for the User, typically used by the user to directly authenticate to the service provider.")
        .required()
        .unique(),
    complex("name", "The components of the user's real name.", NAME_PARTS),
    string("displayName", "The name of the User, suitable for display to end-users."),
    string("nickName", "The casual way to address the user in real life."),
    reference("profileUrl", "A fully qualified URL pointing to a page representing the User's online profile.", &["external"]),
    string("title", "The user's title, such as \"Vice President\"."),
    string("userType", "Used to identify the relationship between the organization and the user."),
    string("preferredLanguage", "Indicates the User's preferred written or spoken language."),
    string("locale", "Used to indicate the User's default location for purposes of localizing items such as currency, date time format, or numerical representations."),
    string("timezone", "The User's time zone in the 'Olson' time zone database format, e.g., 'America/Los_Angeles'."),
    attr("active", Type::Boolean, "A Boolean value indicating the User's administrative status."),
    string("password", "The User's cleartext password.")
        .mutability(Mutability::WriteOnly)
        .returned(Returned::Never),
    multi("emails", "Email addresses for the user.", &EMAIL_PARTS),
    multi("phoneNumbers", "Phone numbers for the User.", &PHONE_PARTS),
    multi("ims", "Instant messaging addresses for the User.", &IM_PARTS),
    multi("photos", "URLs of photos of the User.", &PHOTO_PARTS),
    multi("addresses", "A physical mailing address for this User.", ADDRESS_PARTS),
    multi("groups", "A list of groups to which the user belongs, either through direct membership, through nested groups, or dynamically calculated.", GROUPS_PARTS)
        .mutability(Mutability::ReadOnly),
    multi("entitlements", "A list of entitlements for the User that represent a thing the User has.", &ENTITLEMENT_PARTS),
    multi("roles", "A list of roles for the User that collectively represent who the User is.", &ROLE_PARTS),
    multi("x509Certificates", "A list of certificates issued to the User.", &CERT_PARTS),
];

const MEMBER_PARTS: &[Attr] = &[
    string("value", "Identifier of the member of this Group.")
        .mutability(Mutability::Immutable)
        .exact(),
    reference(
        "$ref",
        "The URI corresponding to a SCIM resource that is a member of this Group.",
        &["User", "Group"],
    )
    .mutability(Mutability::Immutable),
    string(
        "type",
        "A label indicating the type of resource, e.g., 'User' or 'Group'.",
    )
    .canonical(&["User", "Group"])
    .mutability(Mutability::Immutable),
    string(
        "display",
        "A human-readable name for the member, primarily used for display purposes.",
    )
    .mutability(Mutability::Immutable),
];

const GROUP_ATTRS: &[Attr] = &[
    string("displayName", "A human-readable name for the Group.").required(),
    multi("members", "A list of members of the Group.", MEMBER_PARTS),
];

const MANAGER_PARTS: &[Attr] = &[
    string(
        "value",
        "The id of the SCIM resource representing the User's manager.",
    ),
    reference(
        "$ref",
        "The URI of the SCIM resource representing the User's manager.",
        &["User"],
    ),
    string("displayName", "The displayName of the User's manager.")
        .mutability(Mutability::ReadOnly),
];

const ENTERPRISE_ATTRS: &[Attr] = &[
    string(
        "employeeNumber",
        "Numeric or alphanumeric identifier assigned to a person, typically based on order of hire or association with an organization.",
    ),
    string("costCenter", "Identifies the name of a cost center."),
    string("organization", "Identifies the name of an organization."),
    string("division", "Identifies the name of a division."),
    string("department", "Identifies the name of a department."),
    complex("manager", "The User's manager.", MANAGER_PARTS),
];

/// The User schema (RFC 7643 §4.1).
pub(crate) const USER: Schema = Schema {
    id: urn::USER,
    name: "User",
    description: "User Account",
    attributes: USER_ATTRS,
};

/// The Group schema (RFC 7643 §4.2).
pub(crate) const GROUP: Schema = Schema {
    id: urn::GROUP,
    name: "Group",
    description: "Group",
    attributes: GROUP_ATTRS,
};

/// The enterprise User extension (RFC 7643 §4.3).
pub(crate) const ENTERPRISE_USER: Schema = Schema {
    id: urn::ENTERPRISE_USER,
    name: "EnterpriseUser",
    description: "Enterprise User",
    attributes: ENTERPRISE_ATTRS,
};

/// Every schema, in the order `/Schemas` lists them.
pub(crate) const ALL: [&Schema; 3] = [&USER, &GROUP, &ENTERPRISE_USER];

const META_PARTS: &[Attr] = &[
    string(
        "resourceType",
        "The name of the resource type of the resource.",
    )
    .mutability(Mutability::ReadOnly)
    .exact(),
    attr(
        "created",
        Type::DateTime,
        "The date and time the resource was added to the service provider.",
    )
    .mutability(Mutability::ReadOnly),
    attr(
        "lastModified",
        Type::DateTime,
        "The most recent date and time the resource was modified.",
    )
    .mutability(Mutability::ReadOnly),
    reference(
        "location",
        "The URI of the resource being returned.",
        &["uri"],
    )
    .mutability(Mutability::ReadOnly),
    string("version", "The version of the resource being returned.")
        .mutability(Mutability::ReadOnly)
        .exact(),
];

/// The common attributes (RFC 7643 §3.1): not part of any schema's published attributes.
pub(crate) const COMMON: &[Attr] = &[
    string(
        "id",
        "A unique identifier for a SCIM resource as defined by the service provider.",
    )
    .mutability(Mutability::ReadOnly)
    .returned(Returned::Always)
    .exact()
    .unique(),
    string(
        "externalId",
        "A String that is an identifier for the resource as defined by the provisioning client.",
    )
    .exact(),
    complex(
        "meta",
        "A complex attribute containing resource metadata.",
        META_PARTS,
    )
    .mutability(Mutability::ReadOnly),
    {
        // Schema URIs compare case-insensitively (RFC 7643 §2.1).
        let mut schemas = string("schemas", "The schemas a representation holds.");
        schemas.multi = true;
        schemas.mutability = Mutability::ReadOnly;
        schemas.returned = Returned::Always;
        schemas
    },
];

impl Kind {
    /// The core schema of this resource type.
    pub(crate) fn core(self) -> &'static Schema {
        match self {
            Kind::User => &USER,
            Kind::Group => &GROUP,
        }
    }

    /// The schema extensions this resource type takes.
    pub(crate) fn extensions(self) -> &'static [&'static Schema] {
        match self {
            Kind::User => &[&ENTERPRISE_USER],
            Kind::Group => &[],
        }
    }

    /// The extension whose URN is `urn` (case-insensitive).
    pub(crate) fn extension(self, urn: &str) -> Option<&'static Schema> {
        self.extensions()
            .iter()
            .copied()
            .find(|s| s.id.eq_ignore_ascii_case(urn))
    }

    /// The top-level attribute `name`, under `urn` when given (the core URN names the core
    /// attributes).
    pub(crate) fn attr(self, urn: Option<&str>, name: &str) -> Option<&'static Attr> {
        match urn {
            Some(u) if !u.eq_ignore_ascii_case(self.core().id) => {
                find(self.extension(u)?.attributes, name)
            }
            _ => find(self.core().attributes, name).or_else(|| find(COMMON, name)),
        }
    }
}
