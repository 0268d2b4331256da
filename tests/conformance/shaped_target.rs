//! A second, independent implementation of CONTRACT.md, shaped differently from the double
//! everywhere the contract allows, so that "no false failures" is tested against more than the
//! implementation the suite grew up with. Shares no code with `conformance::double`.
//!
//! Differences from the documents' examples, each allowed by CONTRACT.md section 1 or 4:
//! non-GUID ids; `/v1.0` base and a hook on another path; `Location` on another host; upper-case
//! and extra response headers; compact JSON with other key orders and extra properties; OData
//! `Content-Type` parameters; the current dialect on every family with both `resource` and
//! `resourceUrl`; integer resultInfo codes with another listed pair; delete's two notifications
//! batched in one envelope; keepAlive's body not read; unsolicited `created`/`updated` notifications on provisioning;
//! answer's `established` sent before its `establishing` (the page allows either order), each in an envelope of its own;
//! playPrompt's completion in the metadata's spelling with a result of its own wording and subcode;
//! subscribeToTone answered in the metadata's spelling with an `@odata.context`, its tones notified
//! with the call's other properties beside `toneInfo`, and stimuli on its own hook's path; sendDtmfTones
//! answered without a completionReason, completed in the metadata's spelling with a resultInfo;
//! media operations queued per call with durations of its own (a recording twice a prompt), the
//! ones a cancel ends notified together in one envelope, and the ones still queued when the call
//! ends notified failed too (CONTRACT.md 7.3 does not say whether they are); get answering more of the
//! call than the page shows, without its nulls; create call answered with its Location on its own host
//! and the call in its own shape, notified `established` only (CONTRACT.md 7.2: `establishing` may be omitted);
//! the roster with the caller before the bot, members without `@odata.type`, with `@odata.count` beside it;
//! a participant read on its own with `@odata.type` and no streams; mute and unmute completed in the
//! metadata's spelling, the whole roster notified with the caller first (after changeScreenSharingRole too).

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use conformance::contract::edition::Edition;
use serde_json::{json, Value};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// How long its prompts play by default (not the double's: its own queue, its own pace); a recording
/// plays twice as long.
const PROMPT_PLAYS: std::time::Duration = std::time::Duration::from_millis(90);

const JSON_CT: &str = "application/json; odata.metadata=minimal; odata.streaming=true; IEEE754Compatible=false; charset=utf-8";

/// The running target.
pub struct ShapedTarget {
    /// What `CONFORMANCE_TARGET` is set to.
    pub base: String,
    /// What `CONFORMANCE_PROVISION_URL` is set to.
    pub hook: String,
}

#[derive(Clone)]
struct Call {
    incoming: bool,
    ended: bool,
    callback: String,
    /// Subscribed to tones: how many were notified.
    tones: Option<u64>,
    /// The path prefix it was last addressed on (`communications` until then).
    prefix: String,
    /// Placed by the bot (create call).
    outgoing: bool,
    /// The bot muted itself.
    muted: bool,
}

/// A call's media queue: when the last accepted operation will have played, and each one not yet
/// known to be over, with its flag (set once it completes or is cancelled) and its failure item.
#[derive(Default)]
struct MediaQueue {
    until: Option<tokio::time::Instant>,
    ops: Vec<(Arc<AtomicBool>, Value)>,
    /// Closed once the last accepted one is over: the next one's completion waits for it, so two
    /// completions never cross on the way, however their timers are scheduled.
    last: Option<tokio::sync::oneshot::Receiver<()>>,
}

struct State {
    edition: Edition,
    calls: Mutex<HashMap<String, Call>>,
    media: Mutex<HashMap<String, MediaQueue>>,
    prompt_plays: std::time::Duration,
    n: AtomicU64,
    client: reqwest::Client,
}

impl State {
    fn next(&self, kind: &str) -> String {
        format!("{kind}_{:05}_x{:x}", self.n.fetch_add(1, Ordering::Relaxed), std::process::id())
    }

    /// Queues a media operation on `call_id`: it plays for `plays` after those before it, then
    /// `completion` (an item) is notified unless a cancel or the call's end came first (`failure`).
    fn play(&self, call_id: &str, callback: &str, plays: std::time::Duration, completion: Value, failure: Value) {
        let mut media = self.media.lock().unwrap();
        let queue = media.entry(call_id.to_string()).or_default();
        let now = tokio::time::Instant::now();
        let until = queue.until.filter(|u| *u > now).unwrap_or(now) + plays;
        queue.until = Some(until);
        let over = Arc::new(AtomicBool::new(false));
        queue.ops.push((over.clone(), failure));
        let (done, next) = tokio::sync::oneshot::channel::<()>();
        let before = queue.last.replace(next);
        let (client, callback) = (self.client.clone(), callback.to_string());
        tokio::spawn(async move {
            let _done = done;
            tokio::time::sleep_until(until).await;
            if let Some(before) = before {
                let _ = before.await;
            }
            if !over.swap(true, Ordering::AcqRel) {
                let body = json!({"value": [completion], "@odata.type": "#microsoft.graph.commsNotifications"});
                post(&client, callback, body).await;
            }
        });
    }

