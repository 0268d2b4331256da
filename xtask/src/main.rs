//! Project tooling that cargo cannot do by itself: `cargo xtask <command>`. `cargo xtask --help`
//! lists the commands, and `cargo xtask <command> --help` each one's flags, the variables they stand
//! for and their defaults (`cli`).

mod cli;

use std::process::ExitCode;
use std::sync::Arc;
use std::time::{Duration, Instant};

use std::collections::{BTreeMap, HashMap};
use std::io::Write;
use std::path::PathBuf;

use conformance::doubles::service::{Double, DoubleOptions};
use conformance::running::config::Config;
use conformance::running::conform::{Expectations, Report};
use conformance::running::embedded::{faults_of, Env};
use conformance::running::explore::{explore, explore_with_progress, Budget, Progress};
use conformance::running::harness::{block_on, replay_all, run_suite, run_suite_with_progress};

use clap::Parser;
use cli::{BenchArgs, Cli, Command, ConformArgs, ExploreArgs, ImportArgs, ImportPagesArgs, Override, RecordArgs, ServeArgs};

fn main() -> ExitCode {
    // Tokens never travel as arguments (shell history, `ps`): say so rather than "unexpected argument".
    if std::env::args().any(|a| a.starts_with("--token") || a.starts_with("--bot-token")) {
        eprintln!("xtask: tokens are read from CONFORMANCE_TOKEN and CONFORMANCE_BOT_TOKEN only, never from arguments");
        return ExitCode::from(2);
    }
    match Cli::parse().command {
        Command::Conform(a) => conform(a),
        Command::Explore(a) => explore_cmd(a),
        Command::ServeDouble(a) => serve_double(a),
        Command::Record(a) => record(a),
        Command::ImportDocs(a) => import_docs(a),
        Command::ImportPages(a) => import_pages(a),
        Command::Check => check(),
        Command::BenchLatency(a) => bench_latency(a),
        Command::ShardCheck(a) => shard_check(a.partitions),
        Command::Reliability(a) => reliability(a.runs, &a.loads),
        Command::Reach(a) => reach(a),
    }
}

/// The cargo that runs this xtask, for the commands that drive `cargo test` or `cargo nextest`.
fn cargo() -> std::process::Command {
    std::process::Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()))
}

/// The configuration: the environment, with the flags' values in place of their variables'. An
/// unknown `CONFORMANCE_*` variable, a bad value or a fault not in the catalog is refused here,
/// before anything starts. The token is read from the environment only.
fn config_for(overrides: Vec<Override>) -> Result<Config, String> {
    let mut vars: HashMap<String, String> = std::env::vars_os()
        .filter_map(|(k, v)| Some((k.into_string().ok()?, v.to_string_lossy().into_owned())))
        .collect();
    vars.extend(overrides.into_iter().map(|(k, v)| (k.to_string(), v)));
    let config = Config::from_vars(vars).map_err(|e| e.to_string())?;
    faults_of(&config).map_err(|e| e.to_string())?;
    Ok(config)
}

/// One run of the whole suite at one latency.
struct Sample {
    wall: Duration,
    longest: Duration,
    requests: u64,
    runs: usize,
    failed: usize,
}

fn sample(latency_ms: u64) -> Result<Sample, String> {
    let ms = latency_ms.to_string();
    let config = Config::from_lookup(|k| (k == "CONFORMANCE_DOUBLE_LATENCY_MS").then(|| ms.clone())).map_err(|e| e.to_string())?;
    let env = Arc::new(block_on(Env::start(config))?);
    let started = Instant::now();
    let outcomes = block_on(run_suite(env.clone()));
    let wall = started.elapsed();
    let requests = env.double.as_ref().map(|d| d.requests()).unwrap_or(0);
    let longest = outcomes.iter().map(|o| o.elapsed).max().unwrap_or_default();
    let failed = outcomes.iter().filter(|o| o.message.is_some()).count();
    Ok(Sample {
        wall,
        longest,
        requests,
        runs: outcomes.len(),
        failed,
    })
}

