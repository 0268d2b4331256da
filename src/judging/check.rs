//! Checks: what a target answered and sent, against what the case expects.
//!
//! Never performs I/O. One walk over each documented body does two things at once: it checks every
//! documented value by its rule and builds the *projection* (what CONTRACT.md says must match, with
//! server-generated values replaced by placeholders) that the snapshot pins. Checks and snapshots
//! therefore cannot disagree about what "must match" means.

use std::collections::BTreeMap;
use std::fmt;

use serde_json::{json, Map, Value};

use crate::contract::case::Case;
use crate::contract::fixture::Corpus;
use crate::contract::ids::{ids_equal, resource_ids};
use crate::contract::schema::{SchemaError, Schemas};
use crate::wire::listener::Heard;
use crate::wire::secret::redact;
use crate::wire::target::{preview, Observed};

/// Which part of an exchange a finding is about (the columns of a conformance matrix).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Aspect {
    /// The case could not run (no provisioning hook, target unreachable).
    Setup,
    /// The status code.
    Status,
    /// Documented headers.
    Headers,
    /// The body: emptiness, media type, schema, documented values.
    Body,
    /// The notifications the exchange must cause.
    Notifications,
    /// Bad input and the error contract.
    BadInput,
}

impl fmt::Display for Aspect {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Aspect::Setup => "setup",
            Aspect::Status => "status",
            Aspect::Headers => "headers",
            Aspect::Body => "body",
            Aspect::Notifications => "notifications",
            Aspect::BadInput => "bad input",
        })
    }
}

/// Every check the suite makes, by a stable name. The detection matrix proves each one can fail:
/// it walks every member (`Check::iter()`, in report order), so a new check cannot be left out.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, strum::EnumIter, strum::IntoStaticStr)]
#[strum(serialize_all = "kebab-case")]
pub enum Check {
    /// The case could run at all.
    Setup,
    /// The documented status code.
    Status,
    /// `Location`: present, absolute, an operation of this call.
    Location,
    /// No body where the documents return nothing.
    EmptyBody,
    /// `application/json` where a body is documented.
    MediaType,
    /// The body parses as JSON.
    BodyJson,
    /// The body satisfies its schema.
    BodySchema,
    /// Every documented property is present with its documented value (bodies and notifications).
    DocumentedValue,
    /// `clientContext` echoes the request (bodies and notifications).
    Echo,
    /// A body's operation `id` equals the operationId in `Location`.
    OperationId,
    /// Each operation gets an operation id of its own, a repetition on the same call too.
    FreshOperationId,
    /// Each expected notification arrives.
    NotificationArrives,
    /// Expected notifications arrive in the documented order.
    NotificationOrder,
    /// A notification names this call (and this operation).
    Correlation,
    /// A terminated call says why (resultInfo or terminationReason).
    TerminationReason,
    /// A notification body is a commsNotifications envelope in either dialect.
    NotificationSchema,
    /// A notification is POSTed as JSON with a Bearer token.
    NotificationDelivery,
    /// Bad input gets the status the contract names (401, 400, 404).
    ErrorStatus,
    /// Every error answer is the Graph error object.
    ErrorObject,
    /// A reject on an answered call leaves it alive.
    CallStaysAlive,
    /// A reject on an answered call sends no `deleted` notification.
    NoDeletedNotification,
    /// A refused request (`400`, `401`, `404`) causes no notification.
    NoNotificationWhenRefused,
    /// A bot answers an authenticated notification with a 2xx in time.
    BotAccepts,
    /// A bot refuses an unauthenticated notification with 401 or 403.
    BotRefusesUnauthenticated,
}

impl Check {
    /// The stable name used in reports, the detection matrix and the fault catalog.
    pub fn name(self) -> &'static str {
        self.into()
    }
}

