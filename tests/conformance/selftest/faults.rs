//! The detection matrix: the double in every fault mode, against the cases each fault names.
//!
//! Proves that each fault of the catalog is caught by the cases it names, through the check it
//! belongs to (a fault only programs are to catch runs the whole suite, which must pass); that every check of `Check::iter()` is proven by at least one fault; and that the
//! failures name their rule and source without printing the token. The rendered matrix is kept in
//! `docs/detection-matrix.md` (`UPDATE_DOCS=1 cargo test detection_matrix` rewrites it). Notification
//! waits are 3 s, what a fault that loses a notification costs; a wait never ends while the double is
//! still sending what it meant to be on time (`Env::hear`), so on a loaded machine content faults
//! (echo, correlation, an oversized body) are still *received* and fail by their own check.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::sync::Arc;
use strum::IntoEnumIterator;

use conformance::contract::program::Catalog;
use conformance::doubles::bot_faults::BotFault;
use conformance::doubles::faults::Fault;
use conformance::judging::program::ProgramRun;
use conformance::judging::report;
use conformance::judging::verdict::Check;
use conformance::running::config::Config;
use conformance::running::embedded::{fault_matrix_config, faults_of, Env};
use conformance::running::explore::{run_generated, run_program, Budget, Waits};
use conformance::running::harness::{block_on, run_cases, Outcome, Selection};

use crate::selftest::bot::ReplayResult;

const CANARY: &str = "fault-matrix-canary-token-3c7d";
/// How many faults run at once: each starts its own double and listener. The matrix waits more than
/// it works (faults that lose a notification wait out its 3 s), so twice the eight it once ran
/// halves its time (46 s to 31 s alone, 2 cores: docs/performance.md) without a verdict changing.
const AT_ONCE: usize = 16;

fn config_for(fault: Fault) -> Config {
    fault_matrix_config(fault, Some(CANARY))
}

/// What the whole suite did under one fault: the cases' outcomes, and the generated programs'
/// runs where the fault is one exploration must catch.
struct FaultRun {
    fault: Fault,
    outcomes: Vec<Outcome>,
    programs: Vec<ProgramRun>,
    saved: Vec<ProgramRun>,
}

/// The case id a fault names when generated programs (`cargo test explore`) must catch it.
const EXPLORE: &str = "explore";
/// The case id a fault names when the saved programs (`cargo test programs`) must catch it.
const SAVED: &str = "programs";

fn run_all_faults() -> Vec<FaultRun> {
    block_on(async {
        // AT_ONCE at a time, the next starting as soon as one ends: a slow fault (one that waits out
        // notification timeouts) holds up no batch.
        let gate = Arc::new(tokio::sync::Semaphore::new(AT_ONCE));
        let mut tasks = tokio::task::JoinSet::new();
        for fault in Fault::iter() {
            let gate = gate.clone();
            tasks.spawn(async move {
                let _permit = gate.acquire_owned().await;
                let env = Arc::new(Env::start(config_for(fault)).await.expect("the double starts"));
                // The three at once, on one double as a target takes them: the saved programs and
                // the generated ones play queues at the double's pace, so one after the other they
                // made the queue faults the matrix's long pole.
                let (outcomes, programs, saved) = tokio::join!(
                    run_cases(env.clone(), selection(fault), |_| {}),
                    async {
                        if fault.caught_by().contains(&EXPLORE) {
                            let budget = Budget::of(&env.config);
                            run_generated(env.clone(), budget).await.expect("programs are generated")
                        } else {
                            Vec::new()
                        }
                    },
                    async {
                        if fault.caught_by().contains(&SAVED) {
                            run_saved(&env).await
                        } else {
                            Vec::new()
                        }
                    }
                );
                FaultRun {
                    fault,
                    outcomes,
                    programs,
                    saved,
                }
            });
        }
        let mut out = Vec::new();
        while let Some(r) = tasks.join_next().await {
            out.push(r.expect("a fault run panicked"));
        }
        out.sort_by_key(|r| r.fault);
        out
    })
}