    /// Ends every media operation of `call_id` still playing or queued, notifying them in one envelope.
    fn stop_media(&self, call_id: &str, callback: &str) {
        let queue = self.media.lock().unwrap().remove(call_id).unwrap_or_default();
        let items: Vec<Value> = queue
            .ops
            .into_iter()
            .filter(|(over, _)| !over.swap(true, Ordering::AcqRel))
            .map(|(_, failure)| failure)
            .collect();
        if !items.is_empty() {
            self.notify(
                callback,
                json!({"value": items, "@odata.type": "#microsoft.graph.commsNotifications"}),
            );
        }
    }

    fn notify(&self, callback: &str, body: Value) {
        let (client, callback) = (self.client.clone(), callback.to_string());
        tokio::spawn(async move { post(&client, callback, body).await });
    }
}

/// POSTs one notification as this target does (its own token, its own Content-Type); what the
/// callback answers is not its concern, but a POST that never got there is sent again, as a
/// service does (the double's sender retries so too). Before, a failed POST was dropped: once,
/// during a whole `cargo test`, a saved program's queue was never heard to complete after its
/// cancel, which a lost POST on a stale kept-alive connection explains (not proven).
async fn post(client: &reqwest::Client, callback: String, body: Value) {
    let body = body.to_string();
    for wait in [200, 600, 1800, 0] {
        let sent = client
            .post(&callback)
            .header("authorization", "Bearer shaped-target-notification-token")
            .header("content-type", "application/json; charset=utf-8")
            .body(body.clone())
            .send()
            .await;
        if sent.is_ok() || wait == 0 {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(wait)).await;
    }
}

/// Starts it on 127.0.0.1 in `edition`. Must run on the shared runtime, which keeps serving it.
pub async fn start(edition: Edition) -> ShapedTarget {
    start_playing(edition, PROMPT_PLAYS).await
}

/// [`start`], its prompts playing `prompt_plays` each (a test that must find them still queued on a
/// loaded machine plays them long).
pub async fn start_playing(edition: Edition, prompt_plays: std::time::Duration) -> ShapedTarget {
    let loopback = "127.0.0.1:0".parse().expect("addr");
    let listener = TcpListener::from_std(conformance::wire::bind::listen(loopback).expect("bind 127.0.0.1:0")).expect("listener");
    let addr = listener.local_addr().expect("local address");
    let state = Arc::new(State {
        edition,
        calls: Mutex::default(),
        media: Mutex::default(),
        prompt_plays,
        n: AtomicU64::new(1),
        client: conformance::wire::target::http_client(std::time::Duration::from_secs(10), None).expect("client"),
    });
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            let state = state.clone();
            tokio::spawn(async move {
                let _ = serve(stream, state).await;
            });
        }
    });
    ShapedTarget {
        base: format!("http://{addr}/v1.0"),
        hook: format!("http://{addr}/hooks/new-call"),
    }
}

struct Req {
    method: String,
    path: String,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

async fn read_request(stream: &mut TcpStream) -> std::io::Result<Option<Req>> {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    let head_end = loop {
        if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break i;
        }
        let n = stream.read(&mut chunk).await?;
        if n == 0 || buf.len() > 64 * 1024 {
            return Ok(None);
        }
        buf.extend_from_slice(&chunk[..n]);
    };
    let head = String::from_utf8_lossy(&buf[..head_end]).into_owned();
    let mut lines = head.split("\r\n");
    let mut first = lines.next().unwrap_or_default().split(' ');
    let (method, path) = (
        first.next().unwrap_or_default().to_string(),
        first.next().unwrap_or_default().to_string(),
    );
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_string()))
        .collect();
    let len: usize = headers
        .iter()
        .find(|(k, _)| k == "content-length")
        .and_then(|(_, v)| v.parse().ok())
        .unwrap_or(0);
    let mut body = buf[head_end + 4..].to_vec();
    while body.len() < len {
        let n = stream.read(&mut chunk).await?;
        if n == 0 {
            break;
        }
        body.extend_from_slice(&chunk[..n]);
    }
    Ok(Some(Req {
        method,
        path,
        headers,
        body,
    }))
}

