//! The coverage table (`docs/coverage.md`, its summary in the README): for every block of today's
//! pages, the case or replay that uses it, or why none does. Derived from the fixtures alone, so it
//! cannot say a block is used when no fixture is made from it; the self-tests compare the files with
//! what this module writes (`cargo xtask import-pages` rewrites them).

use std::collections::BTreeMap;

use super::fixture::Corpus;
use super::page_block::{Exchange, PageBlock};

/// How a block of a page is accounted for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Use {
    /// A fixture is made from it (`provenance.block`): the test and file that run it.
    Case(String),
    /// A seed's fixture shows the same exchange with the same body: that fixture's case.
    SameAsSeed(String),
    /// The page got it wrong (CONTRACT.md section 7.1).
    Rejected(String),
    /// Its page belongs to no row of the table of operations yet.
    NotYet,
    /// Its operation is in the table; `data/coverage.json` says why this block is no case.
    Note(String),
    /// Its operation is in the table and nothing accounts for it: the self-test fails on this.
    Unaccounted,
}

/// One row: a block and how it is used.
#[derive(Debug, Clone)]
pub struct Row {
    pub id: String,
    pub page: String,
    pub block: usize,
    pub line: usize,
    pub role: &'static str,
    pub example: String,
    pub heading: String,
    pub used: Use,
}

impl Use {
    fn text(&self) -> String {
        match self {
            Use::Case(by) => by.clone(),
            Use::SameAsSeed(by) => by.clone(),
            Use::Rejected(reason) => format!("rejected: {reason}"),
            Use::NotYet => "not yet: its operation has no row in the table of operations".into(),
            Use::Note(note) => note.clone(),
            Use::Unaccounted => "UNACCOUNTED: its operation is in the table; make it a case or say why in data/coverage.json".into(),
        }
    }

    /// The word the summary counts it under.
    pub fn class(&self) -> &'static str {
        match self {
            Use::Case(_) | Use::SameAsSeed(_) => "used",
            Use::Rejected(_) => "rejected",
            Use::NotYet => "not yet",
            Use::Note(_) => "noted",
            Use::Unaccounted => "unaccounted",
        }
    }
}

/// The action a request URL names (`answer`, or `(call)` for the call itself).
fn action(url: &str) -> &str {
    let last = url.trim_end_matches('/').rsplit('/').next().unwrap_or_default();
    if last.contains('-') || last.chars().all(|c| c.is_ascii_hexdigit()) {
        "(call)"
    } else {
        last
    }
}

/// The fixture made from `block` (its `provenance.block`), as the test that runs it.
fn case_of(c: &Corpus, id: &str) -> Option<String> {
    let named = |p: &super::fixture::Provenance| p.block.as_deref() == Some(id);
    if let Some((path, f)) = c.requests.values().find(|(_, f)| named(&f.provenance)) {
        return Some(format!("`documented_exchange` of requests/{}", file(path, &f.id)));
    }
    if let Some(r) = c.responses.values().find(|r| named(&r.provenance)) {
        let by = c.requests.values().find(|(_, q)| q.response == r.id);
        return Some(match by {
            Some((path, q)) => format!("`documented_exchange` of requests/{}, its answer", file(path, &q.id)),
            None => format!("response {}, no case", r.id),
        });
    }
    if let Some((path, n)) = c.notifications.values().find(|(_, n)| named(&n.provenance)) {
        return Some(format!("`bot_replay` of notifications/{}", file(path, &n.id)));
    }
    None
}

fn file(path: &std::path::Path, id: &str) -> String {
    path.file_name()
        .and_then(|n| n.to_str())
        .map_or_else(|| format!("{id}.json"), str::to_string)
}

/// A seed's fixture with the same exchange and body as `block`.
fn same_as_seed(c: &Corpus, block: &PageBlock, request_above: Option<&PageBlock>) -> Option<String> {
    let from_seed = |p: &super::fixture::Provenance| !p.seed.starts_with("graph-docs/");
    let body = block.body.as_ref();
    match &block.exchange {
        Exchange::Request { method, url, .. } => c
            .requests
            .values()
            .find(|(_, f)| {
                from_seed(&f.provenance)
                    && f.request.method == *method
                    && action(&f.request.url) == action(url)
                    && f.request.body.as_ref() == body
            })
            .map(|(path, f)| {
                format!(
                    "`documented_exchange` of requests/{} (seed {})",
                    file(path, &f.id),
                    f.provenance.seed
                )
            }),
        // An answer is the seed's when the seed answers a request of the same operation with it.
        Exchange::Response { status, .. } => {
            let Some(PageBlock {
                exchange: Exchange::Request { method, url, .. },
                ..
            }) = request_above
            else {
                return None;
            };
            c.requests
                .values()
                .find(|(_, f)| {
                    from_seed(&f.provenance)
                        && f.request.method == *method
                        && action(&f.request.url) == action(url)
                        && c.responses
                            .get(&f.response)
                            .is_some_and(|r| r.status == *status && r.body.as_ref() == body)
                })
                .map(|(path, f)| {
                    format!(
                        "`documented_exchange` of requests/{} (seed {}), its answer",
                        file(path, &f.id),
                        f.provenance.seed
                    )
                })
        }
        Exchange::Notification { .. } => c
            .notifications
            .values()
            .find(|(_, n)| from_seed(&n.provenance) && Some(&n.body) == body)
            .map(|(path, n)| format!("`bot_replay` of notifications/{} (seed {})", file(path, &n.id), n.provenance.seed)),
        Exchange::Example => None,
    }
}

