//! Where requests go: the implementation under test (or the double), reached over HTTP.
//!
//! Owns the HTTP client, the bearer token and the provisioning hook. Every answer is read with a
//! size cap and a deadline, and every error names the URL, never the token.

use std::fmt;
use std::path::Path;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::Semaphore;

use reqwest::header::{HeaderMap, HeaderName, HeaderValue};
use serde_json::{json, Value};

use super::secret::{redact, redact_header, Secret};
use crate::contract::stimulus::{Stimulus, StimulusAnswer};

/// Requests in flight to a target at once, unless `CONFORMANCE_CONCURRENCY` says otherwise: what a
/// staging service takes without throttling a test client.
pub const DEFAULT_CONCURRENCY: usize = 8;
/// The run's time for waiting out `Retry-After`, unless `CONFORMANCE_THROTTLE_BUDGET_MS` says otherwise.
pub const DEFAULT_THROTTLE_BUDGET: Duration = Duration::from_secs(60);

/// The most of a response body the suite reads; a target sending more has failed, not the suite.
pub const BODY_CAP: usize = 4 * 1024 * 1024;

/// A request as sent on the wire. `Debug` and `Display` redact the token.
#[derive(Clone)]
pub struct SentRequest {
    /// HTTP method.
    pub method: String,
    /// Absolute URL.
    pub url: String,
    /// Headers as sent (the token in `Authorization` is redacted only when displayed).
    pub headers: Vec<(String, String)>,
    /// The JSON body, if any.
    pub body: Option<Value>,
    /// Bytes sent instead of `body` (bodies that are not JSON, for bad-input cases).
    pub raw: Option<String>,
    /// Send the body chunked, without `Content-Length`, as a streaming service may.
    pub chunked: bool,
}

impl fmt::Debug for SentRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let headers: Vec<(String, String)> = self.headers.iter().map(|(k, v)| (k.clone(), redact_header(k, v))).collect();
        f.debug_struct("SentRequest")
            .field("method", &self.method)
            .field("url", &redact(&self.url))
            .field("headers", &headers)
            .field("body", &self.body.as_ref().map(|b| redact(&b.to_string())))
            .field("raw", &self.raw.as_deref().map(redact))
            .finish()
    }
}

impl fmt::Display for SentRequest {
    /// The request with its token redacted, as a failure message shows it.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "{} {}", self.method, redact(&self.url))?;
        for (k, v) in &self.headers {
            writeln!(f, "{k}: {}", redact_header(k, v))?;
        }
        match (&self.raw, &self.body) {
            (Some(raw), _) => write!(f, "{}", redact(raw)),
            (None, Some(b)) => write!(f, "{}", redact(&b.to_string())),
            (None, None) => Ok(()),
        }
    }
}

/// An answer as received.
#[derive(Debug, Clone)]
pub struct Observed {
    /// Status code.
    pub status: u16,
    /// Headers in arrival order, names lowercased.
    pub headers: Vec<(String, String)>,
    /// The body bytes (at most [`BODY_CAP`]).
    pub body: Vec<u8>,
    /// How many `429`/`503` answers with `Retry-After` came before this one, each waited out.
    pub throttled: u32,
}

impl Observed {
    /// The first value of header `name` (any case).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// The body as text for messages: lossy, redacted and cut at `max` characters.
    pub fn body_preview(&self, max: usize) -> String {
        preview(&self.body, max)
    }
}

impl fmt::Display for Observed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let reason = reqwest::StatusCode::from_u16(self.status)
            .ok()
            .and_then(|s| s.canonical_reason())
            .unwrap_or("");
        writeln!(f, "{} {reason}", self.status)?;
        for (k, v) in &self.headers {
            writeln!(f, "{k}: {}", redact_header(k, v))?;
        }
        if self.body.is_empty() {
            write!(f, "(empty body)")
        } else {
            write!(f, "{}", self.body_preview(2000))
        }
    }
}

/// Bytes as text for messages: lossy UTF-8, tokens redacted, cut at `max` characters.
pub fn preview(bytes: &[u8], max: usize) -> String {
    let text = redact(&String::from_utf8_lossy(bytes));
    if text.chars().count() > max {
        let cut: String = text.chars().take(max).collect();
        format!("{cut}… ({} bytes in all)", bytes.len())
    } else {
        text
    }
}

