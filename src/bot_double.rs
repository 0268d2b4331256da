//! The bot double: an embedded bot callback endpoint that answers as CONTRACT.md says ("The bot's
//! side") and records what it accepted, with a catalog of bugs real bots ship.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::{json, Value};
use wiremock::matchers::any;
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

use crate::bot::Variant;
use crate::check::Check;
use crate::fixture::NotificationFixture;
use crate::secret::Secret;

/// How slow `BotFault::Slow` is: past the default request timeout of 10 s.
pub const SLOW_BY: Duration = Duration::from_secs(15);

/// A bug of the bot double.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum BotFault {
    /// Acts on notifications without Authorization.
    AcceptsUnauthenticated,
    /// Understands only the legacy dialect.
    LegacyOnly,
    /// Understands only the current dialect.
    CurrentOnly,
    /// Refuses any property its author did not see in the examples.
    StrictProperties,
    /// Answers after the request timeout.
    Slow,
    /// Crashes (500) when a call or operation is deleted.
    CrashesOnDeleted,
    /// Refuses resultInfo codes written as strings.
    RejectsStringCodes,
}

/// The property names of the documents' notifications: all a `StrictProperties` bot knows.
const DOCUMENTED_KEYS: &[&str] = &[
    "@odata.type",
    "@odata.id",
    "@odata.etag",
    "value",
    "changeType",
    "resource",
    "resourceUrl",
    "resourceData",
    "clientContext",
    "status",
    "state",
    "resultInfo",
    "code",
    "subcode",
    "message",
    "terminationReason",
    "direction",
    "source",
    "targets",
    "requestedModalities",
    "identity",
    "user",
    "application",
    "displayName",
    "id",
    "region",
    "languageId",
];

impl BotFault {
    /// Every bot fault.
    pub const ALL: [BotFault; 7] = [
        BotFault::AcceptsUnauthenticated,
        BotFault::LegacyOnly,
        BotFault::CurrentOnly,
        BotFault::StrictProperties,
        BotFault::Slow,
        BotFault::CrashesOnDeleted,
        BotFault::RejectsStringCodes,
    ];

    /// Its name, as `CONFORMANCE_BOT_DOUBLE_FAULT` takes it.
    pub fn name(self) -> &'static str {
        match self {
            BotFault::AcceptsUnauthenticated => "bot-accepts-unauthenticated",
            BotFault::LegacyOnly => "bot-legacy-only",
            BotFault::CurrentOnly => "bot-current-only",
            BotFault::StrictProperties => "bot-strict-properties",
            BotFault::Slow => "bot-slow",
            BotFault::CrashesOnDeleted => "bot-crashes-on-deleted",
            BotFault::RejectsStringCodes => "bot-rejects-string-codes",
        }
    }

    /// The bug, in a sentence.
    pub fn bug(self) -> &'static str {
        match self {
            BotFault::AcceptsUnauthenticated => "the bot acts on notifications that carry no Authorization",
            BotFault::LegacyOnly => "the bot parses only the legacy dialect (resource, terminationReason)",
            BotFault::CurrentOnly => "the bot parses only the current dialect (resourceUrl, resultInfo)",
            BotFault::StrictProperties => "the bot refuses properties the documents' examples do not show",
            BotFault::Slow => "the bot answers after 15 s, past the request timeout",
            BotFault::CrashesOnDeleted => "the bot answers 500 when a call or operation is deleted",
            BotFault::RejectsStringCodes => "the bot refuses resultInfo codes written as strings (\"200\")",
        }
    }

    /// The check that exists to catch it.
    pub fn check(self) -> Check {
        match self {
            BotFault::AcceptsUnauthenticated => Check::BotRefusesUnauthenticated,
            _ => Check::BotAccepts,
        }
    }

    /// Looks a fault up by name.
    pub fn parse(name: &str) -> Option<BotFault> {
        BotFault::ALL.into_iter().find(|f| f.name() == name)
    }

    /// Whether replaying `fixture` as `variant` must expose this fault.
    pub fn must_catch(self, fixture: &NotificationFixture, variant: Variant) -> bool {
        let body = variant.body(fixture);
        let authorized = variant != Variant::Unauthenticated;
        match self {
            BotFault::AcceptsUnauthenticated => !authorized,
            BotFault::LegacyOnly => authorized && is_current(&body),
            BotFault::CurrentOnly => authorized && !is_current(&body),
            BotFault::StrictProperties => variant == Variant::ExtraProperties,
            BotFault::Slow => authorized,
            BotFault::CrashesOnDeleted => authorized && has_deleted(&body),
            BotFault::RejectsStringCodes => authorized && has_string_code(&body),
        }
    }

    /// Why the faulty bot refuses `body`, if it does.
    fn refuses(self, body: &Value) -> Option<(u16, &'static str)> {
        match self {
            BotFault::LegacyOnly if is_current(body) => Some((400, "unknown notification format")),
            BotFault::CurrentOnly if !is_current(body) => Some((400, "unknown notification format")),
            BotFault::StrictProperties if has_unknown_key(body) => Some((400, "unexpected property")),
            BotFault::CrashesOnDeleted if has_deleted(body) => Some((500, "NullReferenceException")),
            BotFault::RejectsStringCodes if has_string_code(body) => Some((400, "code must be an integer")),
            _ => None,
        }
    }
}

