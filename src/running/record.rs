//! Recorded snapshot sets: a target's whole exchange, normalized only where a second run must
//! differ (its own ids, hosts, dates, request ids), so that `CONFORMANCE_SNAPSHOTS=NAME cargo test`
//! fails on any other change. The `docs` set pins only what the contract says must match
//! (`judging::rules::Walk`'s projection); a recorded set pins everything else too.

use serde_json::{json, Map, Value};

use crate::contract::status::{documented_member, is_operation};
use crate::judging::judge::CaseRun;
use crate::wire::secret::redact_header;

/// Response headers whose values differ on every run.
const VOLATILE_HEADERS: &[&str] = &[
    "date",
    "request-id",
    "client-request-id",
    "x-ms-ags-diagnostic",
    "content-length",
    "connection",
    "keep-alive",
];

/// Replaces this run's own identities in `text`: the call and operation ids (also in the legacy
/// dialect's upper-case, hyphen-less form), the hosts of the target and listener, and any other GUID.
pub fn normalize_text(text: &str, call_id: &str, operation_id: Option<&str>, hosts: &[String]) -> String {
    let mut out = text.to_string();
    for host in hosts.iter().filter(|h| !h.is_empty()) {
        out = out.replace(host.as_str(), "[host]");
    }
    let mut ids = vec![(call_id.to_string(), "[call-id]")];
    if let Some(op) = operation_id {
        ids.push((op.to_string(), "[operation-id]"));
    }
    for (id, placeholder) in ids {
        if id.is_empty() {
            continue;
        }
        out = out.replace(&id, placeholder);
        let legacy = id.replace('-', "").to_uppercase();
        if legacy != id && legacy.len() >= 8 {
            out = out.replace(&legacy, placeholder);
        }
    }
    redact_guids(&redact_inboxes(&out))
}

/// The listener's inbox paths (`/callbacks/{n}-{label}-{random}`, in a callbackUri the suite sent)
/// differ every run: `/callbacks/[inbox]`.
fn redact_inboxes(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find("/callbacks/") {
        out.push_str(&rest[..at]);
        out.push_str("/callbacks/[inbox]");
        let after = &rest[at + "/callbacks/".len()..];
        let end = after
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '-'))
            .unwrap_or(after.len());
        rest = &after[end..];
    }
    out.push_str(rest);
    out
}

/// Any remaining GUID (request ids, other generated ids) becomes `[guid]`.
fn redact_guids(text: &str) -> String {
    let bytes = text.as_bytes();
    let shape = [8, 4, 4, 4, 12];
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    'scan: while i < bytes.len() {
        let mut j = i;
        for (n, len) in shape.iter().enumerate() {
            if j + len > bytes.len() || !bytes[j..j + len].iter().all(u8::is_ascii_hexdigit) {
                out.push(text[i..].chars().next().unwrap_or_default());
                i += text[i..].chars().next().map_or(1, char::len_utf8);
                continue 'scan;
            }
            j += len;
            if n < 4 {
                if bytes.get(j) != Some(&b'-') {
                    out.push(text[i..].chars().next().unwrap_or_default());
                    i += text[i..].chars().next().map_or(1, char::len_utf8);
                    continue 'scan;
                }
                j += 1;
            }
        }
        out.push_str("[guid]");
        i = j;
    }
    out
}

fn normalize_value(v: &Value, call_id: &str, op: Option<&str>, hosts: &[String]) -> Value {
    match v {
        Value::String(s) => Value::String(normalize_text(s, call_id, op, hosts)),
        Value::Array(a) => Value::Array(a.iter().map(|x| normalize_value(x, call_id, op, hosts)).collect()),
        Value::Object(m) => Value::Object(
            m.iter()
                .map(|(k, x)| match (k.as_str(), x.as_str().and_then(documented_member)) {
                    // Either spelling of an operation's status is the same value (CONTRACT.md
                    // section 4): a target that changes spelling has not changed its answer.
                    ("status", Some(member)) if is_operation(m) => (k.clone(), json!(member)),
                    // An entity tag is the service's to make up, and the double counts them up.
                    ("@odata.etag", _) => (k.clone(), json!("[etag]")),
                    _ => (normalize_text(k, call_id, op, hosts), normalize_value(x, call_id, op, hosts)),
                })
                .collect(),
        ),
        other => other.clone(),
    }
}

/// The whole exchange of `run`, normalized for a recorded set. `hosts` are the `host:port`s that
/// differ between runs (the target's and the listener's). `None` when the case could not run.
pub fn full_projection(run: &CaseRun, hosts: &[String]) -> Option<Value> {
    let (req, resp, call_id) = (run.request.as_ref()?, run.response.as_ref()?, run.call_id.as_deref()?);
    let op = resp
        .header("location")
        .and_then(|l| crate::judging::rules::location_operation(l, call_id).ok());
    let op = op.as_deref();
    let norm = |s: &str| normalize_text(s, call_id, op, hosts);
    let mut req_headers = Map::new();
    for (k, v) in &req.headers {
        req_headers.insert(k.to_ascii_lowercase(), json!(norm(&redact_header(k, v))));
    }
    let mut resp_headers = Map::new();
    for (k, v) in &resp.headers {
        let k = k.to_ascii_lowercase();
        let value = if VOLATILE_HEADERS.contains(&k.as_str()) {
            json!("[varies]")
        } else {
            json!(norm(v))
        };
        resp_headers.insert(k, value);
    }
    let body = match serde_json::from_slice::<Value>(&resp.body) {
        Ok(v) => normalize_value(&v, call_id, op, hosts),
        Err(_) if resp.body.is_empty() => Value::Null,
        Err(_) => json!(norm(&String::from_utf8_lossy(&resp.body))),
    };
    // Only the notifications the case expects, in arrival order: unexpected extras may or may not
    // have arrived by the time the case stopped listening, and a snapshot must not depend on that.
    let expected: Vec<Value> = run
        .projection
        .get("notifications")
        .and_then(Value::as_array)
        .map(|a| a.iter().filter_map(|n| n.pointer("/changeType").cloned()).collect())
        .unwrap_or_default();
    let names_call = |item: &Value| {
        let resource = item
            .get("resourceUrl")
            .or_else(|| item.get("resource"))
            .and_then(Value::as_str)
            .unwrap_or_default();
        resource.contains(call_id) || resource.contains(&call_id.replace('-', "").to_uppercase())
    };
    let notifications: Vec<Value> = run
        .heard
        .iter()
        .filter_map(|h| serde_json::from_slice::<Value>(&h.body).ok())
        .flat_map(|body| body.get("value").and_then(Value::as_array).cloned().unwrap_or_default())
        .filter(|item| item.get("changeType").is_some_and(|c| expected.contains(c)) && names_call(item))
        .map(|item| normalize_value(&item, call_id, op, hosts))
        .collect();
    Some(json!({
        "request": {"method": req.method, "url": norm(&req.url), "headers": req_headers, "body": req.body.as_ref().map(|b| normalize_value(b, call_id, op, hosts))},
        "response": {"status": resp.status, "headers": resp_headers, "body": body},
        "notifications": notifications,
    }))
}
