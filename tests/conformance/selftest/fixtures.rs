//! The fixtures are the documents' examples, value for value, and the loader is strict.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use strum::IntoEnumIterator;

use conformance::contract::corpus;
use conformance::contract::fixture::{load, parse_strict, read_json, NotificationFixture};
use serde_json::Value;

fn seeds_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/seeds")
}

/// Every JSON example in a seed: a line that is just `{`, followed by a quoted key, up to the line
/// where braces balance. Blocks inside HTML comments are page metadata, and blocks whose first
/// line is not a quoted key are SDK snippets (C#'s `{ Reason = … }`), not examples.
fn json_blocks(text: &str) -> Vec<Value> {
    let lines: Vec<&str> = text.lines().collect();
    let mut out = Vec::new();
    let mut in_comment = false;
    let mut i = 0;
    while i < lines.len() {
        let line = lines[i];
        if line.contains("<!--") && !line.contains("-->") {
            in_comment = true;
        } else if line.contains("-->") {
            in_comment = false;
        }
        let starts_example = line.trim() == "{" && lines.get(i + 1).is_some_and(|next| next.trim_start().starts_with('"'));
        if starts_example && !in_comment {
            let mut depth = 0i32;
            for (j, l) in lines.iter().enumerate().skip(i) {
                depth += l.matches('{').count() as i32 - l.matches('}').count() as i32;
                if depth == 0 {
                    let block = lines[i..=j].join("\n");
                    let value = parse_strict(&block).unwrap_or_else(|e| panic!("a JSON example of a seed does not parse: {e}\n{block}"));
                    out.push(value);
                    i = j;
                    break;
                }
            }
        }
        i += 1;
    }
    out
}

fn fixture_bodies() -> Vec<(String, String, Value)> {
    let c = corpus();
    let mut out = Vec::new();
    for (_, f) in c.requests.values() {
        if let Some(b) = &f.request.body {
            out.push((f.id.clone(), f.provenance.seed.clone(), b.clone()));
        }
    }
    for f in c.responses.values() {
        if let Some(b) = &f.body {
            out.push((f.id.clone(), f.provenance.seed.clone(), b.clone()));
        }
    }
    for (_, f) in c.notifications.values() {
        out.push((f.id.clone(), f.provenance.seed.clone(), f.body.clone()));
    }
    for f in c.invalid.values() {
        out.push((f.id.clone(), f.provenance.seed.clone(), f.body.clone()));
    }
    out
}

#[test]
fn every_json_example_of_every_seed_is_a_fixture() {
    let bodies = fixture_bodies();
    let mut seen = 0;
    for entry in std::fs::read_dir(seeds_dir()).expect("tests/seeds") {
        let path = entry.expect("seed entry").path();
        let name = path.file_name().and_then(|n| n.to_str()).unwrap_or_default().to_string();
        let text = std::fs::read_to_string(&path).expect("seed text");
        for block in json_blocks(&text) {
            seen += 1;
            assert!(
                bodies.iter().any(|(_, seed, b)| *seed == name && *b == block),
                "seed {name} has a JSON example that no fixture from that seed holds value for value:\n{block:#}"
            );
        }
    }
    assert_eq!(
        seen, 12,
        "the five seeds hold 12 JSON examples (000: 2, 001: 2, 002: 2, 003: 4, 004: 2)"
    );
}

#[test]
fn every_fixture_body_comes_from_the_seed_it_names() {
    let mut blocks = std::collections::BTreeMap::new();
    for entry in std::fs::read_dir(seeds_dir()).expect("tests/seeds") {
        let path = entry.expect("seed entry").path();
        let name = path.file_name().and_then(|n| n.to_str()).unwrap_or_default().to_string();
        blocks.insert(name, json_blocks(&std::fs::read_to_string(&path).expect("seed text")));
    }
    // The recording requests expand the page's placeholder, and the current-edition response is
    // CONTRACT.md's account of the page online today: neither appears verbatim in a seed.
    let derived = |id: &str| id.starts_with("call-updateRecordingStatus--") && !id.ends_with("placeholder") || id.ends_with("@current");
    for (id, seed, body) in fixture_bodies() {
        // A page's fixture is checked against its block (`selftest::pages`).
        if derived(&id) || seed.starts_with("graph-docs/") {
            continue;
        }
        let from_seed = blocks
            .get(&seed)
            .unwrap_or_else(|| panic!("{id}: provenance names seed {seed:?}, which is not in tests/seeds/"));
        assert!(from_seed.contains(&body), "{id}: its body is not a JSON example of seed {seed}");
    }
}

#[test]
fn the_placeholder_status_is_expanded_into_one_fixture_per_value() {
    let c = corpus();
    let statuses: BTreeSet<&str> = c
        .requests
        .values()
        .filter(|(_, f)| f.provenance.operation == conformance::contract::operation::Operation::UpdateRecordingStatus)
        .filter_map(|(_, f)| f.request.body.as_ref()?.get("status")?.as_str())
        .collect();
    assert_eq!(statuses, BTreeSet::from(["notRecording", "recording", "failed"]));
    let placeholder = &c.invalid["call-updateRecordingStatus--placeholder"];
    assert_eq!(placeholder.body["status"], "notRecording | recording | failed");
}

