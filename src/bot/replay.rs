//! The bot's side: the documents' notifications replayed to a bot's callback endpoint.
//!
//! Each notification fixture is replayed as documented, in every shape the allowances table
//! (`tests/fixtures/data/allowances.json`) lets a service send it, in all of them at once, and as
//! three requests the bot must refuse with 401 or 403 (no `Authorization`, another Bearer token than
//! the bot's, another scheme than Bearer; CONTRACT.md "The bot's side"). The same table says what the
//! suite forgives a service, so the two sides cannot drift apart (`selftest::allowances`). With
//! `CONFORMANCE_BOT_URL` unset, the replays go to the embedded bot double, which can run with the bugs
//! of `BotFault`.

use std::fmt;
use std::time::Duration;
use strum::IntoEnumIterator;

use serde_json::{json, Map, Value};

use crate::contract::corpus;
use crate::contract::fixture::{Dialect, NotificationFixture};
use crate::contract::ids::resource_ids;
use crate::contract::status::{documented_member, metadata_spelling};
use crate::judging::verdict::{Aspect, Check, Verdict};
use crate::wire::secret::{redact, Secret};
use crate::wire::target::{http_client_cased, send_with, Observed, SentRequest, TransportError};

/// How a notification is replayed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, strum::EnumIter)]
pub enum Variant {
    /// The document's example, value for value.
    Documented,
    /// The same event in the other dialect (legacy <-> current).
    OtherDialect,
    /// In one envelope with the other notifications of its operation, in order, and another call's.
    Batched,
    /// With both `resource` and `resourceUrl`.
    BothResourceFields,
    /// With `resultInfo` code and subcode as integers (Graph's metadata).
    IntegerCodes,
    /// With `resultInfo` code and subcode as strings (the seeds' examples).
    StringCodes,
    /// With the extra properties real services send.
    ExtraProperties,
    /// With the call's GUIDs compact and upper-case, as seeds 000 and 004 write them.
    CompactGuids,
    /// `Content-Type: application/json; odata.metadata=minimal; charset=utf-8`.
    ContentTypeParameters,
    /// Header names in Title-Case (`Content-Type`, `Authorization`) rather than lower case.
    HeaderCase,
    /// A chunked body, without `Content-Length`.
    Chunked,
    /// Each operation's `status` in the metadata's PascalCase (`Completed`), as Microsoft's
    /// TypeScript and Go SDKs write it.
    MetadataStatusSpelling,
    /// Every allowed shape at once.
    AllAtOnce,
    /// Without `Authorization`: must be refused.
    Unauthenticated,
    /// With a Bearer token that is not the bot's: must be refused.
    OtherToken,
    /// With another scheme than Bearer: must be refused.
    OtherScheme,
}

/// Another call, for the notification a batched envelope carries besides the replayed one.
const OTHER_CALL: &str = "5f1c0a2e-7b3d-4c9e-8a61-2d4f6b8e0c13";

impl Variant {
    /// The shapes of the allowances table, one each, in its order: the variants that replay an allowance.
    pub fn shapes() -> impl Iterator<Item = Variant> {
        Variant::iter().filter(|v| v.allowance().is_some())
    }

