//! Exploration: generated programs (`contract::program`) run against the target, each step judged
//! by `judging::program` against the lifecycle model, and the first failing program shrunk to a
//! minimal one and printed so that it can be read, rerun and saved as a regression case.
//!
//! Programs run concurrently (each on calls of its own, with an inbox per call); the steps of one
//! program run in order, and every wait is bounded by the configured timeouts.

use std::sync::Arc;
use std::time::Duration;

use serde_json::Value;

use super::config::Config;
use super::embedded::Env;
use super::harness::{
    block_on, my_participant, negative_request, production_refusal, reads_my_participant, stimulus_outcome, until_ended, NotDone,
    UNKNOWN_CALL,
};
use crate::contract::case::Case;
use crate::contract::corpus;
use crate::contract::family::Family;
use crate::contract::lifecycle::{CallState, Operation, Start};
use crate::contract::program::{compact, generate, program_of, shrink, Catalog};
use crate::contract::steps::{role, role_index, Act, Program, Request, Step};
use crate::judging::judge::setup_finding;
use crate::judging::program::{
    all_heard_on_call, check_fresh_operation_id, judge_answer, judge_call_notifications, note_media_fates, Plan, ProgramRun, StepRun,
};
use crate::judging::response::created_call;
use crate::judging::verdict::{Finding, Verdict};
use crate::wire::target::{stimulus_answer, Observed, SentRequest};

/// The steps a generated program has at most.
pub const MAX_STEPS: usize = 8;
/// How many shrunk candidates are run at most for a failing program.
pub const SHRINK_RUNS: usize = 200;
/// How many programs run at once (each provisions up to three calls): so that a distant target
/// costs a few programs' chains of round trips, not the sum. (All 192 of the default budget at once
/// made the detection matrix slower, 42 s to 53 s alone, 2 cores: more contention, no fewer waits.)
/// The suite's bound on requests in flight (CONFORMANCE_CONCURRENCY) still holds for all of them.
const AT_ONCE: usize = 64;
/// The notification wait of a shrinking candidate, at most: a candidate that loses a notification
/// waits it out, and shrinking runs many. The shrunk program is confirmed with the full wait.
const SHRINK_NOTIFY_WAIT: Duration = Duration::from_millis(2000);
/// How long shrinking may take in all.
const SHRINK_TIME: Duration = Duration::from_secs(30);

/// How one program run waits for notifications.
#[derive(Debug, Clone, Copy)]
pub struct Waits {
    /// For those the model expects (`CONFORMANCE_NOTIFY_TIMEOUT_MS`).
    pub notify: Duration,
    /// Then, for those that must not arrive (`CONFORMANCE_QUIET_MS`; none while shrinking a
    /// failure that is not about them).
    pub settle: Duration,
}

impl Waits {
    /// The waits of a full run under `config`.
    pub fn full(config: &Config) -> Waits {
        Waits {
            notify: config.notify_timeout,
            settle: config.quiet,
        }
    }
}

/// How much to explore: `CONFORMANCE_EXPLORE_CASES` programs from `CONFORMANCE_EXPLORE_SEED`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Budget {
    /// How many programs.
    pub cases: usize,
    /// The seed they are generated from.
    pub seed: u64,
}

impl Budget {
    /// The budget `config` names.
    pub fn of(config: &Config) -> Budget {
        Budget {
            cases: config.explore_cases,
            seed: config.explore_seed,
        }
    }
}

/// The plans of `program`'s steps under `env`'s edition.
fn plans(env: &Env, catalog: &Catalog, program: &Program) -> Result<(Vec<Plan>, Vec<CallState>), String> {
    let (expectations, _) = catalog.walk(program)?;
    let edition = env.config.edition;
    let mut out = Vec::new();
    for (step, expectation) in program.steps.iter().zip(expectations) {
        let (case, negative) = match &step.act {
            Act::Operation {
                request: Request::Documented { example, .. },
                ..
            } => (Some(corpus().case(example, edition)?), None),
            Act::Operation {
                operation,
                request: Request::Bad { negative },
            } => {
                let neg = corpus()
                    .negatives
                    .get(negative)
                    .map(|(_, n)| n)
                    .ok_or_else(|| format!("no negative fixture {negative:?}"))?;
                let example = corpus()
                    .example_of(*operation)
                    .ok_or_else(|| format!("no documented example of {}", operation.name()))?;
                (Some(corpus().case(&example.id, edition)?), Some(neg))
            }
            Act::Stimulus { .. } => (None, None),
        };
        out.push(Plan::new(step.clone(), expectation, case, negative)?);
    }
    note_media_fates(&mut out);
    let starts = program.calls.iter().map(|s| CallState::from_start(*s)).collect();
    Ok((out, starts))
}

