//! SCIM error bodies (RFC 7644 §3.12) and how responses become [`Error::Scim`].

use http::StatusCode;
use serde::Deserialize;

use super::serde_util::opt_u64;
use crate::error::{Error, ScimError, error_field};
use crate::transport::Response;

/// The `scimType` of a SCIM error, so callers can branch without string matching.
///
/// Unknown values are kept in [`Other`](ScimErrorKind::Other).
///
/// ```
/// use scimkit::scim::ScimErrorKind;
/// assert_eq!(ScimErrorKind::parse("uniqueness"), ScimErrorKind::Uniqueness);
/// assert_eq!(ScimErrorKind::parse("InvalidFilter"), ScimErrorKind::InvalidFilter);
/// assert_eq!(ScimErrorKind::parse("quota"), ScimErrorKind::Other("quota".into()));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ScimErrorKind {
    /// `invalidFilter`: the filter syntax or a comparison is not valid.
    InvalidFilter,
    /// `tooMany`: the query would return more results than the server allows.
    TooMany,
    /// `uniqueness`: a unique attribute value (e.g. `userName`) is taken.
    Uniqueness,
    /// `mutability`: an attempt to change an immutable or read-only attribute.
    Mutability,
    /// `invalidSyntax`: the request body is not valid.
    InvalidSyntax,
    /// `invalidPath`: a PATCH path is not valid.
    InvalidPath,
    /// `noTarget`: a PATCH path matched nothing.
    NoTarget,
    /// `invalidValue`: a value is missing or has the wrong type.
    InvalidValue,
    /// `invalidVers`: the SCIM protocol version is not supported.
    InvalidVers,
    /// `sensitive`: sensitive data was sent in the URL.
    Sensitive,
    /// Any other `scimType`, kept as sent.
    Other(String),
}

impl ScimErrorKind {
    /// Reads a `scimType` (case-insensitive).
    pub fn parse(scim_type: &str) -> Self {
        match scim_type.to_ascii_lowercase().as_str() {
            "invalidfilter" => Self::InvalidFilter,
            "toomany" => Self::TooMany,
            "uniqueness" => Self::Uniqueness,
            "mutability" => Self::Mutability,
            "invalidsyntax" => Self::InvalidSyntax,
            "invalidpath" => Self::InvalidPath,
            "notarget" => Self::NoTarget,
            "invalidvalue" => Self::InvalidValue,
            "invalidvers" => Self::InvalidVers,
            "sensitive" => Self::Sensitive,
            _ => Self::Other(scim_type.to_owned()),
        }
    }
}

impl ScimError {
    /// The `scimType`, typed; `None` when the server sent none.
    ///
    /// ```
    /// # async fn f(scim: scimkit::scim::ScimClient, user: scimkit::scim::User) {
    /// use scimkit::scim::ScimErrorKind;
    /// match scim.users().create(&user).await {
    ///     Err(scimkit::Error::Scim(e)) if e.kind() == Some(ScimErrorKind::Uniqueness) => {
    ///         println!("already there");
    ///     }
    ///     other => { other.unwrap(); }
    /// }
    /// # }
    /// ```
    pub fn kind(&self) -> Option<ScimErrorKind> {
        self.scim_type.as_deref().map(ScimErrorKind::parse)
    }

    /// 404: the resource does not exist.
    pub fn is_not_found(&self) -> bool {
        self.status == StatusCode::NOT_FOUND
    }

    /// 409: a conflict, typically `uniqueness`.
    pub fn is_conflict(&self) -> bool {
        self.status == StatusCode::CONFLICT
    }

    /// 412: the `If-Match` version is stale; read the resource again.
    pub fn is_precondition_failed(&self) -> bool {
        self.status == StatusCode::PRECONDITION_FAILED
    }
}

/// The SCIM error body as servers send it: `status` may be a string or a number.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct ErrorBody {
    #[serde(default)]
    schemas: Vec<String>,
    #[serde(default, deserialize_with = "opt_u64")]
    status: Option<u64>,
    #[serde(default)]
    scim_type: Option<String>,
    #[serde(default)]
    detail: Option<String>,
}

const ERROR_URN: &str = "urn:ietf:params:scim:api:messages:2.0:Error";

/// The SCIM error shape (RFC 7644 §3.12): a body with the Error schema, a `scimType`, or a
/// `status` with a `detail` — or any JSON body (even none) behind a 400, 404, 409 or 412 —
/// is an [`Error::Scim`]. `detail` is cut to 1 KiB and scrubbed of the request's secrets.
pub(crate) fn scim_error(response: &Response) -> Option<Error> {
    let body = serde_json::from_slice::<ErrorBody>(&response.body).ok();
    let is_scim = body.as_ref().is_some_and(|b| {
        b.schemas.iter().any(|s| s.eq_ignore_ascii_case(ERROR_URN))
            || b.scim_type.is_some()
            || (b.status.is_some() && b.detail.is_some())
    });
    let status = response.status.as_u16();
    if !(is_scim || (status == 400 && body.is_some()) || matches!(status, 404 | 409 | 412)) {
        return None;
    }
    let redactor = response.redactor();
    let (scim_type, detail) = match body {
        Some(b) => (
            b.scim_type
                .filter(|t| !t.is_empty())
                .map(|t| error_field(&redactor, &t)),
            b.detail.map(|d| error_field(&redactor, &d)),
        ),
        None => (None, None),
    };
    Some(Error::Scim(Box::new(ScimError {
        status: response.status,
        scim_type,
        detail,
        request_id: response.request_id(),
    })))
}
