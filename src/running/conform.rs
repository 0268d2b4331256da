//! The conformance report: a run's outcomes as a matrix (one row per operation and document
//! example, one column per kind of check), as JUnit XML for CI systems, and as a self-contained
//! HTML page. Built from the harness's own results, never from scraped test output.

use std::collections::BTreeMap;
use std::fmt::Write;
use strum::IntoEnumIterator;

use super::explore::Exploration;
use super::harness::Outcome;
use crate::bot::replay::{Replay, Variant};
use crate::contract::case::Origin;
use crate::contract::corpus;
use crate::contract::fixture::NotificationFixture;
use crate::judging::report::program_failure;
use crate::judging::verdict::{Aspect, Finding};
use crate::wire::secret::redact;

/// A column of the matrix.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, strum::EnumIter)]
pub enum Column {
    /// The status code.
    Status,
    /// Documented headers.
    Headers,
    /// The body.
    Body,
    /// The notifications the exchange causes.
    Notifications,
    /// Bad input and the error contract.
    BadInput,
    /// The bot's side.
    Bot,
}

impl Column {
    /// Its heading.
    pub fn name(self) -> &'static str {
        match self {
            Column::Status => "status",
            Column::Headers => "headers",
            Column::Body => "body",
            Column::Notifications => "notifications",
            Column::BadInput => "bad input",
            Column::Bot => "bot",
        }
    }
}

/// A cell of the matrix.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cell {
    /// Checked and conformant.
    Pass,
    /// Checked and not conformant.
    Fail,
    /// The case could not run (no hook, no answer).
    Error,
}

/// A known failure a target declares in its expectations file.
#[derive(Debug, Clone, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Expected {
    /// The case id.
    pub case: String,
    /// The operation, for bad-input rules that apply to several (all when absent).
    #[serde(default)]
    pub operation: Option<String>,
    /// Why it fails.
    pub reason: String,
    /// Where the fix is tracked.
    #[serde(default)]
    pub bug: Option<String>,
}

/// A target's expectations file: the failures it knows of (in the manner of web-platform-tests).
#[derive(Debug, Clone, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Expectations {
    /// Which target it describes.
    pub target: String,
    /// The known failures.
    pub expected_failures: Vec<Expected>,
}

impl Expectations {
    /// Reads an expectations file (strict JSON: duplicate keys and unknown fields are errors).
    pub fn load(path: &std::path::Path) -> Result<Expectations, String> {
        crate::contract::fixture::load(path).map_err(|e| e.to_string())
    }
}

/// A row's verdict once expectations are applied.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RowResult {
    /// Passed, as expected.
    Pass,
    /// Failed, unexpectedly.
    Fail,
    /// Failed, as the expectations say.
    ExpectedFail,
    /// Passed although the expectations say it fails: update the file.
    UnexpectedPass,
}

impl RowResult {
    /// Its word in reports.
    pub fn name(self) -> &'static str {
        match self {
            RowResult::Pass => "PASS",
            RowResult::Fail => "FAIL",
            RowResult::ExpectedFail => "XFAIL",
            RowResult::UnexpectedPass => "XPASS",
        }
    }

    /// Whether it should fail the run.
    pub fn unexpected(self) -> bool {
        matches!(self, RowResult::Fail | RowResult::UnexpectedPass)
    }
}

/// One row: an operation's document example (all its families), a negative rule on one
/// operation, or one notification replayed to the bot.
#[derive(Debug, Clone)]
pub struct Row {
    /// The case id.
    pub id: String,
    /// `MUST` (the documents' examples and the rules they state) or `SHOULD` (answers CONTRACT.md adds).
    pub level: &'static str,
    /// The known failure that covers it, when the expectations name it.
    pub expected: Option<Expected>,
    /// `documented`, `bad input`, `explore` or `bot`.
    pub kind: &'static str,
    /// The operation (or, for the bot, the notification's operation).
    pub operation: String,
    /// One line saying what the row is.
    pub title: String,
    /// Where the example or rule is documented.
    pub source: String,
    /// A link to the document, when there is one.
    pub url: Option<String>,
    /// The cells it has (a row has only the columns its checks belong to).
    pub cells: BTreeMap<Column, Cell>,
    /// Failure messages, redacted.
    pub failures: Vec<String>,
    /// Reported-not-failed notes.
    pub notes: Vec<String>,
    /// Seconds it took (the slowest family).
    pub seconds: f64,
}

