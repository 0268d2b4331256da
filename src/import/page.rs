//! Reading a documentation page in the markdown source format: its front matter, and each fenced
//! block with the annotation and heading before it.

use std::collections::BTreeMap;

use serde_json::Value;

#[derive(Debug, Default)]
pub(super) struct Page {
    pub(super) title: String,
    pub(super) locale: String,
    pub(super) handoff: String,
}

/// A fenced block with the annotation and heading that precede it.
#[derive(Debug)]
pub(super) struct Block {
    pub(super) annotation: Option<Value>,
    /// The heading right above it: `(anchor, text)`.
    pub(super) heading: (String, String),
    /// The last heading of level 3 or higher above it (`Example 1: …`), by its text.
    pub(super) section: String,
    pub(super) lang: String,
    pub(super) text: String,
    /// The line of its opening fence, from 1.
    pub(super) line: usize,
}

/// `11/29/2018` (the docs' `ms.lasthandoff`) as `2018-11-29`; anything else as it is.
pub(super) fn iso_date(us: &str) -> String {
    match us.split('/').collect::<Vec<_>>().as_slice() {
        [m, d, y] if y.len() == 4 => format!("{y}-{m:0>2}-{d:0>2}"),
        _ => us.to_string(),
    }
}

pub(super) fn frontmatter(text: &str) -> Page {
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

/// `(level, anchor, text)` of a heading line such as `##### <a name="notification---terminating"></a>Text`.
/// A code-sample tab (`# [HTTP](#tab/http)`) is no heading.
fn heading(line: &str) -> Option<(usize, String, String)> {
    let trimmed = line.trim_start();
    let level = trimmed.chars().take_while(|c| *c == '#').count();
    let rest = trimmed.strip_prefix('#')?.trim_start_matches('#').trim();
    if rest.starts_with('[') && rest.contains("](#tab/") {
        return None;
    }
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
    Some((level, anchor, text))
}

pub(super) fn blocks(text: &str) -> Vec<Block> {
    let mut out = Vec::new();
    let (mut annotation, mut comment): (Option<Value>, Option<String>) = (None, None);
    let mut current_heading = (String::new(), String::new());
    let mut section = String::new();
    let mut fence: Option<(String, Vec<&str>, usize)> = None;
    for (index, line) in text.lines().enumerate() {
        if let Some((lang, body, opened)) = fence.as_mut() {
            if line.trim_start().starts_with("```") {
                out.push(Block {
                    annotation: annotation.take(),
                    heading: current_heading.clone(),
                    section: section.clone(),
                    lang: lang.clone(),
                    text: body.join("\n"),
                    line: *opened,
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
        } else if let Some((level, anchor, text)) = heading(line) {
            if level <= 3 {
                section = text.clone();
            }
            current_heading = (anchor, text);
        } else if let Some(lang) = line.trim_start().strip_prefix("```") {
            fence = Some((lang.trim().to_string(), Vec::new(), index + 1));
        }
    }
    out
}

impl Block {
    /// Whether the annotation says the example is cut short (`"truncated": true`).
    pub(super) fn truncated(&self) -> bool {
        self.annotation
            .as_ref()
            .and_then(|a| a.get("truncated"))
            .and_then(Value::as_bool)
            .unwrap_or(false)
    }
}

fn parse_annotation(comment: &str) -> Option<Value> {
    let inner = comment.split("<!--").nth(1)?.split("-->").next()?.trim();
    let v: Value = serde_json::from_str(inner).ok()?;
    v.get("blockType").is_some().then_some(v)
}

/// An http block: `(first line, headers, JSON body)`.
pub(super) fn http(text: &str) -> (String, BTreeMap<String, String>, Option<Value>) {
    let (first, headers, body) = http_parts(text);
    let body = (!body.trim().is_empty())
        .then(|| crate::contract::fixture::parse_strict(&body).ok())
        .flatten();
    (first, headers, body)
}

/// An http block: `(first line, headers, body text)`; the body is everything after the first blank line.
pub(super) fn http_parts(text: &str) -> (String, BTreeMap<String, String>, String) {
    let mut lines = text.lines();
    let first = lines.next().unwrap_or_default().trim().to_string();
    let mut headers = BTreeMap::new();
    let mut body = Vec::new();
    let mut in_body = false;
    for line in lines {
        // Some pages start the JSON right under the headers, with no blank line.
        if !in_body && (line.trim_start().starts_with('{') || line.trim_start().starts_with('[')) {
            in_body = true;
        }
        if in_body {
            body.push(line);
        } else if line.trim().is_empty() {
            in_body = true;
        } else if let Some((k, v)) = line.split_once(':') {
            headers.insert(k.trim().to_string(), v.trim().to_string());
        }
    }
    (first, headers, body.join("\n"))
}
