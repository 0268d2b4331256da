//! CONTRACT.md section 6: every variable, its default, and a clear word when it is wrong.

use std::collections::HashMap;
use std::time::Duration;

use conformance::contract::edition::Edition;
use conformance::contract::family::Family;
use conformance::running::config::{Config, PLACEHOLDER_TOKEN};

fn with(vars: &[(&str, &str)]) -> Result<Config, String> {
    let map: HashMap<String, String> = vars.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
    Config::from_lookup(|k| map.get(k).cloned()).map_err(|e| e.to_string())
}

#[test]
fn defaults_aim_at_the_double_in_the_seeds_edition() {
    let c = Config::defaults();
    assert_eq!(c.target, None);
    assert_eq!(c.edition, Edition::Seeds);
    assert_eq!(c.token.expose(), PLACEHOLDER_TOKEN);
    assert_eq!(c.provision_url, None);
    assert_eq!(c.callback_bind.to_string(), "127.0.0.1:0");
    assert_eq!(c.families, vec![Family::Communications]);
    assert_eq!(c.timeout, Duration::from_millis(10_000));
    assert_eq!(c.notify_timeout, Duration::from_millis(5_000));
    assert_eq!(c.snapshots, "docs");
    assert_eq!(c.bot_url, None);
    assert!(!c.allow_production);
    assert_eq!((c.explore_cases, c.explore_seed), (48, 20261202));
}

#[test]
fn every_variable_is_read() {
    let c = with(&[
        ("CONFORMANCE_TARGET", "https://staging.example.com/v1.0/"),
        ("CONFORMANCE_EDITION", "current"),
        ("CONFORMANCE_TOKEN", "tok-123456"),
        ("CONFORMANCE_PROVISION_URL", "https://staging.example.com/_hooks/calls"),
        ("CONFORMANCE_CALLBACK_BIND", "0.0.0.0:8443"),
        ("CONFORMANCE_CALLBACK_URL", "https://tunnel.example.net/"),
        ("CONFORMANCE_PATH_FAMILIES", "app, communications,app"),
        ("CONFORMANCE_TIMEOUT_MS", "2500"),
        ("CONFORMANCE_NOTIFY_TIMEOUT_MS", "700"),
        ("CONFORMANCE_SNAPSHOTS", "staging-2026"),
        ("CONFORMANCE_BOT_URL", "https://bot.example.com/api/calls"),
        ("CONFORMANCE_BOT_TOKEN", "bot-tok-9876"),
        ("CONFORMANCE_ALLOW_PRODUCTION", "1"),
        ("CONFORMANCE_EXPLORE_CASES", "500"),
        ("CONFORMANCE_EXPLORE_SEED", "7"),
    ])
    .expect("valid");
    assert_eq!(c.target.as_deref(), Some("https://staging.example.com/v1.0"));
    assert_eq!(c.edition, Edition::Current);
    assert_eq!(c.token.expose(), "tok-123456");
    assert_eq!(c.provision_url.as_deref(), Some("https://staging.example.com/_hooks/calls"));
    assert_eq!(c.callback_bind.to_string(), "0.0.0.0:8443");
    assert_eq!(c.callback_url.as_deref(), Some("https://tunnel.example.net"));
    assert_eq!(c.families, vec![Family::Communications, Family::App]);
    assert_eq!(c.timeout, Duration::from_millis(2500));
    assert_eq!(c.notify_timeout, Duration::from_millis(700));
    assert_eq!(c.snapshots, "staging-2026");
    assert_eq!(c.bot_url.as_deref(), Some("https://bot.example.com/api/calls"));
    assert_eq!(c.bot_token.expose(), "bot-tok-9876");
    assert!(c.allow_production);
    assert_eq!((c.explore_cases, c.explore_seed), (500, 7));
}

#[test]
fn debug_output_never_shows_a_token() {
    let c = with(&[
        ("CONFORMANCE_TOKEN", "canary-token-5f1c"),
        ("CONFORMANCE_BOT_TOKEN", "canary-bot-7e2a"),
    ])
    .expect("valid");
    let shown = format!("{c:?}");
    assert!(
        !shown.contains("canary-token-5f1c") && !shown.contains("canary-bot-7e2a"),
        "{shown}"
    );
    assert_eq!(conformance::wire::secret::redact("Bearer canary-token-5f1c"), "Bearer [redacted]");
}

#[rstest::rstest]
#[case::edition("CONFORMANCE_EDITION", "2019")]
#[case::target_not_a_url("CONFORMANCE_TARGET", "staging.example.com")]
#[case::provision_not_http("CONFORMANCE_PROVISION_URL", "ftp://x.example.com/hook")]
#[case::bind("CONFORMANCE_CALLBACK_BIND", "localhost")]
#[case::family("CONFORMANCE_PATH_FAMILIES", "communications,teams")]
#[case::timeout("CONFORMANCE_TIMEOUT_MS", "10s")]
#[case::notify_timeout("CONFORMANCE_NOTIFY_TIMEOUT_MS", "0")]
#[case::snapshot_set("CONFORMANCE_SNAPSHOTS", "../elsewhere")]
#[case::explore_cases_none("CONFORMANCE_EXPLORE_CASES", "0")]
#[case::explore_cases_not_a_number("CONFORMANCE_EXPLORE_CASES", "many")]
#[case::explore_seed_not_a_number("CONFORMANCE_EXPLORE_SEED", "0x2a")]
fn a_bad_value_is_refused_naming_its_variable(#[case] var: &str, #[case] value: &str) {
    let err = with(&[(var, value)]).expect_err("must be refused");
    assert!(err.contains(var), "{err}");
}
