//! Judging a program: each step by the same checks the documented and negative cases use, with
//! the lifecycle model's expectation in place of a single fixture, and each call's notifications
//! attributed to the steps that must have caused them.
//!
//! Pure. The runner (`running::explore`) sends, waits and records; this module only judges.

use serde_json::{json, Value};

use super::judge::request_notifications;
use super::notifications::{check_delivery, check_notifications_claiming, find_heard, heard_items, says_ended, ExpectedNotification};
use super::response::{check_error_answer, check_response};
use super::rules::Facts;
use super::verdict::{Aspect, Check, Finding, Verdict};
use crate::contract::case::Case;
use crate::contract::fixture::NegativeFixture;
use crate::contract::ids::{ids_equal, resource_ids};
use crate::contract::lifecycle::{rules, Answer, CallState, Expectation, Far};
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
        Ok(Plan {
            step,
            expectation,
            case,
            negative,
            notifications,
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
            let n: Vec<String> = self.notifications.iter().map(|e| e.kind()).collect();
            format!(", then {}", n.join(" then "))
        };
        format!("{answer}{notes}; call {} is then {}", self.step.call, self.expectation.after.name())
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
}

/// Judges the answer to one step, as the documented case or the negative rule would, and returns
/// the operationId its `Location` names.
pub fn judge_answer(plan: &Plan, call_id: &str, req: &SentRequest, obs: &Observed, v: &mut Verdict) -> Option<String> {
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
    for s in steps {
        for e in &s.plan.notifications {
            match find_heard(e, &items, &claimed, call_id, s.operation_id.as_deref()) {
                Some((pos, _)) => claimed.push(*pos),
                None => return false,
            }
        }
    }
    true
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
    for s in steps.iter_mut() {
        let facts = Facts {
            call_id,
            operation_id: s.operation_id.clone(),
            request_body: s.request.body.as_ref(),
            corpus: corpus(),
        };
        check_notifications_claiming(&s.plan.notifications, &facts, &items, &mut claimed, waited_ms, &mut s.verdict);
    }
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
