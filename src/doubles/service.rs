//! The double: the embedded default target, a stateful wiremock server implementing CONTRACT.md.
//!
//! Calls are created through the provisioning hook (`POST {uri}/_provision/calls`), live in a
//! table, and end on delete or reject. Each success answer carries what the documents show, and the
//! notifications an exchange causes are POSTed, in order, to the call's callbackUri by a
//! dispatcher task: in the legacy dialect on the `/app` and `/applications` families (as seeds 000
//! and 004 show them) and in the current dialect on `/communications` (seeds 001 and 003).
//! It never reads `snapshots/` or the fixtures: it is an implementation, not a replay.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{SystemTime, UNIX_EPOCH};

use serde_json::{json, Map, Value};
use wiremock::matchers::{any, method, path, path_regex};
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

use super::faults::Fault;
use super::outbox::{Outbox, Withdrawable};
use crate::contract::edition::Edition;
use crate::contract::family::Family;
use crate::contract::ids::ids_equal;
use crate::contract::lifecycle::CallState;
use crate::contract::operation::{Ending, Live, On, Operation, OperationRow, Operations};
use crate::contract::stimulus::{StimulusKind, TONES};

/// The version segment of the double's base URL.
pub const VERSION: &str = "beta";

/// How to run the double.
#[derive(Debug, Clone)]
pub struct DoubleOptions {
    /// The edition it implements.
    pub edition: Edition,
    /// The deviation it runs with, if any (`CONFORMANCE_DOUBLE_FAULT`).
    pub fault: Option<Fault>,
    /// Added to every answer and notification, to play a target far away (`CONFORMANCE_DOUBLE_LATENCY_MS`).
    pub latency: std::time::Duration,
    /// The address to listen on (`None`: 127.0.0.1 and a free port). `0.0.0.0:8080` lets a bot in a
    /// container or a VM reach it.
    pub bind: Option<std::net::SocketAddr>,
    /// Print a line per request and per notification sent (for `cargo xtask serve-double`).
    pub log: bool,
    /// Throttle every Nth request to the Calls API (0: never), as a loaded service does: `429` or
    /// `503` (in turn) with `Retry-After: 1` and the error object, the request left undone
    /// (`CONFORMANCE_DOUBLE_THROTTLE`). Throttling is conformant; a polite client waits and retries.
    pub throttle_every: u64,
    /// Whether the provisioning hook offers the stimuli of CONTRACT.md section 5 (a target may not:
    /// the suite then reports the cases that need one as not run).
    pub stimuli: bool,
    /// How long each media operation (a prompt, a recording) runs before it completes: they run one
    /// at a time per call, so a cancel finds the running one and those queued behind it.
    pub media: std::time::Duration,
}

/// How long a media operation runs in the double by default: long enough that a cancel sent right
/// after three of them finds them still queued on a loaded machine, short enough that a prompt's
/// case costs little.
pub const MEDIA_RUNS: std::time::Duration = std::time::Duration::from_millis(1000);

impl Default for DoubleOptions {
    fn default() -> Self {
        DoubleOptions {
            edition: Edition::Seeds,
            fault: None,
            latency: std::time::Duration::ZERO,
            bind: None,
            log: false,
            throttle_every: 0,
            stimuli: true,
            media: MEDIA_RUNS,
        }
    }
}

/// How long after the operation `Fault::StrayDeletedLate` notifies the live call as ended.
const STRAY_AFTER: std::time::Duration = std::time::Duration::from_millis(300);

/// How late `Fault::DeleteLate` delivers: past the default notification timeout of 5 s.
pub const LATE_BY: std::time::Duration = std::time::Duration::from_secs(12);

#[derive(Debug, Clone)]
struct Call {
    /// The bot's own participant in it (`myParticipantId`), the same for the call's life.
    participant: String,
    /// The far side's participant (the caller, or whom the bot called), the same for the call's life.
    caller: String,
    /// Whether the bot has muted itself.
    muted: bool,
    state: CallState,
    /// The state it was provisioned in (what a stale cache reports).
    provisioned: CallState,
    /// Whether the bot placed it (create call) rather than was called.
    outgoing: bool,
    callback: String,
    /// How many operations succeeded on it (what the state faults key on).
    operations: u32,
    /// The last recording status it was set to.
    recording: Option<String>,
    /// The first operation id of each kind (`cancel`, `recording`).
    first_ops: HashMap<&'static str, String>,
    /// Subscribed to tones: the sequenceId of the last tone notified (0 before the first).
    tones: Option<u64>,
    /// Where the call was last addressed: its notifications of the far side's doing take that
    /// family's dialect (a provisioned call, never addressed, the current one's).
    addressed: Option<Addressed>,
    /// Its media operations, running or queued, in the order accepted.
    media: Vec<Media>,
    /// What a cancel last sent (the cancelled ones' notification, or the completion going out it
    /// spared): a media operation accepted after the cancel completes after it, however slow its
    /// delivery (under load a completion once overtook a retried one the cancel left going out).
    media_tail: Option<Withdrawable>,
}

/// A media operation accepted on a call: its completion, on its way unless taken back.
#[derive(Debug, Clone)]
struct Media {
    kind: MediaKind,
    /// The completion, sent when it has run.
    completion: Withdrawable,
    /// What the completion sends.
    bodies: Vec<Value>,
    /// When it will have run.
    until: tokio::time::Instant,
    /// Its notification if a cancel ends it.
    cancelled: Value,
}

/// What a media operation is (a cancel under `cancel-skips-recordings` tells them apart).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum MediaKind {
    Prompt,
    Recording,
}

impl Call {
    fn new(state: CallState, callback: String, participant: String, caller: String) -> Call {
        Call {
            participant,
            caller,
            muted: false,
            state,
            provisioned: state,
            outgoing: false,
            callback,
            operations: 0,
            recording: None,
            first_ops: HashMap::new(),
            tones: None,
            addressed: None,
            media: Vec::new(),
            media_tail: None,
        }
    }
}

struct State {
    options: DoubleOptions,
    uri: String,
    calls: Mutex<HashMap<String, Call>>,
    counter: AtomicU64,
    etag: AtomicU64,
    seed: u64,
    outbox: Outbox,
    rows: Operations,
    requests: AtomicU64,
    /// Authorized Calls API requests, counted for `throttle_every`.
    throttle_counter: AtomicU64,
}

/// The running double.
pub struct Double {
    server: MockServer,
    state: Arc<State>,
    /// Base URL with version segment: what `CONFORMANCE_TARGET` would be.
    pub base: String,
    /// Its provisioning hook: what `CONFORMANCE_PROVISION_URL` would be.
    pub provision_url: String,
}

impl std::fmt::Debug for Double {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Double").field("base", &self.base).finish()
    }
}

impl Double {
    /// Starts the double on 127.0.0.1 and a free port. Must run inside a tokio runtime that
    /// outlives it: the dispatcher that sends notifications is spawned there.
    ///
    /// It serves every operation of `rows` (the table of operations) where its row says: its
    /// method, its families, its action.
    pub async fn start(options: DoubleOptions, rows: &Operations) -> Double {
        let mut builder = MockServer::builder().disable_request_recording();
        // wiremock's own bind has the default accept queue of 128 (see wire::bind).
        let loopback = std::net::SocketAddr::from(([127, 0, 0, 1], 0));
        let wanted = options.bind.unwrap_or(loopback);
        let bound = crate::wire::bind::listen(wanted).or_else(|e| {
            crate::wire::log::line(format_args!("the double cannot bind {wanted}: {e}; using a free port on 127.0.0.1"));
            crate::wire::bind::listen(loopback)
        });
        if let Ok(l) = bound {
            builder = builder.listener(l);
        }
        let server = builder.start().await;
        let log = options.log;
        let outbox = Outbox::start(log);
        let seed = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_nanos() as u64)
            .unwrap_or(7);
        let state = Arc::new(State {
            options,
            uri: server.uri(),
            calls: Mutex::default(),
            counter: AtomicU64::new(0),
            etag: AtomicU64::new(5445),
            seed,
            outbox,
            rows: rows.clone(),
            requests: AtomicU64::new(0),
            throttle_counter: AtomicU64::new(0),
        });
        Mock::given(method("POST"))
            .and(path("/_provision/calls"))
            .respond_with(Handler {
                state: state.clone(),
                op: Op::Provision,
            })
            .named("provisioning hook")
            .mount(&server)
            .await;
        Mock::given(method("POST"))
            .and(path_regex(r"^/_provision/calls/[^/]+/[^/]+$"))
            .respond_with(Handler {
                state: state.clone(),
                op: Op::Stimulus,
            })
            .named("the provisioning hook's stimuli")
            .mount(&server)
            .await;
        for (operation, row) in rows.iter() {
            Mock::given(method(row.method.as_str()))
                .and(path_regex(route(row)))
                .respond_with(Handler {
                    state: state.clone(),
                    op: Op::Call(operation),
                })
                .named(format!("call: {operation}"))
                .mount(&server)
                .await;
        }
        Mock::given(any())
            .respond_with(Handler {
                state: state.clone(),
                op: Op::Unknown,
            })
            .with_priority(u8::MAX)
            .named("anything else")
            .mount(&server)
            .await;
        let base = format!("{}/{VERSION}", server.uri());
        let provision_url = format!("{}/_provision/calls", server.uri());
        Double {
            server,
            state,
            base,
            provision_url,
        }
    }

    /// How many requests it has answered.
    pub fn requests(&self) -> u64 {
        self.state.requests.load(Ordering::Relaxed)
    }

    /// How many notifications it gave up delivering (every attempt failed on the way).
    pub fn undelivered(&self) -> u64 {
        self.state.outbox.undelivered()
    }

    /// Waits, at most `cap`, until the double has delivered (or given up on) every notification for
    /// `callback` it means to arrive by `by`; whether it has. A batch it delays past `by` on purpose
    /// (a lateness fault) is not waited for.
    pub async fn delivered(&self, callback: &str, by: tokio::time::Instant, cap: std::time::Duration) -> bool {
        self.state.outbox.delivered(callback, by, cap).await
    }

    /// The server's root URL.
    pub fn uri(&self) -> String {
        self.server.uri()
    }
}