fn secs(d: Duration) -> String {
    format!("{:.2} s", d.as_secs_f64())
}

fn bench_latency(args: BenchArgs) -> ExitCode {
    let (latencies, repeat) = (args.latencies, args.repeat.max(1));
    println!("Whole suite (documented and negative cases, communications family) against the embedded double,");
    println!("each answer and notification delayed by the latency; median of {repeat} runs.\n");
    println!("| latency | case runs | requests | serial floor (requests × latency) | longest case | wall | wall − longest case | wall / serial floor |");
    println!("|---|---|---|---|---|---|---|---|");
    for ms in latencies {
        let mut samples = Vec::new();
        for _ in 0..repeat {
            match sample(ms) {
                Ok(s) if s.failed == 0 => samples.push(s),
                Ok(s) => {
                    eprintln!(
                        "{} of {} runs failed at {ms} ms: the benchmark measures a passing suite",
                        s.failed, s.runs
                    );
                    return ExitCode::FAILURE;
                }
                Err(e) => {
                    eprintln!("cannot start: {e}");
                    return ExitCode::FAILURE;
                }
            }
        }
        samples.sort_by_key(|s| s.wall);
        let s = &samples[samples.len() / 2];
        let floor = Duration::from_millis(ms) * s.requests as u32;
        let ratio = if floor.is_zero() {
            "—".to_string()
        } else {
            format!("{:.2}", s.wall.as_secs_f64() / floor.as_secs_f64())
        };
        println!(
            "| {ms} ms | {} | {} | {} | {} | {} | {} | {ratio} |",
            s.runs,
            s.requests,
            secs(floor),
            secs(s.longest),
            secs(s.wall),
            secs(s.wall.saturating_sub(s.longest))
        );
    }
    ExitCode::SUCCESS
}

fn nextest_list(partition: Option<String>) -> Result<Vec<String>, String> {
    let mut cmd = cargo();
    cmd.args(["nextest", "list", "--message-format", "oneline"]);
    if let Some(p) = &partition {
        cmd.args(["--partition", p]);
    }
    let out = cmd.output().map_err(|e| format!("cannot run cargo nextest: {e}"))?;
    if !out.status.success() {
        return Err(format!("cargo nextest list failed: {}", String::from_utf8_lossy(&out.stderr)));
    }
    Ok(String::from_utf8_lossy(&out.stdout).lines().map(str::to_string).collect())
}

/// Checks that N nextest partitions cover every test exactly once.
/// Busy loops on threads of their own, as `yes > /dev/null` would be: a fixed load beside the tests
/// that stops when dropped.
struct BusyLoops {
    stop: std::sync::Arc<std::sync::atomic::AtomicBool>,
    threads: Vec<std::thread::JoinHandle<()>>,
}

impl BusyLoops {
    fn start(n: usize) -> BusyLoops {
        use std::sync::atomic::{AtomicBool, Ordering};
        let stop = std::sync::Arc::new(AtomicBool::new(false));
        let threads = (0..n)
            .map(|_| {
                let stop = stop.clone();
                std::thread::spawn(move || {
                    let mut x = 0u64;
                    while !stop.load(Ordering::Relaxed) {
                        x = std::hint::black_box(x.wrapping_mul(6364136223846793005).wrapping_add(1));
                    }
                })
            })
            .collect();
        BusyLoops { stop, threads }
    }
}

impl Drop for BusyLoops {
    fn drop(&mut self) {
        self.stop.store(true, std::sync::atomic::Ordering::Relaxed);
        for t in self.threads.drain(..) {
            let _ = t.join();
        }
    }
}

/// The tests libtest reports as failed in `output`.
fn failed_tests(output: &str) -> Vec<String> {
    output
        .lines()
        .filter_map(|l| l.strip_prefix("test ")?.strip_suffix(" ... FAILED"))
        .map(str::to_string)
        .collect()
}

