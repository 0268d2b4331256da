//! The conformance report (`cargo xtask conform`): the matrix, JUnit XML and HTML say the same
//! thing as the harness's own results, and carry no token.

use std::collections::HashMap;
use std::sync::Arc;
use strum::IntoEnumIterator;

use conformance::contract::corpus;
use conformance::contract::edition::Edition;
use conformance::running::config::Config;
use conformance::running::conform::{Cell, Column, Expectations, Expected, Report, RowResult};
use conformance::running::embedded::Env;
use conformance::running::explore::{explore, Budget};
use conformance::running::harness::{block_on, replay_all, run_suite};

const TOKEN: &str = "report-canary-token-6a0b";

fn faulty_report() -> Report {
    let vars: HashMap<&str, &str> = HashMap::from([
        ("CONFORMANCE_DOUBLE_FAULT", "reject-answers-200"),
        ("CONFORMANCE_BOT_DOUBLE_FAULT", "bot-current-only"),
        ("CONFORMANCE_TOKEN", TOKEN),
    ]);
    let config = Config::from_lookup(|k| vars.get(k).map(|v| v.to_string())).expect("config");
    let env = Arc::new(block_on(Env::start(config)).expect("env"));
    let outcomes = block_on(run_suite(env.clone()));
    let replays = block_on(replay_all(env.clone()));
    Report::build(&env.describe(), &outcomes, &replays)
}

/// Checks that every element opened is closed in order (the report escapes all text).
fn assert_well_formed(xml: &str) {
    let mut stack: Vec<String> = Vec::new();
    let mut rest = xml;
    while let Some(start) = rest.find('<') {
        let end = rest[start..].find('>').expect("an unclosed tag") + start;
        let tag = &rest[start + 1..end];
        if tag.starts_with('?') || tag.ends_with('/') {
        } else if let Some(name) = tag.strip_prefix('/') {
            assert_eq!(stack.pop().as_deref(), Some(name), "mismatched </{name}>");
        } else {
            stack.push(tag.split_whitespace().next().unwrap_or_default().to_string());
        }
        rest = &rest[end + 1..];
    }
    assert!(stack.is_empty(), "unclosed elements: {stack:?}");
}

#[test]
fn the_report_matrix_junit_and_html_agree_with_the_run_and_name_each_failure() {
    let report = faulty_report();
    let c = corpus();
    // One row per document example, per negative rule and operation, per variation of a documented
    // request, per way of replaying notifications.
    let negatives: usize = c.negatives.values().map(|(_, n)| n.operations.len()).sum();
    let variations: usize = c
        .case_ids()
        .iter()
        .map(|id| conformance::running::harness::variations_of(&c.case(id, Edition::Seeds).expect("case")).len())
        .sum();
    assert_eq!(
        report.rows.len(),
        c.requests.len() + negatives + variations + conformance::bot::replay::Variant::iter().len(),
        "rows in the seeds edition"
    );
    let row = |id: &str| report.rows.iter().find(|r| r.id == id).expect("row");
    assert_eq!(row("call-reject--busy").cells.get(&Column::Status), Some(&Cell::Fail));
    assert_eq!(row("call-delete").cells.get(&Column::Status), Some(&Cell::Pass));
    // The bot parses only the current dialect: the documented legacy notifications fail, and the
    // current ones turned legacy; the refusals pass.
    assert_eq!(row("bot:documented").cells.get(&Column::Bot), Some(&Cell::Fail));
    assert_eq!(row("bot:other-dialect").cells.get(&Column::Bot), Some(&Cell::Fail));
    assert_eq!(row("bot:no-authorization").cells.get(&Column::Bot), Some(&Cell::Pass));
    assert!(row("bot:batched")
        .title
        .contains("batched with its operation's other notifications"));
    assert!(report.failed() > 0 && report.failed() < report.rows.len());

    let matrix = report.matrix();
    assert!(matrix.contains(&format!(
        "{} rows: {} passed, {} failed",
        report.rows.len(),
        report.rows.len() - report.failed(),
        report.failed()
    )));

    let junit = report.junit();
    assert_well_formed(&junit);
    assert_eq!(junit.matches("<testcase ").count(), report.rows.len(), "one testcase per row");
    assert_eq!(junit.matches("<failure ").count(), report.failed(), "a failure per failing row");
    assert!(junit.contains(&format!("tests=\"{}\" failures=\"{}\"", report.rows.len(), report.failed())));
    assert!(!junit.contains("<failure message=\"\""), "every failure has a message");
    assert!(junit.contains("call-reject--busy does not conform"));

    let html = report.html();
    assert_well_formed(html.trim_start_matches("<!doctype html>"));
    assert!(
        html.contains("https://learn.microsoft.com/graph/api/call-reject?view=graph-rest-1.0"),
        "rows link to their document"
    );
    assert!(
        html.contains("request sent:") && html.contains("expected: 202"),
        "failures show request, expected and actual"
    );
    for text in [&matrix, &junit, &html] {
        assert!(!text.contains(TOKEN), "the token leaked into a report");
    }
}

