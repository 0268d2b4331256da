//! The bot's side: a correct bot passes every replay and receives every documented notification;
//! each bot fault is caught by the replays it must fail; the variants are valid notifications.

use conformance::bot::replay::{failure, other_dialect, with_extra_properties, Variant};
use conformance::contract::{corpus, schemas};
use conformance::doubles::bot_faults::BotFault;
use conformance::judging::verdict::Check;
use conformance::running::embedded::Env;
use conformance::running::harness::{block_on, replay_notification};

pub const BOT_CANARY: &str = "bot-canary-token-91f4";

fn env_with(vars: &[(&str, &str)]) -> Env {
    block_on(Env::start(crate::selftest::config(vars))).expect("env")
}

#[test]
fn a_correct_bot_passes_every_replay_and_receives_every_documented_notification() {
    let env = std::sync::Arc::new(env_with(&[("CONFORMANCE_BOT_TOKEN", BOT_CANARY)]));
    for id in corpus().notifications.keys() {
        let (e, id2) = (env.clone(), id.clone());
        let replays = block_on(async move { replay_notification(&e, &id2).await });
        let failed: Vec<_> = replays.iter().filter(|r| !r.verdict.passed()).collect();
        assert!(failed.is_empty(), "{id}: {failed:#?}");
    }
    let received = env.bot_double.as_ref().expect("the bot double").received();
    for (id, (_, f)) in &corpus().notifications {
        assert!(received.contains(&f.body), "the bot never received {id} as documented");
        assert!(
            received.contains(&Variant::OtherDialect.body(f)),
            "the bot never received {id} in the other dialect"
        );
    }
}

#[test]
fn the_other_dialect_and_extra_property_variants_are_valid_notifications() {
    for (id, (_, f)) in &corpus().notifications {
        let other = f.dialect.other();
        let converted = other_dialect(&f.body, f.dialect);
        let errs = schemas().validate(&format!("commsNotifications.{other}"), &converted);
        assert!(errs.is_empty(), "{id} in the {other} dialect: {errs:?}\n{converted:#}");
        let extra = with_extra_properties(&f.body);
        assert_ne!(extra, f.body);
        assert!(
            schemas().validate(&format!("commsNotifications.{}", f.dialect), &extra).is_empty(),
            "{id} with extra properties"
        );
        // Converting back gives the same event: same change, resource and state.
        let back = other_dialect(&converted, other);
        for p in [
            "/value/0/changeType",
            "/value/0/resourceData/state",
            "/value/0/resourceData/@odata.type",
        ] {
            assert_eq!(back.pointer(p), f.body.pointer(p), "{id} {p}");
        }
    }
}

/// One replay against a faulty bot: which, how, the checks that failed it, and the case's message.
pub struct ReplayResult {
    pub id: String,
    pub variant: Variant,
    pub checks: Vec<Check>,
    pub message: String,
}

/// Runs every replay against the bot double with `fault`.
pub fn replays_under(fault: BotFault) -> Vec<ReplayResult> {
    let env = std::sync::Arc::new(env_with(&[
        ("CONFORMANCE_BOT_DOUBLE_FAULT", fault.name()),
        ("CONFORMANCE_BOT_TOKEN", BOT_CANARY),
        // Well short of the 15 s `bot-slow`, and only that fault waits it out; a correct answer takes
        // milliseconds, but 3 s once timed out a correct replay on a heavily loaded 2-core machine.
        ("CONFORMANCE_TIMEOUT_MS", "8000"),
    ]));
    block_on(async move {
        let mut tasks = tokio::task::JoinSet::new();
        for id in corpus().notifications.keys() {
            let (env, id) = (env.clone(), id.clone());
            tasks.spawn(async move {
                let replays = replay_notification(&env, &id).await;
                let fixture = corpus().notification(&id).expect("loaded");
                let message = failure(fixture, &replays, &env.describe_bot());
                replays
                    .into_iter()
                    .map(|r| ReplayResult {
                        id: id.clone(),
                        variant: r.variant,
                        checks: r.verdict.findings.iter().map(|f| f.check).collect(),
                        message: message.clone(),
                    })
                    .collect::<Vec<_>>()
            });
        }
        let mut out = Vec::new();
        while let Some(r) = tasks.join_next().await {
            out.extend(r.expect("a replay task panicked"));
        }
        out.sort_by(|a, b| (&a.id, a.variant).cmp(&(&b.id, b.variant)));
        out
    })
}

#[test]
fn bot_token_is_never_printed_even_when_replays_fail() {
    let results = replays_under(BotFault::RejectsStringCodes);
    assert!(results.iter().any(|r| !r.checks.is_empty()), "this fault must fail some replay");
    for r in &results {
        assert!(!r.message.contains(BOT_CANARY), "{}", r.message);
    }
    let failing = results.iter().find(|r| !r.checks.is_empty()).expect("a failure");
    assert!(
        failing.message.contains("Authorization: Bearer [redacted]") && failing.message.contains("< 400"),
        "{}",
        failing.message
    );
}
