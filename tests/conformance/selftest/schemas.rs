//! The schemas hold the documents' constraints: every valid fixture validates, every known-invalid
//! one fails where it should, and each documented bound is a case of its own.

use conformance::contract::{corpus, schemas};
use rstest::rstest;
use serde_json::{json, Value};

fn errors(schema: &str, instance: &Value) -> Vec<String> {
    schemas().validate(schema, instance).iter().map(|e| e.to_string()).collect()
}

#[test]
fn every_schema_is_draft_2020_12_with_an_id() {
    let mut n = 0;
    for name in schemas().names() {
        let raw: Value = serde_json::from_str(&std::fs::read_to_string(schemas().path(name)).expect("schema file")).expect("schema JSON");
        assert_eq!(raw["$schema"], "https://json-schema.org/draft/2020-12/schema", "{name}");
        assert!(
            raw["$id"].as_str().is_some_and(|id| id.ends_with(&format!("/{name}.json"))),
            "{name}: $id must end with its file name"
        );
        n += 1;
    }
    assert!(n >= 13, "expected every schema of CONTRACT.md, found {n}");
}

#[test]
fn every_request_fixture_validates_against_its_operation_schema() {
    let c = corpus();
    for (_, f) in c.requests.values() {
        let op = c.operations.row(f.provenance.operation);
        // As sent: with what the suite supplies (answer's callbackUri: its listener) in place.
        let case = c.case(&f.id, conformance::contract::edition::Edition::Seeds).expect("a case");
        let sent = case.substituted(f.request.body.clone(), "http://127.0.0.1:9/callbacks/schema-check");
        match (&op.request_schema, &sent) {
            (Some(schema), Some(body)) => assert_eq!(errors(schema, body), Vec::<String>::new(), "{}", f.id),
            (None, None) => {}
            _ => panic!("{}: a body without a schema, or a schema without a body", f.id),
        }
    }
}

#[test]
fn every_response_body_validates_against_its_schema() {
    for f in corpus().responses.values() {
        match (&f.schema, &f.body) {
            (Some(schema), Some(body)) => assert_eq!(errors(schema, body), Vec::<String>::new(), "{}", f.id),
            (None, None) => {}
            _ => panic!("{}: a body without a schema, or a schema without a body", f.id),
        }
    }
}

#[test]
fn every_notification_validates_in_its_own_dialect_and_the_union() {
    for (_, f) in corpus().notifications.values() {
        let own = format!("commsNotifications.{}", f.dialect);
        let other = format!("commsNotifications.{}", f.dialect.other());
        assert_eq!(errors(&own, &f.body), Vec::<String>::new(), "{}", f.id);
        assert_eq!(errors("commsNotifications", &f.body), Vec::<String>::new(), "{}", f.id);
        assert!(!errors(&other, &f.body).is_empty(), "{} must not pass as the other dialect", f.id);
    }
}

#[test]
fn every_known_invalid_example_fails_where_it_should() {
    for f in corpus().invalid.values() {
        let errs = schemas().validate(&f.schema, &f.body);
        let at: Vec<&str> = errs.iter().map(|e| e.instance_path.as_str()).collect();
        for want in &f.errors_at {
            assert!(at.contains(&want.as_str()), "{}: expected an error at {want}, got {errs:?}", f.id);
        }
    }
}

#[test]
fn an_unknown_schema_name_is_an_error_not_a_pass() {
    assert!(!errors("no-such-schema", &json!({})).is_empty());
}

