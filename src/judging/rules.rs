//! The rule language of the fixtures (`rules`, by JSON pointer): how a documented value that is not
//! a literal is matched, and the one walk over a documented body that checks every value by its rule
//! and builds the *projection* (what CONTRACT.md says must match, server-generated values replaced
//! by placeholders) that the snapshot pins. Checks and snapshots therefore cannot disagree about
//! what "must match" means.

use std::collections::BTreeMap;

use serde_json::{json, Map, Value};

use crate::contract::fixture::Corpus;
use crate::contract::ids::{ids_equal, is_participant, participants_of, resource_ids};
use crate::contract::status::{documented_member, metadata_spelling};

use super::verdict::{Aspect, Check, Verdict};

/// How a documented value that is not a literal is matched (the `rules` of a fixture).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rule {
    /// Equal to the documented value (the default for every documented property).
    Exact,
    /// Header: an absolute URL of an operation of this call, `…/calls/{call}/operations/{op}`.
    OperationOfCall,
    /// Header: an absolute URL of the call the request made, `…/calls/{call}` (create call).
    NewCall,
    /// Equal to the operationId in `Location`.
    LocationOperationId,
    /// Equal to the request body's property of the same name.
    EchoRequest,
    /// `null` or a resultInfo object.
    NullOrResultInfo,
    /// Any non-null value the server chooses.
    ServerGenerated,
    /// A resource path naming this call.
    CallResource,
    /// A resource path naming this call's operation from `Location`.
    OperationResource,
    /// Why a call ended: `terminationReason` (legacy) or `resultInfo` (current).
    TerminationReason,
    /// A `commsOperation.status`: the documented member in the documents' camelCase (`completed`)
    /// or the metadata's PascalCase (`Completed`), both conformant (CONTRACT.md section 4).
    OperationStatus,
    /// An operation's result: a resultInfo with the documented code (200: it succeeded), any
    /// subcode and message (the service words them).
    OperationResult,
    /// The id of the call the case acted on (ids compared across the dialects' spellings).
    CallId,
    /// The state the call is in, as the case provisioned it or the model follows it (`established`
    /// also reads `establishing`, which may still show right after an answer: CONTRACT.md 7.3).
    CallState,
    /// A call's roster: an array of participants with distinct ids, the bot's own participant (the
    /// call's `myParticipantId`, where the suite read it) among them. Which others a call has is
    /// the target's.
    Roster,
    /// The bot's own participant id in the call (`myParticipantId`, where the suite read it; any
    /// id where it did not, as in the documents' own examples).
    MyParticipant,
    /// Any value, `null` included: the page shows one, the contract fixes none (a participant's
    /// `metadata`, a free-form string the service may leave null).
    Unfixed,
    /// A resource path naming this call's participants (`…/calls/{id}/participants`).
    ParticipantsResource,
    /// [`Rule::Roster`], and the bot's own member (found by its id) judged by the documented
    /// roster's first member, which stands for it, and the rules under `{pointer}/0`.
    RosterWithMe,
    /// The bot's own `isMuted` as the suite knows it (a provisioned call starts unmuted; a
    /// program's model follows mute and unmute).
    MyMuteState,
}

/// A rule and whether the property may be absent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RuleSpec {
    /// The rule.
    pub rule: Rule,
    /// Whether absence is fine (dialect- or page-dependent properties).
    pub optional: bool,
}

impl RuleSpec {
    /// Parses a fixture's rule text (`optional:call-resource`).
    pub fn parse(text: &str) -> Result<RuleSpec, String> {
        let (optional, name) = match text.strip_prefix("optional:") {
            Some(rest) => (true, rest),
            None => (false, text),
        };
        let rule = match name {
            "exact" => Rule::Exact,
            "operation-of-call" => Rule::OperationOfCall,
            "new-call" => Rule::NewCall,
            "location-operation-id" => Rule::LocationOperationId,
            "echo-request" => Rule::EchoRequest,
            "null-or-resultInfo" => Rule::NullOrResultInfo,
            "server-generated" => Rule::ServerGenerated,
            "call-resource" => Rule::CallResource,
            "operation-resource" => Rule::OperationResource,
            "termination-reason" => Rule::TerminationReason,
            "operation-status" => Rule::OperationStatus,
            "operation-result" => Rule::OperationResult,
            "call-id" => Rule::CallId,
            "call-state" => Rule::CallState,
            "roster" => Rule::Roster,
            "my-participant" => Rule::MyParticipant,
            "unfixed" => Rule::Unfixed,
            "participants-resource" => Rule::ParticipantsResource,
            "roster-with-me" => Rule::RosterWithMe,
            "my-mute-state" => Rule::MyMuteState,
            other => return Err(format!("unknown rule {other:?}")),
        };
        Ok(RuleSpec { rule, optional })
    }

