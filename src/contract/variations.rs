//! Request variations: each documented request in the other forms its request schema allows, and
//! bad input generated from the same schema. Pure: from a case's body and its operation's request
//! schema (`schemas/*.request.json`) to a list of bodies, each with what it must get.
//!
//! Valid forms (judged with the full documented checks): each optional property left out, alone
//! and all together; each enum value; `clientContext` at its edges (empty, one character, exactly the
//! limit, non-ASCII); an `https` callbackUri with a path and a query. Bad input (400 and the error
//! object): a value of the wrong type for each property, a value outside an enum, a string past its
//! limit or its pattern (an `http` callbackUri to a host that is not loopback, where the schema takes
//! loopback `http`), an empty list where one item is the least, a list item outside its enum, a
//! required property missing or null, and bodies that are not objects. The values
//! that are drawn (which wrong type, which string) come from proptest with a fixed seed.
//!
//! Where the contract is silent: `null` for an optional property is not generated as bad input
//! (Graph's parameters are nullable unless marked otherwise, and a service may take null as left out).

use proptest::prelude::*;
use proptest::strategy::ValueTree;
use serde_json::{json, Map, Value};

use super::fixture::Level;
use super::program::seeded_runner;

/// What a variation must get.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Expect {
    /// The documented exchange of the example, with the echo of exactly what was sent.
    Documented {
        /// The notifications go to a callbackUri the variation names, where the suite does not listen.
        notifications_elsewhere: bool,
    },
    /// 400 and the Graph error object, for the rule named.
    BadInput(String),
}

/// One variation of a documented request.
#[derive(Debug, Clone, PartialEq)]
pub struct Variation {
    /// A name that says what changed: `without clientContext`, `reason: forbidden`.
    pub name: String,
    /// The body sent (`None`: no body).
    pub body: Option<Value>,
    /// The raw body, for bodies that are not JSON objects.
    pub raw: Option<String>,
    /// What it must get.
    pub expect: Expect,
    /// How binding: the level of the negative fixture that states the same rule by hand.
    pub level: Level,
}

impl Variation {
    /// The rule bad input breaks; `None` for a valid form.
    pub fn rule(&self) -> Option<&str> {
        match &self.expect {
            Expect::BadInput(rule) => Some(rule),
            Expect::Documented { .. } => None,
        }
    }
}

/// An `https` callbackUri with a path and a query, on a public-looking host under `.invalid`: a
/// service that refuses loopback and private callbacks (as one guarding against SSRF does) takes it,
/// and a notification to it goes nowhere, since RFC 6761 reserves `.invalid` as never resolving.
pub const HTTPS_CALLBACK: &str = "https://bot.conformance.invalid/api/calls/conformance?tenant=contoso&n=1";

/// The limit of a `clientContext` without one in its schema: the documents' 256.
const DEFAULT_LIMIT: usize = 256;

fn valid(name: impl Into<String>, body: Map<String, Value>) -> Variation {
    let notifications_elsewhere = body.get("callbackUri").is_some();
    Variation {
        name: name.into(),
        body: Some(Value::Object(body)),
        raw: None,
        expect: Expect::Documented { notifications_elsewhere },
        level: Level::Must,
    }
}

/// Bad input: `MUST` be refused where a seed states the rule (types, enums, lengths, https), `SHOULD`
/// where CONTRACT.md supplies the answer the seeds leave open (a required property null, a body that
/// is not an object), as the negative fixtures of the same rules mark them.
fn bad(name: impl Into<String>, body: Option<Value>, raw: Option<String>, rule: impl Into<String>) -> Variation {
    bad_at(Level::Must, name, body, raw, rule)
}

fn bad_at(level: Level, name: impl Into<String>, body: Option<Value>, raw: Option<String>, rule: impl Into<String>) -> Variation {
    Variation {
        name: name.into(),
        body,
        raw,
        expect: Expect::BadInput(rule.into()),
        level,
    }
}

/// A deterministic draw from `strategy` for `seed`.
fn draw<S: Strategy>(strategy: S, seed: u64) -> S::Value {
    match strategy.new_tree(&mut seeded_runner(seed)) {
        Ok(tree) => tree.current(),
        Err(e) => panic!("the strategies here always generate: {e}"),
    }
}

