//! The layout of `src/`, checked from the sources in the spirit of rust-analyzer's tidy tests:
//! imports between the stages run one way, along the data, and ARCHITECTURE.md's code map and the
//! README's "Layout" name every folder and file there is, and nothing that is not.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use strum::IntoEnumIterator;

/// Each stage of the pipeline (a folder of `src/`) and the stages it may use. A stage uses itself
/// freely; a folder not listed here fails the test until it is given its place.
const STAGES: &[(&str, &[&str])] = &[
    ("contract", &[]),
    ("wire", &["contract"]),
    ("judging", &["contract", "wire"]),
    ("bot", &["contract", "wire", "judging"]),
    ("running", &["contract", "wire", "judging", "bot"]),
    ("doubles", &["contract", "wire"]),
    ("import", &["contract"]),
];

/// Files that may use more than their stage, and why.
const EXCEPTIONS: &[(&str, &[&str], &str)] = &[
    (
        "src/running/embedded.rs",
        &["doubles"],
        "the wiring of the embedded target starts the doubles",
    ),
    (
        "src/doubles/faults.rs",
        &["judging"],
        "each fault of the catalog names the check that must catch it",
    ),
    (
        "src/doubles/bot_faults.rs",
        &["judging", "bot"],
        "each bot fault names the check and the replay shapes that must expose it",
    ),
];

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// Every `.rs` file under `dir`, as paths relative to the repository root, sorted.
fn rust_files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut todo = vec![dir.to_path_buf()];
    while let Some(d) = todo.pop() {
        for entry in std::fs::read_dir(&d).unwrap_or_else(|e| panic!("cannot read {}: {e}", d.display())) {
            let path = entry.expect("a directory entry").path();
            if path.is_dir() {
                todo.push(path);
            } else if path.extension().is_some_and(|e| e == "rs") {
                out.push(path.strip_prefix(root()).expect("under the root").to_path_buf());
            }
        }
    }
    out.sort();
    out
}

/// The stages (top-level folders) of `src/`.
fn stage_folders() -> BTreeSet<String> {
    std::fs::read_dir(root().join("src"))
        .expect("src/ is readable")
        .filter_map(|e| e.ok())
        .filter(|e| e.path().is_dir())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect()
}

/// The code of a line: without a comment that starts after white space (so `https://…` in a
/// string stays), and nothing at all for a comment line.
fn code(line: &str) -> &str {
    let trimmed = line.trim_start();
    if trimmed.starts_with("//") {
        return "";
    }
    match line.find(" //") {
        Some(i) => &line[..i],
        None => line,
    }
}

/// The first path segment of each path `text` names after `prefix`, with its byte offset:
/// `crate::wire::target::X` gives `wire`, and `crate::{wire::x, judging::y}` gives both.
fn first_segments(text: &str, prefix: &str) -> Vec<(usize, String)> {
    let mut out = Vec::new();
    let mut from = 0;
    while let Some(i) = text[from..].find(prefix).map(|i| i + from) {
        from = i + prefix.len();
        let before = text[..i].chars().next_back();
        if before.is_some_and(|c| c.is_alphanumeric() || c == '_' || c == ':') {
            continue;
        }
        let rest = &text[from..];
        match rest.strip_prefix('{') {
            Some(group) => out.extend(group_items(group).into_iter().map(|s| (i, s))),
            None => out.push((i, ident(rest))),
        }
    }
    out.retain(|(_, s)| !s.is_empty());
    out
}

/// The first identifier of each item of a `{a::b, c::{d, e}}` group (`group` starts after `{`).
fn group_items(group: &str) -> Vec<String> {
    let mut out = Vec::new();
    let (mut depth, mut item) = (0, String::new());
    for c in group.chars() {
        match c {
            '{' => depth += 1,
            '}' if depth == 0 => break,
            '}' => depth -= 1,
            ',' if depth == 0 => {
                out.push(ident(&item));
                item.clear();
                continue;
            }
            _ => {}
        }
        item.push(c);
    }
    out.push(ident(&item));
    out
}

