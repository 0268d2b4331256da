//! The call's lifecycle (CONTRACT.md section 3, "The call's lifecycle"), made executable: what each
//! operation does to a call in each state, and what a target must answer and send for it.
//!
//! Pure: no I/O, no fixtures. A step's *documented* answer (status, headers, body, notifications)
//! comes from the request example it sends; the model says when that documented answer applies,
//! when the error contract applies instead, what the call's state is afterwards, and where the
//! contract is silent (`None`: such a step is not generated, so it is never a failure).

use serde::{Deserialize, Serialize};

pub use super::operation::{Ending, Live, Operation, OperationRow, Queue, Subscription};
use super::stimulus::{Stimulus, StimulusKind};

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
    /// Placed by the program itself: its first step on it is create call, whose answer names it.
    Placed,
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
    /// A call the program is yet to place (create call): it has no id, and only create acts on it.
    Unplaced,
}

impl CallState {
    /// The state a call starts in.
    pub fn from_start(start: Start) -> CallState {
        match start {
            Start::Incoming => CallState::Incoming,
            Start::Established => CallState::Established,
            Start::Unknown => CallState::Unknown,
            Start::Placed => CallState::Unplaced,
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

    /// The word the hook, the fixtures and a call's `state` use for a live state; `None` for one
    /// that is not live.
    pub fn live_name(self) -> Option<&'static str> {
        match self {
            CallState::Incoming => Some(Live::Incoming.name()),
            CallState::Established => Some(Live::Established.name()),
            CallState::Ended(_) | CallState::Unknown | CallState::Unplaced => None,
        }
    }

    /// A word for messages.
    pub fn name(self) -> &'static str {
        match self {
            CallState::Incoming => "incoming",
            CallState::Established => "established",
            CallState::Ended(Ending::Deleted) => "ended (deleted)",
            CallState::Ended(Ending::Rejected) => "ended (rejected)",
            CallState::Ended(Ending::HungUp) => "ended (hung up by the far side)",
            CallState::Ended(Ending::Redirected) => "ended (redirected)",
            CallState::Unknown => "unknown",
            CallState::Unplaced => "not placed yet",
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
    /// A stimulus: the provisioning hook answers `202` (the far side did it), or `404` where the
    /// target does not offer it (the step is then not run, never passed).
    Stimulated,
}

/// What the far side's stimulus makes the target notify (CONTRACT.md section 5).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Far {
    /// A call `updated` with `toneInfo`: this sequenceId, this key.
    Tone {
        /// The call's count of tones notified, this one included (from 1).
        sequence: u64,
        /// The key pressed (a member of `tone`).
        tone: String,
    },
    /// The call ended: `deleted`, `state: "terminated"`, with why.
    Ended,
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
    /// For a stimulus, what it makes the target notify (`None`: nothing may come of it).
    pub far: Option<Far>,
    /// Whether the bot's own participant is muted afterwards (what a read of it must say).
    pub muted: bool,
}

/// A call as the model follows it across a program: its state, and whether (and how often) the
/// caller's keys have been notified since it subscribed to tones.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct ModelCall {
    /// Its state.
    pub state: CallState,
    /// `Some(n)` once subscribed to tones: n tones notified so far.
    pub tones: Option<u64>,
    /// The documented example the last step on it sent, by the catalog's number (generation
    /// draws a repetition more often: each must succeed like the first).
    pub last_example: Option<usize>,
    /// How many media operations it accepted since its last cancel (at most [`MEDIA_QUEUED`]):
    /// generation queues more and cancels them more often once one is queued.
    pub media: u8,
    /// Whether its last step moved it to another live state (answered, placed): generation reads
    /// it back more often then, where a service that keeps a stale copy shows it.
    pub moved: bool,
    /// Whether the bot has muted itself on it (a call starts unmuted: its audio is active,
    /// CONTRACT.md section 5).
    pub muted: bool,
}

/// The most media operations `ModelCall::media` counts.
pub const MEDIA_QUEUED: u8 = 3;

impl ModelCall {
    /// A call as it starts.
    pub fn from_start(start: Start) -> ModelCall {
        ModelCall {
            state: CallState::from_start(start),
            tones: None,
            last_example: None,
            media: 0,
            moved: false,
            muted: false,
        }
    }

    /// The call after a step the model expected `e` of: an operation of `row` (a documented
    /// success of one that subscribes starts the subscription), or a stimulus (a tone counted).
    pub fn after(self, row: Option<&OperationRow>, e: &Expectation) -> ModelCall {
        let subscribes = row.is_some_and(|r| r.subscribes == Some(Subscription::Tones)) && e.answer == Answer::Documented;
        let tones = match (&e.far, subscribes) {
            _ if !e.after.live() => None,
            (Some(Far::Tone { sequence, .. }), _) => Some(*sequence),
            (_, true) => Some(self.tones.unwrap_or(0)),
            _ => self.tones,
        };
        let documented = e.answer == Answer::Documented;
        let media = match row {
            _ if !e.after.live() => 0,
            Some(r) if documented && r.cancels.is_some() => 0,
            Some(r) if documented && r.queue.is_some() => (self.media + 1).min(MEDIA_QUEUED),
            _ => self.media,
        };
        ModelCall {
            state: e.after,
            tones,
            last_example: None,
            media,
            moved: e.after.live() && e.after != self.state,
            muted: e.after.live() && e.muted,
        }
    }
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
    /// Section 5, `tone`.
    pub const TONE: &str = "The caller pressed a key: a call subscribed to tones is notified updated with toneInfo, sequenceId rising from 1; a call not subscribed is notified nothing (CONTRACT.md sections 5 and 7.2)";
    /// Section 7.3, media operations.
    pub const MEDIA: &str = "Media operations (playPrompt, recordResponse) run one at a time, in the order they were accepted: their completion notifications on one call arrive in that order; cancelMediaProcessing ends the running and the queued ones, each notified failed (CONTRACT.md sections 2 and 7.3)";
    /// Section 5, `hangup`.
    pub const HANGUP: &str = "The caller hung up: the call ends, with a call deleted notification, state terminated and a resultInfo, and answers 404 from then on (CONTRACT.md sections 5 and 7.3)";
}