/// The family a step of `operation` is sent on: the first selected family its documents list.
fn family_for(env: &Env, operation: Operation) -> Result<Family, String> {
    let listed = &corpus().operations.row(operation).families;
    env.config.families.iter().copied().find(|f| listed.contains(f)).ok_or_else(|| {
        format!(
            "{} is documented on {} only, and CONFORMANCE_PATH_FAMILIES selects none of them",
            operation.name(),
            listed.iter().map(|f| f.name()).collect::<Vec<_>>().join(", ")
        )
    })
}

/// The request of a documented step: its example's body (under the edition) with the step's variations set.
fn documented_request(env: &Env, case: &Case, step: &Step, path: &str, callback: &str) -> SentRequest {
    let mut body = case.body.clone();
    if let (
        Some(Value::Object(map)),
        Act::Operation {
            request: Request::Documented { set, .. },
            ..
        },
    ) = (body.as_mut(), &step.act)
    {
        map.extend(set.clone());
    }
    env.target.request(case.op.method.as_str(), path, case.substituted(body, callback))
}

/// What a step sends and to where (a path under the target's base, or the hook's), or why it
/// cannot be sent here.
fn request_of(env: &Env, plan: &Plan, call_id: &str, mine: Option<&str>, callback: &str) -> Result<(String, SentRequest), Box<Finding>> {
    match (&plan.step.act, &plan.case) {
        (Act::Stimulus { stimulus }, _) => {
            let req = env
                .target
                .stimulus_request(call_id, stimulus)
                .map_err(|e| Box::new(setup_finding(&format!("the {} stimulus", stimulus.kind), "a provisioning hook", e)))?;
            Ok((format!("[provisioning hook]/{call_id}/{}", stimulus.kind), req))
        }
        (Act::Operation { operation, .. }, Some(case)) => {
            let family = family_for(env, *operation)
                .map_err(|e| Box::new(setup_finding("the path family", "a selected family the operation lists", e)))?;
            let path = case.path_for(family, &env.target.app_id, call_id, mine);
            let request = match plan.negative {
                Some(neg) => negative_request(env, neg, case, family, call_id),
                None => documented_request(env, case, &plan.step, &path, callback),
            };
            Ok((path, request))
        }
        (Act::Operation { operation, .. }, None) => Err(Box::new(setup_finding(
            "the program",
            "a documented example for each request",
            format!("no example of {operation}"),
        ))),
    }
}

/// Judges the hook's answer to a stimulus step: `Err` when the target does not offer the stimulus
/// (the program is then not run: it never passes without it).
fn judge_stimulus(plan: &Plan, request: &SentRequest, obs: &Observed, v: &mut Verdict) -> Result<(), Box<Finding>> {
    let Act::Stimulus { stimulus } = &plan.step.act else {
        return Ok(());
    };
    match stimulus_outcome(stimulus, stimulus_answer(stimulus, request, obs)) {
        Ok(()) => Ok(()),
        Err(NotDone::NotOffered(f)) => Err(f),
        Err(NotDone::Failed(f)) => {
            v.findings.push(*f);
            Ok(())
        }
    }
}

/// Whether `step` acts on call number `i` and its notifications are judged: a step whose answer
/// failed has failed already, and its notifications would only add noise (and a wait).
fn heard_for(step: &StepRun, i: usize) -> bool {
    step.plan.step.call == role(i) && step.verdict.passed()
}

