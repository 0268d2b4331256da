//! Fixtures: the documents' examples as data, loaded strictly.
//!
//! Pure: reads files, never sends anything. Every fixture has a stable `id` (used by case names,
//! snapshots, reports and skip lists) and a `provenance` naming the seed, operation and example.
//! The loader refuses a JSON document with a duplicate key, which serde_json alone would accept
//! by keeping the last value.

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};

use serde::de::{self, DeserializeSeed, MapAccess, SeqAccess, Visitor};
use serde::Deserialize;
use serde_json::{Map, Value};

use super::operation::{Live, Operation, Operations};
use super::page_block::{PageBlock, RejectedBlock};

/// Where a fixture came from.
#[derive(Clone, Debug, Deserialize, serde::Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Provenance {
    /// The seed file under `tests/seeds/`, the page under `tests/graph-docs/` (CONTRACT.md section 7), or
    /// `CONTRACT.md section N` for edition data.
    pub seed: String,
    /// The documentation page (`call-delete`).
    pub page: String,
    /// The operation (`delete`).
    pub operation: Operation,
    /// The example's name: the Graph annotation name where the page has one.
    pub example: String,
    /// The heading the example sits under, in the page's language and in English.
    pub section: String,
    /// The page online.
    pub url: String,
    /// When and in which language the seed was published.
    pub published: String,
    /// For a fixture made from a page's block, the block (`call-keepalive/02-request--keep-alive`, a
    /// file of `tests/fixtures/pages/`): the self-tests check the fixture says what the block says.
    #[serde(default)]
    pub block: Option<String>,
}

impl fmt::Display for Provenance {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "example \"{}\" ({}) of seed {}, {}",
            self.example, self.section, self.seed, self.url
        )
    }
}

/// The request a document shows, as written there.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DocRequest {
    /// `POST`, `DELETE`.
    pub method: String,
    /// The URL as the document writes it (often with `{id}`).
    pub url: String,
    /// Headers the document shows (Content-Type, Content-Length).
    pub headers: BTreeMap<String, String>,
    /// The JSON body, or `null` when the document sends none.
    pub body: Option<Value>,
}

/// A documented request example: each one is a conformance case.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RequestFixture {
    /// Stable id: the case's name.
    pub id: String,
    /// Always `request`.
    pub kind: String,
    /// Where it came from.
    pub provenance: Provenance,
    /// One line for reports.
    pub description: String,
    /// Remarks about the example (slips in the page, how it was transcribed).
    #[serde(default)]
    pub notes: Option<String>,
    /// The state the call must be in: `incoming` or `established`; `null` for an operation on the
    /// collection (create call), which needs no call and makes one.
    pub call: Option<Live>,
    /// The request as documented.
    pub request: DocRequest,
    /// Id of the response fixture expected (seeds edition).
    pub response: String,
    /// Ids of the notification fixtures the exchange must cause, in order.
    pub notifications: Vec<String>,
    /// Ids of the notification fixtures the exchange may cause or not (create call's `establishing`:
    /// "may be omitted", CONTRACT.md 7.2), each judged when it comes.
    #[serde(default)]
    pub optional_notifications: Vec<String>,
    /// Values of the documented body the suite supplies when it sends it, by JSON pointer (answer's
    /// `/callbackUri` is where the call's notifications go: the suite's own listener).
    #[serde(default)]
    pub substitute: BTreeMap<String, Substitute>,
    /// What the far side does once the request is answered (the caller presses a key after the bot
    /// subscribed to tones), before the notifications are awaited (CONTRACT.md section 5).
    #[serde(default)]
    pub stimulus: Option<StimulusStep>,
}

/// What the far side does in a documented exchange once the request is answered, and the
/// notifications that causes (the request's own are in `notifications`).
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StimulusStep {
    /// Which stimulus.
    pub kind: super::stimulus::StimulusKind,
    /// Its body (CONTRACT.md section 5's table).
    pub body: Value,
    /// Ids of the notification fixtures it must cause, in order.
    pub notifications: Vec<String>,
}