#[test]
fn the_reason_code_table_has_all_30_pairs_of_seed_001() {
    let c = corpus();
    assert_eq!(c.reason_codes.len(), 30);
    let seed = std::fs::read_to_string(seeds_dir().join("001_754164b5bc45d5e4.txt")).expect("seed 001");
    for r in &c.reason_codes {
        let row = r.source_row.clone().unwrap_or_else(|| format!("{} {}", r.code, r.subcode));
        assert!(
            seed.contains(&format!("{row} {}", r.meaning_ja)),
            "row {row} with its meaning is not in seed 001"
        );
        assert!(!r.meaning.is_empty() && r.meaning.is_ascii(), "row {row} needs an English meaning");
    }
    assert_eq!(c.reason_meaning(200, 5001), Some("The conversation has ended."));
    assert_eq!(c.reason_meaning(200, 1), None);
}

#[test]
fn a_duplicate_key_is_refused_where_serde_json_would_keep_the_last() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/rejected/current-cancelMediaProcessing-duplicate-subcode.json");
    let text = std::fs::read_to_string(&path).expect("sample");
    let lax: Value = serde_json::from_str(&text).expect("serde_json accepts it");
    assert_eq!(
        lax.pointer("/body/value/0/resourceData/resultInfo/subcode"),
        Some(&Value::from(5001)),
        "serde_json silently keeps the last value"
    );
    let err = read_json(&path).expect_err("the loader must refuse a duplicate key");
    assert!(err.to_string().contains("duplicate key \"subcode\""), "{err}");
    assert!(load::<NotificationFixture>(&path).is_err());
}