#[rstest]
#[case::client_context_256_is_accepted("updateRecordingStatus.request", json!({"status": "recording", "clientContext": "x".repeat(256)}), true)]
#[case::client_context_257_is_refused("updateRecordingStatus.request", json!({"status": "recording", "clientContext": "x".repeat(257)}), false)]
#[case::client_context_number_is_refused("updateRecordingStatus.request", json!({"status": "recording", "clientContext": 7}), false)]
#[case::status_missing_is_refused("updateRecordingStatus.request", json!({"clientContext": "c"}), false)]
#[case::status_capitalised_is_refused("updateRecordingStatus.request", json!({"status": "Recording"}), false)]
#[case::reject_reason_forbidden_is_accepted("reject.request", json!({"reason": "forbidden"}), true)]
#[case::reject_reason_outside_enum_is_refused("reject.request", json!({"reason": "declined"}), false)]
#[case::reject_callback_https_is_accepted("reject.request", json!({"callbackUri": "https://bot.contoso.com/api/calls"}), true)]
#[case::reject_callback_http_is_refused("reject.request", json!({"callbackUri": "http://bot.contoso.com/api/calls"}), false)]
#[case::cancel_all_string_is_refused("cancelMediaProcessing.request", json!({"all": "yes"}), false)]
#[case::cancel_client_context_number_is_refused("cancelMediaProcessing.request", json!({"clientContext": 1}), false)]
#[case::result_info_integer_codes("resultInfo", json!({"code": 200, "subcode": 5001}), true)]
#[case::result_info_digit_string_codes("resultInfo", json!({"code": "200", "subcode": "5001"}), true)]
#[case::result_info_non_digit_code_is_refused("resultInfo", json!({"code": "2x0", "subcode": "5001"}), false)]
#[case::operation_status_metadata_spelling_is_accepted("updateRecordingStatusOperation", json!({"@odata.type": "#microsoft.graph.updateRecordingStatusOperation", "id": "o", "status": "Completed"}), true)]
#[case::operation_status_documents_spelling_is_accepted("updateRecordingStatusOperation", json!({"@odata.type": "#microsoft.graph.updateRecordingStatusOperation", "id": "o", "status": "completed"}), true)]
#[case::operation_status_upper_case_is_refused("updateRecordingStatusOperation", json!({"@odata.type": "#microsoft.graph.updateRecordingStatusOperation", "id": "o", "status": "COMPLETED"}), false)]
#[case::operation_status_other_word_is_refused("cancelMediaProcessingOperation", json!({"@odata.type": "#microsoft.graph.cancelMediaProcessingOperation", "id": "o", "status": "complete"}), false)]
#[case::operation_without_id_is_refused("cancelMediaProcessingOperation", json!({"@odata.type": "#microsoft.graph.cancelMediaProcessingOperation", "status": "completed"}), false)]
#[case::error_with_numeric_string_code("graph.error", json!({"error": {"code": "9997", "message": "Call not found"}}), true)]
#[case::error_without_message_is_refused("graph.error", json!({"error": {"code": "9997"}}), false)]
#[case::error_as_plain_text_shape_is_refused("graph.error", json!({"message": "not found"}), false)]
#[case::call_state_outside_enum_is_refused("call", json!({"@odata.type": "#microsoft.graph.call", "state": "ended"}), false)]
#[case::notification_with_both_resource_fields("commsNotifications", json!({"value": [{"changeType": "updated", "resource": "/app/calls/x", "resourceUrl": "/app/calls/x", "resourceData": {"@odata.type": "#microsoft.graph.call", "callChainId": "c"}}]}), true)]
#[case::notification_change_type_outside_enum_is_refused("commsNotifications", json!({"value": [{"changeType": "removed", "resource": "/app/calls/x", "resourceData": {"@odata.type": "#microsoft.graph.call"}}]}), false)]
#[case::notification_without_resource_is_refused("commsNotifications", json!({"value": [{"changeType": "deleted", "resourceData": {"@odata.type": "#microsoft.graph.call"}}]}), false)]
#[case::notification_empty_value_is_refused("commsNotifications", json!({"value": []}), false)]
fn documented_bounds(#[case] schema: &str, #[case] instance: Value, #[case] valid: bool) {
    let errs = errors(schema, &instance);
    assert_eq!(errs.is_empty(), valid, "{schema} on {instance}: {errs:?}");
}

#[test]
fn an_operation_status_has_two_spellings_and_no_third() {
    use conformance::contract::status::{documented_member, metadata_spelling};
    assert_eq!(metadata_spelling("notStarted"), "NotStarted");
    for (actual, member) in [
        ("completed", "completed"),
        ("Completed", "completed"),
        ("NotStarted", "notStarted"),
        ("failed", "failed"),
    ] {
        assert_eq!(documented_member(actual), Some(member), "{actual:?}");
    }
    for other in ["COMPLETED", "complete", "notstarted", "Notstarted", ""] {
        assert_eq!(documented_member(other), None, "{other:?}");
    }
}