/// `runs` whole `cargo test`s in a row at each load; prints each failing run's failed tests and
/// the first lines of their panics, and a table of failures per load. Exits 1 on any failure.
fn reliability(runs: usize, loads: &[usize]) -> ExitCode {
    let built = cargo().args(["test", "--no-run", "--quiet"]).status();
    if !built.is_ok_and(|s| s.success()) {
        eprintln!("reliability: cargo test --no-run failed");
        return ExitCode::FAILURE;
    }
    let mut table = Vec::new();
    for &load in loads {
        let busy = BusyLoops::start(load);
        let (mut failures, mut walls) = (0, Vec::new());
        for i in 1..=runs {
            let start = Instant::now();
            let out = cargo().arg("test").env("INSTA_UPDATE", "no").output();
            let wall = start.elapsed();
            walls.push(wall);
            let (ok, text) = match out {
                Ok(o) => (
                    o.status.success(),
                    format!("{}{}", String::from_utf8_lossy(&o.stdout), String::from_utf8_lossy(&o.stderr)),
                ),
                Err(e) => (false, format!("cannot run cargo test: {e}")),
            };
            let verdict = if ok {
                "ok".to_string()
            } else {
                format!("FAILED: {}", failed_tests(&text).join(", "))
            };
            println!("load {load}: run {i:>2} of {runs}: {:.1} s {verdict}", wall.as_secs_f64());
            if !ok {
                failures += 1;
                let log = PathBuf::from(format!("target/reliability/load-{load}-run-{i}.log"));
                let saved = std::fs::create_dir_all("target/reliability").and_then(|_| std::fs::write(&log, &text));
                println!(
                    "    whole output: {}",
                    if saved.is_ok() {
                        log.display().to_string()
                    } else {
                        "not saved".into()
                    }
                );
                for line in text
                    .lines()
                    .filter(|l| l.contains("panicked at") || l.contains("NOT delivered") || l.contains("does not conform"))
                {
                    println!("    {line}");
                }
            }
        }
        drop(busy);
        walls.sort();
        table.push((load, failures, walls[walls.len() / 2]));
    }
    println!("\n| busy loops | runs | failed | median wall |\n|---|---|---|---|");
    for (load, failures, median) in &table {
        println!("| {load} | {runs} | {failures} | {:.1} s |", median.as_secs_f64());
    }
    if table.iter().any(|(_, f, _)| *f > 0) {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    }
}

fn shard_check(n: usize) -> ExitCode {
    let run = || -> Result<(), String> {
        let mut all = nextest_list(None)?;
        all.sort();
        let mut union = Vec::new();
        for i in 1..=n {
            let part = nextest_list(Some(format!("count:{i}/{n}")))?;
            println!("partition {i}/{n}: {} tests", part.len());
            union.extend(part);
        }
        union.sort();
        let before = union.len();
        union.dedup();
        if before != union.len() {
            return Err(format!("{} tests are in more than one partition", before - union.len()));
        }
        if union != all {
            return Err(format!("the partitions hold {} tests, the suite {}", union.len(), all.len()));
        }
        println!("{n} partitions cover all {} tests exactly once", all.len());
        Ok(())
    };
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("shard-check: {e}");
            ExitCode::FAILURE
        }
    }
}

/// Where reports go: `target/conformance/` of the workspace (or of CARGO_TARGET_DIR).
fn out_dir() -> PathBuf {
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../target"));
    target.join("conformance")
}

/// One target of a `conform` run.
struct TargetRun<'a> {
    /// The target URL and its provisioning hook, in place of the flags'; `None` takes them from the
    /// flags and the environment.
    target: Option<(&'a str, &'a str)>,
    /// This target's file of known failures.
    expectations: Option<&'a str>,
}

