//! One table of allowances (`tests/fixtures/data/allowances.json`) feeds both sides: whatever the
//! suite forgives a service in a notification, it requires a bot to accept. Each allowance is a
//! replay shape on the bot's side (`bot::replay::Variant`) and, here, the same shape judged on the
//! service's side: every documented notification, sent by a target in that shape, passes the checks.

use std::time::Duration;
use strum::IntoEnumIterator;

use conformance::bot::replay::Variant;
use conformance::contract::ids::{participants_of, resource_ids};
use conformance::contract::{corpus, schemas};
use conformance::judging::notifications::{check_notifications, ExpectedNotification};
use conformance::judging::rules::Facts;
use conformance::judging::verdict::Verdict;
use conformance::running::harness::block_on;
use conformance::wire::listener::{Limits, Listener};

#[test]
fn allowances_every_one_is_a_bot_shape_and_every_shape_is_one() {
    let table: Vec<(&str, &str)> = corpus().allowances.iter().map(|a| (a.id.as_str(), a.shape.as_str())).collect();
    let shapes: Vec<(&str, &str)> = Variant::shapes()
        .map(|v| (v.allowance().expect("a shape names its allowance"), v.name()))
        .collect();
    assert_eq!(
        table, shapes,
        "data/allowances.json and bot::replay::Variant::shapes() must list the same allowances, with the same names, in the same order"
    );
    for v in Variant::iter() {
        assert_eq!(
            v.allowance().is_some(),
            Variant::shapes().any(|s| s == v),
            "{v:?}: only shapes name an allowance"
        );
    }
}

#[test]
fn allowances_the_service_side_forgives_every_shape_of_every_documented_notification() {
    let mut problems = Vec::new();
    for (id, (_, fixture)) in &corpus().notifications {
        let expected = ExpectedNotification::from_fixture(fixture).expect("a notification fixture");
        // The call and the operation the example names, as provisioning and Location would give them.
        let (call_id, operation_id) = fixture
            .body
            .pointer("/value/0")
            .and_then(|i| i.get("resource").or_else(|| i.get("resourceUrl")))
            .and_then(|r| r.as_str())
            .and_then(|r| resource_ids(r).or_else(|| participants_of(r).map(|call| (call, None))))
            .expect("the example names its call");
        for shape in Variant::shapes().chain([Variant::AllAtOnce]).filter(|v| v.applies(fixture)) {
            let header_name = |n: &str| {
                if shape.title_case() {
                    n.to_string()
                } else {
                    n.to_ascii_lowercase()
                }
            };
            let heard = conformance::wire::listener::Heard {
                seq: 1,
                method: "POST".into(),
                headers: vec![
                    (header_name("Content-Type"), shape.content_type().into()),
                    (header_name("Authorization"), "Bearer a-service-token".into()),
                ],
                body: shape.body(fixture).to_string().into_bytes(),
                refused: None,
            };
            let request_body = fixture
                .body
                .pointer("/value/0/resourceData/clientContext")
                .map(|c| serde_json::json!({"clientContext": c}));
            let facts = Facts {
                call_id: &call_id,
                operation_id: operation_id.clone(),
                request_body: request_body.as_ref(),
                corpus: corpus(),
                call_state: None,
                my_participant: None,
                my_muted: None,
            };
            let mut v = Verdict::default();
            check_notifications(std::slice::from_ref(&expected), schemas(), &facts, &[heard], 1000, &mut v);
            if !v.passed() {
                problems.push(format!("{id} sent {}: {:#?}", shape.name(), v.findings));
            }
        }
    }
    assert!(
        problems.is_empty(),
        "the checks refuse what the table allows:\n{}",
        problems.join("\n")
    );
}