/// Why a request got no answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TransportError {
    /// Nothing answered within the per-request timeout.
    Timeout {
        /// The URL (redacted).
        url: String,
        /// The timeout.
        after: Duration,
    },
    /// The connection could not be made.
    Connect {
        /// The URL (redacted).
        url: String,
        /// Why.
        reason: String,
    },
    /// Anything else (a body over the cap, a connection closed mid-answer).
    Other {
        /// The URL (redacted).
        url: String,
        /// Why.
        reason: String,
    },
}

impl fmt::Display for TransportError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TransportError::Timeout { url, after } => {
                write!(f, "{url} did not answer within {} ms (CONFORMANCE_TIMEOUT_MS)", after.as_millis())
            }
            TransportError::Connect { url, reason } => write!(f, "cannot connect to {url}: {reason}"),
            TransportError::Other { url, reason } => write!(f, "{url}: {reason}"),
        }
    }
}

/// What went wrong on the way to `url`, said by its cause rather than reqwest's top line.
pub fn classify(url: &str, after: Duration, e: &reqwest::Error) -> TransportError {
    let url = redact(url);
    // A connect timeout is a timeout too, but the shorter one: saying "did not answer within the
    // request timeout" would send the reader after a slow handler when no connection was ever made.
    if e.is_timeout() && e.is_connect() {
        let reason = format!("no connection within {} ms (connect timeout)", connect_timeout(after).as_millis());
        return TransportError::Connect { url, reason };
    }
    if e.is_timeout() {
        return TransportError::Timeout { url, after };
    }
    // reqwest's top line is "error sending request for url (…)", repeating the URL: what helps is
    // the cause chain. A connection refused or unresolvable host is said by the innermost cause.
    let top = e.to_string();
    let mut causes = Vec::new();
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        causes.push(s.to_string());
        source = s.source();
    }
    let reason = if e.is_connect() {
        causes.last().cloned().unwrap_or(top)
    } else if top.starts_with("error sending request") && !causes.is_empty() {
        causes.join(": ")
    } else {
        std::iter::once(top).chain(causes).collect::<Vec<_>>().join(": ")
    };
    let reason = redact(&reason);
    if e.is_connect() {
        TransportError::Connect { url, reason }
    } else {
        TransportError::Other { url, reason }
    }
}

/// The implementation under test.
#[derive(Clone)]
pub struct Target {
    /// Base URL with the version segment, no trailing slash.
    pub base: String,
    /// The provisioning hook, if there is one.
    pub provision_url: Option<String>,
    /// The `{appId}` of the applications family.
    pub app_id: String,
    /// Per-request timeout.
    pub timeout: Duration,
    token: Secret,
    client: reqwest::Client,
    polite: Politeness,
}

/// What makes the suite a polite client (CONTRACT.md section 3): a bound on requests in flight, and
/// a target's `429`/`503` with `Retry-After` waited out while the run's budget lasts. Shared by the
/// clones of one target, so the bound and the budget are the run's.
#[derive(Clone, Debug)]
struct Politeness {
    in_flight: Arc<Semaphore>,
    budget_left_ms: Arc<AtomicU64>,
    budget_ms: u64,
    throttled: Arc<AtomicU64>,
    waited_ms: Arc<AtomicU64>,
    spent: Arc<AtomicBool>,
}

impl Politeness {
    fn new(concurrency: usize, budget: Duration) -> Politeness {
        let budget_ms = u64::try_from(budget.as_millis()).unwrap_or(u64::MAX);
        Politeness {
            in_flight: Arc::new(Semaphore::new(concurrency.max(1))),
            budget_left_ms: Arc::new(AtomicU64::new(budget_ms)),
            budget_ms,
            throttled: Arc::new(AtomicU64::new(0)),
            waited_ms: Arc::new(AtomicU64::new(0)),
            spent: Arc::new(AtomicBool::new(false)),
        }
    }

    /// How long to wait before sending again, when `obs` is a throttling answer and the budget
    /// still holds the wait (which is then taken from it).
    fn wait_for(&self, obs: &Observed) -> Option<Duration> {
        if !matches!(obs.status, 429 | 503) {
            return None;
        }
        let wait = retry_after(obs.header("retry-after")?)?;
        let ms = u64::try_from(wait.as_millis()).unwrap_or(u64::MAX);
        self.budget_left_ms
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |left| left.checked_sub(ms))
            .ok()?;
        self.throttled.fetch_add(1, Ordering::Relaxed);
        self.waited_ms.fetch_add(ms, Ordering::Relaxed);
        Some(wait)
    }
}

