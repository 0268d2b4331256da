//! Running a case: one shared runtime, and the case pipeline
//! fixture -> request -> target -> response -> checks -> verdict against an `embedded::Env`.
//!
//! Every case runs on one process-wide multi-thread runtime, whatever test thread asked for it:
//! the listener, the double's dispatcher and the HTTP client's connection pool live there, so
//! they outlive any single test.

use std::future::Future;
use std::io::Write;
use std::sync::{Arc, OnceLock};
use strum::IntoEnumIterator;

use serde_json::Value;

use super::config::Config;
use super::embedded::Env;
use crate::bot::replay::{Replay, Variant};
use crate::contract::case::{Case, Origin, OriginKind};
use crate::contract::family::Family;
use crate::contract::fixture::{ExpectedStatus, Level, NegativeCall, NegativeFixture};
use crate::contract::operation::{Ending, Live, Operation, OperationRow};
use crate::contract::stimulus::{Stimulus, StimulusAnswer};
use crate::contract::variations::{bad_input, valid_forms, Expect, Variation, HTTPS_CALLBACK};
use crate::contract::{corpus, schemas};
use crate::judging::judge::{expected_notifications, judge_with, setup_finding, CaseRun};
use crate::judging::notifications::{all_heard, effect_of_an_operation, heard_items, is_call_deleted, ExpectedNotification};
use crate::judging::response::{check_error_answer, created_call};
use crate::judging::verdict::{Aspect, Check, Finding, Verdict};
use crate::wire::listener::{Heard, Inbox};
use crate::wire::target::{Observed, SentRequest};

/// The process-wide runtime every case runs on. It has more workers than a CI machine has cores:
/// judging a case is CPU work done between awaits, and with one worker per core a burst of it (the
/// detection matrix runs hundreds of cases at once) kept other cases' answers unread past their
/// deadlines, failing them with false timeouts. Extra workers let the OS share the cores instead.
pub fn runtime() -> &'static tokio::runtime::Runtime {
    static RT: OnceLock<tokio::runtime::Runtime> = OnceLock::new();
    RT.get_or_init(|| {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(8)
            .thread_name("conformance")
            .enable_all()
            .build()
            .expect("cannot start the tokio runtime")
    })
}

/// Runs `fut` on the shared runtime and waits for it.
pub fn block_on<F: Future + Send + 'static>(fut: F) -> F::Output
where
    F::Output: Send + 'static,
{
    let rt = runtime();
    match rt.block_on(rt.spawn(fut)) {
        Ok(out) => out,
        Err(e) if e.is_panic() => {
            // The panic hook printed the message on a runtime worker, whose output the test harness
            // files under whichever test started the runtime: lost when that one passes (a failing
            // test once showed no message at all). Panic again here, so the message is this test's.
            let payload = e.into_panic();
            let message = payload
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| payload.downcast_ref::<&str>().map(|m| (*m).to_string()));
            match message {
                Some(m) => panic!("{m}"),
                None => std::panic::resume_unwind(payload),
            }
        }
        Err(e) => panic!("a case's task was cancelled: {e}"),
    }
}

/// The environment of `CONFORMANCE_*` variables, started once per process.
pub fn env() -> &'static Env {
    static E: OnceLock<Result<Env, String>> = OnceLock::new();
    let started = E.get_or_init(|| {
        let started = Config::from_env()
            .map_err(|e| e.to_string())
            .and_then(|config| block_on(Env::start(config)));
        // libtest captures each test's print!/eprint!, not writes to the stderr handle: so a CI log
        // says what was tested even when every case passes, and why nothing ran when it cannot start.
        let line = match &started {
            Ok(env) => env.summary(),
            Err(e) => format!("conformance: cannot start: {e}"),
        };
        let _ = writeln!(std::io::stderr(), "{line}");
        started
    });
    match started {
        Ok(env) => env,
        Err(e) => panic!("the suite cannot start: {e}"),
    }
}

/// Hosts where destructive cases are refused unless `CONFORMANCE_ALLOW_PRODUCTION=1`.
pub const PRODUCTION_HOSTS: [&str; 4] = [
    "graph.microsoft.com",
    "graph.microsoft.us",
    "dod-graph.microsoft.us",
    "microsoftgraph.chinacloudapi.cn",
];

/// Why `what` may not run against this target: it ends calls and the target is Microsoft production.
pub(crate) fn production_refusal(env: &Env, destructive: bool, what: &str) -> Option<String> {
    let host = reqwest::Url::parse(&env.target.base).ok()?.host_str()?.to_ascii_lowercase();
    (destructive && !env.config.allow_production && PRODUCTION_HOSTS.contains(&host.as_str())).then(|| {
        format!("refused: {what} ends or places calls on the Microsoft production host {host}; set CONFORMANCE_ALLOW_PRODUCTION=1 if that is really meant")
    })
}