    /// The id of the allowance of `data/allowances.json` it replays, for a shape.
    pub fn allowance(self) -> Option<&'static str> {
        Some(match self {
            Variant::OtherDialect => "other-dialect",
            Variant::Batched => "batched",
            Variant::BothResourceFields => "both-resource-fields",
            Variant::IntegerCodes => "integer-codes",
            Variant::StringCodes => "string-codes",
            Variant::ExtraProperties => "extra-properties",
            Variant::CompactGuids => "compact-guids",
            Variant::ContentTypeParameters => "content-type-parameters",
            Variant::HeaderCase => "header-case",
            Variant::Chunked => "chunked",
            Variant::MetadataStatusSpelling => "metadata-status-spelling",
            _ => return None,
        })
    }

    /// A stable id for reports and expectations files: the allowance's for a shape.
    pub fn id(self) -> &'static str {
        match self {
            Variant::Documented => "documented",
            Variant::AllAtOnce => "all-at-once",
            Variant::Unauthenticated => "no-authorization",
            Variant::OtherToken => "other-token",
            Variant::OtherScheme => "other-scheme",
            shape => shape.allowance().unwrap_or("shape"),
        }
    }

    /// Its name in reports (for a shape, the table's).
    pub fn name(self) -> &'static str {
        match self {
            Variant::Documented => "as documented",
            Variant::OtherDialect => "in the other dialect",
            Variant::Batched => "batched with its operation's other notifications and another call's",
            Variant::BothResourceFields => "with both resource and resourceUrl",
            Variant::IntegerCodes => "with integer result codes",
            Variant::StringCodes => "with string result codes",
            Variant::ExtraProperties => "with extra properties",
            Variant::CompactGuids => "with compact upper-case GUIDs",
            Variant::ContentTypeParameters => "with Content-Type parameters",
            Variant::HeaderCase => "with Title-Case header names",
            Variant::Chunked => "with a chunked body",
            Variant::MetadataStatusSpelling => "with the metadata's spelling of an operation's status",
            Variant::AllAtOnce => "in every allowed shape at once",
            Variant::Unauthenticated => "without Authorization",
            Variant::OtherToken => "with another Bearer token than the bot's",
            Variant::OtherScheme => "with another scheme than Bearer",
        }
    }

    /// Whether the bot must refuse it (401 or 403) rather than accept it (2xx).
    pub fn refused(self) -> bool {
        matches!(self, Variant::Unauthenticated | Variant::OtherToken | Variant::OtherScheme)
    }

    /// Whether replaying `fixture` this way says something the other replays do not: result codes
    /// only where there is a resultInfo, compact GUIDs only where the resource names a hyphenated one.
    pub fn applies(self, fixture: &NotificationFixture) -> bool {
        let item = fixture.body.pointer("/value/0");
        match self {
            Variant::IntegerCodes | Variant::StringCodes => item.and_then(|i| i.pointer("/resourceData/resultInfo")).is_some(),
            Variant::CompactGuids => fixture.body.to_string().contains('-') && compact_guids(&fixture.body) != fixture.body,
            Variant::MetadataStatusSpelling => metadata_status(&fixture.body) != fixture.body,
            _ => true,
        }
    }

    /// The body replayed for `fixture`.
    pub fn body(self, fixture: &NotificationFixture) -> Value {
        let body = &fixture.body;
        match self {
            Variant::OtherDialect => other_dialect(body, fixture.dialect),
            Variant::Batched => batched(&with_its_operation(fixture)),
            Variant::BothResourceFields => both_resource_fields(body),
            Variant::IntegerCodes => codes(body, true),
            Variant::StringCodes => codes(body, false),
            Variant::ExtraProperties => with_extra_properties(body),
            Variant::CompactGuids => compact_guids(body),
            Variant::MetadataStatusSpelling => metadata_status(body),
            Variant::AllAtOnce => {
                let b = other_dialect(body, fixture.dialect);
                // The same notification as the other dialect writes it, so its operation's others follow suit.
                let whole = NotificationFixture {
                    body: b,
                    dialect: fixture.dialect.other(),
                    ..fixture.clone()
                };
                batched(&metadata_status(&compact_guids(&with_extra_properties(&codes(
                    &both_resource_fields(&with_its_operation(&whole)),
                    true,
                )))))
            }
            _ => body.clone(),
        }
    }

    /// The `Content-Type` it is sent with.
    pub fn content_type(self) -> &'static str {
        match self {
            Variant::ContentTypeParameters | Variant::AllAtOnce => "application/json; odata.metadata=minimal; charset=utf-8",
            _ => "application/json",
        }
    }

    /// The `Authorization` it is sent with, for a bot that takes `token`.
    fn authorization(self, token: &Secret) -> Option<String> {
        match self {
            Variant::Unauthenticated => None,
            // Not the bot's token, and not shaped like one it could mistake for its own.
            Variant::OtherToken => Some("Bearer conformance-not-the-bot-s-token".into()),
            Variant::OtherScheme => Some(format!("Basic {}", "Y29uZm9ybWFuY2U6bm90LWEtYmVhcmVy")),
            _ => Some(format!("Bearer {}", token.expose())),
        }
    }

    /// Whether its header names are written in Title-Case.
    pub fn title_case(self) -> bool {
        matches!(self, Variant::HeaderCase | Variant::AllAtOnce)
    }

    /// Whether it is sent chunked.
    pub fn chunked(self) -> bool {
        matches!(self, Variant::Chunked | Variant::AllAtOnce)
    }
}

/// Each item of `body`'s envelope, changed by `change`.
fn each_item(body: &Value, change: impl Fn(&mut Map<String, Value>)) -> Value {
    let mut body = body.clone();
    if let Some(Value::Array(items)) = body.get_mut("value") {
        for item in items.iter_mut().filter_map(Value::as_object_mut) {
            change(item);
        }
    }
    body
}