/// The path an operation is served on: its row's families and action (an action may carry the
/// `microsoft.graph.` namespace, as the SDKs send it).
fn route(row: &OperationRow) -> String {
    let families: Vec<&str> = row
        .families
        .iter()
        .map(|f| match f {
            Family::Communications => "communications",
            Family::App => "app",
            Family::Applications => "applications/[^/]+",
        })
        .collect();
    let action = row
        .action
        .as_deref()
        .map(|a| format!(r"/(microsoft\.graph\.)?{a}"))
        .unwrap_or_default();
    let call = match row.on {
        On::Collection => "",
        On::Call => "/[^/]+",
        On::Participant => "/[^/]+/participants/[^/]+",
    };
    format!(r"^/(beta|v1\.0)/({})/calls{call}{action}$", families.join("|"))
}

#[derive(Clone, Copy, Debug)]
enum Op {
    Provision,
    Stimulus,
    Call(Operation),
    Unknown,
}

struct Handler {
    state: Arc<State>,
    op: Op,
}

/// Where a request addressed its call.
#[derive(Debug, Clone)]
struct Addressed {
    version: String,
    /// `communications`, `app` or `applications/{appId}`.
    prefix: String,
    family: Family,
    call_id: String,
    /// The participant an operation on a participant names (empty for any other).
    participant_id: String,
}

fn address(req: &Request) -> Option<Addressed> {
    let segs: Vec<&str> = req.url.path().trim_start_matches('/').split('/').collect();
    let version = segs.first()?.to_string();
    let (prefix, family, rest) = match segs.get(1..)? {
        ["communications", "calls", rest @ ..] => ("communications".to_string(), Family::Communications, rest),
        ["app", "calls", rest @ ..] => ("app".to_string(), Family::App, rest),
        ["applications", app, "calls", rest @ ..] => (format!("applications/{app}"), Family::Applications, rest),
        _ => return None,
    };
    Some(Addressed {
        version,
        prefix,
        family,
        // Empty on the collection (create call): the call is yet to be made.
        call_id: rest.first().map(|s| s.to_string()).unwrap_or_default(),
        participant_id: match rest {
            [_, "participants", pid, ..] => pid.to_string(),
            _ => String::new(),
        },
    })
}

/// A 4xx the double answers with the Graph error object; turned into a response in one place.
struct Refusal {
    status: u16,
    code: &'static str,
    message: String,
}

fn refuse(status: u16, code: &'static str, message: impl Into<String>) -> Refusal {
    Refusal {
        status,
        code,
        message: message.into(),
    }
}

fn error(status: u16, code: &str, message: &str, request_id: &str) -> ResponseTemplate {
    ResponseTemplate::new(status).set_body_raw(
        json!({"error": {"code": code, "message": message, "innerError": {"request-id": request_id, "client-request-id": request_id}}})
            .to_string(),
        "application/json",
    )
}

fn json_response(status: u16, body: &Value) -> ResponseTemplate {
    ResponseTemplate::new(status).set_body_raw(body.to_string(), "application/json")
}

impl State {
    fn new_id(&self) -> String {
        // splitmix64 over a counter: unique within the run, GUID-shaped like the service's ids.
        let n = self.counter.fetch_add(1, Ordering::Relaxed);
        let mix = |mut z: u64| {
            z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
            z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
            z ^ (z >> 31)
        };
        let a = mix(self.seed ^ n.wrapping_mul(2));
        let b = mix(self.seed ^ n.wrapping_mul(2).wrapping_add(1));
        format!(
            "{:08x}-{:04x}-4{:03x}-{:04x}-{:012x}",
            a >> 32,
            (a >> 16) & 0xffff,
            a & 0xfff,
            ((b >> 48) & 0x3fff) | 0x8000,
            b & 0xffff_ffff_ffff
        )
    }

    fn etag(&self) -> String {
        format!("W/\"{}\"", self.etag.fetch_add(1, Ordering::Relaxed))
    }

    fn is(&self, fault: Fault) -> bool {
        self.options.fault == Some(fault)
    }

    fn send(&self, callback: &str, bodies: Vec<Value>) {
        let about_termination = bodies.iter().any(|b| b.to_string().contains("\"terminat"));
        let delay = if self.is(Fault::DeleteLate) && about_termination {
            LATE_BY
        } else {
            Default::default()
        };
        self.send_after(callback, bodies, delay);
    }

    fn send_after(&self, callback: &str, bodies: Vec<Value>, delay: std::time::Duration) {
        // A far target's notifications travel as far as its answers.
        self.outbox.send(callback, bodies, delay + self.options.latency, self.options.fault);
    }

    /// The Graph error object (or, under a fault, what a buggy service sends instead).
    fn error(&self, status: u16, code: &str, message: &str, request_id: &str) -> ResponseTemplate {
        if self.is(Fault::ErrorBodyPlainText) {
            return ResponseTemplate::new(status).set_body_raw(message.to_string(), "text/plain");
        }
        if self.is(Fault::ErrorWithoutMessage) {
            return json_response(status, &json!({"error": {"code": code}}));
        }
        error(status, code, message, request_id)
    }

    /// The resource path a notification names, in the dialect of the family.
    fn resource(&self, at: &Addressed, call_id: &str, op: Option<&str>) -> String {
        let legacy = at.family != Family::Communications;
        let shape = |id: &str| {
            if legacy {
                id.replace('-', "").to_uppercase()
            } else {
                id.to_string()
            }
        };
        let mut r = format!("/{}/calls/{}", at.prefix, shape(call_id));
        if let Some(op) = op {
            r.push_str(&format!("/operations/{}", shape(op)));
        }
        r
    }

    /// One notification envelope in the family's dialect.
    fn envelope(&self, at: &Addressed, change: &str, resource: &str, mut data: Map<String, Value>) -> Value {
        if at.family == Family::Communications {
            json!({"@odata.type": "#microsoft.graph.commsNotifications", "value": [
                {"@odata.type": "#microsoft.graph.commsNotification", "changeType": change, "resourceUrl": resource, "resourceData": data}]})
        } else {
            // The legacy dialect carries the resource id and an etag inside resourceData (seeds 000, 004).
            let mut d = Map::new();
            if let Some(t) = data.remove("@odata.type") {
                d.insert("@odata.type".into(), t);
            }
            d.insert("@odata.id".into(), json!(resource));
            d.insert("@odata.etag".into(), json!(self.etag()));
            data.remove("@odata.id");
            d.extend(data);
            if d.remove("resultInfo").is_some() {
                d.insert("terminationReason".into(), json!("AppInitiated"));
            }
            json!({"value": [{"changeType": change, "resource": resource, "resourceData": d}]})
        }
    }

    /// A roster update (participants `updated`) of call `at` in its family's dialect: the
    /// participants as they are, in an array (the legacy dialect's id and etag have no place in it).
    fn roster_envelope(&self, at: &Addressed, roster: Vec<Value>) -> Value {
        let resource = format!("{}/participants", self.resource(at, &at.call_id, None));
        if at.family == Family::Communications {
            json!({"@odata.type": "#microsoft.graph.commsNotifications", "value": [
                {"@odata.type": "#microsoft.graph.commsNotification", "changeType": "updated", "resourceUrl": resource, "resourceData": roster}]})
        } else {
            json!({"value": [{"changeType": "updated", "resource": resource, "resourceData": roster}]})
        }
    }

    fn location(&self, at: &Addressed, call_id: &str, op: &str) -> String {
        let path = format!("/{}/{}/calls/{call_id}/operations/{op}", at.version, at.prefix);
        match self.options.fault {
            Some(Fault::LocationOtherCall) => format!("{}/{}/{}/calls/{}/operations/{op}", self.uri, at.version, at.prefix, self.new_id()),
            Some(Fault::LocationRelative) => path,
            Some(Fault::LocationIsTheCall) => format!("{}/{}/{}/calls/{call_id}", self.uri, at.version, at.prefix),
            _ => format!("{}{path}", self.uri),
        }
    }
}

fn obj(v: Value) -> Map<String, Value> {
    match v {
        Value::Object(m) => m,
        _ => Map::new(),
    }
}

fn bearer_ok(req: &Request) -> bool {
    req.headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split_once(' '))
        .is_some_and(|(scheme, cred)| scheme.eq_ignore_ascii_case("bearer") && !cred.trim().is_empty())
}

/// The request body as a JSON object, or the 400 the contract asks for.
fn body_object(s: &State, req: &Request) -> Result<Map<String, Value>, Refusal> {
    match serde_json::from_slice::<Value>(&req.body) {
        Ok(Value::Object(m)) => Ok(m),
        Ok(_) if s.is(Fault::NonObjectAccepted) => Ok(Map::new()),
        Err(_) if s.is(Fault::InvalidJson500) => Err(refuse(500, "InternalServerError", "An unexpected error occurred.")),
        Ok(_) => Err(refuse(400, "BadRequest", "The request body must be a JSON object.")),
        Err(_) => Err(refuse(400, "BadRequest", "The request body is not valid JSON.")),
    }
}

fn optional_string(s: &State, body: &Map<String, Value>, key: &str, max: Option<usize>) -> Result<Option<String>, Refusal> {
    let max = match max {
        _ if s.is(Fault::ClientContextLengthUnchecked) => None,
        Some(m) if s.is(Fault::ClientContextOffByOne) => Some(m - 1),
        m => m,
    };
    match body.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(v)) if v.is_empty() && key == "clientContext" && s.is(Fault::ClientContextEmptyRefused) => {
            Err(refuse(400, "BadRequest", "clientContext must not be empty."))
        }
        Some(Value::String(v)) if key == "clientContext" && s.is(Fault::EchoManglesNonAscii) => {
            Ok(Some(v.chars().map(|c| if c.is_ascii() { c } else { '?' }).collect()))
        }
        Some(other) if !other.is_string() && s.is(Fault::ClientContextTypeUnchecked) => Ok(Some(other.to_string())),
        Some(Value::String(s)) if max.is_none_or(|m| s.chars().count() <= m) => Ok(Some(s.clone())),
        Some(Value::String(_)) => Err(refuse(
            400,
            "BadRequest",
            format!("{key} is longer than {} characters.", max.unwrap_or(0)),
        )),
        Some(_) => Err(refuse(400, "BadRequest", format!("{key} must be a string."))),
    }
}

/// The range of an `Edm.Int32`.
const INT32: std::ops::RangeInclusive<i64> = i32::MIN as i64..=i32::MAX as i64;

/// An optional integer parameter: absent, null, or an integer in `range` (`what` says which, for the error).
fn optional_int(body: &Map<String, Value>, key: &str, range: std::ops::RangeInclusive<i64>, what: &str) -> Result<(), Refusal> {
    match body.get(key) {
        None | Some(Value::Null) => Ok(()),
        Some(v) if v.as_i64().is_some_and(|n| range.contains(&n)) => Ok(()),
        Some(_) => Err(refuse(400, "BadRequest", format!("{key} must be {what}."))),
    }
}

