//! The suite's public configuration: the variables of CONTRACT.md section 6.
//!
//! Parsed from a lookup function rather than straight from the process environment, so our own
//! tests can build the exact configuration a user would get from `CONFORMANCE_*` variables without
//! touching the environment the other tests share.

use std::fmt;
use std::net::SocketAddr;
use std::time::Duration;

use crate::bot_double::BotFault;
use crate::faults::Fault;
use crate::secret::Secret;

/// Which edition of the contract a target is held to (CONTRACT.md section 2).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Edition {
    /// What the five seed documents say (the default).
    Seeds,
    /// The pages online in 2026.
    Current,
}

impl Edition {
    /// The name used in `CONFORMANCE_EDITION`, `tests/fixtures/data/editions.json` and snapshot names.
    pub fn name(self) -> &'static str {
        match self {
            Edition::Seeds => "seeds",
            Edition::Current => "current",
        }
    }

    /// Both editions, the default first.
    pub const ALL: [Edition; 2] = [Edition::Seeds, Edition::Current];
}

/// A path family under which calls are addressed (CONTRACT.md section 1).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Family {
    /// `/communications/calls/{id}`: canonical.
    Communications,
    /// `/app/calls/{id}`: deprecated.
    App,
    /// `/applications/{appId}/calls/{id}`: the 2018 form.
    Applications,
}

impl Family {
    /// The name used in `CONFORMANCE_PATH_FAMILIES` and `operations.json`.
    pub fn name(self) -> &'static str {
        match self {
            Family::Communications => "communications",
            Family::App => "app",
            Family::Applications => "applications",
        }
    }

    /// Parses a family name as written in `CONFORMANCE_PATH_FAMILIES`.
    pub fn parse(name: &str) -> Option<Family> {
        match name {
            "communications" => Some(Family::Communications),
            "app" => Some(Family::App),
            "applications" => Some(Family::Applications),
            _ => None,
        }
    }

    /// The path of call `id` in this family, relative to the target's base URL.
    pub fn call_path(self, app_id: &str, id: &str) -> String {
        match self {
            Family::Communications => format!("/communications/calls/{id}"),
            Family::App => format!("/app/calls/{id}"),
            Family::Applications => format!("/applications/{app_id}/calls/{id}"),
        }
    }

    /// Every family, canonical first.
    pub const ALL: [Family; 3] = [Family::Communications, Family::App, Family::Applications];
}

/// The token sent when `CONFORMANCE_TOKEN` is unset: fine for the double, refused by any real service.
pub const PLACEHOLDER_TOKEN: &str = "conformance-placeholder-token";
/// The bot token sent when `CONFORMANCE_BOT_TOKEN` is unset.
pub const PLACEHOLDER_BOT_TOKEN: &str = "conformance-placeholder-bot-token";
/// The application id used in `/applications/{appId}/...` paths when `CONFORMANCE_APP_ID` is unset.
pub const PLACEHOLDER_APP_ID: &str = "2891555a-92ff-42e6-80fa-6e1300c6b5c6";

/// Everything the suite is configured with.
#[derive(Clone, Debug)]
pub struct Config {
    /// `CONFORMANCE_TARGET`: base URL with version segment; `None` runs against the embedded double.
    pub target: Option<String>,
    /// `CONFORMANCE_EDITION`.
    pub edition: Edition,
    /// `CONFORMANCE_TOKEN`.
    pub token: Secret,
    /// `CONFORMANCE_PROVISION_URL`: `None` means "the double's own" (or, with a target, not set).
    pub provision_url: Option<String>,
    /// `CONFORMANCE_CALLBACK_BIND`.
    pub callback_bind: SocketAddr,
    /// `CONFORMANCE_CALLBACK_URL`: `None` means the listener's own URL.
    pub callback_url: Option<String>,
    /// `CONFORMANCE_PATH_FAMILIES`.
    pub families: Vec<Family>,
    /// `CONFORMANCE_APP_ID`: the `{appId}` of the applications family (not in CONTRACT.md; see README).
    pub app_id: String,
    /// `CONFORMANCE_TIMEOUT_MS`.
    pub timeout: Duration,
    /// `CONFORMANCE_NOTIFY_TIMEOUT_MS`.
    pub notify_timeout: Duration,
    /// `CONFORMANCE_SNAPSHOTS`: the snapshot set compared against.
    pub snapshots: String,
    /// `CONFORMANCE_BOT_URL`.
    pub bot_url: Option<String>,
    /// `CONFORMANCE_BOT_TOKEN`.
    pub bot_token: Secret,
    /// `CONFORMANCE_ALLOW_PRODUCTION=1`.
    pub allow_production: bool,
    /// `CONFORMANCE_DOUBLE_FAULT`: run the embedded double with this deviation (see `faults`).
    pub double_fault: Option<Fault>,
    /// `CONFORMANCE_BOT_DOUBLE_FAULT`: run the embedded bot double with this bug (see `bot_double`).
    pub bot_double_fault: Option<BotFault>,
    /// `CONFORMANCE_DOUBLE_LATENCY_MS`: delay the embedded double adds to every answer and notification.
    pub double_latency: Duration,
    /// `CONFORMANCE_CA_BUNDLE`: PEM certificates trusted besides the platform's roots (a private CA).
    pub ca_bundle: Option<std::path::PathBuf>,
}