/// One target's run: the suite, the bot replays and the generated programs, as a report.
fn conform_one(args: &ConformArgs, run: TargetRun) -> Result<Report, String> {
    let TargetRun { target, expectations } = run;
    let mut overrides = args.aim.overrides(target)?;
    overrides.extend(args.budget.overrides());
    let config = config_for(overrides)?;
    let env = Arc::new(block_on(Env::start(config)).map_err(|e| format!("cannot start: {e}"))?);
    eprintln!("{}", env.summary());
    let progress = |o: &conformance::running::harness::Outcome| {
        eprint!("{}", if o.message.is_none() { "." } else { "F" });
        let _ = std::io::stderr().flush();
    };
    let e = env.clone();
    let outcomes = block_on(async move { run_suite_with_progress(e, progress).await });
    // A service target's verdict counts only what tested it: replays to the embedded bot double
    // test the suite's own bot, so they are left out unless a bot of the user's is named.
    let replays = if env.double.is_none() && env.bot_double.is_some() {
        eprintln!("\nconform: the bot rows are left out: with no --bot-url (CONFORMANCE_BOT_URL) they would test the embedded bot double, not a bot of yours");
        Vec::new()
    } else {
        block_on(replay_all(env.clone()))
    };
    let exploration = explore(env.clone(), Budget::of(&env.config))?;
    eprintln!();
    for line in [env.listener.strays().describe(), env.target.throttling().describe()]
        .into_iter()
        .flatten()
    {
        eprintln!("conform: {line}");
    }
    let mut report = Report::build(&env.describe(), &outcomes, &replays);
    report.add_exploration(&exploration, &env.describe());
    if let Some(path) = expectations {
        Expectations::load(std::path::Path::new(path))
            .and_then(|e| report.apply(&e))
            .map_err(|e| format!("{path}: {e}"))?;
    }
    Ok(report)
}

fn write_reports(files: &[(String, String)]) {
    let dir = out_dir();
    for (name, contents) in files {
        match std::fs::create_dir_all(&dir).and_then(|_| std::fs::write(dir.join(name), contents)) {
            Ok(()) => println!("wrote {}", dir.join(name).display()),
            Err(e) => eprintln!("conform: cannot write {}: {e}", dir.join(name).display()),
        }
    }
}

fn conform(args: ConformArgs) -> ExitCode {
    let (targets, hooks, expectations) = (&args.aim.target, &args.aim.provision_url, &args.expectations);
    if targets.len() > 1 && hooks.len() != targets.len() {
        eprintln!("conform: give one --provision-url per --target, in the same order");
        return ExitCode::from(2);
    }
    // Known failures belong to a target: with several, give one file per target or one for all.
    if expectations.len() > 1 && expectations.len() != targets.len() {
        eprintln!("conform: give one --expectations per --target, in the same order, or a single one for all");
        return ExitCode::from(2);
    }
    // One run per target; every other flag applies to all of them.
    let runs: Vec<TargetRun> = if targets.len() <= 1 {
        vec![TargetRun {
            target: None,
            expectations: expectations.first().map(String::as_str),
        }]
    } else {
        let expectations_of = |i: usize| expectations.get(i).or(expectations.first()).map(String::as_str);
        targets
            .iter()
            .zip(hooks)
            .enumerate()
            .map(|(i, (t, h))| TargetRun {
                target: Some((t.as_str(), h.as_str())),
                expectations: expectations_of(i),
            })
            .collect()
    };
    let mut reports = Vec::new();
    for run in runs {
        match conform_one(&args, run) {
            Ok(r) => reports.push(r),
            Err(e) => {
                eprintln!("conform: {e}");
                return ExitCode::from(2);
            }
        }
    }
    let mut files = Vec::new();
    if let [report] = reports.as_slice() {
        println!("{}", report.matrix());
        files.push(("junit.xml".to_string(), report.junit()));
        files.push(("report.html".to_string(), report.html()));
    } else {
        for (i, report) in reports.iter().enumerate() {
            println!("target #{}:\n{}", i + 1, report.matrix());
            files.push((format!("junit-{}.xml", i + 1), report.junit()));
            files.push((format!("report-{}.html", i + 1), report.html()));
        }
        files.push(("report.html".to_string(), conformance::running::conform::compare_html(&reports)));
    }
    write_reports(&files);
    if reports.iter().all(|r| r.unexpected() == 0) {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}

fn serve_double(args: ServeArgs) -> ExitCode {
    let config = match config_for(args.overrides()) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("serve-double: {e}");
            return ExitCode::from(2);
        }
    };
    let (fault, _) = faults_of(&config).expect("config_for refuses a fault name not in the catalog");
    let bind = args.bind.or(args.port.map(|p| std::net::SocketAddr::from(([127, 0, 0, 1], p))));
    let options = DoubleOptions {
        edition: config.edition,
        fault,
        latency: config.double_latency,
        bind,
        log: true,
        throttle_every: config.double_throttle,
        stimuli: true,
        media: config.double_media.unwrap_or(conformance::doubles::service::MEDIA_RUNS),
    };
    let media = options.media;
    block_on(async move {
        let double = Double::start(options, &conformance::contract::corpus().operations).await;
        println!("target:    {}", double.base);
        println!("provision: {}", double.provision_url);
        println!(
            "stimuli:   POST {}/{{call id}}/tone {{\"tone\": \"tone1\"}} or /hangup {{}} (CONTRACT.md section 5)",
            double.provision_url
        );
        println!(
            "media:     each prompt or recording plays {} ms, one at a time per call; cancelMediaProcessing ends the running and the queued ones",
            media.as_millis()
        );
        println!(
            "edition:   {}{}",
            config.edition.name(),
            fault.map(|f| format!(", fault {} ({})", f.name(), f.bug())).unwrap_or_default()
        );
        println!(
            "\nCONFORMANCE_TARGET={} CONFORMANCE_PROVISION_URL={} cargo test cases",
            double.base, double.provision_url
        );
        if bind.is_some_and(|b| b.ip().is_unspecified()) {
            println!(
                "(listening on every interface: from a container or a VM, use this machine's address in place of {})",
                bind.map(|b| b.ip().to_string()).unwrap_or_default()
            );
        }
        println!("(Ctrl-C stops it)");
        std::future::pending::<()>().await;
        drop(double);
    });
    ExitCode::SUCCESS
}

