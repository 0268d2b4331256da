//! The notification listener: where targets POST the notifications the suite waits for.
//!
//! One server for the whole run (one bind address, as `CONFORMANCE_CALLBACK_BIND` allows), with a
//! path per case: `{callback base}/callbacks/{n}-{case}-{32 hex digits}`. Each path feeds its own
//! inbox, so cases run in parallel without hearing each other's notifications; the random part
//! (128 bits from the operating system's generator) makes an inbox unguessable, so whoever can reach
//! an exposed listener cannot put notifications into a running case.
//!
//! It is a server anyone on the network may talk to, so everything it keeps is bounded (`Limits`):
//! a notification's size, the time a sender may take over its headers and its body, the open
//! connections, the notifications kept per inbox and the bytes kept in all. What it refuses is kept
//! as a refused delivery in the inbox that was meant, so the case that owns it says what happened;
//! POSTs to paths that are no inbox are refused and counted.

use std::collections::{BTreeMap, HashMap};
use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use http_body_util::{BodyExt, Full, Limited};
use hyper::body::{Bytes, Incoming};
use hyper::{Request, Response, StatusCode};
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::sync::{Notify, Semaphore};

use super::target::BODY_CAP;

/// One POST the listener heard (or refused, for an inbox that exists).
#[derive(Debug, Clone)]
pub struct Heard {
    /// Arrival order within the inbox, from 1.
    pub seq: usize,
    /// HTTP method.
    pub method: String,
    /// Headers, names lowercased.
    pub headers: Vec<(String, String)>,
    /// The body bytes (none when refused).
    pub body: Vec<u8>,
    /// Why the listener refused it, when it did: the case that owns the inbox fails with this.
    pub refused: Option<String>,
}

impl Heard {
    /// The first value of header `name` (any case).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// What the listener keeps and how long it waits: every resource a sender can make it spend.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// The largest notification body read; past it, `413` (the same cap as answers).
    pub body_bytes: usize,
    /// How long a sender may take over its request headers, and how long an idle kept-alive
    /// connection is kept.
    pub header_time: Duration,
    /// How long a sender may take over its body.
    pub body_time: Duration,
    /// Open connections at once; past it, new ones wait to be accepted.
    pub connections: usize,
    /// Deliveries kept per inbox (heard or refused); past it, `429` and one refusal saying so.
    pub per_inbox: usize,
    /// Body bytes kept in all inboxes together; past it, `507`.
    pub total_bytes: usize,
    /// Distinct stray paths remembered (their count is always kept).
    pub stray_paths: usize,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            body_bytes: BODY_CAP,
            header_time: Duration::from_secs(10),
            body_time: Duration::from_secs(10),
            // Kept-alive connections hold a slot while idle (10 s at most): with 256, a run of 80 programs
            // of three calls each, every sender with its own pool, could leave notifications waiting for one.
            connections: 1024,
            per_inbox: 256,
            total_bytes: 256 * 1024 * 1024,
            stray_paths: 32,
        }
    }
}

/// What one case's callback path has heard.
#[derive(Debug, Default)]
pub struct Inbox {
    heard: Mutex<Vec<Heard>>,
    arrived: Notify,
    callback: String,
}

impl Inbox {
    /// The callback URL that delivers here.
    pub fn callback(&self) -> &str {
        &self.callback
    }

    /// Keeps a delivery, unless the inbox is full: then the first delivery past the limit is kept as
    /// a refusal saying so, and later ones are not kept at all. Returns whether `body` was kept.
    fn push(&self, limit: usize, method: String, headers: Vec<(String, String)>, body: Vec<u8>, refused: Option<String>) -> bool {
        let mut heard = self.heard.lock().unwrap_or_else(|e| e.into_inner());
        let seq = heard.len() + 1;
        let (body, refused, kept) = match heard.len() {
            n if n < limit => (body, refused, true),
            n if n == limit => (
                Vec::new(),
                Some(format!(
                    "more than {limit} notifications for one case: this one and every later one were refused (429)"
                )),
                false,
            ),
            _ => return false,
        };
        heard.push(Heard {
            seq,
            method,
            headers,
            body,
            refused,
        });
        drop(heard);
        self.arrived.notify_waiters();
        kept
    }

    fn is_full(&self, limit: usize) -> bool {
        self.heard.lock().unwrap_or_else(|e| e.into_inner()).len() >= limit
    }

    /// Everything heard so far.
    pub fn snapshot(&self) -> Vec<Heard> {
        self.heard.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }

    /// Waits until `done` holds for what has been heard, or `timeout` passes; returns what was heard.
    pub async fn wait_until(&self, timeout: Duration, done: impl Fn(&[Heard]) -> bool) -> Vec<Heard> {
        let deadline = Instant::now() + timeout;
        loop {
            // Register interest before looking, so an arrival between the look and the wait is not lost.
            let arrived = self.arrived.notified();
            tokio::pin!(arrived);
            arrived.as_mut().enable();
            let heard = self.snapshot();
            let left = deadline.saturating_duration_since(Instant::now());
            if done(&heard) || left.is_zero() {
                return heard;
            }
            let _ = tokio::time::timeout(left, arrived).await;
        }
    }
}