/// Runs `case` on `family` against `env`: provision a call, send the documented request, check
/// the answer and the notifications it causes.
pub async fn run_case(env: &Env, case: &Case<'_>, family: Family) -> CaseRun {
    let mut run = CaseRun::new(case.id().to_string(), family);
    let setup = |run: &mut CaseRun, subject: &str, expected: &str, actual: String| {
        run.verdict.findings.push(setup_finding(subject, expected, actual));
    };
    if let Some(why) = production_refusal(env, case.op.destructive(), case.operation.name()) {
        setup(&mut run, "the production guard", "a non-production target", why);
        return run;
    }
    let expected = match expected_notifications(case) {
        Ok(e) => e,
        Err(e) => {
            setup(&mut run, "the fixtures", "valid notification fixtures", e);
            return run;
        }
    };
    let (callback, inbox) = env.listener.open(case.id());
    let provisioned = match provision_for(env, case, &callback).await {
        Ok(id) => id,
        Err(e) => {
            let state = case.fixture.call.map(Live::name).unwrap_or_default();
            setup(&mut run, "provisioning", &format!("a provisioned {state} call"), e);
            return run;
        }
    };
    run.call_id = provisioned.clone();
    let mine = match provisioned.as_deref().filter(|_| reads_my_participant(Some(case.op), &expected)) {
        Some(call_id) => match my_participant(env, family, call_id).await {
            Ok(id) => Some(id),
            Err(f) => {
                run.verdict.findings.push(*f);
                return run;
            }
        },
        None => None,
    };
    // A roster update is told from another by the bot's own member: it needs the bot's id.
    // A provisioned call's bot is not muted (its audio is active, CONTRACT.md section 5).
    let my_muted = case.fixture.call.map(|_| false);
    let expected: Vec<ExpectedNotification> = expected
        .into_iter()
        .map(|e| ExpectedNotification {
            me: mine.clone(),
            my_muted,
            ..e
        })
        .collect();
    // A request that names its own callbackUri (answer) moves the call's notifications there: the
    // case listens on a second inbox, so a target that keeps notifying the first one fails.
    // A variation without it (redirect's callbackUri is optional) leaves them at the call's own.
    let names_own = case
        .fixture
        .substitute
        .keys()
        .any(|ptr| case.body.as_ref().is_some_and(|b| b.pointer(ptr).is_some()));
    let (callback, inbox) = if !names_own {
        (callback, inbox)
    } else {
        env.listener.open(&format!("{}-own-callback", case.id()))
    };
    let req = env.target.request(
        case.op.method.as_str(),
        &case.path_for(
            family,
            &env.target.app_id,
            provisioned.as_deref().unwrap_or_default(),
            mine.as_deref(),
        ),
        case.substituted(case.body.clone(), &callback),
    );
    run.request = Some(req.clone());
    let obs = match env.target.send(&req).await {
        Ok(o) => o,
        Err(e) => {
            setup(&mut run, "the request", "an answer", e.to_string());
            return run;
        }
    };
    // create call names the call it made in its answer; every other case acts on the one provisioned.
    let call_id = provisioned.or_else(|| created_call(&obs)).unwrap_or_default();
    run.call_id = Some(call_id.clone());
    run.verdict.infos.extend(throttle_note(&obs));
    run.response = Some(obs.clone());
    if let Some(step) = &case.fixture.stimulus {
        let stimulus = step.stimulus();
        let answer = env.target.stimulus(&call_id, &stimulus).await;
        if let Err(NotDone::NotOffered(f) | NotDone::Failed(f)) = stimulus_outcome(&stimulus, answer) {
            run.verdict.findings.push(*f);
            return run;
        }
    }
    let required = expected.iter().any(|e| !e.optional);
    let heard = if !required && case.response.answers_final() {
        // An operation answered completed gets no further notification (but one its edition allows):
        // give one the chance to come.
        env.settle(&inbox, env.config.quiet).await
    } else if !required {
        inbox.snapshot()
    } else {
        env.hear(&inbox, env.config.notify_timeout, |h| all_heard(&expected, h, &call_id))
            .await
    };
    let on = (call_id.as_str(), mine.as_deref());
    let (verdict, projection) = judge_with(case, &expected, on, &req, &obs, &heard, env.config.notify_timeout.as_millis());
    if !all_heard(&expected, &heard, &call_id) {
        run.verdict.infos.extend(env.listener.strays().describe());
    }
    run.verdict.findings.extend(verdict.findings);
    run.verdict.infos.extend(verdict.infos);
    run.heard = heard;
    run.projection = projection;
    if case.op.creates() && obs.status < 300 && !call_id.is_empty() {
        run.verdict.infos.push(hang_up_placed(env, family, &call_id).await);
    }
    run
}