/// Runs `program` against `env`: provision its calls, send its steps in order (stopping at the
/// first that fails), wait for the notifications the model expects of the steps whose answer
/// passed (and a moment longer for those that must not arrive), and judge everything.
pub async fn run_program(env: &Env, catalog: &Catalog, program: &Program, label: &str, waits: Waits) -> ProgramRun {
    let mut run = ProgramRun::new(program);
    let (plans, mut states) = match plans(env, catalog, program) {
        Ok(p) => p,
        Err(e) => {
            run.setup = Some(setup_finding("the program", "a program the lifecycle model generates", e));
            return run;
        }
    };
    let destructive = program
        .steps
        .iter()
        .any(|s| s.sends().is_some_and(|op| corpus().operations.row(op).destructive()));
    if let Some(why) = production_refusal(env, destructive, "a generated program") {
        run.setup = Some(setup_finding("the production guard", "a non-production target", why));
        return run;
    }
    let mut inboxes = Vec::new();
    let mut callbacks = Vec::new();
    for (i, start) in program.calls.iter().enumerate() {
        let (callback, inbox) = env.listener.open(&format!("{label}-{}", role(i)));
        let id = match start {
            Start::Unknown => Ok(UNKNOWN_CALL.to_string()),
            // Its id is the one create call's answer names, once it has.
            Start::Placed => Ok(String::new()),
            Start::Incoming => env.target.provision("incoming", &callback).await,
            Start::Established => env.target.provision("established", &callback).await,
        };
        match id {
            Ok(id) => run.call_ids.push(id),
            Err(e) => {
                run.setup = Some(setup_finding("provisioning", &format!("call {} ({start:?})", role(i)), e));
                return run;
            }
        }
        inboxes.push(inbox);
        callbacks.push(callback);
    }
    // Calls this program ended whose last notification has not been heard yet.
    let mut ending = vec![false; inboxes.len()];
    for plan in plans {
        // `plans` walked the program: every step names one of its calls.
        let Some(i) = role_index(plan.step.call, run.call_ids.len()) else {
            break;
        };
        let call_id = run.call_ids[i].clone();
        // Graph ends calls asynchronously: an ended call is probed only after its last notification
        // (CONTRACT.md section 3). One that never comes fails the step that ended it, at the end.
        if std::mem::take(&mut ending[i]) {
            until_ended(env, &inboxes[i], &call_id, waits.notify).await;
        }
        // A step on the roster or a participant names the bot's own participant, read back from a
        // live call first; on an ended or unknown one there is none to name (the answer is 404).
        let row = plan.step.sends().map(|op| corpus().operations.row(op));
        let needs = reads_my_participant(row, &plan.notifications);
        let mine = match needs && states[i].live() {
            true => match my_participant(env, family_for(env, Operation::Get).unwrap_or(Family::Communications), &call_id).await {
                Ok(id) => Some(id),
                Err(f) => {
                    run.setup = Some(*f);
                    break;
                }
            },
            false => None,
        };
        let mut plan = plan;
        let muted = plan.expectation.muted;
        for e in plan.notifications.iter_mut().chain(plan.cancelled.iter_mut()) {
            e.me.clone_from(&mine);
            e.my_muted = Some(muted);
        }
        let (path, request) = match request_of(env, &plan, &call_id, mine.as_deref(), &callbacks[i]) {
            Ok(r) => r,
            Err(f) => {
                run.setup = Some(*f);
                break;
            }
        };
        let mut verdict = Verdict::default();
        let heard_before = inboxes[i].snapshot().len();
        let (response, operation_id) = match env.target.send(&request).await {
            Ok(obs) => {
                if let Err(not_offered) = judge_stimulus(&plan, &request, &obs, &mut verdict) {
                    run.setup = Some(*not_offered);
                    break;
                }
                let places = plan.step.sends().is_some_and(|op| corpus().operations.row(op).creates());
                // Only create call's answer, on a call not placed yet, names the call from then on.
                let placed = (places && states[i] == CallState::Unplaced).then(|| created_call(&obs)).flatten();
                let call_id = match placed {
                    Some(id) => {
                        run.call_ids[i] = id.clone();
                        id
                    }
                    None => call_id,
                };
                let op = judge_answer(&plan, (&call_id, mine.as_deref()), &request, &obs, &mut verdict);
                check_fresh_operation_id(op.as_deref(), &run.steps, &mut verdict);
                (Some(obs), op)
            }
            Err(e) => {
                verdict.findings.push(setup_finding("the request", "an answer", e.to_string()));
                (None, None)
            }
        };
        let failed = !verdict.passed();
        ending[i] = !failed && !matches!(states[i], CallState::Ended(_)) && matches!(plan.expectation.after, CallState::Ended(_));
        states[i] = plan.expectation.after;
        run.steps.push(StepRun {
            plan,
            path,
            request,
            response,
            operation_id,
            verdict,
            heard_before,
            my_participant: mine,
        });
        if failed {
            break;
        }
    }
    let waited = waits.notify;
    let deadline = tokio::time::Instant::now() + waited;
    for (i, inbox) in inboxes.iter().enumerate() {
        let call_id = run.call_ids[i].clone();
        let on_call: Vec<&StepRun> = run.steps.iter().filter(|s| heard_for(s, i)).collect();
        let left = deadline.saturating_duration_since(tokio::time::Instant::now());
        env.hear_run(inbox, left, waited, |h| all_heard_on_call(&on_call, h, &call_id))
            .await;
    }
    // What must not come (a stray ended notification, one for a refused step) is listened for.
    tokio::time::sleep(waits.settle).await;
    for inbox in &inboxes {
        env.listen(inbox, Duration::ZERO).await;
    }
    run.heard = inboxes.iter().map(|inbox| inbox.snapshot()).collect();
    for (i, heard) in run.heard.iter().enumerate() {
        let call_id = run.call_ids[i].clone();
        let mut on_call: Vec<&mut StepRun> = run.steps.iter_mut().filter(|s| heard_for(s, i)).collect();
        judge_call_notifications(&mut on_call, heard, &call_id, states[i], waited.as_millis(), &mut run.after);
    }
    if !run.passed() {
        run.after.infos.extend(env.listener.strays().describe());
    }
    run
}

