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
    assert_eq!((c.explore_cases, c.explore_seed), (192, 20261202));
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

fn from_vars(vars: &[(&str, &str)]) -> Result<Config, String> {
    Config::from_vars(vars.iter().map(|(k, v)| (k.to_string(), v.to_string()))).map_err(|e| e.to_string())
}

#[rstest::rstest]
#[case::transposed("CONFORMANCE_TAGRET", "CONFORMANCE_TARGET")]
#[case::missing_letter("CONFORMANCE_PROVISON_URL", "CONFORMANCE_PROVISION_URL")]
#[case::singular("CONFORMANCE_PATH_FAMILY", "CONFORMANCE_PATH_FAMILIES")]
#[case::lower_case("CONFORMANCE_target", "CONFORMANCE_TARGET")]
fn a_misspelt_variable_is_refused_naming_the_nearest(#[case] typo: &str, #[case] meant: &str) {
    let err = from_vars(&[(typo, "https://staging.example.com/v1.0")]).expect_err("refused");
    assert!(
        err.starts_with(&format!("{typo} is not a variable of the suite; did you mean {meant}?")),
        "{err}"
    );
    assert!(
        err.contains("CONFORMANCE_NOTIFY_TIMEOUT_MS"),
        "the message lists what the suite reads: {err}"
    );
}

#[test]
fn a_variable_far_from_any_is_refused_without_a_guess_and_others_are_ignored() {
    let err = from_vars(&[("CONFORMANCE_VERBOSITY", "3")]).expect_err("refused");
    assert!(
        err.starts_with("CONFORMANCE_VERBOSITY is not a variable of the suite (nothing ran"),
        "{err}"
    );
    let c = from_vars(&[("CONFORMANCE_EDITION", "current"), ("PATH", "/usr/bin"), ("CONFORMANCETARGET", "x")]).expect("valid");
    assert_eq!(c.edition, Edition::Current);
}

#[test]
fn allow_production_is_1_or_0_and_nothing_that_merely_looks_true() {
    let err = with(&[("CONFORMANCE_ALLOW_PRODUCTION", "true")]).expect_err("only 1 or 0");
    assert!(err.contains("CONFORMANCE_ALLOW_PRODUCTION"), "{err}");
    assert!(!with(&[("CONFORMANCE_ALLOW_PRODUCTION", "0")]).expect("valid").allow_production);
    // (A CA bundle that cannot be used stops the run when the client is built: selftest::robustness.)
}

#[test]
fn the_list_of_variables_is_exactly_what_the_configuration_reads() {
    // The names `from_lookup` reads, from its source: a variable read but not listed would be refused
    // as unknown, and one listed but not read would be accepted and ignored.
    let source = include_str!("../../../src/running/config.rs");
    let body = source
        .split("pub fn from_lookup")
        .nth(1)
        .expect("from_lookup")
        .split("\n    }\n")
        .next()
        .expect("its body");
    let mut read: Vec<&str> = body.split("get(\"").skip(1).filter_map(|s| s.split('"').next()).collect();
    read.sort();
    read.dedup();
    let mut listed: Vec<&str> = conformance::running::config::VARIABLES.iter().map(|(v, _, _)| *v).collect();
    listed.sort();
    assert_eq!(read, listed);
    // Their documented defaults are the defaults.
    let d = Config::defaults();
    let default_of = |var: &str| {
        conformance::running::config::VARIABLES
            .iter()
            .find(|(v, _, _)| *v == var)
            .map(|(_, _, d)| *d)
    };
    assert_eq!(default_of("CONFORMANCE_EXPLORE_CASES"), Some(d.explore_cases.to_string().as_str()));
    assert_eq!(default_of("CONFORMANCE_EXPLORE_SEED"), Some(d.explore_seed.to_string().as_str()));
    assert_eq!(default_of("CONFORMANCE_EDITION"), Some(d.edition.name()));
}

/// Runs this test binary again on the one test named `exact`, with exactly `vars` as the suite's
/// variables: what `cargo test` prints and whether it passes.
fn run_the_suite(exact: &str, vars: &[(&str, &str)]) -> (bool, String) {
    let mut cmd = std::process::Command::new(std::env::current_exe().expect("the test binary"));
    cmd.args([exact, "--exact", "--test-threads", "1"]);
    for (k, _) in std::env::vars_os() {
        if k.to_string_lossy().starts_with("CONFORMANCE_") {
            cmd.env_remove(k);
        }
    }
    cmd.envs(vars.iter().copied());
    let out = cmd.output().expect("the test binary runs");
    let text = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    (out.status.success(), text)
}

/// One saved program's case, by its name in this binary's list (rstest numbers the files, so
/// a program added before it in the alphabet renumbers it).
fn a_case() -> String {
    let out = std::process::Command::new(std::env::current_exe().expect("the test binary"))
        .args(["--list", "--format", "terse"])
        .output()
        .expect("the test binary lists its tests");
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|l| l.strip_suffix(": test"))
        .find(|name| name.starts_with("cases::programs::") && name.ends_with("_reject_answered_then_incoming_json"))
        .expect("the saved program reject-answered-then-incoming is a case")
        .to_string()
}

#[test]
fn cargo_test_says_what_it_tested_even_when_every_case_passes() {
    let (passed, text) = run_the_suite(&a_case(), &[("CONFORMANCE_EXPLORE_SEED", "7")]);
    assert!(passed, "{text}");
    assert!(
        text.contains("conformance: testing the embedded double at http://127.0.0.1:")
            && text.contains("(seeds edition) on the communications family; bot: the embedded bot double at")
            && text.contains(&format!(
                "explore: {} programs from seed 7",
                conformance::running::config::DEFAULT_EXPLORE_CASES
            )),
        "the start-up line is missing:\n{text}"
    );
    assert!(text.contains("1 passed"), "{text}");
}

#[test]
fn a_misspelt_variable_fails_cargo_test_before_any_case_runs() {
    let (passed, text) = run_the_suite(&a_case(), &[("CONFORMANCE_TAGRET", "https://staging.example.com/v1.0")]);
    assert!(!passed, "a typo must not pass green:\n{text}");
    assert!(
        text.contains("conformance: cannot start: CONFORMANCE_TAGRET is not a variable of the suite; did you mean CONFORMANCE_TARGET?"),
        "{text}"
    );
}