/// POSTs to paths that are no inbox: how many, and the first few paths with their counts.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Strays {
    /// How many came.
    pub count: usize,
    /// Their paths (the first `Limits::stray_paths` distinct ones), with how many came to each.
    pub paths: BTreeMap<String, usize>,
}

impl Strays {
    /// One line for messages, or `None` when none came.
    pub fn describe(&self) -> Option<String> {
        (self.count > 0).then(|| {
            let paths: Vec<String> = self.paths.iter().map(|(p, n)| format!("{p} ({n})")).collect();
            format!(
                "the listener refused {} POST(s) to paths that are no case's inbox (a target notifying a fixed path instead of the callbackUri it was given?): {}",
                self.count,
                paths.join(", ")
            )
        })
    }
}

/// What the server shares between connections.
#[derive(Debug)]
struct Shared {
    limits: Limits,
    inboxes: Mutex<HashMap<String, Arc<Inbox>>>,
    kept_bytes: AtomicUsize,
    strays: Mutex<Strays>,
}

impl Shared {
    fn inbox(&self, key: &str) -> Option<Arc<Inbox>> {
        self.inboxes.lock().unwrap_or_else(|e| e.into_inner()).get(key).cloned()
    }

    fn stray(&self, path: &str) {
        let mut strays = self.strays.lock().unwrap_or_else(|e| e.into_inner());
        strays.count += 1;
        let shown: String = path.chars().take(120).collect();
        if strays.paths.contains_key(&shown) || strays.paths.len() < self.limits.stray_paths {
            *strays.paths.entry(shown).or_default() += 1;
        }
    }
}

fn answer(status: StatusCode) -> Response<Full<Bytes>> {
    let mut r = Response::new(Full::new(Bytes::new()));
    *r.status_mut() = status;
    r
}

/// The refusal of a body past `cap`.
fn too_large(cap: usize) -> (StatusCode, String) {
    let mib = cap as f64 / (1024.0 * 1024.0);
    (
        StatusCode::PAYLOAD_TOO_LARGE,
        format!("a notification of more than {mib} MiB ({cap} bytes) was refused (413)"),
    )
}

/// Reads a body of at most `cap` bytes within `time`: the bytes, or why not.
async fn read_body(body: Incoming, cap: usize, time: Duration) -> Result<Vec<u8>, (StatusCode, String)> {
    match tokio::time::timeout(time, Limited::new(body, cap).collect()).await {
        Ok(Ok(collected)) => Ok(collected.to_bytes().to_vec()),
        Ok(Err(e)) if e.is::<http_body_util::LengthLimitError>() => Err(too_large(cap)),
        Ok(Err(e)) => Err((StatusCode::BAD_REQUEST, format!("a notification's body could not be read: {e}"))),
        Err(_) => Err((
            StatusCode::REQUEST_TIMEOUT,
            format!(
                "a notification's body took more than {} ms to arrive and was refused (408)",
                time.as_millis()
            ),
        )),
    }
}

