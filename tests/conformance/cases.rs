//! The conformance cases: every documented exchange, on every requested path family its
//! operation's documents list (a new file under tests/fixtures/requests/ is a new case); every
//! bad-input rule (tests/fixtures/negative/); and every documented notification replayed to a bot.

use std::path::{Path, PathBuf};

use conformance::harness::{applies, block_on, corpus, env, replay_notification, run_case, run_negative};
use conformance::{report, snapshot};
use rstest::rstest;

/// The case id a request fixture file declares.
fn case_id(path: &Path) -> &'static str {
    corpus()
        .requests
        .iter()
        .find(|(_, (p, _))| p.file_name() == path.file_name())
        .map(|(id, _)| id.as_str())
        .unwrap_or_else(|| panic!("{} is not a loaded request fixture", path.display()))
}

#[rstest]
fn documented_exchange(
    #[base_dir = "tests/fixtures/requests"]
    #[files("*.json")]
    path: PathBuf,
) {
    let env = env();
    let case = corpus().case(case_id(&path), env.config.edition).unwrap_or_else(|e| panic!("{e}"));
    let families: Vec<_> = case.families().into_iter().filter(|f| env.config.families.contains(f)).collect();
    assert!(
        !families.is_empty(),
        "{}: {} is documented on the {:?} families only, and CONFORMANCE_PATH_FAMILIES selects {:?}; add one of them to run this case",
        case.id(),
        case.operation,
        case.op.families,
        env.config.families.iter().map(|f| f.name()).collect::<Vec<_>>()
    );
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

/// The negative case a fixture file declares.
fn negative(path: &Path) -> &'static (PathBuf, conformance::fixture::NegativeFixture) {
    corpus()
        .negatives
        .values()
        .find(|(p, _)| p.file_name() == path.file_name())
        .unwrap_or_else(|| panic!("{} is not a loaded negative fixture", path.display()))
}

#[rstest]
fn bad_input(
    #[base_dir = "tests/fixtures/negative"]
    #[files("*.json")]
    path: PathBuf,
) {
    let env = env();
    let (file, neg) = negative(&path);
    if !applies(neg, env) {
        eprintln!(
            "{}: not part of the {} edition ({:?})",
            neg.id,
            env.config.edition.name(),
            neg.editions
        );
        return;
    }
    let mut failures = Vec::new();
    for operation in &neg.operations {
        let documented = &corpus().operations[operation].families;
        let families: Vec<_> = env
            .config
            .families
            .iter()
            .copied()
            .filter(|f| documented.iter().any(|d| d == f.name()))
            .collect();
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

/// The notification fixture a file declares.
fn notification_id(path: &Path) -> &'static str {
    corpus()
        .notifications
        .iter()
        .find(|(_, (p, _))| p.file_name() == path.file_name())
        .map(|(id, _)| id.as_str())
        .unwrap_or_else(|| panic!("{} is not a loaded notification fixture", path.display()))
}

#[rstest]
fn bot_replay(
    #[base_dir = "tests/fixtures/notifications"]
    #[files("*.json")]
    path: PathBuf,
) {
    let env = env();
    let id = notification_id(&path);
    let replays = block_on(async move { replay_notification(env, id).await });
    assert_eq!(replays.len(), 4, "{id}: every variant is replayed");
    if replays.iter().any(|r| !r.verdict.passed()) {
        let fixture = corpus().notification(id).expect("loaded");
        panic!("{}", conformance::bot::failure(fixture, &replays, &env.describe_bot()));
    }
}
