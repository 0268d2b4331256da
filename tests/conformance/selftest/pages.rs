//! The corpus of today's pages (`tests/fixtures/pages/`, `rejected/pages/`) against the pages it comes
//! from (`tests/graph-docs/`), and the coverage table against the fixtures (CONTRACT.md section 7.1).

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use conformance::contract::corpus;
use conformance::contract::coverage::{rows, table, with_summary, Use};
use conformance::contract::fixture::parse_strict;
use conformance::contract::page_block::Exchange;
use conformance::import::corpus::{import_all, import_page, metadata_names, CorpusEntry, PageSource};
use serde_json::{json, Value};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).to_path_buf()
}

fn read(path: &str) -> String {
    std::fs::read_to_string(root().join(path)).unwrap_or_else(|e| panic!("{path}: {e}"))
}

#[test]
fn the_corpus_on_disk_is_what_the_pages_make_block_for_block() {
    let entries = import_all(&root().join("tests/graph-docs")).expect("the pages import");
    let c = corpus();
    let mut ids = BTreeSet::new();
    for entry in &entries {
        match entry {
            CorpusEntry::Block(b) => assert_eq!(
                c.pages.get(&b.id),
                Some(b),
                "{}: the file is not what the page makes; run `cargo xtask import-pages`",
                b.id
            ),
            CorpusEntry::Rejected(r) => assert_eq!(
                c.rejected_pages.get(&r.id),
                Some(r),
                "{}: the rejected file is not what the page makes; run `cargo xtask import-pages`",
                r.id
            ),
        }
        let id = match entry {
            CorpusEntry::Block(b) => &b.id,
            CorpusEntry::Rejected(r) => &r.id,
        };
        assert!(ids.insert(id.clone()), "{id} is made twice");
    }
    let on_disk: BTreeSet<String> = c.pages.keys().chain(c.rejected_pages.keys()).cloned().collect();
    let stale: Vec<_> = on_disk.difference(&ids).collect();
    assert!(
        stale.is_empty(),
        "files no page makes any more: {stale:?}; run `cargo xtask import-pages`"
    );
    assert!(
        entries.len() >= 150,
        "only {} blocks: are the pages in tests/graph-docs/api/?",
        entries.len()
    );
}

/// Fenced blocks holding JSON, found by a reader that shares nothing with the importer: a line that
/// opens a fence and a `{` line inside it (the `ignored` ones included: the page shows them too).
fn json_fences(text: &str) -> Vec<usize> {
    let lines: Vec<&str> = text.lines().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < lines.len() {
        if !lines[i].trim_start().starts_with("```") {
            i += 1;
            continue;
        }
        let open = i;
        let close = (open + 1..lines.len())
            .find(|&j| lines[j].trim_start().starts_with("```"))
            .unwrap_or(lines.len());
        let has_json = lines[open + 1..close].iter().any(|l| l.trim_start().starts_with('{'));
        if has_json {
            out.push(open + 1);
        }
        i = close + 1;
    }
    out
}

#[test]
fn every_json_block_of_every_page_is_in_the_corpus_or_rejected() {
    let c = corpus();
    let mut seen = 0;
    for entry in std::fs::read_dir(root().join("tests/graph-docs/api")).expect("tests/graph-docs/api") {
        let path = entry.expect("page").path();
        let page = format!("api/{}", path.file_name().and_then(|n| n.to_str()).unwrap_or_default());
        let text = std::fs::read_to_string(&path).expect("page text");
        let lines: BTreeSet<usize> = c
            .pages
            .values()
            .map(|b| &b.provenance)
            .chain(c.rejected_pages.values().map(|r| &r.provenance))
            .filter(|p| p.page == page)
            .map(|p| p.line)
            .collect();
        for line in json_fences(&text) {
            seen += 1;
            assert!(
                lines.contains(&line),
                "{page} has a JSON block at line {line} that the corpus lacks"
            );
        }
    }
    assert!(seen >= 150, "only {seen} JSON blocks found in the pages");
}

/// The body of a rejected block, as the page writes it (after the HTTP lines, if any).
fn body_text(text: &str) -> &str {
    let start = text.find(['{', '[']).unwrap_or(0);
    &text[start..]
}