/// An exploration: how many programs ran and failed, and the first failing one, shrunk.
#[derive(Debug, Clone)]
pub struct Exploration {
    /// The budget it ran with.
    pub budget: Budget,
    /// Every program as generated, with its run.
    pub runs: Vec<ProgramRun>,
    /// The first failing program (by index), shrunk: its index, the shrunk run, and how many
    /// candidates shrinking ran.
    pub shrunk: Option<(usize, ProgramRun, usize)>,
}

impl Exploration {
    /// How many programs failed.
    pub fn failed(&self) -> usize {
        self.runs.iter().filter(|r| !r.passed()).count()
    }

    /// Where the shrunk program comes from, for its failure message, with `again`, the command that
    /// runs the same programs again: `6 of 48 programs failed; program 7 shrunk from 7 to 2 step(s)…`.
    pub fn origin(&self, again: &str) -> Option<String> {
        let (n, run, ran) = self.shrunk.as_ref()?;
        Some(format!(
            "{} of {} programs failed; program {} shrunk from {} to {} step(s) in {ran} run(s). Again: {again}",
            self.failed(),
            self.budget.cases,
            n + 1,
            self.runs[*n].program.steps.len(),
            run.program.steps.len(),
        ))
    }
}

/// Called as each program's run completes.
pub type Progress = Arc<dyn Fn(&ProgramRun) + Send + Sync>;

/// Generates `budget.cases` programs from `budget.seed` and runs them against `env`, up to
/// sixty-four at once; their runs in generation order. No shrinking (see [`explore`]).
pub async fn run_generated<E>(env: E, budget: Budget) -> Result<Vec<ProgramRun>, String>
where
    E: std::ops::Deref<Target = Env> + Clone + Send + Sync + 'static,
{
    run_generated_with_progress(env, budget, Arc::new(|_| {})).await
}

/// [`run_generated`], calling `progress` as each program completes.
pub async fn run_generated_with_progress<E>(env: E, budget: Budget, progress: Progress) -> Result<Vec<ProgramRun>, String>
where
    E: std::ops::Deref<Target = Env> + Clone + Send + Sync + 'static,
{
    let catalog = Arc::new(Catalog::new(corpus(), env.config.edition, &env.config.families)?);
    // The generator's trees do not cross threads: only the programs leave this block.
    let programs: Vec<Program> = {
        let trees = generate((*catalog).clone(), MAX_STEPS, budget.seed, budget.cases)?;
        trees.iter().map(program_of).collect()
    };
    run_all(env, catalog, programs, progress).await
}