#[test]
fn expected_failures_pass_the_gate_and_an_unexpected_pass_fails_it() {
    let mut report = faulty_report();
    let unexpected_before = report.unexpected();
    let expectations = Expectations {
        target: "the faulty double".into(),
        expected_failures: vec![
            Expected {
                case: "call-reject--busy".into(),
                operation: None,
                reason: "reject answers 200".into(),
                bug: Some("https://bugs.example/1".into()),
            },
            Expected {
                case: "call-delete".into(),
                operation: None,
                reason: "listed by mistake".into(),
                bug: None,
            },
        ],
    };
    report.apply(&expectations).expect("both entries name rows");
    let row = |id: &str| report.rows.iter().find(|r| r.id == id).expect("row");
    assert_eq!(row("call-reject--busy").outcome(), RowResult::ExpectedFail);
    assert_eq!(row("call-delete").outcome(), RowResult::UnexpectedPass);
    assert_eq!(row("call-reject--none").outcome(), RowResult::Fail);
    // One failure became expected, one pass became unexpected: the gate counts the same, differently.
    assert_eq!(report.unexpected(), unexpected_before);
    let matrix = report.matrix();
    assert!(matrix.contains("UNEXPECTED PASS: call-delete"), "{matrix}");
    let junit = report.junit();
    assert!(
        junit.contains("<skipped message=\"expected failure: reject answers 200 https://bugs.example/1\"/>"),
        "{junit}"
    );
    assert!(junit.contains("type=\"xpass\""));
    assert!(
        junit.contains("skipped=\"1\""),
        "the expected failure is counted as skipped in its suite"
    );
    assert_eq!(
        junit.matches("<failure ").count(),
        report.unexpected(),
        "failures are the unexpected results"
    );
    // A stale entry is refused rather than silently ignored.
    let stale = Expectations {
        target: "t".into(),
        expected_failures: vec![Expected {
            case: "no-such-case".into(),
            operation: None,
            reason: "r".into(),
            bug: None,
        }],
    };
    assert!(report.apply(&stale).expect_err("stale").contains("no-such-case"));
}

#[test]
fn the_example_expectations_file_loads_and_levels_are_reported() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/expectations.example.json");
    let e = Expectations::load(&path).expect("the example loads");
    assert_eq!(e.expected_failures.len(), 2);
    let report = faulty_report();
    let levels = report.levels();
    assert!(
        levels.contains("MUST") && levels.contains("SHOULD") && levels.contains("INFO"),
        "{levels}"
    );
    assert!(report.rows.iter().any(|r| r.level == "SHOULD" && r.id == "unknown-call"));
    // Every row, a generated variation's too, says what it checks and where that comes from.
    let blank: Vec<&str> = report
        .rows
        .iter()
        .filter(|r| matches!(r.kind, "documented" | "bad input") && (r.title.is_empty() || r.source.is_empty()))
        .map(|r| r.id.as_str())
        .collect();
    assert!(blank.is_empty(), "rows with no title or source: {blank:?}");
    let variation = |needle: &str| {
        report
            .rows
            .iter()
            .find(|r| r.id.contains(" ~ ") && r.id.contains(needle))
            .unwrap_or_else(|| panic!("a variation row with {needle:?}"))
    };
    // The level of the negative fixture that states the same rule by hand.
    assert_eq!(variation("status null").level, "SHOULD");
    assert_eq!(variation("not an object").level, "SHOULD");
    assert_eq!(variation("status outside its enum").level, "MUST");
    assert!(variation("status null").url.as_deref().is_some_and(|u| u.starts_with("https://")));
    // A stale example would teach users a file the gate refuses.
    let mut applied = report.clone();
    applied.apply(&e).expect("every entry of the example names a row of a report");
}

