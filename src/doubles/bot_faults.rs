//! The bot double's catalog: bugs real bots ship, each with the check that exists to catch it and
//! the replays that must expose it (`selftest::faults`, `docs/detection-matrix.md`).
//!
//! The one file of the bot double that names judging's checks and the bot side's replay shapes:
//! a fault declares what must catch it. The bot double's behaviour (`doubles::bot`) uses neither.

use serde_json::Value;
use strum::IntoEnumIterator;

use crate::bot::replay::Variant;
use crate::contract::fixture::NotificationFixture;
use crate::contract::ids::resource_ids;
use crate::judging::verdict::Check;

/// A bug of the bot double.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, strum::EnumIter, strum::IntoStaticStr)]
#[strum(serialize_all = "kebab-case", prefix = "bot-")]
pub enum BotFault {
    /// Acts on notifications without Authorization.
    AcceptsUnauthenticated,
    /// Understands only the legacy dialect.
    LegacyOnly,
    /// Understands only the current dialect.
    CurrentOnly,
    /// Refuses any property its author did not see in the examples.
    StrictProperties,
    /// Answers after the request timeout.
    Slow,
    /// Crashes (500) when a call or operation is deleted.
    CrashesOnDeleted,
    /// Refuses resultInfo codes written as strings.
    RejectsStringCodes,
    /// Refuses resultInfo codes written as integers.
    RejectsIntegerCodes,
    /// Refuses an envelope of more than one notification.
    RejectsBatched,
    /// Refuses an item that carries both `resource` and `resourceUrl`.
    RejectsBothResourceFields,
    /// Refuses a `Content-Type` with parameters.
    RejectsContentTypeParameters,
    /// Refuses a body without `Content-Length` (411).
    RequiresContentLength,
    /// Refuses call ids that are not hyphenated lower-case GUIDs.
    RejectsCompactGuids,
    /// Takes any Bearer token, not only its own.
    AcceptsAnyBearerToken,
    /// Takes Basic credentials too.
    AcceptsBasic,
    /// Reads an operation's status only in the documents' camelCase (`completed`).
    DocumentsStatusOnly,
    /// Reads an operation's status only in the metadata's PascalCase (`Completed`), as a bot built
    /// on Microsoft's TypeScript or Go SDK does.
    MetadataStatusOnly,
}

