//! The one test binary.
//!
//! - `cases`: the conformance cases, one per documented request example, run against
//!   `CONFORMANCE_TARGET` or the embedded double (`cargo test cases`).
//! - `selftest`: our own tests of the suite: fixtures, schemas, configuration, and proof that the
//!   double and a differently shaped target pass while the documents' examples match the snapshots.

mod cases;
mod misbehaving;
mod selftest;
mod shaped_target;
