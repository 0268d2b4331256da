//! A program as data: a sequence of steps over one to three calls, the unit the lifecycle model
//! judges. A failing one is printed as JSON and can be saved under `tests/fixtures/programs/` to be
//! replayed by `cargo test`; `program` generates and shrinks them.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::lifecycle::{Operation, Start};
use super::stimulus::Stimulus;

/// A sequence of steps over calls named by role (`A`, `B`, `C`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Program {
    /// The calls, by role: how each comes to be.
    pub calls: Vec<Start>,
    /// The steps, in order.
    pub steps: Vec<Step>,
}

/// One step of a program: a request to the target, or what the far side of the call does.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Step {
    /// The call acted on, by role: `A` is the program's first call.
    pub call: char,
    /// What happens to it.
    #[serde(flatten)]
    pub act: Act,
}

/// What a step does to its call.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(untagged, deny_unknown_fields)]
pub enum Act {
    /// A request of `operation` (`{"operation": "delete", "request": {…}}`).
    Operation {
        /// The operation.
        operation: Operation,
        /// What is sent.
        request: Request,
    },
    /// A stimulus asked of the provisioning hook (`{"stimulus": {"kind": "tone", "body": {…}}}`,
    /// CONTRACT.md section 5).
    Stimulus {
        /// Which, and its body.
        stimulus: Stimulus,
    },
}

impl Step {
    /// A request of `operation` on call `call`.
    pub fn operation(call: char, operation: Operation, request: Request) -> Step {
        Step {
            call,
            act: Act::Operation { operation, request },
        }
    }

    /// The operation it sends, if it sends one.
    pub fn sends(&self) -> Option<Operation> {
        match &self.act {
            Act::Operation { operation, .. } => Some(*operation),
            Act::Stimulus { .. } => None,
        }
    }

    /// What it does, in a word for messages: the operation, or the stimulus.
    pub fn what(&self) -> String {
        match &self.act {
            Act::Operation { operation, .. } => operation.name().to_string(),
            Act::Stimulus { stimulus } => format!("the {} stimulus", stimulus.kind),
        }
    }
}

/// What a step sends.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase", deny_unknown_fields)]
pub enum Request {
    /// A documented request example (a request fixture's id), with `set` over its body: the
    /// variations the contract allows (another clientContext, `all`, reason).
    Documented {
        /// The request fixture.
        example: String,
        /// Properties set over the example's body.
        #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
        set: BTreeMap<String, Value>,
    },
    /// Bad input, sent as the negative fixture `negative` sends it.
    Bad {
        /// The negative fixture.
        negative: String,
    },
}

/// The role of call number `i` (0-based): `A`, `B`, `C`.
pub fn role(i: usize) -> char {
    (b'A' + u8::try_from(i).unwrap_or(25).min(25)) as char
}

/// The index of `role`, if it names one of `n` calls.
pub fn role_index(role: char, n: usize) -> Option<usize> {
    let i = (role as usize).checked_sub('A' as usize)?;
    (i < n).then_some(i)
}
