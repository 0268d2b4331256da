//! Judging a program: each step by the same checks the documented and negative cases use, with
//! the lifecycle model's expectation in place of a single fixture, and each call's notifications
//! attributed to the steps that must have caused them.
//!
//! Pure. The runner (`running::explore`) sends, waits and records; this module only judges.

use serde_json::{json, Value};

use super::judge::request_notifications;
use super::notifications::{
    check_delivery, check_notifications_claiming, check_operation_notified_once, find_heard, heard_items, names_operation, says_ended,
    ExpectedNotification,
};
use super::response::{check_error_answer, check_response};
use super::rules::Facts;
use super::verdict::{Aspect, Check, Finding, Verdict};
use crate::contract::case::Case;
use crate::contract::fixture::NegativeFixture;
use crate::contract::ids::{ids_equal, resource_ids};
use crate::contract::lifecycle::{media_fates, rules, Answer, CallState, Expectation, Far, MediaFate};
use crate::contract::steps::{Program, Step};
use crate::contract::{corpus, schemas};
use crate::wire::listener::Heard;
use crate::wire::target::{Observed, SentRequest};

/// What the model and the fixtures say of one step, before it is sent.
#[derive(Debug, Clone)]
pub struct Plan {
    /// The step.
    pub step: Step,
    /// The model's word on it.
    pub expectation: Expectation,
    /// The documented example it sends (or, for bad input, the operation's example it changes);
    /// `None` for a stimulus, which sends no request to the Calls API.
    pub case: Option<Case<'static>>,
    /// The negative fixture it sends, for bad input.
    pub negative: Option<&'static NegativeFixture>,
    /// The notifications it must cause (the example's, when the model expects the documented
    /// exchange; the stimulus's, as the model numbers them).
    pub notifications: Vec<ExpectedNotification>,
    /// For a media operation the model expects to succeed, the notification it gets instead when a
    /// cancel ends it (its row's `cancelled`).
    pub cancelled: Option<ExpectedNotification>,
    /// For a media operation a later step may end: what may become of it, and the program's index
    /// of that step (set by [`note_media_fates`], for the message).
    pub media_fate: Option<(MediaFate, usize)>,
}

impl Plan {
    /// The plan of `step`, whose example (or the operation's, for bad input) is `case`.
    pub fn new(
        step: Step,
        expectation: Expectation,
        case: Option<Case<'static>>,
        negative: Option<&'static NegativeFixture>,
    ) -> Result<Plan, String> {
        let notifications = match (&expectation.answer, &case, &expectation.far) {
            (Answer::Documented, Some(case), _) => request_notifications(case)?,
            (Answer::Stimulated, _, Some(far)) => vec![far_notification(far)?],
            _ => Vec::new(),
        };
        let cancelled = match (&expectation.answer, step.sends()) {
            (Answer::Documented, Some(op)) => corpus()
                .cancelled_notification(op)
                .map(ExpectedNotification::from_fixture)
                .transpose()?,
            _ => None,
        };
        Ok(Plan {
            step,
            expectation,
            case,
            negative,
            notifications,
            cancelled,
            media_fate: None,
        })
    }

    /// What the model expects, in words: `204 and the documented exchange of call-delete (call A ends)`.
    pub fn expected_line(&self) -> String {
        let answer = match (&self.expectation.answer, &self.case) {
            (Answer::Documented, Some(case)) => format!("the documented exchange of {} ({})", case.id(), case.response.status),
            (Answer::Documented, None) => "the documented exchange".to_string(),
            (Answer::Error(status), _) => format!("{status} and the Graph error object"),
            (Answer::Unspecified, _) => "any status (the contract names none)".to_string(),
            (Answer::Stimulated, _) => "202 from the provisioning hook".to_string(),
        };
        let notes = if self.notifications.is_empty() {
            match self.expectation.answer {
                Answer::Stimulated => ", then no notification".to_string(),
                _ => String::new(),
            }
        } else {
            let n: Vec<String> = self
                .notifications
                .iter()
                .map(|e| match e.optional {
                    true => format!("{} (may come or not)", e.kind()),
                    false => e.kind(),
                })
                .collect();
            format!(", then {}", n.join(" then "))
        };
        let fate = match (self.media_fate, &self.cancelled) {
            (Some((MediaFate::CompletesOrCancelled { .. }, by)), Some(c)) => format!(
                " (or, if the cancel of step {} ended it first, {} with status failed, resultInfo 400/8508)",
                by + 1,
                c.kind()
            ),
            (Some((MediaFate::Unsaid { .. }, by)), _) => {
                format!(" (or nothing, if it still ran when step {} ended the call: not said)", by + 1)
            }
            _ => String::new(),
        };
        format!(
            "{answer}{notes}{fate}; call {} is then {}",
            self.step.call,
            self.expectation.after.name()
        )
    }

