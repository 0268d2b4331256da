//! The double's sender: it delivers the notifications an exchange causes, as a service does, and
//! keeps account of what it has still to deliver.
//!
//! The account is what lets the suite's waits end on evidence instead of on a clock when it runs
//! against the double: a wait that ran out while the double was still sending to that callback
//! something it meant to be on time goes on until the double has delivered it or given up
//! (`running::embedded::Env::hear`). A loaded machine then costs time, never a verdict; a
//! notification the double means to be late (a fault's deliberate delay past the wait) is not
//! waited for, so lateness faults are still caught.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, AtomicU8, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::Value;
use tokio::sync::{mpsc, Notify};
use tokio::time::Instant;

use super::faults::Fault;

/// The bearer token the double puts on the notifications it sends (not a user secret).
pub const NOTIFICATION_TOKEN: &str = "double-notification-token";

/// A batch of notifications for one callback, delivered in order.
#[derive(Debug)]
struct Outgoing {
    /// The account's ticket for it.
    ticket: u64,
    callback: String,
    bodies: Vec<Value>,
    delay: std::time::Duration,
    fault: Option<Fault>,
    /// Its handle: taken back, it does not go out.
    withdrawable: Withdrawable,
    /// A batch that must have gone out (or been taken back) before this one goes: one call's media
    /// completions, in the order accepted, however the runtime schedules their timers.
    after: Option<Withdrawable>,
}

/// A batch the double may take back until it starts going out: a media operation's completion,
/// which a cancel or the call's end takes back while the prompt still plays.
#[derive(Debug, Clone)]
pub(super) struct Withdrawable {
    /// `WAITING`, `SENDING`, `WITHDRAWN` or `OVER`.
    state: Arc<AtomicU8>,
    /// Told when it is withdrawn or has gone out.
    over: Arc<Notify>,
    ticket: u64,
    in_flight: Arc<InFlight>,
}

const WAITING: u8 = 0;
const SENDING: u8 = 1;
const WITHDRAWN: u8 = 2;
const OVER: u8 = 3;

impl Withdrawable {
    /// Takes the batch back; whether it was still waiting (`false`: it is going out or has gone).
    /// A batch taken back is no longer owed: no wait waits for it.
    pub(super) fn withdraw(&self) -> bool {
        let taken = self
            .state
            .compare_exchange(WAITING, WITHDRAWN, Ordering::AcqRel, Ordering::Acquire)
            .is_ok();
        if taken {
            self.in_flight.close(self.ticket);
            self.over.notify_waiters();
        }
        taken
    }

    /// Waits until it has been withdrawn or has gone out.
    async fn finished(&self) {
        loop {
            let over = self.over.notified();
            tokio::pin!(over);
            over.as_mut().enable();
            if matches!(self.state.load(Ordering::Acquire), WITHDRAWN | OVER) {
                return;
            }
            over.await;
        }
    }

    /// Marks it gone out.
    fn done(&self) {
        self.state.store(OVER, Ordering::Release);
        self.over.notify_waiters();
    }

    /// Whether it has not finished yet: waiting, or going out (its delivery may still be retrying).
    pub(super) fn pending(&self) -> bool {
        matches!(self.state.load(Ordering::Acquire), WAITING | SENDING)
    }

    /// Whether it is still waiting to go out.
    pub(super) fn waiting(&self) -> bool {
        self.state.load(Ordering::Acquire) == WAITING
    }

    /// Marks it going out; whether it had not been taken back.
    fn start(&self) -> bool {
        self.state
            .compare_exchange(WAITING, SENDING, Ordering::AcqRel, Ordering::Acquire)
            .is_ok()
    }
}

/// How the double delivers a notification, as a service does: a connection pool kept alive, and a
/// delivery that fails on the way (no connection, a connection closed under it, a 502/503/504) tried
/// again after a pause, a bounded number of times, each failure logged on standard error. A callback's
/// own answer (a 4xx from a bot that refuses it) is final: the bot has spoken.
const DELIVERY_PAUSES: [std::time::Duration; 3] = [
    std::time::Duration::from_millis(100),
    std::time::Duration::from_millis(300),
    std::time::Duration::from_millis(900),
];

/// The client the dispatcher sends with. Its idle connections close after 2 s, sooner than the
/// suite's listener closes them (10 s), so a notification never goes out on a connection the other
/// side is closing; a burst leaves at most 32 of them open per callback host.
fn delivery_client() -> Result<reqwest::Client, String> {
    crate::wire::target::client_builder(std::time::Duration::from_secs(10))
        .pool_idle_timeout(std::time::Duration::from_secs(2))
        .pool_max_idle_per_host(32)
        .build()
        .map_err(|e| format!("cannot build the double's notification client: {e}"))
}