/// Whether a request of `row` (`None` for a stimulus) whose notifications are `expected` is judged
/// by the bot's own participant id: its path or its answer names it (the roster, a participant), or
/// a roster update it causes is told from another by the bot's member.
pub(crate) fn reads_my_participant(row: Option<&OperationRow>, expected: &[ExpectedNotification]) -> bool {
    row.is_some_and(OperationRow::needs_my_participant) || expected.iter().any(ExpectedNotification::is_roster)
}

/// The bot's own participant in `call_id` (its `myParticipantId`), as the target reads the call
/// back; a setup finding saying so where it cannot be read.
pub(crate) async fn my_participant(env: &Env, family: Family, call_id: &str) -> Result<String, Box<Finding>> {
    let path = family.call_path(&env.target.app_id, call_id);
    let read = async {
        let obs = env
            .target
            .send(&env.target.request("GET", &path, None))
            .await
            .map_err(|e| format!("GET {path}: {e}"))?;
        if obs.status != 200 {
            return Err(format!("GET {path} answered {} ({})", obs.status, obs.body_preview(200)));
        }
        serde_json::from_slice::<Value>(&obs.body)
            .ok()
            .and_then(|call| call.get("myParticipantId").and_then(Value::as_str).map(str::to_string))
            .filter(|id| !id.is_empty())
            .ok_or_else(|| format!("GET {path} answered a call without myParticipantId: {}", obs.body_preview(200)))
    };
    read.await.map_err(|e| {
        let expected =
            "the call's myParticipantId (GET …/calls/{id}, CONTRACT.md 7.2): the bot's own participant, which the step is judged by";
        Box::new(setup_finding("reading the call back", expected, e))
    })
}

/// Hangs up a call a case placed (create call), once it is judged: a suite aimed at staging leaves
/// no call of its own ringing someone. Not judged: delete has cases of its own; what came is noted.
async fn hang_up_placed(env: &Env, family: Family, call_id: &str) -> String {
    let path = family.call_path(&env.target.app_id, call_id);
    match env.target.send(&env.target.request("DELETE", &path, None)).await {
        Ok(obs) if obs.status < 300 => format!("hung up the call it placed (DELETE {path}: {})", obs.status),
        Ok(obs) => format!(
            "could not hang up the call it placed: DELETE {path} answered {} ({})",
            obs.status,
            obs.body_preview(200)
        ),
        Err(e) => format!("could not hang up the call it placed: DELETE {path}: {e}"),
    }
}

/// The call `case` acts on, provisioned in its state; `None` for one that makes its own (create call).
async fn provision_for(env: &Env, case: &Case<'_>, callback: &str) -> Result<Option<String>, String> {
    match case.fixture.call {
        Some(state) => env.target.provision(state.name(), callback).await.map(Some),
        None => Ok(None),
    }
}

/// What a stimulus came to when it was not done: the target does not offer it (what needs it is
/// not run), or its hook answered otherwise (a finding of the step that asked).
pub(crate) enum NotDone {
    /// `404`: the target lacks the stimulus.
    NotOffered(Box<Finding>),
    /// Any other answer, or none.
    Failed(Box<Finding>),
}

/// What `answer` (the hook's, to `stimulus`) means for the case or step that asked for it.
pub(crate) fn stimulus_outcome(stimulus: &Stimulus, answer: Result<StimulusAnswer, String>) -> Result<(), NotDone> {
    let subject = format!("the {} stimulus", stimulus.kind);
    let expected = format!(
        "POST {{provision URL}}/{{id}}/{} answered 202 ({}): CONTRACT.md section 5",
        stimulus.kind,
        stimulus.kind.meaning()
    );
    match answer {
        Ok(StimulusAnswer::Done) => Ok(()),
        Ok(StimulusAnswer::NotOffered) => Err(NotDone::NotOffered(Box::new(setup_finding(
            &subject,
            &expected,
            format!(
                "404: the target does not offer the {} stimulus, so what needs it is not run (it never passes without it)",
                stimulus.kind
            ),
        )))),
        Err(e) => Err(NotDone::Failed(Box::new(setup_finding(&subject, &expected, e)))),
    }
}

/// The variations of `case` (`contract::variations`): its valid forms and generated bad input.
pub fn variations_of(case: &Case) -> Vec<Variation> {
    let schema = case.op.request_schema.as_deref().and_then(|s| schemas().raw(s));
    match (case.body.as_ref().and_then(Value::as_object), schema) {
        (Some(body), Some(schema)) => {
            let seed = case
                .id()
                .bytes()
                .fold(VARIATION_SEED, |h, b| h.wrapping_mul(31).wrapping_add(u64::from(b)));
            let mut all = valid_forms(body, schema);
            all.extend(bad_input(body, schema, seed));
            all
        }
        _ => Vec::new(),
    }
}

