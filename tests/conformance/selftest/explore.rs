//! The lifecycle model and its generated programs: the model agrees with the fixtures it stands
//! beside, the same seed gives the same programs, shrinking finds a small program, and three
//! implementations that differ only where CONTRACT.md allows pass many seeds (no false failures).

use std::sync::Arc;
use strum::IntoEnumIterator;

use conformance::contract::corpus;
use conformance::contract::edition::Edition;
use conformance::contract::family::Family;
use conformance::contract::fixture::{ExpectedStatus, NegativeCall};
use conformance::contract::lifecycle::{expect, Answer, CallState, Ending, Live, Operation, Sent};
use conformance::contract::program::{generate, program_of, Catalog};
use conformance::contract::steps::Program;
use conformance::judging::report;
use conformance::running::embedded::Env;
use conformance::running::explore::{explore, run_generated, run_program, Budget, Waits};
use conformance::running::harness::block_on;
use serde_json::json;

use crate::selftest::config;
use crate::shaped_target;

/// How many seeds the no-false-failure tests run, and how many programs each.
const SEEDS: u64 = 50;
const PER_SEED: usize = 8;

/// Runs `SEEDS` seeds of `PER_SEED` programs against `env`, all at once, and fails with the first
/// failing program's message.
fn passes_many_seeds(what: &str, env: Env) {
    let env = Arc::new(env);
    let describe = env.describe();
    let failures = block_on(async move {
        let mut failures = Vec::new();
        // Ten seeds (80 programs) at a time: what one exploration of the default budget costs a target.
        for chunk in (0..SEEDS).collect::<Vec<_>>().chunks(10) {
            let mut tasks = tokio::task::JoinSet::new();
            for &seed in chunk {
                let budget = Budget { cases: PER_SEED, seed };
                let env = env.clone();
                tasks.spawn(async move { (seed, run_generated(env, budget).await) });
            }
            while let Some(joined) = tasks.join_next().await {
                let (seed, runs) = joined.expect("a seed's task");
                let runs = runs.unwrap_or_else(|e| panic!("seed {seed}: {e}"));
                failures.extend(runs.into_iter().filter(|r| !r.passed()).map(|r| (seed, r)));
            }
        }
        failures
    });
    if let Some((seed, run)) = failures.first() {
        let origin = format!("seed {seed} (CONFORMANCE_EXPLORE_SEED={seed} CONFORMANCE_EXPLORE_CASES={PER_SEED})");
        panic!(
            "{what}: {} generated program(s) failed, a false failure:\n{}",
            failures.len(),
            report::program_failure(run, &origin, &describe)
        );
    }
}

#[test]
fn explore_the_double_passes_many_seeds_in_both_editions() {
    for edition in Edition::iter() {
        // Prompts of 150 ms, not the default 1 s: another pace than the cases' (the model holds at any),
        // and 400 programs' queues waited out at 1 s would make this the suite's longest test.
        let env = block_on(Env::start(config(&[
            ("CONFORMANCE_EDITION", edition.name()),
            ("CONFORMANCE_DOUBLE_MEDIA_MS", "150"),
        ])))
        .expect("the double starts");
        passes_many_seeds(&format!("the double ({} edition)", edition.name()), env);
    }
}

#[test]
fn explore_the_double_in_the_legacy_dialect_passes_many_seeds() {
    // On /app the double notifies in the legacy dialect (resource, terminationReason, compact
    // upper-case GUIDs), as seeds 000 and 004 show: the other dialect from /communications.
    let env = block_on(Env::start(config(&[
        ("CONFORMANCE_PATH_FAMILIES", "app"),
        ("CONFORMANCE_DOUBLE_MEDIA_MS", "150"),
    ])))
    .expect("the double starts");
    passes_many_seeds("the double in the legacy dialect (app family)", env);
}

