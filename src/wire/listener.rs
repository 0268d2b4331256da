//! The notification listener: where targets POST the notifications the suite waits for.
//!
//! One server for the whole run (one bind address, as `CONFORMANCE_CALLBACK_BIND` allows), with a
//! path per case: `{callback base}/callbacks/{n}-{case}`. Each path feeds its own inbox, so cases
//! run in parallel without hearing each other's notifications.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tokio::sync::Notify;
use wiremock::matchers::any;
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

/// One POST the listener heard.
#[derive(Debug, Clone)]
pub struct Heard {
    /// Arrival order within the inbox, from 1.
    pub seq: usize,
    /// HTTP method.
    pub method: String,
    /// Headers, names lowercased.
    pub headers: Vec<(String, String)>,
    /// The body bytes.
    pub body: Vec<u8>,
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

/// What one case's callback path has heard.
#[derive(Debug, Default)]
pub struct Inbox {
    heard: Mutex<Vec<Heard>>,
    arrived: Notify,
}

impl Inbox {
    fn push(&self, method: String, headers: Vec<(String, String)>, body: Vec<u8>) {
        let mut heard = self.heard.lock().unwrap_or_else(|e| e.into_inner());
        let seq = heard.len() + 1;
        heard.push(Heard {
            seq,
            method,
            headers,
            body,
        });
        drop(heard);
        self.arrived.notify_waiters();
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

type Inboxes = Arc<Mutex<HashMap<String, Arc<Inbox>>>>;

struct Collect {
    inboxes: Inboxes,
}

impl Respond for Collect {
    fn respond(&self, req: &Request) -> ResponseTemplate {
        // Behind a proxy or tunnel the advertised URL may carry a prefix; the key is what follows `/callbacks/`.
        let key = req
            .url
            .path()
            .rsplit_once("/callbacks/")
            .map(|(_, k)| k.to_string())
            .unwrap_or_default();
        let inbox = self.inboxes.lock().unwrap_or_else(|e| e.into_inner()).get(&key).cloned();
        match inbox {
            Some(inbox) => {
                let headers = req
                    .headers
                    .iter()
                    .map(|(k, v)| (k.as_str().to_string(), String::from_utf8_lossy(v.as_bytes()).into_owned()))
                    .collect();
                inbox.push(req.method.to_string(), headers, req.body.clone());
                ResponseTemplate::new(202)
            }
            None => ResponseTemplate::new(404),
        }
    }
}

/// The running listener.
pub struct Listener {
    server: MockServer,
    inboxes: Inboxes,
    advertised: String,
    counter: AtomicU64,
}

impl std::fmt::Debug for Listener {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Listener")
            .field("address", self.server.address())
            .field("advertised", &self.advertised)
            .finish()
    }
}

impl Listener {
    /// Binds `bind` and serves; `advertised` is the base URL targets are told (default: the bound address).
    pub async fn start(bind: SocketAddr, advertised: Option<&str>) -> Result<Listener, String> {
        let socket = std::net::TcpListener::bind(bind)
            .map_err(|e| format!("the notification listener cannot bind {bind} (CONFORMANCE_CALLBACK_BIND): {e}"))?;
        let server = MockServer::builder().listener(socket).disable_request_recording().start().await;
        let inboxes: Inboxes = Arc::default();
        Mock::given(any())
            .respond_with(Collect { inboxes: inboxes.clone() })
            .named("notification listener")
            .mount(&server)
            .await;
        let advertised = advertised
            .map(|a| a.trim_end_matches('/').to_string())
            .unwrap_or_else(|| server.uri());
        Ok(Listener {
            server,
            inboxes,
            advertised,
            counter: AtomicU64::new(0),
        })
    }

    /// Opens a fresh inbox for one case; returns the callback URL to give the target.
    pub fn open(&self, label: &str) -> (String, Arc<Inbox>) {
        let n = self.counter.fetch_add(1, Ordering::Relaxed) + 1;
        let clean: String = label
            .chars()
            .map(|c| if c.is_ascii_alphanumeric() || c == '-' { c } else { '-' })
            .collect();
        let key = format!("{n}-{clean}");
        let inbox = Arc::new(Inbox::default());
        self.inboxes
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(key.clone(), inbox.clone());
        (format!("{}/callbacks/{key}", self.advertised), inbox)
    }

    /// The base URL targets are told (the callback URLs are below it).
    pub fn advertised(&self) -> &str {
        &self.advertised
    }

    /// The address it is bound to.
    pub fn address(&self) -> SocketAddr {
        *self.server.address()
    }
}
