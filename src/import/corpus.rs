//! Today's pages as a corpus (CONTRACT.md section 7.1): every JSON block of a `graph-docs/api/` page
//! becomes a `PageBlock` with its provenance, or a `RejectedBlock` with the reason when the page got it
//! wrong (not JSON as written, or a member the metadata spells another way). Placeholders are listed
//! with what replaces them. `cargo xtask import-pages` writes the result under `tests/fixtures/`.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value;

use crate::contract::fixture::parse_strict;
use crate::contract::page_block::{BlockProvenance, Exchange, PageBlock, Placeholder, RejectedBlock};

use super::page::{blocks, http_parts, Block};

/// Where a page was copied from (a row of `graph-docs/PROVENANCE.md`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PageSource {
    pub repository: String,
    pub path: String,
    pub commit: String,
}

/// The rows of `PROVENANCE.md`'s tables, by local path (`api/call-answer.md`).
pub fn provenance_table(text: &str) -> BTreeMap<String, PageSource> {
    let mut rows = BTreeMap::new();
    for line in text.lines() {
        let cells: Vec<&str> = line.split('|').map(str::trim).collect();
        // | local path | repository | source path | commit | …
        if let [_, local, repository, path, commit, ..] = cells.as_slice() {
            if local.ends_with(".md") && commit.len() == 40 && commit.chars().all(|c| c.is_ascii_hexdigit()) {
                rows.insert(
                    local.to_string(),
                    PageSource {
                        repository: repository.to_string(),
                        path: path.to_string(),
                        commit: commit.to_string(),
                    },
                );
            }
        }
    }
    rows
}

/// The property and parameter names of the metadata's call types (`csdl/calls-v1.0.xml`).
pub fn metadata_names(csdl: &str) -> BTreeSet<String> {
    let mut names = BTreeSet::new();
    for element in ["<Property ", "<NavigationProperty ", "<Parameter "] {
        for piece in csdl.split(element).skip(1) {
            if let Some(name) = piece.split("Name=\"").nth(1).and_then(|r| r.split('"').next()) {
                names.insert(name.to_string());
            }
        }
    }
    names
}

/// One entry of the corpus: a block, or a block the page got wrong.
#[derive(Debug, Clone, PartialEq)]
pub enum CorpusEntry {
    Block(PageBlock),
    Rejected(RejectedBlock),
}

impl CorpusEntry {
    /// Where it goes, relative to `tests/fixtures/`.
    pub fn path(&self) -> String {
        match self {
            CorpusEntry::Block(b) => format!("pages/{}.json", b.id),
            CorpusEntry::Rejected(r) => format!("rejected/pages/{}.json", r.id.replace('/', "--")),
        }
    }

    pub fn to_json(&self) -> Value {
        match self {
            CorpusEntry::Block(b) => serde_json::to_value(b),
            CorpusEntry::Rejected(r) => serde_json::to_value(r),
        }
        .unwrap_or(Value::Null)
    }
}

/// `Notification - established` as `notification-established`.
fn slug(text: &str) -> String {
    let mut out = String::new();
    for c in text.chars() {
        if c.is_ascii_alphanumeric() {
            out.push(c.to_ascii_lowercase());
        } else if !out.ends_with('-') {
            out.push('-');
        }
    }
    let out = out.trim_matches('-');
    out.chars().take(60).collect::<String>().trim_end_matches('-').to_string()
}

fn annotation_str(b: &Block, key: &str) -> Option<String> {
    b.annotation.as_ref()?.get(key)?.as_str().map(str::to_string)
}

/// What a placeholder is replaced by, from the member it fills and whether the suite sends it.
fn replacement(key: &str, sent: bool) -> &'static str {
    match key {
        "callbackUri" if sent => "callback-uri",
        "clientContext" if sent => "client-context",
        "blob" if sent => "media-config-blob",
        _ => "any-string",
    }
}

fn is_placeholder(s: &str) -> bool {
    s.ends_with("-value") || (s.starts_with('<') && s.ends_with('>')) || is_choice(s)
}

/// `"notRecording | recording | failed"`: the page lists the members where one goes.
fn is_choice(s: &str) -> bool {
    s.contains(" | ")
}