/// The cases a fault's run takes: the cases it names, or, for a fault only programs are to catch,
/// every documented and negative case, which must all pass (that is why programs exist). What else
/// fails under a fault depends on timing and was never asserted; running the whole suite under
/// every fault only cost time (docs/performance.md).
fn selection(fault: Fault) -> Selection {
    if programs_only(fault) {
        Selection::All { variations: false }
    } else {
        Selection::Only(fault.caught_by())
    }
}

fn programs_only(fault: Fault) -> bool {
    fault.caught_by().iter().all(|c| [EXPLORE, SAVED].contains(c))
}

/// Every saved program (`tests/fixtures/programs/`), run against `env` at once: each plays its
/// queue at the double's pace, so one after another they were the longest fault's half.
async fn run_saved(env: &Env) -> Vec<ProgramRun> {
    let corpus = conformance::contract::corpus();
    let catalog = Catalog::new(corpus, env.config.edition, &env.config.families).expect("catalog");
    let runs = corpus.programs.iter().map(|(id, (_, fixture))| {
        let name = format!("saved-{id}");
        let catalog = &catalog;
        async move { run_program(env, catalog, &fixture.program, &name, Waits::full(&env.config)).await }
    });
    futures_util::future::join_all(runs).await
}

/// Failing case id -> the checks that failed it.
fn failing(outcomes: &[Outcome]) -> BTreeMap<String, BTreeSet<Check>> {
    let mut out: BTreeMap<String, BTreeSet<Check>> = BTreeMap::new();
    for o in outcomes.iter().filter(|o| !o.run.verdict.passed()) {
        out.entry(o.case_id.clone())
            .or_default()
            .extend(o.run.verdict.findings.iter().map(|f| f.check));
    }
    out
}

/// The checks that failed generated programs, when any failed.
fn failing_programs(programs: &[ProgramRun]) -> Option<BTreeSet<Check>> {
    let failed: Vec<&ProgramRun> = programs.iter().filter(|p| !p.passed()).collect();
    (!failed.is_empty()).then(|| failed.iter().flat_map(|p| p.failed_checks()).collect())
}

/// The page: what the test asserts, so it is the same on every run (collateral failures, which
/// depend on timing under load, are left out).
fn render() -> String {
    let mut s = String::from(
        "# Detection matrix\n\n\
         Every fault of the double's catalog (`src/doubles/faults.rs`), the check that exists to catch it, and the cases that must\n\
         fail by that check when they run against the double in that fault mode (seeds edition).\n\
         `selftest::faults::detection_matrix_every_fault_is_caught_and_every_check_can_fail` asserts every row on every `cargo test`.\n\
         Reproduce a row: `CONFORMANCE_DOUBLE_FAULT=<fault> cargo test cases` (or `cargo xtask serve-double --fault <fault>`).\n\
         Regenerate this page: `UPDATE_DOCS=1 cargo test detection_matrix`.\n\n\
         `explore` is the generated programs of `cargo test explore` (the lifecycle model; default budget and seed). The faults it alone\n\
         catches keep state across requests on one call: under each of them every documented and bad-input case passes (asserted),\n\
         so the single-exchange cases alone would miss them. `programs` is the saved programs of `cargo test programs`\n\
         (`tests/fixtures/programs/`): sequences written out from CONTRACT.md that the default budget reaches too seldom.\n\n\
         | fault | the bug | check | caught by |\n|---|---|---|---|\n",
    );
    for fault in Fault::iter() {
        let cases: Vec<String> = fault.caught_by().iter().map(|c| format!("`{c}`")).collect();
        s.push_str(&format!(
            "| `{}` | {} | `{}` | {} |\n",
            fault.name(),
            fault.bug().replace('|', "\\|"),
            fault.check().name(),
            cases.join(", ")
        ));
    }
    s.push_str("\n## Checks and the faults that prove them\n\n| check | proven by |\n|---|---|\n");
    for check in Check::iter() {
        let target = Fault::iter().filter(|f| f.check() == check).map(|f| format!("`{}`", f.name()));
        let bot = BotFault::iter().filter(|f| f.check() == check).map(|f| format!("`{}`", f.name()));
        s.push_str(&format!(
            "| `{}` | {} |\n",
            check.name(),
            target.chain(bot).collect::<Vec<_>>().join(", ")
        ));
    }
    s
}