impl Respond for Handler {
    fn respond(&self, req: &Request) -> ResponseTemplate {
        self.state.requests.fetch_add(1, Ordering::Relaxed);
        if self.state.options.log {
            crate::wire::log::line(format_args!("double: {} {} ({:?})", req.method, req.url.path(), self.op));
        }
        let answer = self.answer(req);
        if self.state.options.latency.is_zero() {
            answer
        } else {
            answer.set_delay(self.state.options.latency)
        }
    }
}

impl Handler {
    fn answer(&self, req: &Request) -> ResponseTemplate {
        let s = &self.state;
        let rid = s.new_id();
        match self.op {
            Op::Provision => return provision(s, req, &rid),
            Op::Stimulus => return stimulate(s, req, &rid),
            Op::Call(_) | Op::Unknown => {}
        }
        if !bearer_ok(req) && !s.is(Fault::NoAuthAccepted) {
            return s.error(401, "InvalidAuthenticationToken", "Access token is empty.", &rid);
        }
        let n = s.throttle_counter.fetch_add(1, Ordering::Relaxed) + 1;
        if s.options.throttle_every > 0 && n.is_multiple_of(s.options.throttle_every) {
            let (status, code) = if (n / s.options.throttle_every) % 2 == 1 {
                (429, "TooManyRequests")
            } else {
                (503, "ServiceUnavailable")
            };
            return s
                .error(status, code, "The service is busy; retry after the time given.", &rid)
                .insert_header("Retry-After", "1");
        }
        let Some(at) = address(req) else {
            return s.error(404, "UnknownError", "No resource at this path.", &rid);
        };
        let result = match self.op {
            Op::Call(operation) => perform(s, operation, req, &at),
            Op::Provision | Op::Stimulus | Op::Unknown => Err(refuse(404, "UnknownError", "No resource at this path.")),
        };
        result.unwrap_or_else(|r| {
            if r.status == 400 && s.is(Fault::RefusedRequestNotifies) {
                notify_refused(s, &at);
            }
            s.error(r.status, r.code, &r.message, &rid)
        })
    }
}

/// What the double does for `operation`: its own behaviour where the operation has one (operations
/// that answer a body or notify), the row's plain acknowledgement where it has not.
fn perform(s: &State, operation: Operation, req: &Request, at: &Addressed) -> Result<ResponseTemplate, Refusal> {
    if let Some(c) = s.calls.lock().unwrap_or_else(|e| e.into_inner()).get_mut(&at.call_id) {
        c.addressed = Some(at.clone());
    }
    match operation {
        Operation::Delete => delete(s, at),
        Operation::CancelMediaProcessing => body_object(s, req).and_then(|b| cancel(s, &b, at)),
        Operation::UpdateRecordingStatus => body_object(s, req).and_then(|b| recording(s, &b, at)),
        Operation::Reject => body_object(s, req).and_then(|b| reject(s, &b, at)),
        Operation::KeepAlive => acknowledge(s, s.rows.row(operation), at),
        Operation::Answer => body_object(s, req).and_then(|b| answer(s, &b, at)),
        Operation::PlayPrompt => body_object(s, req).and_then(|b| play_prompt(s, &b, at)),
        Operation::SubscribeToTone => body_object(s, req).and_then(|b| subscribe_to_tone(s, &b, at)),
        Operation::SendDtmfTones => body_object(s, req).and_then(|b| send_dtmf_tones(s, &b, at)),
        Operation::RecordResponse => body_object(s, req).and_then(|b| record_response(s, &b, at)),
        Operation::Get => get_call(s, at),
        Operation::Redirect => body_object(s, req).and_then(|b| redirect(s, &b, at)),
        Operation::Create => body_object(s, req).and_then(|b| create(s, &b, at)),
        Operation::ListParticipants => list_participants(s, at),
        Operation::GetParticipant => get_participant(s, at),
        Operation::Mute => body_object(s, req).and_then(|b| mute(s, &b, at, true)),
        Operation::Unmute => body_object(s, req).and_then(|b| mute(s, &b, at, false)),
        Operation::ChangeScreenSharingRole => body_object(s, req).and_then(|b| change_screen_sharing_role(s, &b, at)),
    }
}

/// A callbackUri a target takes (CONTRACT.md section 7.2): `https`, or `http` to a loopback host so
/// that a target can be tested on one machine.
fn callback_allowed(uri: &str) -> bool {
    let host = |rest: &str| rest.split(['/', '?', '#']).next().unwrap_or_default().to_string();
    if let Some(rest) = uri.strip_prefix("https://") {
        return !host(rest).is_empty();
    }
    let Some(rest) = uri.strip_prefix("http://") else {
        return false;
    };
    let authority = host(rest);
    let name = match authority.strip_prefix('[') {
        Some(v6) => v6.split(']').next().unwrap_or_default().to_string(),
        None => authority.rsplit_once(':').map_or(authority.clone(), |(h, _)| h.to_string()),
    };
    name == "localhost" || name == "::1" || name.parse::<std::net::Ipv4Addr>().is_ok_and(|ip| ip.is_loopback())
}

/// The modalities a bot may accept (the metadata's `modality`, less `unknown`).
const MODALITIES: [&str; 3] = ["audio", "video", "videoBasedScreenSharing"];
/// The media configurations answer takes.
const MEDIA_CONFIGS: [&str; 2] = ["#microsoft.graph.appHostedMediaConfig", "#microsoft.graph.serviceHostedMediaConfig"];

/// The callbackUri a body requires (answer, create call): `https`, or `http` to a loopback host;
/// any string under a fault that leaves it `unchecked`.
fn required_callback(body: &Map<String, Value>, unchecked: bool) -> Result<String, Refusal> {
    match body.get("callbackUri") {
        Some(Value::String(u)) if callback_allowed(u) || unchecked => Ok(u.clone()),
        Some(Value::String(_)) => Err(refuse(400, "BadRequest", "callbackUri must be https, or http to a loopback host.")),
        _ => Err(refuse(400, "BadRequest", "callbackUri is required and must be a string.")),
    }
}

/// Whether a body's mediaConfig is one a call takes: app- or service-hosted.
fn media_config_ok(body: &Map<String, Value>) -> bool {
    let media = body.get("mediaConfig").and_then(Value::as_object);
    let media_type = media.and_then(|m| m.get("@odata.type")).and_then(Value::as_str);
    media_type.is_some_and(|t| MEDIA_CONFIGS.contains(&t))
}

/// Answer's body, checked as its page and CONTRACT.md section 7.2 say: the callbackUri the call's
/// notifications go to from now on.
fn answer_body(s: &State, body: &Map<String, Value>) -> Result<String, Refusal> {
    let callback = required_callback(body, s.is(Fault::AnswerCallbackUnchecked))?;
    let modalities = body.get("acceptedModalities").and_then(Value::as_array);
    let known = |m: &Value| m.as_str().is_some_and(|m| MODALITIES.contains(&m));
    match modalities {
        Some(ms) if ms.is_empty() && s.is(Fault::AnswerModalitiesUnchecked) => {}
        Some(ms) if !ms.is_empty() && ms.iter().all(known) => {}
        _ => {
            return Err(refuse(
                400,
                "BadRequest",
                "acceptedModalities must list one or more of audio, video, videoBasedScreenSharing.",
            ))
        }
    }
    if !media_config_ok(body) && !s.is(Fault::AnswerMediaConfigUnchecked) {
        return Err(refuse(
            400,
            "BadRequest",
            "mediaConfig is required: an appHostedMediaConfig or a serviceHostedMediaConfig.",
        ));
    }
    optional_int(body, "participantCapacity", INT32, "an Int32")?;
    match body.get("callOptions") {
        None | Some(Value::Null) | Some(Value::Object(_)) => {}
        Some(_) => return Err(refuse(400, "BadRequest", "callOptions must be an incomingCallOptions object.")),
    }
    Ok(callback)
}

/// answer: an incoming call becomes established, notified `establishing` then `established` to the
/// answer's callbackUri (the page: they "may arrive out of order").
fn answer(s: &State, body: &Map<String, Value>, at: &Addressed) -> Result<ResponseTemplate, Refusal> {
    let callback = answer_body(s, body)?;
    let call = live_call(s, at)?;
    if call.state != CallState::Incoming {
        return Err(refuse(400, "BadRequest", "Only an incoming call can be answered."));
    }
    let callback = if s.is(Fault::AnswerIgnoresCallback) {
        call.callback.clone()
    } else {
        callback
    };
    if let Some(c) = s.calls.lock().unwrap_or_else(|e| e.into_inner()).get_mut(&at.call_id) {
        if !s.is(Fault::AnswerStaysIncoming) {
            c.state = CallState::Established;
        }
        c.callback = callback.clone();
    }
    let res = s.resource(at, &at.call_id, None);
    let state = |st: &str| {
        s.envelope(
            at,
            "updated",
            &res,
            obj(json!({"@odata.type": "#microsoft.graph.call", "@odata.id": res, "@odata.etag": s.etag(), "state": st})),
        )
    };
    let mut bodies = vec![state("establishing"), state("established")];
    match s.options.fault {
        Some(Fault::AnswerSkipsEstablished) => bodies.truncate(1),
        Some(Fault::AnswerNotifiesIncoming) => bodies[1] = state("incoming"),
        _ => {}
    }
    s.send(&callback, bodies);
    Ok(match s.options.fault {
        Some(Fault::AnswerAnswers200) => ResponseTemplate::new(200),
        Some(Fault::AnswerReturnsBody) => json_response(202, &json!({"id": at.call_id, "state": "established"})),
        _ => ResponseTemplate::new(202),
    })
}

/// The modalities a bot may request of a call it places (the metadata's `modality`, less
/// `unknownFutureValue`).
const REQUESTED_MODALITIES: [&str; 4] = ["audio", "video", "videoBasedScreenSharing", "data"];

