//! Importing Graph documentation pages (the markdown source format, with `<!-- { "blockType": … } -->`
//! annotations before fenced `http`/`json` blocks, as in seeds 000 and 004) into fixtures, so a
//! new version of the documents becomes new fixtures and a reviewable diff (`cargo xtask import-docs`).
//! `page` reads a page; this module turns its blocks into fixtures.
//!
//! May use the contract (the strict JSON reader the fixtures are loaded with). Nothing in the
//! suite uses the importer; only xtask and its self-test do.

pub mod corpus;
mod page;

use std::collections::BTreeMap;

use serde_json::{json, Map, Value};

use crate::contract::status::is_operation;

use page::{blocks, frontmatter, http, iso_date};

/// One fixture the import produced: where it goes (relative to `tests/fixtures/`) and its JSON.
#[derive(Debug, Clone, PartialEq)]
pub struct Imported {
    /// `requests/call-x.json`, `responses/call-x.json`, `notifications/call-x--y.json`.
    pub path: String,
    /// The fixture.
    pub fixture: Value,
}

fn operation_of(method: &str, url: &str) -> String {
    let last = url.trim_end_matches('/').rsplit('/').next().unwrap_or_default();
    let last = last.trim_start_matches("microsoft.graph.");
    if method == "DELETE" {
        "delete".into()
    } else {
        last.into()
    }
}

/// The rules the suite applies to a documented body: what is generated, echoed or correlated.
fn rules_for(body: &Value, prefix: &str, out: &mut BTreeMap<String, String>) {
    let Value::Object(map) = body else { return };
    for (k, v) in map {
        let ptr = format!("{prefix}/{k}");
        let rule = match (k.as_str(), v) {
            ("resource" | "resourceUrl", Value::String(s)) => Some(
                if s.contains("/operations/") {
                    "operation-resource"
                } else {
                    "call-resource"
                }
                .to_string(),
            ),
            ("@odata.id", Value::String(s)) => Some(format!(
                "optional:{}",
                if s.contains("/operations/") {
                    "operation-resource"
                } else {
                    "call-resource"
                }
            )),
            ("@odata.etag", _) => Some("optional:server-generated".into()),
            ("clientContext", _) => Some("echo-request".into()),
            ("terminationReason", _) | ("resultInfo", Value::Object(_)) if prefix.contains("resourceData") => {
                Some("termination-reason".into())
            }
            ("resultInfo", Value::Null) => Some("null-or-resultInfo".into()),
            // An operation's status has two conformant spellings (CONTRACT.md section 4).
            ("status", Value::String(_)) if is_operation(map) => Some("operation-status".into()),
            ("id", _) if prefix.is_empty() => Some("location-operation-id".into()),
            _ => None,
        };
        match rule {
            Some(r) => {
                out.insert(ptr, r);
            }
            None => rules_for(v, &ptr, out),
        }
    }
    if let Some(Value::Array(items)) = map.get("value") {
        for (i, item) in items.iter().enumerate() {
            rules_for(item, &format!("{prefix}/value/{i}"), out);
        }
    }
}

fn anchor_name(anchor: &str) -> String {
    let mut s = anchor.to_string();
    while s.contains("--") {
        s = s.replace("--", "-");
    }
    s
}

