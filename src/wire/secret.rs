//! Bearer tokens: held so that they cannot be printed by accident, and scrubbed from any text we emit.
//!
//! Every string that leaves the harness (failure messages, snapshots, logs) passes through
//! [`redact`], which replaces every token registered here. Registration happens when a [`Secret`]
//! is created, so a token cannot reach the wire without also being known to the scrubber.

use std::fmt;
use std::sync::{Mutex, OnceLock};

/// What a redacted token looks like wherever it would have been printed.
pub const REDACTED: &str = "[redacted]";

fn registry() -> &'static Mutex<Vec<String>> {
    static SECRETS: OnceLock<Mutex<Vec<String>>> = OnceLock::new();
    SECRETS.get_or_init(|| Mutex::new(Vec::new()))
}

/// A bearer token. `Debug` and `Display` never show the value.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    /// Wraps `value` and registers it with the process-wide scrubber.
    pub fn new(value: impl Into<String>) -> Secret {
        let value = value.into();
        // Very short values would scrub innocent text (a token "a" would eat every "a").
        if value.len() >= 4 {
            let mut known = registry().lock().unwrap_or_else(|e| e.into_inner());
            if !known.contains(&value) {
                known.push(value.clone());
                // Longest first, so a token that contains another is scrubbed whole.
                known.sort_by_key(|s| std::cmp::Reverse(s.len()));
            }
        }
        Secret(value)
    }

    /// The raw value, for the one place that needs it: building an `Authorization` header.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(REDACTED)
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(REDACTED)
    }
}

/// Replaces every registered token in `text` with [`REDACTED`].
pub fn redact(text: &str) -> String {
    let known = registry().lock().unwrap_or_else(|e| e.into_inner());
    let mut out = text.to_string();
    for secret in known.iter() {
        if out.contains(secret.as_str()) {
            out = out.replace(secret.as_str(), REDACTED);
        }
    }
    out
}

/// The value to show for a header: `Authorization` keeps its scheme and loses its credentials.
pub fn redact_header(name: &str, value: &str) -> String {
    if name.eq_ignore_ascii_case("authorization") {
        match value.split_once(' ') {
            Some((scheme, _)) => format!("{scheme} {REDACTED}"),
            None => REDACTED.to_string(),
        }
    } else {
        redact(value)
    }
}
