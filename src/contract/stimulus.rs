//! The stimuli of CONTRACT.md section 5: what only the far side of a call can do, asked of a
//! target at `POST {provision URL}/{id}/{stimulus}`. Optional for a target; a case that needs one
//! a target does not offer is reported as not run, never as passed.

use serde::Deserialize;
use serde_json::Value;

/// A stimulus the provisioning hook may offer.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, Deserialize, strum::EnumIter, strum::IntoStaticStr)]
#[serde(rename_all = "lowercase")]
#[strum(serialize_all = "lowercase")]
pub enum StimulusKind {
    /// The caller pressed a key (`{"tone": "tone1"}`).
    Tone,
    /// The caller hung up (`{}`).
    Hangup,
    /// Someone joined (`{"displayName": "…"}`).
    Join,
}

impl StimulusKind {
    /// The path segment after the call id.
    pub fn name(self) -> &'static str {
        self.into()
    }

    /// The stimulus a path segment names.
    pub fn parse(segment: &str) -> Option<StimulusKind> {
        use strum::IntoEnumIterator;
        StimulusKind::iter().find(|k| k.name() == segment)
    }

    /// What the target does when asked, in CONTRACT.md's words, for messages.
    pub fn meaning(self) -> &'static str {
        match self {
            StimulusKind::Tone => "the caller pressed a key",
            StimulusKind::Hangup => "the caller hung up",
            StimulusKind::Join => "someone joined the call",
        }
    }
}

impl std::fmt::Display for StimulusKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// The members of `microsoft.graph.tone`, in the metadata's order (a member's value is its index).
pub const TONES: [&str; 17] = [
    "tone0", "tone1", "tone2", "tone3", "tone4", "tone5", "tone6", "tone7", "tone8", "tone9", "star", "pound", "a", "b", "c", "d", "flash",
];

impl Stimulus {
    /// The caller pressing `tone`.
    pub fn tone(tone: &str) -> Stimulus {
        Stimulus {
            kind: StimulusKind::Tone,
            body: serde_json::json!({ "tone": tone }),
        }
    }

    /// The caller hanging up.
    pub fn hangup() -> Stimulus {
        Stimulus {
            kind: StimulusKind::Hangup,
            body: Value::Object(serde_json::Map::new()),
        }
    }
}

/// A stimulus to ask a target for, with its body.
#[derive(Clone, Debug, PartialEq, serde::Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Stimulus {
    /// Which one.
    pub kind: StimulusKind,
    /// Its body (section 5's table).
    pub body: Value,
}

/// What asking a target for a stimulus came to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum StimulusAnswer {
    /// `202`: the target did it.
    Done,
    /// `404`: the target does not offer it (CONTRACT.md section 5 allows that).
    NotOffered,
}
