//! The notification half of an exchange: items in dialect-neutral form, the expected ones matched
//! to what was heard (in order, each claiming one heard item), each delivery's own shape (POST,
//! JSON, Bearer), and what a heard item says of a call. Never performs I/O.

use std::collections::BTreeMap;

use serde_json::{json, Map, Value};

use crate::contract::ids::{ids_equal, is_participant, resource_call, resource_ids};
use crate::contract::schema::Schemas;
use crate::wire::listener::Heard;
use crate::wire::target::preview;

use super::response::not_json;
use super::rules::{parse_rules, Facts, RuleSpec, Walk};
use super::verdict::{Aspect, Check, Verdict};

/// A notification item in dialect-neutral form: `resource` whichever field named it, and why a
/// call ended folded into `resourceData.termination`.
pub fn neutral_item(item: &Value) -> Value {
    let resource = item
        .get("resourceUrl")
        .or_else(|| item.get("resource"))
        .cloned()
        .unwrap_or(Value::Null);
    if let Some(Value::Array(roster)) = item.get("resourceData") {
        // A roster (participants updated): its members as they came.
        let mut out = Map::new();
        out.insert("changeType".into(), item.get("changeType").cloned().unwrap_or(Value::Null));
        out.insert("resource".into(), resource);
        out.insert("resourceData".into(), Value::Array(roster.clone()));
        return Value::Object(out);
    }
    let mut rd = item.get("resourceData").and_then(Value::as_object).cloned().unwrap_or_default();
    let mut termination = Map::new();
    for key in ["terminationReason", "resultInfo"] {
        if let Some(x) = rd.remove(key) {
            termination.insert(key.into(), x);
        }
    }
    if !termination.is_empty() {
        rd.insert("termination".into(), Value::Object(termination));
    }
    let mut out = Map::new();
    out.insert("changeType".into(), item.get("changeType").cloned().unwrap_or(Value::Null));
    out.insert("resource".into(), resource);
    out.insert("resourceData".into(), Value::Object(rd));
    Value::Object(out)
}

fn neutral_pointer(ptr: &str) -> String {
    let rest = ptr.strip_prefix("/value/0").unwrap_or(ptr);
    match rest {
        "/resource" | "/resourceUrl" => "/resource".into(),
        "/resourceData/terminationReason" | "/resourceData/resultInfo" => "/resourceData/termination".into(),
        other => other.into(),
    }
}

/// One expected notification, neutral, with its rules.
#[derive(Debug, Clone)]
pub struct ExpectedNotification {
    /// The fixture id.
    pub id: String,
    /// The item, neutral.
    pub item: Value,
    /// Rules by neutral pointer.
    pub rules: BTreeMap<String, RuleSpec>,
    /// Whether it must arrive after the one listed before it (an operation's row may let its
    /// notifications come in any order: answer's establishing and established).
    pub ordered: bool,
    /// Whether it may come or not (an edition's `notifications_optional`): judged when it comes,
    /// never waited for, never projected.
    pub optional: bool,
    /// For a roster, the bot's own participant in it where the suite read it: a roster update is
    /// the one expected only if the bot's member says what the documented first member says
    /// (mute's and unmute's updates of one call may come in either order).
    pub me: Option<String>,
    /// For a roster, whether the bot is muted as the suite knows it (a provisioned call starts
    /// unmuted; a program's model follows mute and unmute): what a member held by the mute-state
    /// rule must say for the update to be this one.
    pub my_muted: Option<bool>,
}

impl ExpectedNotification {
    /// From a fixture whose envelope holds one item.
    pub fn from_fixture(f: &crate::contract::fixture::NotificationFixture) -> Result<ExpectedNotification, String> {
        let item = f.body.pointer("/value/0").ok_or_else(|| format!("{}: no /value/0 item", f.id))?;
        let rules = parse_rules(&f.rules)?.into_iter().map(|(k, r)| (neutral_pointer(&k), r)).collect();
        Ok(ExpectedNotification {
            id: f.id.clone(),
            item: neutral_item(item),
            rules,
            ordered: true,
            optional: false,
            me: None,
            my_muted: None,
        })
    }

    fn field(&self, ptr: &str) -> Option<&Value> {
        self.item.pointer(ptr)
    }

    /// Whether it is a roster update (its `resourceData` the call's participants): telling it from
    /// another needs the bot's own participant id.
    pub fn is_roster(&self) -> bool {
        self.item.pointer("/resourceData").is_some_and(Value::is_array)
    }

    /// One line naming what is expected: `deleted #microsoft.graph.call (state terminated)`.
    pub fn summary(&self) -> String {
        summary(&self.item)
    }

    /// What kind of notification it is, without the example's resource: `deleted #microsoft.graph.call (state terminated)`.
    pub fn kind(&self) -> String {
        describe(&self.item, false)
    }

