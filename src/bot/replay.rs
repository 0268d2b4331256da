//! The bot's side: the documents' notifications replayed to a bot's callback endpoint.
//!
//! Each notification fixture is replayed four ways: as documented, in the other dialect, with the
//! extra properties real services send, and without `Authorization` (which the bot must refuse
//! with 401 or 403, CONTRACT.md "The bot's side"). With `CONFORMANCE_BOT_URL` unset, the replays go
//! to the embedded bot double, which can run with the bugs of `BotFault`.

use std::fmt;
use std::time::Duration;

use serde_json::{json, Map, Value};

use crate::contract::fixture::NotificationFixture;
use crate::judging::check::{Aspect, Check, Verdict};
use crate::wire::secret::{redact, Secret};
use crate::wire::target::{http_client, send_with, Observed, SentRequest, TransportError};

/// How a notification is replayed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Variant {
    /// The document's example, value for value.
    Documented,
    /// The same event in the other dialect (legacy <-> current).
    OtherDialect,
    /// The document's example with the extra properties real services send.
    ExtraProperties,
    /// The document's example without `Authorization`: must be refused.
    Unauthenticated,
}

impl Variant {
    /// Every variant, in replay order.
    pub const ALL: [Variant; 4] = [
        Variant::Documented,
        Variant::OtherDialect,
        Variant::ExtraProperties,
        Variant::Unauthenticated,
    ];

    /// Its name in reports.
    pub fn name(self) -> &'static str {
        match self {
            Variant::Documented => "as documented",
            Variant::OtherDialect => "in the other dialect",
            Variant::ExtraProperties => "with extra properties",
            Variant::Unauthenticated => "without Authorization",
        }
    }

    /// The body replayed for `fixture`.
    pub fn body(self, fixture: &NotificationFixture) -> Value {
        match self {
            Variant::Documented | Variant::Unauthenticated => fixture.body.clone(),
            Variant::OtherDialect => other_dialect(&fixture.body, &fixture.dialect),
            Variant::ExtraProperties => with_extra_properties(&fixture.body),
        }
    }
}

/// The same notification in the other dialect (CONTRACT.md section 4's table, read both ways).
pub fn other_dialect(body: &Value, dialect: &str) -> Value {
    let items = body.get("value").and_then(Value::as_array).cloned().unwrap_or_default();
    let to_current = dialect == "legacy";
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
            client: http_client(timeout, ca_bundle)?,
        })
    }

    /// Replays `fixture` as `variant` and checks the answer.
    pub async fn replay(&self, fixture: &NotificationFixture, variant: Variant) -> Replay {
        let mut headers = vec![("Content-Type".to_string(), "application/json".to_string())];
        if variant != Variant::Unauthenticated {
            headers.insert(0, ("Authorization".into(), format!("Bearer {}", self.token.expose())));
        }
        let sent = SentRequest {
            method: "POST".into(),
            url: self.url.clone(),
            headers,
            body: Some(variant.body(fixture)),
            raw: None,
        };
        let answer = self.send(&sent).await;
        let mut verdict = Verdict::default();
        let subject = format!("{} replayed {}", fixture.id, variant.name());
        match (&answer, variant) {
            (Err(e), Variant::Unauthenticated) => {
                verdict.fail(
                    Aspect::Notifications,
                    Check::BotRefusesUnauthenticated,
                    subject,
                    "401 or 403",
                    e.to_string(),
                );
            }
            (Err(e), _) => verdict.fail(
                Aspect::Notifications,
                Check::BotAccepts,
                subject,
                "a 2xx answer within the request timeout",
                e.to_string(),
            ),
            (Ok(o), Variant::Unauthenticated) if o.status != 401 && o.status != 403 => verdict.fail(
                Aspect::Notifications,
                Check::BotRefusesUnauthenticated,
                subject,
                "401 or 403: a bot that acts on unauthenticated notifications lets anyone hang up its calls",
                format!("{} — body: {}", o.status, o.body_preview(300)),
            ),
            (Ok(o), Variant::Documented | Variant::OtherDialect | Variant::ExtraProperties) if !(200..300).contains(&o.status) => verdict
                .fail(
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

    async fn send(&self, sent: &SentRequest) -> Result<Observed, TransportError> {
        send_with(&self.client, self.timeout, sent).await
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
