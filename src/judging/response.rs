//! The response half of an exchange: status, headers, `Location`, body and schema, and the answer
//! to bad input (the status and the Graph error object). Never performs I/O.

use std::collections::BTreeMap;

use serde_json::{json, Map, Value};

use crate::contract::case::Case;
use crate::contract::schema::Schemas;
use crate::wire::secret::redact;
use crate::wire::target::{preview, Observed};

use super::rules::{location_call, location_operation, parse_rules, Facts, Rule, RuleSpec, Walk};
use super::verdict::{Aspect, Check, Verdict};

/// What to report as actual when a `Content-Type` is not `application/json` (parameters such as
/// `charset` or `odata.metadata` are fine); `None` when it is.
pub(super) fn not_json(content_type: Option<&str>) -> Option<String> {
    let media = content_type.map(media_type).unwrap_or_default();
    match media.as_str() {
        "application/json" => None,
        "" => Some("absent".into()),
        _ => Some(media),
    }
}

/// The call an answer to create call names: its `Location`'s, else its body's `id` (so that its
/// notifications are still judged when `Location` is what failed); `None` when it names none.
pub fn created_call(obs: &Observed) -> Option<String> {
    if let Some(id) = obs.header("location").and_then(|l| location_call(l).ok()) {
        return Some(id);
    }
    let body: Value = serde_json::from_slice(&obs.body).ok()?;
    body.get("id").and_then(Value::as_str).filter(|s| !s.is_empty()).map(str::to_string)
}

/// The response half of an exchange, checked and projected.
pub fn check_response(case: &Case, schemas: &Schemas, facts: &mut Facts, obs: &Observed, v: &mut Verdict) -> Value {
    let exp = case.response;
    let rules = match parse_rules(&exp.rules) {
        Ok(r) => r,
        Err(e) => {
            v.fail(Aspect::Setup, Check::Setup, format!("fixture {}", exp.id), "valid rules", e);
            BTreeMap::new()
        }
    };
    if obs.status != exp.status {
        v.fail(
            Aspect::Status,
            Check::Status,
            "status code",
            exp.status.to_string(),
            format!("{} — body: {}", obs.status, obs.body_preview(500)),
        );
    }
    let mut headers = Map::new();
    for (name, example) in &exp.headers {
        let spec = rules.get(&format!("header:{name}")).copied().unwrap_or(RuleSpec {
            rule: Rule::Exact,
            optional: false,
        });
        let Some(actual) = obs.header(name) else {
            v.fail(
                Aspect::Headers,
                spec.check(),
                format!("header {name}"),
                format!("present: {}", spec.describe()),
                "absent",
            );
            continue;
        };
        // A Location is parsed by its rule: the call create call made, or an operation of this call.
        let location = match spec.rule {
            Rule::NewCall => Some(location_call(actual).map(|_| None)),
            Rule::OperationOfCall => Some(location_operation(actual, facts.call_id).map(Some)),
            _ => None,
        };
        let projected = if let Some(parsed) = location {
            match parsed {
                Ok(op) => {
                    if op.is_some() {
                        facts.operation_id = op;
                    }
                    spec.placeholder(&Value::Null, &Value::Null)
                }
                Err(why) => {
                    v.fail(
                        Aspect::Headers,
                        Check::Location,
                        format!("header {name}"),
                        format!("{} — {why}", spec.describe()),
                        actual,
                    );
                    json!(redact(actual))
                }
            }
        } else if actual == example {
            json!(actual)
        } else if name.eq_ignore_ascii_case("content-type") && media_type(actual) == media_type(example) {
            // Parameters (`odata.metadata=minimal`, `charset`) are the service's to add (CONTRACT.md section 1).
            json!(example)
        } else {
            v.fail(
                Aspect::Headers,
                Check::DocumentedValue,
                format!("header {name}"),
                example.clone(),
                actual,
            );
            json!(redact(actual))
        };
        headers.insert(name.clone(), projected);
    }
    let body = check_body(case, schemas, facts, obs, &rules, v);
    json!({"status": obs.status, "headers": headers, "body": body})
}

fn check_body(case: &Case, schemas: &Schemas, facts: &Facts, obs: &Observed, rules: &BTreeMap<String, RuleSpec>, v: &mut Verdict) -> Value {
    let Some(expected) = &case.response.body else {
        if !obs.body.is_empty() {
            v.fail(
                Aspect::Body,
                Check::EmptyBody,
                "body",
                "empty: the document says nothing is returned",
                format!("{} bytes: {}", obs.body.len(), obs.body_preview(300)),
            );
            return json!(preview(&obs.body, 300));
        }
        return Value::Null;
    };
    if let Some(actual) = not_json(obs.header("content-type")) {
        v.fail(
            Aspect::Body,
            Check::MediaType,
            "header Content-Type",
            "application/json (parameters allowed)",
            actual,
        );
    }
    let actual: Value = match serde_json::from_slice(&obs.body) {
        Ok(a) => a,
        Err(e) => {
            v.fail(
                Aspect::Body,
                Check::BodyJson,
                "body",
                "a JSON object",
                format!("not JSON ({e}): {}", obs.body_preview(300)),
            );
            return json!(preview(&obs.body, 300));
        }
    };
    if let Some(schema) = &case.response.schema {
        v.schema_errors(Aspect::Body, Check::BodySchema, "body", schemas.validate(schema, &actual), &actual);
    }
    Walk {
        rules,
        facts,
        subject: "body",
        aspect: Aspect::Body,
    }
    .at(expected, Some(&actual), "", v)
    .unwrap_or(Value::Null)
}

/// An answer to bad input: the status the rule names, and the Graph error object on any 4xx/5xx.
/// `expected` is `None` when any status will do.
pub fn check_error_answer(rule: &str, expected: Option<u16>, schemas: &Schemas, obs: &Observed, v: &mut Verdict) {
    if let Some(want) = expected {
        if obs.status != want {
            v.fail(
                Aspect::BadInput,
                Check::ErrorStatus,
                "status code",
                format!("{want} — {rule}"),
                format!("{} — body: {}", obs.status, obs.body_preview(300)),
            );
        }
    }
    if obs.status < 400 {
        return;
    }
    if let Some(actual) = not_json(obs.header("content-type")) {
        v.fail(
            Aspect::BadInput,
            Check::ErrorObject,
            "error body Content-Type",
            "application/json",
            actual,
        );
    }
    match serde_json::from_slice::<Value>(&obs.body) {
        Ok(body) => v.schema_errors(
            Aspect::BadInput,
            Check::ErrorObject,
            "error body",
            schemas.validate("graph.error", &body),
            &body,
        ),
        Err(e) => v.fail(
            Aspect::BadInput,
            Check::ErrorObject,
            "error body",
            "the Graph error object {\"error\": {\"code\", \"message\"}}",
            format!("not JSON ({e}): {}", obs.body_preview(300)),
        ),
    }
}

/// A Content-Type's media type, parameters and case aside.
fn media_type(value: &str) -> String {
    value.split(';').next().unwrap_or_default().trim().to_ascii_lowercase()
}
