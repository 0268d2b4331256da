//! `cargo xtask import-docs`: the markdown source pages become the same fixtures a person wrote by
//! hand, and a page the project writes itself becomes valid fixtures.

use conformance::contract::fixture::{NotificationFixture, RequestFixture, ResponseFixture};
use conformance::contract::{corpus, schemas};
use conformance::import::import_page;

fn seed(name: &str) -> String {
    std::fs::read_to_string(std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/seeds").join(name)).expect("seed")
}

#[rstest::rstest]
#[case::cancel_media_processing_2019("000_58338c7c019efa4e.txt", "call-cancelMediaProcessing", "応答 (Response)")]
#[case::delete_2018("004_f573ffdafbc6c951.txt", "delete_call", "Ответ")]
fn importing_a_markdown_seed_reproduces_the_hand_written_fixtures(
    #[case] file: &str,
    #[case] case_id: &str,
    #[case] response_heading: &str,
) {
    let imported = import_page(file, &seed(file));
    let c = corpus();
    let request = imported
        .iter()
        .find(|f| f.path == format!("requests/{case_id}.json"))
        .expect("the request");
    let req: RequestFixture = serde_json::from_value(request.fixture.clone()).expect("a valid request fixture");
    let hand = c.request(case_id).expect("hand-written");
    assert_eq!(
        (&req.request.method, &req.request.body, &req.request.headers),
        (&hand.request.method, &hand.request.body, &hand.request.headers)
    );
    assert_eq!(req.request.url, hand.request.url);
    assert_eq!(
        (&req.response, &req.notifications, &req.call),
        (&hand.response, &hand.notifications, &hand.call)
    );
    assert_eq!(
        (&req.provenance.seed, &req.provenance.operation, &req.provenance.example),
        (&hand.provenance.seed, &hand.provenance.operation, &hand.provenance.example)
    );
    assert_eq!(req.provenance.published, hand.provenance.published, "ISO date, locale and version");
    let response = imported.iter().find(|f| f.path.starts_with("responses/")).expect("the response");
    let resp: ResponseFixture = serde_json::from_value(response.fixture.clone()).expect("a valid response fixture");
    let hand_resp = &c.responses[&hand.response];
    assert_eq!(
        (resp.status, &resp.headers, &resp.body, &resp.rules, resp.truncated),
        (
            hand_resp.status,
            &hand_resp.headers,
            &hand_resp.body,
            &hand_resp.rules,
            hand_resp.truncated
        )
    );
    // Sections are the page's headings verbatim (the hand-written ones add English glosses).
    assert_eq!(
        resp.provenance.section, response_heading,
        "the response's own heading, not the request's"
    );
    for n in imported.iter().filter(|f| f.path.starts_with("notifications/")) {
        let got: NotificationFixture = serde_json::from_value(n.fixture.clone()).expect("a valid notification fixture");
        let want = c
            .notification(&got.id)
            .unwrap_or_else(|| panic!("{} is not a hand-written fixture", got.id));
        assert_eq!(
            (&got.body, &got.rules, &got.dialect),
            (&want.body, &want.rules, &want.dialect),
            "{}",
            got.id
        );
        assert_eq!(
            (&got.delivery.url, &got.delivery.headers),
            (&want.delivery.url, &want.delivery.headers),
            "{}",
            got.id
        );
    }
}

#[test]
fn a_page_the_project_writes_becomes_valid_fixtures() {
    let text =
        std::fs::read_to_string(std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/samples/call-updaterecordingstatus.md"))
            .expect("sample");
    let imported = import_page("call-updaterecordingstatus.md", &text);
    let paths: Vec<&str> = imported.iter().map(|f| f.path.as_str()).collect();
    assert_eq!(
        paths,
        [
            "responses/call-updateRecordingStatus-sample.json",
            "notifications/call-updateRecordingStatus-sample--notification-operation-completed.json",
            "requests/call-updateRecordingStatus-sample.json"
        ]
    );
    let req: RequestFixture = serde_json::from_value(imported[2].fixture.clone()).expect("request");
    assert_eq!(
        req.provenance.operation,
        conformance::contract::operation::Operation::UpdateRecordingStatus
    );
    assert_eq!(
        req.notifications,
        ["call-updateRecordingStatus-sample--notification-operation-completed"]
    );
    assert!(schemas()
        .validate("updateRecordingStatus.request", req.request.body.as_ref().expect("body"))
        .is_empty());
    let resp: ResponseFixture = serde_json::from_value(imported[0].fixture.clone()).expect("response");
    assert_eq!(resp.schema.as_deref(), Some("updateRecordingStatusOperation"));
    assert!(schemas()
        .validate("updateRecordingStatusOperation", resp.body.as_ref().expect("body"))
        .is_empty());
    assert_eq!(resp.rules.get("/id").map(String::as_str), Some("location-operation-id"));
    assert_eq!(resp.rules.get("header:Location").map(String::as_str), Some("operation-of-call"));
    let note: NotificationFixture = serde_json::from_value(imported[1].fixture.clone()).expect("notification");
    assert_eq!(note.dialect, conformance::contract::fixture::Dialect::Current);
    assert!(schemas().validate("commsNotifications.current", &note.body).is_empty());
    assert_eq!(
        note.rules.get("/value/0/resourceUrl").map(String::as_str),
        Some("operation-resource")
    );
    assert_eq!(
        note.rules.get("/value/0/resourceData/clientContext").map(String::as_str),
        Some("echo-request")
    );
}
