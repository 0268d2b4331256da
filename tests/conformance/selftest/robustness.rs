//! Issue 6: bounded in every way, garbage in without a panic, and no secret anywhere.

use std::sync::Arc;

use conformance::contract::corpus;
use conformance::contract::edition::Edition;
use conformance::contract::family::Family;
use conformance::doubles::service::{Double, DoubleOptions};
use conformance::judging::report;
use conformance::running::embedded::Env;
use conformance::running::harness::{block_on, run_case, run_suite};

use crate::misbehaving::{self, Mode};
use crate::selftest::{config, CLOSED_PORT};

/// Runs the recording case (a documented JSON body) against a server misbehaving as `mode`, with a
/// correct double as the provisioning hook; returns the failure message.
fn failure_against(mode: Mode, timeout_ms: &str) -> String {
    let hook = block_on(Double::start(DoubleOptions::default(), &conformance::contract::corpus().operations));
    let base = block_on(misbehaving::start(mode));
    let env = block_on(Env::start(config(&[
        ("CONFORMANCE_TARGET", &base),
        ("CONFORMANCE_PROVISION_URL", &hook.provision_url),
        ("CONFORMANCE_TIMEOUT_MS", timeout_ms),
        ("CONFORMANCE_TOKEN", "garbage-canary-token-55e1"),
    ])))
    .expect("env");
    let case = corpus()
        .case("call-updateRecordingStatus--recording", Edition::Seeds)
        .expect("case");
    let c = case.clone();
    let run = block_on(async move { run_case(&env, &c, Family::Communications).await });
    assert!(!run.verdict.passed(), "{mode:?} must fail the case");
    let msg = report::failure(&case, &run, &base);
    assert!(!msg.contains("garbage-canary-token-55e1"), "{msg}");
    drop(hook);
    msg
}

#[rstest::rstest]
// The timeout also bounds the provisioning hook (a local double), so it must leave that hook room on a
// loaded 2-core CI machine: 700 ms once timed out the hook instead of the hanging target.
#[case::hang(Mode::Hang, "3000", "[setup/setup] the request")]
#[case::hang_says_it_timed_out(Mode::Hang, "3000", "did not answer within 3000 ms (CONFORMANCE_TIMEOUT_MS)")]
#[case::not_json(Mode::NotJson, "5000", "[body/body-json] body")]
#[case::html(Mode::Html, "5000", "[body/media-type] header Content-Type")]
#[case::truncated_json(Mode::TruncatedJson, "5000", "not JSON (EOF while parsing")]
#[case::huge_header(Mode::HugeHeader, "5000", "message head is too large")]
#[case::invalid_utf8(Mode::InvalidUtf8, "5000", "[body/body-json] body")]
#[case::redirect_is_not_followed(Mode::Redirect, "5000", "actual:   302")]
#[case::closes_mid_answer(Mode::ClosesMidAnswer, "5000", "end of file before message length reached")]
#[case::endless_body(Mode::Endless, "20000", "the response body exceeds 4194304 bytes")]
fn garbage_from_a_target_fails_the_case_with_a_clear_message(#[case] mode: Mode, #[case] timeout_ms: &str, #[case] clue: &str) {
    let msg = failure_against(mode, timeout_ms);
    if std::env::var("SHOW_MESSAGES").is_ok() {
        eprintln!("{msg}");
    }
    assert!(msg.contains(clue), "{mode:?}: expected {clue:?} in:\n{msg}");
    assert!(msg.contains("127.0.0.1"), "the message names the target:\n{msg}");
}

#[test]
fn a_target_that_is_not_there_fails_every_case_with_one_line_naming_the_url() {
    let port = CLOSED_PORT;
    let base = format!("http://127.0.0.1:{port}/beta");
    let hook = format!("http://127.0.0.1:{port}/provision");
    let env = block_on(Env::start(config(&[
        ("CONFORMANCE_TARGET", &base),
        ("CONFORMANCE_PROVISION_URL", &hook),
    ])))
    .expect("env");
    let outcomes = block_on(run_suite(Arc::new(env)));
    let documented = outcomes.iter().filter(|o| !o.negative).count();
    assert!(documented >= 8);
    for o in &outcomes {
        let setup: Vec<_> = o
            .run
            .verdict
            .findings
            .iter()
            .filter(|f| f.check == conformance::judging::verdict::Check::Setup)
            .collect();
        assert_eq!(setup.len(), 1, "{}: one setup finding, got {:?}", o.case_id, o.run.verdict.findings);
        let line = &setup[0].actual;
        let names_url = line.contains(&format!("http://127.0.0.1:{port}/"));
        assert!(
            !line.contains('\n') && names_url && line.contains("cannot connect") && line.contains("refused"),
            "{}: {line}",
            o.case_id
        );
        assert!(
            !line.contains("error sending request"),
            "{}: reqwest's generic line adds nothing: {line}",
            o.case_id
        );
    }
    // A case that provisions first names the hook it could not reach, not only the target.
    let delete = outcomes.iter().find(|o| o.case_id == "call-delete").expect("the delete case ran");
    let line = &delete.run.verdict.findings[0].actual;
    assert!(line.contains(&hook) && line.contains("provisioning"), "{line}");
}

