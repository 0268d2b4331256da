//! The bot double's catalog: bugs real bots ship, each with the check that exists to catch it and
//! the replays that must expose it (`selftest::faults`, `docs/detection-matrix.md`).
//!
//! The one file of the bot double that names judging's checks and the bot side's replay shapes:
//! a fault declares what must catch it. The bot double's behaviour (`doubles::bot`) uses neither.

use serde_json::Value;

use crate::bot::replay::Variant;
use crate::contract::fixture::NotificationFixture;
use crate::judging::check::Check;

/// A bug of the bot double.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
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
}

impl BotFault {
    /// Every bot fault.
    pub const ALL: [BotFault; 7] = [
        BotFault::AcceptsUnauthenticated,
        BotFault::LegacyOnly,
        BotFault::CurrentOnly,
        BotFault::StrictProperties,
        BotFault::Slow,
        BotFault::CrashesOnDeleted,
        BotFault::RejectsStringCodes,
    ];

    /// Its name, as `CONFORMANCE_BOT_DOUBLE_FAULT` takes it.
    pub fn name(self) -> &'static str {
        match self {
            BotFault::AcceptsUnauthenticated => "bot-accepts-unauthenticated",
            BotFault::LegacyOnly => "bot-legacy-only",
            BotFault::CurrentOnly => "bot-current-only",
            BotFault::StrictProperties => "bot-strict-properties",
            BotFault::Slow => "bot-slow",
            BotFault::CrashesOnDeleted => "bot-crashes-on-deleted",
            BotFault::RejectsStringCodes => "bot-rejects-string-codes",
        }
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
        }
    }

    /// The check that exists to catch it.
    pub fn check(self) -> Check {
        match self {
            BotFault::AcceptsUnauthenticated => Check::BotRefusesUnauthenticated,
            _ => Check::BotAccepts,
        }
    }

    /// Looks a fault up by name.
    pub fn parse(name: &str) -> Option<BotFault> {
        BotFault::ALL.into_iter().find(|f| f.name() == name)
    }

    /// Looks up the fault `CONFORMANCE_BOT_DOUBLE_FAULT` names, or says which names there are.
    pub fn from_variable(name: &str) -> Result<BotFault, String> {
        super::lookup(
            "CONFORMANCE_BOT_DOUBLE_FAULT",
            name,
            BotFault::parse,
            BotFault::ALL.map(BotFault::name),
        )
    }

    /// Whether replaying `fixture` as `variant` must expose this fault.
    pub fn must_catch(self, fixture: &NotificationFixture, variant: Variant) -> bool {
        let body = variant.body(fixture);
        let authorized = variant != Variant::Unauthenticated;
        match self {
            BotFault::AcceptsUnauthenticated => !authorized,
            BotFault::LegacyOnly => authorized && is_current(&body),
            BotFault::CurrentOnly => authorized && !is_current(&body),
            BotFault::StrictProperties => variant == Variant::ExtraProperties,
            BotFault::Slow => authorized,
            BotFault::CrashesOnDeleted => authorized && has_deleted(&body),
            BotFault::RejectsStringCodes => authorized && has_string_code(&body),
        }
    }
}

fn items(body: &Value) -> impl Iterator<Item = &Value> {
    body.get("value").and_then(Value::as_array).into_iter().flatten()
}

pub(super) fn is_current(body: &Value) -> bool {
    body.get("@odata.type").is_some() || items(body).any(|i| i.get("resourceUrl").is_some())
}

pub(super) fn has_deleted(body: &Value) -> bool {
    items(body).any(|i| i.get("changeType").and_then(Value::as_str) == Some("deleted"))
}

pub(super) fn has_string_code(body: &Value) -> bool {
    items(body).any(|i| i.pointer("/resourceData/resultInfo/code").is_some_and(Value::is_string))
}