impl StimulusStep {
    /// The stimulus to ask the target for.
    pub fn stimulus(&self) -> super::stimulus::Stimulus {
        super::stimulus::Stimulus {
            kind: self.kind,
            body: self.body.clone(),
        }
    }
}

/// A value the suite puts in a documented body before sending it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Substitute {
    /// The callback URL the suite listens on for this call.
    CallbackUri,
}

/// A documented response.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ResponseFixture {
    /// Stable id.
    pub id: String,
    /// Always `response`.
    pub kind: String,
    /// Where it came from.
    pub provenance: Provenance,
    /// One line for reports.
    pub description: String,
    /// Remarks.
    #[serde(default)]
    pub notes: Option<String>,
    /// Whether the document marks it as possibly shortened.
    pub truncated: bool,
    /// The status code.
    pub status: u16,
    /// The documented headers, with the document's example values.
    pub headers: BTreeMap<String, String>,
    /// The body, or `null` where the document says nothing is returned.
    pub body: Option<Value>,
    /// The schema the body must satisfy (a file stem under `schemas/`).
    #[serde(default)]
    pub schema: Option<String>,
    /// How documented values that are not literal are matched (see `judging::rules::Rule`).
    pub rules: BTreeMap<String, String>,
}

impl ResponseFixture {
    /// Whether the documented answer is an operation already over (`completed` or `failed`): it
    /// gets no further notification (CONTRACT.md section 7.2).
    pub fn answers_final(&self) -> bool {
        let status = self.body.as_ref().and_then(|b| b.get("status")).and_then(Value::as_str);
        matches!(status, Some("completed" | "failed"))
    }
}

/// How a notification was delivered in the document.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Delivery {
    /// Always `POST`.
    pub method: String,
    /// The bot's callback URL in the example.
    pub url: String,
    /// The headers shown.
    pub headers: BTreeMap<String, String>,
}

/// A documented notification.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NotificationFixture {
    /// Stable id: `<example>--notification-<heading>`.
    pub id: String,
    /// Always `notification`.
    pub kind: String,
    /// Where it came from.
    pub provenance: Provenance,
    /// One line for reports.
    pub description: String,
    /// Remarks.
    #[serde(default)]
    pub notes: Option<String>,
    /// `legacy` or `current` (CONTRACT.md section 4).
    pub dialect: Dialect,
    /// How it was delivered.
    pub delivery: Delivery,
    /// The commsNotifications envelope, verbatim.
    pub body: Value,
    /// How documented values that are not literal are matched, by JSON pointer into `body`.
    pub rules: BTreeMap<String, String>,
}

/// A body the documents show that must not validate.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InvalidFixture {
    /// Stable id.
    pub id: String,
    /// Always `invalid-request`.
    pub kind: String,
    /// Where it came from.
    pub provenance: Provenance,
    /// One line for reports.
    pub description: String,
    /// Remarks.
    #[serde(default)]
    pub notes: Option<String>,
    /// The schema it must fail.
    pub schema: String,
    /// The body.
    pub body: Value,
    /// The instance paths at which it must fail.
    pub errors_at: Vec<String>,
}

/// A program saved as a regression case (`tests/fixtures/programs/`): a sequence of steps the
/// lifecycle model judges, replayed by `cargo test programs`.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProgramFixture {
    /// Stable id.
    pub id: String,
    /// Always `program`.
    pub kind: String,
    /// One line for reports: what the program exercises.
    pub description: String,
    /// How it was found (the seed, the fault, the implementation), or why it was written.
    #[serde(default)]
    pub notes: Option<String>,
    /// The program.
    pub program: super::steps::Program,
}