#[test]
fn detection_matrix_every_fault_is_caught_and_every_check_can_fail() {
    // The bot faults run meanwhile: `bot-slow` spends most of its time waiting out a timeout.
    let bot_run = std::thread::spawn(|| {
        BotFault::iter()
            .map(|f| (f, crate::selftest::bot::replays_under(f)))
            .collect::<Vec<(BotFault, Vec<ReplayResult>)>>()
    });
    let results = run_all_faults();
    let mut problems = Vec::new();
    let mut proven = BTreeSet::new();
    for FaultRun {
        fault,
        outcomes,
        programs,
        saved,
    } in &results
    {
        let mut failing = failing(outcomes);
        if programs_only(*fault) && !failing.is_empty() {
            problems.push(format!(
                "{}: meant to be seen by programs alone, but single cases failed too: {:?}",
                fault.name(),
                failing.keys().collect::<Vec<_>>()
            ));
        }
        failing.extend(failing_programs(programs).map(|checks| (EXPLORE.to_string(), checks)));
        failing.extend(failing_programs(saved).map(|checks| (SAVED.to_string(), checks)));
        for p in programs.iter().filter(|p| !p.passed()).take(1) {
            let msg = report::program_failure(p, "the detection matrix", "the embedded double");
            if msg.contains(CANARY) || !msg.contains("rule:") {
                problems.push(format!(
                    "{}: a failing program's message leaks the token or names no rule:\n{msg}",
                    fault.name()
                ));
            }
        }
        for id in fault.caught_by() {
            if ![EXPLORE, SAVED].contains(id) && !outcomes.iter().any(|o| o.case_id == *id) {
                problems.push(format!(
                    "{}: names {id}, which is no case, variation or negative case of the corpus (or does not apply to the seeds edition)",
                    fault.name()
                ));
                continue;
            }
            match failing.get(*id) {
                Some(checks) if checks.contains(&fault.check()) => {}
                Some(checks) => problems.push(format!(
                    "{}: {id} failed, but by {checks:?} and not by {:?}",
                    fault.name(),
                    fault.check()
                )),
                None => problems.push(format!("{}: {id} passed; the fault went unnoticed", fault.name())),
            }
        }
        proven.extend(failing.values().flatten().copied());
        for o in outcomes {
            let Some(msg) = &o.message else { continue };
            if msg.contains(CANARY) {
                problems.push(format!("{}: the token leaked in the failure of {}", fault.name(), o.case_id));
            }
            let names_source = if o.negative {
                msg.contains("rule:") && msg.contains("source:")
            } else {
                msg.contains("document:") && msg.contains("seed ")
            };
            if !names_source {
                problems.push(format!(
                    "{}: the failure of {} names no rule or document:\n{msg}",
                    fault.name(),
                    o.case_id
                ));
            }
        }
    }
    let bot_results = bot_run.join().expect("the bot fault runs panicked");
    for (fault, replays) in &bot_results {
        for ReplayResult {
            id,
            variant,
            checks,
            message,
        } in replays
        {
            let fixture = conformance::contract::corpus().notification(id).expect("loaded");
            if fault.must_catch(fixture, *variant) && !checks.contains(&fault.check()) {
                problems.push(format!(
                    "{}: {id} replayed {} should fail by {:?}; it failed by {checks:?}",
                    fault.name(),
                    variant.name(),
                    fault.check()
                ));
            }
            if message.contains(crate::selftest::bot::BOT_CANARY) {
                problems.push(format!("{}: the bot token leaked in the failure of {id}", fault.name()));
            }
            let names_both = message.contains(id.as_str()) && message.contains("    < ");
            if !checks.is_empty() && !names_both {
                problems.push(format!(
                    "{}: the failure of {id} does not name the notification and the answer:\n{message}",
                    fault.name()
                ));
            }
            proven.extend(checks.iter().copied());
        }
    }
    for check in Check::iter() {
        let declared = Fault::iter().any(|f| f.check() == check) || BotFault::iter().any(|f| f.check() == check);
        if !declared {
            problems.push(format!(
                "no fault declares check {}: add one whose bug it exists to catch",
                check.name()
            ));
        }
        if !proven.contains(&check) {
            problems.push(format!(
                "check {} is proven by no fault: add one to src/doubles/faults.rs",
                check.name()
            ));
        }
    }
    assert!(problems.is_empty(), "{} problem(s):\n{}", problems.len(), problems.join("\n"));
    ensure_file("docs/detection-matrix.md", &(render() + &render_bot()));
}

