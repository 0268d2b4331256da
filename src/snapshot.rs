//! Snapshots: the projected exchange of each case, pinned with insta under `snapshots/{set}/`.
//!
//! Named by the case's stable id (never insta's automatic names, which collide inside rstest
//! cases); the edition is part of the name only where the edition changes the case.

use std::path::Path;

use crate::case::Case;

/// The directory of snapshot set `set`.
pub fn set_dir(set: &str) -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("snapshots").join(set)
}

/// Asserts that `projection` (a run's, see `harness::CaseRun`) equals the stored snapshot of `case` in set `set`.
pub fn assert_matches(set: &str, case: &Case, projection: &serde_json::Value) {
    let mut settings = insta::Settings::clone_current();
    settings.set_snapshot_path(set_dir(set));
    settings.set_prepend_module_to_snapshot(false);
    settings.set_omit_expression(true);
    settings.set_input_file(case.path);
    settings.set_info(&case.fixture.provenance);
    settings.set_description(format!("{} — {}", case.id(), case.fixture.description));
    settings.set_sort_maps(true);
    let name = case.snapshot_name();
    settings.bind(|| insta::assert_json_snapshot!(name, projection));
}
