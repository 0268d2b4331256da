//! The conformance cases: every documented exchange, on every requested path family its
//! operation's documents list (a new file under tests/fixtures/requests/ is a new case); every
//! bad-input rule (tests/fixtures/negative/); and every documented notification replayed to a bot.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use strum::IntoEnumIterator;

use conformance::bot::replay::Variant;
use conformance::contract::corpus;
use conformance::contract::program::Catalog;
use conformance::judging::report;
use conformance::running::explore::{explore, run_program, Budget, Waits};
use conformance::running::harness::{applies, block_on, env, replay_notification, run_case, run_negative, run_variation, variations_of};
use conformance::running::snapshot;
use rstest::rstest;

/// The entry (id, (file, fixture)) of `map` loaded from the file rstest passed in; a file the
/// corpus did not load is a bug in the suite, not a skipped case.
fn by_file<'c, T>(map: &'c BTreeMap<String, (PathBuf, T)>, path: &Path) -> (&'c String, &'c (PathBuf, T)) {
    map.iter()
        .find(|(_, (p, _))| p.file_name() == path.file_name())
        .unwrap_or_else(|| panic!("{} is not a loaded fixture", path.display()))
}

/// The case of the request fixture at `path` under the run's edition, and the selected families its
/// operation's documents list; a case no selected family can run fails saying what to set.
fn case_on_selected_families(
    path: &Path,
) -> (
    conformance::contract::case::Case<'static>,
    Vec<conformance::contract::family::Family>,
) {
    let env = env();
    let case = corpus()
        .case(by_file(&corpus().requests, path).0, env.config.edition)
        .unwrap_or_else(|e| panic!("{e}"));
    let families: Vec<_> = case.families().into_iter().filter(|f| env.config.families.contains(f)).collect();
    assert!(
        !families.is_empty(),
        "{}: {} is documented on the {:?} families only, and CONFORMANCE_PATH_FAMILIES selects {:?}; add one of them to run this case",
        case.id(),
        case.operation,
        case.op.families,
        env.config.families.iter().map(|f| f.name()).collect::<Vec<_>>()
    );
    (case, families)
}

#[rstest]
fn documented_exchange(
    #[base_dir = "tests/fixtures/requests"]
    #[files("*.json")]
    path: PathBuf,
) {
    let env = env();
    let (case, families) = case_on_selected_families(&path);
    for family in families {
        let c = case.clone();
        let run = block_on(async move { run_case(env, &c, family).await });
        for info in &run.verdict.infos {
            eprintln!("{} [{}]: {info}", case.id(), family.name());
        }
        if !run.verdict.passed() {
            panic!("{}", report::failure(&case, &run, &env.describe()));
        }
        snapshot::assert_run(&env.config.snapshots, &case, &run, &env.volatile_hosts());
    }
}

