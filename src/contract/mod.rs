//! The contract as data: the documents' examples as fixtures, the cases they make under an
//! edition, the path families, and the JSON Schemas. Pure (reads files, sends nothing).
//!
//! Uses no other stage: everything downstream reads the contract, nothing here reads them.

pub mod case;
pub mod coverage;
pub mod edition;
pub mod family;
pub mod fixture;
pub mod ids;
pub mod lifecycle;
pub mod operation;
pub mod page_block;
pub mod program;
pub mod schema;
pub mod status;
pub mod steps;
pub mod stimulus;
pub mod variations;

use std::sync::OnceLock;

use fixture::{default_root, Corpus};
use schema::{default_dir, Schemas};

/// The fixtures of this checkout, loaded once.
pub fn corpus() -> &'static Corpus {
    static C: OnceLock<Corpus> = OnceLock::new();
    C.get_or_init(|| Corpus::load(&default_root()).unwrap_or_else(|e| panic!("cannot load the fixtures: {e}")))
}

/// The schemas of this checkout, compiled once.
pub fn schemas() -> &'static Schemas {
    static S: OnceLock<Schemas> = OnceLock::new();
    S.get_or_init(|| Schemas::load(&default_dir()).unwrap_or_else(|e| panic!("cannot load the schemas: {e}")))
}
