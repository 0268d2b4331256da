//! A case: one documented request example, resolved under an edition into what to send and what
//! to expect. Pure: no I/O.

use std::path::Path;

use serde_json::Value;

use super::edition::Edition;
use super::family::Family;
use super::fixture::{Corpus, Level, NegativeFixture, NotificationFixture, RequestFixture, ResponseFixture, Substitute};
use super::ids::UNKNOWN_PARTICIPANT;
use super::operation::{On, Operation, OperationRow};
use super::variations::Variation;

/// What one case sends and expects under one edition.
#[derive(Debug, Clone)]
pub struct Case<'c> {
    /// The request fixture the case comes from.
    pub fixture: &'c RequestFixture,
    /// Its file.
    pub path: &'c Path,
    /// The operation.
    pub operation: Operation,
    /// Its row of the table of operations.
    pub op: &'c OperationRow,
    /// The edition the expectations come from.
    pub edition: Edition,
    /// The body to send, after the edition's changes.
    pub body: Option<Value>,
    /// The expected response.
    pub response: &'c ResponseFixture,
    /// The notifications the exchange must cause, in order.
    pub notifications: Vec<&'c NotificationFixture>,
    /// The notifications the edition lets the exchange cause or not (judged when they come).
    pub optional_notifications: Vec<&'c NotificationFixture>,
    /// The notifications the fixture's stimulus must cause after them (none without one).
    pub stimulus_notifications: Vec<&'c NotificationFixture>,
    /// Why the edition changed this case, when it did.
    pub edition_change: Option<&'c str>,
}

impl<'c> Case<'c> {
    /// The stable id (the request fixture's).
    pub fn id(&self) -> &'c str {
        &self.fixture.id
    }

    /// The families this operation's documents list, in canonical order.
    pub fn families(&self) -> Vec<Family> {
        let mut out = self.op.families.clone();
        out.sort();
        out
    }

    /// The path to request, relative to the target's base URL: on call `call_id`, on its
    /// participant `participant` for an operation on a participant (an unknown one when `None`), or
    /// on the collection for an operation that makes a call (`call_id` is then unused).
    pub fn path_for(&self, family: Family, app_id: &str, call_id: &str, participant: Option<&str>) -> String {
        if self.op.creates() {
            return family.collection_path(app_id);
        }
        let mut p = family.call_path(app_id, call_id);
        if self.op.on == On::Participant {
            p.push_str("/participants/");
            p.push_str(participant.unwrap_or(UNKNOWN_PARTICIPANT));
        }
        if let Some(action) = &self.op.action {
            p.push('/');
            p.push_str(action);
        }
        p
    }

    /// `body` (the case's, or a variation of it) as sent on a call whose notifications go to
    /// `callback`: each value the fixture substitutes, where the body still has the documented one (a
    /// variation that sets its own callbackUri keeps it).
    pub fn substituted(&self, mut body: Option<Value>, callback: &str) -> Option<Value> {
        let documented = self.fixture.request.body.as_ref();
        for (pointer, what) in &self.fixture.substitute {
            let as_documented = documented.and_then(|d| d.pointer(pointer));
            if let Some(slot) = body.as_mut().and_then(|b| b.pointer_mut(pointer)) {
                if Some(&*slot) == as_documented {
                    *slot = match what {
                        Substitute::CallbackUri => Value::String(callback.to_string()),
                    };
                }
            }
        }
        body
    }

    /// The snapshot's name: the case id, marked with the edition when the edition changes the case.
    pub fn snapshot_name(&self) -> String {
        match self.edition_change {
            Some(_) => format!("{}@{}", self.id(), self.edition.name()),
            None => self.id().to_string(),
        }
    }

    /// A one-line name of the operation for messages: `call: cancelMediaProcessing (POST …/calls/{id}/cancelMediaProcessing)`.
    pub fn operation_line(&self) -> String {
        if self.op.creates() {
            return format!("calls: {} ({} …/calls)", self.operation.name(), self.op.method.as_str());
        }
        let action = self.op.action.as_deref().map(|a| format!("/{a}")).unwrap_or_default();
        if self.op.on == On::Participant {
            return format!(
                "participant: {} ({} …/calls/{{id}}/participants/{{pid}}{action})",
                self.operation.name(),
                self.op.method.as_str()
            );
        }
        format!(
            "call: {} ({} …/calls/{{id}}{action})",
            self.operation.name(),
            self.op.method.as_str()
        )
    }
}