/// One deviation from the contract.
#[derive(Debug, Clone, PartialEq)]
pub struct Finding {
    /// Which part of the exchange.
    pub aspect: Aspect,
    /// Which check found it.
    pub check: Check,
    /// What was checked (`header Location`, `body /status`, `notification 2 (…terminated)`).
    pub subject: String,
    /// The rule, in words a stranger can act on.
    pub expected: String,
    /// What the target did.
    pub actual: String,
    /// The schema error behind it, when a schema failed.
    pub schema: Option<SchemaError>,
}

impl fmt::Display for Finding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "[{}/{}] {}", self.aspect, self.check.name(), self.subject)?;
        writeln!(f, "      expected: {}", self.expected)?;
        write!(f, "      actual:   {}", self.actual)?;
        if let Some(s) = &self.schema {
            let at = if s.instance_path.is_empty() { "(root)" } else { &s.instance_path };
            write!(
                f,
                "\n      schema:   {} at {at}: {}\n      schema path: {} (keyword {})",
                s.schema, s.message, s.schema_path, s.keyword
            )?;
        }
        Ok(())
    }
}

/// Everything the checks concluded about one exchange.
#[derive(Debug, Clone, Default)]
pub struct Verdict {
    /// Deviations: any one fails the case.
    pub findings: Vec<Finding>,
    /// Things worth reporting that are not failures (an unlisted termination code).
    pub infos: Vec<String>,
}

impl Verdict {
    /// Records a deviation found by `check`.
    pub fn fail(
        &mut self,
        aspect: Aspect,
        check: Check,
        subject: impl Into<String>,
        expected: impl Into<String>,
        actual: impl Into<String>,
    ) {
        self.findings.push(Finding {
            aspect,
            check,
            subject: subject.into(),
            expected: expected.into(),
            actual: redact(&actual.into()),
            schema: None,
        });
    }

    /// Records every schema error as a deviation found by `check`.
    pub fn schema_errors(&mut self, aspect: Aspect, check: Check, subject: &str, errors: Vec<SchemaError>, instance: &Value) {
        for e in errors {
            let actual = pointer_preview(instance, &e.instance_path);
            self.findings.push(Finding {
                aspect,
                check,
                subject: format!("{subject} against schema {}", e.schema),
                expected: format!("valid {} (schemas/{}.json)", e.schema, e.schema),
                actual,
                schema: Some(e),
            });
        }
    }

    /// Whether the exchange conforms.
    pub fn passed(&self) -> bool {
        self.findings.is_empty()
    }
}

fn pointer_preview(v: &Value, ptr: &str) -> String {
    let at = v.pointer(ptr).unwrap_or(v);
    let text = at.to_string();
    if text.chars().count() > 300 {
        format!("{}…", text.chars().take(300).collect::<String>())
    } else {
        text
    }
}

/// How a documented value that is not a literal is matched (the `rules` of a fixture).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rule {
    /// Equal to the documented value (the default for every documented property).
    Exact,
    /// Header: an absolute URL of an operation of this call, `…/calls/{call}/operations/{op}`.
    OperationOfCall,
    /// Equal to the operationId in `Location`.
    LocationOperationId,
    /// Equal to the request body's property of the same name.
    EchoRequest,
    /// `null` or a resultInfo object.
    NullOrResultInfo,
    /// Any non-null value the server chooses.
    ServerGenerated,
    /// A resource path naming this call.
    CallResource,
    /// A resource path naming this call's operation from `Location`.
    OperationResource,
    /// Why a call ended: `terminationReason` (legacy) or `resultInfo` (current).
    TerminationReason,
}

/// A rule and whether the property may be absent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RuleSpec {
    /// The rule.
    pub rule: Rule,
    /// Whether absence is fine (dialect- or page-dependent properties).
    pub optional: bool,
}