    /// The rule of the contract the step is held to.
    pub fn rule(&self) -> String {
        match self.negative {
            Some(neg) => format!("{} — {}", neg.rule, self.expectation.rule),
            None => self.expectation.rule.to_string(),
        }
    }
}

/// The notification `far` must cause: the documented one, numbered and keyed as the model says.
fn far_notification(far: &Far) -> Result<ExpectedNotification, String> {
    let fixture = corpus()
        .far_notification(far)
        .ok_or_else(|| format!("no notification fixture shows {far:?}"))?;
    let mut expected = ExpectedNotification::from_fixture(fixture)?;
    if let (Far::Tone { sequence, tone }, Some(info)) = (far, expected.item.pointer_mut("/resourceData/toneInfo")) {
        info["sequenceId"] = json!(sequence);
        info["tone"] = json!(tone);
    }
    Ok(expected)
}

/// One step as it ran: what was sent, what came back, and its verdict.
#[derive(Debug, Clone)]
pub struct StepRun {
    /// The plan it followed.
    pub plan: Plan,
    /// The path it was sent to, relative to the target's base URL.
    pub path: String,
    /// The request sent.
    pub request: SentRequest,
    /// The answer, when there was one.
    pub response: Option<Observed>,
    /// The operationId of `Location`, once the answer named one.
    pub operation_id: Option<String>,
    /// The checks' conclusion on this step (its answer, then its notifications).
    pub verdict: Verdict,
    /// How many deliveries its call's inbox held when the request was sent: what came until then
    /// came while the call was as the steps before left it.
    pub heard_before: usize,
    /// The bot's own participant in its call, where the step read it (a step on the roster).
    pub my_participant: Option<String>,
}

/// Judges the answer to one step, as the documented case or the negative rule would, and returns
/// the operationId its `Location` names.
/// `on` is the call and, where the step read it, the bot's own participant in it.
pub fn judge_answer(plan: &Plan, on: (&str, Option<&str>), req: &SentRequest, obs: &Observed, v: &mut Verdict) -> Option<String> {
    let (call_id, my_participant) = on;
    let Some(case) = &plan.case else {
        return None; // a stimulus: the runner judged the hook's answer
    };
    match plan.expectation.answer {
        Answer::Documented => {
            let mut facts = Facts {
                call_id,
                operation_id: None,
                request_body: req.body.as_ref(),
                corpus: corpus(),
                call_state: plan.expectation.after.live_name(),
                my_participant,
                my_muted: Some(plan.expectation.muted),
            };
            check_response(case, schemas(), &mut facts, obs, v);
            facts.operation_id
        }
        Answer::Error(status) => {
            check_error_answer(&plan.rule(), Some(status), schemas(), obs, v);
            None
        }
        Answer::Stimulated => None,
        Answer::Unspecified => {
            v.infos
                .push(format!("{} answered {} ({})", case.operation, obs.status, plan.expectation.rule));
            None
        }
    }
}

/// Checks that `operation_id` (the one a step's `Location` names) is none an `earlier` step of the
/// program got: a repetition gets an operation id of its own.
pub fn check_fresh_operation_id(operation_id: Option<&str>, earlier: &[StepRun], v: &mut Verdict) {
    let Some(op) = operation_id else { return };
    if let Some((n, _)) = earlier
        .iter()
        .enumerate()
        .find(|(_, e)| e.operation_id.as_deref().is_some_and(|o| ids_equal(o, op)))
    {
        v.fail(
            Aspect::Headers,
            Check::FreshOperationId,
            "header Location",
            format!("an operation id of its own — {}", rules::REPEATABLE),
            format!("{op}, the operation id step {} got", n + 1),
        );
    }
}