/// How a negative case builds its body.
#[derive(Clone, Debug, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct BodySpec {
    /// Start from the operation's documented example body (edition applied).
    #[serde(default)]
    pub example: bool,
    /// Properties to set on the example body.
    #[serde(default)]
    pub set: Map<String, Value>,
    /// Properties to remove from the example body.
    #[serde(default)]
    pub remove: Vec<String>,
    /// A literal JSON body instead of the example.
    #[serde(default)]
    pub json: Option<Value>,
    /// Literal bytes (sent with `Content-Type: application/json`), for bodies that are not JSON.
    #[serde(default)]
    pub raw: Option<String>,
    /// The body of a known-invalid fixture, by id.
    #[serde(default)]
    pub invalid: Option<String>,
}

/// What a negative case sends.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NegativeRequest {
    /// Whether to send `Authorization` (default true).
    #[serde(default = "yes")]
    pub authorization: bool,
    /// The body.
    #[serde(default)]
    pub body: BodySpec,
}

fn yes() -> bool {
    true
}

/// What a negative case expects: a status number, `"success"` (the operation's documented success
/// status) or `"any"`.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NegativeExpect {
    /// The status.
    pub status: ExpectedStatus,
}

/// The status a negative case expects.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(try_from = "Value")]
pub enum ExpectedStatus {
    /// This status code: the rule names it.
    Code(u16),
    /// The operation's documented success status.
    Success,
    /// Any status: what must hold afterwards is what the rule is about.
    Any,
}

impl TryFrom<Value> for ExpectedStatus {
    type Error = String;
    fn try_from(v: Value) -> Result<ExpectedStatus, String> {
        match &v {
            Value::Number(n) => n
                .as_u64()
                .filter(|s| (100..600).contains(s))
                .and_then(|s| u16::try_from(s).ok())
                .map(ExpectedStatus::Code)
                .ok_or_else(|| format!("status {v}: a status code is 100 to 599")),
            Value::String(s) if s == "success" => Ok(ExpectedStatus::Success),
            Value::String(s) if s == "any" => Ok(ExpectedStatus::Any),
            _ => Err(format!("status {v}: a status code, \"success\" or \"any\"")),
        }
    }
}

/// The call a negative case acts on.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, strum::IntoStaticStr)]
#[serde(rename_all = "lowercase")]
#[strum(serialize_all = "lowercase")]
pub enum NegativeCall {
    /// Provisioned in the state the operation needs.
    Ready,
    /// Provisioned ringing.
    Incoming,
    /// Provisioned answered.
    Established,
    /// A well-formed id no target has.
    Unknown,
    /// Provisioned answered, then deleted (acted on once its last notification came).
    Deleted,
    /// Provisioned ringing, then rejected (acted on once its last notification came).
    Rejected,
}

impl NegativeCall {
    /// The word the fixtures use.
    pub fn name(self) -> &'static str {
        self.into()
    }

    /// Whether preparing the call ends one (the production guard keeps such a case off production).
    pub fn ends_a_call(self) -> bool {
        matches!(self, NegativeCall::Deleted | NegativeCall::Rejected)
    }
}

impl fmt::Display for NegativeCall {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The two notification dialects (CONTRACT.md section 4).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Deserialize, strum::IntoStaticStr)]
#[serde(rename_all = "lowercase")]
#[strum(serialize_all = "lowercase")]
pub enum Dialect {
    /// `resource`, ids in capitals, the etag inside resourceData (seeds 000, 004).
    Legacy,
    /// `resourceUrl`, `@odata.type` on each notification (seeds 001, 003).
    Current,
}

impl Dialect {
    /// The word the fixtures and the schemas use (`commsNotifications.legacy`).
    pub fn name(self) -> &'static str {
        self.into()
    }

    /// The other dialect.
    pub fn other(self) -> Dialect {
        match self {
            Dialect::Legacy => Dialect::Current,
            Dialect::Current => Dialect::Legacy,
        }
    }
}

impl fmt::Display for Dialect {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// What must hold after the answer.
#[derive(Clone, Debug, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct NegativeThen {
    /// The call still accepts cancelMediaProcessing.
    #[serde(default)]
    pub call_alive: bool,
    /// No `deleted` notification for the call arrives within the notification timeout.
    #[serde(default)]
    pub no_deleted_notification: bool,
}

