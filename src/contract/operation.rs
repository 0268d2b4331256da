//! The table of operations (`tests/fixtures/data/operations.json`): everything the contract says
//! about an operation, as one typed row. The model, the double, the cases, the bad-input generator
//! and the replays read an operation's row; none of them knows an operation by its name.
//!
//! Adding an operation is a variant here, its row, its fixtures and (where its effect on the call is
//! new) a model rule.

use std::collections::BTreeMap;

use serde::Deserialize;
use strum::IntoEnumIterator;

use super::family::Family;

/// The operations of CONTRACT.md sections 3 and 7.2, named as the fixtures and the table name them.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, Deserialize, strum::EnumIter, strum::IntoStaticStr,
)]
pub enum Operation {
    /// `POST …/calls/{id}/cancelMediaProcessing` (seed 000).
    #[serde(rename = "cancelMediaProcessing")]
    #[strum(serialize = "cancelMediaProcessing")]
    CancelMediaProcessing,
    /// `POST …/calls/{id}/updateRecordingStatus` (seed 002).
    #[serde(rename = "updateRecordingStatus")]
    #[strum(serialize = "updateRecordingStatus")]
    UpdateRecordingStatus,
    /// `POST /communications/calls/{id}/reject` (seed 003).
    #[serde(rename = "reject")]
    #[strum(serialize = "reject")]
    Reject,
    /// `DELETE …/calls/{id}` (seeds 001, 004).
    #[serde(rename = "delete")]
    #[strum(serialize = "delete")]
    Delete,
    /// `POST /communications/calls/{id}/keepAlive` (CONTRACT.md 7.2, `graph-docs/api/call-keepalive.md`).
    #[serde(rename = "keepAlive")]
    #[strum(serialize = "keepAlive")]
    KeepAlive,
    /// `POST /communications/calls/{id}/answer` (CONTRACT.md 7.2, `graph-docs/api/call-answer.md`).
    #[serde(rename = "answer")]
    #[strum(serialize = "answer")]
    Answer,
    /// `POST /communications/calls/{id}/playPrompt` (CONTRACT.md 7.2, `graph-docs/api/call-playprompt.md`).
    #[serde(rename = "playPrompt")]
    #[strum(serialize = "playPrompt")]
    PlayPrompt,
    /// `POST /communications/calls/{id}/subscribeToTone` (CONTRACT.md 7.2, `graph-docs/api/call-subscribetotone.md`).
    #[serde(rename = "subscribeToTone")]
    #[strum(serialize = "subscribeToTone")]
    SubscribeToTone,
    /// `POST /communications/calls/{id}/sendDtmfTones` (CONTRACT.md 7.2, `graph-docs/api/call-senddtmftones.md`).
    #[serde(rename = "sendDtmfTones")]
    #[strum(serialize = "sendDtmfTones")]
    SendDtmfTones,
    /// `POST /communications/calls/{id}/recordResponse` (CONTRACT.md 7.2, `graph-docs/api/call-record.md`).
    #[serde(rename = "recordResponse")]
    #[strum(serialize = "recordResponse")]
    RecordResponse,
    /// `GET /communications/calls/{id}` (CONTRACT.md 7.2, `graph-docs/api/call-get.md`).
    #[serde(rename = "get")]
    #[strum(serialize = "get")]
    Get,
    /// `POST /communications/calls/{id}/redirect` (CONTRACT.md 7.2, `graph-docs/api/call-redirect.md`).
    #[serde(rename = "redirect")]
    #[strum(serialize = "redirect")]
    Redirect,
    /// `POST /communications/calls` (CONTRACT.md 7.2, `graph-docs/api/application-post-calls.md`):
    /// the bot places a call or joins a meeting; the one operation on the collection.
    #[serde(rename = "create")]
    #[strum(serialize = "create")]
    Create,
    /// `GET /communications/calls/{id}/participants` (CONTRACT.md 7.2, `graph-docs/api/call-list-participants.md`):
    /// the call's roster.
    #[serde(rename = "listParticipants")]
    #[strum(serialize = "listParticipants")]
    ListParticipants,
    /// `GET /communications/calls/{id}/participants/{pid}` (CONTRACT.md 7.2, `graph-docs/api/participant-get.md`):
    /// one participant, here the bot's own.
    #[serde(rename = "getParticipant")]
    #[strum(serialize = "getParticipant")]
    GetParticipant,
    /// `POST /communications/calls/{id}/mute` (CONTRACT.md 7.2, `graph-docs/api/call-mute.md`): the
    /// bot mutes itself.
    #[serde(rename = "mute")]
    #[strum(serialize = "mute")]
    Mute,
    /// `POST /communications/calls/{id}/unmute` (CONTRACT.md 7.2, `graph-docs/api/call-unmute.md`).
    #[serde(rename = "unmute")]
    #[strum(serialize = "unmute")]
    Unmute,
    /// `POST /communications/calls/{id}/changeScreenSharingRole` (CONTRACT.md 7.2,
    /// `graph-docs/api/call-changescreensharingrole.md`): the bot becomes a viewer or a sharer.
    #[serde(rename = "changeScreenSharingRole")]
    #[strum(serialize = "changeScreenSharingRole")]
    ChangeScreenSharingRole,
}