/// Whether every notification the steps on one call must cause has been heard, each claiming an
/// item of its own.
pub fn all_heard_on_call(steps: &[&StepRun], heard: &[Heard], call_id: &str) -> bool {
    let items = heard_items(heard);
    let mut claimed = Vec::new();
    let fates = fates(steps.iter().map(|s| &s.plan));
    for (s, fate) in steps.iter().zip(fates) {
        match (fate, s.operation_id.as_deref()) {
            // Completed or cancelled: whichever came is its final notification.
            (Some(MediaFate::CompletesOrCancelled { .. }), Some(op)) => {
                match naming(&items, &claimed, call_id, op) {
                    Some(came) => claimed.push(came.pos),
                    None => return false,
                }
                continue;
            }
            // An ended call's media operation may get none.
            (Some(MediaFate::CompletesOrCancelled { .. } | MediaFate::Unsaid { .. }), _) => continue,
            (None | Some(MediaFate::Completes), _) => {}
        }
        for e in s.plan.notifications.iter().filter(|e| !e.optional) {
            match find_heard(e, &items, &claimed, call_id, s.operation_id.as_deref()) {
                Some((pos, _)) => claimed.push(*pos),
                None => return false,
            }
        }
    }
    true
}

/// Notes on each plan of a program's media operations what a later step on its call may make of it
/// (a cancel, the call's end), for the failure message.
pub fn note_media_fates(plans: &mut [Plan]) {
    let mut roles: Vec<char> = plans.iter().map(|p| p.step.call).collect();
    roles.sort_unstable();
    roles.dedup();
    for role in roles {
        let on_call: Vec<usize> = (0..plans.len()).filter(|&i| plans[i].step.call == role).collect();
        let fates = fates(on_call.iter().map(|&i| &plans[i]));
        for (n, fate) in fates.into_iter().enumerate() {
            let by = match fate {
                Some(MediaFate::CompletesOrCancelled { by } | MediaFate::Unsaid { by }) => on_call[by],
                _ => continue,
            };
            plans[on_call[n]].media_fate = fate.map(|f| (f, by));
        }
    }
}

/// The fate of each step's media operation (`media_fates` over the plans of one call's steps).
fn fates<'a>(plans: impl Iterator<Item = &'a Plan>) -> Vec<Option<MediaFate>> {
    let rows: Vec<(Option<&crate::contract::operation::OperationRow>, &Expectation)> = plans
        .map(|p| (p.step.sends().map(|op| corpus().operations.row(op)), &p.expectation))
        .collect();
    media_fates(&rows)
}

/// The first heard item not in `claimed` whose resource is operation `op` of call `call_id`, with
/// whether it says the operation failed.
fn naming(items: &[((usize, usize), Value)], claimed: &[(usize, usize)], call_id: &str, op: &str) -> Option<Came> {
    items
        .iter()
        .find(|(pos, a)| !claimed.contains(pos) && names_operation(a, call_id, op))
        .map(|(pos, a)| Came {
            pos: *pos,
            failed: failed(a),
        })
}

/// A media operation's final notification as heard: where, and whether it says it failed.
#[derive(Clone, Copy, Debug)]
struct Came {
    pos: (usize, usize),
    failed: bool,
}

/// A media step, as the queue check reads it: its fate, its operation (for messages), and its
/// final notification if one came.
struct Finished {
    fate: MediaFate,
    op: String,
    came: Option<Came>,
}

/// Whether a (neutral) item says its operation failed, in either spelling.
fn failed(item: &Value) -> bool {
    item.pointer("/resourceData/status")
        .and_then(Value::as_str)
        .is_some_and(|st| st.eq_ignore_ascii_case("failed"))
}

/// What a step's notifications must be, given its media operation's fate and what came: the
/// documented ones, the cancelled one when a cancel may have ended it and its notification says it
/// failed, or none to judge when the call ended under it and it was not notified completed.
fn expected_for(plan: &Plan, fate: Option<MediaFate>, came: Option<Came>) -> &[ExpectedNotification] {
    match (fate, came, &plan.cancelled) {
        (Some(MediaFate::CompletesOrCancelled { .. }), Some(Came { failed: true, .. }), Some(cancelled)) => std::slice::from_ref(cancelled),
        (Some(MediaFate::Unsaid { .. }), None | Some(Came { failed: true, .. }), _) => &[],
        _ => &plan.notifications,
    }
}