impl RuleSpec {
    /// Parses a fixture's rule text (`optional:call-resource`).
    pub fn parse(text: &str) -> Result<RuleSpec, String> {
        let (optional, name) = match text.strip_prefix("optional:") {
            Some(rest) => (true, rest),
            None => (false, text),
        };
        let rule = match name {
            "exact" => Rule::Exact,
            "operation-of-call" => Rule::OperationOfCall,
            "location-operation-id" => Rule::LocationOperationId,
            "echo-request" => Rule::EchoRequest,
            "null-or-resultInfo" => Rule::NullOrResultInfo,
            "server-generated" => Rule::ServerGenerated,
            "call-resource" => Rule::CallResource,
            "operation-resource" => Rule::OperationResource,
            "termination-reason" => Rule::TerminationReason,
            other => return Err(format!("unknown rule {other:?}")),
        };
        Ok(RuleSpec { rule, optional })
    }

    fn describe(&self) -> &'static str {
        match self.rule {
            Rule::Exact => "the documented value",
            Rule::OperationOfCall => "an absolute URL …/calls/{this call}/operations/{operationId}",
            Rule::LocationOperationId => "the operationId of the Location header",
            Rule::EchoRequest => "the request's value, echoed",
            Rule::NullOrResultInfo => "null or a resultInfo object",
            Rule::ServerGenerated => "a value chosen by the server",
            Rule::CallResource => "a resource path naming this call (…/calls/{id})",
            Rule::OperationResource => "a resource path naming the operation from Location (…/calls/{id}/operations/{operationId})",
            Rule::TerminationReason => "why the call ended: resultInfo (current dialect) or terminationReason (legacy)",
        }
    }

    /// The check a failure of this rule belongs to.
    pub fn check(&self) -> Check {
        match self.rule {
            Rule::Exact | Rule::NullOrResultInfo | Rule::ServerGenerated => Check::DocumentedValue,
            Rule::OperationOfCall => Check::Location,
            Rule::LocationOperationId => Check::OperationId,
            Rule::EchoRequest => Check::Echo,
            Rule::CallResource | Rule::OperationResource => Check::Correlation,
            Rule::TerminationReason => Check::TerminationReason,
        }
    }

    fn placeholder(&self, actual: &Value) -> Value {
        match self.rule {
            Rule::Exact | Rule::EchoRequest => actual.clone(),
            Rule::OperationOfCall => json!("[base]/calls/[call-id]/operations/[operation-id]"),
            Rule::LocationOperationId => json!("[operation-id]"),
            Rule::NullOrResultInfo => json!("[null or resultInfo]"),
            Rule::ServerGenerated => json!("[server-generated]"),
            Rule::CallResource => json!("/calls/[call-id]"),
            Rule::OperationResource => json!("/calls/[call-id]/operations/[operation-id]"),
            Rule::TerminationReason => json!("[termination reason]"),
        }
    }
}

/// Parses a fixture's rules map.
pub fn parse_rules(rules: &BTreeMap<String, String>) -> Result<BTreeMap<String, RuleSpec>, String> {
    rules
        .iter()
        .map(|(k, v)| RuleSpec::parse(v).map(|r| (k.clone(), r)).map_err(|e| format!("rule for {k}: {e}")))
        .collect()
}

/// What the rules compare against: the facts of this exchange.
#[derive(Debug, Clone)]
pub struct Facts<'a> {
    /// The call the case acted on.
    pub call_id: &'a str,
    /// The operationId from `Location`, once known.
    pub operation_id: Option<String>,
    /// The body the case sent.
    pub request_body: Option<&'a Value>,
    /// For the termination code table.
    pub corpus: &'a Corpus,
}