impl Operation {
    /// The name the fixtures and the table use.
    pub fn name(self) -> &'static str {
        self.into()
    }

    /// The operation a name names.
    pub fn parse(name: &str) -> Option<Operation> {
        Operation::iter().find(|o| o.name() == name)
    }
}

impl std::fmt::Display for Operation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// An HTTP method an operation is sent with.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Deserialize, strum::IntoStaticStr)]
#[serde(rename_all = "UPPERCASE")]
#[strum(serialize_all = "UPPERCASE")]
pub enum Method {
    /// `GET`.
    Get,
    /// `POST`.
    Post,
    /// `PATCH`.
    Patch,
    /// `DELETE`.
    Delete,
}

impl Method {
    /// The method as the wire writes it.
    pub fn as_str(self) -> &'static str {
        self.into()
    }
}

/// A state of a live call, as a row names the states its operation is valid in.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Live {
    /// Ringing, not answered.
    Incoming,
    /// Answered.
    Established,
}

impl Live {
    /// The word the provisioning hook and the fixtures use (`{"state": "incoming"}`).
    pub fn name(self) -> &'static str {
        match self {
            Live::Incoming => "incoming",
            Live::Established => "established",
        }
    }
}

impl std::fmt::Display for Live {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// Why a call ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Ending {
    /// By delete.
    Deleted,
    /// By reject, while it was incoming.
    Rejected,
    /// By the far side (the `hangup` stimulus of CONTRACT.md section 5).
    #[serde(rename = "hung-up")]
    HungUp,
    /// By redirect, while it was incoming: handed to other targets.
    Redirected,
}

/// What a successful answer carries.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Body {
    /// Nothing: a body is a failure.
    None,
    /// A commsOperation (or a subtype), named by the `Location` header.
    Operation,
    /// The call itself, as it is now.
    Call,
    /// The call's roster (`{"value": [participant]}`), the bot's own participant (the call's
    /// `myParticipantId`) among them.
    Participants,
    /// One participant of the call.
    Participant,
}

/// What the contract says of an operation on a live call in a state it is not valid in.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Elsewhere {
    /// The sentence of CONTRACT.md: no status is named, and the call stays alive.
    pub rule: String,
}

/// What an operation's path names.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum On {
    /// A call: `…/calls/{id}` and the action after it.
    #[default]
    Call,
    /// The calls themselves: `…/calls` (create call). No call is provisioned for it: its answer
    /// names the call it makes (`Location`), and that call's notifications follow.
    Collection,
    /// A participant of a call: `…/calls/{id}/participants/{pid}` and the action after it. The
    /// participant is the bot's own (the call's `myParticipantId`, read back before the request):
    /// the one a suite can name in any call without searching the roster.
    Participant,
}

/// One row of the table of operations.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OperationRow {
    /// HTTP method.
    pub method: Method,
    /// What its path names: a call (the default) or the collection.
    #[serde(default)]
    pub on: On,
    /// The action segment after the call (`cancelMediaProcessing`), or `null` for the call itself.
    pub action: Option<String>,
    /// The families its documents list.
    pub families: Vec<Family>,
    /// The schema of its request body; `null` where it takes none.
    pub request_schema: Option<String>,
    /// The documents that describe it (seed files, `graph-docs/` pages).
    pub documents: Vec<String>,
    /// Its pages today (`tests/graph-docs/api/{page}.md`): every block of them is a case, the same
    /// example as a seed's, or has its reason in `data/coverage.json` (`docs/coverage.md`).
    pub pages: Vec<String>,
    /// Its success status.
    pub success: u16,
    /// What its successful answer carries.
    pub body: Body,
    /// The live states it is valid in (empty for an operation on the collection: it needs no call).
    pub valid_in: Vec<Live>,
    /// On a live call in another state: `null` where the contract is silent (such a step is never
    /// generated), or the rule that says only that the call stays alive.
    pub elsewhere: Option<Elsewhere>,
    /// How a success ends the call; `null` where the call stays as it was.
    pub ends: Option<Ending>,
    /// The live state a success leaves the call in (answer: `established`; create: the new call's);
    /// `null` where it stays as it was.
    #[serde(default)]
    pub becomes: Option<Live>,
    /// Whether the notifications a success causes may arrive in any order (answer's establishing and
    /// established: "may arrive out of order", the page says); otherwise in the documented order.
    #[serde(default)]
    pub notifications_in_any_order: bool,
    /// What a success subscribes the call to (subscribeToTone: `tones`, notified on each `tone`
    /// stimulus from then on); `null` for nothing.
    #[serde(default)]
    pub subscribes: Option<Subscription>,
    /// The queue a success runs in (playPrompt, recordResponse: `media`, one at a time in the order
    /// accepted); `null` for an operation that runs on its own.
    #[serde(default)]
    pub queue: Option<Queue>,
    /// The notification fixture a success's operation is notified with when a cancel ends it while it
    /// runs or waits (`status: failed`, resultInfo 400/8508); required with `queue`.
    #[serde(default)]
    pub cancelled: Option<String>,
    /// What a success sets the bot's own `isMuted` to (mute: `true`, unmute: `false`), notified
    /// as a roster update; `null` where it leaves it as it was.
    #[serde(default)]
    pub mutes: Option<bool>,
    /// The queue a success empties (cancelMediaProcessing: `media`, its running and queued
    /// operations each notified as `cancelled` says); `null` for none.
    #[serde(default)]
    pub cancels: Option<Queue>,
    /// The sentence of CONTRACT.md a success rests on.
    pub rule: String,
}