/// Judges one step's notifications among a call's `items` (claiming what it takes): the documented
/// ones, or for a media operation whichever final notification its fate allows, once; returns the
/// media operation's outcome for the queue check.
fn judge_step_notifications(
    s: &mut StepRun,
    fate: Option<MediaFate>,
    items: &[((usize, usize), Value)],
    claimed: &mut Vec<(usize, usize)>,
    heard: &[Heard],
    call_id: &str,
    waited_ms: u128,
) -> Option<Finished> {
    let facts = Facts {
        call_id,
        operation_id: s.operation_id.clone(),
        request_body: s.request.body.as_ref(),
        corpus: corpus(),
        call_state: None,
        my_participant: s.my_participant.as_deref(),
        my_muted: Some(s.plan.expectation.muted),
    };
    let came = s.operation_id.as_deref().and_then(|op| naming(items, claimed, call_id, op));
    let expected = expected_for(&s.plan, fate, came).to_vec();
    if let (Some(MediaFate::CompletesOrCancelled { .. }), None, Some(cancelled)) = (fate, came, &s.plan.cancelled) {
        let completed: Vec<String> = s.plan.notifications.iter().map(|e| e.kind()).collect();
        s.verdict.fail(
            Aspect::Notifications,
            Check::NotificationArrives,
            format!("the final notification of operation {}", s.operation_id.as_deref().unwrap_or("?")),
            format!(
                "one, within {waited_ms} ms: {} as documented, or {} ({}) if the cancelMediaProcessing after it ended it — {}",
                completed.join(" then "),
                cancelled.kind(),
                cancelled.id,
                rules::MEDIA
            ),
            "not received",
        );
    } else {
        check_notifications_claiming(&expected, &facts, items, claimed, waited_ms, &mut s.verdict);
    }
    let answered_final = s.plan.case.as_ref().is_some_and(|c| c.response.answers_final());
    let answered = matches!(s.plan.expectation.answer, Answer::Documented);
    if answered && (fate.is_some() || answered_final) {
        check_operation_notified_once(&expected, heard, call_id, s.operation_id.as_deref(), answered_final, &mut s.verdict);
    }
    let (fate, op) = (fate?, s.operation_id.as_deref()?);
    Some(Finished {
        fate,
        op: named_operation(s, op),
        came,
    })
}

/// Judges the notifications one call heard: each delivery, each step's expected notifications
/// (added to that step's verdict), and, for a call the model says is still alive, that none says
/// it ended (added to `after`).
pub fn judge_call_notifications(
    steps: &mut [&mut StepRun],
    heard: &[Heard],
    call_id: &str,
    state: CallState,
    waited_ms: u128,
    after: &mut Verdict,
) {
    for h in heard {
        check_delivery(h, schemas(), after);
    }
    let items = heard_items(heard);
    let mut claimed = Vec::new();
    let fates = fates(steps.iter().map(|s| &s.plan));
    let mut finished = Vec::new();
    for (s, fate) in steps.iter_mut().zip(fates.iter().copied()) {
        finished.extend(judge_step_notifications(s, fate, &items, &mut claimed, heard, call_id, waited_ms));
    }
    check_media_order(&finished, &items, call_id, after);
    // A key is notified once per press, and only on a call subscribed to tones: a tone no step
    // claimed came to a call that had not subscribed, or twice.
    for ((seq, i), item) in items
        .iter()
        .filter(|(pos, item)| !claimed.contains(pos) && item.pointer("/resourceData/toneInfo").is_some())
    {
        after.fail(
            Aspect::Notifications,
            Check::ToneOnlyWhenSubscribed,
            format!("notification #{seq}.{i} for call {call_id}"),
            format!(
                "a tone notified once per key pressed, and only after the call subscribed to tones — {}",
                rules::TONE
            ),
            item.to_string(),
        );
    }
    // The call was alive until the request of the step that ended it was sent (or for ever): a
    // notification saying it ended that came before then is a live call notified as ended.
    let ending = steps
        .iter()
        .find(|s| matches!(s.plan.expectation.after, CallState::Ended(_)) && s.verdict.passed());
    let alive_until = match (state.live(), ending) {
        (true, _) => usize::MAX,
        (false, Some(step)) => step.heard_before,
        (false, None) => 0,
    };
    for ((seq, i), item) in items
        .iter()
        .filter(|((seq, _), item)| *seq <= alive_until && says_ended(item, call_id))
    {
        after.fail(
            Aspect::Notifications,
            Check::NoDeletedNotification,
            format!("notification #{seq}.{i} for call {call_id}"),
            format!("none saying the call ended while it lived — {}", rules::NOT_ENDED),
            item.to_string(),
        );
    }
    // Every operation a notification names was started by a step the target accepted: one that
    // names another was caused by a refused request, or by nothing.
    let started: Vec<&str> = steps.iter().filter_map(|s| s.operation_id.as_deref()).collect();
    for ((seq, i), item) in &items {
        let named = item.pointer("/resource").and_then(Value::as_str).and_then(resource_ids);
        let Some((call, Some(op))) = named else { continue };
        if ids_equal(&call, call_id) && !started.iter().any(|s| ids_equal(s, &op)) {
            after.fail(
                Aspect::Notifications,
                Check::NoNotificationWhenRefused,
                format!("notification #{seq}.{i} for call {call_id}"),
                format!(
                    "only notifications of operations an accepted step started ({}): a refused request causes no notification (CONTRACT.md section 3)",
                    if started.is_empty() { "none".to_string() } else { started.join(", ") }
                ),
                item.to_string(),
            );
        }
    }
}