#[test]
fn allowances_the_listener_takes_a_chunked_notification() {
    block_on(async {
        let listener = Listener::with_limits("127.0.0.1:0".parse().expect("addr"), None, Limits::default())
            .await
            .expect("listener");
        let (url, inbox) = listener.open("chunked");
        let body = corpus().notifications.values().next().expect("a notification").1.body.to_string();
        let half = body.len() / 2;
        let chunks = vec![body.as_bytes()[..half].to_vec(), body.as_bytes()[half..].to_vec()];
        let stream = futures_util::stream::iter(chunks.into_iter().map(Ok::<_, std::io::Error>));
        let client = conformance::wire::target::http_client(Duration::from_secs(10), None).expect("client");
        let r = client
            .post(&url)
            .header("content-type", "application/json")
            .body(reqwest::Body::wrap_stream(stream))
            .send()
            .await
            .expect("an answer");
        assert_eq!(r.status().as_u16(), 202);
        let heard = inbox.snapshot();
        assert_eq!(heard.len(), 1);
        assert!(
            heard[0].header("content-length").is_none(),
            "it was chunked: {:?}",
            heard[0].headers
        );
        assert_eq!(heard[0].body, body.as_bytes());
    });
}

/// A roster update of `call` in which `me` is muted or not, the caller never.
fn roster_update(seq: usize, call: &str, me: &str, muted: bool) -> conformance::wire::listener::Heard {
    let member = |id: &str, m: bool| serde_json::json!({"id": id, "isMuted": m, "isInLobby": false, "info": {}});
    let body = serde_json::json!({"@odata.type": "#microsoft.graph.commsNotifications", "value": [{
        "@odata.type": "#microsoft.graph.commsNotification", "changeType": "updated",
        "resourceUrl": format!("/communications/calls/{call}/participants"),
        "resourceData": [member("p-caller", false), member(me, muted)]}]});
    conformance::wire::listener::Heard {
        seq,
        method: "POST".into(),
        headers: vec![("content-type".into(), "application/json".into())],
        body: body.to_string().into_bytes(),
        refused: None,
    }
}

#[test]
fn allowances_a_roster_update_is_told_from_another_by_the_bots_own_member_whatever_their_order() {
    // (A generated program once had changeScreenSharingRole's optional update take mute's.)
    use conformance::judging::notifications::all_heard;
    // mute's and unmute's updates of one call may come in either order (CONTRACT.md 7.3: order is
    // promised within one operation's notifications only); each expectation takes its own.
    let expected = |id: &str| ExpectedNotification {
        me: Some("p-bot".into()),
        ..ExpectedNotification::from_fixture(corpus().notification(id).expect("a fixture")).expect("a notification fixture")
    };
    let muted = expected("call-mute--notification-roster-muted");
    let unmuted = expected("call-unmute--notification-roster-unmuted");
    let unmute_first = [roster_update(1, "c1", "p-bot", false)];
    assert!(all_heard(std::slice::from_ref(&unmuted), &unmute_first, "c1"));
    assert!(
        !all_heard(std::slice::from_ref(&muted), &unmute_first, "c1"),
        "an update saying the bot is unmuted (the caller is too) is not mute's"
    );
    let both = [roster_update(1, "c1", "p-bot", false), roster_update(2, "c1", "p-bot", true)];
    assert!(all_heard(&[muted.clone(), unmuted.clone()], &both, "c1"));
    // changeScreenSharingRole's update (its isMuted the bot's mute state, as the model knows it) is
    // not the mute after it: on an unmuted call it never takes an update saying the bot is muted.
    let role = ExpectedNotification {
        my_muted: Some(false),
        ..expected("call-changeScreenSharingRole--notification-roster-updated")
    };
    assert!(!all_heard(
        std::slice::from_ref(&role),
        &[roster_update(1, "c1", "p-bot", true)],
        "c1"
    ));
    assert!(all_heard(
        std::slice::from_ref(&role),
        &[roster_update(1, "c1", "p-bot", false)],
        "c1"
    ));
    // Another call's roster, and a roster that lacks the bot, are neither.
    assert!(!all_heard(
        std::slice::from_ref(&muted),
        &[roster_update(1, "c2", "p-bot", true)],
        "c1"
    ));
    assert!(!all_heard(
        std::slice::from_ref(&muted),
        &[roster_update(1, "c1", "p-other", true)],
        "c1"
    ));
}
