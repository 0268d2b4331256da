//! The editions of the contract (CONTRACT.md section 2): which version of the documents a target is held to.

/// Which edition of the contract a target is held to (CONTRACT.md section 2).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, strum::EnumIter)]
pub enum Edition {
    /// What the five seed documents say (the default).
    Seeds,
    /// The pages online in 2026.
    Current,
}

impl Edition {
    /// The name used in `CONFORMANCE_EDITION`, `tests/fixtures/data/editions.json` and snapshot names.
    pub fn name(self) -> &'static str {
        match self {
            Edition::Seeds => "seeds",
            Edition::Current => "current",
        }
    }
}