/// Runs the data lints. They are the self-tests `selftest::fixtures` and `selftest::schemas`, so
/// `cargo test` and `cargo xtask check` can never disagree.
fn check() -> ExitCode {
    let status = cargo()
        .args([
            "test",
            "--quiet",
            "--test",
            "conformance",
            "--",
            "selftest::fixtures",
            "selftest::schemas",
        ])
        .status();
    match status {
        Ok(s) if s.success() => {
            println!("check: fixtures, schemas and snapshots are consistent");
            ExitCode::SUCCESS
        }
        Ok(_) => ExitCode::FAILURE,
        Err(e) => {
            eprintln!("check: cannot run cargo test: {e}");
            ExitCode::from(2)
        }
    }
}

/// Records snapshot set `--set NAME`: the conformance cases run with `CONFORMANCE_SNAPSHOTS=NAME`
/// and insta told to write, so every snapshot of the set is (re)written from this target's answers.
fn record(args: RecordArgs) -> ExitCode {
    let set = args.set.as_str();
    let overrides = match args.aim.overrides(None).and_then(|o| config_for(o.clone()).map(|_| o)) {
        Ok(o) => o,
        Err(e) => {
            eprintln!("record: {e}");
            return ExitCode::from(2);
        }
    };
    if set == "docs" {
        eprintln!("record: `docs` is the documents' golden set; record a target under another name");
        return ExitCode::from(2);
    }
    let mut cmd = cargo();
    cmd.args(["test", "--quiet", "--test", "conformance", "--", "cases::documented_exchange"]);
    cmd.env("CONFORMANCE_SNAPSHOTS", set)
        .env("INSTA_UPDATE", "always")
        .env("INSTA_FORCE_PASS", "1");
    for (var, v) in overrides {
        cmd.env(var, v);
    }
    match cmd.status() {
        Ok(s) if s.success() => {
            println!("recorded snapshots/{set}/; review with `git diff snapshots/{set}` and compare later runs with:");
            println!("  CONFORMANCE_SNAPSHOTS={set} cargo test cases   (add the same CONFORMANCE_TARGET/PROVISION_URL)");
            ExitCode::SUCCESS
        }
        Ok(_) => {
            eprintln!("record: some cases failed; a recording of a failing target would pin its failures. Fix them first.");
            ExitCode::FAILURE
        }
        Err(e) => {
            eprintln!("record: cannot run cargo test: {e}");
            ExitCode::from(2)
        }
    }
}

