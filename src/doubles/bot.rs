//! The bot double: an embedded bot callback endpoint that answers as CONTRACT.md says ("The bot's
//! side") and records what it accepted, or behaves as one of the bugs of `doubles::bot_faults`.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::{json, Value};
use wiremock::matchers::any;
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

use super::bot_faults::{has_deleted, has_string_code, is_current, BotFault};
use crate::wire::secret::Secret;

/// How slow `BotFault::Slow` is: past the default request timeout of 10 s.
pub const SLOW_BY: Duration = Duration::from_secs(15);

/// Why the faulty bot refuses `body`, if it does.
fn refuses(fault: BotFault, body: &Value) -> Option<(u16, &'static str)> {
    match fault {
        BotFault::LegacyOnly if is_current(body) => Some((400, "unknown notification format")),
        BotFault::CurrentOnly if !is_current(body) => Some((400, "unknown notification format")),
        BotFault::StrictProperties if has_unknown_key(body) => Some((400, "unexpected property")),
        BotFault::CrashesOnDeleted if has_deleted(body) => Some((500, "NullReferenceException")),
        BotFault::RejectsStringCodes if has_string_code(body) => Some((400, "code must be an integer")),
        _ => None,
    }
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
        if let Some((status, why)) = self.fault.and_then(|f| refuses(f, &body)) {
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