/// One request: into the inbox its path names, within the limits.
async fn handle(shared: Arc<Shared>, req: Request<Incoming>) -> Result<Response<Full<Bytes>>, Infallible> {
    // Behind a proxy or tunnel the advertised URL may carry a prefix; the key is what follows `/callbacks/`.
    let path = req.uri().path().to_string();
    let key = path.rsplit_once("/callbacks/").map(|(_, k)| k).unwrap_or_default();
    let Some(inbox) = shared.inbox(key) else {
        shared.stray(&path);
        return Ok(answer(StatusCode::NOT_FOUND));
    };
    let limits = shared.limits;
    if inbox.is_full(limits.per_inbox) {
        inbox.push(limits.per_inbox, req.method().to_string(), Vec::new(), Vec::new(), None);
        return Ok(answer(StatusCode::TOO_MANY_REQUESTS));
    }
    let method = req.method().to_string();
    let headers: Vec<(String, String)> = req
        .headers()
        .iter()
        .map(|(k, v)| (k.as_str().to_string(), String::from_utf8_lossy(v.as_bytes()).into_owned()))
        .collect();
    // A declared length past the cap is refused before a byte of the body is read.
    let declared = req
        .headers()
        .get(hyper::header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    let read = match declared {
        Some(n) if n > limits.body_bytes as u64 => Err(too_large(limits.body_bytes)),
        _ => read_body(req.into_body(), limits.body_bytes, limits.body_time).await,
    };
    let (status, body, refused) = match read {
        Err((status, why)) => (status, Vec::new(), Some(why)),
        Ok(body) => {
            let total = shared.kept_bytes.fetch_add(body.len(), Ordering::Relaxed) + body.len();
            if total > limits.total_bytes {
                shared.kept_bytes.fetch_sub(body.len(), Ordering::Relaxed);
                let why = format!(
                    "the listener keeps at most {} MiB of notifications in all; this one was refused (507)",
                    limits.total_bytes / (1024 * 1024)
                );
                (StatusCode::INSUFFICIENT_STORAGE, Vec::new(), Some(why))
            } else {
                (StatusCode::ACCEPTED, body, None)
            }
        }
    };
    let size = body.len();
    if !inbox.push(limits.per_inbox, method, headers, body, refused) {
        shared.kept_bytes.fetch_sub(size, Ordering::Relaxed);
    }
    Ok(answer(status))
}

/// Accepts connections for ever, at most `limits.connections` open at once: past it, it stops
/// accepting until one closes, so further senders wait in the kernel's bounded backlog (and their
/// own connect timeouts) instead of costing the suite a file descriptor each.
async fn serve(listener: tokio::net::TcpListener, shared: Arc<Shared>) {
    let open = Arc::new(Semaphore::new(shared.limits.connections));
    let header_time = shared.limits.header_time;
    loop {
        let Ok(permit) = open.clone().acquire_owned().await else { return };
        let stream = match listener.accept().await {
            Ok((stream, _)) => stream,
            // Out of file descriptors, say: wait a moment rather than spin.
            Err(_) => {
                tokio::time::sleep(Duration::from_millis(50)).await;
                continue;
            }
        };
        let shared = shared.clone();
        tokio::spawn(async move {
            let service = hyper::service::service_fn(move |req| handle(shared.clone(), req));
            // Kept alive, as services' senders expect: a connection per notification made a whole
            // run open some 25,000 connections, bursts of which overflowed the accept queue, and the
            // kernel's SYN retries (1 s, then 3 s) delivered notifications after the wait. An idle
            // connection is closed after `header_time` (hyper's header timer runs while idle), so it
            // holds its slot of the limit for that long at most.
            let _ = hyper::server::conn::http1::Builder::new()
                .timer(TokioTimer::new())
                .keep_alive(true)
                .header_read_timeout(header_time)
                .serve_connection(TokioIo::new(stream), service)
                .await;
            drop(permit);
        });
    }
}

/// 128 bits from the operating system's generator, as 32 hex digits.
fn unguessable() -> String {
    use ring::rand::SecureRandom;
    let mut bytes = [0u8; 16];
    // The system generator failing is the machine failing; an inbox path must not become guessable.
    ring::rand::SystemRandom::new()
        .fill(&mut bytes)
        .expect("the operating system's random generator");
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The running listener.
pub struct Listener {
    shared: Arc<Shared>,
    address: SocketAddr,
    advertised: String,
    counter: AtomicU64,
}

impl std::fmt::Debug for Listener {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Listener")
            .field("address", &self.address)
            .field("advertised", &self.advertised)
            .finish()
    }
}

impl Listener {
    /// Binds `bind` and serves; `advertised` is the base URL targets are told (default: the bound address).
    pub async fn start(bind: SocketAddr, advertised: Option<&str>) -> Result<Listener, String> {
        Listener::with_limits(bind, advertised, Limits::default()).await
    }

    /// [`Listener::start`] with other limits.
    pub async fn with_limits(bind: SocketAddr, advertised: Option<&str>, limits: Limits) -> Result<Listener, String> {
        let cannot = |e: std::io::Error| format!("the notification listener cannot bind {bind} (CONFORMANCE_CALLBACK_BIND): {e}");
        let socket = super::bind::listen(bind).map_err(cannot)?;
        let address = socket.local_addr().map_err(cannot)?;
        let listener = tokio::net::TcpListener::from_std(socket).map_err(cannot)?;
        let shared = Arc::new(Shared {
            limits,
            inboxes: Mutex::default(),
            kept_bytes: AtomicUsize::new(0),
            strays: Mutex::default(),
        });
        tokio::spawn(serve(listener, shared.clone()));
        let advertised = advertised
            .map(|a| a.trim_end_matches('/').to_string())
            .unwrap_or_else(|| format!("http://{address}"));
        Ok(Listener {
            shared,
            address,
            advertised,
            counter: AtomicU64::new(0),
        })
    }

    /// Opens a fresh inbox for one case; returns the callback URL to give the target. The path
    /// carries the case's label for logs and 128 random bits, so no one can guess it.
    pub fn open(&self, label: &str) -> (String, Arc<Inbox>) {
        let n = self.counter.fetch_add(1, Ordering::Relaxed) + 1;
        let clean: String = label
            .chars()
            .take(80)
            .map(|c| if c.is_ascii_alphanumeric() || c == '-' { c } else { '-' })
            .collect();
        let key = format!("{n}-{clean}-{}", unguessable());
        let callback = format!("{}/callbacks/{key}", self.advertised);
        let inbox = Arc::new(Inbox {
            callback: callback.clone(),
            ..Inbox::default()
        });
        self.shared
            .inboxes
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(key, inbox.clone());
        (callback, inbox)
    }

    /// The base URL targets are told (the callback URLs are below it).
    pub fn advertised(&self) -> &str {
        &self.advertised
    }

    /// The address it is bound to.
    pub fn address(&self) -> SocketAddr {
        self.address
    }

    /// The POSTs to paths that are no inbox, so far.
    pub fn strays(&self) -> Strays {
        self.shared.strays.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }

    /// The body bytes kept in all inboxes.
    pub fn kept_bytes(&self) -> usize {
        self.shared.kept_bytes.load(Ordering::Relaxed)
    }
}