/// The seed bad input is drawn from: the same bodies every run.
const VARIATION_SEED: u64 = 20261202;

/// Runs `variation` of `case` on `family`: a valid form as the documented case runs (every check,
/// the echo of exactly what was sent), bad input as a negative case (400 and the error object).
pub async fn run_variation(env: &Env, case: &Case<'static>, variation: &Variation, family: Family) -> CaseRun {
    let mut varied = case.clone();
    varied.body = variation.body.clone();
    match &variation.expect {
        Expect::Documented { notifications_elsewhere } => {
            if *notifications_elsewhere {
                varied.notifications.clear();
            }
            let mut run = run_case(env, &varied, family).await;
            run.case_id = format!("{} ~ {}", case.id(), variation.name);
            if *notifications_elsewhere {
                run.verdict.infos.push(format!(
                    "its notifications go to {HTTPS_CALLBACK}, where the suite does not listen: not checked"
                ));
            }
            run
        }
        Expect::BadInput(rule) => run_bad_input(env, &varied, variation, rule, family).await,
    }
}

/// Sends bad input `variation` to a fresh call of `case`'s state and checks the answer is 400 and
/// the error object.
async fn run_bad_input(env: &Env, case: &Case<'_>, variation: &Variation, rule: &str, family: Family) -> CaseRun {
    let mut run = CaseRun::new(format!("{} ~ {}", case.id(), variation.name), family);
    if let Some(why) = production_refusal(env, case.op.destructive(), case.operation.name()) {
        run.verdict
            .findings
            .push(setup_finding("the production guard", "a non-production target", why));
        return run;
    }
    let (callback, inbox) = env.listener.open(case.id());
    let call_id = match provision_for(env, case, &callback).await {
        Ok(id) => id,
        Err(e) => {
            let state = case.fixture.call.map(Live::name).unwrap_or_default();
            run.verdict
                .findings
                .push(setup_finding("provisioning", &format!("a provisioned {state} call"), e));
            return run;
        }
    };
    run.call_id = call_id.clone();
    let mut req = env.target.request(
        case.op.method.as_str(),
        &case.path_for(family, &env.target.app_id, call_id.as_deref().unwrap_or_default(), None),
        case.substituted(variation.body.clone(), &callback),
    );
    if let Some(raw) = &variation.raw {
        req.raw = Some(raw.clone());
        req.headers.push(("Content-Type".into(), "application/json".into()));
    }
    run.request = Some(req.clone());
    let before = inbox.snapshot().len();
    match env.target.send(&req).await {
        Ok(obs) => {
            check_error_answer(rule, Some(400), schemas(), &obs, &mut run.verdict);
            run.verdict.infos.extend(throttle_note(&obs));
            if obs.status >= 400 {
                run.heard = listen_quietly(env, &inbox, before, call_id.as_deref(), &mut run.verdict).await;
            }
            // Bad input taken (a finding above) placed a call all the same.
            if let Some(placed) = created_call(&obs).filter(|_| case.op.creates() && obs.status < 300) {
                run.verdict.infos.push(hang_up_placed(env, family, &placed).await);
            }
            run.response = Some(obs);
        }
        Err(e) => run.verdict.findings.push(setup_finding("the request", "an answer", e.to_string())),
    }
    run
}

/// After a refused request to call `call_id`: listens for `CONFORMANCE_QUIET_MS` and fails every
/// notification since the inbox held `before` deliveries that an operation causes (one of an
/// operation, or one saying the call ended): a refused request causes none (CONTRACT.md section 3).
/// A call's own announcement may still come (section 5). With no call (a refused create call),
/// every notification is one the refusal caused: no call was made. Returns everything heard.
async fn listen_quietly(env: &Env, inbox: &Inbox, before: usize, call_id: Option<&str>, verdict: &mut Verdict) -> Vec<Heard> {
    let heard = env.listen(inbox, env.config.quiet).await;
    let caused: Vec<&Heard> = heard.iter().filter(|h| h.seq > before).collect();
    let owned: Vec<Heard> = caused.iter().map(|h| (*h).clone()).collect();
    for ((seq, i), item) in heard_items(&owned)
        .into_iter()
        .filter(|(_, item)| call_id.is_none_or(|id| effect_of_an_operation(item, id)))
    {
        verdict.fail(
            Aspect::Notifications,
            Check::NoNotificationWhenRefused,
            format!("notification #{seq}.{i} after the refused request"),
            format!(
                "none within {} ms (CONFORMANCE_QUIET_MS) for {}: a refused request causes no notification (CONTRACT.md section 3)",
                env.config.quiet.as_millis(),
                call_id.map_or("any call (none was made)".to_string(), |id| format!("call {id}"))
            ),
            item.to_string(),
        );
    }
    heard
}