/// What an operation may subscribe a call to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Subscription {
    /// The caller's keys (DTMF), notified as call `updated` with `toneInfo`.
    Tones,
}

/// A queue of a call's operations (CONTRACT.md 7.3).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Queue {
    /// The media operations (playPrompt, recordResponse): one runs at a time, in the order accepted,
    /// and cancelMediaProcessing ends the running and the queued ones.
    Media,
}

impl OperationRow {
    /// Whether a success ends a call or places one (a real person's phone rings): such a case is
    /// never aimed at production by accident.
    pub fn destructive(&self) -> bool {
        self.ends.is_some() || self.creates()
    }

    /// Whether a success makes a new call (create: an operation on the collection).
    pub fn creates(&self) -> bool {
        self.on == On::Collection
    }

    /// The state a case or a negative provisions its call in: the first state the operation is valid in.
    pub fn ready(&self) -> Live {
        self.valid_in.first().copied().unwrap_or(Live::Established)
    }

    /// Whether judging its answer or its notifications needs the bot's own participant id
    /// (`myParticipantId`, read from the call before the request): the roster must name it.
    pub fn needs_my_participant(&self) -> bool {
        matches!(self.body, Body::Participants | Body::Participant) || self.on == On::Participant || self.mutes.is_some()
    }

    /// Whether a target reached under `families` can be asked for it.
    pub fn on_any(&self, families: &[Family]) -> bool {
        self.families.iter().any(|f| families.contains(f))
    }
}

/// The table: one row per operation, every operation a row (the loader refuses a table that lacks one).
#[derive(Clone, Debug)]
pub struct Operations {
    rows: BTreeMap<Operation, OperationRow>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct OperationTable {
    #[allow(dead_code)]
    id: String,
    #[allow(dead_code)]
    kind: String,
    #[allow(dead_code)]
    description: String,
    operations: BTreeMap<Operation, OperationRow>,
}

impl Operations {
    /// The table from the JSON of `data/operations.json`: an unknown operation, an unknown field, or
    /// an operation without a row is an error.
    pub fn from_value(value: serde_json::Value) -> Result<Operations, String> {
        let table: OperationTable = serde_json::from_value(value).map_err(|e| e.to_string())?;
        let missing: Vec<&str> = Operation::iter()
            .filter(|o| !table.operations.contains_key(o))
            .map(Operation::name)
            .collect();
        if !missing.is_empty() {
            return Err(format!("no row for {}: every operation has one", missing.join(", ")));
        }
        for (op, row) in &table.operations {
            match (row.on, row.valid_in.is_empty()) {
                (On::Call | On::Participant, true) => {
                    return Err(format!(
                        "{}: \"valid_in\" is empty: an operation on a call is valid in some live state",
                        op.name()
                    ))
                }
                (On::Collection, false) => {
                    return Err(format!(
                        "{}: \"valid_in\" names states, but the operation is on the collection: it needs no call",
                        op.name()
                    ))
                }
                (On::Collection, _) if row.becomes.is_none() || row.action.is_some() => {
                    return Err(format!(
                        "{}: an operation on the collection makes a call: it \"becomes\" a live state, and has no \"action\"",
                        op.name()
                    ))
                }
                _ => {}
            }
            if row.families.is_empty() {
                return Err(format!("{}: \"families\" is empty", op.name()));
            }
            if row.queue.is_some() != row.cancelled.is_some() {
                return Err(format!(
                    "{}: \"queue\" and \"cancelled\" go together: an operation that waits in a queue is notified somehow when a cancel ends it",
                    op.name()
                ));
            }
        }
        Ok(Operations { rows: table.operations })
    }

    /// The row of `op` (every operation has one).
    pub fn row(&self, op: Operation) -> &OperationRow {
        &self.rows[&op]
    }

    /// Every operation with its row, in the enumeration's order.
    pub fn iter(&self) -> impl Iterator<Item = (Operation, &OperationRow)> {
        self.rows.iter().map(|(o, r)| (*o, r))
    }
}
