//! Typed SCIM filters (RFC 7644 §3.4.2.2): a builder that renders canonical syntax, a parser
//! for the same grammar, and an evaluator over JSON resources.
//!
//! Values are always rendered as JSON literals, so an untrusted value cannot change the
//! filter's structure:
//!
//! ```
//! use scimkit::scim::Filter;
//!
//! let evil = r#"x" or userName pr"#;
//! let f = Filter::attr("userName").eq(evil);
//! assert_eq!(f.to_string(), r#"userName eq "x\" or userName pr""#);
//! assert_eq!(Filter::parse(&f.to_string()).unwrap(), f);
//!
//! let work = Filter::attr("emails").matches(Filter::attr("type").eq("work"))
//!     .and(Filter::attr("active").eq(true).or(Filter::not(Filter::attr("title").pr())));
//! assert_eq!(
//!     work.to_string(),
//!     r#"emails[type eq "work"] and (active eq true or not (title pr))"#
//! );
//! ```

mod eval;
pub(crate) mod parse;

use std::fmt;

use serde_json::Value;

pub use parse::FilterParseError;

/// An attribute path: an optional schema URN, an attribute and an optional sub-attribute
/// (`urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value`).
///
/// ```
/// use scimkit::scim::AttrPath;
/// let p = AttrPath::parse("urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value").unwrap();
/// assert_eq!(p.urn.as_deref(), Some("urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"));
/// assert_eq!(p.name, "manager");
/// assert_eq!(p.sub.as_deref(), Some("value"));
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub struct AttrPath {
    /// The schema URN, when the path is qualified.
    pub urn: Option<String>,
    /// The attribute name.
    pub name: String,
    /// The sub-attribute name.
    pub sub: Option<String>,
}

impl AttrPath {
    /// Parses a path. Names must be `ATTRNAME` (`[A-Za-z$][A-Za-z0-9_$-]*`); the URN part
    /// ends at the last `:`.
    pub fn parse(path: &str) -> Result<AttrPath, FilterParseError> {
        parse::parse_attr_path(path, 0)
    }

    /// A path from its parts; characters not allowed in attribute names are dropped, so a
    /// name can never inject filter syntax.
    pub fn new(path: &str) -> AttrPath {
        let cleaned: String = path
            .chars()
            .filter(|c| c.is_ascii_alphanumeric() || "_-$.:".contains(*c))
            .collect();
        AttrPath::parse(&cleaned).unwrap_or(AttrPath {
            urn: None,
            name: cleaned,
            sub: None,
        })
    }

    /// Whether this path names `name` (case-insensitive) with no sub-attribute.
    pub fn is(&self, name: &str) -> bool {
        self.sub.is_none() && self.name.eq_ignore_ascii_case(name)
    }
}

impl fmt::Display for AttrPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(urn) = &self.urn {
            write!(f, "{urn}:")?;
        }
        f.write_str(&self.name)?;
        if let Some(sub) = &self.sub {
            write!(f, ".{sub}")?;
        }
        Ok(())
    }
}

impl From<&str> for AttrPath {
    fn from(path: &str) -> Self {
        AttrPath::new(path)
    }
}

/// A comparison operator.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum CompareOp {
    /// `eq`
    Eq,
    /// `ne`
    Ne,
    /// `co` (contains)
    Co,
    /// `sw` (starts with)
    Sw,
    /// `ew` (ends with)
    Ew,
    /// `gt`
    Gt,
    /// `ge`
    Ge,
    /// `lt`
    Lt,
    /// `le`
    Le,
}

impl CompareOp {
    /// The operator as written in a filter.
    pub fn as_str(self) -> &'static str {
        match self {
            CompareOp::Eq => "eq",
            CompareOp::Ne => "ne",
            CompareOp::Co => "co",
            CompareOp::Sw => "sw",
            CompareOp::Ew => "ew",
            CompareOp::Gt => "gt",
            CompareOp::Ge => "ge",
            CompareOp::Lt => "lt",
            CompareOp::Le => "le",
        }
    }

    pub(crate) fn parse(word: &str) -> Option<CompareOp> {
        Some(match word.to_ascii_lowercase().as_str() {
            "eq" => CompareOp::Eq,
            "ne" => CompareOp::Ne,
            "co" => CompareOp::Co,
            "sw" => CompareOp::Sw,
            "ew" => CompareOp::Ew,
            "gt" => CompareOp::Gt,
            "ge" => CompareOp::Ge,
            "lt" => CompareOp::Lt,
            "le" => CompareOp::Le,
            _ => return None,
        })
    }
}

/// A SCIM filter expression.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum Filter {
    /// `path op value`.
    Compare {
        /// The attribute.
        path: AttrPath,
        /// The operator.
        op: CompareOp,
        /// The value (string, number, boolean or null).
        value: Value,
    },
    /// `path pr`.
    Present(AttrPath),
    /// `left and right`.
    And(Box<Filter>, Box<Filter>),
    /// `left or right`.
    Or(Box<Filter>, Box<Filter>),
    /// `not (inner)`.
    Not(Box<Filter>),
    /// `path[inner]`: some value of a multi-valued attribute matches `inner`.
    ValuePath {
        /// The multi-valued attribute.
        path: AttrPath,
        /// The filter on its values (attribute names relative to the value).
        filter: Box<Filter>,
    },
}

