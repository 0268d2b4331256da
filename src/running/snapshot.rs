//! Snapshots: the projected exchange of each case, pinned with insta under `snapshots/{set}/`.
//!
//! Named by the case's stable id (never insta's automatic names, which collide inside rstest
//! cases); the edition is part of the name only where the edition changes the case.

use std::path::Path;

use crate::contract::case::Case;

/// The directory of snapshot set `set`.
pub fn set_dir(set: &str) -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("snapshots").join(set)
}

/// The insta settings every snapshot of set `set` shares: named by case id, stored under
/// `snapshots/{set}/`, with the fixture and its provenance in the header.
fn settings(set: &str, case: &Case) -> insta::Settings {
    let mut settings = insta::Settings::clone_current();
    settings.set_snapshot_path(set_dir(set));
    settings.set_prepend_module_to_snapshot(false);
    settings.set_omit_expression(true);
    settings.set_input_file(case.path);
    settings.set_info(&case.fixture.provenance);
    settings.set_sort_maps(true);
    settings
}

/// Asserts that `projection` (a run's, see `judging::judge::CaseRun`) equals the stored snapshot of `case` in set `set`.
pub fn assert_matches(set: &str, case: &Case, projection: &serde_json::Value) {
    let mut settings = settings(set, case);
    settings.set_description(format!("{} — {}", case.id(), case.fixture.description));
    let name = case.snapshot_name();
    settings.bind(|| insta::assert_json_snapshot!(name, projection));
}

/// Asserts `run` against the snapshot set `set`: the contract's projection for `docs`, the whole
/// normalized exchange (see `record`) for a recorded set, named per family since its URLs differ.
pub fn assert_run(set: &str, case: &Case, run: &crate::judging::judge::CaseRun, hosts: &[String]) {
    if set == "docs" {
        return assert_matches(set, case, &run.projection);
    }
    let Some(full) = super::record::full_projection(run, hosts) else {
        panic!(
            "{}: the case did not complete, so there is nothing to compare with snapshot set {set}",
            case.id()
        );
    };
    let settings = settings(set, case);
    let name = format!("{}.{}", case.snapshot_name(), run.family.name());
    settings.bind(|| insta::assert_json_snapshot!(name, full));
}