/// Every block of the pages, rejected ones included, in page and block order.
pub fn rows(c: &Corpus) -> Vec<Row> {
    let tabled: Vec<&str> = c
        .operations
        .iter()
        .flat_map(|(_, row)| row.pages.iter().map(String::as_str))
        .collect();
    let mut blocks: Vec<(&str, usize, Row)> = Vec::new();
    for b in c.pages.values() {
        let used = if let Some(by) = case_of(c, &b.id) {
            Use::Case(by)
        } else if !tabled.contains(&b.page()) {
            Use::NotYet
        } else if let Some(by) = same_as_seed(c, b, request_above_of(c, b)) {
            Use::SameAsSeed(by)
        } else if let Some(note) = c.coverage_notes.get(&b.id) {
            Use::Note(note.clone())
        } else {
            Use::Unaccounted
        };
        blocks.push((b.page(), b.provenance.block, row(&b.id, &b.provenance, b.exchange.role(), used)));
    }
    for r in c.rejected_pages.values() {
        let used = Use::Rejected(r.reason.clone());
        blocks.push((r.page(), r.provenance.block, row(&r.id, &r.provenance, r.exchange.role(), used)));
    }
    blocks.sort_by(|a, b| (a.0, a.1).cmp(&(b.0, b.1)));
    blocks.into_iter().map(|(_, _, r)| r).collect()
}

/// The request block right above `block` on its page (what a response answers).
fn request_above_of<'c>(c: &'c Corpus, block: &PageBlock) -> Option<&'c PageBlock> {
    c.pages
        .values()
        .filter(|b| b.page() == block.page() && b.provenance.block < block.provenance.block)
        .filter(|b| matches!(b.exchange, Exchange::Request { .. }))
        .max_by_key(|b| b.provenance.block)
}

fn row(id: &str, p: &super::page_block::BlockProvenance, role: &'static str, used: Use) -> Row {
    Row {
        id: id.to_string(),
        page: p.page.rsplit('/').next().unwrap_or(&p.page).trim_end_matches(".md").to_string(),
        block: p.block,
        line: p.line,
        role,
        example: p.example.clone(),
        heading: p.heading.clone(),
        used,
    }
}

fn cell(text: &str) -> String {
    text.replace('|', "\\|").replace('\n', " ")
}

/// `docs/coverage.md`: every block, page by page.
pub fn table(rows: &[Row]) -> String {
    let mut out = String::from(
        "# Coverage of today's pages\n\n\
         Generated by `cargo xtask import-pages` from the corpus (`tests/fixtures/pages/`, \
         `tests/fixtures/rejected/pages/`) and the fixtures that use it; a self-test fails when this file \
         is not what they make. For every JSON block of `tests/graph-docs/api/*.md` (and the requests and \
         answers without a body): the case or replay that uses it, or why none does.\n\n",
    );
    out.push_str(&summary(rows));
    let mut page = "";
    for r in rows {
        if r.page != page {
            page = &r.page;
            out.push_str(&format!(
                "\n## {page}\n\n| block | line | what | example / heading | used by, or why not |\n|---|---|---|---|---|\n"
            ));
        }
        let place = if r.heading.is_empty() || r.heading == r.example {
            r.example.clone()
        } else {
            format!("{} / {}", r.example, r.heading)
        };
        out.push_str(&format!(
            "| {} | {} | {} | {} | {} |\n",
            r.block,
            r.line,
            r.role,
            cell(&place),
            cell(&r.used.text())
        ));
    }
    out
}

/// The summary: per page, how many blocks are used, rejected, noted or not yet.
pub fn summary(rows: &[Row]) -> String {
    let classes = ["used", "rejected", "noted", "not yet", "unaccounted"];
    let mut per_page: BTreeMap<&str, BTreeMap<&str, usize>> = BTreeMap::new();
    for r in rows {
        *per_page.entry(&r.page).or_default().entry(r.used.class()).or_default() += 1;
    }
    let mut out = String::from("| page | blocks | used | rejected | noted | not yet |\n|---|---|---|---|---|---|\n");
    let mut total: BTreeMap<&str, usize> = BTreeMap::new();
    for (page, counts) in &per_page {
        let n: usize = counts.values().sum();
        out.push_str(&format!("| {page} | {n} |"));
        for class in &classes[..4] {
            let k = counts.get(class).copied().unwrap_or(0);
            out.push_str(&format!(" {k} |"));
            *total.entry(class).or_default() += k;
        }
        out.push('\n');
        let unaccounted = counts.get("unaccounted").copied().unwrap_or(0);
        *total.entry("unaccounted").or_default() += unaccounted;
    }
    out.push_str(&format!("| **all {} pages** | **{}** |", per_page.len(), rows.len()));
    for class in &classes[..4] {
        out.push_str(&format!(" **{}** |", total.get(class).copied().unwrap_or(0)));
    }
    out.push('\n');
    if let Some(n) = total.get("unaccounted").filter(|n| **n > 0) {
        out.push_str(&format!("\n**{n} block(s) unaccounted for.**\n"));
    }
    out
}

/// The markers of the README's coverage summary.
pub const SUMMARY_BEGIN: &str = "<!-- coverage summary: written by `cargo xtask import-pages` -->";
pub const SUMMARY_END: &str = "<!-- end of coverage summary -->";

/// `readme` with the summary between its markers replaced by the one `rows` make.
pub fn with_summary(readme: &str, rows: &[Row]) -> Result<String, String> {
    let begin = readme
        .find(SUMMARY_BEGIN)
        .ok_or_else(|| format!("README.md has no line {SUMMARY_BEGIN:?}"))?;
    let end = readme
        .find(SUMMARY_END)
        .ok_or_else(|| format!("README.md has no line {SUMMARY_END:?}"))?;
    Ok(format!("{}{SUMMARY_BEGIN}\n{}{}", &readme[..begin], summary(rows), &readme[end..]))
}