    /// Whether a heard (neutral) item is this notification for this call: same changeType,
    /// resource type and state, a key pressed exactly when one is expected (a tone's call `updated`
    /// is not the call's own `established`, whichever arrives first), and a resource naming the call.
    fn matches(&self, actual: &Value, call_id: &str) -> bool {
        let same = |p: &str| self.field(p).is_none_or(|e| actual.pointer(p) == Some(e));
        let present = |p: &str| self.field(p).is_some() == actual.pointer(p).is_some();
        let about = |v: &Value| v.pointer("/resource").and_then(Value::as_str).and_then(resource_call);
        self.roster_says(actual)
            && same("/changeType")
            && same("/resourceData/@odata.type")
            && same("/resourceData/state")
            && present("/resourceData/toneInfo")
            && match (about(&self.item), about(actual)) {
                (Some((_, want)), Some((c, got))) => want == got && ids_equal(&c, call_id),
                _ => false,
            }
    }
}

impl ExpectedNotification {
    /// For an expected roster: whether `actual`'s member for the bot (by `me`; without it, any
    /// member) is muted and in the lobby as the documented first member is. True for anything else.
    fn roster_says(&self, actual: &Value) -> bool {
        let Some(documented) = self.item.pointer("/resourceData/0") else {
            return true;
        };
        let Some(members) = actual.pointer("/resourceData").and_then(Value::as_array) else {
            return false;
        };
        // What the documents write, or, for a property a rule holds (the bot's mute state), what the
        // suite knows of it: an update of another step says otherwise (mute's, after a role change).
        let want = |k: &str| match self.rules.get(&format!("/resourceData/0/{k}")) {
            Some(_) if k == "isMuted" => self.my_muted.map(Value::Bool),
            Some(_) => None,
            None => documented.get(k).cloned(),
        };
        let agrees = |m: &Value| {
            ["isMuted", "isInLobby"]
                .iter()
                .all(|k| want(k).is_none_or(|w| m.get(*k) == Some(&w)))
        };
        let mine = |m: &&Value| self.me.as_deref().is_none_or(|me| is_participant(m, me));
        members.iter().filter(mine).any(agrees)
    }
}

fn summary(item: &Value) -> String {
    describe(item, true)
}

/// `deleted #microsoft.graph.call /communications/calls/… (state terminated)`, the resource left out
/// unless `with_resource`.
fn describe(item: &Value, with_resource: bool) -> String {
    let s = |p: &str| item.pointer(p).and_then(Value::as_str).unwrap_or("?").to_string();
    if let Some(Value::Array(roster)) = item.get("resourceData") {
        let resource = if with_resource {
            format!(" {}", s("/resource"))
        } else {
            String::new()
        };
        let muted = roster.iter().filter(|m| m.get("isMuted") == Some(&Value::Bool(true))).count();
        return format!(
            "{} roster{resource} ({} participant(s), {muted} muted)",
            s("/changeType"),
            roster.len()
        );
    }
    let state = item
        .pointer("/resourceData/state")
        .and_then(Value::as_str)
        .map(|st| format!(" (state {st})"))
        .unwrap_or_default();
    let resource = if with_resource {
        format!(" {}", s("/resource"))
    } else {
        String::new()
    };
    format!("{} {}{resource}{state}", s("/changeType"), s("/resourceData/@odata.type"))
}

/// Every item a heard POST carried, neutral, with (delivery seq, index in envelope).
pub fn heard_items(heard: &[Heard]) -> Vec<((usize, usize), Value)> {
    let mut out = Vec::new();
    for h in heard {
        if let Ok(body) = serde_json::from_slice::<Value>(&h.body) {
            if let Some(items) = body.get("value").and_then(Value::as_array) {
                for (i, item) in items.iter().enumerate() {
                    out.push(((h.seq, i), neutral_item(item)));
                }
            }
        }
    }
    out
}

/// Whether every expected notification has been heard for this call (the listener's stop condition).
pub fn all_heard(expected: &[ExpectedNotification], heard: &[Heard], call_id: &str) -> bool {
    let items = heard_items(heard);
    expected
        .iter()
        .filter(|e| !e.optional)
        .all(|e| items.iter().any(|(_, a)| e.matches(a, call_id)))
}