impl BotFault {
    /// Its name, as `CONFORMANCE_BOT_DOUBLE_FAULT` takes it.
    pub fn name(self) -> &'static str {
        self.into()
    }

    /// The bug, in a sentence.
    pub fn bug(self) -> &'static str {
        match self {
            BotFault::AcceptsUnauthenticated => "the bot acts on notifications that carry no Authorization",
            BotFault::LegacyOnly => "the bot parses only the legacy dialect (resource, terminationReason)",
            BotFault::CurrentOnly => "the bot parses only the current dialect (resourceUrl, resultInfo)",
            BotFault::StrictProperties => "the bot refuses properties the documents' examples do not show",
            BotFault::Slow => "the bot answers after 15 s, past the request timeout",
            BotFault::CrashesOnDeleted => "the bot answers 500 when a call or operation is deleted",
            BotFault::RejectsStringCodes => "the bot refuses resultInfo codes written as strings (\"200\")",
            BotFault::RejectsIntegerCodes => "the bot refuses resultInfo codes written as integers (200), as Graph's metadata types them",
            BotFault::RejectsBatched => "the bot reads only the first notification of an envelope and refuses more",
            BotFault::RejectsBothResourceFields => "the bot refuses an item with both resource and resourceUrl",
            BotFault::RejectsContentTypeParameters => "the bot requires Content-Type to be exactly application/json",
            BotFault::RequiresContentLength => "the bot refuses a chunked body (411 Length Required)",
            BotFault::RejectsCompactGuids => "the bot refuses call ids that are not hyphenated lower-case GUIDs",
            BotFault::AcceptsAnyBearerToken => "the bot takes any Bearer token, not only its own",
            BotFault::AcceptsBasic => "the bot takes Basic credentials as well as its Bearer token",
            BotFault::DocumentsStatusOnly => {
                "the bot reads an operation's status only as the documents spell it (\"completed\"), not the metadata's \"Completed\""
            }
            BotFault::MetadataStatusOnly => {
                "the bot reads an operation's status only as the metadata spells it (\"Completed\"), as the TypeScript and Go SDKs do"
            }
        }
    }

    /// The check that exists to catch it.
    pub fn check(self) -> Check {
        match self {
            BotFault::AcceptsUnauthenticated | BotFault::AcceptsAnyBearerToken | BotFault::AcceptsBasic => Check::BotRefusesUnauthenticated,
            _ => Check::BotAccepts,
        }
    }

    /// Looks a fault up by name.
    pub fn parse(name: &str) -> Option<BotFault> {
        BotFault::iter().find(|f| f.name() == name)
    }

    /// Looks up the fault `CONFORMANCE_BOT_DOUBLE_FAULT` names, or says which names there are.
    pub fn from_variable(name: &str) -> Result<BotFault, String> {
        super::lookup(
            "CONFORMANCE_BOT_DOUBLE_FAULT",
            name,
            BotFault::parse,
            BotFault::iter().map(BotFault::name),
        )
    }

    /// Whether replaying `fixture` as `variant` must expose this fault.
    pub fn must_catch(self, fixture: &NotificationFixture, variant: Variant) -> bool {
        let body = variant.body(fixture);
        let accepted = !variant.refused();
        match self {
            BotFault::AcceptsUnauthenticated => variant.refused(),
            BotFault::AcceptsAnyBearerToken => variant == Variant::OtherToken,
            BotFault::AcceptsBasic => variant == Variant::OtherScheme,
            BotFault::Slow => accepted,
            BotFault::RejectsContentTypeParameters => accepted && variant.content_type() != "application/json",
            BotFault::RequiresContentLength => accepted && variant.chunked(),
            body_fault => accepted && body_fault.refuses_body(&body),
        }
    }

    /// Whether the faulty bot refuses `body` for what it says (the faults that read the body).
    pub fn refuses_body(self, body: &Value) -> bool {
        match self {
            BotFault::LegacyOnly => is_current(body),
            BotFault::CurrentOnly => !is_current(body),
            BotFault::StrictProperties => has_unknown_key(body),
            BotFault::CrashesOnDeleted => has_deleted(body),
            BotFault::RejectsStringCodes => has_code(body, Value::is_string),
            BotFault::RejectsIntegerCodes => has_code(body, Value::is_number),
            BotFault::RejectsBatched => items(body).count() > 1,
            BotFault::RejectsBothResourceFields => items(body).any(|i| i.get("resource").is_some() && i.get("resourceUrl").is_some()),
            BotFault::RejectsCompactGuids => has_compact_call_id(body),
            BotFault::DocumentsStatusOnly => has_status(body, |s| s.starts_with(char::is_uppercase)),
            BotFault::MetadataStatusOnly => has_status(body, |s| s.starts_with(char::is_lowercase)),
            _ => false,
        }
    }
}

fn items(body: &Value) -> impl Iterator<Item = &Value> {
    body.get("value").and_then(Value::as_array).into_iter().flatten()
}

fn is_current(body: &Value) -> bool {
    body.get("@odata.type").is_some() || items(body).any(|i| i.get("resourceUrl").is_some())
}

fn has_deleted(body: &Value) -> bool {
    items(body).any(|i| i.get("changeType").and_then(Value::as_str) == Some("deleted"))
}

fn has_code(body: &Value, kind: fn(&Value) -> bool) -> bool {
    items(body).any(|i| i.pointer("/resourceData/resultInfo/code").is_some_and(kind))
}

/// Whether an item's operation status is spelled as `spelled` says.
fn has_status(body: &Value, spelled: fn(&str) -> bool) -> bool {
    items(body).any(|i| i.pointer("/resourceData/status").and_then(Value::as_str).is_some_and(spelled))
}

/// Whether an item names its call by a compact GUID (32 hex digits, no hyphens).
fn has_compact_call_id(body: &Value) -> bool {
    items(body).any(|i| {
        ["resource", "resourceUrl"]
            .iter()
            .filter_map(|k| i.get(*k).and_then(Value::as_str))
            .filter_map(resource_ids)
            .any(|(id, _)| id.len() == 32 && id.chars().all(|c| c.is_ascii_hexdigit()))
    })
}

/// The property names of the documents' notifications: all a `StrictProperties` bot knows.
const DOCUMENTED_KEYS: &[&str] = &[
    "@odata.type",
    "@odata.id",
    "@odata.etag",
    "value",
    "changeType",
    "resource",
    "resourceUrl",
    "resourceData",
    "clientContext",
    "status",
    "state",
    "resultInfo",
    "code",
    "subcode",
    "message",
    "terminationReason",
    "direction",
    "source",
    "targets",
    "requestedModalities",
    "identity",
    "user",
    "application",
    "displayName",
    "id",
    "region",
    "languageId",
];

fn has_unknown_key(v: &Value) -> bool {
    match v {
        Value::Object(m) => m.iter().any(|(k, v)| !DOCUMENTED_KEYS.contains(&k.as_str()) || has_unknown_key(v)),
        Value::Array(a) => a.iter().any(has_unknown_key),
        _ => false,
    }
}