/// The attribute side of a filter under construction; see [`Filter::attr`].
#[derive(Debug, Clone)]
pub struct FilterAttr(AttrPath);

macro_rules! ops {
    ($($(#[$doc:meta])* $name:ident => $op:ident),* $(,)?) => {
        $(
            $(#[$doc])*
            pub fn $name(self, value: impl Into<Value>) -> Filter {
                Filter::Compare { path: self.0, op: CompareOp::$op, value: value.into() }
            }
        )*
    };
}

impl FilterAttr {
    ops! {
        /// `eq`: equal.
        eq => Eq,
        /// `ne`: not equal.
        ne => Ne,
        /// `co`: contains.
        co => Co,
        /// `sw`: starts with.
        sw => Sw,
        /// `ew`: ends with.
        ew => Ew,
        /// `gt`: greater than.
        gt => Gt,
        /// `ge`: greater than or equal.
        ge => Ge,
        /// `lt`: less than.
        lt => Lt,
        /// `le`: less than or equal.
        le => Le,
    }

    /// `pr`: has a non-empty value.
    pub fn pr(self) -> Filter {
        Filter::Present(self.0)
    }

    /// `attr[filter]`: some value of this multi-valued attribute matches `filter`.
    pub fn matches(self, filter: Filter) -> Filter {
        Filter::ValuePath {
            path: self.0,
            filter: Box::new(filter),
        }
    }

    /// A comparison with any operator.
    pub fn compare(self, op: CompareOp, value: impl Into<Value>) -> Filter {
        Filter::Compare {
            path: self.0,
            op,
            value: value.into(),
        }
    }
}

impl Filter {
    /// Starts a filter on an attribute path (`userName`, `name.familyName`, a URN-qualified
    /// path). Characters not allowed in attribute paths are dropped.
    pub fn attr(path: &str) -> FilterAttr {
        FilterAttr(AttrPath::new(path))
    }

    /// `self and other`.
    pub fn and(self, other: Filter) -> Filter {
        Filter::And(Box::new(self), Box::new(other))
    }

    /// `self or other`.
    pub fn or(self, other: Filter) -> Filter {
        Filter::Or(Box::new(self), Box::new(other))
    }

    /// `not (inner)`.
    #[allow(clippy::should_implement_trait)]
    pub fn not(inner: Filter) -> Filter {
        Filter::Not(Box::new(inner))
    }

    /// Parses filter syntax (operators and keywords case-insensitive).
    ///
    /// ```
    /// use scimkit::scim::Filter;
    /// let f = Filter::parse(r#"userName Eq "bjensen" AND meta.lastModified gt "2011-05-13T04:42:34Z""#).unwrap();
    /// assert_eq!(f.to_string(), r#"userName eq "bjensen" and meta.lastModified gt "2011-05-13T04:42:34Z""#);
    /// assert!(Filter::parse("userName eq").is_err());
    /// ```
    pub fn parse(text: &str) -> Result<Filter, FilterParseError> {
        parse::parse_filter(text)
    }

    /// Whether a resource (as JSON) matches this filter. Attribute names and string values
    /// compare case-insensitively, except `id` and `externalId` values.
    ///
    /// ```
    /// use scimkit::scim::Filter;
    /// let user = serde_json::json!({"userName": "Alice", "emails": [{"value": "a@x.org", "type": "work"}]});
    /// assert!(Filter::parse(r#"username eq "alice""#).unwrap().matches_json(&user));
    /// assert!(Filter::parse(r#"emails[type eq "work" and value ew "x.org"]"#).unwrap().matches_json(&user));
    /// assert!(!Filter::parse("title pr").unwrap().matches_json(&user));
    /// ```
    pub fn matches_json(&self, resource: &Value) -> bool {
        eval::matches(self, resource)
    }

    fn fmt_child(&self, f: &mut fmt::Formatter<'_>, parens: bool) -> fmt::Result {
        if parens {
            write!(f, "({self})")
        } else {
            write!(f, "{self}")
        }
    }
}

impl std::ops::Not for Filter {
    type Output = Filter;
    fn not(self) -> Filter {
        Filter::Not(Box::new(self))
    }
}

impl fmt::Display for Filter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Filter::Compare { path, op, value } => match value {
                // The grammar has no array or object literals; render one as a string
                // literal so that any value, however built, stays one literal.
                Value::Array(_) | Value::Object(_) => write!(
                    f,
                    "{path} {} {}",
                    op.as_str(),
                    Value::String(value.to_string())
                ),
                _ => write!(f, "{path} {} {value}", op.as_str()),
            },
            Filter::Present(path) => write!(f, "{path} pr"),
            Filter::And(l, r) => {
                l.fmt_child(f, matches!(**l, Filter::Or(..)))?;
                f.write_str(" and ")?;
                r.fmt_child(f, matches!(**r, Filter::Or(..) | Filter::And(..)))
            }
            Filter::Or(l, r) => {
                l.fmt_child(f, false)?;
                f.write_str(" or ")?;
                r.fmt_child(f, matches!(**r, Filter::Or(..)))
            }
            Filter::Not(inner) => write!(f, "not ({inner})"),
            Filter::ValuePath { path, filter } => write!(f, "{path}[{filter}]"),
        }
    }
}

impl std::str::FromStr for Filter {
    type Err = FilterParseError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Filter::parse(s)
    }
}
