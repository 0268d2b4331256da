//! The call's lifecycle (CONTRACT.md section 3, "The call's lifecycle"), made executable: what each
//! operation does to a call in each state, and what a target must answer and send for it.
//!
//! Pure: no I/O, no fixtures. A step's *documented* answer (status, headers, body, notifications)
//! comes from the request example it sends; the model says when that documented answer applies,
//! when the error contract applies instead, what the call's state is afterwards, and where the
//! contract is silent (`None`: such a step is not generated, so it is never a failure).

use serde::{Deserialize, Serialize};

pub use super::operation::{Ending, Live, Operation, OperationRow};

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

    /// The model's state for a live state of the table.
    pub fn from_live(live: Live) -> CallState {
        match live {
            Live::Incoming => CallState::Incoming,
            Live::Established => CallState::Established,
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
            CallState::Ended(Ending::HungUp) => "ended (hung up by the far side)",
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
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Expectation {
    /// What the answer must be.
    pub answer: Answer,
    /// The call's state afterwards.
    pub after: CallState,
    /// The sentence of CONTRACT.md the expectation rests on.
    pub rule: String,
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
    /// "The call's lifecycle".
    pub const REFUSED: &str = "A refused request (bad input) changes nothing (CONTRACT.md \"The call's lifecycle\")";
    /// "The call's lifecycle".
    pub const NOT_ENDED: &str =
        "A call that has not ended is never notified as ended (CONTRACT.md \"The call's lifecycle\", section 3 reject)";
}

/// What the contract says of an operation (its row), sent as `sent`, on a call in `state`. `None`
/// where it is silent: an operation on a live call in a state its row does not make it valid in
/// (unless the row says the call only stays alive), and bad input on a call that has ended or never
/// existed (whether 404 or the input's own status comes first is not said). Such a step is not
/// generated.
pub fn expect(state: CallState, row: &OperationRow, sent: Sent) -> Option<Expectation> {
    let same = |answer, rule: &str| {
        Some(Expectation {
            answer,
            after: state,
            rule: rule.to_string(),
        })
    };
    let live = match state {
        CallState::Ended(_) if sent == Sent::Valid => return same(Answer::Error(404), rules::ENDED),
        CallState::Unknown if sent == Sent::Valid => return same(Answer::Error(404), rules::UNKNOWN),
        CallState::Ended(_) | CallState::Unknown => return None,
        CallState::Incoming => Live::Incoming,
        CallState::Established => Live::Established,
    };
    if !row.valid_in.contains(&live) {
        return row.elsewhere.as_ref().and_then(|e| same(Answer::Unspecified, &e.rule));
    }
    match sent {
        Sent::Invalid { status } => same(Answer::Error(status), rules::REFUSED),
        Sent::Valid => Some(Expectation {
            answer: Answer::Documented,
            after: match (row.ends, row.becomes) {
                (Some(ending), _) => CallState::Ended(ending),
                (None, Some(live)) => CallState::from_live(live),
                (None, None) => state,
            },
            rule: row.rule.clone(),
        }),
    }
}