    pub(super) fn describe(&self) -> &'static str {
        match self.rule {
            Rule::Exact => "the documented value",
            Rule::OperationOfCall => "an absolute URL …/calls/{this call}/operations/{operationId}",
            Rule::NewCall => "an absolute URL …/calls/{id} of the call the request made",
            Rule::LocationOperationId => "the operationId of the Location header",
            Rule::EchoRequest => "the request's value, echoed",
            Rule::NullOrResultInfo => "null or a resultInfo object",
            Rule::ServerGenerated => "a value chosen by the server",
            Rule::CallResource => "a resource path naming this call (…/calls/{id})",
            Rule::OperationResource => "a resource path naming the operation from Location (…/calls/{id}/operations/{operationId})",
            Rule::TerminationReason => "why the call ended: resultInfo (current dialect) or terminationReason (legacy)",
            Rule::OperationStatus => "the documented status, camelCase (the documents) or PascalCase (the metadata)",
            Rule::OperationResult => {
                "a resultInfo with the documented code, any subcode and message (a terminationReason in the legacy dialect)"
            }
            Rule::CallId => "the id of the call acted on",
            Rule::CallState => "the state the call is in",
            Rule::Roster => "the call's roster: participants with distinct ids, the bot's own (myParticipantId) among them",
            Rule::MyParticipant => "the bot's own participant id (the call's myParticipantId)",
            Rule::Unfixed => "any value (the contract fixes none)",
            Rule::ParticipantsResource => "a resource path naming this call's participants (…/calls/{id}/participants)",
            Rule::RosterWithMe => {
                "the call's roster: participants with distinct ids, the bot's own (myParticipantId) among them and as documented"
            }
            Rule::MyMuteState => "whether the bot is muted, as its mute and unmute left it",
        }
    }

    /// The check a failure of this rule belongs to.
    pub fn check(&self) -> Check {
        match self.rule {
            Rule::Exact
            | Rule::NullOrResultInfo
            | Rule::ServerGenerated
            | Rule::OperationStatus
            | Rule::OperationResult
            | Rule::Unfixed => Check::DocumentedValue,
            Rule::OperationOfCall | Rule::NewCall => Check::Location,
            Rule::LocationOperationId => Check::OperationId,
            Rule::EchoRequest => Check::Echo,
            Rule::CallResource
            | Rule::OperationResource
            | Rule::CallId
            | Rule::Roster
            | Rule::RosterWithMe
            | Rule::MyParticipant
            | Rule::ParticipantsResource => Check::Correlation,
            Rule::MyMuteState => Check::DocumentedValue,
            Rule::CallState => Check::DocumentedValue,
            Rule::TerminationReason => Check::TerminationReason,
        }
    }

    /// What the projection (snapshots, recorded sets) keeps of an `actual` that passed: a value
    /// the rule lets vary becomes one the documents' reading shares, so two conformant spellings
    /// project alike.
    pub(super) fn placeholder(&self, expected: &Value, actual: &Value) -> Value {
        match self.rule {
            Rule::OperationStatus => expected.clone(),
            Rule::Exact | Rule::EchoRequest => actual.clone(),
            Rule::OperationOfCall => json!("[base]/calls/[call-id]/operations/[operation-id]"),
            Rule::NewCall => json!("[base]/calls/[call-id]"),
            Rule::LocationOperationId => json!("[operation-id]"),
            Rule::NullOrResultInfo => json!("[null or resultInfo]"),
            Rule::ServerGenerated => json!("[server-generated]"),
            Rule::CallResource => json!("/calls/[call-id]"),
            Rule::OperationResource => json!("/calls/[call-id]/operations/[operation-id]"),
            Rule::TerminationReason => json!("[termination reason]"),
            Rule::OperationResult => json!({"resultInfo": {"code": code_of(expected.pointer("/resultInfo/code"))}}),
            Rule::CallId => json!("[call-id]"),
            Rule::CallState => json!("[the call's state]"),
            Rule::Roster => json!("[the call's roster, the bot's own participant among them]"),
            Rule::MyParticipant => json!("[my-participant-id]"),
            Rule::Unfixed => json!("[unfixed]"),
            Rule::ParticipantsResource => json!("/calls/[call-id]/participants"),
            Rule::RosterWithMe => json!("[the call's roster, the bot's own participant among them]"),
            Rule::MyMuteState => actual.clone(),
        }
    }
}