impl Row {
    /// Whether every cell passed.
    pub fn passed(&self) -> bool {
        self.cells.values().all(|c| *c == Cell::Pass)
    }

    /// Its verdict, with its expectation.
    pub fn outcome(&self) -> RowResult {
        match (self.passed(), self.expected.is_some()) {
            (true, false) => RowResult::Pass,
            (false, false) => RowResult::Fail,
            (false, true) => RowResult::ExpectedFail,
            (true, true) => RowResult::UnexpectedPass,
        }
    }

    /// The columns that did not pass.
    fn failing_columns(&self) -> Vec<&'static str> {
        self.cells
            .iter()
            .filter(|(_, c)| **c != Cell::Pass)
            .map(|(col, _)| col.name())
            .collect()
    }

    fn label(&self) -> String {
        if self.kind == "bad input" {
            format!("{} [{}]", self.id, self.operation)
        } else {
            self.id.clone()
        }
    }
}

/// The whole report.
#[derive(Debug, Clone)]
pub struct Report {
    /// What was tested (a redacted one-line description).
    pub target: String,
    /// The rows, in case order.
    pub rows: Vec<Row>,
}

fn column_of(aspect: Aspect) -> Option<Column> {
    match aspect {
        Aspect::Setup => None,
        Aspect::Status => Some(Column::Status),
        Aspect::Headers => Some(Column::Headers),
        Aspect::Body => Some(Column::Body),
        Aspect::Notifications => Some(Column::Notifications),
        Aspect::BadInput => Some(Column::BadInput),
    }
}

/// Fails the column of each finding's aspect; a finding of no column (setup) errs every one of `columns`.
fn mark_findings<'f>(cells: &mut BTreeMap<Column, Cell>, columns: &[Column], findings: impl IntoIterator<Item = &'f Finding>) {
    for f in findings {
        match column_of(f.aspect) {
            Some(c) => mark(cells, c, Cell::Fail),
            None => columns.iter().for_each(|c| mark(cells, *c, Cell::Error)),
        }
    }
}

fn mark(cells: &mut BTreeMap<Column, Cell>, column: Column, cell: Cell) {
    let slot = cells.entry(column).or_insert(Cell::Pass);
    if *slot == Cell::Pass || cell == Cell::Error {
        *slot = cell;
    }
}

impl Report {
    /// Builds the report from a run's outcomes and bot replays (notification id, replays).
    pub fn build(target: &str, outcomes: &[Outcome], replays: &[(String, Vec<Replay>)]) -> Report {
        let mut rows: BTreeMap<(u8, String, String), Row> = BTreeMap::new();
        for o in outcomes {
            let (order, kind, columns): (u8, &'static str, &[Column]) = if o.negative {
                (1, "bad input", &[Column::BadInput])
            } else {
                (
                    0,
                    "documented",
                    &[Column::Status, Column::Headers, Column::Body, Column::Notifications],
                )
            };
            let row = rows
                .entry((order, o.case_id.clone(), o.operation.clone()))
                .or_insert_with(|| new_row(o, kind));
            for c in columns {
                mark(&mut row.cells, *c, Cell::Pass);
            }
            mark_findings(&mut row.cells, columns, &o.run.verdict.findings);
            row.failures.extend(o.message.iter().map(|m| redact(m)));
            row.notes.extend(o.run.verdict.infos.iter().cloned());
            row.seconds = row.seconds.max(o.elapsed.as_secs_f64());
        }
        // One row per way of replaying (a shape, or a refusal), over every documented notification:
        // a bot team reads "your bot fails batched envelopes" at a glance.
        for variant in Variant::iter() {
            let of_variant: Vec<(&NotificationFixture, Vec<Replay>)> = replays
                .iter()
                .filter_map(|(id, rs)| {
                    let f = corpus().notification(id)?;
                    let rs: Vec<Replay> = rs.iter().filter(|r| r.variant == variant).cloned().collect();
                    (!rs.is_empty()).then_some((f, rs))
                })
                .collect();
            if of_variant.is_empty() {
                continue;
            }
            let expect = if variant.refused() {
                "refused with 401 or 403"
            } else {
                "accepted with a 2xx"
            };
            let mut row = Row {
                id: format!("bot:{}", variant.id()),
                level: "MUST",
                expected: None,
                kind: "bot",
                operation: String::new(),
                title: format!("every documented notification {}, {expect}", variant.name()),
                source: "CONTRACT.md section 4, \"The bot's side\"".into(),
                url: None,
                cells: BTreeMap::new(),
                failures: Vec::new(),
                notes: Vec::new(),
                seconds: 0.0,
            };
            mark(&mut row.cells, Column::Bot, Cell::Pass);
            for (f, rs) in &of_variant {
                if rs.iter().any(|r| !r.verdict.passed()) {
                    mark(&mut row.cells, Column::Bot, Cell::Fail);
                    row.failures.push(crate::bot::replay::failure(f, rs, "the bot"));
                }
            }
            rows.insert(
                (
                    2,
                    format!("{:02}", Variant::iter().position(|v| v == variant).unwrap_or(0)),
                    String::new(),
                ),
                row,
            );
        }
        Report {
            target: redact(target),
            rows: rows.into_values().collect(),
        }
    }

