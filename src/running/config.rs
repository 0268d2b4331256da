//! The suite's public configuration: the variables of CONTRACT.md section 6.
//!
//! Parsed from a lookup function rather than straight from the process environment, so our own
//! tests can build the exact configuration a user would get from `CONFORMANCE_*` variables without
//! touching the environment the other tests share.

use std::collections::HashMap;
use std::fmt;
use std::net::SocketAddr;
use std::time::Duration;

use crate::contract::edition::Edition;
use crate::contract::family::Family;
use crate::wire::secret::Secret;

/// The token sent when `CONFORMANCE_TOKEN` is unset: fine for the double, refused by any real service.
pub const PLACEHOLDER_TOKEN: &str = "conformance-placeholder-token";
/// The bot token sent when `CONFORMANCE_BOT_TOKEN` is unset.
pub const PLACEHOLDER_BOT_TOKEN: &str = "conformance-placeholder-bot-token";
/// The application id used in `/applications/{appId}/...` paths when `CONFORMANCE_APP_ID` is unset.
pub const PLACEHOLDER_APP_ID: &str = "2891555a-92ff-42e6-80fa-6e1300c6b5c6";

/// How many generated programs run when `CONFORMANCE_EXPLORE_CASES` is unset.
pub const DEFAULT_EXPLORE_CASES: usize = 192;
/// The seed programs are generated from when `CONFORMANCE_EXPLORE_SEED` is unset.
pub const DEFAULT_EXPLORE_SEED: u64 = 20261202;

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
    /// `CONFORMANCE_QUIET_MS`: how long the suite listens for what must not come (a notification after
    /// a refused request, a `deleted` for a live call), a part of the notification budget.
    pub quiet: Duration,
    /// `CONFORMANCE_CONCURRENCY`: requests in flight to the target at once; `None` means the
    /// default, 8 for a target of the user's and 256 for the embedded double, which is in-process.
    pub concurrency: Option<usize>,
    /// `CONFORMANCE_THROTTLE_BUDGET_MS`: how long the whole run may spend waiting out the target's
    /// `Retry-After`s; past it a `429` or `503` is judged as the answer it is.
    pub throttle_budget: Duration,
    /// `CONFORMANCE_SNAPSHOTS`: the snapshot set compared against.
    pub snapshots: String,
    /// `CONFORMANCE_BOT_URL`.
    pub bot_url: Option<String>,
    /// `CONFORMANCE_BOT_TOKEN`.
    pub bot_token: Secret,
    /// `CONFORMANCE_ALLOW_PRODUCTION=1`.
    pub allow_production: bool,
    /// `CONFORMANCE_DOUBLE_FAULT`: run the embedded double with this deviation. A name, not a type:
    /// the catalog belongs to the doubles, which look it up when the embedded target is wired
    /// (`running::embedded`), so the configuration does not depend on its own test double.
    pub double_fault: Option<String>,
    /// `CONFORMANCE_BOT_DOUBLE_FAULT`: run the embedded bot double with this bug (a name, as above).
    pub bot_double_fault: Option<String>,
    /// `CONFORMANCE_DOUBLE_LATENCY_MS`: delay the embedded double adds to every answer and notification.
    pub double_latency: Duration,
    /// `CONFORMANCE_DOUBLE_MEDIA_MS`: how long each prompt or recording plays in the embedded double
    /// (`None`: the double's own pace).
    pub double_media: Option<Duration>,
    /// `CONFORMANCE_DOUBLE_THROTTLE`: the embedded double answers every Nth request `429`/`503` with
    /// `Retry-After` (0: never).
    pub double_throttle: u64,
    /// `CONFORMANCE_EXPLORE_CASES`: how many generated programs `cargo test explore` runs.
    pub explore_cases: usize,
    /// `CONFORMANCE_EXPLORE_SEED`: the seed they are generated from (the same programs every run).
    pub explore_seed: u64,
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