/// A `Retry-After` value: delay-seconds, or an HTTP date (RFC 9110 section 10.2.3).
fn retry_after(value: &str) -> Option<Duration> {
    let value = value.trim();
    if let Ok(seconds) = value.parse::<u64>() {
        return Some(Duration::from_secs(seconds));
    }
    let at = httpdate::parse_http_date(value).ok()?;
    Some(at.duration_since(std::time::SystemTime::now()).unwrap_or(Duration::ZERO))
}

/// What throttling cost a run so far.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Throttling {
    /// Answers `429`/`503` with `Retry-After` that were waited out.
    pub waited_out: u64,
    /// Milliseconds spent waiting.
    pub waited_ms: u64,
    /// The run's budget (`CONFORMANCE_THROTTLE_BUDGET_MS`).
    pub budget_ms: u64,
    /// Whether a throttling answer came that the budget could not hold (then judged as the answer).
    pub spent: bool,
}

impl Throttling {
    /// A note for reports, or `None` when the target never throttled.
    pub fn describe(&self) -> Option<String> {
        (self.waited_out > 0 || self.spent).then(|| {
            format!(
                "the target throttled: {} answer(s) 429/503 with Retry-After waited out, {} ms of the run's {} ms budget (CONFORMANCE_THROTTLE_BUDGET_MS){}",
                self.waited_out,
                self.waited_ms,
                self.budget_ms,
                if self.spent { "; the budget ran out, and later throttled answers were judged as they came" } else { "" }
            )
        })
    }
}

impl fmt::Debug for Target {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Target")
            .field("base", &self.base)
            .field("provision_url", &self.provision_url)
            .finish_non_exhaustive()
    }
}

/// How long making a connection may take: the request timeout, at most 5 s, so an unreachable
/// or firewalled host fails fast even under a generous `CONFORMANCE_TIMEOUT_MS`.
fn connect_timeout(timeout: Duration) -> Duration {
    timeout.min(Duration::from_secs(5))
}

/// Builds the client every request to a target goes through: no redirects followed (a redirect
/// is an answer to check, not to obey), bounded connect and total time, TLS verified against the
/// platform's roots plus, when given, a private CA bundle (`CONFORMANCE_CA_BUNDLE`). There is no
/// way to turn verification off.
pub fn http_client(timeout: Duration, ca_bundle: Option<&Path>) -> Result<reqwest::Client, String> {
    http_client_cased(timeout, ca_bundle, false)
}

/// What every client of the suite and its doubles starts from: ring as the crypto provider, no
/// redirects followed, a connect timeout of at most 5 s and `timeout` in all.
pub fn client_builder(timeout: Duration) -> reqwest::ClientBuilder {
    // One crypto provider per process; a second install attempt is refused, which is fine.
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .connect_timeout(connect_timeout(timeout))
        .timeout(timeout)
}

/// [`http_client`], writing HTTP/1 header names in Title-Case (`Content-Type`) rather than the
/// lower case hyper writes by default: the two spellings a service may use.
pub fn http_client_cased(timeout: Duration, ca_bundle: Option<&Path>, title_case: bool) -> Result<reqwest::Client, String> {
    let mut builder = client_builder(timeout);
    if title_case {
        builder = builder.http1_title_case_headers();
    }
    if let Some(path) = ca_bundle {
        let pem = std::fs::read(path).map_err(|e| format!("CONFORMANCE_CA_BUNDLE={}: cannot read it: {e}", path.display()))?;
        let certs = reqwest::Certificate::from_pem_bundle(&pem)
            .map_err(|e| format!("CONFORMANCE_CA_BUNDLE={}: not a PEM certificate bundle: {e}", path.display()))?;
        if certs.is_empty() {
            return Err(format!("CONFORMANCE_CA_BUNDLE={}: holds no certificate", path.display()));
        }
        builder = builder.tls_certs_merge(certs);
    }
    builder.build().map_err(|e| format!("cannot build the HTTP client: {e}"))
}

impl Target {
    /// A target at `base`, with the platform's TLS roots.
    pub fn new(base: &str, provision_url: Option<String>, token: Secret, app_id: &str, timeout: Duration) -> Result<Target, String> {
        Target::with_ca(base, provision_url, token, app_id, timeout, None)
    }

    /// A target at `base`, trusting `ca_bundle` besides the platform's roots.
    pub fn with_ca(
        base: &str,
        provision_url: Option<String>,
        token: Secret,
        app_id: &str,
        timeout: Duration,
        ca_bundle: Option<&Path>,
    ) -> Result<Target, String> {
        Ok(Target {
            base: base.trim_end_matches('/').to_string(),
            provision_url,
            app_id: app_id.to_string(),
            timeout,
            token,
            client: http_client(timeout, ca_bundle)?,
            polite: Politeness::new(DEFAULT_CONCURRENCY, DEFAULT_THROTTLE_BUDGET),
        })
    }

