//! Project tooling that cargo cannot do by itself (`cargo xtask <command>`).
//! The commands (conform, serve-double, record, import-docs, check) arrive with issue 5.

fn main() {
    let cmd = std::env::args().nth(1).unwrap_or_default();
    eprintln!("xtask: `{cmd}` is not implemented yet; run `cargo test` for the conformance suite");
    std::process::exit(2);
}