    /// Adds the row of a run's generated programs (`cargo test explore`): one row, its cells failed
    /// by the aspects of every failing program's findings, its failure the shrunk program.
    pub fn add_exploration(&mut self, exploration: &Exploration, target: &str) {
        let budget = exploration.budget;
        let columns = [
            Column::Status,
            Column::Headers,
            Column::Body,
            Column::Notifications,
            Column::BadInput,
        ];
        let mut row = Row {
            id: "explore".into(),
            level: "MUST",
            expected: None,
            kind: "explore",
            operation: "lifecycle".into(),
            title: format!(
                "{} generated programs from seed {}, judged step by step against the lifecycle model",
                budget.cases, budget.seed
            ),
            source: "CONTRACT.md, \"The call's lifecycle\"".into(),
            url: None,
            cells: BTreeMap::new(),
            failures: Vec::new(),
            notes: Vec::new(),
            seconds: 0.0,
        };
        for c in columns {
            mark(&mut row.cells, c, Cell::Pass);
        }
        for run in exploration.runs.iter().filter(|r| !r.passed()) {
            let findings = run.steps.iter().flat_map(|s| &s.verdict.findings);
            mark_findings(&mut row.cells, &columns, findings.chain(&run.after.findings).chain(&run.setup));
        }
        if let Some((_, run, _)) = &exploration.shrunk {
            let again = format!("cargo xtask explore --seed {} --cases {}", budget.seed, budget.cases);
            let origin = exploration.origin(&again).unwrap_or_default();
            row.failures.push(program_failure(run, &origin, target));
        }
        self.rows.push(row);
    }

    /// How many rows failed.
    pub fn failed(&self) -> usize {
        self.rows.iter().filter(|r| !r.passed()).count()
    }

    /// How many rows should fail the run: unexpected failures and unexpected passes.
    pub fn unexpected(&self) -> usize {
        self.rows.iter().filter(|r| r.outcome().unexpected()).count()
    }

    /// Marks the rows a target's expectations name. An entry that names no row is an error: a
    /// stale expectations file hides nothing.
    pub fn apply(&mut self, expectations: &Expectations) -> Result<(), String> {
        for e in &expectations.expected_failures {
            let mut matched = false;
            for r in self
                .rows
                .iter_mut()
                .filter(|r| r.id == e.case && e.operation.as_ref().is_none_or(|o| *o == r.operation))
            {
                r.expected = Some(e.clone());
                matched = true;
            }
            if !matched {
                let op = e.operation.as_deref().map(|o| format!(" [{o}]")).unwrap_or_default();
                return Err(format!("the expectations name {}{op}, which is no case of this run", e.case));
            }
        }
        Ok(())
    }

    /// One line per requirement level: how many rows of each conform, and the INFO notes.
    pub fn levels(&self) -> String {
        let mut s = String::new();
        for level in ["MUST", "SHOULD"] {
            let rows: Vec<&Row> = self.rows.iter().filter(|r| r.level == level).collect();
            let ok = rows.iter().filter(|r| r.passed()).count();
            let _ = writeln!(s, "{level:6}: {ok} of {} rows conform", rows.len());
        }
        let notes: Vec<String> = self
            .rows
            .iter()
            .flat_map(|r| r.notes.iter().map(move |n| format!("{}: {n}", r.id)))
            .collect();
        let _ = writeln!(
            s,
            "INFO  : {} note(s){}",
            notes.len(),
            notes.iter().map(|n| format!("\n        {n}")).collect::<String>()
        );
        s
    }