impl Corpus {
    /// Resolves case `id` under `edition`.
    pub fn case(&self, id: &str, edition: Edition) -> Result<Case<'_>, String> {
        let (path, fixture) = self.requests.get(id).ok_or_else(|| format!("no request fixture with id {id:?}"))?;
        let operation = fixture.provenance.operation;
        let op = self.operations.row(operation);
        let change = self.editions.get(edition.name()).and_then(|e| e.operations.get(&operation));
        let mut body = fixture.request.body.clone();
        let mut response_id = fixture.response.as_str();
        if let Some(change) = change {
            if let Some(Value::Object(map)) = body.as_mut() {
                for key in &change.request_remove {
                    map.remove(key);
                }
            }
            if let Some(r) = &change.response {
                response_id = r;
            }
        }
        let response = self
            .responses
            .get(response_id)
            .ok_or_else(|| format!("{id}: no response fixture {response_id:?}"))?;
        let resolve = |ids: &[String]| {
            ids.iter()
                .map(|n| self.notification(n).ok_or_else(|| format!("{id}: no notification fixture {n:?}")))
                .collect::<Result<Vec<_>, _>>()
        };
        let mut notifications = resolve(&fixture.notifications)?;
        let mut optional_notifications = match change {
            Some(c) if c.notifications_optional => std::mem::take(&mut notifications),
            _ => Vec::new(),
        };
        optional_notifications.extend(resolve(&fixture.optional_notifications)?);
        let stimulus_notifications = resolve(fixture.stimulus.as_ref().map_or(&[][..], |s| &s.notifications))?;
        Ok(Case {
            fixture,
            path,
            operation,
            op,
            edition,
            body,
            response,
            notifications,
            optional_notifications,
            stimulus_notifications,
            edition_change: change.map(|c| c.why.as_str()),
        })
    }

    /// Every case id, sorted.
    pub fn case_ids(&self) -> Vec<&str> {
        self.requests.keys().map(String::as_str).collect()
    }
}

/// What kind of case an outcome comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OriginKind {
    /// A documented exchange: a request fixture.
    Documented,
    /// A variation of a documented request generated from its schema: a valid form, or bad input.
    Variation,
    /// A negative fixture.
    Negative,
}

/// Where a case comes from, with what a report names it by: every row takes its title, source,
/// link and requirement level from here, never by looking its id up again.
#[derive(Debug, Clone, PartialEq)]
pub struct Origin {
    /// The kind of case.
    pub kind: OriginKind,
    /// One line saying what it checks.
    pub title: String,
    /// Where its rule or example comes from.
    pub source: String,
    /// The document online, when there is one.
    pub url: Option<String>,
    /// How binding it is.
    pub level: Level,
}

impl Origin {
    /// A documented exchange: the example's own description and provenance. What a document shows
    /// is what the service does: `MUST`.
    pub fn documented(fixture: &RequestFixture) -> Origin {
        Origin {
            kind: OriginKind::Documented,
            title: fixture.description.clone(),
            source: fixture.provenance.to_string(),
            url: Some(fixture.provenance.url.clone()),
            level: Level::Must,
        }
    }

    /// A variation of `case`'s example: its rule for bad input, what changed for a valid form; the
    /// example's provenance, and the variation's own level.
    pub fn variation(case: &Case, variation: &Variation) -> Origin {
        let title = match variation.rule() {
            Some(rule) => rule.to_string(),
            None => format!("{}, {}", case.fixture.description, variation.name),
        };
        Origin {
            kind: OriginKind::Variation,
            title,
            source: format!("generated from the request schema of {}", case.fixture.provenance),
            url: Some(case.fixture.provenance.url.clone()),
            level: variation.level,
        }
    }

    /// A negative fixture: its rule, source and level.
    pub fn negative(neg: &NegativeFixture) -> Origin {
        Origin {
            kind: OriginKind::Negative,
            title: neg.rule.clone(),
            source: neg.source.clone(),
            url: None,
            level: neg.level,
        }
    }
}