/// Imports documentation pages into fixtures, printing what is new, updated or unchanged.
fn import_docs(args: ImportArgs) -> ExitCode {
    let out = args
        .out
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../tests/fixtures"));
    let mut written = 0;
    for page in &args.pages {
        let page = &page.display().to_string();
        let text = match std::fs::read_to_string(page) {
            Ok(t) => t,
            Err(e) => {
                eprintln!("import-docs: {page}: {e}");
                return ExitCode::from(2);
            }
        };
        let seed = std::path::Path::new(page).file_name().and_then(|n| n.to_str()).unwrap_or(page);
        let imported = conformance::import::import_page(seed, &text);
        if imported.is_empty() {
            eprintln!("import-docs: {page}: no annotated request, response or example blocks");
        }
        for f in imported {
            let path = out.join(&f.path);
            let before = std::fs::read_to_string(&path).ok();
            // What a page cannot say (a person's description and notes) survives an update.
            let mut fixture = f.fixture.clone();
            if let Some(old) = before.as_deref().and_then(|b| conformance::contract::fixture::parse_strict(b).ok()) {
                for key in ["description", "notes"] {
                    if let (Some(v), Some(map)) = (old.get(key), fixture.as_object_mut()) {
                        map.insert(key.to_string(), v.clone());
                    }
                }
            }
            let text = format!("{}\n", conformance::import::pretty(&fixture));
            let state = match &before {
                None => "new",
                Some(b) if *b == text => "unchanged",
                Some(_) => "updated",
            };
            if state != "unchanged" {
                if let Err(e) = std::fs::create_dir_all(path.parent().unwrap_or(&out)).and_then(|_| std::fs::write(&path, &text)) {
                    eprintln!("import-docs: cannot write {}: {e}", path.display());
                    return ExitCode::FAILURE;
                }
                written += 1;
            }
            println!("{state:9} {}", path.display());
        }
    }
    println!("{written} file(s) written; review them with `git diff`, then `cargo test` (new requests become cases).");
    ExitCode::SUCCESS
}