/// A rule the documents imply but their examples do not show: bad input and its answer.
/// How binding a rule is (RFC 2119): `MUST` where a seed states it, `SHOULD` where CONTRACT.md adds
/// the answer the seeds leave open.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Deserialize, strum::EnumIter, strum::IntoStaticStr)]
#[strum(serialize_all = "UPPERCASE")]
pub enum Level {
    /// A seed states it.
    #[serde(rename = "MUST")]
    Must,
    /// CONTRACT.md adds it where the seeds leave the answer open.
    #[serde(rename = "SHOULD")]
    Should,
}

impl Level {
    /// `MUST` or `SHOULD`, as reports write it.
    pub fn name(self) -> &'static str {
        self.into()
    }
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NegativeFixture {
    /// Stable id.
    pub id: String,
    /// Always `negative`.
    pub kind: String,
    /// The rule, in a sentence.
    pub rule: String,
    /// Where the rule comes from (CONTRACT.md section, seed text).
    pub source: String,
    /// `MUST` where a seed states the rule, `SHOULD` where CONTRACT.md adds the answer the seeds leave open.
    pub level: Level,
    /// One line for reports.
    pub description: String,
    /// Remarks.
    #[serde(default)]
    pub notes: Option<String>,
    /// The operations it applies to.
    pub operations: Vec<Operation>,
    /// The editions it applies to (default: all).
    #[serde(default)]
    pub editions: Option<Vec<String>>,
    /// The call to act on: `ready` (the state the operation needs), `incoming`, `established`,
    /// `unknown`, `deleted` or `rejected`.
    pub call: NegativeCall,
    /// What to send.
    pub request: NegativeRequest,
    /// What to expect.
    pub expect: NegativeExpect,
    /// What must hold afterwards.
    #[serde(default)]
    pub then: Option<NegativeThen>,
}

/// One row of seed 001's call termination reason codes.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReasonCode {
    /// SIP-like code (200, 408, ...).
    pub code: u32,
    /// Subcode.
    pub subcode: u32,
    /// Meaning, in English.
    pub meaning: String,
    /// Meaning, as the page writes it.
    pub meaning_ja: String,
    /// The page's row when one row named two subcodes.
    #[serde(default)]
    pub source_row: Option<String>,
}

/// One thing CONTRACT.md lets a service vary in a notification (`data/allowances.json`): what the
/// checks forgive a target and what a bot must accept.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Allowance {
    /// Stable id (`batched`, `integer-codes`, ...).
    pub id: String,
    /// How a replay in this shape is named in reports (`batched with another call's notification`).
    pub shape: String,
    /// The sentence of CONTRACT.md it rests on.
    pub rests_on: String,
}

#[derive(Clone, Debug, Deserialize)]
struct AllowanceTable {
    allowances: Vec<Allowance>,
}

#[derive(Clone, Debug, Deserialize)]
struct ReasonCodeTable {
    rows: Vec<ReasonCode>,
}

/// What one edition changes for one operation.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EditionOverride {
    /// Request body properties the edition does not send.
    #[serde(default)]
    pub request_remove: Vec<String>,
    /// The response fixture that replaces the seeds' one.
    #[serde(default)]
    pub response: Option<String>,
    /// The success status the edition names instead of the row's.
    #[serde(default)]
    pub success: Option<u16>,
    /// Whether the request fixture's notifications may come or not in the edition (the current
    /// edition's cancelMediaProcessing "may still send" its own: CONTRACT.md section 2): judged
    /// when they come, never waited for or required, and left out of the snapshot.
    #[serde(default)]
    pub notifications_optional: bool,
    /// Why, for reports.
    pub why: String,
}

/// One edition's changes.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EditionDef {
    /// What the edition is.
    pub description: String,
    /// Changes by operation.
    pub operations: BTreeMap<Operation, EditionOverride>,
}

#[derive(Clone, Debug, Deserialize)]
struct EditionTable {
    editions: BTreeMap<String, EditionDef>,
}