/// A variable that is set but cannot be used; the message names the variable and what it accepts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigError(pub String);

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for ConfigError {}

impl Config {
    /// Reads the `CONFORMANCE_*` variables of the process environment.
    pub fn from_env() -> Result<Config, ConfigError> {
        Config::from_lookup(|name| std::env::var(name).ok())
    }

    /// Reads the variables through `lookup`; an empty value counts as unset.
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Config, ConfigError> {
        let get = |name: &str| lookup(name).map(|v| v.trim().to_string()).filter(|v| !v.is_empty());
        let target = get("CONFORMANCE_TARGET").map(|t| t.trim_end_matches('/').to_string());
        if let Some(t) = &target {
            check_url("CONFORMANCE_TARGET", t)?;
        }
        let provision_url = get("CONFORMANCE_PROVISION_URL");
        if let Some(p) = &provision_url {
            check_url("CONFORMANCE_PROVISION_URL", p)?;
        }
        let callback_url = get("CONFORMANCE_CALLBACK_URL").map(|u| u.trim_end_matches('/').to_string());
        if let Some(u) = &callback_url {
            check_url("CONFORMANCE_CALLBACK_URL", u)?;
        }
        let bot_url = get("CONFORMANCE_BOT_URL");
        if let Some(u) = &bot_url {
            check_url("CONFORMANCE_BOT_URL", u)?;
        }
        Ok(Config {
            target,
            edition: parse_edition(get("CONFORMANCE_EDITION"))?,
            token: Secret::new(get("CONFORMANCE_TOKEN").unwrap_or_else(|| PLACEHOLDER_TOKEN.into())),
            provision_url,
            callback_bind: parse_bind(get("CONFORMANCE_CALLBACK_BIND"))?,
            callback_url,
            families: parse_families(get("CONFORMANCE_PATH_FAMILIES"))?,
            app_id: get("CONFORMANCE_APP_ID").unwrap_or_else(|| PLACEHOLDER_APP_ID.into()),
            timeout: parse_ms("CONFORMANCE_TIMEOUT_MS", get("CONFORMANCE_TIMEOUT_MS"), 10_000)?,
            notify_timeout: parse_ms("CONFORMANCE_NOTIFY_TIMEOUT_MS", get("CONFORMANCE_NOTIFY_TIMEOUT_MS"), 5_000)?,
            snapshots: parse_snapshot_set(get("CONFORMANCE_SNAPSHOTS"))?,
            bot_url,
            bot_token: Secret::new(get("CONFORMANCE_BOT_TOKEN").unwrap_or_else(|| PLACEHOLDER_BOT_TOKEN.into())),
            allow_production: get("CONFORMANCE_ALLOW_PRODUCTION").as_deref() == Some("1"),
            double_fault: parse_fault(get("CONFORMANCE_DOUBLE_FAULT"))?,
            bot_double_fault: parse_bot_fault(get("CONFORMANCE_BOT_DOUBLE_FAULT"))?,
            ca_bundle: get("CONFORMANCE_CA_BUNDLE").map(std::path::PathBuf::from),
            double_latency: match get("CONFORMANCE_DOUBLE_LATENCY_MS") {
                None => Duration::ZERO,
                Some(v) => v
                    .parse()
                    .map(Duration::from_millis)
                    .map_err(|_| ConfigError(format!("CONFORMANCE_DOUBLE_LATENCY_MS={v:?}: expected a number of milliseconds")))?,
            },
        })
    }