/// Writes (or, with `--check`, compares) the corpus of today's pages: `tests/fixtures/pages/` and
/// `tests/fixtures/rejected/pages/`, files the pages no longer make removed.
fn import_pages(args: ImportPagesArgs) -> ExitCode {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..");
    let root = root.canonicalize().unwrap_or(root);
    let docs = args.docs.unwrap_or_else(|| root.join("tests/graph-docs"));
    let fixtures = root.join("tests/fixtures");
    let entries = match conformance::import::corpus::import_all(&docs) {
        Ok(e) => e,
        Err(e) => {
            eprintln!("import-pages: {e}");
            return ExitCode::from(2);
        }
    };
    let wanted: BTreeMap<PathBuf, String> = entries
        .iter()
        .map(|e| (fixtures.join(e.path()), format!("{}\n", conformance::import::pretty(&e.to_json()))))
        .collect();
    let mut on_disk = Vec::new();
    for dir in [fixtures.join("pages"), fixtures.join("rejected/pages")] {
        collect_json(&dir, &mut on_disk);
    }
    let stale: Vec<&PathBuf> = on_disk.iter().filter(|p| !wanted.contains_key(*p)).collect();
    let changed: Vec<&PathBuf> = wanted
        .iter()
        .filter(|(p, text)| std::fs::read_to_string(p).ok().as_deref() != Some(text.as_str()))
        .map(|(p, _)| p)
        .collect();
    let (blocks, rejected) = entries.iter().fold((0, 0), |(b, r), e| match e {
        conformance::import::corpus::CorpusEntry::Block(_) => (b + 1, r),
        conformance::import::corpus::CorpusEntry::Rejected(_) => (b, r + 1),
    });
    if args.check {
        for p in &changed {
            println!("differs   {}", p.display());
        }
        for p in &stale {
            println!("stale     {}", p.display());
        }
        let coverage = coverage_files(&root, &fixtures);
        let coverage_stale = coverage.as_ref().map_or(true, |files| {
            files
                .iter()
                .any(|(p, text)| std::fs::read_to_string(p).ok().as_deref() != Some(text.as_str()))
        });
        if coverage_stale {
            println!("differs   docs/coverage.md or the README's coverage summary");
        }
        if changed.is_empty() && stale.is_empty() && !coverage_stale {
            println!(
                "import-pages: the corpus is what {} makes: {blocks} blocks, {rejected} rejected",
                docs.display()
            );
            return ExitCode::SUCCESS;
        }
        println!("import-pages: the corpus is not what the pages make; run `cargo xtask import-pages`");
        return ExitCode::FAILURE;
    }
    for p in &changed {
        let written = std::fs::create_dir_all(p.parent().unwrap_or(&fixtures)).and_then(|_| std::fs::write(p, &wanted[*p]));
        if let Err(e) = written {
            eprintln!("import-pages: cannot write {}: {e}", p.display());
            return ExitCode::FAILURE;
        }
        println!("written   {}", p.display());
    }
    for p in &stale {
        if let Err(e) = std::fs::remove_file(p) {
            eprintln!("import-pages: cannot remove {}: {e}", p.display());
            return ExitCode::FAILURE;
        }
        println!("removed   {}", p.display());
    }
    match coverage_files(&root, &fixtures) {
        Ok(files) => {
            for (p, text) in files {
                if let Err(e) = std::fs::write(&p, text) {
                    eprintln!("import-pages: cannot write {}: {e}", p.display());
                    return ExitCode::FAILURE;
                }
            }
        }
        Err(e) => {
            eprintln!("import-pages: the coverage table: {e}");
            return ExitCode::FAILURE;
        }
    }
    println!(
        "import-pages: {blocks} blocks, {rejected} rejected; {} file(s) written, {} removed; docs/coverage.md and the README's summary rewritten; review them with `git diff`",
        changed.len(),
        stale.len()
    );
    ExitCode::SUCCESS
}

/// `docs/coverage.md` and the README with its summary, as the fixtures under `fixtures` make them.
fn coverage_files(root: &std::path::Path, fixtures: &std::path::Path) -> Result<Vec<(PathBuf, String)>, String> {
    let corpus = conformance::contract::fixture::Corpus::load(fixtures).map_err(|e| e.to_string())?;
    let rows = conformance::contract::coverage::rows(&corpus);
    let readme_path = root.join("README.md");
    let readme = std::fs::read_to_string(&readme_path).map_err(|e| format!("README.md: {e}"))?;
    let readme = conformance::contract::coverage::with_summary(&readme, &rows)?;
    Ok(vec![
        (root.join("docs/coverage.md"), conformance::contract::coverage::table(&rows)),
        (readme_path, readme),
    ])
}

/// Every `.json` file under `dir`, recursively.
fn collect_json(dir: &std::path::Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else { return };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            collect_json(&path, out);
        } else if path.extension().is_some_and(|x| x == "json") {
            out.push(path);
        }
    }
}