    /// The matrix as text, for the terminal.
    pub fn matrix(&self) -> String {
        let width = self.rows.iter().map(|r| r.label().len()).max().unwrap_or(10).max(16);
        let mut s = format!("{:width$} {:6}", "case [operation]", "level");
        for c in Column::iter() {
            let _ = write!(s, " {:>13}", c.name());
        }
        s.push_str("  result\n");
        for r in &self.rows {
            let _ = write!(s, "{:width$} {:6}", r.label(), r.level);
            for c in Column::iter() {
                let cell = match r.cells.get(&c) {
                    None => "·",
                    Some(Cell::Pass) => "pass",
                    Some(Cell::Fail) => "FAIL",
                    Some(Cell::Error) => "ERROR",
                };
                let _ = write!(s, " {cell:>13}");
            }
            let _ = writeln!(s, "  {}", r.outcome().name());
        }
        let (total, failed) = (self.rows.len(), self.failed());
        let _ = writeln!(s, "\n{total} rows: {} passed, {failed} failed — {}", total - failed, self.target);
        let expected = self.rows.iter().filter(|r| r.outcome() == RowResult::ExpectedFail).count();
        let xpass: Vec<&Row> = self.rows.iter().filter(|r| r.outcome() == RowResult::UnexpectedPass).collect();
        if expected > 0 || !xpass.is_empty() {
            let _ = writeln!(s, "{expected} expected failure(s); {} unexpected pass(es)", xpass.len());
            for r in xpass {
                let why = r.expected.as_ref().map(|e| e.reason.as_str()).unwrap_or("");
                let _ = writeln!(
                    s,
                    "UNEXPECTED PASS: {} is listed as failing ({why}): remove it from the expectations",
                    r.label()
                );
            }
        }
        s.push_str(&self.levels());
        s
    }

    /// JUnit XML: one testsuite per kind of case, one testcase per row, a failure per failing row.
    pub fn junit(&self) -> String {
        let mut s = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
        let total_time: f64 = self.rows.iter().map(|r| r.seconds).sum();
        let _ = writeln!(
            s,
            "<testsuites name=\"graph-calls-conformance\" tests=\"{}\" failures=\"{}\" errors=\"0\" time=\"{total_time:.3}\">",
            self.rows.len(),
            self.unexpected()
        );
        for kind in ["documented", "bad input", "explore", "bot"] {
            let rows: Vec<&Row> = self.rows.iter().filter(|r| r.kind == kind).collect();
            if rows.is_empty() {
                continue;
            }
            let failed = rows.iter().filter(|r| r.outcome().unexpected()).count();
            let skipped = rows.iter().filter(|r| r.outcome() == RowResult::ExpectedFail).count();
            let time: f64 = rows.iter().map(|r| r.seconds).sum();
            let _ = writeln!(
                s,
                "  <testsuite name=\"{}\" tests=\"{}\" failures=\"{failed}\" errors=\"0\" skipped=\"{skipped}\" time=\"{time:.3}\">",
                xml(kind),
                rows.len()
            );
            // What was tested, where a CI system shows it even when every row passed.
            let _ = writeln!(
                s,
                "    <properties>\n      <property name=\"target\" value=\"{}\"/>\n    </properties>",
                xml(&self.target)
            );
            for r in rows {
                let name = if r.kind == "bad input" {
                    format!("{} [{}]", r.id, r.operation)
                } else {
                    r.id.clone()
                };
                let _ = write!(
                    s,
                    "    <testcase classname=\"{}.{}\" name=\"{}\" time=\"{:.3}\"",
                    xml(&kind.replace(' ', "-")),
                    xml(&r.operation),
                    xml(&name),
                    r.seconds
                );
                match r.outcome() {
                    RowResult::Pass => {
                        s.push_str("/>\n");
                        continue;
                    }
                    RowResult::ExpectedFail => {
                        let e = r
                            .expected
                            .as_ref()
                            .map(|e| format!("expected failure: {} {}", e.reason, e.bug.as_deref().unwrap_or("")))
                            .unwrap_or_default();
                        let _ = writeln!(s, ">\n      <skipped message=\"{}\"/>\n    </testcase>", xml(e.trim()));
                        continue;
                    }
                    RowResult::UnexpectedPass => {
                        let e = r.expected.as_ref().map(|e| e.reason.as_str()).unwrap_or("");
                        let _ = writeln!(
                            s,
                            ">\n      <failure message=\"unexpected pass: listed as failing ({})\" type=\"xpass\"/>\n    </testcase>",
                            xml(e)
                        );
                        continue;
                    }
                    RowResult::Fail => {}
                }
                let columns = r.failing_columns();
                let first = r
                    .failures
                    .first()
                    .and_then(|m| m.lines().find(|l| !l.trim().is_empty()))
                    .unwrap_or("does not conform");
                let _ = writeln!(
                    s,
                    ">\n      <failure message=\"{}\" type=\"{}\">{}</failure>\n    </testcase>",
                    xml(first.trim()),
                    xml(&columns.join(",")),
                    xml(&r.failures.join("\n"))
                );
            }
            s.push_str("  </testsuite>\n");
        }
        s.push_str("</testsuites>\n");
        s
    }