async fn dispatch(mut rx: mpsc::UnboundedReceiver<Outgoing>, log: bool, undelivered: Arc<AtomicU64>, in_flight: Arc<InFlight>) {
    let client = match delivery_client() {
        Ok(c) => c,
        Err(e) => {
            crate::wire::log::line(format_args!("double: {e}; no notification will be sent"));
            while let Some(out) = rx.recv().await {
                in_flight.close(out.ticket);
            }
            return;
        }
    };
    while let Some(mut out) = rx.recv().await {
        let (client, undelivered, in_flight) = (client.clone(), undelivered.clone(), in_flight.clone());
        tokio::spawn(async move {
            // Closed however the task ends, so no wait is held up by a batch no one is sending.
            let _closing = Closing(&in_flight, out.ticket);
            if !out.delay.is_zero() {
                tokio::time::sleep(out.delay).await;
            }
            if let Some(before) = out.after.take() {
                before.finished().await;
            }
            if !out.withdrawable.start() {
                return;
            }
            // In order, each after the last was answered: the order of one operation's notifications.
            for body in std::mem::take(&mut out.bodies) {
                let body = faulty_body(out.fault, body);
                if !deliver(&client, &out, &body, log).await {
                    undelivered.fetch_add(1, Ordering::Relaxed);
                }
            }
            out.withdrawable.done();
        });
    }
}

/// What a notification's body becomes under a fault of the notification class.
fn faulty_body(fault: Option<Fault>, body: Value) -> Value {
    match fault {
        Some(Fault::NotificationsBareItem) => body.pointer("/value/0").cloned().unwrap_or(body),
        Some(Fault::NotificationsOversized) => {
            let mut body = body;
            if let Some(map) = body.as_object_mut() {
                // 5 MiB of what a service that embeds a media dump or a log might send.
                map.insert("diagnostics".into(), Value::String("x".repeat(5 * 1024 * 1024)));
            }
            body
        }
        _ => body,
    }
}

/// Whether `url` names a host under `.invalid`, which RFC 6761 reserves as never resolving: the
/// double does not look it up (a lookup is traffic to a name server) and does not send to it.
fn is_reserved_invalid(url: &str) -> bool {
    reqwest::Url::parse(url)
        .ok()
        .and_then(|u| u.host_str().map(|h| h.trim_end_matches('.').to_ascii_lowercase()))
        .is_some_and(|h| h == "invalid" || h.ends_with(".invalid"))
}

/// Delivers one notification, retrying what failed on the way; returns whether the callback took it
/// (any answer of the callback's own counts as delivered, refusals included).
async fn deliver(client: &reqwest::Client, out: &Outgoing, body: &Value, log: bool) -> bool {
    let change = body
        .pointer("/value/0/changeType")
        .or_else(|| body.pointer("/changeType"))
        .and_then(Value::as_str)
        .unwrap_or("?");
    if is_reserved_invalid(&out.callback) {
        if log {
            crate::wire::log::line(format_args!(
                "double: notification {change} to {} not sent: .invalid never resolves (RFC 6761)",
                out.callback
            ));
        }
        return true;
    }
    let ct = if out.fault == Some(Fault::NotificationsTextPlain) {
        "text/plain"
    } else {
        "application/json"
    };
    let text = body.to_string();
    for attempt in 0..=DELIVERY_PAUSES.len() {
        let mut post = client.post(&out.callback).header("Content-Type", ct).body(text.clone());
        if out.fault != Some(Fault::NotificationsWithoutAuth) {
            post = post.bearer_auth(NOTIFICATION_TOKEN);
        }
        if log {
            crate::wire::log::line(format_args!("double: notification {change} -> {}", out.callback));
        }
        let (failure, again) = match post.send().await {
            Ok(r) if matches!(r.status().as_u16(), 502..=504) => (format!("answered {}", r.status()), true),
            Ok(_) => return true,
            // A callback that takes longer than the timeout has it; sending again would only repeat the wait.
            Err(e) => {
                let why = crate::wire::target::classify(&out.callback, std::time::Duration::from_secs(10), &e);
                (why.to_string(), !e.is_timeout())
            }
        };
        let Some(pause) = DELIVERY_PAUSES.get(attempt).filter(|_| again) else {
            crate::wire::log::line(format_args!(
                "double: notification {change} to {} NOT delivered after {} attempt(s): {failure}",
                out.callback,
                attempt + 1
            ));
            return false;
        };
        crate::wire::log::line(format_args!(
            "double: notification {change} to {}: attempt {} failed ({failure}); again in {} ms",
            out.callback,
            attempt + 1,
            pause.as_millis()
        ));
        tokio::time::sleep(*pause).await;
    }
    false
}