/// `cargo xtask reach`: for each fault the detection matrix holds to the generated programs, how
/// many of the default budget's programs fail under it, for the default seed and seeds 1 to N. A
/// fault caught by one or two programs is caught by luck: the next example added to the catalog
/// reshuffles the draws and can leave it unfound. Notification waits and media paces are the matrix's.
fn reach(args: cli::ReachArgs) -> ExitCode {
    use conformance::doubles::faults::Fault;
    use strum::IntoEnumIterator;
    let faults: Vec<Fault> = if args.fault.is_empty() {
        Fault::iter().filter(|f| f.caught_by().contains(&"explore")).collect()
    } else {
        match args.fault.iter().map(|n| Fault::parse(n).ok_or(n)).collect() {
            Ok(f) => f,
            Err(n) => {
                eprintln!("reach: no fault {n:?} in the catalog");
                return ExitCode::from(2);
            }
        }
    };
    let default = Config::defaults().explore_seed;
    let seeds: Vec<u64> = std::iter::once(default).chain(1..=args.seeds).collect();
    let cases = args.cases.unwrap_or(Config::defaults().explore_cases);
    println!(
        "| fault | {} | fewest |",
        seeds.iter().map(|s| format!("seed {s}")).collect::<Vec<_>>().join(" | ")
    );
    println!("|---|{}---|", "---|".repeat(seeds.len()));
    let mut weakest = usize::MAX;
    for fault in faults {
        let seeds = seeds.clone();
        let counts: Vec<usize> = block_on(async move {
            let mut tasks = tokio::task::JoinSet::new();
            for (i, &seed) in seeds.iter().enumerate() {
                tasks.spawn(async move {
                    let config = conformance::running::embedded::fault_matrix_config(fault, None);
                    let env = Arc::new(Env::start(config).await.expect("the double starts"));
                    let runs = conformance::running::explore::run_generated(env, Budget { seed, cases })
                        .await
                        .expect("programs are generated");
                    (i, runs.iter().filter(|r| !r.passed()).count())
                });
            }
            let mut out = vec![0; seeds.len()];
            while let Some(joined) = tasks.join_next().await {
                let (i, n) = joined.expect("a seed's run");
                out[i] = n;
            }
            out
        });
        let fewest = counts.iter().copied().min().unwrap_or(0);
        weakest = weakest.min(fewest);
        println!(
            "| {} | {} | {fewest} |",
            fault.name(),
            counts.iter().map(|n| n.to_string()).collect::<Vec<_>>().join(" | ")
        );
    }
    println!("\nfewest failing programs of any fault and seed: {weakest}");
    ExitCode::SUCCESS
}

/// `cargo xtask explore`: a deep exploration with a progress line.
fn explore_cmd(args: ExploreArgs) -> ExitCode {
    let overrides = args.aim.overrides(None).map(|mut o| {
        o.extend(args.budget.overrides());
        o
    });
    let config = match overrides.and_then(config_for) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("explore: {e}");
            return ExitCode::from(2);
        }
    };
    let budget = Budget::of(&config);
    let env = match block_on(Env::start(config)) {
        Ok(env) => Arc::new(env),
        Err(e) => {
            eprintln!("explore: cannot start: {e}");
            return ExitCode::from(2);
        }
    };
    eprintln!(
        "explore: {} — {} programs from seed {} (CONFORMANCE_EXPLORE_CASES, CONFORMANCE_EXPLORE_SEED)",
        env.describe(),
        budget.cases,
        budget.seed
    );
    let started = Instant::now();
    let done = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let failed = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let (d, f, total) = (done.clone(), failed.clone(), budget.cases);
    let progress: Progress = Arc::new(move |run| {
        use std::sync::atomic::Ordering::Relaxed;
        let n = d.fetch_add(1, Relaxed) + 1;
        let bad = f.fetch_add(usize::from(!run.passed()), Relaxed) + usize::from(!run.passed());
        if n % 16 == 0 || n == total {
            eprint!("\r{n}/{total} programs, {bad} failed");
            let _ = std::io::stderr().flush();
        }
    });
    let exploration = match explore_with_progress(env.clone(), budget, progress) {
        Ok(e) => e,
        Err(e) => {
            eprintln!("\nexplore: {e}");
            return ExitCode::from(2);
        }
    };
    let requests = env
        .double
        .as_ref()
        .map(|d| format!(", {} requests to the double", d.requests()))
        .unwrap_or_default();
    eprintln!("\n{} programs in {}{requests}", budget.cases, secs(started.elapsed()));
    match &exploration.shrunk {
        None => {
            println!("all {} programs conform to the lifecycle model", budget.cases);
            ExitCode::SUCCESS
        }
        Some((_, run, _)) => {
            let again = format!("cargo xtask explore --seed {} --cases {}", budget.seed, budget.cases);
            let origin = exploration.origin(&again).unwrap_or_default();
            println!("{}", conformance::judging::report::program_failure(run, &origin, &env.describe()));
            ExitCode::FAILURE
        }
    }
}