fn placeholders(body: &Value, pointer: &str, key: &str, sent: bool, out: &mut Vec<Placeholder>) {
    match body {
        Value::String(s) if is_placeholder(s) => out.push(Placeholder {
            pointer: pointer.to_string(),
            documented: s.clone(),
            by: if is_choice(s) { "each-member" } else { replacement(key, sent) }.to_string(),
        }),
        Value::Object(map) => {
            for (k, v) in map {
                placeholders(v, &format!("{pointer}/{}", k.replace('~', "~0").replace('/', "~1")), k, sent, out);
            }
        }
        Value::Array(items) => {
            for (i, v) in items.iter().enumerate() {
                placeholders(v, &format!("{pointer}/{i}"), key, sent, out);
            }
        }
        _ => {}
    }
}

/// The first member of `body` the metadata spells with another case (`subCode` for `subcode`).
fn misspelt(body: &Value, pointer: &str, names: &BTreeSet<String>) -> Option<String> {
    match body {
        Value::Object(map) => map.iter().find_map(|(k, v)| {
            let here = format!("{pointer}/{k}");
            let other = (!k.starts_with('@') && !names.contains(k))
                .then(|| names.iter().find(|n| n.eq_ignore_ascii_case(k)))
                .flatten();
            match other {
                Some(n) => Some(format!("{here} is spelt `{k}`; the metadata's property is `{n}`")),
                None => misspelt(v, &here, names),
            }
        }),
        Value::Array(items) => items
            .iter()
            .enumerate()
            .find_map(|(i, v)| misspelt(v, &format!("{pointer}/{i}"), names)),
        _ => None,
    }
}

/// An id as the documents compare them: case and hyphens aside (the legacy dialect writes GUIDs compact).
fn same_id(a: &str, b: &str) -> bool {
    let norm = |s: &str| s.replace('-', "").to_ascii_lowercase();
    norm(a) == norm(b)
}

/// The segment after `/{collection}/` in a URL or resource path.
fn segment_after<'u>(url: &'u str, collection: &str) -> Option<&'u str> {
    url.split(&format!("/{collection}/")).nth(1)?.split(['/', '?']).next()
}

/// Where a block names one thing twice with two ids: an answer's `Location` and its body's `id`, a
/// notification's resource and its `resourceData` (`@odata.id`, or `id` for an operation).
fn ids_disagree(exchange: &Exchange, body: &Value) -> Option<String> {
    if let Exchange::Response { headers, .. } = exchange {
        let location = headers.iter().find(|(k, _)| k.eq_ignore_ascii_case("location"))?.1;
        let (in_location, in_body) = (segment_after(location, "operations")?, body.get("id")?.as_str()?);
        return (!same_id(in_location, in_body))
            .then(|| format!("ids disagree: Location names operation {in_location}, the body's id is {in_body}"));
    }
    let items = body.get("value")?.as_array()?;
    items.iter().enumerate().find_map(|(i, item)| {
        let resource = item.get("resourceUrl").or_else(|| item.get("resource"))?.as_str()?;
        let data = item.get("resourceData")?;
        let odata_id = data.get("@odata.id").and_then(Value::as_str);
        for collection in ["calls", "operations"] {
            let named = segment_after(resource, collection);
            let by_odata = odata_id.and_then(|o| segment_after(o, collection));
            if let (Some(a), Some(b)) = (named, by_odata) {
                if !same_id(a, b) {
                    return Some(format!(
                        "ids disagree in /value/{i}: the resource names {collection} {a}, @odata.id {b}"
                    ));
                }
            }
        }
        let operation = segment_after(resource, "operations")?;
        let id = data.get("id")?.as_str()?;
        (!same_id(operation, id))
            .then(|| format!("ids disagree in /value/{i}: the resource names operation {operation}, resourceData.id is {id}"))
    })
}

/// Where an answer's `Location` names another call than the request above it was sent to.
fn location_names_another_call(exchange: &Exchange, requested: Option<&str>) -> Option<String> {
    let Exchange::Response { headers, .. } = exchange else {
        return None;
    };
    let location = headers.iter().find(|(k, _)| k.eq_ignore_ascii_case("location"))?.1;
    let (sent_to, named) = (requested?, segment_after(location, "calls")?);
    (!same_id(sent_to, named))
        .then(|| format!("ids disagree: the request is sent to call {sent_to}, the answer's Location names call {named}"))
}