/// The note a throttled exchange earns: the target asked the suite to wait, and it did.
pub(crate) fn throttle_note(obs: &Observed) -> Option<String> {
    (obs.throttled > 0).then(|| {
        format!(
            "the target answered 429/503 with Retry-After {} time(s) before this answer; each was waited out (CONFORMANCE_THROTTLE_BUDGET_MS)",
            obs.throttled
        )
    })
}

/// A call id no target has: well-formed, so a target cannot answer 400 for its shape.
pub const UNKNOWN_CALL: &str = "0c0ffee0-0000-4000-8000-00000000dead";

/// Whether negative case `neg` applies in `env`'s edition.
pub fn applies(neg: &NegativeFixture, env: &Env) -> bool {
    neg.editions
        .as_ref()
        .is_none_or(|eds| eds.iter().any(|e| e == env.config.edition.name()))
}

/// Sends one setup request (the delete or reject that ends a call before a case acts on it).
async fn setup_step(env: &Env, method: &str, path: &str, body: Option<Value>, want: u16) -> Result<(), String> {
    let req = env.target.request(method, path, body);
    let obs = env.target.send(&req).await.map_err(|e| e.to_string())?;
    if obs.status == want {
        Ok(())
    } else {
        Err(format!(
            "{method} {} answered {} where {want} was needed to prepare the call; body: {}",
            req.url,
            obs.status,
            obs.body_preview(300)
        ))
    }
}

/// Waits until `inbox` has heard that call `call_id` ended (delete's `terminated`, reject's
/// `deleted`): Graph ends calls asynchronously, and what a call answers before its last notification
/// is not said (CONTRACT.md section 3), so nothing probes it earlier. Whether it came in time.
pub(crate) async fn until_ended(env: &Env, inbox: &Inbox, call_id: &str, wait: std::time::Duration) -> bool {
    let ended = |h: &[Heard]| heard_items(h).iter().any(|(_, i)| is_call_deleted(i, call_id));
    ended(&env.hear(inbox, wait, ended).await)
}

/// The call a negative case acts on, prepared as its `call` says; an ended call is acted on only
/// once its last notification came.
async fn prepare_call(env: &Env, neg: &NegativeFixture, ready: Live, callback: &str, inbox: &Inbox) -> Result<String, String> {
    let (state, ending) = match neg.call {
        NegativeCall::Unknown => return Ok(UNKNOWN_CALL.to_string()),
        NegativeCall::Ready => (ready, None),
        NegativeCall::Incoming => (Live::Incoming, None),
        NegativeCall::Established => (Live::Established, None),
        NegativeCall::Deleted => (Live::Established, Some(Ending::Deleted)),
        NegativeCall::Rejected => (Live::Incoming, Some(Ending::Rejected)),
    };
    let id = env.target.provision(state.name(), callback).await?;
    let Some(ending) = ending else { return Ok(id) };
    let ender = ending_case(env, ending)?;
    let path = ender.path_for(Family::Communications, &env.target.app_id, &id, None);
    setup_step(env, ender.op.method.as_str(), &path, ender.body.clone(), ender.response.status).await?;
    if !until_ended(env, inbox, &id, env.config.notify_timeout).await {
        return Err(format!(
            "the {} call's last notification (a deleted notification for the call) did not arrive within {} ms (CONFORMANCE_NOTIFY_TIMEOUT_MS); the call is probed only once it has ended",
            neg.call,
            env.config.notify_timeout.as_millis()
        ));
    }
    Ok(id)
}

/// The documented example of the operation whose row ends a call as `ending` does, under the run's edition.
fn ending_case(env: &Env, ending: Ending) -> Result<Case<'static>, String> {
    let (op, _) = corpus()
        .operations
        .iter()
        .find(|(_, row)| row.ends == Some(ending))
        .ok_or_else(|| format!("no operation of data/operations.json ends a call as {ending:?}"))?;
    let example = corpus().example_of(op).ok_or_else(|| format!("no documented example of {op}"))?;
    corpus().case(&example.id, env.config.edition)
}