/// Imports one page. `seed` names it in the provenance (its file name).
pub fn import_page(seed: &str, text: &str) -> Vec<Imported> {
    let page = frontmatter(text);
    let published = format!(
        "{} ({}, {})",
        iso_date(&page.handoff),
        page.locale,
        if text.contains("/beta/") { "beta" } else { "v1.0" }
    );
    let mut out = Vec::new();
    let mut request: Option<(String, String, Map<String, Value>)> = None;
    let mut last_http: Option<String> = None;
    let mut notifications: Vec<String> = Vec::new();
    let flush = |req: &mut Option<(String, String, Map<String, Value>)>, notes: &mut Vec<String>, out: &mut Vec<Imported>| {
        if let Some((name, _, mut fixture)) = req.take() {
            fixture.insert("notifications".into(), json!(notes.clone()));
            out.push(Imported {
                path: format!("requests/{name}.json"),
                fixture: Value::Object(fixture),
            });
        }
        notes.clear();
    };
    for b in blocks(text) {
        let kind = b
            .annotation
            .as_ref()
            .and_then(|a| a.get("blockType"))
            .and_then(Value::as_str)
            .unwrap_or("");
        let name = b
            .annotation
            .as_ref()
            .and_then(|a| a.get("name"))
            .and_then(Value::as_str)
            .map(str::to_string);
        let section = b.heading.1.clone();
        match (kind, b.lang.as_str()) {
            ("request", _) => {
                flush(&mut request, &mut notifications, &mut out);
                let (first, headers, body) = http(&b.text);
                let (method, url) = first.split_once(' ').unwrap_or((first.as_str(), ""));
                let operation = operation_of(method, url);
                let name = name.unwrap_or_else(|| format!("call-{operation}"));
                let page_name = format!("call-{}", operation.to_lowercase());
                let view = if url.contains("/beta/") {
                    "graph-rest-beta"
                } else {
                    "graph-rest-1.0"
                };
                let provenance = json!({"seed": seed, "page": page_name, "operation": operation, "example": name, "section": section,
                    "url": format!("https://learn.microsoft.com/graph/api/{page_name}?view={view}"), "published": published});
                let mut f = Map::new();
                f.insert("id".into(), json!(name));
                f.insert("kind".into(), json!("request"));
                f.insert("provenance".into(), provenance);
                f.insert("description".into(), json!(format!("{} (imported from {seed})", page.title)));
                f.insert("call".into(), json!(if operation == "reject" { "incoming" } else { "established" }));
                f.insert(
                    "request".into(),
                    json!({"method": method, "url": url, "headers": headers, "body": body}),
                );
                f.insert("response".into(), json!(format!("{name}.response")));
                request = Some((name, operation, f));
            }
            ("response", _) => {
                let Some((req_name, operation, req)) = &request else { continue };
                let (first, headers, body) = http(&b.text);
                let status: u16 = first.split_whitespace().nth(1).and_then(|s| s.parse().ok()).unwrap_or(0);
                let mut rules = BTreeMap::new();
                if headers.contains_key("Location") {
                    rules.insert("header:Location".to_string(), "operation-of-call".to_string());
                }
                if let Some(b) = &body {
                    rules_for(b, "", &mut rules);
                }
                let truncated = b.truncated();
                let schema = body
                    .as_ref()
                    .and_then(|b| b.get("@odata.type"))
                    .and_then(Value::as_str)
                    .map(|t| t.trim_start_matches("#microsoft.graph.").to_string());
                let mut provenance = req["provenance"].clone();
                provenance["section"] = json!(section);
                out.push(Imported {
                    path: format!("responses/{req_name}.json"),
                    fixture: json!({"id": format!("{req_name}.response"), "kind": "response", "provenance": provenance,
                        "description": format!("The documented answer to {operation}"), "truncated": truncated, "status": status,
                        "headers": headers, "body": body, "schema": schema, "rules": rules}),
                });
            }
            ("", "http") => last_http = Some(b.text.clone()),
            ("example", "json") => {
                let Some((req_name, _, req)) = &request else { continue };
                let Ok(body) = crate::contract::fixture::parse_strict(&b.text) else {
                    continue;
                };
                let id = format!("{req_name}--{}", anchor_name(&b.heading.0));
                let (first, headers, _) = http(last_http.as_deref().unwrap_or_default());
                let url = first.split_once(' ').map(|(_, u)| u.to_string()).unwrap_or_default();
                let mut rules = BTreeMap::new();
                rules_for(&body, "", &mut rules);
                let dialect = if body.get("@odata.type").is_some() { "current" } else { "legacy" };
                let mut provenance = req["provenance"].clone();
                provenance["section"] = json!(section);
                out.push(Imported {
                    path: format!("notifications/{id}.json"),
                    fixture: json!({"id": id, "kind": "notification", "provenance": provenance, "description": section,
                        "dialect": dialect, "delivery": {"method": "POST", "url": url, "headers": headers}, "body": body, "rules": rules}),
                });
                notifications.push(id);
            }
            _ => {}
        }
    }
    flush(&mut request, &mut notifications, &mut out);
    out
}

/// A fixture's text as the project writes them: two-space indentation.
pub fn pretty(v: &Value) -> String {
    serde_json::to_string_pretty(v).unwrap_or_default()
}