/// The page line of the body's first line: the fence's line, plus the lines above the body in the block.
fn body_line(b: &Block, body: &str) -> usize {
    let first = body.lines().next().unwrap_or_default();
    let offset = b.text.lines().position(|l| l == first).unwrap_or(0);
    b.line + 1 + offset
}

/// serde_json's `… at line 3 column 5`, the line counted in the body, as the page's line.
fn on_page(error: &str, body_first_line: usize) -> String {
    let Some((what, at)) = error.rsplit_once(" at line ") else {
        return error.to_string();
    };
    let Some((line, column)) = at.split_once(" column ") else {
        return error.to_string();
    };
    match line.parse::<usize>() {
        Ok(n) => format!("{what} at line {} column {column} of the page", body_first_line + n - 1),
        Err(_) => error.to_string(),
    }
}

/// A block's exchange and JSON text, or `None` when it is no example (the page's `ignored` syntax
/// blocks without a body, permissions, a bare `POST https://bot…` line).
fn exchange_of(b: &Block, delivery: &Option<String>) -> Option<(Exchange, String)> {
    let mut kind = annotation_str(b, "blockType").unwrap_or_default();
    let (first, headers, body) = http_parts(&b.text);
    // The docs' tooling skips an `ignored` block; a page still shows it as an example when it has a body
    // (redirect's simultaneous ring), so it is read by its first line. The syntax blocks have none.
    if kind == "ignored" {
        let is_request = ["GET ", "POST ", "PATCH ", "PUT ", "DELETE "].iter().any(|m| first.starts_with(m));
        kind = match (is_request, first.starts_with("HTTP/")) {
            _ if body.trim().is_empty() => return None,
            (true, _) => "request".into(),
            (_, true) => "response".into(),
            _ => "example".into(),
        };
    }
    match kind.as_str() {
        "request" => {
            let (method, url) = first.split_once(' ').unwrap_or((first.as_str(), ""));
            let exchange = Exchange::Request {
                method: method.to_string(),
                url: url.trim().to_string(),
                headers,
            };
            Some((exchange, body))
        }
        "response" => {
            let status = first.split_whitespace().nth(1).and_then(|s| s.parse().ok()).unwrap_or(0);
            Some((Exchange::Response { status, headers }, body))
        }
        "permissions" => None,
        _ => {
            // A notification is its JSON alone, or the POST to the bot with the JSON as its body.
            let (here, text) = match first.strip_prefix("POST ") {
                Some(url) if !body.trim().is_empty() => (Some(url.trim().to_string()), body),
                _ => (delivery.clone(), b.text.clone()),
            };
            let trimmed = text.trim();
            if !(trimmed.starts_with('{') || trimmed.starts_with('[')) {
                return None;
            }
            let envelope = trimmed.contains("\"value\"") && trimmed.contains("changeType");
            let exchange = if envelope {
                Exchange::Notification { delivery: here }
            } else {
                Exchange::Example
            };
            Some((exchange, text))
        }
    }
}