/// Every item's operation `status` in the metadata's spelling (`completed` -> `Completed`).
fn metadata_status(body: &Value) -> Value {
    each_item(body, |item| {
        let status = item.get_mut("resourceData").and_then(|r| r.get_mut("status"));
        if let Some(Value::String(s)) = status {
            if let Some(member) = documented_member(s) {
                *s = metadata_spelling(member);
            }
        }
    })
}

/// The envelope of `fixture` with every notification its operation causes, in the documented order
/// (delete's terminating and terminated together), in the fixture's dialect: a service may batch them.
fn with_its_operation(fixture: &NotificationFixture) -> Value {
    let siblings = corpus()
        .requests
        .values()
        .map(|(_, r)| &r.notifications)
        .find(|ns| ns.len() > 1 && ns.contains(&fixture.id));
    let Some(siblings) = siblings else { return fixture.body.clone() };
    let items: Vec<Value> = siblings
        .iter()
        .filter_map(|id| corpus().notification(id))
        .map(|n| {
            if n.dialect == fixture.dialect {
                n.body.clone()
            } else {
                other_dialect(&n.body, n.dialect)
            }
        })
        .filter_map(|b| b.pointer("/value/0").cloned())
        .collect();
    let mut body = fixture.body.clone();
    if let Some(map) = body.as_object_mut() {
        map.insert("value".into(), Value::Array(items));
    }
    body
}

/// The envelope with a notification of another call after the replayed ones: the same items, their
/// call's id replaced.
fn batched(body: &Value) -> Value {
    let mut body = body.clone();
    let Some(Value::Array(items)) = body.get_mut("value") else {
        return body;
    };
    let others: Vec<Value> = items
        .iter()
        .map(|item| {
            let text = item.to_string();
            let ids: Vec<String> = ["resource", "resourceUrl"]
                .iter()
                .filter_map(|k| item.get(*k).and_then(Value::as_str))
                .filter_map(resource_ids)
                .map(|(call, _)| call)
                .collect();
            let replaced = ids.iter().fold(text, |t, id| t.replace(id.as_str(), OTHER_CALL));
            serde_json::from_str(&replaced).unwrap_or_else(|_| item.clone())
        })
        .collect();
    items.extend(others);
    body
}

/// Both `resource` and `resourceUrl` on every item.
fn both_resource_fields(body: &Value) -> Value {
    each_item(body, |item| {
        let resource = item.get("resource").or_else(|| item.get("resourceUrl")).cloned();
        if let Some(r) = resource {
            item.entry("resource").or_insert_with(|| r.clone());
            item.entry("resourceUrl").or_insert(r);
        }
    })
}

/// `resultInfo` code and subcode as integers, or as strings.
fn codes(body: &Value, integers: bool) -> Value {
    each_item(body, |item| {
        let Some(Value::Object(info)) = item.get_mut("resourceData").and_then(|d| d.get_mut("resultInfo")) else {
            return;
        };
        for key in ["code", "subcode"] {
            let n = match info.get(key) {
                Some(Value::Number(n)) => n.as_u64(),
                Some(Value::String(s)) => s.parse().ok(),
                _ => None,
            };
            if let Some(n) = n {
                info.insert(key.into(), if integers { json!(n) } else { json!(n.to_string()) });
            }
        }
    })
}

/// The ids of calls and operations in `body` (in `resource`, `resourceUrl` and `@odata.id`) compact
/// and upper-case (`57dab8b1-894c-…` as `57DAB8B1894C…`), as seeds 000 and 004 write them. Other
/// GUIDs (a clientContext, a participant's id) are values a bot gets back as they were sent.
fn compact_guids(body: &Value) -> Value {
    let compact = |v: &mut Value| {
        if let Some(s) = v.as_str() {
            *v = Value::String(compact_guids_in(s));
        }
    };
    each_item(body, |item| {
        for key in ["resource", "resourceUrl"] {
            item.get_mut(key).into_iter().for_each(compact);
        }
        if let Some(Value::Object(data)) = item.get_mut("resourceData") {
            data.get_mut("@odata.id").into_iter().for_each(compact);
        }
    })
}