/// The heard item `expected` claims among `items`, skipping the positions in `claimed`: one naming
/// `operation_id` when there is one (a call with several operations has several completed
/// notifications), else the first that matches the call.
pub fn find_heard<'i>(
    expected: &ExpectedNotification,
    items: &'i [((usize, usize), Value)],
    claimed: &[(usize, usize)],
    call_id: &str,
    operation_id: Option<&str>,
) -> Option<&'i ((usize, usize), Value)> {
    let mut candidates = items
        .iter()
        .filter(|(pos, a)| !claimed.contains(pos) && expected.matches(a, call_id))
        .peekable();
    let first = candidates.peek().copied();
    let names_operation = |a: &Value| operation_id.is_some_and(|want| names_operation(a, call_id, want));
    // Keys pressed one after another are separate deliveries, whose order is not promised (CONTRACT.md
    // 7.3): a tone claims the one with its sequenceId.
    let same_tone = |a: &Value| {
        let at = "/resourceData/toneInfo/sequenceId";
        expected.field(at).is_some_and(|want| a.pointer(at) == Some(want))
    };
    candidates.find(|(_, a)| names_operation(a) || same_tone(a)).or(first)
}

/// The notification half of an exchange, checked and projected. `heard` is everything the case's
/// callback received; `waited_ms` is how long the suite waited, for the message.
pub fn check_notifications(
    expected: &[ExpectedNotification],
    schemas: &Schemas,
    facts: &Facts,
    heard: &[Heard],
    waited_ms: u128,
    v: &mut Verdict,
) -> Vec<Value> {
    for h in heard {
        check_delivery(h, schemas, v);
    }
    check_notifications_claiming(expected, facts, &heard_items(heard), &mut Vec::new(), waited_ms, v)
}

/// [`check_notifications`] for one of several exchanges on a call that share an inbox: each
/// expected notification claims a heard item no earlier exchange claimed (added to `claimed`), and
/// deliveries are checked once for the inbox by the caller.
pub fn check_notifications_claiming(
    expected: &[ExpectedNotification],
    facts: &Facts,
    items: &[((usize, usize), Value)],
    claimed: &mut Vec<(usize, usize)>,
    waited_ms: u128,
    v: &mut Verdict,
) -> Vec<Value> {
    let heard_list = || {
        if items.is_empty() {
            "nothing".to_string()
        } else {
            items
                .iter()
                .map(|((s, i), a)| format!("#{s}.{i}: {}", summary(a)))
                .collect::<Vec<_>>()
                .join("; ")
        }
    };
    let mut projected = Vec::new();
    let mut last: Option<((usize, usize), &str)> = None;
    for (n, e) in expected.iter().enumerate() {
        let subject = format!("notification {} of {} ({})", n + 1, expected.len(), e.id);
        let found = find_heard(e, items, claimed, facts.call_id, facts.operation_id.as_deref());
        if e.optional {
            // Judged when it came; neither required nor pinned by the snapshot.
            if let Some((pos, actual)) = found {
                claimed.push(*pos);
                let walk = Walk {
                    rules: &e.rules,
                    facts,
                    subject: &format!("{subject} (may come or not)"),
                    aspect: Aspect::Notifications,
                };
                walk.at(&e.item, Some(actual), "", v);
            }
            continue;
        }
        let Some((pos, actual)) = found else {
            v.fail(
                Aspect::Notifications,
                Check::NotificationArrives,
                subject,
                format!(
                    "{} for call {}, within {waited_ms} ms (CONFORMANCE_NOTIFY_TIMEOUT_MS)",
                    e.summary(),
                    facts.call_id
                ),
                format!("not received; heard: {}", heard_list()),
            );
            projected.push(json!("[not received]"));
            continue;
        };
        claimed.push(*pos);
        if let Some((prev_pos, prev_id)) = last.filter(|_| e.ordered) {
            if *pos < prev_pos {
                v.fail(
                    Aspect::Notifications,
                    Check::NotificationOrder,
                    subject.clone(),
                    format!("after {prev_id}, as the documents order them"),
                    format!("arrived before it; heard in order: {}", heard_list()),
                );
            }
        }
        last = Some((*pos, e.id.as_str()));
        let walk = Walk {
            rules: &e.rules,
            facts,
            subject: &subject,
            aspect: Aspect::Notifications,
        };
        projected.push(walk.at(&e.item, Some(actual), "", v).unwrap_or(Value::Null));
    }
    projected
}

/// How many of the `heard` items name operation `operation_id` of call `call_id`, against how many
/// the documents expect (`expected` that name an operation): more is a second final notification of
/// one operation, which a bot would act on twice; for an operation answered already over
/// (`answered_final`: completed or failed), any is one too many (CONTRACT.md section 7.2).
pub fn check_operation_notified_once(
    expected: &[ExpectedNotification],
    heard: &[Heard],
    call_id: &str,
    operation_id: Option<&str>,
    answered_final: bool,
    v: &mut Verdict,
) {
    let Some(op) = operation_id else { return };
    let names_op = |item: &Value| names_operation(item, call_id, op);
    let allowed = expected.iter().filter(|e| names_op_pattern(&e.item)).count();
    let about: Vec<String> = heard_items(heard)
        .into_iter()
        .filter(|(_, a)| names_op(a))
        .map(|((s, i), a)| format!("#{s}.{i}: {}", summary(&a)))
        .collect();
    let expected_count = if allowed > 0 {
        format!("{allowed} (the operation's final notification, once)")
    } else {
        "none: an operation answered completed or failed gets no further notification (CONTRACT.md section 7.2)".to_string()
    };
    if (allowed > 0 || answered_final) && about.len() > allowed {
        v.fail(
            Aspect::Notifications,
            Check::OperationNotifiedOnce,
            format!("notifications of operation {op}"),
            expected_count,
            format!("{}: {}", about.len(), about.join("; ")),
        );
    }
}