/// The suite aimed at `shaped` in `edition`.
fn shaped_env(shaped: &shaped_target::ShapedTarget, edition: Edition) -> Env {
    block_on(Env::start(config(&[
        ("CONFORMANCE_TARGET", &shaped.base),
        // A loopback test target: the staging default of 8 in flight would only slow the suite's own tests.
        ("CONFORMANCE_CONCURRENCY", "64"),
        ("CONFORMANCE_PROVISION_URL", &shaped.hook),
        ("CONFORMANCE_EDITION", edition.name()),
    ])))
    .expect("env")
}

#[test]
fn explore_the_shaped_target_passes_many_seeds_in_both_editions() {
    for edition in Edition::iter() {
        let shaped = block_on(shaped_target::start(edition));
        passes_many_seeds(
            &format!("the shaped target ({} edition)", edition.name()),
            shaped_env(&shaped, edition),
        );
    }
}

#[test]
fn the_saved_programs_pass_against_the_shaped_target_in_both_editions() {
    // Its media queue plays at its own pace and notifies what a cancel ends in one envelope: the
    // saved programs (a cancel of six queued, tones across a cancel) hold it to the model too.
    // Whether its cancel finds them still queued depends on the machine's load (the model allows
    // both); the next test makes sure it does.
    for edition in Edition::iter() {
        let shaped = block_on(shaped_target::start(edition));
        let env = Arc::new(shaped_env(&shaped, edition));
        let catalog = Arc::new(Catalog::new(corpus(), edition, &env.config.families).expect("catalog"));
        for (id, (_, fixture)) in &corpus().programs {
            let (e, c) = (env.clone(), catalog.clone());
            let run = block_on(async move { run_program(&e, &c, &fixture.program, id, Waits::full(&e.config)).await });
            assert!(
                run.passed(),
                "{}",
                report::program_failure(&run, &format!("{id} ({} edition)", edition.name()), &env.describe())
            );
        }
    }
}

#[test]
fn the_shaped_targets_cancel_of_queued_prompts_is_judged_and_passes() {
    // Prompts of 10 s, then a cancel right after two: it finds both queued unless the machine holds a
    // step back longer than the notification timeout, and each is judged by its cancelled fixture
    // (not a pass that tested nothing).
    let program: Program = serde_json::from_value(json!({"calls": ["established"], "steps": [
        {"call": "A", "operation": "playPrompt", "request": {"documented": {"example": "call-playPrompt"}}},
        {"call": "A", "operation": "playPrompt", "request": {"documented": {"example": "call-playPrompt", "set": {"clientContext": "second"}}}},
        {"call": "A", "operation": "cancelMediaProcessing", "request": {"documented": {"example": "call-cancelMediaProcessing"}}}
    ]}))
    .expect("a program");
    for edition in Edition::iter() {
        let shaped = block_on(shaped_target::start_playing(edition, std::time::Duration::from_secs(10)));
        let env = Arc::new(shaped_env(&shaped, edition));
        let catalog = Catalog::new(corpus(), edition, &env.config.families).expect("catalog");
        let (e, p) = (env.clone(), program.clone());
        let run = block_on(async move { run_program(&e, &catalog, &p, "cancel of two queued", Waits::full(&e.config)).await });
        assert!(
            run.passed(),
            "{}",
            report::program_failure(&run, "cancel of two queued", &env.describe())
        );
        let cancelled = run
            .heard
            .iter()
            .flatten()
            .map(|h| String::from_utf8_lossy(&h.body).matches("8508").count())
            .sum::<usize>();
        assert_eq!(cancelled, 2, "both prompts are notified cancelled ({} edition)", edition.name());
    }
}

#[test]
fn explore_the_same_seed_gives_the_same_programs() {
    let catalog = || Catalog::new(corpus(), Edition::Seeds, &[Family::Communications]).expect("catalog");
    let programs = |seed| -> Vec<String> {
        let trees = generate(catalog(), 8, seed, 40).expect("programs");
        trees.iter().map(|t| serde_json::to_string(&program_of(t)).expect("json")).collect()
    };
    assert_eq!(programs(7), programs(7));
    assert_ne!(programs(7), programs(8));
    let all = programs(7).join("\n");
    for op in Operation::iter() {
        assert!(all.contains(op.name()), "40 programs never use {}:\n{all}", op.name());
    }
    assert!(all.contains("\"bad\""), "40 programs send no bad input:\n{all}");
    for kind in ["tone", "hangup"] {
        assert!(
            all.contains(&format!("\"kind\":\"{kind}\"")),
            "40 programs never ask for the {kind} stimulus:\n{all}"
        );
    }
}

