//! Failure messages: what a stranger needs to find and fix a deviation.
//!
//! Names the operation, the document example (seed, section, URL) or the contract rule, the
//! request sent with the token redacted, what came back, and each failed check with expected,
//! actual and schema path.

use std::fmt::Write;
use std::path::Path;

use super::judge::CaseRun;
use super::program::{ProgramRun, StepRun};
use super::verdict::{Check, Verdict};
use crate::contract::case::Case;
use crate::contract::fixture::NegativeFixture;
use crate::contract::operation::Operation;
use crate::contract::steps::{role, Act, Request};
use crate::wire::secret::redact;

fn indent(text: &str, by: &str) -> String {
    text.lines().map(|l| format!("{by}{l}")).collect::<Vec<_>>().join("\n")
}

fn relative(path: &Path) -> String {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    path.strip_prefix(root).unwrap_or(path).display().to_string()
}

/// The message a failing case panics with.
pub fn failure(case: &Case, run: &CaseRun, target: &str) -> String {
    titled_failure(case, case.id(), None, run, target)
}

/// The message of a failing variation of `case` (`contract::variations`): the documented example it
/// varies, what changed, and for bad input the rule it breaks.
pub fn variation_failure(case: &Case, name: &str, rule: Option<&str>, run: &CaseRun, target: &str) -> String {
    titled_failure(case, &format!("{} ~ {name}", case.id()), rule, run, target)
}

fn titled_failure(case: &Case, title: &str, rule: Option<&str>, run: &CaseRun, target: &str) -> String {
    let mut s = String::new();
    let p = &case.fixture.provenance;
    let _ = writeln!(s, "\n{title} {}", headline(&run.verdict));
    if let Some(rule) = rule {
        let _ = writeln!(s, "  rule:      {rule}");
        let _ = writeln!(s, "  source:    the request schema of {} (schemas/), generated", case.operation);
    }
    let _ = writeln!(s, "  operation: {} on the {} family", case.operation_line(), run.family.name());
    let _ = writeln!(s, "  document:  {p}");
    let _ = writeln!(s, "  fixture:   {}", relative(case.path));
    let change = case.edition_change.map(|w| format!(" ({w})")).unwrap_or_default();
    let _ = writeln!(s, "  edition:   {}{change}", case.edition.name());
    let _ = writeln!(s, "  target:    {target}");
    if let Some(id) = &run.call_id {
        let how = match case.fixture.call {
            Some(state) => format!("provisioned {state}"),
            None => "made by the request: its Location".to_string(),
        };
        let _ = writeln!(s, "  call:      {id} ({how})");
    }
    exchange(&mut s, run);
    redact(&s)
}

/// What a failing case came to: not run, when the target lacks what it needs (a hook, a stimulus),
/// so nobody reads a missing feature as a deviation; else how many checks failed.
fn headline(v: &Verdict) -> String {
    let setup = v.findings.iter().filter(|f| f.check == Check::Setup).count();
    if setup > 0 {
        format!("could not run (not a pass): {setup} thing(s) it needs are missing, below")
    } else {
        format!("does not conform — {} check(s) failed", v.findings.len())
    }
}

/// The message a failing negative case panics with.
pub fn negative_failure(neg: &NegativeFixture, path: &Path, operation: Operation, run: &CaseRun, target: &str) -> String {
    let mut s = String::new();
    let _ = writeln!(s, "\n{} on call: {operation} {}", neg.id, headline(&run.verdict));
    let _ = writeln!(s, "  rule:      {}", neg.rule);
    let _ = writeln!(s, "  source:    {}", neg.source);
    let _ = writeln!(s, "  fixture:   {}", relative(path));
    let _ = writeln!(s, "  family:    {}", run.family.name());
    let _ = writeln!(s, "  target:    {target}");
    if let Some(id) = &run.call_id {
        let _ = writeln!(s, "  call:      {id} ({})", neg.call);
    }
    exchange(&mut s, run);
    redact(&s)
}

/// The request, the answer and every failed check.
fn exchange(s: &mut String, run: &CaseRun) {
    if let Some(req) = &run.request {
        let _ = writeln!(s, "  request sent:\n{}", indent(&req.to_string(), "    "));
    }
    if let Some(resp) = &run.response {
        let _ = writeln!(s, "  response:\n{}", indent(&resp.to_string(), "    "));
    }
    let _ = writeln!(s, "  failed checks:");
    for (i, f) in run.verdict.findings.iter().enumerate() {
        let _ = writeln!(s, "  {}. {}", i + 1, indent(&f.to_string(), "     ").trim_start());
    }
    for info in &run.verdict.infos {
        let _ = writeln!(s, "  note: {info}");
    }
}