/// Create call's body, checked as its page, the metadata and CONTRACT.md section 7.2 say: the
/// callbackUri the new call's notifications go to.
fn create_body(s: &State, body: &Map<String, Value>) -> Result<String, Refusal> {
    let callback = required_callback(body, s.is(Fault::CreateCallbackUnchecked))?;
    let known = |m: &Value| m.as_str().is_some_and(|m| REQUESTED_MODALITIES.contains(&m));
    match body.get("requestedModalities").and_then(Value::as_array) {
        Some(ms) if !ms.is_empty() && ms.iter().all(known) => {}
        _ => {
            return Err(refuse(
                400,
                "BadRequest",
                "requestedModalities must list one or more of audio, video, videoBasedScreenSharing, data.",
            ))
        }
    }
    if !media_config_ok(body) {
        return Err(refuse(
            400,
            "BadRequest",
            "mediaConfig is required: an appHostedMediaConfig or a serviceHostedMediaConfig.",
        ));
    }
    let targets = match body.get("targets") {
        None | Some(Value::Null) => None,
        Some(Value::Array(ts)) if !ts.is_empty() && ts.iter().all(|t| t.get("identity").is_some_and(Value::is_object)) => Some(ts),
        Some(_) => {
            return Err(refuse(
                400,
                "BadRequest",
                "targets must list one or more invitationParticipantInfo, each with an identity.",
            ))
        }
    };
    for key in ["meetingInfo", "chatInfo", "source", "callOptions"] {
        if !matches!(body.get(key), None | Some(Value::Null) | Some(Value::Object(_))) {
            return Err(refuse(400, "BadRequest", format!("{key} must be an object.")));
        }
    }
    for key in ["tenantId", "subject"] {
        if !matches!(body.get(key), None | Some(Value::Null) | Some(Value::String(_))) {
            return Err(refuse(400, "BadRequest", format!("{key} must be a string.")));
        }
    }
    let meeting = body.get("meetingInfo").is_some_and(Value::is_object);
    if targets.is_none() && !meeting && !s.is(Fault::CreateNobodyToCall) {
        return Err(refuse(
            400,
            "BadRequest",
            "A call needs targets (a peer-to-peer call) or meetingInfo (a meeting to join).",
        ));
    }
    Ok(callback)
}

/// create call: a new call, 201 with its Location and the call as it is (establishing), then
/// notified `establishing` and `established` to the request's callbackUri.
fn create(s: &State, body: &Map<String, Value>, at: &Addressed) -> Result<ResponseTemplate, Refusal> {
    let id = s.new_id();
    let at = Addressed {
        call_id: id.clone(),
        ..at.clone()
    };
    let res = s.resource(&at, &id, None);
    let state = |st: &str| {
        s.envelope(
            &at,
            "updated",
            &res,
            obj(json!({"@odata.type": "#microsoft.graph.call", "@odata.id": res, "@odata.etag": s.etag(), "state": st, "direction": "outgoing", "id": id})),
        )
    };
    if s.is(Fault::CreateRingsBeforeValidating) {
        if let Some(callback) = body.get("callbackUri").and_then(Value::as_str).filter(|c| c.starts_with("http")) {
            s.send(callback, vec![state("establishing")]);
        }
    }
    let callback = create_body(s, body)?;
    let participant = s.new_id();
    if !s.is(Fault::CreateForgetsCall) {
        let mut call = Call::new(CallState::Established, callback.clone(), participant.clone(), s.new_id());
        call.outgoing = true;
        call.addressed = Some(at.clone());
        s.calls.lock().unwrap_or_else(|e| e.into_inner()).insert(id.clone(), call);
    }
    let mut bodies = vec![state("establishing"), state("established")];
    match s.options.fault {
        Some(Fault::CreateSkipsEstablished) => bodies.truncate(1),
        Some(Fault::CreateNotifiesIncoming) => bodies[1] = state("incoming"),
        Some(Fault::CreateRingsBeforeValidating) => {
            bodies.remove(0);
        }
        _ => {}
    }
    s.send(&callback, bodies);
    let mut answer = json!({"@odata.type": "#microsoft.graph.call",
        "@odata.context": format!("{}/{}/$metadata#communications/calls/$entity", s.uri, at.version),
        "id": id, "state": "establishing", "direction": "outgoing", "callbackUri": callback,
        "myParticipantId": participant,
        "source": {"@odata.type": "#microsoft.graph.participantInfo", "identity": {"@odata.type": "#microsoft.graph.identitySet",
            "application": {"@odata.type": "#microsoft.graph.identity", "displayName": "Calling Bot", "id": BOT_APP}}}});
    if let Some(m) = answer.as_object_mut() {
        // The call as asked for: what the request set is what the call is.
        for key in [
            "targets",
            "requestedModalities",
            "mediaConfig",
            "meetingInfo",
            "chatInfo",
            "tenantId",
            "subject",
            "callOptions",
        ] {
            if let Some(v) = body.get(key).filter(|v| !v.is_null()) {
                m.insert(key.to_string(), v.clone());
            }
        }
    }
    let location = match s.options.fault {
        Some(Fault::CreateLocationOtherCall) => format!("{}/{}/{}/calls/{}", s.uri, at.version, at.prefix, s.new_id()),
        _ => format!("{}/{}/{}/calls/{id}", s.uri, at.version, at.prefix),
    };
    let status = if s.is(Fault::CreateAnswers200) { 200 } else { 201 };
    let response = json_response(status, &answer);
    Ok(if s.is(Fault::CreateNoLocation) {
        response
    } else {
        response.insert_header("Location", location.as_str())
    })
}

/// redirect: an incoming call is handed to its targets and ends for the bot: 202, then the call
/// `deleted`, `terminated`, to the request's callbackUri (the call's own where it names none).
fn redirect(s: &State, body: &Map<String, Value>, at: &Addressed) -> Result<ResponseTemplate, Refusal> {
    let most = if s.is(Fault::RedirectTargetCountUnchecked) {
        usize::MAX
    } else {
        25
    };
    let target_ok = |t: &Value| t.get("identity").is_some_and(Value::is_object);
    match body.get("targets").and_then(Value::as_array) {
        Some(ts) if !ts.is_empty() && ts.len() <= most && ts.iter().all(target_ok) => {}
        _ => {
            return Err(refuse(
                400,
                "BadRequest",
                "targets must hold 1 to 25 invitationParticipantInfos, each with an identity.",
            ))
        }
    }
    if !s.is(Fault::RedirectTimeoutUnchecked) {
        optional_int(body, "timeout", 15..=90, "15 to 90 seconds")?;
    }
    let callback = match body.get("callbackUri") {
        None | Some(Value::Null) => None,
        Some(Value::String(u)) if callback_allowed(u) => Some(u.clone()),
        Some(_) => return Err(refuse(400, "BadRequest", "callbackUri must be https, or http to a loopback host.")),
    };
    let call = live_call(s, at)?;
    if call.state != CallState::Incoming {
        return Err(refuse(400, "BadRequest", "Only an incoming call can be redirected."));
    }
    if !s.is(Fault::RedirectLeavesCallAlive) {
        end_call(s, at, Ending::Redirected);
    }
    let res = s.resource(at, &at.call_id, None);
    let data = obj(
        json!({"@odata.type": "#microsoft.graph.call", "@odata.id": res, "id": at.call_id, "state": "terminated",
        "direction": "incoming",
        "resultInfo": {"@odata.type": "#microsoft.graph.resultInfo", "code": 200, "subcode": 5021, "message": "The call was redirected."}}),
    );
    let to = match callback {
        Some(cb) if !s.is(Fault::RedirectIgnoresCallback) => cb,
        _ => call.callback.clone(),
    };
    s.send(&to, vec![s.envelope(at, "deleted", &res, data)]);
    Ok(ResponseTemplate::new(if s.is(Fault::RedirectAnswers200) { 200 } else { 202 }))
}

/// An operation whose row says all there is to it: valid on a live call in the row's states, it
/// answers the row's success status with no body and changes nothing.
fn acknowledge(s: &State, row: &OperationRow, at: &Addressed) -> Result<ResponseTemplate, Refusal> {
    let call = live_call(s, at)?;
    let valid = match call.state {
        CallState::Incoming => row.valid_in.contains(&Live::Incoming) && !s.is(Fault::KeepAliveRefusedOnIncoming),
        CallState::Established => row.valid_in.contains(&Live::Established),
        _ => false,
    };
    if !valid {
        return Err(refuse(
            400,
            "BadRequest",
            format!("Not valid on a call that is {}.", call.state.name()),
        ));
    }
    if s.is(Fault::KeepAliveEndsCall) {
        end_call(s, at, Ending::Deleted);
    }
    match s.options.fault {
        Some(Fault::KeepAliveAnswers204) => Ok(ResponseTemplate::new(204)),
        Some(Fault::KeepAliveReturnsBody) => Ok(json_response(row.success, &json!({"id": at.call_id, "state": call.state.name()}))),
        _ => Ok(ResponseTemplate::new(row.success)),
    }
}

/// The live call `at` names, or 404; under `fault`, an ended one too (a read that still finds it).
fn live_or_ended_under(s: &State, at: &Addressed, fault: Fault) -> Result<Call, Refusal> {
    let calls = s.calls.lock().unwrap_or_else(|e| e.into_inner());
    match calls.get(&at.call_id) {
        Some(c) if !c.state.live() && s.is(fault) => Ok(c.clone()),
        _ => {
            drop(calls);
            live_call(s, at)
        }
    }
}

/// get: the call as it is now, 200: its id, its state, where its notifications go.
fn get_call(s: &State, at: &Addressed) -> Result<ResponseTemplate, Refusal> {
    let call = live_or_ended_under(s, at, Fault::GetFindsEndedCall)?;
    let now = if s.is(Fault::GetStaleState) { call.provisioned } else { call.state };
    let state = now.live_name().unwrap_or("terminated");
    let state = if s.is(Fault::GetStatePascal) {
        let mut cs = state.chars();
        cs.next()
            .map(|c| c.to_ascii_uppercase().to_string() + cs.as_str())
            .unwrap_or_default()
    } else {
        state.to_string()
    };
    let mut body = json!({"@odata.type": "#microsoft.graph.call",
        "@odata.context": format!("{}/{}/$metadata#communications/calls/$entity", s.uri, at.version),
        "id": at.call_id, "state": state, "direction": if call.outgoing { "outgoing" } else { "incoming" }, "callbackUri": call.callback,
        "requestedModalities": ["audio"], "myParticipantId": call.participant,
        "mediaConfig": {"@odata.type": "#microsoft.graph.serviceHostedMediaConfig"}});
    if s.is(Fault::GetOmitsParticipant) {
        if let Some(m) = body.as_object_mut() {
            m.remove("myParticipantId");
        }
    }
    Ok(json_response(200, &body))
}

