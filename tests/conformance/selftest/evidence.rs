//! Against the embedded double, waits end on the double's evidence, not on a clock.
//!
//! A wait for notifications that ran out while the double was still sending to that inbox what it
//! meant to be on time goes on until the double has delivered it (`Env::hear`), so a loaded machine
//! costs time and never a verdict. These tests squeeze the budgets to 1 ms, far below what any
//! delivery takes, and prove both halves: the correct double still passes everything (nothing is
//! judged on the clock), and the faults still fail by their own checks, a deliberately late
//! notification included (the double's intent to be late is not waited out).

use std::collections::BTreeSet;
use std::sync::Arc;

use conformance::doubles::faults::Fault;
use conformance::judging::verdict::Check;
use conformance::running::embedded::Env;
use conformance::running::explore::{run_generated, Budget};
use conformance::running::harness::{block_on, run_cases, Outcome, Selection};

use crate::selftest::config;

/// Every budget that a clock would end: 1 ms.
const SQUEEZED: [(&str, &str); 2] = [("CONFORMANCE_NOTIFY_TIMEOUT_MS", "1"), ("CONFORMANCE_QUIET_MS", "1")];

fn env_with(extra: &[(&str, &str)]) -> Arc<Env> {
    let vars: Vec<(&str, &str)> = SQUEEZED.iter().chain(extra).copied().collect();
    Arc::new(block_on(Env::start(config(&vars))).expect("the double starts"))
}

fn failures(outcomes: &[Outcome]) -> Vec<&str> {
    outcomes.iter().filter_map(|o| o.message.as_deref()).collect()
}

#[test]
fn evidence_a_1_ms_budget_still_passes_every_case_and_program_against_the_correct_double() {
    let env = env_with(&[("CONFORMANCE_EXPLORE_CASES", "16")]);
    let outcomes = block_on(run_cases(env.clone(), Selection::All { variations: true }, |_| {}));
    let failed = failures(&outcomes);
    assert!(
        failed.is_empty(),
        "{} of {} runs failed though the double delivered everything:\n{}",
        failed.len(),
        outcomes.len(),
        failed.join("\n")
    );
    assert!(outcomes.len() > 40, "the whole suite ran: only {} runs", outcomes.len());
    let programs = block_on(run_generated(env.clone(), Budget::of(&env.config))).expect("programs are generated");
    let failed: Vec<_> = programs.iter().filter(|p| !p.passed()).collect();
    assert!(failed.is_empty(), "{} of {} programs failed", failed.len(), programs.len());
    assert_eq!(programs.len(), 16);
}

/// The cases a fault must fail that failed by its own check, and those that did not.
fn caught(fault: Fault, outcomes: &[Outcome]) -> (BTreeSet<String>, BTreeSet<String>) {
    let by_its_check: BTreeSet<String> = outcomes
        .iter()
        .filter(|o| o.run.verdict.findings.iter().any(|f| f.check == fault.check()))
        .map(|o| o.case_id.clone())
        .collect();
    let missed = fault
        .caught_by()
        .iter()
        .filter(|id| !by_its_check.contains(**id))
        .map(|id| id.to_string())
        .collect();
    (by_its_check, missed)
}

#[test]
fn evidence_a_refused_request_that_notifies_is_caught_within_a_1_ms_quiet_window() {
    let fault = Fault::RefusedRequestNotifies;
    let env = env_with(&[("CONFORMANCE_DOUBLE_FAULT", fault.name())]);
    let outcomes = block_on(run_cases(env, Selection::Only(fault.caught_by()), |_| {}));
    let (seen, missed) = caught(fault, &outcomes);
    assert_eq!(fault.check(), Check::NoNotificationWhenRefused);
    assert!(
        missed.is_empty(),
        "{} went unnoticed by {missed:?} (seen by {seen:?})",
        fault.name()
    );
}

#[test]
fn evidence_a_notification_the_double_means_to_be_late_is_not_waited_for() {
    let fault = Fault::DeleteLate;
    let env = env_with(&[("CONFORMANCE_DOUBLE_FAULT", fault.name())]);
    let started = std::time::Instant::now();
    let outcomes = block_on(run_cases(env, Selection::Only(fault.caught_by()), |_| {}));
    let (seen, missed) = caught(fault, &outcomes);
    assert!(
        missed.is_empty(),
        "{} went unnoticed by {missed:?} (seen by {seen:?})",
        fault.name()
    );
    // Not a timing assert on the suite: proof that the 12 s lateness was not waited out, which is
    // what would have let the late notification in and the fault pass.
    assert!(
        started.elapsed() < conformance::doubles::service::LATE_BY,
        "the suite waited out the double's deliberate lateness"
    );
}