/// What a program's step sent, with the call named by its role instead of its id.
fn step_line(step: &StepRun, call_ids: &[String]) -> String {
    let mut path = step.path.clone();
    for (i, id) in call_ids.iter().enumerate() {
        path = path.replace(id.as_str(), &format!("{{{}}}", role(i)));
    }
    let example = match &step.plan.step.act {
        Act::Operation {
            request: Request::Documented { example, .. },
            ..
        } => example.clone(),
        Act::Operation {
            request: Request::Bad { negative },
            ..
        } => format!("bad input: {negative}"),
        Act::Stimulus { stimulus } => format!("{}: {}", stimulus.kind.meaning(), stimulus.body),
    };
    format!("{} {path}  ({example})", step.request.method)
}

/// The message a failing program panics with: how to get it again, each step as sent with what
/// the model expected and what came, the failed checks, and the program as JSON to save and replay.
pub fn program_failure(run: &ProgramRun, origin: &str, target: &str) -> String {
    let mut s = String::new();
    let failed: usize =
        run.steps.iter().map(|st| st.verdict.findings.len()).sum::<usize>() + run.after.findings.len() + usize::from(run.setup.is_some());
    let _ = writeln!(
        s,
        "\na program of {} step(s) does not conform — {failed} check(s) failed",
        run.program.steps.len()
    );
    let _ = writeln!(s, "  program:   {origin}");
    let _ = writeln!(s, "  target:    {target}");
    for (i, start) in run.program.calls.iter().enumerate() {
        let id = run.call_ids.get(i).map(String::as_str).unwrap_or("not provisioned");
        let _ = writeln!(
            s,
            "  call {}:    {} ({id})",
            role(i),
            serde_json::to_value(start).unwrap_or_default().as_str().unwrap_or("?")
        );
    }
    if let Some(f) = &run.setup {
        let _ = writeln!(s, "  could not run: {}", indent(&f.to_string(), "     ").trim_start());
    }
    for (n, step) in run.steps.iter().enumerate() {
        let mark = if step.verdict.passed() { "" } else { "  <- fails" };
        let _ = writeln!(s, "  step {}:    {}{mark}", n + 1, step_line(step, &run.call_ids));
        if let Some(body) = &step.request.body {
            let _ = writeln!(s, "    body:    {body}");
        }
        let _ = writeln!(s, "    model:   {}", step.plan.expected_line());
        let _ = writeln!(s, "    rule:    {}", step.plan.rule());
        match &step.response {
            Some(obs) if step.verdict.passed() => {
                // The operation id, so that a finding about its notifications names a step the reader sees.
                let op = step.operation_id.as_deref().map(|o| format!(", operation {o}")).unwrap_or_default();
                let _ = writeln!(s, "    came:    {}{op}", obs.status);
            }
            Some(obs) => {
                let _ = writeln!(s, "    response:\n{}", indent(&obs.to_string(), "      "));
            }
            None => {}
        }
        failed_checks(&mut s, &step.verdict, "    ");
    }
    let skipped = run.program.steps.len().saturating_sub(run.steps.len());
    if skipped > 0 && run.setup.is_none() {
        let _ = writeln!(s, "  ({skipped} later step(s) not sent: a program stops at its first failing step)");
    }
    if !run.after.passed() {
        let _ = writeln!(s, "  after the steps:");
        failed_checks(&mut s, &run.after, "    ");
    }
    let json = serde_json::to_string_pretty(&run.program).unwrap_or_default();
    let _ = writeln!(
        s,
        "  replay:    save as tests/fixtures/programs/<name>.json (with \"id\", \"description\" and \"program\"; see the README) and run `cargo test programs`:\n{}",
        indent(&json, "    ")
    );
    redact(&s)
}

/// Each failed check of `v`, numbered, and its notes.
fn failed_checks(s: &mut String, v: &Verdict, by: &str) {
    if v.findings.is_empty() {
        return;
    }
    let _ = writeln!(s, "{by}failed checks:");
    for (i, f) in v.findings.iter().enumerate() {
        let _ = writeln!(s, "{by}{}. {}", i + 1, indent(&f.to_string(), &format!("{by}   ")).trim_start());
    }
    for info in &v.infos {
        let _ = writeln!(s, "{by}note: {info}");
    }
}