/// The call's roster: the bot's own participant (an application) and the far side's (a user).
fn list_participants(s: &State, at: &Addressed) -> Result<ResponseTemplate, Refusal> {
    let call = live_or_ended_under(s, at, Fault::RosterOfEndedCall)?;
    let me = bot_participant(s, &call);
    let mut value = vec![caller_participant(s, &call)];
    if !s.is(Fault::RosterOmitsBot) {
        value.insert(0, me.clone());
    }
    if s.is(Fault::RosterRepeatsBot) {
        value.push(me);
    }
    let context = format!(
        "{}/{}/$metadata#communications/calls('{}')/participants",
        s.uri, at.version, at.call_id
    );
    Ok(json_response(200, &json!({"@odata.context": context, "value": value})))
}

/// A participant `id` whose identity is `kind` (`application`, `user`) `who` (its id) named `name`.
fn participant(s: &State, id: &str, kind: &str, (who, name): (&str, &str)) -> Value {
    json!({"@odata.type": "#microsoft.graph.participant", "id": id,
        "info": {"@odata.type": "#microsoft.graph.participantInfo",
            "identity": {"@odata.type": "#microsoft.graph.identitySet", kind: {"@odata.type": "#microsoft.graph.identity", "displayName": name, "id": who}}},
        "mediaStreams": [{"@odata.type": "#microsoft.graph.mediaStream", "mediaType": "audio", "sourceId": "1",
            "direction": "sendReceive", "serverMuted": false, "label": null}],
        "isMuted": if s.is(Fault::RosterMutedAsString) { json!("false") } else { json!(false) },
        "isInLobby": false, "metadata": null})
}

/// The bot's application id, as its participant's identity names it (the calls it places name it so too).
const BOT_APP: &str = "2891555a-92ff-42e6-80fa-6e1300c6b5c6";
/// The caller's user id (the user of the mute page's roster).
const CALLER_USER: &str = "5810cede-f3cc-42eb-b2c1-e9bd5d53ec96";

/// The bot's own participant (an application), muted as it muted itself.
fn bot_participant(s: &State, call: &Call) -> Value {
    let mut me = participant(s, &call.participant, "application", (BOT_APP, "Calling Bot"));
    if let (Some(m), false) = (me.as_object_mut(), s.is(Fault::RosterMutedAsString)) {
        m.insert("isMuted".into(), json!(call.muted));
    }
    me
}

/// changeScreenSharingRole: 202 with no body, then the roster, the bot's own streams as its role
/// left them (a sharer sends its screen).
fn change_screen_sharing_role(s: &State, body: &Map<String, Value>, at: &Addressed) -> Result<ResponseTemplate, Refusal> {
    let role = body.get("role").and_then(Value::as_str);
    let sharer = match role {
        Some("viewer") => false,
        Some("sharer") => true,
        Some(_) if s.is(Fault::ScreenSharingRoleUnchecked) => false,
        _ => return Err(refuse(400, "BadRequest", "role must be viewer or sharer.")),
    };
    let call = live_call(s, at)?;
    if call.state != CallState::Established {
        return Err(refuse(400, "BadRequest", "Only an established call shares screens."));
    }
    let mut me = bot_participant(s, &call);
    if let (true, Some(streams)) = (sharer, me.get_mut("mediaStreams").and_then(Value::as_array_mut)) {
        streams.push(
            json!({"@odata.type": "#microsoft.graph.mediaStream", "mediaType": "videoBasedScreenSharing",
            "sourceId": "2", "direction": "sendOnly", "serverMuted": false, "label": "applicationsharing-video"}),
        );
    }
    s.send(&call.callback, vec![s.roster_envelope(at, vec![me, caller_participant(s, &call)])]);
    let status = if s.is(Fault::ScreenSharingAnswers200) { 200 } else { 202 };
    Ok(if s.is(Fault::ScreenSharingAnswersBody) {
        json_response(status, &json!({"role": role}))
    } else {
        ResponseTemplate::new(status)
    })
}

/// mute (`muted`) and unmute: 200 with the operation already completed and its Location, then the
/// roster with the bot's own participant as it now is.
fn mute(s: &State, body: &Map<String, Value>, at: &Addressed, muted: bool) -> Result<ResponseTemplate, Refusal> {
    let client_context = optional_string(s, body, "clientContext", Some(256))?;
    let kind = if muted { "mute" } else { "unmute" };
    let (mut call, op) = start_operation(s, at, kind, "Only an established call can be muted or unmuted.")?;
    if !s.is(Fault::MuteForgotten) {
        if let Some(c) = s.calls.lock().unwrap_or_else(|e| e.into_inner()).get_mut(&at.call_id) {
            c.muted = muted;
        }
        call.muted = muted;
    }
    let notified = if s.is(Fault::MuteNotifiesUnchanged) { !muted } else { muted };
    let mut me = bot_participant(s, &call);
    if let Some(m) = me.as_object_mut() {
        m.insert("isMuted".into(), json!(notified));
    }
    if !s.is(Fault::MuteNotNotified) {
        let mut update = s.roster_envelope(at, vec![caller_participant(s, &call), me]);
        if s.is(Fault::MuteRosterOnTheCall) {
            let field = if at.family == Family::Communications {
                "resourceUrl"
            } else {
                "resource"
            };
            if let Some(item) = update.pointer_mut("/value/0").and_then(Value::as_object_mut) {
                item.insert(field.into(), json!(s.resource(at, &at.call_id, None)));
            }
        }
        s.send(&call.callback, vec![update]);
    }
    let odata = if muted {
        "#microsoft.graph.muteParticipantOperation"
    } else {
        "#microsoft.graph.unmuteParticipantOperation"
    };
    let answer = json!({"@odata.type": odata, "id": op, "clientContext": client_context, "status": "completed", "resultInfo": null});
    let status = if s.is(Fault::UnmuteAnswers202) && !muted { 202 } else { 200 };
    Ok(operation_answer(s, at, &op, status, &answer))
}

/// The far side's participant (a user).
fn caller_participant(s: &State, call: &Call) -> Value {
    participant(s, &call.caller, "user", (CALLER_USER, "Caller"))
}

/// One participant of a live call, by id; an unknown one is 404.
fn get_participant(s: &State, at: &Addressed) -> Result<ResponseTemplate, Refusal> {
    let call = live_call(s, at)?;
    let pid = at.participant_id.as_str();
    let found = if ids_equal(pid, &call.participant) {
        Some(if s.is(Fault::ParticipantGetAnswersCaller) {
            caller_participant(s, &call)
        } else {
            bot_participant(s, &call)
        })
    } else if ids_equal(pid, &call.caller) || s.is(Fault::UnknownParticipantFound) {
        Some(caller_participant(s, &call))
    } else {
        None
    };
    let mut body = found.ok_or_else(|| refuse(404, "NotFound", "Participant not found."))?;
    if let Some(m) = body.as_object_mut() {
        let context = format!(
            "{}/{}/$metadata#communications/calls('{}')/participants/$entity",
            s.uri, at.version, at.call_id
        );
        m.insert("@odata.context".into(), json!(context));
    }
    Ok(json_response(200, &body))
}

/// Under `Fault::RefusedRequestNotifies`: the failed operation a service that started before it
/// validated would notify, on a live call.
fn notify_refused(s: &State, at: &Addressed) {
    let Ok(call) = live_call(s, at) else { return };
    let op = s.new_id();
    let res = s.resource(at, &at.call_id, Some(&op));
    let data = obj(json!({"@odata.type": "#microsoft.graph.commsOperation", "status": "Failed",
        "resultInfo": {"@odata.type": "#microsoft.graph.resultInfo", "code": 400, "subcode": 0, "message": "Bad request."}}));
    s.send(&call.callback, vec![s.envelope(at, "deleted", &res, data)]);
}

fn provision(s: &State, req: &Request, rid: &str) -> ResponseTemplate {
    let body = match body_object(s, req) {
        Ok(b) => b,
        Err(r) => return s.error(r.status, r.code, &r.message, rid),
    };
    let state = match body.get("state").and_then(Value::as_str) {
        Some("incoming") => CallState::Incoming,
        Some("established") => CallState::Established,
        _ => return s.error(400, "BadRequest", "state must be \"incoming\" or \"established\".", rid),
    };
    let Some(callback) = body.get("callbackUri").and_then(Value::as_str).filter(|c| c.starts_with("http")) else {
        return s.error(400, "BadRequest", "callbackUri must be an http(s) URL.", rid);
    };
    let id = s.new_id();
    s.calls
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .insert(id.clone(), Call::new(state, callback.to_string(), s.new_id(), s.new_id()));
    if state == CallState::Incoming {
        // Announce it the way seed 003 shows, as a real service would (CONTRACT.md section 5 allows it).
        let at = Addressed {
            version: VERSION.into(),
            prefix: "communications".into(),
            family: Family::Communications,
            call_id: id.clone(),
            participant_id: String::new(),
        };
        let res = s.resource(&at, &id, None);
        let data = obj(
            json!({"@odata.type": "#microsoft.graph.call", "@odata.id": res, "state": "incoming", "direction": "incoming",
            "source": {"identity": {"user": {"displayName": "John", "id": "112f7296-5fa4-42ca-bae8-6a692b15d4b8"}}, "region": "westus", "languageId": "en-US"},
            "targets": [{"identity": {"application": {"displayName": "Calling Bot", "id": BOT_APP}}}],
            "requestedModalities": ["audio", "video"]}),
        );
        s.send(callback, vec![s.envelope(&at, "created", &res, data)]);
    }
    json_response(if s.is(Fault::ProvisionAnswers200) { 200 } else { 201 }, &json!({"id": id}))
}

/// The live call `at` names, or 404.
fn live_call(s: &State, at: &Addressed) -> Result<Call, Refusal> {
    let calls = s.calls.lock().unwrap_or_else(|e| e.into_inner());
    match calls.get(&at.call_id) {
        Some(c) if c.state.live() => Ok(c.clone()),
        Some(c) if s.is(Fault::EndedCallAlive) => Ok(Call {
            state: CallState::Established,
            ..c.clone()
        }),
        None if s.is(Fault::UnknownCall400) => Err(refuse(400, "BadRequest", "Invalid call id.")),
        _ => Err(refuse(404, "9997", "Call not found.")),
    }
}