/// The page of a fixture whose provenance names a `graph-docs/` page (CONTRACT.md section 7).
fn graph_docs_page(seed: &str) -> Option<String> {
    let page = seed.strip_prefix("graph-docs/")?;
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/graph-docs").join(page);
    Some(std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{seed}: not in tests/graph-docs/: {e}")))
}

#[test]
fn every_fixture_names_a_document_the_repository_holds() {
    let mut from_pages = 0;
    for (id, seed, _) in fixture_bodies() {
        // Edition data is CONTRACT.md's own account of a page (`CONTRACT.md section 2`).
        if graph_docs_page(&seed).is_none() && !seed.starts_with("CONTRACT.md section ") {
            assert!(
                seeds_dir().join(&seed).is_file(),
                "{id}: provenance names {seed:?}, neither a seed, a graph-docs page nor CONTRACT.md"
            );
        }
    }
    for (_, f) in corpus().requests.values() {
        let Some(page) = graph_docs_page(&f.provenance.seed) else {
            assert!(
                seeds_dir().join(&f.provenance.seed).is_file(),
                "{}: no seed {:?}",
                f.id,
                f.provenance.seed
            );
            continue;
        };
        from_pages += 1;
        // A page's example is its annotation (`"name": …`) and the block under it, HTTP lines and all.
        let name = format!("\"name\": \"{}\"", f.provenance.example);
        assert!(page.contains(&name), "{}: {} has no example {name}", f.id, f.provenance.seed);
        let line = format!("{} {}", f.request.method, f.request.url);
        assert!(page.contains(&line), "{}: {} does not send {line:?}", f.id, f.provenance.seed);
        let response = &corpus().responses[&f.response];
        let status = format!("HTTP/1.1 {} ", response.status);
        assert!(page.contains(&status), "{}: {} does not answer {status:?}", f.id, f.provenance.seed);
    }
    assert!(
        from_pages >= 1,
        "no request fixture comes from a graph-docs page: is keep-alive still a case?"
    );
}

#[test]
fn fixture_ids_are_stable_and_named_for_their_files() {
    let c = corpus();
    for (id, (path, _)) in &c.requests {
        assert_eq!(path.file_stem().and_then(|s| s.to_str()), Some(id.as_str()));
    }
    for (id, (path, _)) in &c.notifications {
        assert_eq!(path.file_stem().and_then(|s| s.to_str()), Some(id.as_str()));
    }
    for (id, f) in &c.responses {
        assert!(id.contains(".response"), "{id}");
        assert!(
            c.requests.keys().any(|r| id.starts_with(&format!("{r}.")))
                || id.starts_with("call-updateRecordingStatus.")
                || id.starts_with("call-cancelMediaProcessing."),
            "{id} belongs to no case"
        );
        assert!(f.description.len() < 80, "{id}: keep descriptions short");
    }
}

#[test]
fn every_response_and_notification_fixture_is_expected_by_a_case() {
    let c = corpus();
    let mut used: BTreeSet<&str> = BTreeSet::new();
    for (_, f) in c.requests.values() {
        used.insert(&f.response);
        used.extend(f.notifications.iter().map(String::as_str));
        // Those a case judges when they come (create call's establishing) are expected too.
        used.extend(f.optional_notifications.iter().map(String::as_str));
        used.extend(f.stimulus.iter().flat_map(|s| s.notifications.iter().map(String::as_str)));
    }
    for ed in c.editions.values() {
        used.extend(ed.operations.values().filter_map(|o| o.response.as_deref()));
    }
    // A media operation a cancel ends is notified as its row says (the programs expect it).
    used.extend(c.operations.iter().filter_map(|(_, row)| row.cancelled.as_deref()));
    // Seed 003's incoming-call notification is one a target may send but need not
    // (CONTRACT.md section 5); no case can demand it. The bot-side replay uses it. So are the answer
    // page's incoming calls, and sendDtmfTones' error cases.
    let optional = [
        "call-reject--notification-incoming",
        "call-answer-service-hosted-media--notification-incoming",
        "call-answer-app-hosted-media--notification-incoming",
        "call-redirect-simuring--notification-incoming",
        // sendDtmfTones' tones cancelled, or ended for an unknown reason: no request makes either.
        "call-sendDtmfTones--notification-error-case-1",
        "call-sendDtmfTones--notification-error-case-2",
    ];
    for id in c.responses.keys().chain(c.notifications.keys()) {
        assert!(
            used.contains(id.as_str()) || optional.contains(&id.as_str()),
            "{id} is expected by no case"
        );
    }
}

#[test]
fn every_docs_snapshot_belongs_to_a_case_and_every_case_has_its_snapshots() {
    let c = corpus();
    let mut expected = BTreeSet::new();
    for edition in conformance::contract::edition::Edition::iter() {
        for id in c.case_ids() {
            expected.insert(format!("{}.snap", c.case(id, edition).expect("case").snapshot_name()));
        }
    }
    let dir = conformance::running::snapshot::set_dir("docs");
    let present: BTreeSet<String> = std::fs::read_dir(&dir)
        .expect("snapshots/docs")
        .filter_map(|e| e.ok()?.file_name().into_string().ok())
        .filter(|n| n.ends_with(".snap"))
        .collect();
    let orphans: Vec<_> = present.difference(&expected).collect();
    let missing: Vec<_> = expected.difference(&present).collect();
    assert!(orphans.is_empty(), "snapshots without a case (delete them): {orphans:?}");
    assert!(
        missing.is_empty(),
        "cases without a snapshot (run `cargo insta test --review`): {missing:?}"
    );
}

/// `cases::variations` excludes files whose path matches `delete|keep-alive|get-call|get-participant` (rstest's
/// `#[exclude]`, a regular expression of plain words): a case with no variation would pass having run nothing.
#[test]
fn the_variations_case_excludes_exactly_the_requests_that_have_no_variation() {
    use conformance::contract::edition::Edition;
    use conformance::running::harness::variations_of;
    for edition in [Edition::Seeds, Edition::Current] {
        for (id, (path, _)) in &corpus().requests {
            let case = corpus().case(id, edition).expect("a case");
            let excluded = ["delete", "keep-alive", "get-call", "get-participant"]
                .iter()
                .any(|w| path.to_string_lossy().contains(w));
            let none = variations_of(&case).is_empty();
            assert_eq!(
                excluded,
                none,
                "{id} ({} edition): {} variation(s), and cases::variations {} it",
                edition.name(),
                variations_of(&case).len(),
                if excluded { "excludes" } else { "runs" }
            );
        }
    }
}

/// The pointers of every operation's `status` in `body`: where the two spellings are both conformant.
fn operation_statuses(body: &Value, prefix: &str, out: &mut Vec<String>) {
    match body {
        Value::Object(map) => {
            for (k, v) in map {
                let ptr = format!("{prefix}/{k}");
                if k == "status" && v.is_string() && conformance::contract::status::is_operation(map) {
                    out.push(ptr);
                } else {
                    operation_statuses(v, &ptr, out);
                }
            }
        }
        Value::Array(items) => {
            for (i, v) in items.iter().enumerate() {
                operation_statuses(v, &format!("{prefix}/{i}"), out);
            }
        }
        _ => {}
    }
}

#[test]
fn every_documented_operation_status_takes_both_spellings() {
    let mut missing = Vec::new();
    let mut seen = 0;
    let bodies = corpus()
        .responses
        .iter()
        .filter_map(|(id, r)| r.body.as_ref().map(|b| (id, b, &r.rules)))
        .chain(corpus().notifications.iter().map(|(id, (_, n))| (id, &n.body, &n.rules)));
    for (id, body, rules) in bodies {
        let mut ptrs = Vec::new();
        operation_statuses(body, "", &mut ptrs);
        for ptr in ptrs {
            seen += 1;
            if rules.get(&ptr).map(String::as_str) != Some("operation-status") {
                missing.push(format!("{id}: {ptr} has rule {:?}", rules.get(&ptr)));
            }
        }
    }
    assert!(seen > 0, "no fixture has an operation status: the test looked at nothing");
    assert!(
        missing.is_empty(),
        "an operation's status must take the rule \"operation-status\" (CONTRACT.md section 4: both spellings are conformant):\n{}",
        missing.join("\n")
    );
}
