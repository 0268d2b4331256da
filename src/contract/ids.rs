//! Ids as the contract writes them: a call's and an operation's, in a resource path, in either
//! dialect's spelling. Judging compares with them; the doubles and the bot's side read them too.

/// Ids compare case-insensitively and without hyphens: the legacy dialect writes the call
/// `57dab8b1-894c-…` as `57DAB8B1894C…` (seeds 000 and 004).
pub fn ids_equal(a: &str, b: &str) -> bool {
    let norm = |s: &str| s.chars().filter(|c| *c != '-').flat_map(char::to_lowercase).collect::<String>();
    !a.is_empty() && norm(a) == norm(b)
}

/// A well-formed participant id no target has: what a request on a participant names where the
/// suite has no participant of the call to name (an ended or unknown call, the unknown-participant rule).
pub const UNKNOWN_PARTICIPANT: &str = "0c0ffee0-0000-4000-8000-0000000fab1e";

/// The call id and operation id a resource path names: `/app/calls/X/operations/Y` gives `(X, Some(Y))`.
pub fn resource_ids(resource: &str) -> Option<(String, Option<String>)> {
    let after = after_calls(resource)?;
    let call = after.first().filter(|s| !s.is_empty())?.to_string();
    match after.get(1..) {
        Some([]) | None => Some((call, None)),
        Some(["operations", op]) if !op.is_empty() => Some((call, Some(op.to_string()))),
        Some(_) => None,
    }
}

/// The segments of a resource path after its last `calls` (query and fragment left out).
fn after_calls(resource: &str) -> Option<Vec<&str>> {
    let path = resource.split(['?', '#']).next().unwrap_or_default();
    let segs: Vec<&str> = path.split('/').collect();
    let i = segs.iter().rposition(|s| *s == "calls")?;
    Some(segs[i + 1..].to_vec())
}

/// The call whose participants (its roster) a resource path names: `/communications/calls/X/participants` gives `X`.
pub fn participants_of(resource: &str) -> Option<String> {
    match after_calls(resource)?.as_slice() {
        [call, "participants"] if !call.is_empty() => Some(call.to_string()),
        _ => None,
    }
}

/// The call a resource path is about (a call, its operation, or its roster) and which of them: a
/// notification expected of one is never matched by one about another.
pub fn resource_call(resource: &str) -> Option<(String, &'static str)> {
    match resource_ids(resource) {
        Some((call, None)) => Some((call, "call")),
        Some((call, Some(_))) => Some((call, "operation")),
        None => participants_of(resource).map(|call| (call, "participants")),
    }
}

/// Whether a roster's `member` is participant `id` (ids compared as [`ids_equal`] does).
pub fn is_participant(member: &serde_json::Value, id: &str) -> bool {
    member
        .get("id")
        .and_then(serde_json::Value::as_str)
        .is_some_and(|m| ids_equal(m, id))
}