/// Parses a fixture's rules map.
pub fn parse_rules(rules: &BTreeMap<String, String>) -> Result<BTreeMap<String, RuleSpec>, String> {
    rules
        .iter()
        .map(|(k, v)| RuleSpec::parse(v).map(|r| (k.clone(), r)).map_err(|e| format!("rule for {k}: {e}")))
        .collect()
}

/// What the rules compare against: the facts of this exchange.
#[derive(Debug, Clone)]
pub struct Facts<'a> {
    /// The call the case acted on.
    pub call_id: &'a str,
    /// The operationId from `Location`, once known.
    pub operation_id: Option<String>,
    /// The body the case sent.
    pub request_body: Option<&'a Value>,
    /// For the termination code table.
    pub corpus: &'a Corpus,
    /// The state the call is in, where the suite knows it (`incoming`, `established`).
    pub call_state: Option<&'a str>,
    /// The bot's own participant in the call (`myParticipantId`), where the suite read it.
    pub my_participant: Option<&'a str>,
    /// Whether the bot is muted, where the suite knows it.
    pub my_muted: Option<bool>,
}

pub(super) fn apply(
    spec: &RuleSpec,
    key: &str,
    expected: &Value,
    actual: &Value,
    facts: &Facts,
    infos: &mut Vec<String>,
) -> Result<(), String> {
    match spec.rule {
        Rule::Exact => (expected == actual).then_some(()).ok_or_else(|| format!("{expected}")),
        Rule::LocationOperationId => match (&facts.operation_id, actual.as_str()) {
            (Some(op), Some(a)) if ids_equal(op, a) => Ok(()),
            (Some(op), _) => Err(format!("\"{op}\" (the operationId in Location)")),
            (None, Some(_)) => Ok(()), // Location itself failed; that finding says so.
            (None, None) => Err("a string".into()),
        },
        Rule::EchoRequest => {
            let sent = facts.request_body.and_then(|b| b.get(key)).cloned().unwrap_or(Value::Null);
            (sent == *actual)
                .then_some(())
                .ok_or_else(|| format!("{sent} (the request's {key})"))
        }
        Rule::NullOrResultInfo => (actual.is_null() || actual.is_object())
            .then_some(())
            .ok_or_else(|| "null or a resultInfo object".into()),
        Rule::ServerGenerated => (!actual.is_null()).then_some(()).ok_or_else(|| "a value".into()),
        Rule::Unfixed => Ok(()),
        Rule::CallId => match actual.as_str() {
            Some(a) if ids_equal(a, facts.call_id) => Ok(()),
            _ => Err(format!("\"{}\" (the call acted on)", facts.call_id)),
        },
        Rule::CallState => {
            let got = actual.as_str().unwrap_or_default();
            match facts.call_state {
                Some("established") if matches!(got, "established" | "establishing") => Ok(()),
                Some(want) if got == want => Ok(()),
                Some(want) => Err(format!("\"{want}\" (the state the call is in)")),
                None => Err("a state the suite knows for this call (none was given)".into()),
            }
        }
        Rule::CallResource => match actual.as_str().and_then(resource_ids) {
            Some((call, None)) if ids_equal(&call, facts.call_id) => Ok(()),
            _ => Err(format!("a path naming call {} (…/calls/{})", facts.call_id, facts.call_id)),
        },
        Rule::OperationResource => match actual.as_str().and_then(resource_ids) {
            Some((call, Some(op)))
                if ids_equal(&call, facts.call_id) && facts.operation_id.as_deref().is_none_or(|o| ids_equal(o, &op)) =>
            {
                Ok(())
            }
            _ => Err(format!(
                "a path naming operation {} of call {} (…/calls/{}/operations/{})",
                facts.operation_id.as_deref().unwrap_or("{operationId}"),
                facts.call_id,
                facts.call_id,
                facts.operation_id.as_deref().unwrap_or("{operationId}")
            )),
        },
        Rule::TerminationReason => termination(actual, facts, infos),
        Rule::Roster | Rule::RosterWithMe => roster(actual, facts.my_participant),
        Rule::ParticipantsResource => match actual.as_str().and_then(participants_of) {
            Some(call) if ids_equal(&call, facts.call_id) => Ok(()),
            _ => Err(format!(
                "a path naming the participants of call {} (…/calls/{}/participants)",
                facts.call_id, facts.call_id
            )),
        },
        Rule::MyMuteState => match (actual.as_bool(), facts.my_muted) {
            (Some(a), Some(want)) if a == want => Ok(()),
            (Some(_), None) => Ok(()),
            (_, Some(want)) => Err(format!("{want} (the bot's mute state, as its mute and unmute left it)")),
            (None, None) => Err("true or false".into()),
        },
        Rule::MyParticipant => match (actual.as_str().filter(|a| !a.is_empty()), facts.my_participant) {
            (Some(a), Some(me)) if ids_equal(a, me) => Ok(()),
            (Some(_), None) => Ok(()),
            (_, Some(me)) => Err(format!("\"{me}\" (the call's myParticipantId)")),
            (None, None) => Err("a participant id".into()),
        },
        // Notifications fold resultInfo into `termination` (`neutral_item`), answers do not.
        Rule::OperationResult => {
            let code = |v: &Value| code_of(v.pointer("/resultInfo/code").or_else(|| v.get("code")));
            // The legacy dialect says how anything ended in a terminationReason string (seeds 000, 004).
            if actual
                .get("terminationReason")
                .and_then(Value::as_str)
                .is_some_and(|r| !r.is_empty())
            {
                return Ok(());
            }
            match (code(expected), code(actual)) {
                (Some(want), Some(got)) if want == got => Ok(()),
                (Some(want), _) => Err(format!("a resultInfo with code {want} (any subcode and message)")),
                (None, _) => Err("a resultInfo (the fixture names no code)".into()),
            }
        }
        Rule::OperationStatus => match (expected.as_str(), actual.as_str()) {
            (Some(e), Some(a)) if documented_member(a) == Some(e) => Ok(()),
            (Some(e), _) => Err(format!("\"{e}\" or \"{}\" (the metadata's spelling)", metadata_spelling(e))),
            (None, _) => (expected == actual).then_some(()).ok_or_else(|| format!("{expected}")),
        },
        Rule::OperationOfCall => actual
            .as_str()
            .ok_or_else(|| "a URL".to_string())
            .and_then(|a| location_operation(a, facts.call_id))
            .map(|_| ()),
        Rule::NewCall => actual
            .as_str()
            .ok_or_else(|| "a URL".to_string())
            .and_then(location_call)
            .map(|_| ()),
    }
}

