// rstest's #[files] globs at compile time: without these lines a new fixture is silently not a case.
fn main() {
    println!("cargo::rerun-if-changed=tests/fixtures");
    println!("cargo::rerun-if-changed=schemas");
}
