//! Failure messages: what a stranger needs to find and fix a deviation.
//!
//! Names the operation, the document example (seed, section, URL), the request sent with the token
//! redacted, what came back, and each failed check with expected, actual and schema path.

use std::fmt::Write;

use crate::case::Case;
use crate::harness::CaseRun;
use crate::secret::redact;

fn indent(text: &str, by: &str) -> String {
    text.lines().map(|l| format!("{by}{l}")).collect::<Vec<_>>().join("\n")
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
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let _ = writeln!(s, "  fixture:   {}", case.path.strip_prefix(root).unwrap_or(case.path).display());
    let _ = writeln!(
        s,
        "  edition:   {}{}",
        case.edition.name(),
        case.edition_change.map(|w| format!(" ({w})")).unwrap_or_default()
    );
    let _ = writeln!(s, "  target:    {target}");
    if let Some(id) = &run.call_id {
        let _ = writeln!(s, "  call:      {id} (provisioned {})", case.fixture.call);
    }
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
    redact(&s)
}