    /// The configuration with every variable unset: the embedded double, seeds edition.
    pub fn defaults() -> Config {
        Config::from_lookup(|_| None).expect("the defaults are valid")
    }
}

fn check_url(var: &str, value: &str) -> Result<(), ConfigError> {
    match reqwest::Url::parse(value) {
        Ok(u) if matches!(u.scheme(), "http" | "https") && u.host_str().is_some() => Ok(()),
        _ => Err(ConfigError(format!("{var}={value:?} is not an http(s) URL with a host"))),
    }
}

/// A catalog entry named by `var`, or an error listing the catalog.
fn parse_named<T>(var: &str, v: Option<String>, parse: impl Fn(&str) -> Option<T>, names: Vec<&str>) -> Result<Option<T>, ConfigError> {
    let Some(name) = v else { return Ok(None) };
    parse(&name)
        .map(Some)
        .ok_or_else(|| ConfigError(format!("{var}={name:?} is not in the catalog; one of: {}", names.join(", "))))
}

fn parse_fault(v: Option<String>) -> Result<Option<Fault>, ConfigError> {
    parse_named(
        "CONFORMANCE_DOUBLE_FAULT",
        v,
        Fault::parse,
        Fault::ALL.iter().map(|f| f.name()).collect(),
    )
}

fn parse_bot_fault(v: Option<String>) -> Result<Option<BotFault>, ConfigError> {
    parse_named(
        "CONFORMANCE_BOT_DOUBLE_FAULT",
        v,
        BotFault::parse,
        BotFault::ALL.iter().map(|f| f.name()).collect(),
    )
}

fn parse_edition(v: Option<String>) -> Result<Edition, ConfigError> {
    match v.as_deref() {
        None | Some("seeds") => Ok(Edition::Seeds),
        Some("current") => Ok(Edition::Current),
        Some(other) => Err(ConfigError(format!(
            "CONFORMANCE_EDITION={other:?}: expected `seeds` (default) or `current`"
        ))),
    }
}

fn parse_bind(v: Option<String>) -> Result<SocketAddr, ConfigError> {
    let v = v.unwrap_or_else(|| "127.0.0.1:0".into());
    v.parse()
        .map_err(|_| ConfigError(format!("CONFORMANCE_CALLBACK_BIND={v:?}: expected an address such as 0.0.0.0:8443")))
}

fn parse_families(v: Option<String>) -> Result<Vec<Family>, ConfigError> {
    let Some(v) = v else { return Ok(vec![Family::Communications]) };
    let mut out = Vec::new();
    for name in v.split(',').map(str::trim).filter(|s| !s.is_empty()) {
        let fam = Family::parse(name).ok_or_else(|| {
            ConfigError(format!(
                "CONFORMANCE_PATH_FAMILIES: unknown family {name:?}; expected a comma list of communications, app, applications"
            ))
        })?;
        if !out.contains(&fam) {
            out.push(fam);
        }
    }
    if out.is_empty() {
        return Err(ConfigError("CONFORMANCE_PATH_FAMILIES names no family".into()));
    }
    out.sort();
    Ok(out)
}

fn parse_ms(var: &str, v: Option<String>, default: u64) -> Result<Duration, ConfigError> {
    match v {
        None => Ok(Duration::from_millis(default)),
        Some(s) => match s.parse::<u64>() {
            Ok(ms) if ms > 0 => Ok(Duration::from_millis(ms)),
            _ => Err(ConfigError(format!("{var}={s:?}: expected a positive number of milliseconds"))),
        },
    }
}

fn parse_snapshot_set(v: Option<String>) -> Result<String, ConfigError> {
    let v = v.unwrap_or_else(|| "docs".into());
    if v.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_') {
        Ok(v)
    } else {
        Err(ConfigError(format!(
            "CONFORMANCE_SNAPSHOTS={v:?}: a set name is letters, digits, '-' and '_'"
        )))
    }
}