fn apply(spec: &RuleSpec, key: &str, expected: &Value, actual: &Value, facts: &Facts, infos: &mut Vec<String>) -> Result<(), String> {
    match spec.rule {
        Rule::Exact => (expected == actual).then_some(()).ok_or_else(|| format!("{expected}")),
        Rule::LocationOperationId => match (&facts.operation_id, actual.as_str()) {
            (Some(op), Some(a)) if ids_equal(op, a) => Ok(()),
            (Some(op), _) => Err(format!("\"{op}\" (the operationId in Location)")),
            (None, Some(_)) => Ok(()), // Location itself failed; that finding says so.
            (None, None) => Err("a string".into()),
        },
        Rule::EchoRequest => {
            let sent = facts.request_body.and_then(|b| b.get(key)).cloned().unwrap_or(Value::Null);
            (sent == *actual)
                .then_some(())
                .ok_or_else(|| format!("{sent} (the request's {key})"))
        }
        Rule::NullOrResultInfo => (actual.is_null() || actual.is_object())
            .then_some(())
            .ok_or_else(|| "null or a resultInfo object".into()),
        Rule::ServerGenerated => (!actual.is_null()).then_some(()).ok_or_else(|| "a value".into()),
        Rule::CallResource => match actual.as_str().and_then(resource_ids) {
            Some((call, None)) if ids_equal(&call, facts.call_id) => Ok(()),
            _ => Err(format!("a path naming call {} (…/calls/{})", facts.call_id, facts.call_id)),
        },
        Rule::OperationResource => match actual.as_str().and_then(resource_ids) {
            Some((call, Some(op)))
                if ids_equal(&call, facts.call_id) && facts.operation_id.as_deref().is_none_or(|o| ids_equal(o, &op)) =>
            {
                Ok(())
            }
            _ => Err(format!(
                "a path naming operation {} of call {} (…/calls/{}/operations/{})",
                facts.operation_id.as_deref().unwrap_or("{operationId}"),
                facts.call_id,
                facts.call_id,
                facts.operation_id.as_deref().unwrap_or("{operationId}")
            )),
        },
        Rule::TerminationReason => termination(actual, facts, infos),
        Rule::OperationOfCall => actual
            .as_str()
            .ok_or_else(|| "a URL".to_string())
            .and_then(|a| location_operation(a, facts.call_id))
            .map(|_| ()),
    }
}

fn code_of(v: Option<&Value>) -> Option<u32> {
    match v? {
        Value::Number(n) => n.as_u64().and_then(|n| u32::try_from(n).ok()),
        Value::String(s) => s.parse().ok(),
        _ => None,
    }
}

fn termination(actual: &Value, facts: &Facts, infos: &mut Vec<String>) -> Result<(), String> {
    let want = "resultInfo with code and subcode (current dialect) or a terminationReason string (legacy dialect)";
    if let Some(reason) = actual.get("terminationReason") {
        return reason
            .as_str()
            .filter(|s| !s.is_empty())
            .map(|_| ())
            .ok_or_else(|| want.to_string());
    }
    let Some(info) = actual.get("resultInfo") else {
        return Err(want.into());
    };
    match (code_of(info.get("code")), code_of(info.get("subcode"))) {
        (Some(code), Some(subcode)) => {
            if facts.corpus.reason_meaning(code, subcode).is_none() {
                infos.push(format!(
                    "resultInfo {code}/{subcode} is not in seed 001's call termination reason codes (reported, not failed)"
                ));
            }
            Ok(())
        }
        _ => Err(want.into()),
    }
}

/// What one walk over a documented body compares against.
struct Walk<'w, 'f> {
    rules: &'w BTreeMap<String, RuleSpec>,
    facts: &'w Facts<'f>,
    subject: &'w str,
    aspect: Aspect,
}