/// A fixture that could not be loaded, with the file and the reason.
#[derive(Debug, Clone)]
pub struct FixtureError {
    /// The file.
    pub path: PathBuf,
    /// What is wrong.
    pub message: String,
}

impl fmt::Display for FixtureError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.path.display(), self.message)
    }
}

impl std::error::Error for FixtureError {}

/// Parses JSON text, refusing any object with a repeated key.
pub fn parse_strict(text: &str) -> Result<Value, String> {
    let mut de = serde_json::Deserializer::from_str(text);
    let value = StrictValue.deserialize(&mut de).map_err(|e| e.to_string())?;
    de.end().map_err(|e| e.to_string())?;
    Ok(value)
}

/// Reads and strictly parses one JSON file.
pub fn read_json(path: &Path) -> Result<Value, FixtureError> {
    let err = |message: String| FixtureError {
        path: path.to_path_buf(),
        message,
    };
    let text = std::fs::read_to_string(path).map_err(|e| err(format!("cannot read: {e}")))?;
    parse_strict(&text).map_err(err)
}

/// Reads the table of operations.
fn load_operations(path: &Path) -> Result<Operations, FixtureError> {
    Operations::from_value(read_json(path)?).map_err(|message| FixtureError {
        path: path.to_path_buf(),
        message,
    })
}

/// Reads a fixture file into its typed form.
pub fn load<T: serde::de::DeserializeOwned>(path: &Path) -> Result<T, FixtureError> {
    let value = read_json(path)?;
    serde_json::from_value(value).map_err(|e| FixtureError {
        path: path.to_path_buf(),
        message: e.to_string(),
    })
}

struct StrictValue;

impl<'de> DeserializeSeed<'de> for StrictValue {
    type Value = Value;
    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<Value, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for StrictValue {
    type Value = Value;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON value")
    }
    fn visit_bool<E>(self, v: bool) -> Result<Value, E> {
        Ok(Value::Bool(v))
    }
    fn visit_i64<E>(self, v: i64) -> Result<Value, E> {
        Ok(Value::from(v))
    }
    fn visit_u64<E>(self, v: u64) -> Result<Value, E> {
        Ok(Value::from(v))
    }
    fn visit_f64<E>(self, v: f64) -> Result<Value, E> {
        Ok(serde_json::Number::from_f64(v).map(Value::Number).unwrap_or(Value::Null))
    }
    fn visit_str<E>(self, v: &str) -> Result<Value, E> {
        Ok(Value::String(v.to_string()))
    }
    fn visit_string<E>(self, v: String) -> Result<Value, E> {
        Ok(Value::String(v))
    }
    fn visit_unit<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }
    fn visit_none<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }
    fn visit_some<D: de::Deserializer<'de>>(self, d: D) -> Result<Value, D::Error> {
        d.deserialize_any(StrictValue)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let mut out = Vec::new();
        while let Some(v) = seq.next_element_seed(StrictValue)? {
            out.push(v);
        }
        Ok(Value::Array(out))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        let mut out = Map::new();
        while let Some(key) = map.next_key::<String>()? {
            if out.contains_key(&key) {
                return Err(de::Error::custom(format!("duplicate key {key:?} in one object")));
            }
            let v = map.next_value_seed(StrictValue)?;
            out.insert(key, v);
        }
        Ok(Value::Object(out))
    }
}