#[test]
fn explore_the_default_budget_presses_keys_on_subscribed_and_unsubscribed_calls() {
    use conformance::contract::lifecycle::Far;
    // The default budget is what the detection matrix runs: each of these must happen in it for the
    // tone and hang-up faults that only a sequence shows (a key on a call that subscribed, on one
    // that did not, a hang-up). A key after a cancel is rarer: the saved program
    // tones-after-a-cancel-then-the-caller-hangs-up holds it.
    let catalog = Catalog::new(corpus(), Edition::Seeds, &[Family::Communications]).expect("catalog");
    let budget = conformance::running::config::DEFAULT_EXPLORE_CASES;
    let trees = generate(catalog.clone(), 8, 20261202, budget).expect("programs");
    let (mut notified, mut silent, mut hung_up) = (0, 0, 0);
    for tree in &trees {
        let program = program_of(tree);
        let (expectations, _) = catalog.walk(&program).expect("a generated program walks");
        for (step, e) in program.steps.iter().zip(&expectations) {
            match (step.sends(), &e.far) {
                (None, Some(Far::Tone { .. })) => notified += 1,
                (None, Some(Far::Ended)) => hung_up += 1,
                (None, None) => silent += 1,
                _ => {}
            }
        }
    }
    assert!(
        notified > 0 && silent > 0 && hung_up > 0,
        "the default {budget} programs press keys notified {notified}, not notified {silent}, hang up {hung_up}: each must happen"
    );
}

/// A call the model follows, in `state`, as it starts (unmuted, unsubscribed).
fn model_call(state: CallState) -> conformance::contract::lifecycle::ModelCall {
    conformance::contract::lifecycle::ModelCall {
        state,
        ..conformance::contract::lifecycle::ModelCall::from_start(conformance::contract::lifecycle::Start::Established)
    }
}

#[test]
fn explore_the_model_agrees_with_the_single_cases_fixtures() {
    // Each documented example, on a call in the state its fixture provisions, is the documented exchange.
    for (_, req) in corpus().requests.values() {
        let state = match req.call {
            Some(Live::Incoming) => CallState::Incoming,
            Some(Live::Established) => CallState::Established,
            None => CallState::Unplaced,
        };
        let row = corpus().operations.row(req.provenance.operation);
        let e = expect(model_call(state), row, Sent::Valid).expect("the contract speaks");
        assert_eq!(e.answer, Answer::Documented, "{}", req.id);
    }
    // Each negative fixture's status is the model's, for the call it prepares.
    for (_, neg) in corpus().negatives.values() {
        for &name in &neg.operations {
            let row = corpus().operations.row(name);
            let status = match neg.expect.status {
                ExpectedStatus::Code(s) => Some(s),
                _ => None,
            };
            let (state, sent) = match (neg.call, status) {
                (NegativeCall::Unknown, _) => (CallState::Unknown, Sent::Valid),
                (NegativeCall::Deleted, _) => (CallState::Ended(Ending::Deleted), Sent::Valid),
                (NegativeCall::Rejected, _) => (CallState::Ended(Ending::Rejected), Sent::Valid),
                (NegativeCall::Established, None) => (CallState::Established, Sent::Valid),
                (NegativeCall::Ready, Some(status)) => {
                    let ready = match row.ready() {
                        Live::Incoming => CallState::Incoming,
                        Live::Established => CallState::Established,
                    };
                    (ready, Sent::Invalid { status })
                }
                _ => continue, // a valid boundary ("success"): a documented exchange, covered above
            };
            let e = expect(model_call(state), row, sent).expect("the contract speaks");
            let want = match status {
                Some(s) => Answer::Error(s),
                None => Answer::Unspecified,
            };
            assert_eq!(e.answer, want, "{} on {name}", neg.id);
            if neg.then.as_ref().is_some_and(|t| t.call_alive) {
                assert!(e.after.live(), "{} on {name}: the call stays alive", neg.id);
            }
        }
    }
}