fn render_bot() -> String {
    let mut s = String::from(
        "\n## Bot faults\n\n\
         The bot double's bugs (`src/doubles/bot_faults.rs`), each replayed notification must expose\n\
         (`CONFORMANCE_BOT_DOUBLE_FAULT=<fault> cargo test bot_replay`).\n\n\
         | fault | the bug | check | caught by |\n|---|---|---|---|\n",
    );
    let c = conformance::contract::corpus();
    for fault in BotFault::iter() {
        let mut cells = Vec::new();
        for (id, (_, f)) in &c.notifications {
            for v in conformance::bot::replay::Variant::iter() {
                if fault.must_catch(f, v) {
                    cells.push(format!("`{id}` {}", v.name()));
                }
            }
        }
        s.push_str(&format!(
            "| `{}` | {} | `{}` | {} |\n",
            fault.name(),
            fault.bug(),
            fault.check().name(),
            cells.join("<br>")
        ));
    }
    s
}

/// Fails when `path` differs from `contents`, unless UPDATE_DOCS=1, which rewrites it.
fn ensure_file(path: &str, contents: &str) {
    let full = Path::new(env!("CARGO_MANIFEST_DIR")).join(path);
    let current = std::fs::read_to_string(&full).unwrap_or_default();
    if current == contents {
        return;
    }
    if std::env::var("UPDATE_DOCS").as_deref() == Ok("1") {
        std::fs::write(&full, contents).expect("write the page");
        return;
    }
    panic!("{path} is not up to date; run `UPDATE_DOCS=1 cargo test detection_matrix` and review the diff");
}

#[test]
fn the_catalog_is_large_named_uniquely_and_reachable_by_name() {
    assert!(Fault::iter().len() > 30);
    let names: BTreeSet<&str> = Fault::iter().map(|f| f.name()).collect();
    assert_eq!(names.len(), Fault::iter().len(), "fault names must be unique");
    for f in Fault::iter() {
        assert_eq!(Fault::parse(f.name()), Some(f));
        let c = Config::from_lookup(|k| (k == "CONFORMANCE_DOUBLE_FAULT").then(|| f.name().to_string())).expect("valid");
        assert_eq!(faults_of(&c).expect("in the catalog").0, Some(f));
    }
    let c = Config::from_lookup(|k| (k == "CONFORMANCE_DOUBLE_FAULT").then(|| "no-such-fault".to_string())).expect("a name");
    let err = faults_of(&c).expect_err("unknown");
    assert!(
        err.to_string().contains("delete-order-swapped"),
        "the error lists the catalog: {err}"
    );
    assert!(!err.to_string().contains("did you mean"), "no guess for a name far from any: {err}");
    let c = Config::from_lookup(|k| (k == "CONFORMANCE_DOUBLE_FAULT").then(|| "delete-oredr-swapped".to_string())).expect("a name");
    let err = faults_of(&c).expect_err("misspelt").to_string();
    assert!(err.contains("is not in the catalog; did you mean delete-order-swapped?"), "{err}");
}