/// Every fixture and data table, loaded once and looked up by id.
#[derive(Debug, Clone)]
pub struct Corpus {
    /// The directory it was loaded from.
    pub root: PathBuf,
    /// Request fixtures (cases), by id.
    pub requests: BTreeMap<String, (PathBuf, RequestFixture)>,
    /// Response fixtures, by id.
    pub responses: BTreeMap<String, ResponseFixture>,
    /// Notification fixtures, by id.
    pub notifications: BTreeMap<String, (PathBuf, NotificationFixture)>,
    /// Known-invalid bodies, by id.
    pub invalid: BTreeMap<String, InvalidFixture>,
    /// Negative cases, by id.
    pub negatives: BTreeMap<String, (PathBuf, NegativeFixture)>,
    /// Saved programs, by id.
    pub programs: BTreeMap<String, (PathBuf, ProgramFixture)>,
    /// What a service may vary in a notification (`data/allowances.json`), in table order.
    pub allowances: Vec<Allowance>,
    /// Seed 001's termination reason codes.
    pub reason_codes: Vec<ReasonCode>,
    /// The table of operations.
    pub operations: Operations,
    /// Editions by name.
    pub editions: BTreeMap<String, EditionDef>,
    /// Today's pages, block by block (`pages/`), by id.
    pub pages: BTreeMap<String, PageBlock>,
    /// The blocks the pages got wrong (`rejected/pages/`), by id.
    pub rejected_pages: BTreeMap<String, RejectedBlock>,
    /// Why a block of a page whose operation is in the table is no case (`data/coverage.json`), by block id.
    pub coverage_notes: BTreeMap<String, String>,
}

/// The fixture directory of this checkout.
pub fn default_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures")
}

fn json_files(dir: &Path) -> Result<Vec<PathBuf>, FixtureError> {
    let entries = std::fs::read_dir(dir).map_err(|e| FixtureError {
        path: dir.into(),
        message: format!("cannot list: {e}"),
    })?;
    let mut files: Vec<PathBuf> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    files.sort();
    Ok(files)
}

/// The folders directly under `dir`, sorted.
fn json_dirs(dir: &Path) -> Result<Vec<PathBuf>, FixtureError> {
    let entries = std::fs::read_dir(dir).map_err(|e| FixtureError {
        path: dir.into(),
        message: format!("cannot list: {e}"),
    })?;
    let mut dirs: Vec<PathBuf> = entries.filter_map(|e| e.ok().map(|e| e.path())).filter(|p| p.is_dir()).collect();
    dirs.sort();
    Ok(dirs)
}

/// `data/coverage.json`: why a block of a tabled operation's page is no case.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CoverageNotes {
    #[allow(dead_code)]
    id: String,
    #[allow(dead_code)]
    kind: String,
    #[allow(dead_code)]
    description: String,
    notes: BTreeMap<String, String>,
}

fn insert_unique<T>(map: &mut BTreeMap<String, T>, id: String, value: T, path: &Path) -> Result<(), FixtureError> {
    if map.contains_key(&id) {
        return Err(FixtureError {
            path: path.into(),
            message: format!("fixture id {id:?} is used twice"),
        });
    }
    map.insert(id, value);
    Ok(())
}