/// What the contract says of an operation (its row), sent as `sent`, on `call` (its state, and
/// whether the bot muted itself, which a success of mute or unmute changes). `None`
/// where it is silent: an operation on a live call in a state its row does not make it valid in
/// (unless the row says the call only stays alive), and bad input on a call that has ended or never
/// existed (whether 404 or the input's own status comes first is not said). Such a step is not
/// generated.
///
/// create call acts on a call not placed yet and on nothing else (it makes a new call: on a role
/// already placed it would be another call), and nothing else acts on one not placed yet (there is
/// no id to address).
pub fn expect(call: ModelCall, row: &OperationRow, sent: Sent) -> Option<Expectation> {
    let state = call.state;
    let same = |answer, rule: &str| {
        Some(Expectation {
            answer,
            after: state,
            rule: rule.to_string(),
            far: None,
            muted: call.muted,
        })
    };
    if row.creates() != (state == CallState::Unplaced) {
        return None;
    }
    let live = match state {
        CallState::Unplaced => return placed(row, sent),
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
            far: None,
            muted: row.mutes.unwrap_or(call.muted),
        }),
    }
}

/// What create call (`row`) sent as `sent` does to a call not placed yet: a success places it, in
/// the live state its row names; bad input places nothing.
fn placed(row: &OperationRow, sent: Sent) -> Option<Expectation> {
    let (answer, after, rule) = match sent {
        Sent::Valid => (Answer::Documented, CallState::from_live(row.becomes?), row.rule.clone()),
        Sent::Invalid { status } => (Answer::Error(status), CallState::Unplaced, rules::REFUSED.to_string()),
    };
    Some(Expectation {
        answer,
        after,
        rule,
        far: None,
        muted: false,
    })
}

/// What the contract says of `stimulus` on `call`. `None` where it is silent: a stimulus on a call
/// that is not live (the far side of an ended call does nothing), and `join` (the roster is not
/// modelled yet).
pub fn expect_stimulus(call: ModelCall, stimulus: &Stimulus) -> Option<Expectation> {
    if !call.state.live() {
        return None;
    }
    let (after, rule, far) = match stimulus.kind {
        StimulusKind::Tone => {
            let tone = stimulus.body.get("tone")?.as_str()?.to_string();
            let far = call.tones.map(|n| Far::Tone { sequence: n + 1, tone });
            (call.state, rules::TONE, far)
        }
        StimulusKind::Hangup => (CallState::Ended(Ending::HungUp), rules::HANGUP, Some(Far::Ended)),
        StimulusKind::Join => return None,
    };
    Some(Expectation {
        answer: Answer::Stimulated,
        after,
        rule: rule.to_string(),
        far,
        muted: call.muted,
    })
}

/// What becomes of a media operation a step started, given the steps after it on its call
/// (CONTRACT.md 7.3). The model cannot know how long a prompt plays on a real service, so a cancel
/// or an ending that follows it leaves both outcomes open; the queue's order still binds them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MediaFate {
    /// Nothing ends it: exactly one final notification, as documented.
    Completes,
    /// A cancel (the step at index `by`) came while it may still have run or waited: exactly one
    /// final notification, completed as documented or failed as its row's `cancelled` shows; and
    /// once one of those a cancel ended is failed, every later one it ended is too.
    CompletesOrCancelled {
        /// The index, among the call's steps, of the cancel.
        by: usize,
    },
    /// The call ended (the step at index `by`) while it may still have run: whether it is notified
    /// is not said (at most once).
    Unsaid {
        /// The index, among the call's steps, of the step that ended the call.
        by: usize,
    },
}

/// The fate of each step's media operation, for the steps of one call in order (the row of an
/// operation step, `None` for a stimulus, and the model's expectation of it); `None` for a step that
/// started none (another operation, a refusal, a stimulus).
pub fn media_fates(steps: &[(Option<&OperationRow>, &Expectation)]) -> Vec<Option<MediaFate>> {
    let documented = |(row, e): &(Option<&OperationRow>, &Expectation)| e.answer == Answer::Documented && row.is_some();
    steps
        .iter()
        .enumerate()
        .map(|(i, step)| {
            let queue = step.0.and_then(|r| r.queue).filter(|_| documented(step))?;
            let after = steps.iter().enumerate().skip(i + 1);
            let fate = after
                .filter_map(|(j, later)| {
                    if documented(later) && later.0.and_then(|r| r.cancels) == Some(queue) {
                        Some(MediaFate::CompletesOrCancelled { by: j })
                    } else if !later.1.after.live() && matches!(later.1.answer, Answer::Documented | Answer::Stimulated) {
                        Some(MediaFate::Unsaid { by: j })
                    } else {
                        None
                    }
                })
                .next();
            Some(fate.unwrap_or(MediaFate::Completes))
        })
        .collect()
}