fn roster(actual: &Value, mine: Option<&str>) -> Result<(), String> {
    let Some(members) = actual.as_array() else {
        return Err("an array of participants".into());
    };
    let mut seen: Vec<&str> = Vec::new();
    for (i, member) in members.iter().enumerate() {
        let Some(id) = member.get("id").and_then(Value::as_str).filter(|id| !id.is_empty()) else {
            return Err(format!("participants, each with its id (member {i} has none)"));
        };
        if seen.iter().any(|s| ids_equal(s, id)) {
            return Err(format!("participants with distinct ids ({id} is listed twice)"));
        }
        seen.push(id);
    }
    match mine {
        Some(me) if !seen.iter().any(|id| ids_equal(id, me)) => {
            Err(format!("the bot's own participant {me} (the call's myParticipantId) among them"))
        }
        _ => Ok(()),
    }
}

fn code_of(v: Option<&Value>) -> Option<u32> {
    match v? {
        Value::Number(n) => n.as_u64().and_then(|n| u32::try_from(n).ok()),
        Value::String(s) => s.parse().ok(),
        _ => None,
    }
}

fn termination(actual: &Value, facts: &Facts, infos: &mut Vec<String>) -> Result<(), String> {
    let want = "resultInfo with code and subcode (current dialect) or a terminationReason string (legacy dialect)";
    if let Some(reason) = actual.get("terminationReason") {
        return reason
            .as_str()
            .filter(|s| !s.is_empty())
            .map(|_| ())
            .ok_or_else(|| want.to_string());
    }
    let Some(info) = actual.get("resultInfo") else {
        return Err(want.into());
    };
    match (code_of(info.get("code")), code_of(info.get("subcode"))) {
        (Some(code), Some(subcode)) => {
            if facts.corpus.reason_meaning(code, subcode).is_none() {
                infos.push(format!(
                    "resultInfo {code}/{subcode} is not in seed 001's call termination reason codes (reported, not failed)"
                ));
            }
            Ok(())
        }
        _ => Err(want.into()),
    }
}

/// What one walk over a documented body compares against.
pub(super) struct Walk<'w, 'f> {
    /// The rules by JSON pointer (neutral pointers for notifications).
    pub(super) rules: &'w BTreeMap<String, RuleSpec>,
    /// What the rules compare against.
    pub(super) facts: &'w Facts<'f>,
    /// What a finding calls the walked value (`body`, `notification 2`).
    pub(super) subject: &'w str,
    /// Where its findings are filed.
    pub(super) aspect: Aspect,
}