/// Batches sent and not yet delivered (or given up on), each with when it is meant to arrive.
#[derive(Debug, Default)]
struct InFlight {
    due: Mutex<HashMap<u64, (String, Instant)>>,
    changed: Notify,
    tickets: AtomicU64,
}

impl InFlight {
    fn open(&self, callback: &str, due: Instant) -> u64 {
        let ticket = self.tickets.fetch_add(1, Ordering::Relaxed);
        self.lock().insert(ticket, (callback.to_string(), due));
        ticket
    }

    fn close(&self, ticket: u64) {
        self.lock().remove(&ticket);
        self.changed.notify_waiters();
    }

    fn owes(&self, callback: &str, by: Instant) -> bool {
        self.lock().values().any(|(cb, due)| cb == callback && *due <= by)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<u64, (String, Instant)>> {
        self.due.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// Closes a ticket when dropped.
struct Closing<'a>(&'a InFlight, u64);

impl Drop for Closing<'_> {
    fn drop(&mut self) {
        self.0.close(self.1);
    }
}

/// The double's outgoing notifications: a queue to the dispatcher, and the account of what is in flight.
#[derive(Debug)]
pub(super) struct Outbox {
    tx: mpsc::UnboundedSender<Outgoing>,
    in_flight: Arc<InFlight>,
    /// Notifications given up on after every attempt (each logged when it happened).
    undelivered: Arc<AtomicU64>,
}

impl Outbox {
    /// Starts the dispatcher on the current runtime.
    pub(super) fn start(log: bool) -> Outbox {
        let (tx, rx) = mpsc::unbounded_channel();
        let (in_flight, undelivered) = (Arc::new(InFlight::default()), Arc::new(AtomicU64::new(0)));
        tokio::spawn(dispatch(rx, log, undelivered.clone(), in_flight.clone()));
        Outbox {
            tx,
            in_flight,
            undelivered,
        }
    }

    /// Queues `bodies` for `callback`, in order, after `delay`. Counted in flight before it returns,
    /// so before the answer to the request that caused it leaves the double.
    pub(super) fn send(&self, callback: &str, bodies: Vec<Value>, delay: Duration, fault: Option<Fault>) {
        self.queue(callback, bodies, delay, delay, fault, None);
    }

    /// [`Outbox::send`] for what is meant on time though it goes out after `delay` (a prompt's
    /// completion once it has played): owed from now, so a wait waits for it, until it is taken back
    /// with the handle.
    /// `after`: a batch that goes (or is taken back) first.
    pub(super) fn send_withdrawable(
        &self,
        callback: &str,
        bodies: Vec<Value>,
        delay: Duration,
        fault: Option<Fault>,
        after: Option<Withdrawable>,
    ) -> Withdrawable {
        self.queue(callback, bodies, delay, Duration::ZERO, fault, after)
    }

    /// Queues `bodies` to go out after `delay` (and after `after`), owed to the account from `due` on.
    fn queue(
        &self,
        callback: &str,
        bodies: Vec<Value>,
        delay: Duration,
        due: Duration,
        fault: Option<Fault>,
        after: Option<Withdrawable>,
    ) -> Withdrawable {
        let ticket = self.in_flight.open(callback, Instant::now() + due);
        let handle = Withdrawable {
            state: Arc::new(AtomicU8::new(WAITING)),
            over: Arc::new(Notify::new()),
            ticket,
            in_flight: self.in_flight.clone(),
        };
        let out = Outgoing {
            ticket,
            callback: callback.to_string(),
            bodies,
            delay,
            fault,
            withdrawable: handle.clone(),
            after,
        };
        if self.tx.send(out).is_err() {
            self.in_flight.close(ticket);
        }
        handle
    }

    /// How many notifications it gave up delivering.
    pub(super) fn undelivered(&self) -> u64 {
        self.undelivered.load(Ordering::Relaxed)
    }

    /// Waits, at most `cap`, until nothing meant to reach `callback` by `by` is still in flight;
    /// returns whether that holds.
    pub(super) async fn delivered(&self, callback: &str, by: Instant, cap: Duration) -> bool {
        let deadline = Instant::now() + cap;
        loop {
            // Interest first, so a delivery between the look and the wait is not lost.
            let changed = self.in_flight.changed.notified();
            tokio::pin!(changed);
            changed.as_mut().enable();
            if !self.in_flight.owes(callback, by) {
                return true;
            }
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return false;
            }
            let _ = tokio::time::timeout(left, changed).await;
        }
    }
}