struct Resp {
    status: u16,
    headers: Vec<(&'static str, String)>,
    body: Option<Value>,
}

fn resp(status: u16) -> Resp {
    Resp {
        status,
        headers: Vec::new(),
        body: None,
    }
}

fn error(status: u16, code: &str, message: &str) -> Resp {
    Resp {
        status,
        headers: vec![],
        body: Some(json!({"error": {"message": message, "code": code,
            "innerError": {"date": "2026-11-22T10:00:00", "request-id": "rid-1", "client-request-id": "crid-1"}}})),
    }
}

async fn serve(mut stream: TcpStream, state: Arc<State>) -> std::io::Result<()> {
    let Some(req) = read_request(&mut stream).await? else {
        return Ok(());
    };
    let r = route(&state, &req);
    let reason = match r.status {
        200 => "OK",
        201 => "Created",
        202 => "Accepted",
        204 => "No Content",
        400 => "Bad Request",
        401 => "Unauthorized",
        _ => "Not Found",
    };
    let mut out = format!("HTTP/1.1 {} {reason}\r\nCONNECTION: close\r\nREQUEST-ID: {}\r\nX-MS-AGS-DIAGNOSTIC: {{\"ServerInfo\":{{\"DataCenter\":\"Test\"}}}}\r\nStrict-Transport-Security: max-age=31536000\r\n", r.status, state.next("req"));
    for (k, v) in &r.headers {
        out.push_str(&format!("{k}: {v}\r\n"));
    }
    let body = r.body.map(|b| b.to_string()).unwrap_or_default();
    if !body.is_empty() {
        out.push_str(&format!("CONTENT-TYPE: {JSON_CT}\r\n"));
    }
    out.push_str(&format!("Content-Length: {}\r\n\r\n{body}", body.len()));
    stream.write_all(out.as_bytes()).await?;
    stream.shutdown().await
}

fn route(state: &State, req: &Req) -> Resp {
    if req.method == "POST" && req.path == "/hooks/new-call" {
        return provision(state, req);
    }
    if let (Some(rest), "POST") = (req.path.strip_prefix("/hooks/new-call/"), req.method.as_str()) {
        return stimulate(state, rest, &req.body);
    }
    let authorized = req
        .headers
        .iter()
        .any(|(k, v)| k == "authorization" && v.len() > 7 && v[..7].eq_ignore_ascii_case("bearer "));
    if !authorized {
        return error(401, "InvalidAuthenticationToken", "Authorization header missing");
    }
    let Some(rest) = req.path.strip_prefix("/v1.0/") else {
        return error(404, "itemNotFound", "no such path");
    };
    let segs: Vec<&str> = rest.split('/').collect();
    let (prefix, tail) = match segs.as_slice() {
        ["communications", "calls", tail @ ..] => ("communications".to_string(), tail),
        ["app", "calls", tail @ ..] => ("app".to_string(), tail),
        ["applications", app, "calls", tail @ ..] => (format!("applications/{app}"), tail),
        _ => return error(404, "itemNotFound", "no such path"),
    };
    if tail.is_empty() && req.method == "POST" && prefix == "communications" {
        return create(state, &req.body);
    }
    let call_id = tail.first().copied().unwrap_or_default().to_string();
    let action = tail.get(1).map(|a| a.trim_start_matches("microsoft.graph.").to_string());
    let call = state.calls.lock().unwrap().get(&call_id).cloned().filter(|c| !c.ended);
    let Some(call) = call else {
        return error(404, "9997", "Call not found");
    };
    let body = match (req.method.as_str(), validate(action.as_deref(), &req.body)) {
        ("POST", Err(refusal)) => return refusal,
        (_, Ok(b)) => b,
        (_, Err(_)) => serde_json::Map::new(),
    };
    let resource = format!("/{prefix}/calls/{call_id}");
    if let Some(c) = state.calls.lock().unwrap().get_mut(&call_id) {
        c.prefix = prefix.clone();
    }
    match (req.method.as_str(), action.as_deref()) {
        ("POST", Some("recordResponse")) if prefix == "communications" && !call.incoming => {
            let op = state.next("rec");
            let op_res = format!("{resource}/operations/{op}");
            let cc = body.get("clientContext").cloned().unwrap_or(Value::Null);
            // Its own recording host and token, another subcode, and nothing in the answer but what it must carry.
            let completion = item(
                "deleted",
                &op_res,
                json!({"recordingAccessToken": "tok-shaped", "status": "Completed",
                "recordingLocation": format!("https://media.contoso.test/r/{op}"), "clientContext": cc, "id": op,
                "resultInfo": {"code": 200, "subcode": 8514, "message": "Silence timeout."},
                "@odata.type": "#microsoft.graph.recordOperation"}),
            );
            let failure = item(
                "deleted",
                &op_res,
                json!({"status": "Failed", "clientContext": cc, "id": op,
                "completionReason": "operationCanceled", "resultInfo": {"code": 400, "subcode": 8508, "message": "Cancelled."},
                "@odata.type": "#microsoft.graph.recordOperation"}),
            );
            state.play(&call_id, &call.callback, state.prompt_plays * 2, completion, failure);
            operation_answer(
                &prefix,
                &call_id,
                &op,
                json!({"status": "running", "clientContext": cc, "id": op, "@odata.type": "#microsoft.graph.recordOperation"}),
            )
        }
        ("POST", Some("sendDtmfTones")) if prefix == "communications" && !call.incoming => {
            let op = state.next("dtmf");
            let op_res = format!("{resource}/operations/{op}");
            let cc = body.get("clientContext").cloned().unwrap_or(Value::Null);
            // The metadata's spelling, a resultInfo the page does not show, and no completionReason
            // in the answer at all.
            state.notify(
                &call.callback,
                json!({"value": [item("deleted", &op_res, json!({"completionReason": "completedSuccessfully", "status": "Completed",
                    "resultInfo": {"code": 200, "subcode": 0, "message": "Tones sent."}, "id": op, "clientContext": cc,
                    "@odata.type": "#microsoft.graph.sendDtmfTonesOperation"}))], "@odata.type": "#microsoft.graph.commsNotifications"}),
            );
            operation_answer(
                &prefix,
                &call_id,
                &op,
                json!({"status": "Running", "clientContext": cc, "id": op,
                    "@odata.type": "#microsoft.graph.sendDtmfTonesOperation"}),
            )
        }
        ("POST", Some("subscribeToTone")) if prefix == "communications" && !call.incoming => {
            let op = state.next("tones");
            if let Some(c) = state.calls.lock().unwrap().get_mut(&call_id) {
                c.tones.get_or_insert(0);
            }
            let cc = body.get("clientContext").cloned().unwrap_or(Value::Null);
            operation_answer(
                &prefix,
                &call_id,
                &op,
                json!({"status": "Completed", "id": op, "clientContext": cc, "resultInfo": null,
                    "@odata.context": "https://calls.contoso.test/v1.0/$metadata#microsoft.graph.subscribeToToneOperation",
                    "@odata.type": "#microsoft.graph.subscribeToToneOperation"}),
            )
        }
        ("DELETE", None) => {
            if let Some(c) = state.calls.lock().unwrap().get_mut(&call_id) {
                c.ended = true;
            }
            state.stop_media(&call_id, &call.callback);
            state.notify(&call.callback, json!({"value": [
                item("updated", &resource, json!({"state": "terminating", "@odata.type": "#microsoft.graph.call", "callChainId": "chain-1", "id": call_id})),
                item("deleted", &resource, json!({"resultInfo": {"message": "The conversation was ended by the bot.", "subcode": 10550, "code": 200}, "state": "terminated", "@odata.type": "#microsoft.graph.call", "id": call_id}))],
                "@odata.type": "#microsoft.graph.commsNotifications"}));
            resp(204)
        }
        ("POST", Some("cancelMediaProcessing")) => {
            state.stop_media(&call_id, &call.callback);
            let cc = body.get("clientContext").cloned().unwrap_or(Value::Null);
            let op = state.next("op");
            let op_res = format!("{resource}/operations/{op}");
            state.notify(&call.callback, json!({"@odata.type": "#microsoft.graph.commsNotifications", "value": [
                item("deleted", &op_res, json!({"status": "completed", "clientContext": cc, "@odata.type": "#microsoft.graph.commsOperation", "id": op, "resultInfo": {"code": 200, "subcode": 0}}))]}));
            let location = (
                "LOCATION",
                format!("https://calls.contoso.test/v1.0/{prefix}/calls/{call_id}/operations/{op}"),
            );
            match state.edition {
                Edition::Seeds => Resp {
                    status: 202,
                    headers: vec![location],
                    body: None,
                },
                Edition::Current => Resp {
                    status: 200,
                    headers: vec![location],
                    body: Some(json!({"clientContext": cc, "status": "completed", "id": op, "resultInfo": null,
                        "@odata.context": "https://calls.contoso.test/v1.0/$metadata#microsoft.graph.cancelMediaProcessingOperation",
                        "@odata.type": "#microsoft.graph.cancelMediaProcessingOperation"})),
                },
            }
        }
        ("POST", Some("updateRecordingStatus")) => {
            let b = body;
            let op = state.next("op");
            operation_answer(
                &prefix,
                &call_id,
                &op,
                json!({"status": "completed", "id": op, "recordingStatus": b.get("status"), "clientContext": b.get("clientContext"),
                    "resultInfo": {"code": 200, "subcode": 0, "message": "ok"}, "@odata.type": "#microsoft.graph.updateRecordingStatusOperation"}),
            )
        }
        ("POST", Some("reject")) if prefix == "communications" && call.incoming => {
            if let Some(c) = state.calls.lock().unwrap().get_mut(&call_id) {
                c.ended = true;
            }
            state.notify(
                &call.callback,
                json!({"@odata.type": "#microsoft.graph.commsNotifications", "value": [
                item("deleted", &resource, json!({"@odata.type": "#microsoft.graph.call", "state": "terminated", "id": call_id}))]}),
            );
            resp(202)
        }
        ("POST", Some("answer")) if prefix == "communications" && call.incoming => {
            let callback = body.get("callbackUri").and_then(Value::as_str).unwrap_or_default().to_string();
            if let Some(c) = state.calls.lock().unwrap().get_mut(&call_id) {
                c.incoming = false;
                c.callback = callback.clone();
            }
            // The page says establishing and established may arrive out of order: this one sends
            // established first, each in an envelope of its own, with more of the call than the page.
            for st in ["established", "establishing"] {
                state.notify(
                    &callback,
                    json!({"@odata.type": "#microsoft.graph.commsNotifications", "value": [
                    item("updated", &resource, json!({"@odata.type": "#microsoft.graph.call", "state": st, "id": call_id,
                        "direction": "incoming", "callChainId": "chain-1", "myParticipantId": "p_bot"}))]}),
                );
            }
            resp(202)
        }
        ("POST", Some("playPrompt")) if prefix == "communications" && !call.incoming => {
            let op = state.next("prompt");
            let op_res = format!("{resource}/operations/{op}");
            let cc = body.get("clientContext").cloned().unwrap_or(Value::Null);
            // The documents' spelling in the answer, the metadata's in the notification; its own
            // wording of the result, and a completion reason the page does not show.
            let ended = |status: &str, reason: &str, (code, subcode, message): (u16, u32, &str)| {
                item(
                    "deleted",
                    &op_res,
                    json!({"@odata.type": "#microsoft.graph.playPromptOperation", "id": op, "status": status,
                    "clientContext": cc, "completionReason": reason,
                    "resultInfo": {"code": code, "subcode": subcode, "message": message}}),
                )
            };
            let completion = ended("Completed", "completedSuccessfully", (200, 8500, "Prompt played."));
            let failure = ended("Failed", "mediaOperationCanceled", (400, 8508, "Cancelled."));
            state.play(&call_id, &call.callback, state.prompt_plays, completion, failure);
            operation_answer(
                &prefix,
                &call_id,
                &op,
                json!({"status": "running", "clientContext": cc, "id": op, "resultInfo": null,
                    "@odata.type": "#microsoft.graph.playPromptOperation"}),
            )
        }
        // redirect: the call ends for the bot, notified at the request's callbackUri in an envelope of
        // its own shape, with the targets the call was handed to.
        ("POST", Some("redirect")) if prefix == "communications" && call.incoming => {
            if let Some(c) = state.calls.lock().unwrap().get_mut(&call_id) {
                c.ended = true;
            }
            let to = body
                .get("callbackUri")
                .and_then(Value::as_str)
                .unwrap_or(&call.callback)
                .to_string();
            state.notify(
                &to,
                json!({"value": [item("deleted", &resource, json!({"targets": body.get("targets"), "id": call_id,
                "state": "terminated", "@odata.type": "#microsoft.graph.call",
                "resultInfo": {"code": 200, "subcode": 7000, "message": "Redirected."}}))],
                "@odata.type": "#microsoft.graph.commsNotifications"}),
            );
            resp(202)
        }
        // get: the call in its own shape: more of it than the page, its own id spelling, no nulls.
        ("GET", None) if prefix == "communications" => Resp {
            status: 200,
            headers: vec![],
            body: Some(
                json!({"chatInfo": {"threadId": "19:shaped"}, "id": call_id, "callChainId": "chain-1", "myParticipantId": "p_bot",
                "state": if call.incoming { "incoming" } else { "established" }, "direction": if call.outgoing { "outgoing" } else { "incoming" },
                "callbackUri": call.callback, "tenantId": "contoso", "@odata.type": "#microsoft.graph.call"}),
            ),
        },
        // list participants: the caller first and the bot after it, members without @odata.type
        // (OData's minimal metadata: the declared type), a count and a sequence number beside them.
        // get participant: the bot's own in the same shape as in the roster, with @odata.type this
        // time and a count of its streams; anyone else is unknown here.
        ("GET", Some("participants")) if prefix == "communications" && !call.incoming && tail.len() == 3 => match tail[2] {
            "p_bot" => Resp {
                status: 200,
                headers: vec![],
                body: Some(
                    json!({"mediaStreams": [], "isMuted": call.muted, "@odata.type": "#microsoft.graph.participant",
                    "info": {"identity": {"application": {"id": "app", "displayName": null}}, "languageId": "en-US"},
                    "id": "p_bot", "isInLobby": false, "rosterSequenceNumber": 3}),
                ),
            },
            _ => error(404, "itemNotFound", "no such participant in this call"),
        },
        ("GET", Some("participants")) if prefix == "communications" && !call.incoming && tail.len() == 2 => Resp {
            status: 200,
            headers: vec![],
            body: Some(json!({"@odata.count": 2, "value": roster(call.muted)})),
        },
        // mute and unmute: completed at once, in the metadata's spelling, and the whole roster
        // notified (the caller first, members untyped) in an envelope of its own.
        ("POST", Some(action @ ("mute" | "unmute"))) if prefix == "communications" && !call.incoming => {
            let muted = action == "mute";
            if let Some(c) = state.calls.lock().unwrap().get_mut(&call_id) {
                c.muted = muted;
            }
            let op = state.next(action);
            state.notify(
                &call.callback,
                json!({"value": [item("updated", &format!("{resource}/participants"), json!(roster(muted)))]}),
            );
            let cc = body.get("clientContext").cloned().unwrap_or(Value::Null);
            operation_answer(
                &prefix,
                &call_id,
                &op,
                json!({"status": "Completed", "id": op, "clientContext": cc,
                    "@odata.type": format!("#microsoft.graph.{action}ParticipantOperation")}),
            )
        }
        // changeScreenSharingRole: 202, and the whole roster notified (CONTRACT.md 7.2: it may be).
        ("POST", Some("changeScreenSharingRole")) if prefix == "communications" && !call.incoming => {
            state.notify(
                &call.callback,
                json!({"value": [item("updated", &format!("{resource}/participants"), json!(roster(call.muted)))]}),
            );
            resp(202)
        }
        // keepAlive takes no body and causes no notification; any live call stays live.
        ("POST", Some("keepAlive")) if prefix == "communications" => resp(200),
        _ => error(400, "BadRequest", "operation not supported on this call"),
    }
}

/// create call (CONTRACT.md 7.2), read its own way: a call placed to its targets or into a meeting,
/// 201 with the call in its own shape (its own id spelling, more of the call than the page) and its
/// Location on a host of its own; notified `established` only, with the call's other properties.
fn create(state: &State, raw: &[u8]) -> Resp {
    let Ok(Value::Object(body)) = serde_json::from_slice::<Value>(raw) else {
        return error(400, "InvalidRequest", "Request body must be a JSON object");
    };
    let callback = body.get("callbackUri").and_then(Value::as_str).unwrap_or_default().to_string();
    let host = callback
        .strip_prefix("http://")
        .map(|r| r.split(['/', ':']).next().unwrap_or_default());
    let callback_ok =
        (callback.starts_with("https://") && callback.len() > 8) || host.is_some_and(|h| h == "localhost" || h.starts_with("127."));
    let modalities_ok = body.get("requestedModalities").and_then(Value::as_array).is_some_and(|m| {
        !m.is_empty()
            && m.iter()
                .all(|x| matches!(x.as_str(), Some("audio" | "video" | "videoBasedScreenSharing" | "data")))
    });
    let media_ok = matches!(
        body.get("mediaConfig").and_then(|m| m.get("@odata.type")).and_then(Value::as_str),
        Some("#microsoft.graph.appHostedMediaConfig" | "#microsoft.graph.serviceHostedMediaConfig")
    );
    let targets = body.get("targets");
    let targets_ok = targets.is_none_or(|t| {
        t.as_array()
            .is_some_and(|t| !t.is_empty() && t.iter().all(|x| x.get("identity").is_some_and(Value::is_object)))
    });
    let objects_ok = ["meetingInfo", "chatInfo", "source", "callOptions"]
        .iter()
        .all(|k| body.get(*k).is_none_or(Value::is_object));
    let strings_ok = ["tenantId", "subject"].iter().all(|k| body.get(*k).is_none_or(Value::is_string));
    let someone = targets.is_some() || body.get("meetingInfo").is_some();
    if !(callback_ok && modalities_ok && media_ok && targets_ok && objects_ok && strings_ok && someone) {
        return error(400, "InvalidRequest", "A property has an invalid type or value");
    }
    let id = state.next("placed");
    state.calls.lock().unwrap().insert(
        id.clone(),
        Call {
            incoming: false,
            ended: false,
            callback: callback.clone(),
            tones: None,
            prefix: "communications".into(),
            outgoing: true,
            muted: false,
        },
    );
    let resource = format!("/communications/calls/{id}");
    state.notify(
        &callback,
        json!({"value": [item("updated", &resource, json!({"direction": "outgoing", "state": "established", "id": id,
            "callChainId": "chain-2", "@odata.type": "#microsoft.graph.call"}))], "@odata.type": "#microsoft.graph.commsNotifications"}),
    );
    let mut call = json!({"myParticipantId": "p_bot", "id": id, "callChainId": "chain-2", "tenantId": "contoso",
        "direction": "outgoing", "state": "establishing", "@odata.type": "#microsoft.graph.call"});
    for (k, v) in &body {
        if k != "@odata.type" {
            call[k] = v.clone();
        }
    }
    Resp {
        status: 201,
        headers: vec![("LOCATION", format!("https://calls.contoso.test/v1.0/communications/calls/{id}"))],
        body: Some(call),
    }
}

/// Its own reading of the request rules, written from CONTRACT.md without looking at the double.
fn validate(action: Option<&str>, raw: &[u8]) -> Result<serde_json::Map<String, Value>, Resp> {
    let bad = |m: &str| Err(error(400, "InvalidRequest", m));
    if action == Some("keepAlive") {
        // The page defines no body, so none is read.
        return Ok(serde_json::Map::new());
    }
    let Ok(Value::Object(body)) = serde_json::from_slice::<Value>(raw) else {
        return bad("Request body must be a JSON object");
    };
    let string_or_absent = |k: &str| body.get(k).is_none_or(Value::is_string);
    let recording_ok = || {
        let status_ok = matches!(
            body.get("status").and_then(Value::as_str),
            Some("notRecording" | "recording" | "failed")
        );
        let cc_ok = match body.get("clientContext") {
            None => true,
            Some(Value::String(c)) => c.chars().count() <= 256,
            Some(_) => false,
        };
        status_ok && cc_ok
    };
    let reject_ok = || {
        let reason_ok = body
            .get("reason")
            .is_none_or(|r| matches!(r.as_str(), Some("none" | "busy" | "forbidden")));
        reason_ok
            && body
                .get("callbackUri")
                .is_none_or(|c| c.as_str().is_some_and(|c| c.starts_with("https://")))
    };
    let answer_ok = || {
        let callback = body.get("callbackUri").and_then(Value::as_str).unwrap_or_default();
        let host = callback
            .strip_prefix("http://")
            .map(|r| r.split(['/', ':']).next().unwrap_or_default());
        let callback_ok =
            (callback.starts_with("https://") && callback.len() > 8) || host.is_some_and(|h| h == "localhost" || h.starts_with("127."));
        let modalities_ok = body.get("acceptedModalities").and_then(Value::as_array).is_some_and(|m| {
            !m.is_empty()
                && m.iter()
                    .all(|x| matches!(x.as_str(), Some("audio" | "video" | "videoBasedScreenSharing")))
        });
        let media_ok = matches!(
            body.get("mediaConfig").and_then(|m| m.get("@odata.type")).and_then(Value::as_str),
            Some("#microsoft.graph.appHostedMediaConfig" | "#microsoft.graph.serviceHostedMediaConfig")
        );
        let capacity_ok = body
            .get("participantCapacity")
            .is_none_or(|n| n.as_i64().is_some_and(|n| i32::try_from(n).is_ok()));
        let options_ok = body.get("callOptions").is_none_or(Value::is_object);
        callback_ok && modalities_ok && media_ok && capacity_ok && options_ok
    };
    let prompt_ok = || {
        let prompts_ok = body.get("prompts").and_then(Value::as_array).is_some_and(|p| {
            (1..=20).contains(&p.len())
                && p.iter()
                    .all(|x| x.get("@odata.type").and_then(Value::as_str) == Some("#microsoft.graph.mediaPrompt"))
        });
        let cc_ok = body
            .get("clientContext")
            .is_none_or(|c| c.as_str().is_some_and(|c| c.chars().count() <= 256));
        prompts_ok && cc_ok
    };
    let redirect_ok = || {
        let targets_ok = body
            .get("targets")
            .and_then(Value::as_array)
            .is_some_and(|t| (1..=25).contains(&t.len()) && t.iter().all(|x| x.get("identity").is_some_and(Value::is_object)));
        let timeout_ok = body
            .get("timeout")
            .is_none_or(|v| v.as_i64().is_some_and(|n| (15..=90).contains(&n)));
        let callback_ok = body.get("callbackUri").is_none_or(|c| {
            c.as_str().is_some_and(|c| {
                (c.starts_with("https://") && c.len() > 8) || c.starts_with("http://127.") || c.starts_with("http://localhost")
            })
        });
        targets_ok && timeout_ok && callback_ok
    };
    let ok = match action {
        Some("answer") => answer_ok(),
        Some("redirect") => redirect_ok(),
        Some("playPrompt") => prompt_ok(),
        Some("recordResponse") => {
            let prompts_ok = body.get("prompts").is_none_or(|p| p.as_array().is_some_and(|p| p.len() <= 1));
            let bools_ok = ["bargeInAllowed", "playBeep"]
                .iter()
                .all(|k| body.get(*k).is_none_or(Value::is_boolean));
            let secs_ok = [
                "initialSilenceTimeoutInSeconds",
                "maxSilenceTimeoutInSeconds",
                "maxRecordDurationInSeconds",
            ]
            .iter()
            .all(|k| body.get(*k).is_none_or(|v| v.as_i64().is_some_and(|n| (1..=120).contains(&n))));
            let tones_ok = body
                .get("stopTones")
                .is_none_or(|t| t.as_array().is_some_and(|a| a.iter().all(Value::is_string)));
            let cc_ok = body
                .get("clientContext")
                .is_none_or(|c| c.as_str().is_some_and(|c| c.chars().count() <= 256));
            prompts_ok && bools_ok && secs_ok && tones_ok && cc_ok
        }
        Some("sendDtmfTones") => {
            const KEYS: [&str; 17] = [
                "tone0", "tone1", "tone2", "tone3", "tone4", "tone5", "tone6", "tone7", "tone8", "tone9", "star", "pound", "a", "b", "c",
                "d", "flash",
            ];
            let tones_ok = body
                .get("tones")
                .and_then(Value::as_array)
                .is_some_and(|t| !t.is_empty() && t.iter().all(|x| x.as_str().is_some_and(|x| KEYS.contains(&x))));
            let delay_ok = body
                .get("delayBetweenTonesMs")
                .is_none_or(|d| d.as_i64().is_some_and(|d| i32::try_from(d).is_ok()));
            let cc_ok = body
                .get("clientContext")
                .is_none_or(|c| c.as_str().is_some_and(|c| c.chars().count() <= 256));
            tones_ok && delay_ok && cc_ok
        }
        Some("changeScreenSharingRole") => matches!(body.get("role").and_then(Value::as_str), Some("viewer" | "sharer")),
        Some("subscribeToTone" | "mute" | "unmute") => body
            .get("clientContext")
            .is_none_or(|c| c.as_str().is_some_and(|c| c.chars().count() <= 256)),
        Some("cancelMediaProcessing") => body.get("all").is_none_or(Value::is_boolean) && string_or_absent("clientContext"),
        Some("updateRecordingStatus") => recording_ok(),
        Some("reject") => reject_ok(),
        _ => true,
    };
    if !ok {
        return bad("A property has an invalid type or value");
    }
    Ok(body)
}

/// `POST /hooks/new-call/{id}/{stimulus}` (CONTRACT.md section 5): tone and hangup; join is not
/// offered (404), as a target may.
fn stimulate(state: &State, rest: &str, raw: &[u8]) -> Resp {
    let Some((call_id, kind)) = rest.split_once('/') else {
        return error(404, "itemNotFound", "no such stimulus");
    };
    let body: Value = serde_json::from_slice(raw).unwrap_or(Value::Null);
    let mut calls = state.calls.lock().unwrap();
    let Some(call) = calls.get_mut(call_id).filter(|c| !c.ended) else {
        return error(409, "Conflict", "no live call");
    };
    let resource = format!("/{}/calls/{call_id}", call.prefix);
    match kind {
        "tone" => {
            let Some(tone) = body["tone"].as_str().map(str::to_string) else {
                return error(400, "BadRequest", "tone");
            };
            if let Some(n) = call.tones.as_mut() {
                *n += 1;
                let data = json!({"toneInfo": {"tone": tone, "sequenceId": *n}, "state": "established", "id": call_id,
                    "direction": "incoming", "@odata.type": "#microsoft.graph.call"});
                state.notify(
                    &call.callback,
                    json!({"value": [item("updated", &resource, data)], "@odata.type": "#microsoft.graph.commsNotifications"}),
                );
            }
        }
        "hangup" => {
            call.ended = true;
            state.stop_media(call_id, &call.callback);
            let data = json!({"state": "terminated", "id": call_id, "@odata.type": "#microsoft.graph.call",
                "resultInfo": {"code": 200, "subcode": 4097, "message": "The remote end hung up."}});
            state.notify(
                &call.callback,
                json!({"value": [item("deleted", &resource, data)], "@odata.type": "#microsoft.graph.commsNotifications"}),
            );
        }
        _ => return error(404, "itemNotFound", "stimulus not offered"),
    }
    resp(202)
}

/// A 200 answer with an operation's `body` and the `Location` naming it, on a host of its own.
fn operation_answer(prefix: &str, call_id: &str, op: &str, body: Value) -> Resp {
    Resp {
        status: 200,
        headers: vec![(
            "LOCATION",
            format!("https://calls.contoso.test/v1.0/{prefix}/calls/{call_id}/operations/{op}"),
        )],
        body: Some(body),
    }
}

/// A current-dialect item that also carries the legacy `resource` field, as real services do.
/// The call's roster in this target's shape: the caller first, the bot (`p_bot`) after it, members
/// without `@odata.type`, a sequence number beside them.
fn roster(bot_muted: bool) -> Vec<Value> {
    let member = |id: &str, identity: Value, muted: bool| {
        json!({"isInLobby": false, "id": id, "rosterSequenceNumber": 3, "isMuted": muted,
            "info": {"identity": identity, "languageId": "en-US"}, "mediaStreams": []})
    };
    vec![
        member("p_caller", json!({"user": {"id": "u-1", "displayName": "Caller"}}), false),
        member("p_bot", json!({"application": {"id": "app", "displayName": null}}), bot_muted),
    ]
}

fn item(change: &str, resource: &str, data: Value) -> Value {
    json!({"resourceUrl": resource, "resource": resource, "changeType": change, "resourceData": data,
           "@odata.type": "#microsoft.graph.commsNotification", "tenantId": "contoso"})
}

fn provision(state: &State, req: &Req) -> Resp {
    let Ok(b) = serde_json::from_slice::<Value>(&req.body) else {
        return error(400, "BadRequest", "not JSON");
    };
    let (Some(st), Some(cb)) = (b["state"].as_str(), b["callbackUri"].as_str()) else {
        return error(400, "BadRequest", "state and callbackUri");
    };
    let id = state.next("call");
    let incoming = st == "incoming";
    state.calls.lock().unwrap().insert(
        id.clone(),
        Call {
            incoming,
            ended: false,
            callback: cb.to_string(),
            tones: None,
            prefix: "communications".into(),
            outgoing: false,
            muted: false,
        },
    );
    let resource = format!("/communications/calls/{id}");
    let data = if incoming {
        json!({"@odata.type": "#microsoft.graph.call", "state": "incoming", "direction": "incoming"})
    } else {
        json!({"@odata.type": "#microsoft.graph.call", "state": "established"})
    };
    state.notify(cb, json!({"@odata.type": "#microsoft.graph.commsNotifications", "value": [item(if incoming { "created" } else { "updated" }, &resource, data)]}));
    Resp {
        status: 201,
        headers: vec![],
        body: Some(json!({"state": st, "id": id, "tenantId": "contoso"})),
    }
}