#[rstest]
fn bad_input(
    #[base_dir = "tests/fixtures/negative"]
    #[files("*.json")]
    #[files("${CONFORMANCE_EDITION:-seeds}/*.json")]
    path: PathBuf,
) {
    let env = env();
    let (_, (file, neg)) = by_file(&corpus().negatives, &path);
    // The cases are globbed for the edition the binary was built with (build.rs rebuilds it when
    // CONFORMANCE_EDITION changes), so this holds unless a stale binary is run by hand.
    assert!(
        applies(neg, env),
        "{}: a rule of the {:?} edition(s) reached a run of the {} edition: rebuild the tests (cargo test) with CONFORMANCE_EDITION set as for the run",
        neg.id,
        neg.editions,
        env.config.edition.name()
    );
    let mut failures = Vec::new();
    for &operation in &neg.operations {
        let documented = &corpus().operations.row(operation).families;
        let families: Vec<_> = env.config.families.iter().copied().filter(|f| documented.contains(f)).collect();
        assert!(
            !families.is_empty(),
            "{}: {operation} is documented on {documented:?} only; CONFORMANCE_PATH_FAMILIES selects none of them",
            neg.id
        );
        for family in families {
            let run = block_on(async move { run_negative(env, neg, operation, family).await });
            if !run.verdict.passed() {
                failures.push(report::negative_failure(neg, file, operation, &run, &env.describe()));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[rstest]
fn bot_replay(
    #[base_dir = "tests/fixtures/notifications"]
    #[files("*.json")]
    path: PathBuf,
) {
    let env = env();
    let id = by_file(&corpus().notifications, &path).0.as_str();
    let replays = block_on(async move { replay_notification(env, id).await });
    let fixture = corpus().notification(id).expect("loaded");
    let applicable = Variant::iter().filter(|v| v.applies(fixture)).count();
    assert_eq!(replays.len(), applicable, "{id}: every shape that applies is replayed");
    if replays.iter().any(|r| !r.verdict.passed()) {
        panic!("{}", conformance::bot::replay::failure(fixture, &replays, &env.describe_bot()));
    }
}

/// Generated programs: sequences of operations on one to three calls, each step judged against the
/// lifecycle model (CONTRACT.md "The call's lifecycle") by the checks the cases above use.
/// `CONFORMANCE_EXPLORE_CASES` programs from `CONFORMANCE_EXPLORE_SEED`: the same every run.
#[test]
fn explore_generated_programs_follow_the_lifecycle_model() {
    let env = env();
    let budget = Budget::of(&env.config);
    let exploration = explore(env, budget).unwrap_or_else(|e| panic!("explore: {e}"));
    if let (Some((_, run, _)), Some(origin)) = (
        &exploration.shrunk,
        exploration.origin(&format!(
            "CONFORMANCE_EXPLORE_SEED={} CONFORMANCE_EXPLORE_CASES={} cargo test explore",
            budget.seed, budget.cases
        )),
    ) {
        panic!("{}", report::program_failure(run, &origin, &env.describe()));
    }
}

/// Saved programs (tests/fixtures/programs/): regression cases, each replayed as written.
#[rstest]
fn programs(
    #[base_dir = "tests/fixtures/programs"]
    #[files("*.json")]
    path: PathBuf,
) {
    let env = env();
    let (id, (file, fixture)) = by_file(&corpus().programs, &path);
    let catalog = Catalog::new(corpus(), env.config.edition, &env.config.families).unwrap_or_else(|e| panic!("{e}"));
    let program = fixture.program.clone();
    let label = id.clone();
    let run = block_on(async move { run_program(env, &catalog, &program, &label, Waits::full(&env.config)).await });
    if !run.passed() {
        let origin = format!("{id} ({}): {}", file.display(), fixture.description);
        panic!("{}", report::program_failure(&run, &origin, &env.describe()));
    }
}

/// Each documented request in the other forms its request schema allows (each judged with every
/// check of the documented case), and bad input generated from the schema (400 and the error object).
///
/// A request with no body has no other form: the delete and keepAlive fixtures are no case here (a
/// case that runs nothing would pass having tested nothing). `selftest::fixtures` proves this
/// exclusion names exactly the fixtures without variations.
#[rstest]
fn variations(
    #[base_dir = "tests/fixtures/requests"]
    #[files("*.json")]
    #[exclude("delete|keep-alive|get-call|get-participant")]
    path: PathBuf,
) {
    let env = env();
    let (case, families) = case_on_selected_families(&path);
    let family = families[0];
    let all = variations_of(&case);
    assert!(!all.is_empty(), "{}: no variation to run: a case that runs nothing must not exist; add its file to this case's #[exclude] (and to selftest::fixtures' list)", case.id());
    let failures: Vec<String> = block_on(async move {
        let runs = all.iter().map(|v| run_variation(env, &case, v, family));
        let runs = futures_util::future::join_all(runs).await;
        all.iter()
            .zip(runs)
            .filter(|(_, run)| !run.verdict.passed())
            .map(|(v, run)| report::variation_failure(&case, &v.name, v.rule(), &run, &env.describe()))
            .collect()
    });
    assert!(failures.is_empty(), "{} variation(s) failed:{}", failures.len(), failures.join(""));
}