fn compact_guids_in(s: &str) -> String {
    let is_guid = |w: &[u8]| {
        w.len() == 36
            && w.iter().enumerate().all(|(i, c)| match i {
                8 | 13 | 18 | 23 => *c == b'-',
                _ => c.is_ascii_hexdigit(),
            })
    };
    let bytes = s.as_bytes();
    let mut out = String::new();
    let mut i = 0;
    while i < bytes.len() {
        if i + 36 <= bytes.len() && is_guid(&bytes[i..i + 36]) {
            out.extend(s[i..i + 36].chars().filter(|c| *c != '-').map(|c| c.to_ascii_uppercase()));
            i += 36;
        } else {
            let c = s[i..].chars().next().unwrap_or_default();
            out.push(c);
            i += c.len_utf8().max(1);
        }
    }
    out
}

/// The same notification in the other dialect (CONTRACT.md section 4's table, read both ways).
pub fn other_dialect(body: &Value, dialect: Dialect) -> Value {
    let items = body.get("value").and_then(Value::as_array).cloned().unwrap_or_default();
    let to_current = dialect == Dialect::Legacy;
    let items: Vec<Value> = items.into_iter().map(|item| convert_item(item, to_current)).collect();
    if to_current {
        json!({"@odata.type": "#microsoft.graph.commsNotifications", "value": items})
    } else {
        json!({"value": items})
    }
}

fn convert_item(item: Value, to_current: bool) -> Value {
    let mut item = match item {
        Value::Object(m) => m,
        other => return other,
    };
    let mut data = match item.remove("resourceData") {
        Some(Value::Object(m)) => m,
        // A roster: its participants are the same in either dialect.
        Some(Value::Array(roster)) => {
            let mut out = Map::new();
            if to_current {
                out.insert("@odata.type".into(), json!("#microsoft.graph.commsNotification"));
            }
            out.insert("changeType".into(), item.remove("changeType").unwrap_or(Value::Null));
            let resource = item
                .remove("resource")
                .or_else(|| item.remove("resourceUrl"))
                .unwrap_or(Value::Null);
            out.insert(if to_current { "resourceUrl" } else { "resource" }.into(), resource);
            out.insert("resourceData".into(), Value::Array(roster));
            return Value::Object(out);
        }
        _ => Map::new(),
    };
    let mut out = Map::new();
    if to_current {
        out.insert("@odata.type".into(), json!("#microsoft.graph.commsNotification"));
        out.insert("changeType".into(), item.remove("changeType").unwrap_or(Value::Null));
        out.insert("resourceUrl".into(), item.remove("resource").unwrap_or(Value::Null));
        data.remove("@odata.etag");
        if data.remove("terminationReason").is_some() {
            // The seeds write the codes as strings (seed 001); the current dialect's example pair.
            data.insert(
                "resultInfo".into(),
                json!({"@odata.type": "#microsoft.graph.resultInfo", "code": "200", "subcode": "5001", "message": "The conversation has ended."}),
            );
        }
    } else {
        out.insert("changeType".into(), item.remove("changeType").unwrap_or(Value::Null));
        let resource = item.remove("resourceUrl").unwrap_or(Value::Null);
        if !data.contains_key("@odata.id") && !resource.is_null() {
            data.insert("@odata.id".into(), resource.clone());
        }
        out.insert("resource".into(), resource);
        data.insert("@odata.etag".into(), json!("W/\"5446\""));
        if data.remove("resultInfo").is_some() {
            data.insert("terminationReason".into(), json!("AppInitiated"));
        }
    }
    out.insert("resourceData".into(), Value::Object(data));
    Value::Object(out)
}

/// The notification with properties the documents do not show but real services send.
pub fn with_extra_properties(body: &Value) -> Value {
    let mut body = body.clone();
    if let Some(Value::Array(items)) = body.get_mut("value") {
        for item in items.iter_mut().filter_map(Value::as_object_mut) {
            item.insert("tenantId".into(), json!("72f988bf-86f1-41af-91ab-2d7cd011db47"));
            if let Some(Value::Object(data)) = item.get_mut("resourceData") {
                data.insert("callChainId".into(), json!("b1a1d3d7-8a2b-4b6f-9d3c-2f0c8c5e9a11"));
                data.insert("myParticipantId".into(), json!("f7b2e0a4-5b2c-4e0f-8f5e-6c1d2a3b4c5d"));
            }
        }
    }
    if let Some(map) = body.as_object_mut() {
        map.insert(
            "@odata.context".into(),
            json!("https://graph.microsoft.com/v1.0/$metadata#microsoft.graph.commsNotifications"),
        );
    }
    body
}