fn ident(text: &str) -> String {
    text.trim_start().chars().take_while(|c| c.is_alphanumeric() || *c == '_').collect()
}

/// The stages the code of a file in stage `stage` uses, with their byte offsets: its `crate::`
/// paths, and its `super::` paths where they leave the stage (from the stage's `mod.rs`, or
/// `super::super::` from its files).
fn stages_used(code: &str, stage: &str, is_mod: bool) -> Vec<(usize, String)> {
    let mut used = first_segments(code, "crate::");
    used.extend(first_segments(code, if is_mod { "super::" } else { "super::super::" }));
    used.retain(|(_, s)| s != stage && s != "self");
    used.sort();
    used
}

/// The file's code, comments blanked line by line (so offsets still count lines).
fn code_of(text: &str) -> String {
    text.lines().map(code).collect::<Vec<_>>().join("\n")
}

#[test]
fn layout_imports_between_stages_run_one_way_along_the_data() {
    let mut problems = Vec::new();
    let known: BTreeSet<&str> = STAGES.iter().map(|(s, _)| *s).collect();
    for folder in stage_folders() {
        if !known.contains(folder.as_str()) {
            problems.push(format!(
                "src/{folder}/ is a stage with no rule: give it its place in selftest::layout::STAGES and ARCHITECTURE.md"
            ));
        }
    }
    for file in rust_files(&root().join("src")) {
        let rel = file.to_string_lossy().replace('\\', "/");
        let Some((stage, rest)) = rel.strip_prefix("src/").and_then(|r| r.split_once('/')) else {
            continue; // lib.rs only declares the stages
        };
        let Some((_, allowed)) = STAGES.iter().find(|(s, _)| *s == stage) else {
            continue; // reported above
        };
        let extra = EXCEPTIONS
            .iter()
            .find(|(f, _, _)| *f == rel)
            .map_or(&[][..], |(_, extra, _)| *extra);
        let text = code_of(&std::fs::read_to_string(root().join(&file)).expect("a readable source file"));
        for (at, used) in stages_used(&text, stage, rest == "mod.rs") {
            if allowed.contains(&used.as_str()) || extra.contains(&used.as_str()) {
                continue;
            }
            let rule = if !known.contains(used.as_str()) {
                format!("{used} is no stage of src/")
            } else if allowed.is_empty() {
                format!("stage {stage} may use no other stage")
            } else {
                format!("stage {stage} may use {}", allowed.join(", "))
            };
            let rule = EXCEPTIONS
                .iter()
                .filter(|(f, extra, _)| f.starts_with(&format!("src/{stage}/")) && extra.contains(&used.as_str()))
                .fold(rule, |rule, (f, _, why)| format!("{rule} (only {f} also uses {used}: {why})"));
            let line = text[..at].matches('\n').count();
            let shown = text.lines().nth(line).unwrap_or_default().trim();
            problems.push(format!("{rel}:{}: {shown}\n    uses {used}, but {rule}", line + 1));
        }
    }
    assert!(
        problems.is_empty(),
        "imports against the direction of the data (ARCHITECTURE.md, \"Boundaries\"):\n{}",
        problems.join("\n")
    );
}

