//! `cargo xtask fuzz [--long | --runs N | --seconds S] [--jobs J] [TARGET…]`:
//! the fuzz targets of `fuzz/` (one per parser that reads outside input,
//! see `fuzz/src/lib.rs`), built with libFuzzer's coverage instrumentation
//! and run one after the other, each printing its figures.
//!
//! Why it is shaped so:
//! - **Stable Rust.** cargo-fuzz wants nightly for its sanitizers; the
//!   coverage libFuzzer steers by needs only `-C passes=sancov-module` and
//!   LLVM options, which stable rustc takes (`xtask/fuzz-rustc`).
//! - **Vigil's crates instrumented, over the tests' dependencies**: see
//!   [`build`].
//! - **Seeds from the code.** Each target writes its seeds itself
//!   (`VIGIL_FUZZ_SEEDS`, run once on an empty input): the demo exams, a
//!   valid attempt's log. The corpus that grows is kept in
//!   `target/fuzz/corpus/<target>/`, so later runs start from it.
//! - **Bounded.** `cargo xtask test` runs each target [`TEST_SECONDS`]
//!   seconds; `--long` runs each [`LONG_RUNS`] inputs (the figures of
//!   `docs/reliability.md`). A crash stops the run with the input's path
//!   (`target/fuzz/artifacts/<target>/`), to be turned into a test.
//! - **One core a process.** libFuzzer is single-threaded; `--jobs J` runs
//!   J processes of a target on the same corpus folder (each reloads what
//!   the others found, libFuzzer's `-reload`), the budget split between
//!   them, and sums their figures: the slow `sync_events` gets its 10
//!   million inputs in half the time on two cores.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Instant;

use anyhow::{bail, Context, Result};

use crate::util;

/// Every fuzz target, cheapest first.
pub(crate) const TARGETS: [&str; 7] = [
    "content_range",
    "kiosk_link",
    "kiosk_config",
    "roster_csv",
    "vision_message",
    "exam_package",
    "sync_events",
];

/// Inputs each target runs with `--long`.
pub(crate) const LONG_RUNS: u64 = 10_000_000;

/// Seconds each target runs in `cargo xtask test`.
pub(crate) const TEST_SECONDS: u64 = 10;

/// Largest input tried, in bytes: a whole attempt's log or exam fits for
/// the targets that read those; 4 KiB (libFuzzer's default) for the text
/// parsers, whose inputs otherwise grow large and slow every run.
fn max_len(target: &str) -> u32 {
    match target {
        "sync_events" | "exam_package" => 65_536,
        _ => 4_096,
    }
}

/// How long each target runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Budget {
    Seconds(u64),
    Runs(u64),
}

/// What one target's run did.
pub(crate) struct Outcome {
    pub(crate) target: &'static str,
    pub(crate) executions: u64,
    pub(crate) per_second: u64,
    pub(crate) seconds: f64,
    pub(crate) corpus: usize,
    pub(crate) peak_rss_mb: u64,
}

/// The CLI: parses the arguments, builds, runs, prints a table.
pub(crate) fn run(args: &[String]) -> Result<()> {
    let mut budget = Budget::Seconds(TEST_SECONDS);
    let mut jobs: u64 = 1;
    let mut targets: Vec<&'static str> = Vec::new();
    let mut args = args.iter();
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--long" => budget = Budget::Runs(LONG_RUNS),
            "--jobs" => {
                jobs = args
                    .next()
                    .and_then(|n| n.parse().ok())
                    .filter(|n| (1..=64).contains(n))
                    .context("--jobs takes a whole number from 1 to 64")?;
            }
            "--runs" | "--seconds" => {
                let n: u64 = args
                    .next()
                    .and_then(|n| n.parse().ok())
                    .with_context(|| format!("{arg} takes a whole number"))?;
                budget = if arg == "--runs" {
                    Budget::Runs(n)
                } else {
                    Budget::Seconds(n)
                };
            }
            name => match TARGETS.iter().find(|t| **t == name) {
                Some(t) => targets.push(t),
                None => bail!(
                    "unknown fuzz target {name:?} (targets: {})",
                    TARGETS.join(", ")
                ),
            },
        }
    }
    if targets.is_empty() {
        targets = TARGETS.to_vec();
    }
    let bins = build()?;
    let mut outcomes = Vec::new();
    for target in targets {
        outcomes.push(run_jobs(&bins, target, budget, jobs)?);
    }
    println!("\n{}", table(&outcomes));
    Ok(())
}

/// Builds every target with the coverage instrumentation; the folder of
/// the binaries.
///
/// The dev profile, in the tests' target directory, so the registry's
/// crates are the tests' build, not compiled again: `xtask/fuzz-rustc`,
/// as Cargo's workspace wrapper, instruments the workspace's crates alone,
/// and vigil-fuzz's `instrumented` feature gives them artifacts of their
/// own.
/// (Until 2026-12-07 every crate was compiled again, instrumented, in a
/// profile of its own: 324-585 s of CI's time.) libFuzzer steers by the
/// coverage of Vigil's code; serde_json's or SQLite's branches are not
/// ours to explore.
pub(crate) fn build() -> Result<PathBuf> {
    let mut cmd = util::cargo();
    cmd.args([
        "build",
        "-p",
        "vigil-fuzz",
        "--bins",
        "--features",
        "vigil-fuzz/instrumented",
    ])
    .env(
        "RUSTC_WORKSPACE_WRAPPER",
        util::root().join("xtask").join("fuzz-rustc"),
    )
    .env(
        "CLIPPY_ARGS",
        format!("{}--no-deps__CLIPPY_HACKERY__", util::CLIPPY_ARGS),
    );
    util::run(&mut cmd)?;
    Ok(util::root().join("target").join("debug"))
}