impl Walk<'_, '_> {
    /// Checks `actual` against the documented `expected` at `ptr`, and returns its projection
    /// (`None`: leave it out of the snapshot).
    fn at(&self, expected: &Value, actual: Option<&Value>, ptr: &str, v: &mut Verdict) -> Option<Value> {
        let spec = self.rules.get(ptr).copied();
        let Some(actual) = actual else {
            // An echo of something the request did not send is rightly absent.
            let key = ptr.rsplit('/').next().unwrap_or_default();
            let nothing_sent = self.facts.request_body.is_none_or(|b| b.get(key).is_none());
            if spec.is_some_and(|s| s.rule == Rule::EchoRequest) && nothing_sent {
                return None;
            }
            if !spec.is_some_and(|s| s.optional) {
                let want = match spec {
                    Some(s) => s.describe().to_string(),
                    None => expected.to_string(),
                };
                v.fail(
                    self.aspect,
                    spec.map_or(Check::DocumentedValue, |s| s.check()),
                    format!("{} {ptr}", self.subject),
                    format!("documented property present: {want}"),
                    "absent",
                );
            }
            return None;
        };
        if let Some(spec) = spec {
            let key = ptr.rsplit('/').next().unwrap_or_default().replace("~1", "/").replace("~0", "~");
            return match apply(&spec, &key, expected, actual, self.facts, &mut v.infos) {
                Ok(()) if spec.optional => None,
                Ok(()) => Some(spec.placeholder(actual)),
                Err(want) => {
                    v.fail(
                        self.aspect,
                        spec.check(),
                        format!("{} {ptr}", self.subject),
                        format!("{} — {want}", spec.describe()),
                        actual.to_string(),
                    );
                    Some(actual.clone())
                }
            };
        }
        match (expected, actual) {
            (Value::Object(e), Value::Object(a)) => {
                let mut out = Map::new();
                for (k, ev) in e {
                    let p = format!("{ptr}/{}", k.replace('~', "~0").replace('/', "~1"));
                    if let Some(pv) = self.at(ev, a.get(k), &p, v) {
                        out.insert(k.clone(), pv);
                    }
                }
                Some(Value::Object(out))
            }
            _ if expected == actual => Some(actual.clone()),
            _ => {
                let at = if ptr.is_empty() { "(root)" } else { ptr };
                v.fail(
                    self.aspect,
                    Check::DocumentedValue,
                    format!("{} {at}", self.subject),
                    expected.to_string(),
                    actual.to_string(),
                );
                Some(actual.clone())
            }
        }
    }
}