fn end_call(s: &State, at: &Addressed, ending: Ending) {
    if let Some(c) = s.calls.lock().unwrap_or_else(|e| e.into_inner()).get_mut(&at.call_id) {
        c.state = CallState::Ended(ending);
        // A prompt does not play on to a call that has ended (CONTRACT.md 7.3 does not say it is notified).
        for m in c.media.drain(..) {
            m.completion.withdraw();
        }
    }
}

/// Accepts a media operation on call `at`: it runs once the ones before it have, then `completion`
/// goes out; `cancelled` is what it is notified with if a cancel ends it first. Under
/// `media-newest-first` it plays at once and the ones waiting are put back behind it.
fn queue_media(s: &State, at: &Addressed, callback: &str, kind: MediaKind, completion: Vec<Value>, cancelled: Value) {
    let now = tokio::time::Instant::now();
    let mut calls = s.calls.lock().unwrap_or_else(|e| e.into_inner());
    let Some(c) = calls.get_mut(&at.call_id) else { return };
    // One still going out stays: the next waits for it, though its delivery is slow or retried
    // (under load a completion overtook one whose first attempt broke on the way).
    c.media.retain(|m| m.completion.pending());
    let runs = s.options.media;
    let schedule = |bodies: Vec<Value>, until: tokio::time::Instant, after: Option<Withdrawable>| {
        s.outbox
            .send_withdrawable(callback, bodies, until - now + s.options.latency, s.options.fault, after)
    };
    // Each completion goes out after the one before it, however the timers are scheduled.
    let (until, after) = if s.is(Fault::MediaNewestFirst) {
        for m in c.media.iter_mut().filter(|m| m.completion.withdraw()) {
            m.until += runs;
            m.completion = schedule(m.bodies.clone(), m.until, None);
        }
        (now + runs, None)
    } else {
        let last = c.media.last();
        let tail = c.media_tail.clone().filter(Withdrawable::pending);
        (
            last.map_or(now, |l| l.until.max(now)) + runs,
            last.map(|l| l.completion.clone()).or(tail),
        )
    };
    c.media.push(Media {
        kind,
        completion: schedule(completion.clone(), until, after),
        bodies: completion,
        until,
        cancelled,
    });
}

/// cancelMediaProcessing's effect: the running and the queued media operations of the call end,
/// each notified as cancelled, in the order they were accepted; one already completing completes.
fn cancel_media(s: &State, at: &Addressed, callback: &str) {
    let mut calls = s.calls.lock().unwrap_or_else(|e| e.into_inner());
    let Some(c) = calls.get_mut(&at.call_id) else { return };
    // One going out already completes; the cancelled ones are notified after it, in order.
    c.media.retain(|m| m.completion.pending());
    let going = c.media.iter().rfind(|m| !m.completion.waiting()).map(|m| m.completion.clone());
    c.media.retain(|m| m.completion.waiting());
    let mut ended = Vec::new();
    let mut kept = Vec::new();
    for (n, m) in c.media.drain(..).enumerate() {
        let spared =
            (s.is(Fault::CancelLeavesQueuedMedia) && n > 0) || (s.is(Fault::CancelSkipsRecordings) && m.kind == MediaKind::Recording);
        if spared {
            kept.push(m);
        } else if s.is(Fault::CancelNotifiesButMediaPlays) {
            ended.push(m.cancelled.clone());
            kept.push(m);
        } else if m.completion.withdraw() {
            ended.push(m.cancelled);
        }
    }
    c.media = kept;
    c.media_tail = going.clone();
    if !ended.is_empty() && !s.is(Fault::CancelledMediaNotNotified) {
        let sent = s
            .outbox
            .send_withdrawable(callback, ended, s.options.latency, s.options.fault, going);
        c.media_tail = Some(sent);
    }
}

/// Records a successful operation of `kind` on the call (and, under `operation-ends-call`, ends it).
fn note_operation(s: &State, at: &Addressed, kind: &'static str, op: &str, recording: Option<&str>) {
    if let Some(c) = s.calls.lock().unwrap_or_else(|e| e.into_inner()).get_mut(&at.call_id) {
        c.operations += 1;
        c.first_ops.entry(kind).or_insert_with(|| op.to_string());
        if let Some(r) = recording {
            c.recording = Some(r.to_string());
        }
    }
    if s.is(Fault::OperationEndsCall) && matches!(kind, "cancel" | "recording") {
        end_call(s, at, Ending::Deleted);
    }
}

/// The operation id of a new operation of `kind` on `call`: a fresh one, or the first one again
/// under `repeat-reuses-operation-id`; refused under `repeat-refused` when it is a repetition.
fn operation_id(s: &State, call: &Call, kind: &str) -> Result<String, Refusal> {
    match call.first_ops.get(kind) {
        Some(_) if s.is(Fault::RepeatRefused) => Err(refuse(409, "Conflict", "An operation is already in progress on this call.")),
        Some(first) if s.is(Fault::RepeatReusesOperationId) => Ok(first.clone()),
        _ => Ok(s.new_id()),
    }
}

/// Whether the call's notifications are sent (not under `notifies-first-operation-only` once it has had one).
fn notifies(s: &State, call: &Call) -> bool {
    !(s.is(Fault::NotifiesFirstOperationOnly) && call.operations > 0)
}

fn delete(s: &State, at: &Addressed) -> Result<ResponseTemplate, Refusal> {
    let call = live_call(s, at)?;
    if s.is(Fault::UsedCallNotDeletable) && call.operations > 0 {
        return Err(refuse(500, "InternalServerError", "The call's media session is still referenced."));
    }
    if s.is(Fault::IncomingNotDeletable) && call.state == CallState::Incoming {
        return Err(refuse(404, "9997", "Call not found."));
    }
    end_call(s, at, Ending::Deleted);
    let named = if s.is(Fault::DeleteNamesOtherCall) {
        s.new_id()
    } else {
        at.call_id.clone()
    };
    let res = s.resource(at, &named, None);
    let state = if s.is(Fault::DeleteStatePascal) {
        "Terminated"
    } else {
        "terminated"
    };
    let terminating = s.envelope(
        at,
        "updated",
        &res,
        obj(json!({"@odata.type": "#microsoft.graph.call", "state": "terminating"})),
    );
    let mut data = obj(json!({"@odata.type": "#microsoft.graph.call", "state": state}));
    if !s.is(Fault::DeleteNoTerminationReason) {
        // Integers, as Graph's metadata types them and real services send them (the seeds print
        // strings; Microsoft's SDKs read a string code as null, so a bot would lose why its call ended).
        data.insert(
            "resultInfo".into(),
            json!({"@odata.type": "#microsoft.graph.resultInfo", "code": 200, "subcode": 5001, "message": "The conversation has ended."}),
        );
    }
    let terminated = s.envelope(at, "deleted", &res, data);
    let bodies = match s.options.fault {
        Some(Fault::DeleteNoTerminated) => vec![terminating],
        Some(Fault::DeleteOrderSwapped) => vec![terminated, terminating],
        _ => vec![terminating, terminated],
    };
    if notifies(s, &call) {
        s.send(&call.callback, bodies);
    }
    Ok(ResponseTemplate::new(if s.is(Fault::DeleteAnswers200) { 200 } else { 204 }))
}

fn cancel(s: &State, body: &Map<String, Value>, at: &Addressed) -> Result<ResponseTemplate, Refusal> {
    if body.get("all").is_some_and(|a| !a.is_boolean() && !a.is_null()) && !s.is(Fault::AllTypeUnchecked) {
        return Err(refuse(400, "BadRequest", "all must be a Boolean."));
    }
    if s.is(Fault::ClientContextRequired) && body.get("clientContext").is_none() {
        return Err(refuse(400, "BadRequest", "clientContext is required."));
    }
    let client_context = optional_string(s, body, "clientContext", None)?;
    let call = live_call(s, at)?;
    let op = operation_id(s, &call, "cancel")?;
    cancel_media(s, at, &call.callback);
    let location = s.location(at, &at.call_id, &op);
    let named_op = if s.is(Fault::CancelNamesOtherOperation) {
        s.new_id()
    } else {
        op.clone()
    };
    let res = s.resource(at, &at.call_id, Some(&named_op));
    let mut data = obj(json!({"@odata.type": "#microsoft.graph.commsOperation", "@odata.id": res}));
    match (&client_context, s.is(Fault::CancelNoEcho)) {
        (Some(_), true) => {
            data.insert("clientContext".into(), json!(s.new_id()));
        }
        (Some(cc), false) => {
            data.insert("clientContext".into(), json!(cc));
        }
        (None, _) => {}
    }
    data.insert(
        "status".into(),
        json!(if s.is(Fault::CancelStatusFailed) { "Failed" } else { "Completed" }),
    );
    // The current edition's cancel answers completed and has no notification of its own (the
    // shaped target sends one anyway: allowed).
    if !s.is(Fault::CancelNoNotification) && notifies(s, &call) && s.options.edition == Edition::Seeds {
        s.send(&call.callback, vec![s.envelope(at, "deleted", &res, data)]);
    }
    note_operation(s, at, "cancel", &op, None);
    if s.is(Fault::CancelEndsToneSubscription) {
        if let Some(c) = s.calls.lock().unwrap_or_else(|e| e.into_inner()).get_mut(&at.call_id) {
            c.tones = None;
        }
    }
    let operation = json!({"@odata.type": "#microsoft.graph.cancelMediaProcessingOperation", "id": op, "status": "Completed", "clientContext": client_context});
    let answer = match (s.options.edition, s.options.fault) {
        (Edition::Seeds, Some(Fault::CancelAnswers200)) => ResponseTemplate::new(200),
        (Edition::Seeds, Some(Fault::CancelReturnsBody)) => json_response(202, &operation),
        (Edition::Seeds, _) => ResponseTemplate::new(202),
        (Edition::Current, _) => json_response(200, &operation),
    };
    Ok(if s.is(Fault::CancelNoLocation) {
        answer
    } else {
        answer.insert_header("Location", location)
    })
}