/// Operation `op` of a step, for messages: `8f61… (playPrompt, clientContext "third")`.
fn named_operation(s: &StepRun, op: &str) -> String {
    let what = s.plan.step.sends().map_or("?", |o| o.name());
    match s.request.body.as_ref().and_then(|b| b.get("clientContext")) {
        Some(cc) => format!("{op} ({what}, clientContext {cc})"),
        None => format!("{op} ({what})"),
    }
}

/// Checks that a call's media operations finished as a queue does (CONTRACT.md 7.3): those
/// completed were notified in the order they were accepted, and of those a cancel may have ended, none
/// completed after one accepted before it was cancelled (the cancel ends the running one and every one
/// queued behind it). `finished` is each media step's fate, operation id and final notification, in
/// the order the steps were accepted.
fn check_media_order(finished: &[Finished], items: &[((usize, usize), Value)], call_id: &str, after: &mut Verdict) {
    let item_at = |pos: (usize, usize)| {
        items
            .iter()
            .find(|(p, _)| *p == pos)
            .map(|(_, a)| a.to_string())
            .unwrap_or_default()
    };
    let mut last_completed: Option<(&str, (usize, usize))> = None;
    for Finished { op, came, .. } in finished {
        let Some(Came { pos, failed: false }) = came else { continue };
        if let Some((before, at)) = last_completed.filter(|(_, at)| pos < at) {
            after.fail(
                Aspect::Notifications,
                Check::MediaInOrder,
                format!("the completion of operation {op} of call {call_id}"),
                format!("after the completion of operation {before}, accepted before it — {}", rules::MEDIA),
                format!(
                    "notification #{}.{} came before #{}.{}: {}",
                    pos.0,
                    pos.1,
                    at.0,
                    at.1,
                    item_at(*pos)
                ),
            );
        }
        last_completed = Some((op, *pos));
    }
    let mut cancelled_by: Vec<(usize, &str)> = Vec::new();
    for Finished { fate, op, came } in finished {
        let MediaFate::CompletesOrCancelled { by } = fate else { continue };
        match came {
            Some(Came { failed: true, .. }) => cancelled_by.push((*by, op)),
            Some(Came { pos, failed: false }) => {
                if let Some((_, first)) = cancelled_by.iter().find(|(b, _)| b == by) {
                    after.fail(
                        Aspect::Notifications,
                        Check::MediaInOrder,
                        format!("operation {op} of call {call_id}"),
                        format!(
                            "cancelled: it was accepted after operation {first}, which the same cancelMediaProcessing ended, so it was still queued — {}",
                            rules::MEDIA
                        ),
                        format!("completed: {}", item_at(*pos)),
                    );
                }
            }
            None => {}
        }
    }
}

/// One program as it ran.
#[derive(Debug, Clone)]
pub struct ProgramRun {
    /// The program.
    pub program: Program,
    /// Each call's id, by role.
    pub call_ids: Vec<String>,
    /// The steps that ran, in order (a program stops at its first failing step).
    pub steps: Vec<StepRun>,
    /// Why it could not run, if it could not.
    pub setup: Option<Finding>,
    /// What must hold after the steps (deliveries; no call notified as ended while alive).
    pub after: Verdict,
    /// Every POST each call's inbox heard, by role.
    pub heard: Vec<Vec<Heard>>,
}

impl ProgramRun {
    /// A run of `program` that has not started yet.
    pub fn new(program: &Program) -> ProgramRun {
        ProgramRun {
            program: program.clone(),
            call_ids: Vec::new(),
            steps: Vec::new(),
            setup: None,
            after: Verdict::default(),
            heard: Vec::new(),
        }
    }

    /// Whether every step and what must hold after them passed.
    pub fn passed(&self) -> bool {
        self.setup.is_none() && self.after.passed() && self.steps.iter().all(|s| s.verdict.passed())
    }

    /// Every check that failed, for the detection matrix.
    pub fn failed_checks(&self) -> Vec<Check> {
        let steps = self.steps.iter().flat_map(|s| s.verdict.findings.iter());
        let all = steps.chain(self.after.findings.iter()).chain(self.setup.iter());
        all.map(|f| f.check).collect()
    }
}
