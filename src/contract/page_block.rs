//! The corpus of today's pages (CONTRACT.md section 7.1): every JSON block of `tests/graph-docs/api/*.md`
//! as a fixture with its provenance (`tests/fixtures/pages/{page}/`), or, when the page got it wrong, as a
//! rejected block with the reason (`tests/fixtures/rejected/pages/`). `cargo xtask import-pages` writes
//! both from the pages; the self-tests check the files are what the pages say, and the coverage table
//! (`docs/coverage.md`) says for each block the case or replay that uses it, or why none does.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// Where a block is: the page, the repository and commit it was copied from, and its place on the page.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BlockProvenance {
    /// `api/call-answer.md`, under `tests/graph-docs/`.
    pub page: String,
    /// The page's source repository and path (`tests/graph-docs/PROVENANCE.md`).
    pub repository: String,
    pub path: String,
    /// The commit the page was copied at.
    pub commit: String,
    /// The block's ordinal among the page's fenced blocks, from 1.
    pub block: usize,
    /// The line of its opening fence.
    pub line: usize,
    /// The example it is under (the last heading above it at level 3 or higher: `Example 1: …`).
    pub example: String,
    /// The heading right above it (`Notification - established`, `Response`).
    pub heading: String,
    /// The annotation's `name`, which the page's requests and responses carry.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// The annotation's `@odata.type`, when it has one.
    #[serde(default, rename = "odataType", skip_serializing_if = "Option::is_none")]
    pub odata_type: Option<String>,
}

/// What a block is on its page.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "role", rename_all = "lowercase", deny_unknown_fields)]
pub enum Exchange {
    /// A request the page sends (its `blockType: request` annotation).
    Request {
        method: String,
        /// As the page writes it, host and version included.
        url: String,
        headers: BTreeMap<String, String>,
    },
    /// An answer (`blockType: response`).
    Response { status: u16, headers: BTreeMap<String, String> },
    /// A notification to the bot (`blockType: example` with a `value` envelope), with where the page
    /// says it is POSTed (the bare `http` block above it).
    Notification {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        delivery: Option<String>,
    },
    /// Any other JSON the page shows.
    Example,
}

impl Exchange {
    pub fn role(&self) -> &'static str {
        match self {
            Exchange::Request { .. } => "request",
            Exchange::Response { .. } => "response",
            Exchange::Notification { .. } => "notification",
            Exchange::Example => "example",
        }
    }
}

/// A documented value that stands for one the suite must supply (`"callbackUri-value"`,
/// `"<Media Session Configuration Blob>"`); a case replaces it, and the fixture says so.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Placeholder {
    /// JSON pointer into the body.
    pub pointer: String,
    /// What the page writes.
    pub documented: String,
    /// What replaces it: `callback-uri` (the suite's listener), `client-context` (a value the suite
    /// generates and expects echoed), `media-config-blob` (an opaque blob the suite makes up),
    /// `each-member` (the page lists the members, `a | b | c`: one case per member), or `any-string`
    /// (in an answer or notification: any string is conformant).
    pub by: String,
}

/// One JSON block of a page, parsed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PageBlock {
    /// `call-answer/04-request--call-answer-service-hosted-media`: the page, the block's ordinal and
    /// what it is; the file is `tests/fixtures/pages/{id}.json`.
    pub id: String,
    pub provenance: BlockProvenance,
    pub exchange: Exchange,
    /// The block's JSON, verbatim (a request or answer without a body has none).
    pub body: Option<Value>,
    /// The annotation says the example is cut short (`"truncated": true`).
    pub truncated: bool,
    pub placeholders: Vec<Placeholder>,
}

/// A block the page got wrong, kept with the reason (CONTRACT.md section 7.1).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RejectedBlock {
    /// As a page block's id; the file is `tests/fixtures/rejected/pages/{id with / as --}.json`.
    pub id: String,
    pub provenance: BlockProvenance,
    pub exchange: Exchange,
    /// Why it is not a fixture, in a sentence that names the place.
    pub reason: String,
    /// The block as the page writes it.
    pub text: String,
}

impl PageBlock {
    /// The page's stem (`call-answer`).
    pub fn page(&self) -> &str {
        page_stem(&self.provenance.page)
    }
}

impl RejectedBlock {
    pub fn page(&self) -> &str {
        page_stem(&self.provenance.page)
    }
}

fn page_stem(page: &str) -> &str {
    page.rsplit('/').next().unwrap_or(page).trim_end_matches(".md")
}