/// Every variable the suite reads: what it is, and its default. A `CONFORMANCE_*` variable not
/// listed here is refused (`Config::from_vars`), so a misspelt one cannot quietly test something else.
pub const VARIABLES: [(&str, &str, &str); 25] = [
    (
        "CONFORMANCE_TARGET",
        "base URL of the implementation, with version segment",
        "the embedded double",
    ),
    ("CONFORMANCE_EDITION", "seeds or current", "seeds"),
    (
        "CONFORMANCE_TOKEN",
        "bearer token sent to the target (never printed)",
        "a placeholder",
    ),
    ("CONFORMANCE_PROVISION_URL", "the provisioning hook", "the double's own"),
    (
        "CONFORMANCE_CALLBACK_BIND",
        "address the notification listener binds",
        "127.0.0.1:0",
    ),
    ("CONFORMANCE_CALLBACK_URL", "URL advertised for the listener", "the listener's own"),
    (
        "CONFORMANCE_PATH_FAMILIES",
        "comma list of communications, app, applications",
        "communications",
    ),
    (
        "CONFORMANCE_APP_ID",
        "the {appId} of /applications/{appId}/calls",
        "a placeholder GUID",
    ),
    ("CONFORMANCE_TIMEOUT_MS", "per-request timeout", "10000"),
    (
        "CONFORMANCE_NOTIFY_TIMEOUT_MS",
        "how long to wait for an expected notification",
        "5000",
    ),
    (
        "CONFORMANCE_QUIET_MS",
        "how long to listen for a notification that must not come",
        "500",
    ),
    (
        "CONFORMANCE_CONCURRENCY",
        "requests in flight to the target at once",
        "8 (256 for the embedded double)",
    ),
    (
        "CONFORMANCE_THROTTLE_BUDGET_MS",
        "how long the run may wait out the target's Retry-After answers",
        "60000",
    ),
    ("CONFORMANCE_SNAPSHOTS", "snapshot set compared against", "docs"),
    ("CONFORMANCE_BOT_URL", "a bot's callback endpoint", "the embedded bot double"),
    (
        "CONFORMANCE_BOT_TOKEN",
        "the token that bot expects (never printed)",
        "a placeholder",
    ),
    (
        "CONFORMANCE_ALLOW_PRODUCTION",
        "1 to aim delete and reject at a Microsoft production host",
        "refused",
    ),
    ("CONFORMANCE_DOUBLE_FAULT", "a named bug for the embedded double", "none"),
    ("CONFORMANCE_BOT_DOUBLE_FAULT", "a named bug for the embedded bot double", "none"),
    (
        "CONFORMANCE_DOUBLE_LATENCY_MS",
        "delay the embedded double adds to each answer and notification",
        "0",
    ),
    (
        "CONFORMANCE_DOUBLE_MEDIA_MS",
        "how long each prompt or recording plays in the embedded double",
        "1000",
    ),
    (
        "CONFORMANCE_DOUBLE_THROTTLE",
        "the embedded double answers every Nth request 429/503 with Retry-After",
        "0",
    ),
    (
        "CONFORMANCE_CA_BUNDLE",
        "PEM file of certificates trusted besides the platform's",
        "none",
    ),
    ("CONFORMANCE_EXPLORE_CASES", "how many generated programs run", "192"),
    ("CONFORMANCE_EXPLORE_SEED", "the seed they are generated from", "20261202"),
];

/// The prefix of the suite's variables.
const PREFIX: &str = "CONFORMANCE_";

impl Config {
    /// Reads the `CONFORMANCE_*` variables of the process environment, refusing one the suite does
    /// not know.
    pub fn from_env() -> Result<Config, ConfigError> {
        let vars = std::env::vars_os().filter_map(|(k, v)| Some((k.into_string().ok()?, v.to_string_lossy().into_owned())));
        Config::from_vars(vars)
    }