#[test]
fn explore_a_failure_shrinks_to_a_small_program_that_names_its_rule() {
    // Prompts of 100 ms: the fault is no media one, and shrinking waits for every candidate's queue.
    let env = block_on(Env::start(config(&[
        ("CONFORMANCE_DOUBLE_FAULT", "used-call-not-deletable"),
        ("CONFORMANCE_DOUBLE_MEDIA_MS", "100"),
    ])))
    .expect("the double starts");
    let env = Arc::new(env);
    let exploration = explore(env.clone(), Budget { cases: 96, seed: 20261202 }).expect("explore");
    let (_, run, _) = exploration.shrunk.as_ref().expect("the fault is caught");
    // The smallest failing program: one operation on a call (answered first if it rang), then its delete.
    assert!(run.program.steps.len() <= 3, "{:#?}", run.program);
    assert_eq!(run.program.calls.len(), 1, "{:#?}", run.program);
    let msg = report::program_failure(run, "the test", &env.describe());
    for needle in [
        "step 2:",
        "DELETE /communications/calls/{A}",
        "delete ends any live call",
        "\"calls\"",
        "cargo test programs",
    ] {
        assert!(msg.contains(needle), "the message lacks {needle:?}:\n{msg}");
    }
}

/// The saved program with a queue of four media operations after its cancel, run against `env`.
fn long_queue_run(env: Env) -> conformance::judging::program::ProgramRun {
    let env = Arc::new(env);
    let catalog = Arc::new(Catalog::new(corpus(), env.config.edition, &env.config.families).expect("catalog"));
    let id = "two-long-queues-and-a-cancel-between";
    let (_, fixture) = corpus().programs.get(id).expect("the saved program");
    block_on(async move { run_program(&env, &catalog, &fixture.program, id, Waits::full(&env.config)).await })
}

#[test]
fn explore_a_queue_that_outlasts_one_notification_wait_passes_while_its_notifications_keep_coming() {
    // The shaped target plays prompts 700 ms and recordings 1.4 s: the three recordings and the prompt
    // queued after the cancel complete 4.9 s after the last step, far past a 2 s wait, each within 2 s of
    // the one before. The wait goes on while completions come, as a real service's prompts (seconds
    // each) complete one after another. Not a pass that heard nothing: every completion is judged.
    let shaped = block_on(shaped_target::start_playing(Edition::Seeds, std::time::Duration::from_millis(700)));
    let mut env = shaped_env(&shaped, Edition::Seeds);
    env.config.notify_timeout = std::time::Duration::from_millis(2000);
    let run = long_queue_run(env);
    assert!(
        run.passed(),
        "{}",
        report::program_failure(&run, "two-long-queues-and-a-cancel-between", "the shaped target, 700 ms a prompt")
    );
    let heard = run.heard.iter().map(|h| h.len()).sum::<usize>();
    assert!(
        heard >= 5,
        "the cancel's notifications and four completions after it heard, got {heard}"
    );
    // And a queue that stops short still fails: the cancelled ones never come.
    let lost = block_on(Env::start(config(&[
        ("CONFORMANCE_NOTIFY_TIMEOUT_MS", "2000"),
        ("CONFORMANCE_DOUBLE_MEDIA_MS", "300"),
        ("CONFORMANCE_DOUBLE_FAULT", "cancelled-media-not-notified"),
    ])))
    .expect("the double starts");
    let lost = long_queue_run(lost);
    assert!(!lost.passed(), "a queue whose cancelled operations are never notified passed");
    assert!(
        lost.failed_checks()
            .contains(&conformance::judging::verdict::Check::NotificationArrives),
        "{:?}",
        lost.failed_checks()
    );
}