fn recording(s: &State, body: &Map<String, Value>, at: &Addressed) -> Result<ResponseTemplate, Refusal> {
    match body.get("status") {
        Some(Value::String(st)) if matches!(st.as_str(), "notRecording" | "recording" | "failed") => {}
        Some(_) if s.is(Fault::StatusEnumUnchecked) => {}
        Some(Value::Null) if s.is(Fault::NullStatusAccepted) => {}
        None if s.is(Fault::StatusRequiredUnchecked) => {}
        Some(_) => return Err(refuse(400, "BadRequest", "status must be notRecording, recording or failed.")),
        None => return Err(refuse(400, "BadRequest", "status is required.")),
    }
    let client_context = optional_string(s, body, "clientContext", Some(256))?;
    let call = live_call(s, at)?;
    let status = body.get("status").and_then(Value::as_str);
    if s.is(Fault::RecordingStatusSticky) && status.is_some() && call.recording.as_deref() == status {
        return Err(refuse(400, "BadRequest", "The call is already in that recording status."));
    }
    let op = operation_id(s, &call, "recording")?;
    note_operation(s, at, "recording", &op, status);
    if s.is(Fault::StrayDeletedLate) {
        let res = s.resource(at, &at.call_id, None);
        let data = obj(json!({"@odata.type": "#microsoft.graph.call", "state": "terminated",
            "resultInfo": {"@odata.type": "#microsoft.graph.resultInfo", "code": 200, "subcode": 5001, "message": "The conversation has ended."}}));
        s.send_after(&call.callback, vec![s.envelope(at, "deleted", &res, data)], STRAY_AFTER);
    }
    let location = s.location(at, &at.call_id, &op);
    let mut out = obj(json!({
        "@odata.type": if s.is(Fault::RecordingBaseOdataType) { "#microsoft.graph.commsOperation" } else { "#microsoft.graph.updateRecordingStatusOperation" },
        "clientContext": if s.is(Fault::RecordingNoEcho) { None } else { client_context },
        "id": if s.is(Fault::RecordingIdMismatch) { s.new_id() } else { op },
        "resultInfo": null,
        "status": if s.is(Fault::RecordingStatusUpperCase) { "COMPLETED" } else { "Completed" },
    }));
    if s.is(Fault::RecordingOmitsNull) {
        out.remove("resultInfo");
    }
    if s.is(Fault::RecordingPropertyCase) {
        if let Some(v) = out.remove("status") {
            out.insert("Status".into(), v);
        }
    }
    let text = Value::Object(out).to_string();
    let answer = match s.options.fault {
        Some(Fault::RecordingTextPlain) => ResponseTemplate::new(200).set_body_raw(text, "text/plain"),
        Some(Fault::RecordingBodyTruncated) => {
            ResponseTemplate::new(200).set_body_raw(text.as_bytes()[..text.len() / 2].to_vec(), "application/json")
        }
        Some(Fault::RecordingAnswers202) => ResponseTemplate::new(202).set_body_raw(text, "application/json"),
        _ => ResponseTemplate::new(200).set_body_raw(text, "application/json"),
    };
    Ok(if s.is(Fault::RecordingNoLocation) {
        answer
    } else {
        answer.insert_header("Location", location)
    })
}

/// A new operation of `kind` on the established call `at` names: the call and the operation's id,
/// noted on the call; `refusal` says why a call in another state is refused.
fn start_operation(s: &State, at: &Addressed, kind: &'static str, refusal: &str) -> Result<(Call, String), Refusal> {
    let call = live_call(s, at)?;
    if call.state != CallState::Established {
        return Err(refuse(400, "BadRequest", refusal));
    }
    let op = operation_id(s, &call, kind)?;
    note_operation(s, at, kind, &op, None);
    Ok((call, op))
}

/// An operation's answer: `status`, `body`, and the `Location` naming operation `op` of the call.
fn operation_answer(s: &State, at: &Addressed, op: &str, status: u16, body: &Value) -> ResponseTemplate {
    json_response(status, body).insert_header("Location", s.location(at, &at.call_id, op))
}

/// The notification of media operation `op` (at resource `res`, of `odata_type`, with its own
/// properties `own`) when a cancel ends it: deleted, failed, resultInfo 400/8508 (CONTRACT.md section 2).
fn cancelled(s: &State, at: &Addressed, res: &str, odata_type: &str, op: &str, echo: Option<&str>, own: Map<String, Value>) -> Value {
    let mut data = obj(
        json!({"@odata.type": odata_type, "@odata.id": res, "@odata.etag": s.etag(), "id": op,
        "clientContext": echo, "status": "Failed",
        "resultInfo": {"@odata.type": "#microsoft.graph.resultInfo", "code": 400, "subcode": 8508, "message": "Action failed, the operation was cancelled."}}),
    );
    data.extend(own);
    s.envelope(at, "deleted", res, data)
}

/// playPrompt: 200 with a running playPromptOperation and its Location, then the operation's one
/// final notification, completed. Media operations on a call complete in the order they were
/// accepted: the outbox delivers one callback's notifications in order.
fn play_prompt(s: &State, body: &Map<String, Value>, at: &Addressed) -> Result<ResponseTemplate, Refusal> {
    let prompts = body.get("prompts").and_then(Value::as_array);
    let prompt_ok = |p: &Value| p.get("@odata.type").and_then(Value::as_str) == Some("#microsoft.graph.mediaPrompt");
    let limit = if s.is(Fault::PlayPromptCountUnchecked) { usize::MAX } else { 20 };
    match prompts {
        Some(ps) if ps.is_empty() && s.is(Fault::PlayPromptCountUnchecked) => {}
        Some(ps) if !ps.is_empty() && ps.len() <= limit && ps.iter().all(prompt_ok) => {}
        _ => return Err(refuse(400, "BadRequest", "prompts must hold 1 to 20 mediaPrompts.")),
    }
    let client_context = optional_string(s, body, "clientContext", Some(256))?;
    let (call, op) = start_operation(s, at, "prompt", "A prompt plays on an established call only.")?;
    let echo = if s.is(Fault::PlayPromptNoEcho) { None } else { client_context };
    let res = s.resource(at, &at.call_id, Some(&op));
    let completed = obj(
        json!({"@odata.type": "#microsoft.graph.playPromptOperation", "@odata.id": res, "@odata.etag": s.etag(),
        "id": op, "clientContext": echo, "status": if s.is(Fault::PlayPromptNotifiesFailed) { "Failed" } else { "Completed" },
        "resultInfo": {"@odata.type": "#microsoft.graph.resultInfo", "code": if s.is(Fault::PlayPromptNotifiesFailed) { 500 } else { 200 },
            "subcode": 0, "message": "Action completed successfully."}}),
    );
    if !s.is(Fault::PlayPromptNeverCompletes) {
        let mut bodies = vec![s.envelope(at, "deleted", &res, completed)];
        if s.is(Fault::PlayPromptNotifiesTwice) {
            bodies.push(bodies[0].clone());
        }
        let cancelled = cancelled(
            s,
            at,
            &res,
            "#microsoft.graph.playPromptOperation",
            &op,
            echo.as_deref(),
            Map::new(),
        );
        queue_media(s, at, &call.callback, MediaKind::Prompt, bodies, cancelled);
    }
    let answer = json!({"@odata.type": "#microsoft.graph.playPromptOperation", "id": op, "clientContext": echo,
        "status": if s.is(Fault::PlayPromptAnswersCompleted) { "Completed" } else { "Running" }, "resultInfo": null});
    let status = if s.is(Fault::PlayPromptAnswers202) { 202 } else { 200 };
    Ok(operation_answer(s, at, &op, status, &answer))
}

/// subscribeToTone: 200 with the subscribeToToneOperation already completed and its Location, and
/// no notification of its own; from then on each `tone` stimulus on the call is notified
/// (`stimulate`). Subscribing again keeps the call's sequence.
fn subscribe_to_tone(s: &State, body: &Map<String, Value>, at: &Addressed) -> Result<ResponseTemplate, Refusal> {
    let client_context = optional_string(s, body, "clientContext", Some(256))?;
    let (call, op) = start_operation(s, at, "tone", "Tones are subscribed to on an established call only.")?;
    if let Some(c) = s.calls.lock().unwrap_or_else(|e| e.into_inner()).get_mut(&at.call_id) {
        c.tones.get_or_insert(0);
    }
    let echo = if s.is(Fault::ToneSubscriptionNoEcho) {
        None
    } else {
        client_context
    };
    if s.is(Fault::ToneSubscriptionNotifiesCompleted) {
        let res = s.resource(at, &at.call_id, Some(&op));
        let data = obj(
            json!({"@odata.type": "#microsoft.graph.subscribeToToneOperation", "@odata.id": res, "id": op,
            "clientContext": echo, "status": "Completed",
            "resultInfo": {"@odata.type": "#microsoft.graph.resultInfo", "code": 200, "subcode": 0, "message": "Action completed successfully."}}),
        );
        s.send(&call.callback, vec![s.envelope(at, "deleted", &res, data)]);
    }
    let answer = json!({"@odata.type": "#microsoft.graph.subscribeToToneOperation", "id": op, "clientContext": echo,
        "status": if s.is(Fault::ToneSubscriptionRunning) { "Running" } else { "Completed" }, "resultInfo": null});
    let status = if s.is(Fault::ToneSubscriptionAnswers202) { 202 } else { 200 };
    Ok(operation_answer(s, at, &op, status, &answer))
}

/// sendDtmfTones: 200 with a running sendDtmfTonesOperation and its Location, then its one final
/// notification, completed with completionReason completedSuccessfully.
fn send_dtmf_tones(s: &State, body: &Map<String, Value>, at: &Addressed) -> Result<ResponseTemplate, Refusal> {
    let tones = body.get("tones").and_then(Value::as_array);
    let known = |t: &Value| t.as_str().is_some_and(|t| TONES.contains(&t));
    match tones {
        Some(ts) if ts.is_empty() && s.is(Fault::DtmfEmptyTonesAccepted) => {}
        Some(ts) if !ts.is_empty() && ts.iter().all(known) => {}
        _ => {
            return Err(refuse(
                400,
                "BadRequest",
                "tones must hold at least one member of microsoft.graph.tone.",
            ))
        }
    }
    optional_int(body, "delayBetweenTonesMs", INT32, "an Int32")?;
    let client_context = optional_string(s, body, "clientContext", Some(256))?;
    let (call, op) = start_operation(s, at, "dtmf", "Tones are sent on an established call only.")?;
    let echo = if s.is(Fault::DtmfNoEcho) { None } else { client_context };
    let res = s.resource(at, &at.call_id, Some(&op));
    let reason = if s.is(Fault::DtmfCompletionCancelled) {
        "mediaOperationCanceled"
    } else {
        "completedSuccessfully"
    };
    let completed = obj(
        json!({"@odata.type": "#microsoft.graph.sendDtmfTonesOperation", "@odata.id": res, "@odata.etag": s.etag(),
        "id": op, "clientContext": echo, "status": "Completed", "completionReason": reason,
        "resultInfo": {"@odata.type": "#microsoft.graph.resultInfo", "code": 200, "subcode": 0, "message": "Action completed successfully."}}),
    );
    if !s.is(Fault::DtmfNeverCompletes) {
        s.send(&call.callback, vec![s.envelope(at, "deleted", &res, completed)]);
    }
    let answer = json!({"@odata.type": "#microsoft.graph.sendDtmfTonesOperation", "id": op, "clientContext": echo,
        "status": "Running", "completionReason": null, "resultInfo": null});
    let status = if s.is(Fault::DtmfAnswers202) { 202 } else { 200 };
    Ok(operation_answer(s, at, &op, status, &answer))
}

