//! The vocabulary of judging: the aspects and checks a finding is filed under, a finding, and the
//! verdict of one exchange (what failed, what was noted).

use std::fmt;

use serde_json::Value;

use crate::contract::schema::SchemaError;
use crate::wire::secret::redact;

/// Which part of an exchange a finding is about (the columns of a conformance matrix).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Aspect {
    /// The case could not run (no provisioning hook, target unreachable).
    Setup,
    /// The status code.
    Status,
    /// Documented headers.
    Headers,
    /// The body: emptiness, media type, schema, documented values.
    Body,
    /// The notifications the exchange must cause.
    Notifications,
    /// Bad input and the error contract.
    BadInput,
}

impl fmt::Display for Aspect {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Aspect::Setup => "setup",
            Aspect::Status => "status",
            Aspect::Headers => "headers",
            Aspect::Body => "body",
            Aspect::Notifications => "notifications",
            Aspect::BadInput => "bad input",
        })
    }
}

/// Every check the suite makes, by a stable name. The detection matrix proves each one can fail:
/// it walks every member (`Check::iter()`, in report order), so a new check cannot be left out.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, strum::EnumIter, strum::IntoStaticStr)]
#[strum(serialize_all = "kebab-case")]
pub enum Check {
    /// The case could run at all.
    Setup,
    /// The documented status code.
    Status,
    /// `Location`: present, absolute, an operation of this call.
    Location,
    /// No body where the documents return nothing.
    EmptyBody,
    /// `application/json` where a body is documented.
    MediaType,
    /// The body parses as JSON.
    BodyJson,
    /// The body satisfies its schema.
    BodySchema,
    /// Every documented property is present with its documented value (bodies and notifications).
    DocumentedValue,
    /// `clientContext` echoes the request (bodies and notifications).
    Echo,
    /// A body's operation `id` equals the operationId in `Location`.
    OperationId,
    /// Each operation gets an operation id of its own, a repetition on the same call too.
    FreshOperationId,
    /// Each expected notification arrives.
    NotificationArrives,
    /// Expected notifications arrive in the documented order.
    NotificationOrder,
    /// An operation is notified no more often than the documents show: an operation answered
    /// `running` gets exactly one final notification, not two (CONTRACT.md section 7.2).
    OperationNotifiedOnce,
    /// A notification names this call (and this operation).
    Correlation,
    /// A terminated call says why (resultInfo or terminationReason).
    TerminationReason,
    /// A notification body is a commsNotifications envelope in either dialect.
    NotificationSchema,
    /// A notification is POSTed as JSON with a Bearer token.
    NotificationDelivery,
    /// Bad input gets the status the contract names (401, 400, 404).
    ErrorStatus,
    /// Every error answer is the Graph error object.
    ErrorObject,
    /// A reject on an answered call leaves it alive.
    CallStaysAlive,
    /// A reject on an answered call sends no `deleted` notification.
    NoDeletedNotification,
    /// A refused request (`400`, `401`, `404`) causes no notification.
    NoNotificationWhenRefused,
    /// A key the caller pressed is notified to a call subscribed to tones, once; to no other call.
    ToneOnlyWhenSubscribed,
    /// Media operations on one call finish in the order they were accepted: their completions arrive
    /// in that order, and a cancel that ends one ends every one queued after it (CONTRACT.md 7.3).
    MediaInOrder,
    /// A bot answers an authenticated notification with a 2xx in time.
    BotAccepts,
    /// A bot refuses an unauthenticated notification with 401 or 403.
    BotRefusesUnauthenticated,
}

impl Check {
    /// The stable name used in reports, the detection matrix and the fault catalog.
    pub fn name(self) -> &'static str {
        self.into()
    }
}

/// One deviation from the contract.
#[derive(Debug, Clone, PartialEq)]
pub struct Finding {
    /// Which part of the exchange.
    pub aspect: Aspect,
    /// Which check found it.
    pub check: Check,
    /// What was checked (`header Location`, `body /status`, `notification 2 (…terminated)`).
    pub subject: String,
    /// The rule, in words a stranger can act on.
    pub expected: String,
    /// What the target did.
    pub actual: String,
    /// The schema error behind it, when a schema failed.
    pub schema: Option<SchemaError>,
}

impl fmt::Display for Finding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "[{}/{}] {}", self.aspect, self.check.name(), self.subject)?;
        writeln!(f, "      expected: {}", self.expected)?;
        write!(f, "      actual:   {}", self.actual)?;
        if let Some(s) = &self.schema {
            let at = if s.instance_path.is_empty() { "(root)" } else { &s.instance_path };
            write!(
                f,
                "\n      schema:   {} at {at}: {}\n      schema path: {} (keyword {})",
                s.schema, s.message, s.schema_path, s.keyword
            )?;
        }
        Ok(())
    }
}

/// Everything the checks concluded about one exchange.
#[derive(Debug, Clone, Default)]
pub struct Verdict {
    /// Deviations: any one fails the case.
    pub findings: Vec<Finding>,
    /// Things worth reporting that are not failures (an unlisted termination code).
    pub infos: Vec<String>,
}

impl Verdict {
    /// Records a deviation found by the check `check`.
    pub fn fail(
        &mut self,
        aspect: Aspect,
        check: Check,
        subject: impl Into<String>,
        expected: impl Into<String>,
        actual: impl Into<String>,
    ) {
        self.findings.push(Finding {
            aspect,
            check,
            subject: subject.into(),
            expected: expected.into(),
            actual: redact(&actual.into()),
            schema: None,
        });
    }

    /// Records every schema error as a deviation found by the check `check`.
    pub fn schema_errors(&mut self, aspect: Aspect, check: Check, subject: &str, errors: Vec<SchemaError>, instance: &Value) {
        for e in errors {
            let actual = pointer_preview(instance, &e.instance_path);
            self.findings.push(Finding {
                aspect,
                check,
                subject: format!("{subject} against schema {}", e.schema),
                expected: format!("valid {} (schemas/{}.json)", e.schema, e.schema),
                actual,
                schema: Some(e),
            });
        }
    }

    /// Whether the exchange conforms.
    pub fn passed(&self) -> bool {
        self.findings.is_empty()
    }
}

fn pointer_preview(v: &Value, ptr: &str) -> String {
    let at = v.pointer(ptr).unwrap_or(v);
    let text = at.to_string();
    if text.chars().count() > 300 {
        format!("{}…", text.chars().take(300).collect::<String>())
    } else {
        text
    }
}