    /// The same target with at most `concurrency` requests in flight and `throttle_budget` to spend
    /// on waiting out `Retry-After` answers in the whole run.
    pub fn polite(mut self, concurrency: usize, throttle_budget: Duration) -> Target {
        self.polite = Politeness::new(concurrency, throttle_budget);
        self
    }

    /// What throttling has cost the run so far.
    pub fn throttling(&self) -> Throttling {
        let p = &self.polite;
        Throttling {
            waited_out: p.throttled.load(Ordering::Relaxed),
            waited_ms: p.waited_ms.load(Ordering::Relaxed),
            budget_ms: p.budget_ms,
            spent: p.spent.load(Ordering::Relaxed),
        }
    }

    /// The request for `method` on `path` (relative to the base) with an optional JSON body.
    pub fn request(&self, method: &str, path: &str, body: Option<Value>) -> SentRequest {
        let mut headers = vec![("Authorization".to_string(), format!("Bearer {}", self.token.expose()))];
        if body.is_some() {
            headers.push(("Content-Type".into(), "application/json".into()));
        }
        SentRequest {
            method: method.to_string(),
            url: format!("{}{}", self.base, path),
            headers,
            body,
            raw: None,
            chunked: false,
        }
    }

    /// Sends `req` and reads the answer, bounded by the timeout and [`BODY_CAP`], with at most the
    /// run's bound of requests in flight; a `429`/`503` with `Retry-After` is waited out and sent
    /// again while the run's throttle budget lasts, and the answer says how often.
    pub async fn send(&self, req: &SentRequest) -> Result<Observed, TransportError> {
        let mut throttled = 0;
        loop {
            let obs = {
                // The permit covers the exchange only, never a wait for notifications or a Retry-After.
                let _permit = self.polite.in_flight.acquire().await;
                send_with(&self.client, self.timeout, req).await?
            };
            match self.polite.wait_for(&obs) {
                Some(wait) => {
                    throttled += 1;
                    tokio::time::sleep(wait).await;
                }
                None => {
                    if matches!(obs.status, 429 | 503) && obs.header("retry-after").is_some() {
                        // The budget could not hold this wait: from now on the run's note says so.
                        self.polite.spent.store(true, Ordering::Relaxed);
                    }
                    return Ok(Observed { throttled, ..obs });
                }
            }
        }
    }

    /// Asks the provisioning hook for a call in `state` whose notifications go to `callback`.
    pub async fn provision(&self, state: &str, callback: &str) -> Result<String, String> {
        let url = self.provision_url.as_deref().ok_or_else(|| {
            "no provisioning hook: set CONFORMANCE_PROVISION_URL to the URL where the target creates calls for the suite (CONTRACT.md section 5)".to_string()
        })?;
        let req = SentRequest {
            method: "POST".into(),
            url: url.to_string(),
            headers: vec![
                ("Authorization".into(), format!("Bearer {}", self.token.expose())),
                ("Content-Type".into(), "application/json".into()),
            ],
            body: Some(json!({"state": state, "callbackUri": callback})),
            raw: None,
            chunked: false,
        };
        let obs = self
            .send(&req)
            .await
            .map_err(|e| format!("provisioning a {state} call failed: {e}"))?;
        if obs.status != 201 {
            return Err(format!(
                "provisioning a {state} call: the hook {} answered {} where CONTRACT.md section 5 says 201 Created; body: {}",
                redact(url),
                obs.status,
                obs.body_preview(500)
            ));
        }
        let body: Value = serde_json::from_slice(&obs.body).map_err(|e| {
            format!(
                "provisioning a {state} call: the hook's 201 body is not JSON ({e}): {}",
                obs.body_preview(500)
            )
        })?;
        body.get("id")
            .and_then(Value::as_str)
            .filter(|s| !s.is_empty())
            .map(str::to_string)
            .ok_or_else(|| {
                format!(
                    "provisioning a {state} call: the hook's 201 body has no string \"id\": {}",
                    obs.body_preview(500)
                )
            })
    }
}