fn items(body: &Value) -> impl Iterator<Item = &Value> {
    body.get("value").and_then(Value::as_array).into_iter().flatten()
}

fn is_current(body: &Value) -> bool {
    body.get("@odata.type").is_some() || items(body).any(|i| i.get("resourceUrl").is_some())
}

fn has_deleted(body: &Value) -> bool {
    items(body).any(|i| i.get("changeType").and_then(Value::as_str) == Some("deleted"))
}

fn has_string_code(body: &Value) -> bool {
    items(body).any(|i| i.pointer("/resourceData/resultInfo/code").is_some_and(Value::is_string))
}

fn has_unknown_key(v: &Value) -> bool {
    match v {
        Value::Object(m) => m.iter().any(|(k, v)| !DOCUMENTED_KEYS.contains(&k.as_str()) || has_unknown_key(v)),
        Value::Array(a) => a.iter().any(has_unknown_key),
        _ => false,
    }
}

type Received = Arc<Mutex<Vec<Value>>>;

struct BotHandler {
    token: Secret,
    fault: Option<BotFault>,
    received: Received,
}

impl Respond for BotHandler {
    fn respond(&self, req: &Request) -> ResponseTemplate {
        let expected = format!("Bearer {}", self.token.expose());
        let authorized = req.headers.get("authorization").and_then(|v| v.to_str().ok()) == Some(expected.as_str());
        if !authorized && self.fault != Some(BotFault::AcceptsUnauthenticated) {
            return ResponseTemplate::new(401).set_body_raw(
                json!({"error": {"code": "Unauthorized", "message": "No valid bearer token."}}).to_string(),
                "application/json",
            );
        }
        let Ok(body) = serde_json::from_slice::<Value>(&req.body) else {
            return ResponseTemplate::new(400);
        };
        if let Some((status, why)) = self.fault.and_then(|f| f.refuses(&body)) {
            return ResponseTemplate::new(status).set_body_raw(why.to_string(), "text/plain");
        }
        self.received.lock().unwrap_or_else(|e| e.into_inner()).push(body);
        let answer = ResponseTemplate::new(202);
        if self.fault == Some(BotFault::Slow) {
            answer.set_delay(SLOW_BY)
        } else {
            answer
        }
    }
}

/// The running bot double.
pub struct BotDouble {
    server: MockServer,
    received: Received,
    /// Its callback URL: what `CONFORMANCE_BOT_URL` would be.
    pub url: String,
}

impl std::fmt::Debug for BotDouble {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BotDouble").field("url", &self.url).finish()
    }
}

impl BotDouble {
    /// Starts a bot that accepts `token`, on 127.0.0.1 and a free port.
    pub async fn start(token: Secret, fault: Option<BotFault>) -> BotDouble {
        let server = MockServer::builder().disable_request_recording().start().await;
        let received: Received = Arc::default();
        Mock::given(any())
            .respond_with(BotHandler {
                token,
                fault,
                received: received.clone(),
            })
            .named("bot callback")
            .mount(&server)
            .await;
        let url = format!("{}/api/calls", server.uri());
        BotDouble { server, received, url }
    }

    /// Every notification body it accepted, in arrival order.
    pub fn received(&self) -> Vec<Value> {
        self.received.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }

    /// The server's root URL.
    pub fn uri(&self) -> String {
        self.server.uri()
    }
}
