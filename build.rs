// rstest's #[files] globs at compile time: without these lines a new fixture is silently not a case,
// and a run in another edition would run the last build's cases.
fn main() {
    println!("cargo::rerun-if-changed=tests/fixtures");
    println!("cargo::rerun-if-changed=schemas");
    // The bad-input cases of one edition are globbed from tests/fixtures/negative/{edition}/.
    println!("cargo::rerun-if-env-changed=CONFORMANCE_EDITION");
}