impl Target {
    /// Asks the provisioning hook for `stimulus` on call `call_id` (CONTRACT.md section 5):
    /// `202` done, `404` not offered; anything else is an error saying what came.
    pub async fn stimulus(&self, call_id: &str, stimulus: &Stimulus) -> Result<StimulusAnswer, String> {
        let req = self.stimulus_request(call_id, stimulus)?;
        let obs = self
            .send(&req)
            .await
            .map_err(|e| format!("asking for the {} stimulus failed: {e}", stimulus.kind))?;
        stimulus_answer(stimulus, &req, &obs)
    }

    /// The request that asks the provisioning hook for `stimulus` on call `call_id`.
    pub fn stimulus_request(&self, call_id: &str, stimulus: &Stimulus) -> Result<SentRequest, String> {
        let hook = self.provision_url.as_deref().ok_or_else(|| {
            format!(
                "no provisioning hook to ask for the {} stimulus: set CONFORMANCE_PROVISION_URL (CONTRACT.md section 5)",
                stimulus.kind
            )
        })?;
        Ok(SentRequest {
            method: "POST".into(),
            url: format!("{}/{call_id}/{}", hook.trim_end_matches('/'), stimulus.kind),
            headers: vec![
                ("Authorization".into(), format!("Bearer {}", self.token.expose())),
                ("Content-Type".into(), "application/json".into()),
            ],
            body: Some(stimulus.body.clone()),
            raw: None,
            chunked: false,
        })
    }
}

/// What the hook's answer `obs` to `req` (asking for `stimulus`) came to.
pub fn stimulus_answer(stimulus: &Stimulus, req: &SentRequest, obs: &Observed) -> Result<StimulusAnswer, String> {
    match obs.status {
        202 => Ok(StimulusAnswer::Done),
        404 => Ok(StimulusAnswer::NotOffered),
        other => Err(format!(
            "asking for the {} stimulus: the hook {} answered {other} where CONTRACT.md section 5 says 202 (or 404 when not offered); body: {}",
            stimulus.kind,
            redact(&req.url),
            obs.body_preview(500)
        )),
    }
}

/// Sends `req` through `client` and reads the answer, bounded by `timeout` and [`BODY_CAP`].
pub async fn send_with(client: &reqwest::Client, timeout: Duration, req: &SentRequest) -> Result<Observed, TransportError> {
    let bad = |reason: String| TransportError::Other {
        url: redact(&req.url),
        reason,
    };
    let method = reqwest::Method::from_bytes(req.method.as_bytes()).map_err(|e| bad(e.to_string()))?;
    let mut headers = HeaderMap::new();
    for (k, v) in &req.headers {
        let name = HeaderName::from_bytes(k.as_bytes()).map_err(|e| bad(e.to_string()))?;
        let value = HeaderValue::from_str(v).map_err(|_| bad(format!("header {k} is not valid")))?;
        headers.append(name, value);
    }
    let mut builder = client.request(method, &req.url).headers(headers);
    let bytes = match (&req.raw, &req.body) {
        (Some(raw), _) => Some(raw.clone().into_bytes()),
        (None, Some(b)) => Some(b.to_string().into_bytes()),
        (None, None) => None,
    };
    match bytes {
        Some(bytes) if req.chunked => {
            // Two chunks of a stream of unknown length: reqwest sends Transfer-Encoding: chunked.
            let half = bytes.len() / 2;
            let chunks = vec![bytes[..half].to_vec(), bytes[half..].to_vec()];
            let stream = futures_util::stream::iter(chunks.into_iter().map(Ok::<_, std::io::Error>));
            builder = builder.body(reqwest::Body::wrap_stream(stream));
        }
        Some(bytes) => builder = builder.body(bytes),
        None => {}
    }
    let resp = builder.send().await.map_err(|e| classify(&req.url, timeout, &e))?;
    read_bounded(&req.url, timeout, resp).await
}

async fn read_bounded(url: &str, timeout: Duration, mut resp: reqwest::Response) -> Result<Observed, TransportError> {
    let status = resp.status().as_u16();
    let headers = resp
        .headers()
        .iter()
        .map(|(k, v)| (k.as_str().to_string(), String::from_utf8_lossy(v.as_bytes()).into_owned()))
        .collect();
    let mut body = Vec::new();
    while let Some(chunk) = resp.chunk().await.map_err(|e| classify(url, timeout, &e))? {
        if body.len() + chunk.len() > BODY_CAP {
            return Err(TransportError::Other {
                url: redact(url),
                reason: format!("the response body exceeds {} bytes; the suite stopped reading", BODY_CAP),
            });
        }
        body.extend_from_slice(&chunk);
    }
    Ok(Observed {
        status,
        headers,
        body,
        throttled: 0,
    })
}
