//! The call's lifecycle (CONTRACT.md section 3, "The call's lifecycle"), made executable: what each
//! operation does to a call in each state, and what a target must answer and send for it.
//!
//! Pure: no I/O, no fixtures. A step's *documented* answer (status, headers, body, notifications)
//! comes from the request example it sends; the model says when that documented answer applies,
//! when the error contract applies instead, what the call's state is afterwards, and where the
//! contract is silent (`None`: such a step is not generated, so it is never a failure).

use serde::{Deserialize, Serialize};
use strum::IntoEnumIterator;

/// The four operations of CONTRACT.md section 3, named as `tests/fixtures/data/operations.json` names them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, strum::EnumIter)]
pub enum Operation {
    /// `POST …/calls/{id}/cancelMediaProcessing` (seed 000).
    #[serde(rename = "cancelMediaProcessing")]
    CancelMediaProcessing,
    /// `POST …/calls/{id}/updateRecordingStatus` (seed 002).
    #[serde(rename = "updateRecordingStatus")]
    UpdateRecordingStatus,
    /// `POST /communications/calls/{id}/reject` (seed 003).
    #[serde(rename = "reject")]
    Reject,
    /// `DELETE …/calls/{id}` (seeds 001, 004).
    #[serde(rename = "delete")]
    Delete,
}

impl Operation {
    /// The name the fixtures use.
    pub fn name(self) -> &'static str {
        match self {
            Operation::CancelMediaProcessing => "cancelMediaProcessing",
            Operation::UpdateRecordingStatus => "updateRecordingStatus",
            Operation::Reject => "reject",
            Operation::Delete => "delete",
        }
    }

    /// The operation a fixture names.
    pub fn parse(name: &str) -> Option<Operation> {
        Operation::iter().find(|o| o.name() == name)
    }
}

/// How a call a program acts on comes to be.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Start {
    /// Provisioned ringing (`{"state": "incoming"}`).
    Incoming,
    /// Provisioned answered (`{"state": "established"}`).
    Established,
    /// Never provisioned: a well-formed id no target has.
    Unknown,
}

/// Why a call ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Ending {
    /// By delete.
    Deleted,
    /// By reject, while it was incoming.
    Rejected,
}

/// A call's state in the model.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum CallState {
    /// Ringing, not answered.
    Incoming,
    /// Answered.
    Established,
    /// Ended, for ever.
    Ended(Ending),
    /// A call id the target never had.
    Unknown,
}

impl CallState {
    /// The state a call starts in.
    pub fn from_start(start: Start) -> CallState {
        match start {
            Start::Incoming => CallState::Incoming,
            Start::Established => CallState::Established,
            Start::Unknown => CallState::Unknown,
        }
    }

    /// Whether the call is alive: it may still be notified, and must never be notified as ended.
    pub fn live(self) -> bool {
        matches!(self, CallState::Incoming | CallState::Established)
    }

    /// A word for messages.
    pub fn name(self) -> &'static str {
        match self {
            CallState::Incoming => "incoming",
            CallState::Established => "established",
            CallState::Ended(Ending::Deleted) => "ended (deleted)",
            CallState::Ended(Ending::Rejected) => "ended (rejected)",
            CallState::Unknown => "unknown",
        }
    }
}

/// What a step sends, as far as the model needs to know it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Sent {
    /// A documented request example, or one of its allowed variations.
    Valid,
    /// Bad input the error contract refuses with `status` (400, 401) on a call that can take the operation.
    Invalid {
        /// The status the negative rule names.
        status: u16,
    },
}

/// What the answer to a step must be.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Answer {
    /// The documented exchange of the example sent: its status, headers, body and notifications.
    Documented,
    /// The error contract: this status, the Graph error object, and no notification.
    Error(u16),
    /// The contract names no status here: what comes is reported, not judged.
    Unspecified,
}

/// The model's word on one step.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Expectation {
    /// What the answer must be.
    pub answer: Answer,
    /// The call's state afterwards.
    pub after: CallState,
    /// The sentence of CONTRACT.md the expectation rests on.
    pub rule: &'static str,
}

/// CONTRACT.md's sentences the model rests on, quoted so that a failure names its rule.
pub mod rules {
    /// Section 1 and "The call's lifecycle".
    pub const ENDED: &str = "An ended call answers 404 to every operation, for ever (CONTRACT.md section 1, \"The call's lifecycle\")";
    /// Section 1.
    pub const UNKNOWN: &str =
        "An operation on a call id the target does not know is answered 404 with the error object (CONTRACT.md section 1)";
    /// "The call's lifecycle".
    pub const REPEATABLE: &str = "cancelMediaProcessing and updateRecordingStatus never change the call's state; each repetition succeeds like the first, with an operation id and notifications of its own (CONTRACT.md \"The call's lifecycle\")";
    /// "The call's lifecycle" and section 3, delete.
    pub const DELETE: &str = "delete ends any live call (incoming or established), with terminating then terminated notifications (CONTRACT.md \"The call's lifecycle\", section 3 delete)";
    /// "The call's lifecycle" and section 3, reject.
    pub const REJECT: &str =
        "reject ends an incoming call, with a deleted notification (CONTRACT.md \"The call's lifecycle\", section 3 reject)";
    /// Section 3, reject.
    pub const REJECT_ANSWERED: &str = "Reject does not end a call that was already answered: whatever status it gets, the call is still alive and no deleted notification arrives for it (CONTRACT.md section 3 reject)";
    /// "The call's lifecycle".
    pub const REFUSED: &str = "A refused request (bad input) changes nothing (CONTRACT.md \"The call's lifecycle\")";
    /// "The call's lifecycle".
    pub const NOT_ENDED: &str =
        "A call that has not ended is never notified as ended (CONTRACT.md \"The call's lifecycle\", section 3 reject)";
}

/// What the contract says of `op`, sent as `sent`, on a call in `state`. `None` where it is silent:
/// cancelMediaProcessing or updateRecordingStatus on a call never answered, and bad input on a
/// call that has ended or never existed (whether 404 or the input's own status comes first is not
/// said). Such a step is not generated.
pub fn expect(state: CallState, op: Operation, sent: Sent) -> Option<Expectation> {
    use Operation as O;
    let same = |answer, rule| {
        Some(Expectation {
            answer,
            after: state,
            rule,
        })
    };
    match (state, op, sent) {
        (CallState::Ended(_), _, Sent::Valid) => same(Answer::Error(404), rules::ENDED),
        (CallState::Unknown, _, Sent::Valid) => same(Answer::Error(404), rules::UNKNOWN),
        (CallState::Ended(_) | CallState::Unknown, _, Sent::Invalid { .. }) => None,
        (CallState::Incoming, O::CancelMediaProcessing | O::UpdateRecordingStatus, _) => None,
        (CallState::Established, O::Reject, _) => same(Answer::Unspecified, rules::REJECT_ANSWERED),
        (_, _, Sent::Invalid { status }) => same(Answer::Error(status), rules::REFUSED),
        (_, O::Delete, Sent::Valid) => Some(Expectation {
            answer: Answer::Documented,
            after: CallState::Ended(Ending::Deleted),
            rule: rules::DELETE,
        }),
        (_, O::Reject, Sent::Valid) => Some(Expectation {
            answer: Answer::Documented,
            after: CallState::Ended(Ending::Rejected),
            rule: rules::REJECT,
        }),
        (_, O::CancelMediaProcessing | O::UpdateRecordingStatus, Sent::Valid) => same(Answer::Documented, rules::REPEATABLE),
    }
}
