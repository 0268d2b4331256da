//! The conformance cases: every documented exchange, on every requested path family its
//! operation's documents list. A new file under tests/fixtures/requests/ is a new case.

use std::path::{Path, PathBuf};

use conformance::harness::{block_on, corpus, env, run_case};
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
fn documented_exchange(#[files("tests/fixtures/requests/*.json")] path: PathBuf) {
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
        snapshot::assert_matches(&env.config.snapshots, &case, &run.projection);
    }
}