#[test]
fn every_rejected_block_is_wrong_as_its_reason_says() {
    let c = corpus();
    assert!(!c.rejected_pages.is_empty());
    for r in c.rejected_pages.values() {
        let body = body_text(&r.text);
        if r.reason.starts_with("not JSON as the page writes it") {
            assert!(parse_strict(body).is_err(), "{}: {} but it parses", r.id, r.reason);
        } else if let Some(spelt) = r.reason.split('`').nth(1).filter(|_| r.reason.contains(" is spelt ")) {
            assert!(r.text.contains(&format!("\"{spelt}\"")), "{}: no member {spelt:?}", r.id);
            assert!(parse_strict(body).is_ok(), "{}: misspelt, and not JSON either", r.id);
        } else if r.reason.starts_with("ids disagree") {
            let ids: Vec<&str> = r
                .reason
                .split([' ', ','])
                .filter(|w| w.len() >= 32 && w.chars().all(|c| c.is_ascii_hexdigit() || c == '-'))
                .collect();
            assert_eq!(ids.len(), 2, "{}: the reason names the two ids: {}", r.id, r.reason);
            // The block names at least one of them; the other may be its request's, above it on the page.
            let page = read(&format!("tests/graph-docs/{}", r.provenance.page));
            assert!(ids.iter().any(|id| r.text.contains(id)), "{}: {}", r.id, r.reason);
            assert!(ids.iter().all(|id| page.contains(id)), "{}: {}", r.id, r.reason);
            assert_ne!(ids[0].replace('-', "").to_lowercase(), ids[1].replace('-', "").to_lowercase());
        } else {
            panic!("{}: a reason the self-test cannot check: {}", r.id, r.reason);
        }
    }
}

#[test]
fn every_placeholder_is_where_the_block_says_and_says_what_replaces_it() {
    let c = corpus();
    let mut found = 0;
    for b in c.pages.values() {
        for p in &b.placeholders {
            found += 1;
            let at = b.body.as_ref().and_then(|body| body.pointer(&p.pointer));
            assert_eq!(at, Some(&Value::from(p.documented.clone())), "{}: {}", b.id, p.pointer);
            let sent = matches!(b.exchange, Exchange::Request { .. });
            let allowed: &[&str] = if sent {
                &["callback-uri", "client-context", "media-config-blob", "each-member", "any-string"]
            } else {
                &["any-string", "each-member"]
            };
            assert!(allowed.contains(&p.by.as_str()), "{}: {} replaced by {:?}", b.id, p.pointer, p.by);
        }
    }
    assert!(
        found >= 10,
        "the pages hold placeholders (clientContext-value, <Media Session Configuration>): {found}"
    );
}

/// The corpus block `id` that fixture `by` names.
fn block<'c>(id: &str, by: &str) -> &'c conformance::contract::page_block::PageBlock {
    corpus()
        .pages
        .get(id)
        .unwrap_or_else(|| panic!("{by}: block {id} is not in the corpus"))
}

#[test]
fn a_fixture_made_from_a_block_says_what_the_block_says() {
    let c = corpus();
    let mut made = 0;
    for (_, f) in c.requests.values() {
        let Some(id) = &f.provenance.block else { continue };
        made += 1;
        let b = block(id, &f.id);
        let Exchange::Request { method, url, .. } = &b.exchange else {
            panic!("{}: block {id} is no request", f.id)
        };
        assert_eq!((&f.request.method, &f.request.url), (method, url), "{}", f.id);
        assert_eq!(f.request.body, b.body, "{}: the body differs from block {id}", f.id);
    }
    for r in c.responses.values() {
        let Some(id) = &r.provenance.block else { continue };
        made += 1;
        let b = block(id, &r.id);
        let Exchange::Response { status, .. } = &b.exchange else {
            panic!("{}: block {id} is no response", r.id)
        };
        // Where the page holds a placeholder, the fixture holds what replaces it (subscribeToTone's
        // "clientContext-value" is the request's clientContext, echoed).
        let mut blanked = (r.body.clone(), b.body.clone());
        for p in &b.placeholders {
            for body in [&mut blanked.0, &mut blanked.1] {
                if let Some(slot) = body.as_mut().and_then(|v| v.pointer_mut(&p.pointer)) {
                    *slot = serde_json::Value::Null;
                }
            }
        }
        assert_eq!((r.status, &blanked.0), (*status, &blanked.1), "{}: differs from block {id}", r.id);
    }
    for (_, n) in c.notifications.values() {
        let Some(id) = &n.provenance.block else { continue };
        made += 1;
        let b = block(id, &n.id);
        assert!(
            matches!(b.exchange, Exchange::Notification { .. }),
            "{}: block {id} is no notification",
            n.id
        );
        assert_eq!(Some(&n.body), b.body.as_ref(), "{}: differs from block {id}", n.id);
    }
    assert!(made >= 2, "keep-alive's request and answer name their blocks");
}

#[test]
fn every_block_of_an_operation_in_the_table_is_accounted_for() {
    let c = corpus();
    let rows = rows(c);
    let unaccounted: Vec<&str> = rows.iter().filter(|r| r.used == Use::Unaccounted).map(|r| r.id.as_str()).collect();
    assert!(
        unaccounted.is_empty(),
        "blocks of operations in the table that no case uses and no note explains (make a fixture with \
         \"provenance\": {{\"block\": …}}, or say why in tests/fixtures/data/coverage.json): {unaccounted:?}"
    );
    for id in c.coverage_notes.keys() {
        let row = rows.iter().find(|r| &r.id == id);
        assert!(
            matches!(row.map(|r| &r.used), Some(Use::Note(_))),
            "data/coverage.json explains {id}, which is {}",
            row.map_or("not a block".to_string(), |r| format!("{:?}", r.used))
        );
    }
    assert!(rows.iter().any(|r| matches!(r.used, Use::Case(_))), "keep-alive's blocks are cases");
    assert!(
        rows.iter().any(|r| matches!(r.used, Use::SameAsSeed(_))),
        "reject's page repeats seed 003"
    );
}