#[test]
fn layout_the_rules_catch_a_use_that_points_back_up() {
    let used = |code: &str, stage: &str, is_mod: bool| -> Vec<String> {
        stages_used(&code_of(code), stage, is_mod).into_iter().map(|(_, s)| s).collect()
    };
    assert_eq!(used("use crate::running::harness::CaseRun;", "judging", false), ["running"]);
    assert_eq!(
        used(
            "use crate::{\n    wire::target::Observed,\n    doubles::faults::Fault,\n};",
            "judging",
            false
        ),
        ["doubles", "wire"]
    );
    assert_eq!(
        used("let d = crate::doubles::service::Double::start(o, rows);", "running", false),
        ["doubles"]
    );
    assert_eq!(used("use super::super::running::config;", "wire", false), ["running"]);
    assert_eq!(used("use super::running::config;", "wire", true), ["running"]);
    assert!(used("use super::judge::CaseRun;", "judging", false).is_empty());
    assert!(used("use crate::judging::verdict::Check;", "judging", false).is_empty());
    assert!(used("// see crate::running::harness\n/// and crate::doubles", "wire", false).is_empty());
    assert!(used(r#"let u = "https://example.com/"; // crate::running"#, "wire", false).is_empty());
}

/// The files of its own stage a file of `stage` uses: `super::x` (from a file, not the stage's
/// `mod.rs`) and `crate::stage::x`, where `x` is one of `siblings`.
fn siblings_used(code: &str, stage: &str, siblings: &BTreeSet<String>) -> BTreeSet<String> {
    let mut used = first_segments(code, "super::");
    used.extend(first_segments(code, &format!("crate::{stage}::")));
    used.into_iter().map(|(_, s)| s).filter(|s| siblings.contains(s)).collect()
}

/// The cycles of a graph of files, each once, as the path from its least file back to it.
fn cycles(graph: &std::collections::BTreeMap<String, BTreeSet<String>>) -> Vec<Vec<String>> {
    fn walk(
        graph: &std::collections::BTreeMap<String, BTreeSet<String>>,
        start: &str,
        path: &mut Vec<String>,
        out: &mut BTreeSet<Vec<String>>,
    ) {
        let Some(next) = graph.get(path.last().expect("a path is never empty")) else {
            return;
        };
        for n in next {
            if n == start {
                let mut cycle = path.clone();
                cycle.push(n.clone());
                out.insert(cycle);
            } else if n.as_str() > start && !path.contains(n) {
                path.push(n.clone());
                walk(graph, start, path, out);
                path.pop();
            }
        }
    }
    let mut out = BTreeSet::new();
    for start in graph.keys() {
        walk(graph, start, &mut vec![start.clone()], &mut out);
    }
    out.into_iter().collect()
}

/// The files of each stage, and which of their siblings each uses.
fn stage_graphs() -> std::collections::BTreeMap<String, std::collections::BTreeMap<String, BTreeSet<String>>> {
    let mut graphs = std::collections::BTreeMap::<String, std::collections::BTreeMap<String, BTreeSet<String>>>::new();
    let files = rust_files(&root().join("src"));
    for stage in stage_folders() {
        let mine: Vec<&PathBuf> = files
            .iter()
            .filter(|f| f.parent() == Some(Path::new("src").join(&stage).as_path()))
            .filter(|f| f.file_stem().is_some_and(|s| s != "mod"))
            .collect();
        let siblings: BTreeSet<String> = mine
            .iter()
            .filter_map(|f| f.file_stem())
            .map(|s| s.to_string_lossy().into_owned())
            .collect();
        let graph = graphs.entry(stage.clone()).or_default();
        for file in mine {
            let name = file.file_stem().expect("a file name").to_string_lossy().into_owned();
            let text = code_of(&std::fs::read_to_string(root().join(file)).expect("a readable source file"));
            let mut used = siblings_used(&text, &stage, &siblings);
            used.remove(&name);
            graph.insert(name, used);
        }
    }
    graphs
}

#[test]
fn layout_no_two_files_of_a_stage_use_each_other() {
    let mut problems = Vec::new();
    for (stage, graph) in stage_graphs() {
        for cycle in cycles(&graph) {
            problems.push(format!("src/{stage}/: {}", cycle.join(".rs -> ") + ".rs"));
        }
    }
    assert!(
        problems.is_empty(),
        "files of one stage that use each other, directly or round about (ARCHITECTURE.md, \"Boundaries\"): \
         move what both need into a file of its own\n{}",
        problems.join("\n")
    );
}

#[test]
fn layout_the_cycle_rule_catches_files_that_use_each_other() {
    let siblings: BTreeSet<String> = ["fixture", "program", "steps"].map(String::from).into();
    assert_eq!(
        siblings_used(
            &code_of("use super::{fixture::Corpus, steps::Step};\nuse crate::contract::program::x; // super::steps"),
            "contract",
            &siblings
        ),
        ["fixture", "program", "steps"].map(String::from).into()
    );
    assert!(siblings_used("use super::super::wire::x;\nuse crate::wire::program;", "contract", &siblings).is_empty());
    let graph = |edges: &[(&str, &[&str])]| -> std::collections::BTreeMap<String, BTreeSet<String>> {
        edges
            .iter()
            .map(|(f, to)| (f.to_string(), to.iter().map(|t| t.to_string()).collect()))
            .collect()
    };
    let v = |p: &[&str]| p.iter().map(|s| s.to_string()).collect::<Vec<_>>();
    assert_eq!(
        cycles(&graph(&[
            ("fixture", &["program"]),
            ("program", &["fixture", "steps"]),
            ("steps", &[])
        ])),
        [v(&["fixture", "program", "fixture"])]
    );
    assert_eq!(
        cycles(&graph(&[("a", &["b"]), ("b", &["c"]), ("c", &["a"])])),
        [v(&["a", "b", "c", "a"])]
    );
    assert!(cycles(&graph(&[("a", &["b", "c"]), ("b", &["c"]), ("c", &[])])).is_empty());
}

/// The paths below `src/` (folders and files) a markdown page names in backticks.
fn named_paths(page: &str) -> BTreeSet<String> {
    page.split('`')
        .skip(1)
        .step_by(2)
        .filter(|s| s.starts_with("src/") && s.len() > "src/".len() && (s.ends_with('/') || s.ends_with(".rs")))
        .map(str::to_string)
        .collect()
}

#[test]
fn layout_architecture_code_map_and_readme_mirror_the_tree() {
    let architecture = std::fs::read_to_string(root().join("ARCHITECTURE.md")).expect("ARCHITECTURE.md");
    let readme = std::fs::read_to_string(root().join("README.md")).expect("README.md");
    let mut tree: BTreeSet<String> = stage_folders().into_iter().map(|f| format!("src/{f}/")).collect();
    tree.extend(
        rust_files(&root().join("src"))
            .iter()
            .map(|f| f.to_string_lossy().replace('\\', "/"))
            .filter(|f| f.matches('/').count() == 2 && !f.ends_with("/mod.rs")),
    );
    let mapped = named_paths(&architecture);
    let missing: Vec<&String> = tree.difference(&mapped).collect();
    let stale: Vec<&String> = mapped.difference(&tree).collect();
    assert!(
        missing.is_empty() && stale.is_empty(),
        "ARCHITECTURE.md's code map must name every stage folder and file of src/ (as `src/stage/` and `src/stage/file.rs`):\n  not in the code map: {missing:?}\n  in the code map but not in src/: {stale:?}"
    );
    let layout = readme.split("## Layout").nth(1).expect("README has a Layout section");
    let folders: BTreeSet<String> = tree.iter().filter(|p| p.ends_with('/')).cloned().collect();
    let in_readme: BTreeSet<String> = named_paths(layout).into_iter().filter(|p| p.ends_with('/')).collect();
    assert_eq!(in_readme, folders, "README's Layout must name exactly the stage folders of src/");
}

/// The counts the README states are the code's: a fault or check added without the README saying so
/// fails here, not in a reader's trust. Every variable the suite reads is in its table.
#[test]
fn layout_the_readme_counts_and_variables_are_the_codes() {
    use conformance::doubles::faults::Fault;
    use conformance::judging::verdict::Check;
    use conformance::running::config::VARIABLES;
    let readme = std::fs::read_to_string(root().join("README.md")).expect("README.md");
    let faults = format!("any of {} named bugs", Fault::iter().len());
    let checks = format!("the suite's {} checks", Check::iter().len());
    assert!(readme.contains(&faults), "README must say \"{faults}\"");
    assert!(readme.contains(&checks), "README must say \"{checks}\"");
    let missing: Vec<&str> = VARIABLES
        .iter()
        .map(|(v, _, _)| *v)
        .filter(|v| !readme.contains(&format!("| `{v}`")) && !readme.contains(&format!("`{v}` /")) && !readme.contains(&format!("/ `{v}`")))
        .collect();
    assert!(missing.is_empty(), "README's table of variables lacks {missing:?}");
}