/// A request schema's properties, and the names of the required ones.
fn properties(schema: &Value) -> (Map<String, Value>, Vec<&str>) {
    let props = schema.get("properties").and_then(Value::as_object).cloned().unwrap_or_default();
    let required = schema
        .get("required")
        .and_then(Value::as_array)
        .map(|r| r.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    (props, required)
}

/// The alternatives a schema's `anyOf` of `required` lists (create call: `targets` for a
/// peer-to-peer call, or `meetingInfo` to join a meeting): a body holds all of one of them.
fn alternatives(schema: &Value) -> Vec<Vec<&str>> {
    let branches = schema.get("anyOf").and_then(Value::as_array).map(Vec::as_slice).unwrap_or_default();
    branches
        .iter()
        .filter_map(|b| b.get("required").and_then(Value::as_array))
        .map(|r| r.iter().filter_map(Value::as_str).collect())
        .collect()
}

/// `body` with its optional properties left out: a valid form where it still holds one of the
/// schema's alternatives, else bad input (neither alternative is there).
fn without(name: String, body: Map<String, Value>, alternatives: &[Vec<&str>]) -> Variation {
    let holds = |alt: &Vec<&str>| alt.iter().all(|k| body.contains_key(*k));
    if alternatives.is_empty() || alternatives.iter().any(holds) {
        return valid(name, body);
    }
    let names: Vec<String> = alternatives.iter().map(|a| a.join(" and ")).collect();
    let rule = format!(
        "a body holds {}: one with none of them is answered 400 (CONTRACT.md section 7.2)",
        names.join(" or ")
    );
    bad(name, Some(Value::Object(body)), None, rule)
}

/// The valid forms of `example` (an object body) that its request `schema` allows, and the bad
/// input its leaving out makes where the schema asks for one of several alternatives.
pub fn valid_forms(example: &Map<String, Value>, schema: &Value) -> Vec<Variation> {
    let (props, required) = properties(schema);
    let alternatives = alternatives(schema);
    let mut out = Vec::new();
    let optional: Vec<&String> = example.keys().filter(|k| !required.contains(&k.as_str())).collect();
    for key in &optional {
        let mut body = example.clone();
        body.remove(*key);
        out.push(without(format!("without {key}"), body, &alternatives));
    }
    if optional.len() > 1 {
        let mut body = example.clone();
        body.retain(|k, _| required.contains(&k.as_str()));
        out.push(without("without any optional property".to_string(), body, &alternatives));
    }
    for (key, spec) in &props {
        for value in spec.get("enum").and_then(Value::as_array).into_iter().flatten() {
            if example.get(key) != Some(value) {
                let mut body = example.clone();
                body.insert(key.clone(), value.clone());
                out.push(valid(format!("{key}: {}", value.as_str().unwrap_or("?")), body));
            }
        }
    }
    if let Some(spec) = props.get("clientContext") {
        let limit = spec.get("maxLength").and_then(Value::as_u64).map_or(DEFAULT_LIMIT, |m| m as usize);
        let edges = [
            ("clientContext empty".to_string(), String::new()),
            ("clientContext of one character".to_string(), "c".to_string()),
            (format!("clientContext of exactly {limit} characters"), "c".repeat(limit)),
            ("clientContext not ASCII".to_string(), "日本語のコンテキスト — ж ü ñ".to_string()),
        ];
        for (name, value) in edges {
            let mut body = example.clone();
            body.insert("clientContext".into(), Value::String(value));
            out.push(valid(name, body));
        }
    }
    if props.contains_key("callbackUri") {
        let mut body = example.clone();
        body.insert("callbackUri".into(), json!(HTTPS_CALLBACK));
        out.push(valid("an https callbackUri with a path and a query", body));
    }
    out
}

/// A lowercase word that is none of `values`, drawn for `seed`.
fn outside_enum(values: &[Value], seed: u64) -> String {
    draw("[a-z]{3,12}".prop_filter("outside the enum", |s| !values.contains(&json!(s))), seed)
}

/// Bad input generated from the request `schema`, on top of `example`; the draws come from `seed`.
pub fn bad_input(example: &Map<String, Value>, schema: &Value, seed: u64) -> Vec<Variation> {
    let (props, required) = properties(schema);
    let mut out = Vec::new();
    let with = |key: &str, value: Value| {
        let mut body = example.clone();
        body.insert(key.to_string(), value);
        Some(Value::Object(body))
    };
    for (n, (key, spec)) in props.iter().enumerate() {
        let seed = seed.wrapping_add(n as u64 * 7919);
        let declared = spec.get("type").and_then(Value::as_str).unwrap_or("enum");
        // A value of another JSON type than the property's (an enum's values are strings).
        let wrong = draw(
            prop::sample::select(vec![
                json!(12345),
                json!(true),
                json!(["x"]),
                json!({"x": 1}),
                json!("yes"),
                json!(1.5),
            ]),
            seed,
        );
        let wrong = match (declared, &wrong) {
            ("string" | "enum", Value::String(_)) => json!(12345),
            ("boolean", Value::Bool(_)) => json!("true"),
            ("integer", Value::Number(n)) if n.is_i64() => json!("12"),
            ("array", Value::Array(_)) => json!("audio"),
            ("object", Value::Object(_)) => json!("config"),
            _ => wrong,
        };
        out.push(bad(
            format!("{key} of the wrong type ({wrong})"),
            with(key, wrong),
            None,
            format!("{key} is a {declared}: another type is answered 400 (CONTRACT.md section 3)"),
        ));
        if let Some(values) = spec.get("enum").and_then(Value::as_array) {
            let outside = outside_enum(values, seed);
            out.push(bad(
                format!("{key} outside its enum ({outside:?})"),
                with(key, json!(outside)),
                None,
                format!(
                    "{key} is one of {}: any other value is answered 400 (CONTRACT.md section 3)",
                    Value::Array(values.clone())
                ),
            ));
        }
        if let Some(max) = spec.get("maxLength").and_then(Value::as_u64) {
            let over = draw(1usize..=32, seed) + max as usize;
            out.push(bad(
                format!("{key} of {over} characters"),
                with(key, json!("c".repeat(over))),
                None,
                format!("{key} is at most {max} characters: longer is answered 400 (CONTRACT.md section 3)"),
            ));
        }
        if spec
            .get("pattern")
            .and_then(Value::as_str)
            .is_some_and(|p| p.starts_with("^https://"))
        {
            let scheme = draw(prop::sample::select(vec!["http://", "ftp://", "//", ""]), seed);
            out.push(bad(
                format!("{key} not https ({scheme:?})"),
                with(key, json!(format!("{scheme}bot.contoso.invalid/api/calls"))),
                None,
                format!("{key} must be an https URL: anything else is answered 400 (CONTRACT.md section 3)"),
            ));
        }
        if let Some(min) = spec.get("minItems").and_then(Value::as_u64).filter(|m| *m > 0) {
            out.push(bad(
                format!("{key} empty"),
                with(key, json!([])),
                None,
                format!("{key} has at least {min} item(s): an empty list is answered 400 (CONTRACT.md section 7.2)"),
            ));
        }
        if let Some(max) = spec.get("maxItems").and_then(Value::as_u64) {
            let first = example.get(key).and_then(Value::as_array).and_then(|a| a.first()).cloned();
            if let Some(item) = first {
                let over = max as usize + 1;
                out.push(bad(
                    format!("{key} of {over} items"),
                    with(key, Value::Array(vec![item; over])),
                    None,
                    format!("{key} has at most {max} items: more is answered 400 (CONTRACT.md section 7.2)"),
                ));
            }
        }
        // An integer bounded tighter than its type (redirect's timeout, recordResponse's timeouts):
        // one past each bound. Int32's own bounds are a type, not a rule a page states.
        let int32 = |b: i64| b == i64::from(i32::MIN) || b == i64::from(i32::MAX);
        for (bound, past, word) in [("minimum", -1, "below"), ("maximum", 1, "above")] {
            let Some(b) = spec.get(bound).and_then(Value::as_i64).filter(|b| !int32(*b)) else {
                continue;
            };
            out.push(bad(
                format!("{key} {word} {b}"),
                with(key, json!(b + past)),
                None,
                format!("{key} is {word} its bound {b}: out of range is answered 400 (CONTRACT.md section 7.2)"),
            ));
        }
        if let Some(values) = spec.pointer("/items/enum").and_then(Value::as_array) {
            let outside = outside_enum(values, seed);
            out.push(bad(
                format!("{key} with an item outside its enum ({outside:?})"),
                with(key, json!([outside])),
                None,
                format!(
                    "{key} holds members of {}: any other item is answered 400 (CONTRACT.md section 7.2)",
                    Value::Array(values.clone())
                ),
            ));
        }
        if spec
            .get("pattern")
            .and_then(Value::as_str)
            .is_some_and(|p| p.starts_with("^(https://") && p.contains("|http://"))
        {
            out.push(bad(
                format!("{key} http to a host that is not loopback"),
                with(key, json!("http://bot.contoso.invalid/api/calls")),
                None,
                format!("{key} is https, or http to a loopback host: any other http is answered 400 (CONTRACT.md section 7.2)"),
            ));
        }
        if required.contains(&key.as_str()) {
            let mut body = example.clone();
            body.remove(key.as_str());
            out.push(bad(
                format!("{key} missing"),
                Some(Value::Object(body)),
                None,
                format!("{key} is required: a body without it is answered 400 (CONTRACT.md section 7.2)"),
            ));
        }
        if required.contains(&key.as_str()) {
            out.push(bad_at(
                Level::Should,
                format!("{key} null"),
                with(key, Value::Null),
                None,
                format!("{key} is required: null is answered 400 (CONTRACT.md section 3)"),
            ));
        }
    }
    let not_object = draw(prop::sample::select(vec![json!([]), json!("body"), json!(42), json!(true)]), seed);
    out.push(bad_at(
        Level::Should,
        format!("a body that is not an object ({not_object})"),
        None,
        Some(not_object.to_string()),
        "A body that is not a JSON object is answered 400 with the error object (CONTRACT.md section 1)",
    ));
    out
}
