//! Judging one exchange: the record of a case's run, and the pure function that turns what was
//! sent, answered and heard into a verdict and the projection a snapshot pins.
//!
//! Pure: the same `judge` judges a live target and the documents' own examples.

use serde_json::{json, Value};

use super::notifications::{check_notifications, check_operation_notified_once, ExpectedNotification};
use super::response::check_response;
use super::rules::Facts;
use super::verdict::{Aspect, Check, Finding, Verdict};
use crate::contract::case::Case;
use crate::contract::family::Family;
use crate::contract::operation::{Live, On};
use crate::contract::{corpus, schemas};
use crate::wire::listener::Heard;
use crate::wire::secret::redact_header;
use crate::wire::target::{Observed, SentRequest};

/// One case run on one family: what was sent, what came back, and the verdict.
#[derive(Debug, Clone)]
pub struct CaseRun {
    /// The case id.
    pub case_id: String,
    /// The family it ran on.
    pub family: Family,
    /// The provisioned call.
    pub call_id: Option<String>,
    /// The request sent (when it got that far).
    pub request: Option<SentRequest>,
    /// The answer (when there was one).
    pub response: Option<Observed>,
    /// Every POST the case's callback heard.
    pub heard: Vec<Heard>,
    /// The checks' conclusion.
    pub verdict: Verdict,
    /// What the snapshot pins (`null` when the case could not run).
    pub projection: Value,
}

impl CaseRun {
    /// A run of `case_id` on `family` that has not started yet.
    pub fn new(case_id: String, family: Family) -> CaseRun {
        CaseRun {
            case_id,
            family,
            call_id: None,
            request: None,
            response: None,
            heard: Vec::new(),
            verdict: Verdict::default(),
            projection: Value::Null,
        }
    }
}

/// A case that could not run: `subject` says what was being attempted.
pub fn setup_finding(subject: &str, expected: &str, actual: String) -> Finding {
    Finding {
        aspect: Aspect::Setup,
        check: Check::Setup,
        subject: subject.into(),
        expected: expected.into(),
        actual,
        schema: None,
    }
}

/// Checks one observed exchange of `case` on call `call_id` and projects it for the snapshot.
/// `waited_ms` is how long notifications were awaited, for messages.
/// Pure: the same function judges a live target and the documents' own examples.
pub fn judge(case: &Case, call_id: &str, req: &SentRequest, obs: &Observed, heard: &[Heard], waited_ms: u128) -> (Verdict, Value) {
    match expected_notifications(case) {
        Ok(expected) => judge_with(case, &expected, (call_id, None), req, obs, heard, waited_ms),
        Err(e) => (
            Verdict {
                findings: vec![setup_finding("the fixtures", "valid notification fixtures", e)],
                infos: Vec::new(),
            },
            Value::Null,
        ),
    }
}

/// The notifications `case` expects, parsed once per run: the request's, then its stimulus's.
pub fn expected_notifications(case: &Case) -> Result<Vec<ExpectedNotification>, String> {
    let mut all = request_notifications(case)?;
    for n in &case.stimulus_notifications {
        all.push(ExpectedNotification::from_fixture(n)?);
    }
    Ok(all)
}

/// The notifications `case`'s request causes by itself (not its stimulus's), then those its edition
/// lets it cause or not.
pub fn request_notifications(case: &Case) -> Result<Vec<ExpectedNotification>, String> {
    let ordered = !case.op.notifications_in_any_order;
    let required = case.notifications.iter().map(|n| (n, ordered, false));
    let optional = case.optional_notifications.iter().map(|n| (n, false, true));
    required
        .chain(optional)
        .map(|(n, ordered, optional)| ExpectedNotification::from_fixture(n).map(|e| ExpectedNotification { ordered, optional, ..e }))
        .collect()
}

/// [`judge`] with the expected notifications already parsed (as `run_case` has them for its wait),
/// on `(call id, the bot's own participant in it where the suite read it)`.
pub fn judge_with(
    case: &Case,
    expected: &[ExpectedNotification],
    (call_id, my_participant): (&str, Option<&str>),
    req: &SentRequest,
    obs: &Observed,
    heard: &[Heard],
    waited_ms: u128,
) -> (Verdict, Value) {
    let mut verdict = Verdict::default();
    let mut facts = Facts {
        call_id,
        operation_id: None,
        request_body: req.body.as_ref(),
        corpus: corpus(),
        call_state: case.fixture.call.map(Live::name),
        my_participant,
        // A provisioned call's bot is not muted: its audio is active (CONTRACT.md section 5).
        my_muted: case.fixture.call.map(|_| false),
    };
    let response = check_response(case, schemas(), &mut facts, obs, &mut verdict);
    let notifications = check_notifications(expected, schemas(), &facts, heard, waited_ms, &mut verdict);
    check_operation_notified_once(
        expected,
        heard,
        call_id,
        facts.operation_id.as_deref(),
        case.response.answers_final(),
        &mut verdict,
    );
    (verdict, projection(case, req, response, notifications))
}

/// The whole exchange as the snapshot pins it: family, ids and hosts replaced by placeholders.
fn projection(case: &Case, req: &SentRequest, mut response: Value, notifications: Vec<Value>) -> Value {
    let action = case.op.action.as_deref().map(|a| format!("/{a}")).unwrap_or_default();
    let path = if case.op.creates() {
        "[family]/calls".to_string()
    } else if case.op.on == On::Participant {
        format!("[family]/calls/[call-id]/participants/[participant-id]{action}")
    } else {
        format!("[family]/calls/[call-id]{action}")
    };
    let mut headers = serde_json::Map::new();
    for (k, v) in &req.headers {
        headers.insert(k.clone(), json!(redact_header(k, v)));
    }
    // The callback the suite put in the body (answer's callbackUri) is its listener's, different every run.
    // An answer that echoes it (create call's call) echoes that same value.
    let mut body = req.body.clone();
    for pointer in case.fixture.substitute.keys() {
        let sent = body.as_ref().and_then(|b| b.pointer(pointer)).cloned();
        if let Some(slot) = body.as_mut().and_then(|b| b.pointer_mut(pointer)) {
            *slot = json!("[the suite's callback]");
        }
        if let Some(slot) = response
            .pointer_mut(&format!("/body{pointer}"))
            .filter(|v| sent.as_ref() == Some(&**v))
        {
            *slot = json!("[the suite's callback]");
        }
    }
    json!({
        "request": {"method": req.method, "path": path, "headers": headers, "body": body},
        "response": response,
        "notifications": notifications,
    })
}