/// The request a negative case sends: the operation's example, changed as the fixture says.
pub(crate) fn negative_request(env: &Env, neg: &NegativeFixture, case: &Case, family: Family, call_id: &str) -> SentRequest {
    let spec = &neg.request.body;
    let mut body = if let Some(id) = &spec.invalid {
        corpus().invalid.get(id).map(|f| f.body.clone())
    } else if let Some(j) = &spec.json {
        Some(j.clone())
    } else if spec.example {
        case.body.clone()
    } else {
        None
    };
    if let Some(Value::Object(map)) = body.as_mut() {
        for k in &spec.remove {
            map.remove(k);
        }
        for (k, v) in &spec.set {
            map.insert(k.clone(), v.clone());
        }
    }
    let mut req = env.target.request(
        case.op.method.as_str(),
        &case.path_for(family, &env.target.app_id, call_id, None),
        body,
    );
    if let Some(raw) = &spec.raw {
        req.raw = Some(raw.clone());
        req.headers.push(("Content-Type".into(), "application/json".into()));
    }
    if !neg.request.authorization {
        req.headers.retain(|(k, _)| !k.eq_ignore_ascii_case("authorization"));
    }
    req
}

/// Runs negative case `neg` on `operation` and `family`: prepare the call, send the bad input,
/// check the answer against the rule, then what must hold afterwards.
pub async fn run_negative(env: &Env, neg: &NegativeFixture, operation: Operation, family: Family) -> CaseRun {
    let mut run = CaseRun::new(format!("{}/{operation}", neg.id), family);
    let case = match corpus().example_of(operation).map(|f| corpus().case(&f.id, env.config.edition)) {
        Some(Ok(c)) => c,
        _ => {
            run.verdict.findings.push(setup_finding(
                "the fixtures",
                "a documented example of the operation",
                format!("none for {operation}"),
            ));
            return run;
        }
    };
    let destructive = case.op.destructive() || neg.call.ends_a_call();
    if let Some(why) = production_refusal(env, destructive, &neg.id) {
        run.verdict
            .findings
            .push(setup_finding("the production guard", "a non-production target", why));
        return run;
    }
    let (callback, inbox) = env.listener.open(&neg.id);
    let ready = case.fixture.call.unwrap_or_else(|| case.op.ready());
    let call_id = match prepare_call(env, neg, ready, &callback, &inbox).await {
        Ok(id) => id,
        Err(e) => {
            run.verdict
                .findings
                .push(setup_finding("preparing the call", &format!("a {} call", neg.call), e));
            return run;
        }
    };
    run.call_id = Some(call_id.clone());
    let req = negative_request(env, neg, &case, family, &call_id);
    run.request = Some(req.clone());
    let before = inbox.snapshot().len();
    let obs = match env.target.send(&req).await {
        Ok(o) => o,
        Err(e) => {
            run.verdict.findings.push(setup_finding("the request", "an answer", e.to_string()));
            return run;
        }
    };
    let expected = match neg.expect.status {
        ExpectedStatus::Code(status) => Some(status),
        ExpectedStatus::Success => Some(case.response.status),
        ExpectedStatus::Any => None,
    };
    check_error_answer(&neg.rule, expected, schemas(), &obs, &mut run.verdict);
    run.verdict.infos.extend(throttle_note(&obs));
    let refused = obs.status >= 400;
    run.response = Some(obs);
    if refused && neg.then.is_none() {
        run.heard = listen_quietly(env, &inbox, before, Some(&call_id), &mut run.verdict).await;
    }
    if let Some(then) = &neg.then {
        if then.call_alive {
            check_alive(env, family, &call_id, &mut run.verdict).await;
        }
        if then.no_deleted_notification {
            let heard = env
                .hear(&inbox, env.config.notify_timeout, |h| {
                    heard_items(h).iter().any(|(_, i)| is_call_deleted(i, &call_id))
                })
                .await;
            if heard_items(&heard).iter().any(|(_, i)| is_call_deleted(i, &call_id)) {
                run.verdict.fail(
                    Aspect::BadInput,
                    Check::NoDeletedNotification,
                    "notifications after the reject",
                    format!("no deleted notification for call {call_id}: {}", neg.rule),
                    "a deleted notification arrived",
                );
            }
            run.heard = heard;
        }
    }
    run
}

/// The call still accepts cancelMediaProcessing, with the documented success status.
async fn check_alive(env: &Env, family: Family, call_id: &str, v: &mut Verdict) {
    let Some(Ok(cancel)) = corpus()
        .example_of(Operation::CancelMediaProcessing)
        .map(|f| corpus().case(&f.id, env.config.edition))
    else {
        v.findings
            .push(setup_finding("the fixtures", "the cancelMediaProcessing example", "missing".into()));
        return;
    };
    let probe = env.target.request(
        cancel.op.method.as_str(),
        &cancel.path_for(family, &env.target.app_id, call_id, None),
        cancel.body.clone(),
    );
    match env.target.send(&probe).await {
        Ok(o) if o.status == cancel.response.status => {}
        Ok(o) => v.fail(
            Aspect::BadInput,
            Check::CallStaysAlive,
            "the call afterwards",
            format!("alive: cancelMediaProcessing on it answers {}", cancel.response.status),
            format!("{} — body: {}", o.status, o.body_preview(300)),
        ),
        Err(e) => v.fail(
            Aspect::BadInput,
            Check::CallStaysAlive,
            "the call afterwards",
            "alive: cancelMediaProcessing on it answers",
            e.to_string(),
        ),
    }
}