impl Corpus {
    /// Loads every fixture under `root`, refusing duplicate keys, unknown fields, duplicate ids
    /// and dangling references.
    pub fn load(root: &Path) -> Result<Corpus, FixtureError> {
        let mut c = Corpus {
            root: root.to_path_buf(),
            requests: BTreeMap::new(),
            responses: BTreeMap::new(),
            notifications: BTreeMap::new(),
            invalid: BTreeMap::new(),
            negatives: BTreeMap::new(),
            programs: BTreeMap::new(),
            allowances: load::<AllowanceTable>(&root.join("data/allowances.json"))?.allowances,
            reason_codes: load::<ReasonCodeTable>(&root.join("data/termination-reason-codes.json"))?.rows,
            operations: load_operations(&root.join("data/operations.json"))?,
            editions: load::<EditionTable>(&root.join("data/editions.json"))?.editions,
            pages: BTreeMap::new(),
            rejected_pages: BTreeMap::new(),
            coverage_notes: load::<CoverageNotes>(&root.join("data/coverage.json"))?.notes,
        };
        for dir in json_dirs(&root.join("pages"))? {
            for p in json_files(&dir)? {
                let f: PageBlock = load(&p)?;
                insert_unique(&mut c.pages, f.id.clone(), f, &p)?;
            }
        }
        for p in json_files(&root.join("rejected/pages"))? {
            let f: RejectedBlock = load(&p)?;
            insert_unique(&mut c.rejected_pages, f.id.clone(), f, &p)?;
        }
        for p in json_files(&root.join("requests"))? {
            let f: RequestFixture = load(&p)?;
            insert_unique(&mut c.requests, f.id.clone(), (p.clone(), f), &p)?;
        }
        for p in json_files(&root.join("responses"))? {
            let f: ResponseFixture = load(&p)?;
            insert_unique(&mut c.responses, f.id.clone(), f, &p)?;
        }
        for p in json_files(&root.join("notifications"))? {
            let f: NotificationFixture = load(&p)?;
            insert_unique(&mut c.notifications, f.id.clone(), (p.clone(), f), &p)?;
        }
        for p in json_files(&root.join("invalid"))? {
            let f: InvalidFixture = load(&p)?;
            insert_unique(&mut c.invalid, f.id.clone(), f, &p)?;
        }
        // A rule of one edition lives in negative/{edition}/: the test binary's cases are globbed from
        // negative/ and the selected edition's folder, so a rule outside the edition is no case at all.
        let mut negative = vec![(None, json_files(&root.join("negative"))?)];
        for edition in c.editions.keys() {
            let dir = root.join("negative").join(edition);
            if dir.is_dir() {
                negative.push((Some(edition.clone()), json_files(&dir)?));
            }
        }
        for (folder, files) in negative {
            for p in files {
                let f: NegativeFixture = load(&p)?;
                let wanted = folder.clone().map(|e| vec![e]);
                if f.editions != wanted {
                    return Err(FixtureError {
                        path: p,
                        message: format!(
                            "\"editions\" is {:?} and the file is in {}: a rule of one edition goes in negative/{{edition}}/ and says so, a rule of both in negative/ with no \"editions\"",
                            f.editions,
                            folder.map_or("negative/".to_string(), |e| format!("negative/{e}/"))
                        ),
                    });
                }
                insert_unique(&mut c.negatives, f.id.clone(), (p.clone(), f), &p)?;
            }
        }
        for p in json_files(&root.join("programs"))? {
            let f: ProgramFixture = load(&p)?;
            insert_unique(&mut c.programs, f.id.clone(), (p.clone(), f), &p)?;
        }
        c.check_references()?;
        Ok(c)
    }

    fn check_references(&self) -> Result<(), FixtureError> {
        for (path, req) in self.requests.values() {
            let bad = |message: String| {
                Err(FixtureError {
                    path: path.clone(),
                    message,
                })
            };
            if !self.responses.contains_key(&req.response) {
                return bad(format!("response {:?} is not a fixture", req.response));
            }
            if let Some(n) = req
                .notifications
                .iter()
                .chain(&req.optional_notifications)
                .find(|n| !self.notifications.contains_key(*n))
            {
                return bad(format!("notification {n:?} is not a fixture"));
            }
            let op = req.provenance.operation;
            let row = self.operations.row(op);
            let status = self.responses[&req.response].status;
            if status != row.success {
                return bad(format!(
                    "response {:?} answers {status} and the row of {} in data/operations.json says {}",
                    req.response,
                    op.name(),
                    row.success
                ));
            }
            match req.call {
                Some(call) if !row.valid_in.contains(&call) => {
                    return bad(format!(
                        "call {:?}: the row of {} in data/operations.json makes it valid in {:?} only",
                        call.name(),
                        op.name(),
                        row.valid_in
                    ));
                }
                Some(_) if row.creates() => {
                    return bad(format!(
                        "call {:?}: {} is on the collection and needs no call (\"call\": null)",
                        req.call.map(Live::name).unwrap_or_default(),
                        op.name()
                    ));
                }
                None if !row.creates() => {
                    return bad(format!("\"call\" is null, but {} acts on a call: name its state", op.name()));
                }
                _ => {}
            }
        }
        for (op, row) in self.operations.iter() {
            if let Some(id) = row.cancelled.as_ref().filter(|id| !self.notifications.contains_key(*id)) {
                return Err(FixtureError {
                    path: self.root.join("data/operations.json"),
                    message: format!("{}: \"cancelled\" {id:?} is not a notification fixture", op.name()),
                });
            }
        }
        for (path, neg) in self.negatives.values() {
            let bad = |message: String| {
                Err(FixtureError {
                    path: path.clone(),
                    message,
                })
            };
            if let Some(id) = &neg.request.body.invalid {
                if !self.invalid.contains_key(id) {
                    return bad(format!("body.invalid {id:?} is not a fixture"));
                }
            }
            if let Some(op) = neg.operations.iter().find(|op| self.operations.row(**op).creates()) {
                return bad(format!(
                    "{op} is on the collection: a negative prepares a call, and {op} takes none (its bad input is generated from its schema)"
                ));
            }
        }
        for (name, ed) in &self.editions {
            for (op, o) in &ed.operations {
                if let Some(r) = &o.response {
                    let bad = |message: String| FixtureError {
                        path: self.root.join("data/editions.json"),
                        message: format!("edition {name}, operation {}: {message}", op.name()),
                    };
                    let response = self
                        .responses
                        .get(r)
                        .ok_or_else(|| bad(format!("response {r:?} is not a fixture")))?;
                    let success = self.success(*op, name);
                    if response.status != success {
                        return Err(bad(format!(
                            "response {r:?} answers {} and the edition's success status is {success}",
                            response.status
                        )));
                    }
                }
            }
        }
        Ok(())
    }

