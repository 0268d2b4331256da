//! Project tooling that cargo cannot do by itself: `cargo xtask <command>`.
//!
//! - `bench-latency [--latencies 0,50,200] [--repeat N]`: the whole suite against the double with
//!   injected latency; wall time against the serial floor and the longest case.
//! - `shard-check [N]`: `cargo nextest list --partition count:i/N` for each i covers every test exactly once.
//!
//! The day-to-day commands (conform, serve-double, record, import-docs, check) come with issue 5.

use std::process::ExitCode;
use std::sync::Arc;
use std::time::{Duration, Instant};

use conformance::config::Config;
use conformance::harness::{block_on, run_suite, Env};

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.first().map(String::as_str) {
        Some("bench-latency") => bench_latency(&args[1..]),
        Some("shard-check") => shard_check(args.get(1).and_then(|n| n.parse().ok()).unwrap_or(2)),
        other => {
            eprintln!(
                "xtask: unknown command {other:?}\nusage: cargo xtask bench-latency [--latencies 0,50,200] [--repeat 3] | shard-check [N]"
            );
            ExitCode::from(2)
        }
    }
}

fn flag<'a>(args: &'a [String], name: &str) -> Option<&'a str> {
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1))
        .map(String::as_str)
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

fn bench_latency(args: &[String]) -> ExitCode {
    let latencies: Vec<u64> = flag(args, "--latencies")
        .unwrap_or("0,50,200")
        .split(',')
        .filter_map(|s| s.trim().parse().ok())
        .collect();
    let repeat: usize = flag(args, "--repeat").and_then(|r| r.parse().ok()).unwrap_or(3).max(1);
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
    let mut cmd = std::process::Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()));
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
