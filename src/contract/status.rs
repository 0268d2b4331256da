//! The two spellings of `commsOperation.status` (CONTRACT.md section 4): the documents write the
//! members camelCase (`completed`), the metadata PascalCase (`Completed`), and Microsoft's
//! TypeScript and Go SDKs read only the metadata's. Both are conformant; no other casing is. No
//! other enum of the Calls API has two spellings, so this is the one place that knows it.

use serde_json::{Map, Value};

/// Whether `map` is an operation (`commsOperation` or a type derived from it), by its `@odata.type`.
pub fn is_operation(map: &Map<String, Value>) -> bool {
    map.get("@odata.type")
        .and_then(Value::as_str)
        .is_some_and(|t| t.ends_with("Operation"))
}

/// The members of `operationStatus`, as the documents write them.
pub const OPERATION_STATUSES: [&str; 4] = ["notStarted", "running", "completed", "failed"];

/// The metadata's spelling of a documents' member (`notStarted` -> `NotStarted`).
pub fn metadata_spelling(member: &str) -> String {
    let mut chars = member.chars();
    chars
        .next()
        .map(|first| first.to_uppercase().chain(chars).collect())
        .unwrap_or_default()
}

/// The documents' member `actual` spells, in either conformant spelling; `None` for any other
/// string (`COMPLETED`, `complete`).
pub fn documented_member(actual: &str) -> Option<&'static str> {
    OPERATION_STATUSES
        .into_iter()
        .find(|m| *m == actual || metadata_spelling(m) == actual)
}