#[test]
fn two_targets_side_by_side_show_each_ones_result_per_case() {
    let correct = {
        let env = Arc::new(block_on(Env::start(Config::defaults())).expect("env"));
        let outcomes = block_on(run_suite(env.clone()));
        Report::build(&env.describe(), &outcomes, &[])
    };
    let faulty = faulty_report();
    let page = conformance::running::conform::compare_html(&[correct.clone(), faulty.clone()]);
    let n = correct.rows.len();
    assert!(
        page.contains(&format!("{n} of {n} conform; 0 unexpected (the gate passes)")),
        "{page}"
    );
    assert!(faulty.unexpected() > 0);
    assert!(page.contains(&format!(
        "{} of {} conform; {} unexpected (the gate fails)",
        faulty.rows.len() - faulty.failed(),
        faulty.rows.len(),
        faulty.unexpected()
    )));
    // The reject row: PASS on the correct double, FAIL (status) on the faulty one.
    let row_start = page.find("<tr><td>call-reject--busy</td>").expect("the row");
    let row = &page[row_start..row_start + page[row_start..].find("</tr>").expect("row end")];
    assert!(row.contains(">PASS<") && row.contains(">FAIL<br/><small>status</small>"), "{row}");
    assert!(!page.contains(TOKEN));
}

#[test]
fn report_the_exploration_row_fails_by_its_aspect_and_carries_the_shrunk_program() {
    // Prompts of 100 ms: the fault is no media one, and shrinking waits for every candidate's queue.
    let vars: HashMap<&str, &str> = HashMap::from([
        ("CONFORMANCE_DOUBLE_FAULT", "repeat-refused"),
        ("CONFORMANCE_TOKEN", TOKEN),
        ("CONFORMANCE_DOUBLE_MEDIA_MS", "100"),
    ]);
    let config = Config::from_lookup(|k| vars.get(k).map(|v| v.to_string())).expect("config");
    let env = Arc::new(block_on(Env::start(config)).expect("env"));
    let exploration = explore(env.clone(), Budget::of(&env.config)).expect("explore");
    let mut report = Report::build(&env.describe(), &[], &[]);
    report.add_exploration(&exploration, &env.describe());
    let row = report.rows.iter().find(|r| r.id == "explore").expect("an explore row");
    assert_eq!(row.kind, "explore");
    assert_eq!(row.cells.get(&Column::Status), Some(&Cell::Fail), "{row:?}");
    // Which programs' notifications failed, and how: once, beside six busy loops, one of them did
    // (the row alone did not say which).
    let notified: Vec<String> = exploration
        .runs
        .iter()
        .enumerate()
        .filter(|(_, r)| !r.passed())
        .flat_map(|(i, r)| {
            r.steps
                .iter()
                .flat_map(|s| &s.verdict.findings)
                .chain(&r.after.findings)
                .filter(|f| f.aspect == conformance::judging::verdict::Aspect::Notifications)
                .map(move |f| format!("program {i}: {f}"))
        })
        .collect();
    assert_eq!(
        row.cells.get(&Column::Notifications),
        Some(&Cell::Pass),
        "notification findings under a fault that refuses repeats:\n{}",
        notified.join("\n")
    );
    let failure = row.failures.first().expect("the shrunk program");
    assert!(
        failure.contains("cargo xtask explore --seed") && failure.contains("\"steps\""),
        "{failure}"
    );
    let (junit, html) = (report.junit(), report.html());
    assert_well_formed(&junit);
    for page in [&junit, &html] {
        assert!(page.contains("explore") && page.contains("shrunk"), "{page}");
        assert!(!page.contains(TOKEN));
    }
}
