//! The bot double: an embedded bot callback endpoint that answers as CONTRACT.md says ("The bot's
//! side") and records what it accepted, or behaves as one of the bugs of `doubles::bot_faults`.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::{json, Value};
use wiremock::matchers::any;
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

use super::bot_faults::BotFault;
use crate::wire::secret::Secret;

/// How slow `BotFault::Slow` is: past the default request timeout of 10 s.
pub const SLOW_BY: Duration = Duration::from_secs(15);

/// What the faulty bot answers when it refuses `body` for what it says.
fn refuses(fault: BotFault, body: &Value) -> Option<(u16, &'static str)> {
    if !fault.refuses_body(body) {
        return None;
    }
    Some(match fault {
        BotFault::CrashesOnDeleted => (500, "NullReferenceException"),
        BotFault::LegacyOnly | BotFault::CurrentOnly => (400, "unknown notification format"),
        BotFault::StrictProperties => (400, "unexpected property"),
        BotFault::RejectsStringCodes => (400, "code must be an integer"),
        BotFault::RejectsIntegerCodes => (400, "code must be a string"),
        BotFault::RejectsBatched => (400, "expected exactly one notification"),
        BotFault::RejectsBothResourceFields => (400, "ambiguous resource"),
        BotFault::RejectsCompactGuids => (400, "call id is not a GUID"),
        BotFault::DocumentsStatusOnly | BotFault::MetadataStatusOnly => (400, "unknown operation status"),
        _ => (400, "refused"),
    })
}

/// Whether the bot takes the `Authorization` it was sent: its own Bearer token, or, under a fault,
/// more than that.
fn authorized(fault: Option<BotFault>, token: &Secret, header: Option<&str>) -> bool {
    let own = header == Some(format!("Bearer {}", token.expose()).as_str());
    match fault {
        Some(BotFault::AcceptsUnauthenticated) => true,
        Some(BotFault::AcceptsAnyBearerToken) => own || header.is_some_and(|h| h.starts_with("Bearer ")),
        Some(BotFault::AcceptsBasic) => own || header.is_some_and(|h| h.starts_with("Basic ")),
        _ => own,
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
        let header = |name: &str| req.headers.get(name).and_then(|v| v.to_str().ok());
        if !authorized(self.fault, &self.token, header("authorization")) {
            return ResponseTemplate::new(401).set_body_raw(
                json!({"error": {"code": "Unauthorized", "message": "No valid bearer token."}}).to_string(),
                "application/json",
            );
        }
        if self.fault == Some(BotFault::RequiresContentLength) && header("content-length").is_none() {
            return ResponseTemplate::new(411).set_body_raw("Length Required", "text/plain");
        }
        if self.fault == Some(BotFault::RejectsContentTypeParameters) && header("content-type") != Some("application/json") {
            return ResponseTemplate::new(415).set_body_raw("Content-Type must be application/json", "text/plain");
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
        let mut builder = MockServer::builder().disable_request_recording();
        // A deep accept queue: every replay of a notification is sent at once (see wire::bind).
        if let Ok(l) = crate::wire::bind::listen(std::net::SocketAddr::from(([127, 0, 0, 1], 0))) {
            builder = builder.listener(l);
        }
        let server = builder.start().await;
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