/// Imports one page: `page` is its path under `graph-docs/` (`api/call-answer.md`).
pub fn import_page(page: &str, text: &str, source: &PageSource, names: &BTreeSet<String>) -> Vec<CorpusEntry> {
    let stem = page.rsplit('/').next().unwrap_or(page).trim_end_matches(".md");
    let mut out = Vec::new();
    let mut delivery: Option<String> = None;
    let mut last_request: Option<String> = None;
    // The call the request above names, where it names one: its answer's Location must name it too.
    let mut requested_call: Option<String> = None;
    let mut section = String::new();
    for (index, b) in blocks(text).iter().enumerate() {
        if b.section != section {
            section = b.section.clone();
            delivery = None;
        }
        let Some((exchange, body_text)) = exchange_of(b, &delivery) else {
            // `POST https://bot.contoso.com/api/calls` above a notification: where it is delivered.
            let first = b.text.lines().next().unwrap_or_default().trim();
            if b.annotation.is_none() && first.starts_with("POST ") {
                delivery = Some(first.trim_start_matches("POST ").to_string());
            }
            continue;
        };
        let name = annotation_str(b, "name");
        let what = match &exchange {
            Exchange::Request { .. } => name.clone().unwrap_or_else(|| slug(&b.section)),
            // A response's annotation is often just `"name": "response"`: it answers the request above.
            Exchange::Response { .. } => last_request.clone().unwrap_or_else(|| slug(&b.section)),
            Exchange::Notification { .. } | Exchange::Example => {
                let heading = if b.heading.1.is_empty() { &b.section } else { &b.heading.1 };
                let s = slug(heading);
                s.strip_prefix("notification-").map(str::to_string).unwrap_or(s)
            }
        };
        if let Exchange::Request { url, .. } = &exchange {
            last_request = Some(what.clone());
            requested_call = segment_after(url, "calls").filter(|c| !c.starts_with('{')).map(str::to_string);
        }
        let id = format!("{stem}/{:02}-{}--{}", index + 1, exchange.role(), what);
        let provenance = BlockProvenance {
            page: page.to_string(),
            repository: source.repository.clone(),
            path: source.path.clone(),
            commit: source.commit.clone(),
            block: index + 1,
            line: b.line,
            example: b.section.clone(),
            heading: b.heading.1.clone(),
            name,
            odata_type: annotation_str(b, "@odata.type"),
        };
        let truncated = b.truncated();
        let reject = |reason: String| {
            CorpusEntry::Rejected(RejectedBlock {
                id: id.clone(),
                provenance: provenance.clone(),
                exchange: exchange.clone(),
                reason,
                text: b.text.clone(),
            })
        };
        if body_text.trim().is_empty() {
            out.push(CorpusEntry::Block(PageBlock {
                id: id.clone(),
                provenance: provenance.clone(),
                exchange: exchange.clone(),
                body: None,
                truncated,
                placeholders: Vec::new(),
            }));
            continue;
        }
        let body = match parse_strict(&body_text) {
            Ok(body) => body,
            Err(e) => {
                let at = body_line(b, &body_text);
                out.push(reject(format!("not JSON as the page writes it: {}", on_page(&e, at))));
                continue;
            }
        };
        let other_call = || location_names_another_call(&exchange, requested_call.as_deref());
        if let Some(reason) = misspelt(&body, "", names)
            .or_else(|| ids_disagree(&exchange, &body))
            .or_else(other_call)
        {
            out.push(reject(reason));
            continue;
        }
        let mut found = Vec::new();
        placeholders(&body, "", "", matches!(exchange, Exchange::Request { .. }), &mut found);
        out.push(CorpusEntry::Block(PageBlock {
            id,
            provenance,
            exchange,
            body: Some(body),
            truncated,
            placeholders: found,
        }));
    }
    out
}

/// Every page of `docs` (a `graph-docs/` folder: `PROVENANCE.md`, `csdl/calls-v1.0.xml`, `api/*.md`),
/// in page order.
pub fn import_all(docs: &std::path::Path) -> Result<Vec<CorpusEntry>, String> {
    let read = |path: std::path::PathBuf| std::fs::read_to_string(&path).map_err(|e| format!("{}: {e}", path.display()));
    let sources = provenance_table(&read(docs.join("PROVENANCE.md"))?);
    let names = metadata_names(&read(docs.join("csdl/calls-v1.0.xml"))?);
    let mut pages: Vec<String> = std::fs::read_dir(docs.join("api"))
        .map_err(|e| format!("{}: {e}", docs.join("api").display()))?
        .filter_map(|e| e.ok()?.file_name().into_string().ok())
        .filter(|n| n.ends_with(".md"))
        .map(|n| format!("api/{n}"))
        .collect();
    pages.sort();
    let mut out = Vec::new();
    for page in pages {
        let source = sources
            .get(&page)
            .ok_or_else(|| format!("{page}: no row in PROVENANCE.md names where it was copied from"))?;
        out.extend(import_page(&page, &read(docs.join(&page))?, source, &names));
    }
    Ok(out)
}