/// Whether an expected item is about an operation (its resource is `…/operations/{id}`).
fn names_op_pattern(item: &Value) -> bool {
    item.pointer("/resource")
        .and_then(Value::as_str)
        .and_then(resource_ids)
        .is_some_and(|(_, o)| o.is_some())
}

/// Checks how one notification was delivered: a POST, as JSON, with a Bearer token, a commsNotifications body.
pub fn check_delivery(h: &Heard, schemas: &Schemas, v: &mut Verdict) {
    let subject = format!("notification delivery #{}", h.seq);
    if let Some(why) = &h.refused {
        v.fail(
            Aspect::Notifications,
            Check::NotificationDelivery,
            &subject,
            "a notification the listener accepts: at most 4 MiB, its headers and body each sent within 10 s",
            why.clone(),
        );
        return;
    }
    if h.method != "POST" {
        v.fail(
            Aspect::Notifications,
            Check::NotificationDelivery,
            &subject,
            "POST to the callbackUri",
            h.method.clone(),
        );
    }
    if let Some(actual) = not_json(h.header("content-type")) {
        v.fail(
            Aspect::Notifications,
            Check::NotificationDelivery,
            format!("{subject} Content-Type"),
            "application/json",
            actual,
        );
    }
    let bearer = h.header("authorization").is_some_and(|a| {
        a.split_once(' ')
            .is_some_and(|(scheme, cred)| scheme.eq_ignore_ascii_case("bearer") && !cred.trim().is_empty())
    });
    if !bearer {
        v.fail(
            Aspect::Notifications,
            Check::NotificationDelivery,
            format!("{subject} Authorization"),
            "a Bearer token (CONTRACT.md section 4)",
            h.header("authorization").map(|_| "not a Bearer token").unwrap_or("absent"),
        );
    }
    match serde_json::from_slice::<Value>(&h.body) {
        Ok(body) => v.schema_errors(
            Aspect::Notifications,
            Check::NotificationSchema,
            &subject,
            schemas.validate("commsNotifications", &body),
            &body,
        ),
        Err(e) => v.fail(
            Aspect::Notifications,
            Check::NotificationSchema,
            subject,
            "a commsNotifications JSON body",
            format!("not JSON ({e}): {}", preview(&h.body, 300)),
        ),
    }
}

/// Whether a heard item is a `deleted` notification for call `call_id`.
pub fn is_call_deleted(item: &Value, call_id: &str) -> bool {
    item.pointer("/changeType").and_then(Value::as_str) == Some("deleted") && names(item, call_id, false)
}

/// Whether a (neutral) item's resource is operation `op` of call `call_id`.
pub fn names_operation(item: &Value, call_id: &str, op: &str) -> bool {
    item.pointer("/resource")
        .and_then(Value::as_str)
        .and_then(resource_ids)
        .is_some_and(|(c, o)| ids_equal(&c, call_id) && o.is_some_and(|o| ids_equal(&o, op)))
}

/// Whether `item`'s resource is call `call_id` itself (`operation` false) or one of its operations.
fn names(item: &Value, call_id: &str, operation: bool) -> bool {
    item.pointer("/resource")
        .and_then(Value::as_str)
        .and_then(resource_ids)
        .is_some_and(|(c, op)| op.is_some() == operation && ids_equal(&c, call_id))
}

/// Whether `item` says call `call_id` has ended or is ending (a `deleted` call, or a
/// terminating/terminated state).
pub fn says_ended(item: &Value, call_id: &str) -> bool {
    let state = item.pointer("/resourceData/state").and_then(Value::as_str);
    is_call_deleted(item, call_id) || (names(item, call_id, false) && matches!(state, Some("terminating" | "terminated")))
}

/// Whether `item` is what an operation on call `call_id` causes: a notification of one of its
/// operations, or one saying the call ended. What a refused request must not cause; a call's own
/// announcement (`created`, or `updated` with its state, as a provisioned call may get) is not.
pub fn effect_of_an_operation(item: &Value, call_id: &str) -> bool {
    // Not a roster update: one an earlier step may cause (changeScreenSharingRole's, optional and
    // never waited for) can come late, into the quiet window of a refused step after it.
    names(item, call_id, true) || says_ended(item, call_id)
}
