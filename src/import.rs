//! Importing Graph documentation pages (the markdown source format, with `<!-- { "blockType": … } -->`
//! annotations before fenced `http`/`json` blocks, as in seeds 000 and 004) into fixtures, so a
//! new version of the documents becomes new fixtures and a reviewable diff.

use std::collections::BTreeMap;

use serde_json::{json, Map, Value};

/// One fixture the import produced: where it goes (relative to `tests/fixtures/`) and its JSON.
#[derive(Debug, Clone, PartialEq)]
pub struct Imported {
    /// `requests/call-x.json`, `responses/call-x.json`, `notifications/call-x--y.json`.
    pub path: String,
    /// The fixture.
    pub fixture: Value,
}

#[derive(Debug, Default)]
struct Page {
    title: String,
    locale: String,
    handoff: String,
}

/// A fenced block with the annotation and heading that precede it.
#[derive(Debug)]
struct Block {
    annotation: Option<Value>,
    heading: (String, String),
    lang: String,
    text: String,
}

/// `11/29/2018` (the docs' `ms.lasthandoff`) as `2018-11-29`; anything else as it is.
fn iso_date(us: &str) -> String {
    match us.split('/').collect::<Vec<_>>().as_slice() {
        [m, d, y] if y.len() == 4 => format!("{y}-{m:0>2}-{d:0>2}"),
        _ => us.to_string(),
    }
}

fn frontmatter(text: &str) -> Page {
    let mut page = Page::default();
    let mut lines = text.lines();
    if lines.next().map(str::trim) != Some("---") {
        return page;
    }
    for line in lines.take_while(|l| l.trim() != "---") {
        let (k, v) = line.split_once(':').unwrap_or((line, ""));
        let v = v.trim().trim_matches(['\'', '"']).to_string();
        match k.trim() {
            "title" => page.title = v,
            "ms.contentlocale" => page.locale = v,
            "ms.lasthandoff" => page.handoff = v,
            _ => {}
        }
    }
    page
}

/// `(anchor, text)` of a heading line such as `##### <a name="notification---terminating"></a>Text`.
fn heading(line: &str) -> Option<(String, String)> {
    let rest = line.trim_start().strip_prefix('#')?.trim_start_matches('#').trim();
    let anchor = rest
        .split("name=\"")
        .nth(1)
        .and_then(|r| r.split('"').next())
        .unwrap_or_default()
        .to_string();
    // Text between tags, one piece per span: localized pages give the translation, then the English.
    let mut pieces: Vec<String> = Vec::new();
    let mut in_tag = false;
    let mut current = String::new();
    for c in rest.chars() {
        match c {
            '<' => {
                in_tag = true;
                if !current.trim().is_empty() {
                    pieces.push(current.trim().to_string());
                }
                current.clear();
            }
            '>' => in_tag = false,
            c if !in_tag => current.push(c),
            _ => {}
        }
    }
    if !current.trim().is_empty() {
        pieces.push(current.trim().to_string());
    }
    let text = match pieces.as_slice() {
        [translated, english] if translated != english => format!("{translated} ({english})"),
        _ => pieces.join(" "),
    };
    Some((anchor, text))
}

fn blocks(text: &str) -> Vec<Block> {
    let mut out = Vec::new();
    let (mut annotation, mut comment): (Option<Value>, Option<String>) = (None, None);
    let mut current_heading = (String::new(), String::new());
    let mut fence: Option<(String, Vec<&str>)> = None;
    for line in text.lines() {
        if let Some((lang, body)) = fence.as_mut() {
            if line.trim_start().starts_with("```") {
                out.push(Block {
                    annotation: annotation.take(),
                    heading: current_heading.clone(),
                    lang: lang.clone(),
                    text: body.join("\n"),
                });
                fence = None;
            } else {
                body.push(line);
            }
            continue;
        }
        if let Some(c) = comment.as_mut() {
            c.push('\n');
            c.push_str(line);
            if line.contains("-->") {
                annotation = parse_annotation(c).or(annotation);
                comment = None;
            }
            continue;
        }
        if line.contains("<!--") {
            if line.contains("-->") {
                annotation = parse_annotation(line).or(annotation);
            } else {
                comment = Some(line.to_string());
            }
        } else if let Some(h) = heading(line) {
            current_heading = h;
        } else if let Some(lang) = line.trim_start().strip_prefix("```") {
            fence = Some((lang.trim().to_string(), Vec::new()));
        }
    }
    out
}

fn parse_annotation(comment: &str) -> Option<Value> {
    let inner = comment.split("<!--").nth(1)?.split("-->").next()?.trim();
    let v: Value = serde_json::from_str(inner).ok()?;
    v.get("blockType").is_some().then_some(v)
}

/// An http block: `(first line, headers, JSON body)`.
fn http(text: &str) -> (String, BTreeMap<String, String>, Option<Value>) {
    let mut lines = text.lines();
    let first = lines.next().unwrap_or_default().trim().to_string();
    let mut headers = BTreeMap::new();
    let mut body = Vec::new();
    let mut in_body = false;
    for line in lines {
        if in_body {
            body.push(line);
        } else if line.trim().is_empty() {
            in_body = true;
        } else if let Some((k, v)) = line.split_once(':') {
            headers.insert(k.trim().to_string(), v.trim().to_string());
        }
    }
    let body = body.join("\n");
    (
        first,
        headers,
        if body.trim().is_empty() {
            None
        } else {
            crate::fixture::parse_strict(&body).ok()
        },
    )
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
                let truncated = b
                    .annotation
                    .as_ref()
                    .and_then(|a| a.get("truncated"))
                    .and_then(Value::as_bool)
                    .unwrap_or(false);
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
                let Ok(body) = crate::fixture::parse_strict(&b.text) else {
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