/// What to report as actual when a `Content-Type` is not `application/json` (parameters such as
/// `charset` or `odata.metadata` are fine); `None` when it is.
fn not_json(content_type: Option<&str>) -> Option<String> {
    let media = content_type
        .map(|ct| ct.split(';').next().unwrap_or_default().trim().to_ascii_lowercase())
        .unwrap_or_default();
    match media.as_str() {
        "application/json" => None,
        "" => Some("absent".into()),
        _ => Some(media),
    }
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
        let projected = if spec.rule == Rule::OperationOfCall {
            match location_operation(actual, facts.call_id) {
                Ok(op) => {
                    facts.operation_id = Some(op);
                    spec.placeholder(&Value::Null)
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

/// Parses `Location` as an operation of `call_id`; returns the operationId.
pub fn location_operation(location: &str, call_id: &str) -> Result<String, String> {
    let url = reqwest::Url::parse(location).map_err(|_| "it is not an absolute URL".to_string())?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(format!("scheme {:?} is not http(s)", url.scheme()));
    }
    match resource_ids(url.path()) {
        Some((call, Some(op))) if ids_equal(&call, call_id) => Ok(op),
        Some((call, Some(_))) => Err(format!("it names call {call}, not {call_id}")),
        _ => Err("its path does not end in /calls/{id}/operations/{operationId}".into()),
    }
}

/// A notification item in dialect-neutral form: `resource` whichever field named it, and why a
/// call ended folded into `resourceData.termination`.
pub fn neutral_item(item: &Value) -> Value {
    let mut rd = item.get("resourceData").and_then(Value::as_object).cloned().unwrap_or_default();
    let mut termination = Map::new();
    for key in ["terminationReason", "resultInfo"] {
        if let Some(x) = rd.remove(key) {
            termination.insert(key.into(), x);
        }
    }
    if !termination.is_empty() {
        rd.insert("termination".into(), Value::Object(termination));
    }
    let resource = item
        .get("resourceUrl")
        .or_else(|| item.get("resource"))
        .cloned()
        .unwrap_or(Value::Null);
    let mut out = Map::new();
    out.insert("changeType".into(), item.get("changeType").cloned().unwrap_or(Value::Null));
    out.insert("resource".into(), resource);
    out.insert("resourceData".into(), Value::Object(rd));
    Value::Object(out)
}

fn neutral_pointer(ptr: &str) -> String {
    let rest = ptr.strip_prefix("/value/0").unwrap_or(ptr);
    match rest {
        "/resource" | "/resourceUrl" => "/resource".into(),
        "/resourceData/terminationReason" | "/resourceData/resultInfo" => "/resourceData/termination".into(),
        other => other.into(),
    }
}

/// One expected notification, neutral, with its rules.
#[derive(Debug, Clone)]
pub struct ExpectedNotification {
    /// The fixture id.
    pub id: String,
    /// The item, neutral.
    pub item: Value,
    /// Rules by neutral pointer.
    pub rules: BTreeMap<String, RuleSpec>,
}

impl ExpectedNotification {
    /// From a fixture whose envelope holds one item.
    pub fn from_fixture(f: &crate::contract::fixture::NotificationFixture) -> Result<ExpectedNotification, String> {
        let item = f.body.pointer("/value/0").ok_or_else(|| format!("{}: no /value/0 item", f.id))?;
        let rules = parse_rules(&f.rules)?.into_iter().map(|(k, r)| (neutral_pointer(&k), r)).collect();
        Ok(ExpectedNotification {
            id: f.id.clone(),
            item: neutral_item(item),
            rules,
        })
    }

    fn field(&self, ptr: &str) -> Option<&Value> {
        self.item.pointer(ptr)
    }

    /// One line naming what is expected: `deleted #microsoft.graph.call (state terminated)`.
    pub fn summary(&self) -> String {
        summary(&self.item)
    }

    /// What kind of notification it is, without the example's resource: `deleted #microsoft.graph.call (state terminated)`.
    pub fn kind(&self) -> String {
        describe(&self.item, false)
    }

    /// Whether a heard (neutral) item is this notification for this call: same changeType,
    /// resource type and state, and a resource naming the call.
    fn matches(&self, actual: &Value, call_id: &str) -> bool {
        let same = |p: &str| self.field(p).is_none_or(|e| actual.pointer(p) == Some(e));
        same("/changeType")
            && same("/resourceData/@odata.type")
            && same("/resourceData/state")
            && actual
                .pointer("/resource")
                .and_then(Value::as_str)
                .and_then(resource_ids)
                .is_some_and(|(c, _)| ids_equal(&c, call_id))
    }
}

fn summary(item: &Value) -> String {
    describe(item, true)
}

/// `deleted #microsoft.graph.call /communications/calls/… (state terminated)`, the resource left out
/// unless `with_resource`.
fn describe(item: &Value, with_resource: bool) -> String {
    let s = |p: &str| item.pointer(p).and_then(Value::as_str).unwrap_or("?").to_string();
    let state = item
        .pointer("/resourceData/state")
        .and_then(Value::as_str)
        .map(|st| format!(" (state {st})"))
        .unwrap_or_default();
    let resource = if with_resource {
        format!(" {}", s("/resource"))
    } else {
        String::new()
    };
    format!("{} {}{resource}{state}", s("/changeType"), s("/resourceData/@odata.type"))
}

/// Every item a heard POST carried, neutral, with (delivery seq, index in envelope).
pub fn heard_items(heard: &[Heard]) -> Vec<((usize, usize), Value)> {
    let mut out = Vec::new();
    for h in heard {
        if let Ok(body) = serde_json::from_slice::<Value>(&h.body) {
            if let Some(items) = body.get("value").and_then(Value::as_array) {
                for (i, item) in items.iter().enumerate() {
                    out.push(((h.seq, i), neutral_item(item)));
                }
            }
        }
    }
    out
}

/// Whether every expected notification has been heard for this call (the listener's stop condition).
pub fn all_heard(expected: &[ExpectedNotification], heard: &[Heard], call_id: &str) -> bool {
    let items = heard_items(heard);
    expected.iter().all(|e| items.iter().any(|(_, a)| e.matches(a, call_id)))
}

/// The heard item `expected` claims among `items`, skipping the positions in `claimed`: one naming
/// `operation_id` when there is one (a call with several operations has several completed
/// notifications), else the first that matches the call.
pub fn find_heard<'i>(
    expected: &ExpectedNotification,
    items: &'i [((usize, usize), Value)],
    claimed: &[(usize, usize)],
    call_id: &str,
    operation_id: Option<&str>,
) -> Option<&'i ((usize, usize), Value)> {
    let mut candidates = items
        .iter()
        .filter(|(pos, a)| !claimed.contains(pos) && expected.matches(a, call_id))
        .peekable();
    let first = candidates.peek().copied();
    let names_operation = |a: &Value| {
        let op = a
            .pointer("/resource")
            .and_then(Value::as_str)
            .and_then(resource_ids)
            .and_then(|(_, op)| op);
        matches!((op, operation_id), (Some(op), Some(want)) if ids_equal(&op, want))
    };
    candidates.find(|(_, a)| names_operation(a)).or(first)
}

/// The notification half of an exchange, checked and projected. `heard` is everything the case's
/// callback received; `waited_ms` is how long the suite waited, for the message.
pub fn check_notifications(
    expected: &[ExpectedNotification],
    schemas: &Schemas,
    facts: &Facts,
    heard: &[Heard],
    waited_ms: u128,
    v: &mut Verdict,
) -> Vec<Value> {
    for h in heard {
        check_delivery(h, schemas, v);
    }
    check_notifications_claiming(expected, facts, &heard_items(heard), &mut Vec::new(), waited_ms, v)
}

/// [`check_notifications`] for one of several exchanges on a call that share an inbox: each
/// expected notification claims a heard item no earlier exchange claimed (added to `claimed`), and
/// deliveries are checked once for the inbox by the caller.
pub fn check_notifications_claiming(
    expected: &[ExpectedNotification],
    facts: &Facts,
    items: &[((usize, usize), Value)],
    claimed: &mut Vec<(usize, usize)>,
    waited_ms: u128,
    v: &mut Verdict,
) -> Vec<Value> {
    let heard_list = || {
        if items.is_empty() {
            "nothing".to_string()
        } else {
            items
                .iter()
                .map(|((s, i), a)| format!("#{s}.{i}: {}", summary(a)))
                .collect::<Vec<_>>()
                .join("; ")
        }
    };
    let mut projected = Vec::new();
    let mut last: Option<((usize, usize), &str)> = None;
    for (n, e) in expected.iter().enumerate() {
        let subject = format!("notification {} of {} ({})", n + 1, expected.len(), e.id);
        let found = find_heard(e, items, claimed, facts.call_id, facts.operation_id.as_deref());
        let Some((pos, actual)) = found else {
            v.fail(
                Aspect::Notifications,
                Check::NotificationArrives,
                subject,
                format!(
                    "{} for call {}, within {waited_ms} ms (CONFORMANCE_NOTIFY_TIMEOUT_MS)",
                    e.summary(),
                    facts.call_id
                ),
                format!("not received; heard: {}", heard_list()),
            );
            projected.push(json!("[not received]"));
            continue;
        };
        claimed.push(*pos);
        if let Some((prev_pos, prev_id)) = last {
            if *pos < prev_pos {
                v.fail(
                    Aspect::Notifications,
                    Check::NotificationOrder,
                    subject.clone(),
                    format!("after {prev_id}, as the documents order them"),
                    format!("arrived before it; heard in order: {}", heard_list()),
                );
            }
        }
        last = Some((*pos, e.id.as_str()));
        let walk = Walk {
            rules: &e.rules,
            facts,
            subject: &subject,
            aspect: Aspect::Notifications,
        };
        projected.push(walk.at(&e.item, Some(actual), "", v).unwrap_or(Value::Null));
    }
    projected
}

/// Checks how one notification was delivered: a POST, as JSON, with a Bearer token, a commsNotifications body.
pub fn check_delivery(h: &Heard, schemas: &Schemas, v: &mut Verdict) {
    let subject = format!("notification delivery #{}", h.seq);
    if let Some(why) = &h.refused {
        v.fail(
            Aspect::Notifications,
            Check::NotificationDelivery,
            &subject,
            "a notification the listener accepts: at most 4 MiB, its headers and body each sent within 10 s",
            why.clone(),
        );
        return;
    }
    if h.method != "POST" {
        v.fail(
            Aspect::Notifications,
            Check::NotificationDelivery,
            &subject,
            "POST to the callbackUri",
            h.method.clone(),
        );
    }
    if let Some(actual) = not_json(h.header("content-type")) {
        v.fail(
            Aspect::Notifications,
            Check::NotificationDelivery,
            format!("{subject} Content-Type"),
            "application/json",
            actual,
        );
    }
    let bearer = h.header("authorization").is_some_and(|a| {
        a.split_once(' ')
            .is_some_and(|(scheme, cred)| scheme.eq_ignore_ascii_case("bearer") && !cred.trim().is_empty())
    });
    if !bearer {
        v.fail(
            Aspect::Notifications,
            Check::NotificationDelivery,
            format!("{subject} Authorization"),
            "a Bearer token (CONTRACT.md section 4)",
            h.header("authorization").map(|_| "not a Bearer token").unwrap_or("absent"),
        );
    }
    match serde_json::from_slice::<Value>(&h.body) {
        Ok(body) => v.schema_errors(
            Aspect::Notifications,
            Check::NotificationSchema,
            &subject,
            schemas.validate("commsNotifications", &body),
            &body,
        ),
        Err(e) => v.fail(
            Aspect::Notifications,
            Check::NotificationSchema,
            subject,
            "a commsNotifications JSON body",
            format!("not JSON ({e}): {}", preview(&h.body, 300)),
        ),
    }
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

/// Whether a heard item is a `deleted` notification for call `call_id`.
pub fn is_call_deleted(item: &Value, call_id: &str) -> bool {
    item.pointer("/changeType").and_then(Value::as_str) == Some("deleted") && names(item, call_id, false)
}

/// Whether `item`'s resource is call `call_id` itself (`operation` false) or one of its operations.
fn names(item: &Value, call_id: &str, operation: bool) -> bool {
    item.pointer("/resource")
        .and_then(Value::as_str)
        .and_then(resource_ids)
        .is_some_and(|(c, op)| op.is_some() == operation && ids_equal(&c, call_id))
}

/// Whether `item` says call `call_id` has ended or is ending (a `deleted` call, or a
/// terminating/terminated state).
pub fn says_ended(item: &Value, call_id: &str) -> bool {
    let state = item.pointer("/resourceData/state").and_then(Value::as_str);
    is_call_deleted(item, call_id) || (names(item, call_id, false) && matches!(state, Some("terminating" | "terminated")))
}

/// Whether `item` is what an operation on call `call_id` causes: a notification of one of its
/// operations, or one saying the call ended. What a refused request must not cause; a call's own
/// announcement (`created`, or `updated` with its state, as a provisioned call may get) is not.
pub fn effect_of_an_operation(item: &Value, call_id: &str) -> bool {
    names(item, call_id, true) || says_ended(item, call_id)
}
