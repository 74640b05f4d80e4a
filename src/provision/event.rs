//! [`Event`]: progress of [`Provisioner::apply_with`](super::Provisioner::apply_with), as
//! it happens.

use std::fmt;

use super::ItemReport;

/// The two phases of applying a plan to a target: users first (creates, updates,
/// deprovisioning), then groups (creates, renames, members), which refer to the users.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Phase {
    /// Creates, updates, deactivations and deletes of users.
    Users,
    /// Group creates and changes, member adds and removes.
    Groups,
}

impl fmt::Display for Phase {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Phase::Users => "users",
            Phase::Groups => "groups",
        })
    }
}

/// Progress of a run, handed to the callback of
/// [`Provisioner::apply_with`](super::Provisioner::apply_with) from the task applying the
/// plan (keep the callback short: it runs between requests).
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum Event {
    /// A phase starts on a target with this many units: user writes in the users phase,
    /// groups in the groups phase.
    PhaseStarted {
        /// The target's name.
        target: String,
        /// The phase.
        phase: Phase,
        /// Units in the phase.
        items: usize,
    },
    /// One item finished.
    Item(ItemReport),
    /// A batch finished: every `batch_size` user writes (or each bulk request), each
    /// group, and the end of a phase. What a progress line shows.
    Batch {
        /// The target's name.
        target: String,
        /// The phase.
        phase: Phase,
        /// Units finished so far in the phase (user writes, or groups).
        done: usize,
        /// Of which not done (failed, skipped, or a group with such an item).
        failed: usize,
        /// Units in the phase.
        total: usize,
    },
}

impl fmt::Display for Event {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Event::PhaseStarted {
                target,
                phase,
                items,
            } => write!(f, "[{target}] {phase}: {items} to do"),
            Event::Item(item) => write!(f, "{item}"),
            Event::Batch {
                target,
                phase,
                done,
                failed,
                total,
            } => write!(
                f,
                "[{target}] {phase}: {done}/{total} done, {failed} failed"
            ),
        }
    }
}