/// Generates `budget.cases` programs from `budget.seed`, runs them against `env` (up to sixty-four
/// at once), and shrinks the first that fails. Blocks on the shared runtime: call it from a test or a
/// command, not from inside the runtime (the generator's trees do not cross threads, so shrinking
/// generates them again here, the same from the same seed).
pub fn explore<E>(env: E, budget: Budget) -> Result<Exploration, String>
where
    E: std::ops::Deref<Target = Env> + Clone + Send + Sync + 'static,
{
    explore_with_progress(env, budget, Arc::new(|_| {}))
}

/// [`explore`], calling `progress` as each generated program completes (not while shrinking).
pub fn explore_with_progress<E>(env: E, budget: Budget, progress: Progress) -> Result<Exploration, String>
where
    E: std::ops::Deref<Target = Env> + Clone + Send + Sync + 'static,
{
    let runs = block_on(run_generated_with_progress(env.clone(), budget, progress))?;
    let Some(n) = runs.iter().position(|r| !r.passed()) else {
        return Ok(Exploration {
            budget,
            runs,
            shrunk: None,
        });
    };
    let catalog = Arc::new(Catalog::new(corpus(), env.config.edition, &env.config.families)?);
    let mut trees = generate((*catalog).clone(), MAX_STEPS, budget.seed, n + 1)?;
    let full = Waits::full(&env.config);
    // Listening for what must not arrive costs a settle per run: only while that is what failed.
    let quick = Waits {
        notify: full.notify.min(SHRINK_NOTIFY_WAIT),
        settle: if runs[n].after.passed() { Duration::ZERO } else { full.settle },
    };
    let run = |program: &Program, label: String, waits: Waits| {
        let (env, catalog, program) = (env.clone(), catalog.clone(), program.clone());
        block_on(async move { run_program(&env, &catalog, &program, &label, waits).await })
    };
    // A candidate still fails only if it fails by a check the original failed by: under load, a
    // candidate that merely times out must not lead the shrinking astray.
    let signature = runs[n].failed_checks();
    let started = std::time::Instant::now();
    let mut attempt = 0;
    let (smallest, ran) = shrink(&mut trees[n], runs[n].steps.len(), SHRINK_RUNS, |candidate| {
        attempt += 1;
        started.elapsed() < SHRINK_TIME
            && run(candidate, format!("shrink-{n}-{attempt}"), quick)
                .failed_checks()
                .iter()
                .any(|c| signature.contains(c))
    });
    // The shrunk program, compacted, confirmed with the full waits; the original if it passes so.
    let confirmed = [compact(&smallest), smallest]
        .iter()
        .map(|p| run(p, format!("shrunk-{n}"), full))
        .find(|r| !r.passed())
        .unwrap_or_else(|| runs[n].clone());
    Ok(Exploration {
        budget,
        runs,
        shrunk: Some((n, confirmed, ran)),
    })
}

/// Runs `programs`, up to sixty-four at once, calling `progress` as each completes; their runs in
/// the same order.
async fn run_all<E>(env: E, catalog: Arc<Catalog>, programs: Vec<Program>, progress: Progress) -> Result<Vec<ProgramRun>, String>
where
    E: std::ops::Deref<Target = Env> + Clone + Send + Sync + 'static,
{
    let gate = Arc::new(tokio::sync::Semaphore::new(AT_ONCE));
    let waits = Waits::full(&env.config);
    let mut tasks = tokio::task::JoinSet::new();
    for (n, program) in programs.into_iter().enumerate() {
        let (env, catalog, gate) = (env.clone(), catalog.clone(), gate.clone());
        tasks.spawn(async move {
            let _permit = gate.acquire_owned().await;
            (n, run_program(&env, &catalog, &program, &format!("explore-{n}"), waits).await)
        });
    }
    let mut runs = Vec::new();
    while let Some(joined) = tasks.join_next().await {
        let (n, run) = joined.map_err(|e| format!("a program's task failed: {e}"))?;
        progress(&run);
        runs.push((n, run));
    }
    runs.sort_by_key(|(n, _)| *n);
    Ok(runs.into_iter().map(|(_, r)| r).collect())
}