/// A bot's callback endpoint.
#[derive(Clone)]
pub struct BotTarget {
    /// The callback URL.
    pub url: String,
    /// Per-request timeout.
    pub timeout: Duration,
    token: Secret,
    client: reqwest::Client,
    /// The same, writing header names in Title-Case.
    title_client: reqwest::Client,
}

impl fmt::Debug for BotTarget {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BotTarget").field("url", &self.url).finish_non_exhaustive()
    }
}

/// One replay and its verdict.
#[derive(Debug, Clone)]
pub struct Replay {
    /// How it was replayed.
    pub variant: Variant,
    /// What was sent.
    pub sent: SentRequest,
    /// What came back.
    pub answer: Result<Observed, TransportError>,
    /// The checks' conclusion.
    pub verdict: Verdict,
}

impl BotTarget {
    /// The bot at `url`, authenticated with `token`.
    pub fn new(url: &str, token: Secret, timeout: Duration, ca_bundle: Option<&std::path::Path>) -> Result<BotTarget, String> {
        Ok(BotTarget {
            url: url.to_string(),
            timeout,
            token,
            client: http_client_cased(timeout, ca_bundle, false)?,
            title_client: http_client_cased(timeout, ca_bundle, true)?,
        })
    }

    /// Replays `fixture` as `variant` and checks the answer.
    pub async fn replay(&self, fixture: &NotificationFixture, variant: Variant) -> Replay {
        let mut headers = vec![("Content-Type".to_string(), variant.content_type().to_string())];
        if let Some(auth) = variant.authorization(&self.token) {
            headers.insert(0, ("Authorization".into(), auth));
        }
        let sent = SentRequest {
            method: "POST".into(),
            url: self.url.clone(),
            headers,
            body: Some(variant.body(fixture)),
            raw: None,
            chunked: variant.chunked(),
        };
        let client = if variant.title_case() { &self.title_client } else { &self.client };
        let answer = send_with(client, self.timeout, &sent).await;
        let mut verdict = Verdict::default();
        let subject = format!("{} replayed {}", fixture.id, variant.name());
        match (&answer, variant.refused()) {
            (Err(e), true) => {
                verdict.fail(
                    Aspect::Notifications,
                    Check::BotRefusesUnauthenticated,
                    subject,
                    "401 or 403",
                    e.to_string(),
                );
            }
            (Err(e), false) => verdict.fail(
                Aspect::Notifications,
                Check::BotAccepts,
                subject,
                "a 2xx answer within the request timeout",
                e.to_string(),
            ),
            (Ok(o), true) if o.status != 401 && o.status != 403 => verdict.fail(
                Aspect::Notifications,
                Check::BotRefusesUnauthenticated,
                subject,
                "401 or 403: a bot that acts on notifications it cannot authenticate lets anyone hang up its calls",
                format!("{} — body: {}", o.status, o.body_preview(300)),
            ),
            (Ok(o), false) if !(200..300).contains(&o.status) => verdict.fail(
                Aspect::Notifications,
                Check::BotAccepts,
                subject,
                "a 2xx answer (the official SDK answers 202)",
                format!("{} — body: {}", o.status, o.body_preview(300)),
            ),
            _ => {}
        }
        Replay {
            variant,
            sent,
            answer,
            verdict,
        }
    }
}

/// The message a failing replay case panics with.
pub fn failure(fixture: &NotificationFixture, replays: &[Replay], bot: &str) -> String {
    use std::fmt::Write;
    let failed: Vec<&Replay> = replays.iter().filter(|r| !r.verdict.passed()).collect();
    let mut s = String::new();
    let _ = writeln!(
        s,
        "\nthe bot does not accept {} as the contract says — {} of {} replays failed",
        fixture.id,
        failed.len(),
        replays.len()
    );
    let _ = writeln!(s, "  notification: {} ({} dialect)", fixture.description, fixture.dialect);
    let _ = writeln!(s, "  document:     {}", fixture.provenance);
    let _ = writeln!(s, "  bot:          {bot}");
    for r in failed {
        let _ = writeln!(s, "  replayed {}:", r.variant.name());
        for line in r.sent.to_string().lines() {
            let _ = writeln!(s, "    > {line}");
        }
        match &r.answer {
            Ok(o) => {
                for line in o.to_string().lines() {
                    let _ = writeln!(s, "    < {line}");
                }
            }
            Err(e) => {
                let _ = writeln!(s, "    < no answer: {e}");
            }
        }
        for f in &r.verdict.findings {
            let _ = writeln!(s, "    {}", f.to_string().replace('\n', "\n    "));
        }
    }
    redact(&s)
}