impl Walk<'_, '_> {
    /// Checks `actual` against the documented `expected` at `ptr`, and returns its projection
    /// (`None`: leave it out of the snapshot).
    pub(super) fn at(&self, expected: &Value, actual: Option<&Value>, ptr: &str, v: &mut Verdict) -> Option<Value> {
        let spec = self.rules.get(ptr).copied();
        let Some(actual) = actual else {
            // An echo of something the request did not send is rightly absent.
            let key = ptr.rsplit('/').next().unwrap_or_default();
            let nothing_sent = self.facts.request_body.is_none_or(|b| b.get(key).is_none());
            if spec.is_some_and(|s| s.rule == Rule::EchoRequest) && nothing_sent {
                return None;
            }
            if !spec.is_some_and(|s| s.optional) {
                let want = match spec {
                    Some(s) => s.describe().to_string(),
                    None => expected.to_string(),
                };
                v.fail(
                    self.aspect,
                    spec.map_or(Check::DocumentedValue, |s| s.check()),
                    format!("{} {ptr}", self.subject),
                    format!("documented property present: {want}"),
                    "absent",
                );
            }
            return None;
        };
        if let Some(spec) = spec {
            let key = ptr.rsplit('/').next().unwrap_or_default().replace("~1", "/").replace("~0", "~");
            return match apply(&spec, &key, expected, actual, self.facts, &mut v.infos) {
                Ok(()) if spec.rule == Rule::RosterWithMe => Some(self.my_member(expected, actual, ptr, v)),
                Ok(()) if spec.optional => None,
                Ok(()) => Some(spec.placeholder(expected, actual)),
                Err(want) => {
                    v.fail(
                        self.aspect,
                        spec.check(),
                        format!("{} {ptr}", self.subject),
                        format!("{} — {want}", spec.describe()),
                        actual.to_string(),
                    );
                    Some(actual.clone())
                }
            };
        }
        match (expected, actual) {
            (Value::Object(e), Value::Object(a)) => {
                let mut out = Map::new();
                for (k, ev) in e {
                    let p = format!("{ptr}/{}", k.replace('~', "~0").replace('/', "~1"));
                    if let Some(pv) = self.at(ev, a.get(k), &p, v) {
                        out.insert(k.clone(), pv);
                    }
                }
                Some(Value::Object(out))
            }
            _ if expected == actual => Some(actual.clone()),
            _ => {
                let at = if ptr.is_empty() { "(root)" } else { ptr };
                v.fail(
                    self.aspect,
                    Check::DocumentedValue,
                    format!("{} {at}", self.subject),
                    expected.to_string(),
                    actual.to_string(),
                );
                Some(actual.clone())
            }
        }
    }
}

impl Walk<'_, '_> {
    /// The projection of a roster whose bot member is judged: that member, walked against the
    /// documented roster's first (which stands for it) at `{ptr}/0`, alone in an array; the other
    /// members are the target's.
    fn my_member(&self, expected: &Value, actual: &Value, ptr: &str, v: &mut Verdict) -> Value {
        let (Some(documented), Some(members)) = (expected.get(0), actual.as_array()) else {
            return json!([]);
        };
        let mine = match self.facts.my_participant {
            Some(me) => members.iter().find(|m| is_participant(m, me)),
            // The documents' own examples: their first member stands for the bot.
            None => members.first(),
        };
        let projected = self.at(documented, mine, &format!("{ptr}/0"), v);
        Value::Array(projected.into_iter().collect())
    }
}

/// Parses `Location` as a call (`…/calls/{id}`, the answer to create call); returns its id.
pub fn location_call(location: &str) -> Result<String, String> {
    let url = reqwest::Url::parse(location).map_err(|_| "it is not an absolute URL".to_string())?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(format!("scheme {:?} is not http(s)", url.scheme()));
    }
    match resource_ids(url.path()) {
        Some((call, None)) => Ok(call),
        _ => Err("its path does not end in /calls/{id}".into()),
    }
}

/// Parses `Location` as an operation of `call_id`; returns the operationId.
pub fn location_operation(location: &str, call_id: &str) -> Result<String, String> {
    let url = reqwest::Url::parse(location).map_err(|_| "it is not an absolute URL".to_string())?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(format!("scheme {:?} is not http(s)", url.scheme()));
    }
    match resource_ids(url.path()) {
        Some((call, Some(op))) if ids_equal(&call, call_id) => Ok(op),
        Some((call, Some(_))) => Err(format!("it names call {call}, not {call_id}")),
        _ => Err("its path does not end in /calls/{id}/operations/{operationId}".into()),
    }
}