/// recordResponse: 200 with a running recordOperation and its Location, then its one final
/// notification: completed, with where the recording is and a token to fetch it.
fn record_response(s: &State, body: &Map<String, Value>, at: &Addressed) -> Result<ResponseTemplate, Refusal> {
    let most = if s.is(Fault::RecordPromptCountUnchecked) { usize::MAX } else { 1 };
    match body.get("prompts") {
        None | Some(Value::Null) => {}
        Some(Value::Array(ps)) if ps.len() <= most => {}
        Some(_) => return Err(refuse(400, "BadRequest", "prompts holds at most one mediaPrompt.")),
    }
    for key in ["bargeInAllowed", "playBeep"] {
        if body.get(key).is_some_and(|v| !v.is_boolean() && !v.is_null()) {
            return Err(refuse(400, "BadRequest", format!("{key} must be a Boolean.")));
        }
    }
    for key in [
        "initialSilenceTimeoutInSeconds",
        "maxSilenceTimeoutInSeconds",
        "maxRecordDurationInSeconds",
    ] {
        optional_int(body, key, 1..=120, "1 to 120 seconds")?;
    }
    if body
        .get("stopTones")
        .is_some_and(|t| !t.is_null() && !t.as_array().is_some_and(|a| a.iter().all(Value::is_string)))
    {
        return Err(refuse(400, "BadRequest", "stopTones must be a list of strings."));
    }
    let client_context = optional_string(s, body, "clientContext", Some(256))?;
    let (call, op) = start_operation(s, at, "record", "A response is recorded on an established call only.")?;
    let res = s.resource(at, &at.call_id, Some(&op));
    let mut completed = obj(
        json!({"@odata.type": "#microsoft.graph.recordOperation", "@odata.id": res, "@odata.etag": s.etag(),
        "id": op, "clientContext": client_context, "status": "Completed",
        "resultInfo": {"@odata.type": "#microsoft.graph.resultInfo", "code": 200, "subcode": 8515, "message": "Action completed, max record duration reached."},
        "recordingLocation": format!("{}/recordings/{op}", s.uri), "recordingAccessToken": s.new_id()}),
    );
    if s.is(Fault::RecordNoLocation) {
        completed.remove("recordingLocation");
    }
    let times = if s.is(Fault::RecordNotifiesTwice) { 2 } else { 1 };
    let own = obj(json!({"recordingLocation": "", "recordingAccessToken": "", "completionReason": "operationCanceled"}));
    let cancelled = cancelled(s, at, &res, "#microsoft.graph.recordOperation", &op, client_context.as_deref(), own);
    let completion = vec![s.envelope(at, "deleted", &res, completed); times];
    queue_media(s, at, &call.callback, MediaKind::Recording, completion, cancelled);
    let answer = json!({"@odata.type": "#microsoft.graph.recordOperation", "id": op, "clientContext": client_context,
        "status": "Running", "resultInfo": null, "recordingLocation": null});
    let status = if s.is(Fault::RecordAnswers202) { 202 } else { 200 };
    Ok(operation_answer(s, at, &op, status, &answer))
}

/// The provisioning hook's stimuli (CONTRACT.md section 5): `POST /_provision/calls/{id}/{stimulus}`,
/// what only the far side of a call can do. `202` done; `404` for a stimulus it does not offer
/// (`join` comes with the roster); `409` for a call that is not live (the contract is silent).
fn stimulate(s: &State, req: &Request, rid: &str) -> ResponseTemplate {
    let segs: Vec<&str> = req.url.path().trim_start_matches('/').split('/').collect();
    let (call_id, kind) = match segs.as_slice() {
        ["_provision", "calls", id, kind] => (id.to_string(), StimulusKind::parse(kind)),
        _ => return s.error(404, "UnknownError", "No resource at this path.", rid),
    };
    let Some(kind) = kind.filter(|k| *k != StimulusKind::Join && s.options.stimuli) else {
        return s.error(404, "UnknownError", "The double does not offer this stimulus.", rid);
    };
    let body = match body_object(s, req) {
        Ok(b) => b,
        Err(r) => return s.error(r.status, r.code, &r.message, rid),
    };
    let call = s.calls.lock().unwrap_or_else(|e| e.into_inner()).get(&call_id).cloned();
    let Some(call) = call.filter(|c| c.state.live()) else {
        return s.error(409, "Conflict", "The call is not live.", rid);
    };
    let at = call.addressed.clone().unwrap_or(Addressed {
        version: VERSION.into(),
        prefix: "communications".into(),
        family: Family::Communications,
        call_id: call_id.clone(),
        participant_id: String::new(),
    });
    match kind {
        StimulusKind::Tone => {
            let Some(tone) = body.get("tone").and_then(Value::as_str).filter(|t| TONES.contains(t)) else {
                return s.error(400, "BadRequest", "tone must be a member of microsoft.graph.tone.", rid);
            };
            tone_pressed(s, &at, &call, tone);
        }
        StimulusKind::Hangup => hung_up(s, &at, &call),
        StimulusKind::Join => {}
    }
    ResponseTemplate::new(202)
}

/// The caller pressed `tone`: a call subscribed to tones is notified, with the next sequenceId.
fn tone_pressed(s: &State, at: &Addressed, call: &Call, tone: &str) {
    let sequence = {
        let mut calls = s.calls.lock().unwrap_or_else(|e| e.into_inner());
        let Some(call) = calls.get_mut(&at.call_id) else { return };
        if s.is(Fault::ToneToUnsubscribedCall) {
            call.tones.get_or_insert(0);
        }
        let Some(last) = call.tones.as_mut() else {
            return;
        };
        *last += 1;
        *last
    };
    if s.is(Fault::ToneNotNotified) {
        return;
    }
    let sequence = if s.is(Fault::ToneSequenceFromZero) {
        sequence - 1
    } else {
        sequence
    };
    let tone = match TONES.iter().position(|t| *t == tone) {
        Some(value) if s.is(Fault::ToneAsNumber) => json!(value),
        _ => json!(tone),
    };
    let res = s.resource(at, &at.call_id, None);
    let data = obj(
        json!({"@odata.type": "#microsoft.graph.call", "@odata.id": res, "@odata.etag": s.etag(),
        "state": "established", "toneInfo": {"@odata.type": "#microsoft.graph.toneInfo", "sequenceId": sequence, "tone": tone}}),
    );
    let notification = s.envelope(at, "updated", &res, data);
    let times = if s.is(Fault::ToneNotifiedTwice) { 2 } else { 1 };
    s.send(&call.callback, vec![notification; times]);
}

/// The caller hung up: the call ends, notified deleted and terminated with why.
fn hung_up(s: &State, at: &Addressed, call: &Call) {
    if !s.is(Fault::HangupLeavesCallAlive) {
        end_call(s, at, Ending::HungUp);
    }
    if s.is(Fault::HangupNotNotified) {
        return;
    }
    let res = s.resource(at, &at.call_id, None);
    let data = obj(
        json!({"@odata.type": "#microsoft.graph.call", "@odata.id": res, "state": "terminated",
        "resultInfo": {"@odata.type": "#microsoft.graph.resultInfo", "code": 200, "subcode": 4521, "message": "Call ended by the other participant in a peer-to-peer call."}}),
    );
    s.send(&call.callback, vec![s.envelope(at, "deleted", &res, data)]);
}

fn reject(s: &State, body: &Map<String, Value>, at: &Addressed) -> Result<ResponseTemplate, Refusal> {
    if let Some(r) = body.get("reason") {
        let known: &[&str] = if s.is(Fault::ForbiddenReasonRefused) {
            &["none", "busy"]
        } else {
            &["none", "busy", "forbidden"]
        };
        if !r.as_str().is_some_and(|r| known.contains(&r)) && !s.is(Fault::ReasonEnumUnchecked) {
            return Err(refuse(400, "BadRequest", "reason must be none, busy or forbidden."));
        }
    }
    let callback_uri = optional_string(s, body, "callbackUri", None)?;
    if callback_uri.as_deref().is_some_and(|u| !u.starts_with("https://")) && !s.is(Fault::CallbackSchemeUnchecked) {
        return Err(refuse(400, "BadRequest", "callbackUri must be an https URL."));
    }
    if callback_uri.as_deref().is_some_and(|u| u.contains('?')) && s.is(Fault::CallbackQueryRefused) {
        return Err(refuse(400, "BadRequest", "callbackUri must not have a query."));
    }
    let call = live_call(s, at)?;
    let res = s.resource(at, &at.call_id, None);
    let odata_id = if s.is(Fault::OdataIdOtherCall) {
        s.resource(at, &s.new_id(), None)
    } else {
        res.clone()
    };
    let deleted = s.envelope(
        at,
        "deleted",
        &res,
        obj(json!({"@odata.type": "#microsoft.graph.call", "@odata.id": odata_id})),
    );
    let callback = callback_uri.as_deref().unwrap_or(&call.callback);
    if call.state != CallState::Incoming {
        // Reject does not end a call that was already answered (seed 003).
        match s.options.fault {
            Some(Fault::RejectEndsAnsweredCall) => end_call(s, at, Ending::Rejected),
            Some(Fault::RejectAnsweredNotifies) => {}
            _ => return Err(refuse(400, "BadRequest", "Only an incoming call can be rejected.")),
        }
        s.send(callback, vec![deleted]);
        return Ok(ResponseTemplate::new(202));
    }
    end_call(s, at, Ending::Rejected);
    if !s.is(Fault::RejectNoNotification) {
        s.send(callback, vec![deleted]);
    }
    Ok(match s.options.fault {
        Some(Fault::RejectAnswers200) => ResponseTemplate::new(200),
        Some(Fault::RejectReturnsBody) => json_response(202, &json!({"status": "accepted"})),
        _ => ResponseTemplate::new(202),
    })
}