/// One run of one case (documented or negative) on one operation and family, judged.
#[derive(Debug, Clone)]
pub struct Outcome {
    /// The case id (a request fixture's or a negative fixture's).
    pub case_id: String,
    /// Whether it is a negative case (a negative fixture, or a variation that is bad input).
    pub negative: bool,
    /// Where the case comes from, with what the report names it by.
    pub origin: Origin,
    /// The operation it exercised.
    pub operation: String,
    /// The run.
    pub run: CaseRun,
    /// The failure message, when it failed.
    pub message: Option<String>,
    /// How long the run took, wall clock.
    pub elapsed: std::time::Duration,
}

/// Runs every case of the corpus that applies to `env` (documented exchanges and negative cases, on
/// every selected family their operation lists), concurrently; outcomes sorted by case and family.
pub async fn run_suite(env: Arc<Env>) -> Vec<Outcome> {
    run_cases(env, Selection::All { variations: true }, |_| {}).await
}

/// [`run_suite`], calling `progress` as each run completes.
pub async fn run_suite_with_progress(env: Arc<Env>, progress: impl Fn(&Outcome)) -> Vec<Outcome> {
    run_cases(env, Selection::All { variations: true }, progress).await
}

/// Which of the corpus's cases a run takes.
#[derive(Debug, Clone, Copy)]
pub enum Selection {
    /// Every documented case and negative case, and the request variations when `variations`.
    All { variations: bool },
    /// Only the runs with these ids: documented cases, variations (`{case} ~ {variation}`) and
    /// negative cases. The detection matrix runs a fault's own cases so (a suite run per fault
    /// was most of its time).
    Only(&'static [&'static str]),
}

impl Selection {
    fn takes(self, id: &str) -> bool {
        match self {
            Selection::All { .. } => true,
            Selection::Only(ids) => ids.contains(&id),
        }
    }

    /// Whether any variation of case `case` is taken: they are generated only then.
    fn takes_variations_of(self, case: &str) -> bool {
        match self {
            Selection::All { variations } => variations,
            Selection::Only(ids) => ids
                .iter()
                .any(|id| id.strip_prefix(case).is_some_and(|rest| rest.starts_with(" ~ "))),
        }
    }
}

/// The failing row of a documented case that cannot run: `subject` was not as `expected`.
fn unrunnable(id: &str, family: Family, subject: &str, expected: &str, actual: String) -> Outcome {
    let mut run = CaseRun::new(id.to_string(), family);
    run.verdict.findings.push(setup_finding(subject, expected, actual));
    let message = Some(format!("{id} cannot run: {subject}: {}", run.verdict.findings[0].actual));
    let origin = match corpus().request(id) {
        Some(fixture) => Origin::documented(fixture),
        None => Origin {
            kind: OriginKind::Documented,
            title: String::new(),
            source: String::new(),
            url: None,
            level: Level::Must,
        },
    };
    Outcome {
        case_id: id.to_string(),
        negative: false,
        origin,
        operation: String::new(),
        run,
        message,
        elapsed: std::time::Duration::ZERO,
    }
}