#[test]
fn a_canary_token_appears_in_no_message_snapshot_projection_or_debug_output() {
    const TOKEN: &str = "canary-5d2f-token-never-printed";
    const BOT: &str = "canary-bot-8b1e-never-printed";
    let mut seen = Vec::new();
    for fault in [
        "",
        "delete-order-swapped",
        "error-body-plain-text",
        "recording-no-echo",
        "no-auth-accepted",
    ] {
        let env = block_on(Env::start(config(&[
            ("CONFORMANCE_TOKEN", TOKEN),
            ("CONFORMANCE_BOT_TOKEN", BOT),
            ("CONFORMANCE_DOUBLE_FAULT", fault),
            ("CONFORMANCE_NOTIFY_TIMEOUT_MS", "800"),
        ])))
        .expect("env");
        seen.push(format!("{env:?}"));
        seen.push(format!("{:?}", env.config));
        let env = Arc::new(env);
        for o in block_on(run_suite(env.clone())) {
            seen.push(o.message.clone().unwrap_or_default());
            seen.push(o.run.projection.to_string());
            seen.push(format!("{:?}", o.run));
            if let Some(req) = &o.run.request {
                seen.push(req.to_string());
            }
        }
        for id in corpus().notifications.keys() {
            let (e, id) = (env.clone(), id.clone());
            for r in block_on(async move { conformance::running::harness::replay_notification(&e, &id).await }) {
                seen.push(format!("{r:?}"));
                seen.push(r.sent.to_string());
            }
        }
    }
    for dir in ["snapshots", "docs"] {
        for entry in walk(&std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(dir)) {
            seen.push(std::fs::read_to_string(entry).unwrap_or_default());
        }
    }
    assert!(seen.len() > 200, "enough output was inspected: {}", seen.len());
    for text in &seen {
        assert!(!text.contains(TOKEN) && !text.contains(BOT), "a token leaked:\n{text}");
    }
}

fn walk(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let p = e.path();
        if p.is_dir() {
            out.extend(walk(&p));
        } else {
            out.push(p);
        }
    }
    out
}

#[test]
fn tls_is_verified_and_a_private_ca_is_trusted_only_when_given() {
    // Arrange: a correct double behind TLS with a certificate from a private CA.
    let double = block_on(Double::start(DoubleOptions::default(), &conformance::contract::corpus().operations));
    let upstream: std::net::SocketAddr = double.uri().trim_start_matches("http://").parse().expect("double address");
    let https = block_on(misbehaving::tls_proxy(upstream));
    let (base, hook) = (format!("{https}/beta"), format!("{https}/_provision/calls"));
    let run_delete = |extra: &[(&str, &str)]| {
        let mut vars = vec![("CONFORMANCE_TARGET", base.as_str()), ("CONFORMANCE_PROVISION_URL", hook.as_str())];
        vars.extend_from_slice(extra);
        let env = block_on(Env::start(config(&vars))).expect("env");
        let case = corpus().case("call-delete", Edition::Seeds).expect("case");
        block_on(async move { run_case(&env, &case, Family::Communications).await })
    };
    // Act + Assert: by default the private CA is not trusted...
    let refused = run_delete(&[]);
    let why = &refused.verdict.findings.first().expect("a finding").actual;
    assert!(why.contains(&hook) && why.to_lowercase().contains("certificate"), "{why}");
    // ...and with the bundle the whole exchange passes over TLS.
    let ca = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/tls/ca.pem");
    let trusted = run_delete(&[("CONFORMANCE_CA_BUNDLE", ca)]);
    assert!(trusted.verdict.passed(), "{:#?}", trusted.verdict.findings);
    // A bundle that cannot be used stops the run, naming the variable.
    let err = block_on(Env::start(config(&[("CONFORMANCE_CA_BUNDLE", "/no/such/bundle.pem")]))).expect_err("a missing bundle");
    assert!(err.contains("CONFORMANCE_CA_BUNDLE=/no/such/bundle.pem"), "{err}");
    drop(double);
}

#[test]
fn a_target_that_never_completes_the_connection_fails_at_the_connect_timeout() {
    let hook = block_on(Double::start(DoubleOptions::default(), &conformance::contract::corpus().operations));
    let (base, held, listener) = block_on(misbehaving::start_unconnectable());
    let env = block_on(Env::start(config(&[
        ("CONFORMANCE_TARGET", &base),
        ("CONFORMANCE_PROVISION_URL", &hook.provision_url),
        ("CONFORMANCE_TIMEOUT_MS", "8000"),
    ])))
    .expect("env");
    let case = corpus().case("call-delete", Edition::Seeds).expect("case");
    let started = std::time::Instant::now();
    let c = case.clone();
    let run = block_on(async move { run_case(&env, &c, Family::Communications).await });
    let took = started.elapsed();
    let msg = report::failure(&case, &run, &base);
    if std::env::var("SHOW_MESSAGES").is_ok() {
        eprintln!("{msg}\n(took {took:?})");
    }
    assert!(
        msg.contains(&format!("cannot connect to {base}")) && msg.contains("no connection within 5000 ms (connect timeout)"),
        "{msg}"
    );
    drop((held, listener, hook));
}
