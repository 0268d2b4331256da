//! The conformance suite for the Microsoft Graph Calls API: the harness.
//!
//! Data flows one way: fixture -> case -> request -> target -> response -> checks -> verdict/snapshot.
//! The folders are its stages, and imports between them run one way, along the data
//! (`selftest::layout` checks it; ARCHITECTURE.md has the code map):
//!
//! contract -> wire -> judging -> bot -> running, with the doubles beside the pipeline (used only by
//! `running::embedded`) and the docs importer beside the contract.

pub mod bot;
pub mod contract;
pub mod doubles;
pub mod import;
pub mod judging;
pub mod running;
pub mod wire;