/// The cases, variations and negatives `selection` takes, concurrently; a case that cannot run is a
/// failing row saying why.
pub async fn run_cases(env: Arc<Env>, selection: Selection, progress: impl Fn(&Outcome)) -> Vec<Outcome> {
    let edition = env.config.edition;
    let mut tasks = tokio::task::JoinSet::new();
    let mut out_of_reach = Vec::new();
    for id in corpus().case_ids().into_iter().filter(|id| selection.takes(id)) {
        let case = match corpus().case(id, edition) {
            Ok(case) => case,
            Err(e) => {
                // A case the corpus cannot build is a row that fails, never one left out.
                out_of_reach.push(unrunnable(
                    id,
                    Family::Communications,
                    "the fixtures",
                    "a case built from its fixtures",
                    e.to_string(),
                ));
                continue;
            }
        };
        let selected: Vec<Family> = case.families().into_iter().filter(|f| env.config.families.contains(f)).collect();
        if selected.is_empty() {
            let why = format!(
                "{} is documented on the {:?} families only, and CONFORMANCE_PATH_FAMILIES selects {:?}; add one of them to run this case",
                case.operation,
                case.op.families,
                env.config.families.iter().map(|f| f.name()).collect::<Vec<_>>()
            );
            let family = case.families().first().copied().unwrap_or(Family::Communications);
            out_of_reach.push(unrunnable(
                id,
                family,
                "the path families",
                "a selected family the operation is documented on",
                why,
            ));
        }
        for family in selected {
            let (env, case) = (env.clone(), case.clone());
            tasks.spawn(async move {
                let started = std::time::Instant::now();
                let run = run_case(&env, &case, family).await;
                let message = (!run.verdict.passed()).then(|| crate::judging::report::failure(&case, &run, &env.describe()));
                Outcome {
                    case_id: case.id().to_string(),
                    negative: false,
                    origin: Origin::documented(case.fixture),
                    operation: case.operation.to_string(),
                    run,
                    message,
                    elapsed: started.elapsed(),
                }
            });
        }
    }
    for id in corpus().case_ids().into_iter().filter(|id| selection.takes_variations_of(id)) {
        // A case that cannot be built or run on a selected family already has its failing row above
        // (when it is selected itself).
        let Ok(case) = corpus().case(id, edition) else { continue };
        let Some(family) = case.families().into_iter().find(|f| env.config.families.contains(f)) else {
            continue;
        };
        let variations = variations_of(&case);
        let selected = variations.into_iter().filter(|v| selection.takes(&format!("{id} ~ {}", v.name)));
        for variation in selected {
            let (env, case) = (env.clone(), case.clone());
            tasks.spawn(async move {
                let started = std::time::Instant::now();
                let run = run_variation(&env, &case, &variation, family).await;
                let rule = variation.rule();
                let message = (!run.verdict.passed())
                    .then(|| crate::judging::report::variation_failure(&case, &variation.name, rule, &run, &env.describe()));
                Outcome {
                    case_id: run.case_id.clone(),
                    negative: rule.is_some(),
                    origin: Origin::variation(&case, &variation),
                    operation: case.operation.to_string(),
                    run,
                    message,
                    elapsed: started.elapsed(),
                }
            });
        }
    }
    for (path, neg) in corpus().negatives.values() {
        if !selection.takes(&neg.id) || !applies(neg, &env) {
            continue;
        }
        for &operation in &neg.operations {
            let documented = &corpus().operations.row(operation).families;
            for family in env.config.families.iter().copied().filter(|f| documented.contains(f)) {
                let env = env.clone();
                tasks.spawn(async move {
                    let started = std::time::Instant::now();
                    let run = run_negative(&env, neg, operation, family).await;
                    let message = (!run.verdict.passed())
                        .then(|| crate::judging::report::negative_failure(neg, path, operation, &run, &env.describe()));
                    Outcome {
                        case_id: neg.id.clone(),
                        negative: true,
                        origin: Origin::negative(neg),
                        operation: operation.to_string(),
                        run,
                        message,
                        elapsed: started.elapsed(),
                    }
                });
            }
        }
    }
    let mut out = Vec::new();
    for o in out_of_reach {
        progress(&o);
        out.push(o);
    }
    while let Some(joined) = tasks.join_next().await {
        match joined {
            Ok(o) => {
                progress(&o);
                out.push(o);
            }
            Err(e) => panic!("a case task failed: {e}"),
        }
    }
    out.sort_by(|a, b| (&a.case_id, &a.operation, a.run.family).cmp(&(&b.case_id, &b.operation, b.run.family)));
    out
}

/// Replays notification fixture `id` to `env`'s bot in every variant.
pub async fn replay_notification(env: &Env, id: &str) -> Vec<Replay> {
    let Some(fixture) = corpus().notification(id) else {
        return Vec::new();
    };
    // All at once: a bot that waits out the timeout costs one timeout, not one per shape.
    let replays = Variant::iter()
        .filter(|v| v.applies(fixture))
        .map(|variant| env.bot.replay(fixture, variant));
    futures_util::future::join_all(replays).await
}

/// Replays every notification fixture to `env`'s bot, concurrently; (notification id, replays) by id.
pub async fn replay_all(env: Arc<Env>) -> Vec<(String, Vec<Replay>)> {
    let mut tasks = tokio::task::JoinSet::new();
    for id in corpus().notifications.keys() {
        let (env, id) = (env.clone(), id.clone());
        tasks.spawn(async move {
            let replays = replay_notification(&env, &id).await;
            (id, replays)
        });
    }
    let mut out = Vec::new();
    while let Some(joined) = tasks.join_next().await {
        match joined {
            Ok(r) => out.push(r),
            Err(e) => panic!("a replay task failed: {e}"),
        }
    }
    out.sort_by(|a, b| a.0.cmp(&b.0));
    out
}