    /// A self-contained HTML page: the matrix, then each failure with its request, expected and
    /// actual answer, and a link to the document example.
    pub fn html(&self) -> String {
        let mut s = String::new();
        let _ = write!(
            s,
            "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"/><title>Graph Calls conformance</title><style>\
             body{{font:14px/1.45 system-ui,sans-serif;margin:2em;color:#1b1f24}}h1{{font-size:1.5em;margin:0 0 .2em}}\
             .sub{{color:#57606a;margin-bottom:1.5em}}table{{border-collapse:collapse}}th,td{{border:1px solid #d0d7de;padding:.3em .7em}}\
             th{{background:#f6f8fa;text-align:left}}td.c{{text-align:center;font-weight:600}}.pass{{background:#dafbe1;color:#116329}}\
             .fail{{background:#ffebe9;color:#a40e26}}.error{{background:#fff8c5;color:#7d4e00}}.na{{color:#8c959f}}\
             .total{{margin:1em 0;font-size:1.1em}}details{{margin:.6em 0;border:1px solid #d0d7de;border-radius:6px;padding:.4em .8em}}\
             summary{{cursor:pointer;font-weight:600}}pre{{background:#f6f8fa;padding:.8em;overflow:auto;font-size:12px}}a{{color:#0969da}}\
             </style></head><body><h1>Graph Calls API conformance</h1><div class=\"sub\">{}</div>",
            html(&self.target)
        );
        let _ = write!(
            s,
            "<div class=\"total\"><b>{}</b> of {} rows conform; <b>{}</b> fail.</div>",
            self.rows.len() - self.failed(),
            self.rows.len(),
            self.failed()
        );
        let _ = write!(s, "<pre>{}</pre>", html(&self.levels()));
        s.push_str("<table><tr><th>case</th><th>level</th><th>kind</th><th>operation</th>");
        for c in Column::iter() {
            let _ = write!(s, "<th>{}</th>", c.name());
        }
        s.push_str("<th>result</th></tr>");
        for (i, r) in self.rows.iter().enumerate() {
            let name = match &r.url {
                Some(u) => format!("<a href=\"{}\" title=\"{}\">{}</a>", html(u), html(&r.source), html(&r.id)),
                None => format!("<span title=\"{}\">{}</span>", html(&r.source), html(&r.id)),
            };
            let _ = write!(
                s,
                "<tr><td>{name}</td><td>{}</td><td>{}</td><td>{}</td>",
                r.level,
                r.kind,
                html(&r.operation)
            );
            for c in Column::iter() {
                let (class, text) = match r.cells.get(&c) {
                    None => ("na", "·".to_string()),
                    Some(Cell::Pass) => ("pass", "pass".to_string()),
                    Some(Cell::Fail) => ("fail", format!("<a href=\"#f{i}\">FAIL</a>")),
                    Some(Cell::Error) => ("error", format!("<a href=\"#f{i}\">ERROR</a>")),
                };
                let _ = write!(s, "<td class=\"c {class}\">{text}</td>");
            }
            let (class, title) = match r.outcome() {
                RowResult::Pass => ("pass", String::new()),
                RowResult::Fail | RowResult::UnexpectedPass => ("fail", r.expected.as_ref().map(|e| e.reason.clone()).unwrap_or_default()),
                RowResult::ExpectedFail => (
                    "error",
                    r.expected
                        .as_ref()
                        .map(|e| format!("{} {}", e.reason, e.bug.as_deref().unwrap_or("")))
                        .unwrap_or_default(),
                ),
            };
            let _ = write!(
                s,
                "<td class=\"c {class}\" title=\"{}\">{}</td></tr>",
                html(&title),
                r.outcome().name()
            );
        }
        s.push_str("</table>");
        if self.failed() > 0 {
            s.push_str("<h2>Failures</h2>");
        }
        for (i, r) in self.rows.iter().enumerate().filter(|(_, r)| !r.passed()) {
            let link = r
                .url
                .as_ref()
                .map(|u| format!(" — <a href=\"{}\">document</a>", html(u)))
                .unwrap_or_default();
            let _ = write!(
                s,
                "<details id=\"f{i}\" open><summary>{} {}{link}</summary><p>{}</p><pre>{}</pre></details>",
                html(&r.id),
                html(&r.operation),
                html(&r.title),
                html(&r.failures.join("\n"))
            );
        }
        s.push_str("</body></html>\n");
        redact(&s)
    }
}

fn new_row(o: &Outcome, kind: &'static str) -> Row {
    let Origin {
        title, source, url, level, ..
    } = o.origin.clone();
    Row {
        id: o.case_id.clone(),
        level: level.name(),
        expected: None,
        kind,
        operation: o.operation.clone(),
        title,
        source,
        url,
        cells: BTreeMap::new(),
        failures: Vec::new(),
        notes: Vec::new(),
        seconds: 0.0,
    }
}

fn xml(text: &str) -> String {
    text.chars()
        .filter(|c| !c.is_control() || matches!(c, '\n' | '\t'))
        .collect::<String>()
        .replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

fn html(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// Several targets side by side (in the manner of Autobahn's report): one row per case, one
/// column per target, each cell the row's result there and the kinds of check that failed.
pub fn compare_html(reports: &[Report]) -> String {
    let mut keys: Vec<(&'static str, String, String)> = Vec::new();
    for r in reports {
        for row in &r.rows {
            let key = (row.kind, row.id.clone(), row.operation.clone());
            if !keys.contains(&key) {
                keys.push(key);
            }
        }
    }
    let mut s = String::from(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"/><title>Graph Calls conformance: comparison</title><style>\
         body{font:14px/1.45 system-ui,sans-serif;margin:2em;color:#1b1f24}table{border-collapse:collapse}th,td{border:1px solid #d0d7de;padding:.3em .7em}\
         th{background:#f6f8fa;text-align:left;vertical-align:bottom}td.c{text-align:center;font-weight:600}.pass{background:#dafbe1;color:#116329}\
         .fail{background:#ffebe9;color:#a40e26}.xfail{background:#fff8c5;color:#7d4e00}.na{color:#8c959f}</style></head><body>\
         <h1>Graph Calls API conformance: side by side</h1><table><tr><th>case</th><th>kind</th><th>operation</th>",
    );
    for (i, r) in reports.iter().enumerate() {
        let _ = write!(
            s,
            "<th>#{} {}<br/><small>{} of {} conform; {} unexpected (the gate {})</small></th>",
            i + 1,
            html(&r.target),
            r.rows.len() - r.failed(),
            r.rows.len(),
            r.unexpected(),
            if r.unexpected() == 0 { "passes" } else { "fails" }
        );
    }
    s.push_str("</tr>");
    for (kind, id, op) in &keys {
        let _ = write!(s, "<tr><td>{}</td><td>{kind}</td><td>{}</td>", html(id), html(op));
        for r in reports {
            match r.rows.iter().find(|row| row.kind == *kind && row.id == *id && row.operation == *op) {
                None => s.push_str("<td class=\"c na\">·</td>"),
                Some(row) => {
                    let failing = row.failing_columns();
                    let class = match row.outcome() {
                        RowResult::Pass => "pass",
                        RowResult::ExpectedFail => "xfail",
                        RowResult::Fail | RowResult::UnexpectedPass => "fail",
                    };
                    let detail = if failing.is_empty() {
                        String::new()
                    } else {
                        format!("<br/><small>{}</small>", failing.join(", "))
                    };
                    let _ = write!(s, "<td class=\"c {class}\">{}{detail}</td>", row.outcome().name());
                }
            }
        }
        s.push_str("</tr>");
    }
    s.push_str("</table></body></html>\n");
    redact(&s)
}