    /// The case (request fixture) with this id.
    pub fn request(&self, id: &str) -> Option<&RequestFixture> {
        self.requests.get(id).map(|(_, f)| f)
    }

    /// The first documented case of `operation` (by id): where negative cases take their example body and success status.
    pub fn example_of(&self, operation: Operation) -> Option<&RequestFixture> {
        self.requests.values().map(|(_, f)| f).find(|f| f.provenance.operation == operation)
    }

    /// The notification an operation of `op` gets when a cancel ends it running or queued (its row's
    /// `cancelled`, checked to be a fixture when the corpus loads).
    pub fn cancelled_notification(&self, op: Operation) -> Option<&NotificationFixture> {
        let id = self.operations.row(op).cancelled.as_ref()?;
        self.notifications.get(id).map(|(_, f)| f)
    }

    /// The documented notification of what a stimulus makes a target send: a tone's, from the
    /// example that presses a key (subscribeToTone's page); a call ended by the far side is notified
    /// as any ended call is, as delete's last notification shows (seeds 001, 004).
    pub fn far_notification(&self, far: &super::lifecycle::Far) -> Option<&NotificationFixture> {
        let id = match far {
            super::lifecycle::Far::Tone { .. } => self
                .requests
                .values()
                .filter_map(|(_, f)| f.stimulus.as_ref())
                .find(|s| s.kind == super::stimulus::StimulusKind::Tone)
                .and_then(|s| s.notifications.first()),
            super::lifecycle::Far::Ended => self.example_of(Operation::Delete).and_then(|f| f.notifications.last()),
        }?;
        self.notification(id)
    }

    /// The success status of `op` under `edition`: its row's, or the edition's own.
    pub fn success(&self, op: Operation, edition: &str) -> u16 {
        self.editions
            .get(edition)
            .and_then(|e| e.operations.get(&op))
            .and_then(|o| o.success)
            .unwrap_or(self.operations.row(op).success)
    }

    /// The notification fixture with this id.
    pub fn notification(&self, id: &str) -> Option<&NotificationFixture> {
        self.notifications.get(id).map(|(_, f)| f)
    }

    /// The listed meaning of a termination code/subcode pair, if seed 001 lists it.
    pub fn reason_meaning(&self, code: u32, subcode: u32) -> Option<&str> {
        self.reason_codes
            .iter()
            .find(|r| r.code == code && r.subcode == subcode)
            .map(|r| r.meaning.as_str())
    }
}
