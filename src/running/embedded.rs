//! The wiring of what a run is aimed at: the target (or the embedded double), the listener, and the
//! bot (or the embedded bot double).
//!
//! The one place in the product that uses the doubles: it starts them when no target (or bot) is
//! named, in the fault mode the configuration names.

use std::sync::Arc;
use std::time::Duration;

use super::config::{Config, ConfigError};
use crate::bot::replay::BotTarget;
use crate::contract::corpus;
use crate::doubles::bot::BotDouble;
use crate::doubles::bot_faults::BotFault;
use crate::doubles::faults::Fault;
use crate::doubles::service::{Double, DoubleOptions, MEDIA_RUNS};
use crate::wire::listener::{Heard, Inbox, Listener};
use crate::wire::target::Target;

/// The fault modes `config` names (`CONFORMANCE_DOUBLE_FAULT`, `CONFORMANCE_BOT_DOUBLE_FAULT`),
/// looked up in the doubles' catalogs; a name not in its catalog is refused, naming the variable
/// and listing the catalog.
pub fn faults_of(config: &Config) -> Result<(Option<Fault>, Option<BotFault>), ConfigError> {
    let double = config.double_fault.as_deref().map(Fault::from_variable).transpose();
    let bot = config.bot_double_fault.as_deref().map(BotFault::from_variable).transpose();
    Ok((double.map_err(ConfigError)?, bot.map_err(ConfigError)?))
}

/// Requests in flight at once: as configured, else what a staging service tolerates, or for the
/// embedded double (in-process, not throttled) enough that the suite's own tests are not serialized.
fn concurrency(config: &Config) -> usize {
    config.concurrency.unwrap_or(if config.target.is_some() {
        crate::wire::target::DEFAULT_CONCURRENCY
    } else {
        EMBEDDED_CONCURRENCY
    })
}

/// How much longer than its timeout a wait goes on while the embedded double is still sending:
/// past every retry of one delivery (10 s and three pauses), twice.
pub const SENDING_CAP: Duration = Duration::from_secs(30);
/// How many more notification windows [`Env::hear_run`] waits while notifications keep coming: a
/// program has at most eight steps, so no call queues more media operations than that.
pub const MORE_WINDOWS: usize = 8;

/// The configuration the detection matrix runs `fault` under (and `cargo xtask reach`, which
/// measures its margin): notification waits of 3 s, what a fault that loses one costs; the media
/// queue's faults at the double's own pace (room for a cancel on a loaded machine), the rest at
/// 250 ms (they show at any pace, and the matrix waits out fewer prompts); `token` if given.
pub fn fault_matrix_config(fault: Fault, token: Option<&str>) -> Config {
    Config::from_lookup(|k| match k {
        "CONFORMANCE_DOUBLE_FAULT" => Some(fault.name().to_string()),
        "CONFORMANCE_TOKEN" => token.map(str::to_string),
        "CONFORMANCE_NOTIFY_TIMEOUT_MS" => Some("3000".to_string()),
        "CONFORMANCE_DOUBLE_MEDIA_MS" => (!fault.in_the_queue()).then(|| "250".to_string()),
        _ => None,
    })
    .expect("the fault matrix's configuration is valid")
}

/// Requests in flight to the embedded double unless `CONFORMANCE_CONCURRENCY` says otherwise.
pub const EMBEDDED_CONCURRENCY: usize = 256;

/// What a run is aimed at: a target, the listener that hears its notifications, and the double
/// when the target is the embedded one.
#[derive(Debug)]
pub struct Env {
    /// The configuration it was built from.
    pub config: Config,
    /// Where requests go.
    pub target: Target,
    /// Where notifications arrive.
    pub listener: Arc<Listener>,
    /// The embedded double, when `CONFORMANCE_TARGET` is unset.
    pub double: Option<Double>,
    /// The bot the documents' notifications are replayed to.
    pub bot: BotTarget,
    /// The embedded bot double, when `CONFORMANCE_BOT_URL` is unset.
    pub bot_double: Option<BotDouble>,
}

impl Env {
    /// Starts what `config` asks for: the double when no target is set, and a listener.
    /// Must be awaited on the shared runtime (see [`block_on`]).
    pub async fn start(config: Config) -> Result<Env, String> {
        let (double_fault, bot_double_fault) = faults_of(&config).map_err(|e| e.to_string())?;
        let listener = Arc::new(Listener::start(config.callback_bind, config.callback_url.as_deref()).await?);
        let (double, base, provision) = match &config.target {
            Some(t) => (None, t.clone(), config.provision_url.clone()),
            None => {
                let d = Double::start(
                    DoubleOptions {
                        edition: config.edition,
                        fault: double_fault,
                        latency: config.double_latency,
                        throttle_every: config.double_throttle,
                        media: config.double_media.unwrap_or(MEDIA_RUNS),
                        ..DoubleOptions::default()
                    },
                    &corpus().operations,
                )
                .await;
                let (b, p) = (
                    d.base.clone(),
                    config.provision_url.clone().unwrap_or_else(|| d.provision_url.clone()),
                );
                (Some(d), b, Some(p))
            }
        };
        let ca = config.ca_bundle.as_deref();
        let target = Target::with_ca(&base, provision, config.token.clone(), &config.app_id, config.timeout, ca)?
            .polite(concurrency(&config), config.throttle_budget);
        let bot_double = match &config.bot_url {
            Some(_) => None,
            None => Some(BotDouble::start(config.bot_token.clone(), bot_double_fault).await),
        };
        let bot_url = config
            .bot_url
            .clone()
            .or_else(|| bot_double.as_ref().map(|b| b.url.clone()))
            .unwrap_or_default();
        let bot = BotTarget::new(&bot_url, config.bot_token.clone(), config.timeout, ca)?;
        Ok(Env {
            config,
            target,
            listener,
            double,
            bot,
            bot_double,
        })
    }