#[test]
fn docs_coverage_and_the_readme_summary_are_what_the_fixtures_make() {
    let rows = rows(corpus());
    assert_eq!(
        read("docs/coverage.md"),
        table(&rows),
        "docs/coverage.md is stale: run `cargo xtask import-pages`"
    );
    let readme = read("README.md");
    assert_eq!(
        readme,
        with_summary(&readme, &rows).expect("the README has the summary's markers"),
        "the README's coverage summary is stale: run `cargo xtask import-pages`"
    );
}

const PAGE: &str = r#"---
title: "call: example"
---
# call: example

## Example 1: one call

#### Request

# [HTTP](#tab/http)
<!-- {
  "blockType": "request",
  "name": "call-example"
}-->
```http
POST https://graph.microsoft.com/v1.0/communications/calls/57DAB8B1/example
Content-Type: application/json

{
  "callbackUri": "callbackUri-value",
  "status": "a | b"
}
```

#### Response
<!-- { "blockType": "response", "name": "response" } -->
```http
HTTP/1.1 200 OK
Location: https://graph.microsoft.com/v1.0/communications/calls/57DAB8B1/operations/AAAA0000-0000-0000-0000-000000000001

{
  "id": "aaaa0000-0000-0000-0000-000000000002",
}
```

#### Notification - established

```http
POST https://bot.contoso.com/api/calls
Content-Type: application/json
```

<!-- { "blockType": "example" } -->
```json
{ "value": [ { "changeType": "updated", "resourceUrl": "/communications/calls/57DAB8B1",
  "resourceData": { "resultInfo": { "subCode": 1 } } } ] }
```
"#;

#[test]
fn the_importer_reads_a_page_the_project_writes() {
    let source = PageSource {
        repository: "example/docs".into(),
        path: "api/call-example.md".into(),
        commit: "0".repeat(40),
    };
    let names = metadata_names(r#"<Property Name="subcode" Type="Edm.Int32" /><Parameter Name="callbackUri" />"#);
    let entries = import_page("api/call-example.md", PAGE, &source, &names);
    let json: Vec<Value> = entries.iter().map(CorpusEntry::to_json).collect();
    assert_eq!(entries.len(), 3, "{json:#?}");
    let CorpusEntry::Block(request) = &entries[0] else {
        panic!("{json:#?}")
    };
    assert_eq!(request.id, "call-example/01-request--call-example");
    assert_eq!(request.provenance.example, "Example 1: one call");
    assert_eq!((request.provenance.heading.as_str(), request.provenance.line), ("Request", 15));
    assert_eq!(
        serde_json::to_value(&request.placeholders).expect("json"),
        json!([
            {"pointer": "/callbackUri", "documented": "callbackUri-value", "by": "callback-uri"},
            {"pointer": "/status", "documented": "a | b", "by": "each-member"}
        ])
    );
    let CorpusEntry::Rejected(response) = &entries[1] else {
        panic!("{json:#?}")
    };
    assert_eq!(
        response.id, "call-example/02-response--call-example",
        "an answer is named for its request"
    );
    assert_eq!(
        response.reason, "not JSON as the page writes it: trailing comma at line 33 column 1 of the page",
        "the line is the page's"
    );
    let CorpusEntry::Rejected(notification) = &entries[2] else {
        panic!("{json:#?}")
    };
    assert_eq!(
        notification.exchange,
        Exchange::Notification {
            delivery: Some("https://bot.contoso.com/api/calls".into())
        }
    );
    assert_eq!(
        notification.reason,
        "/value/0/resourceData/resultInfo/subCode is spelt `subCode`; the metadata's property is `subcode`"
    );
}

#[test]
fn the_importer_rejects_an_answer_whose_ids_disagree() {
    let page = PAGE.replace("0000-000000000002\",\n}", "0000-000000000002\"\n}");
    let source = PageSource {
        repository: "example/docs".into(),
        path: "p".into(),
        commit: "0".repeat(40),
    };
    let entries = import_page("api/call-example.md", &page, &source, &BTreeSet::new());
    let CorpusEntry::Rejected(response) = &entries[1] else {
        panic!("{:#?}", entries[1])
    };
    assert!(
        response.reason.starts_with("ids disagree: Location names operation AAAA0000"),
        "{}",
        response.reason
    );
    let compact = "AAAA0000-0000-0000-0000-000000000001".replace('-', "").to_lowercase();
    let same = page.replace("aaaa0000-0000-0000-0000-000000000002", &compact);
    let entries = import_page("api/call-example.md", &same, &source, &BTreeSet::new());
    assert!(
        matches!(&entries[1], CorpusEntry::Block(_)),
        "ids compare without case and hyphens: {:#?}",
        entries[1]
    );
}
