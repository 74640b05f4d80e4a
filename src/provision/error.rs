//! [`ProvisionError`]: why a provisioning run could not be planned as a whole.

use super::GroupSelector;
use crate::Error;

/// Why a run could not be planned; carried by [`Error::Provision`]. When `plan()` returns
/// one of these, nothing has been written to any target.
///
/// Failures of single items (a user a target refuses, a group that cannot be created) are
/// not errors of the run: they are outcomes in the [`Report`](super::Report).
///
/// ```
/// use scimkit::Error;
/// use scimkit::provision::ProvisionError;
///
/// fn explain(err: &Error) -> String {
///     match err {
///         Error::Provision(e) => match e.as_ref() {
///             ProvisionError::TargetUnavailable { target, source } => {
///                 format!("target {target} is down ({source}); nothing was written")
///             }
///             other => other.to_string(),
///         },
///         other => other.to_string(),
///     }
/// }
/// # let _ = explain;
/// ```
#[derive(Debug, Clone, thiserror::Error)]
#[non_exhaustive]
pub enum ProvisionError {
    /// A target could not be read while planning: unreachable, refusing the credentials,
    /// or answering its discovery or listings with errors.
    #[error("target {target:?} could not be read, so nothing was written to any target: {source}")]
    TargetUnavailable {
        /// The target's name.
        target: String,
        /// What reading it failed with.
        source: Error,
    },
    /// A group chosen by id or by exact name is not in the source. The run stops rather
    /// than treat the group as empty, which would deprovision its members.
    #[error("no group in the source matches {selector}")]
    GroupNotFound {
        /// The selector that matched nothing.
        selector: GroupSelector,
    },
    /// The source could not be read (its groups or their members).
    #[error("the source could not be read: {source}")]
    Source {
        /// What reading it failed with.
        source: Error,
    },
}

impl From<ProvisionError> for Error {
    fn from(e: ProvisionError) -> Self {
        Error::Provision(Box::new(e))
    }
}