    /// Waits until `done` holds for what `inbox` heard, or `timeout` passes, and returns what it
    /// heard. Against the embedded double, a wait that ran out while the double was still sending to
    /// `inbox` something it meant to arrive in time goes on until the double has delivered it or given
    /// up (at most [`SENDING_CAP`] more): the double's evidence ends the wait, not the clock, so a
    /// loaded machine costs time and never a verdict. Against a target, the timeout is the budget.
    pub async fn hear(&self, inbox: &Inbox, timeout: Duration, done: impl Fn(&[Heard]) -> bool) -> Vec<Heard> {
        let by = tokio::time::Instant::now() + timeout;
        let heard = inbox.wait_until(timeout, &done).await;
        if done(&heard) {
            // What the double sent in the same breath comes too, a prompt still playing included (a
            // second final notification of one operation is a finding); a real target's later
            // extras are not waited for.
            return match &self.double {
                Some(double) => {
                    double.delivered(inbox.callback(), tokio::time::Instant::now(), SENDING_CAP).await;
                    inbox.snapshot()
                }
                None => heard,
            };
        }
        match &self.double {
            Some(double) => {
                if !double.delivered(inbox.callback(), by, SENDING_CAP).await {
                    crate::wire::log::line(format_args!(
                        "conformance: the embedded double was still sending to {} after {} s more",
                        inbox.callback(),
                        SENDING_CAP.as_secs()
                    ));
                }
                inbox.snapshot()
            }
            None => heard,
        }
    }

    /// [`Env::hear`] for a run of notifications that follow one another, as a call's queued media
    /// operations complete one after the other (CONTRACT.md 7.3): a wait that ran out with something
    /// new heard in it waits once more, for `window`, as long as notifications keep coming (at most
    /// [`MORE_WINDOWS`] more). A real service's prompts play for seconds each, so a queue of them
    /// outlasts any one budget; a target that stops sending still fails after one quiet `window`.
    pub async fn hear_run(&self, inbox: &Inbox, first: Duration, window: Duration, done: impl Fn(&[Heard]) -> bool) -> Vec<Heard> {
        let mut before = inbox.snapshot().len();
        let mut heard = self.hear(inbox, first, &done).await;
        for _ in 0..MORE_WINDOWS {
            if done(&heard) || heard.len() == before {
                break;
            }
            before = heard.len();
            heard = self.hear(inbox, window, &done).await;
        }
        heard
    }

    /// Listens to `inbox` for `window`, for what must not come: [`Env::hear`] waiting for nothing.
    pub async fn listen(&self, inbox: &Inbox, window: Duration) -> Vec<Heard> {
        self.hear(inbox, window, |_| false).await
    }

    /// What `inbox` holds once a target had its chance to send what it must not: against the
    /// embedded double, everything it sent in the same breath (it sends nothing later unasked);
    /// against a target, whatever came within `window` (`CONFORMANCE_QUIET_MS`).
    pub async fn settle(&self, inbox: &Inbox, window: Duration) -> Vec<Heard> {
        match &self.double {
            Some(_) => self.hear(inbox, window, |_| true).await,
            None => self.listen(inbox, window).await,
        }
    }

    /// The `host:port`s that differ from run to run (target, hook, listener), for recorded snapshots.
    pub fn volatile_hosts(&self) -> Vec<String> {
        let mut urls = vec![self.target.base.clone(), self.listener.advertised().to_string()];
        urls.extend(self.target.provision_url.clone());
        let mut hosts: Vec<String> = urls
            .iter()
            .filter_map(|u| reqwest::Url::parse(u).ok())
            .filter_map(|u| Some(format!("{}:{}", u.host_str()?, u.port_or_known_default()?)))
            .collect();
        hosts.sort();
        hosts.dedup();
        hosts
    }

    /// A one-line description of the bot for messages.
    pub fn describe_bot(&self) -> String {
        let what = if self.bot_double.is_some() {
            "the embedded bot double at"
        } else {
            "bot"
        };
        format!("{what} {}", self.bot.url)
    }

    /// What a run tests, in one line for logs and reports: target, edition, families, bot, and the
    /// generated programs' budget.
    pub fn summary(&self) -> String {
        let families: Vec<&str> = self.config.families.iter().map(|f| f.name()).collect();
        format!(
            "conformance: testing {} on the {} famil{}; bot: {}; explore: {} programs from seed {}",
            self.describe(),
            families.join(", "),
            if families.len() == 1 { "y" } else { "ies" },
            self.describe_bot(),
            self.config.explore_cases,
            self.config.explore_seed
        )
    }

    /// A one-line description for messages: `target http://… (seeds edition)`.
    pub fn describe(&self) -> String {
        let what = if self.double.is_some() {
            "the embedded double at"
        } else {
            "target"
        };
        format!("{what} {} ({} edition)", self.target.base, self.config.edition.name())
    }
}