/// Runs one target within `budget`; fails on a crash, naming the input.
pub(crate) fn run_target(bins: &Path, target: &'static str, budget: Budget) -> Result<Outcome> {
    run_jobs(bins, target, budget, 1)
}

/// Runs `jobs` processes of one target on its corpus, `budget` split
/// between them (runs divided, seconds each); the figures summed (the
/// rate is the processes' rates added up, the peak RSS the largest).
pub(crate) fn run_jobs(
    bins: &Path,
    target: &'static str,
    budget: Budget,
    jobs: u64,
) -> Result<Outcome> {
    let work = util::root().join("target").join("fuzz");
    let corpus = work.join("corpus").join(target);
    let seeds = work.join("seeds").join(target);
    let artifacts = work.join("artifacts").join(target);
    for dir in [&corpus, &seeds, &artifacts] {
        std::fs::create_dir_all(dir).with_context(|| dir.display().to_string())?;
    }
    let bin = bins.join(target);
    // The seeds: the target writes them on its first input.
    let empty = work.join("empty-input");
    std::fs::write(&empty, b"")?;
    let status = Command::new(&bin)
        .arg(&empty)
        .env("VIGIL_FUZZ_SEEDS", &seeds)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .with_context(|| format!("could not start {}", bin.display()))?;
    if !status.success() {
        bail!("{target}: writing its seeds failed ({status})");
    }
    let per_job = match budget {
        Budget::Seconds(s) => Budget::Seconds(s),
        Budget::Runs(n) => Budget::Runs(n.div_ceil(jobs)),
    };
    let logs: Vec<PathBuf> = (0..jobs)
        .map(|k| match jobs {
            1 => work.join(format!("{target}.log")),
            _ => work.join(format!("{target}.{k}.log")),
        })
        .collect();
    println!(
        "== fuzz {target} ({budget:?}, {jobs} process(es)), log in {}",
        logs[0].display()
    );
    let started = Instant::now();
    let mut children = Vec::new();
    for log in &logs {
        let mut cmd = Command::new(&bin);
        match per_job {
            Budget::Seconds(s) => cmd.arg(format!("-max_total_time={s}")),
            Budget::Runs(n) => cmd.arg(format!("-runs={n}")),
        };
        cmd.args([
            "-print_final_stats=1".to_owned(),
            format!("-max_len={}", max_len(target)),
            "-timeout=30".to_owned(),
            "-rss_limit_mb=4096".to_owned(),
            format!("-artifact_prefix={}/", artifacts.display()),
        ])
        .arg(&corpus)
        .arg(&seeds)
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(log)?);
        children.push(
            cmd.spawn()
                .with_context(|| format!("could not start {}", bin.display()))?,
        );
    }
    let mut outcome = Outcome {
        target,
        executions: 0,
        per_second: 0,
        seconds: 0.0,
        corpus: 0,
        peak_rss_mb: 0,
    };
    let mut failed = None;
    for (mut child, log) in children.into_iter().zip(&logs) {
        let status = child.wait().context("waiting for a fuzz process")?;
        let text = std::fs::read_to_string(log).unwrap_or_default();
        if !status.success() {
            failed.get_or_insert((status, text));
            continue;
        }
        outcome.executions += stat(&text, "number_of_executed_units");
        outcome.per_second += stat(&text, "average_exec_per_sec");
        outcome.peak_rss_mb = outcome.peak_rss_mb.max(stat(&text, "peak_rss_mb"));
    }
    outcome.seconds = started.elapsed().as_secs_f64();
    if let Some((status, text)) = failed {
        let input = text
            .lines()
            .find_map(|l| {
                l.split_once("Test unit written to ")
                    .map(|(_, p)| p.to_owned())
            })
            .unwrap_or_else(|| "(no input written)".into());
        let tail: Vec<&str> = text.lines().rev().take(30).collect();
        let tail: Vec<&str> = tail.into_iter().rev().collect();
        bail!(
            "fuzz target {target} failed ({status}) on {input}\n{}",
            tail.join("\n")
        );
    }
    outcome.corpus = std::fs::read_dir(&corpus).map(|d| d.count()).unwrap_or(0);
    println!(
        "{target}: {} executions in {:.0} s ({}/s), corpus {}, peak RSS {} MB",
        outcome.executions,
        outcome.seconds,
        outcome.per_second,
        outcome.corpus,
        outcome.peak_rss_mb
    );
    Ok(outcome)
}

/// `stat::NAME: N` from libFuzzer's final statistics.
fn stat(log: &str, name: &str) -> u64 {
    let key = format!("stat::{name}:");
    log.lines()
        .rev()
        .find_map(|l| l.trim().strip_prefix(&key))
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(0)
}

/// The figures as a Markdown table (pasted into `docs/reliability.md`).
fn table(outcomes: &[Outcome]) -> String {
    let mut s = String::from(
        "| target | executions | per second | seconds | corpus | peak RSS (MB) |\n\
         | --- | ---: | ---: | ---: | ---: | ---: |\n",
    );
    for o in outcomes {
        s.push_str(&format!(
            "| `{}` | {} | {} | {:.0} | {} | {} |\n",
            o.target, o.executions, o.per_second, o.seconds, o.corpus, o.peak_rss_mb
        ));
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_libfuzzers_final_statistics() {
        let log = "#2\tINITED cov: 10\nstat::number_of_executed_units: 123456\n\
                   stat::average_exec_per_sec:     4115\nstat::peak_rss_mb: 61\n";
        assert_eq!(stat(log, "number_of_executed_units"), 123_456);
        assert_eq!(stat(log, "average_exec_per_sec"), 4115);
        assert_eq!(stat(log, "peak_rss_mb"), 61);
        assert_eq!(stat(log, "new_units_added"), 0);
    }
}