    /// Reads `vars` (name, value): every name with the `CONFORMANCE_` prefix must be one of
    /// [`VARIABLES`]; other names are ignored.
    pub fn from_vars(vars: impl IntoIterator<Item = (String, String)>) -> Result<Config, ConfigError> {
        let vars: HashMap<String, String> = vars.into_iter().filter(|(k, _)| k.starts_with(PREFIX)).collect();
        let mut names: Vec<&str> = vars.keys().map(String::as_str).collect();
        names.sort();
        if let Some(unknown) = names.into_iter().find(|n| !VARIABLES.iter().any(|(v, _, _)| v == n)) {
            return Err(unknown_variable(unknown));
        }
        Config::from_lookup(|k| vars.get(k).cloned())
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
            quiet: parse_ms("CONFORMANCE_QUIET_MS", get("CONFORMANCE_QUIET_MS"), 500)?,
            concurrency: match get("CONFORMANCE_CONCURRENCY").map(|v| parse_number("CONFORMANCE_CONCURRENCY", Some(v), 0usize)).transpose()? {
                Some(0) => return Err(ConfigError("CONFORMANCE_CONCURRENCY=\"0\": expected at least 1 request in flight".into())),
                n => n,
            },
            // 0 is allowed: a throttled answer is then judged at once.
            throttle_budget: Duration::from_millis(parse_number("CONFORMANCE_THROTTLE_BUDGET_MS", get("CONFORMANCE_THROTTLE_BUDGET_MS"), 60_000u64)?),
            snapshots: parse_snapshot_set(get("CONFORMANCE_SNAPSHOTS"))?,
            bot_url,
            bot_token: Secret::new(get("CONFORMANCE_BOT_TOKEN").unwrap_or_else(|| PLACEHOLDER_BOT_TOKEN.into())),
            allow_production: match get("CONFORMANCE_ALLOW_PRODUCTION").as_deref() {
                None | Some("0") => false,
                Some("1") => true,
                Some(other) => {
                    return Err(ConfigError(format!(
                        "CONFORMANCE_ALLOW_PRODUCTION={other:?}: expected 1 (aim delete and reject at a Microsoft production host) or 0"
                    )))
                }
            },
            double_fault: get("CONFORMANCE_DOUBLE_FAULT"),
            double_throttle: parse_number("CONFORMANCE_DOUBLE_THROTTLE", get("CONFORMANCE_DOUBLE_THROTTLE"), 0)?,
            bot_double_fault: get("CONFORMANCE_BOT_DOUBLE_FAULT"),
            explore_cases: match parse_number("CONFORMANCE_EXPLORE_CASES", get("CONFORMANCE_EXPLORE_CASES"), DEFAULT_EXPLORE_CASES)? {
                // A budget of none would pass having run nothing: skipping is said on the command line.
                0 => return Err(ConfigError("CONFORMANCE_EXPLORE_CASES=\"0\": expected at least 1 program (to leave exploration out, run `cargo test -- --skip explore`)".into())),
                n => n,
            },
            explore_seed: parse_number("CONFORMANCE_EXPLORE_SEED", get("CONFORMANCE_EXPLORE_SEED"), DEFAULT_EXPLORE_SEED)?,
            // Read when the client is built, which names the variable if the file cannot be used.
            ca_bundle: get("CONFORMANCE_CA_BUNDLE").map(std::path::PathBuf::from),
            double_latency: parse_optional_ms("CONFORMANCE_DOUBLE_LATENCY_MS", get("CONFORMANCE_DOUBLE_LATENCY_MS"))?.unwrap_or(Duration::ZERO),
            double_media: parse_optional_ms("CONFORMANCE_DOUBLE_MEDIA_MS", get("CONFORMANCE_DOUBLE_MEDIA_MS"))?,
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

/// A duration in milliseconds, zero allowed, when `var` is set (`parse_ms` wants a positive one).
fn parse_optional_ms(var: &str, v: Option<String>) -> Result<Option<Duration>, ConfigError> {
    v.map(|v| {
        v.parse()
            .map(Duration::from_millis)
            .map_err(|_| ConfigError(format!("{var}={v:?}: expected a number of milliseconds")))
    })
    .transpose()
}

fn parse_number<T: std::str::FromStr>(var: &str, v: Option<String>, default: T) -> Result<T, ConfigError> {
    match v {
        None => Ok(default),
        Some(s) => s.parse().map_err(|_| ConfigError(format!("{var}={s:?}: expected a whole number"))),
    }
}

/// The refusal of a `CONFORMANCE_*` name the suite does not read, with the nearest it does.
fn unknown_variable(name: &str) -> ConfigError {
    let nearest = VARIABLES
        .iter()
        .map(|(v, _, _)| (strsim::osa_distance(&name.to_ascii_uppercase(), v), *v))
        .min()
        .filter(|(d, _)| *d <= 3)
        .map(|(_, v)| format!("; did you mean {v}?"))
        .unwrap_or_default();
    let known: Vec<&str> = VARIABLES.iter().map(|(v, _, _)| *v).collect();
    ConfigError(format!(
        "{name} is not a variable of the suite{nearest} (nothing ran: a misspelt variable would test something else than meant). The suite reads: {}",
        known.join(", ")
    ))
}
