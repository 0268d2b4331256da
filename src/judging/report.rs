//! Failure messages: what a stranger needs to find and fix a deviation.
//!
//! Names the operation, the document example (seed, section, URL) or the contract rule, the
//! request sent with the token redacted, what came back, and each failed check with expected,
//! actual and schema path.

use std::fmt::Write;
use std::path::Path;

use super::judge::CaseRun;
use crate::contract::case::Case;
use crate::contract::fixture::NegativeFixture;
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
    let mut s = String::new();
    let p = &case.fixture.provenance;
    let _ = writeln!(
        s,
        "\n{} does not conform — {} check(s) failed",
        case.id(),
        run.verdict.findings.len()
    );
    let _ = writeln!(s, "  operation: {} on the {} family", case.operation_line(), run.family.name());
    let _ = writeln!(s, "  document:  {p}");
    let _ = writeln!(s, "  fixture:   {}", relative(case.path));
    let change = case.edition_change.map(|w| format!(" ({w})")).unwrap_or_default();
    let _ = writeln!(s, "  edition:   {}{change}", case.edition.name());
    let _ = writeln!(s, "  target:    {target}");
    if let Some(id) = &run.call_id {
        let _ = writeln!(s, "  call:      {id} (provisioned {})", case.fixture.call);
    }
    exchange(&mut s, run);
    redact(&s)
}

/// The message a failing negative case panics with.
pub fn negative_failure(neg: &NegativeFixture, path: &Path, operation: &str, run: &CaseRun, target: &str) -> String {
    let mut s = String::new();
    let _ = writeln!(
        s,
        "\n{} on call: {operation} does not conform — {} check(s) failed",
        neg.id,
        run.verdict.findings.len()
    );
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
