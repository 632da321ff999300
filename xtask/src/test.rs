//! `cargo xtask test`: every check and test suite of the project, in the
//! order a failure is cheapest to find, ending with one summary line
//! (`summary: N passed, N failed`). CI runs exactly this (`.ci/run`).
//!
//! Steps: setup (tools); rustfmt; the native build of every crate and
//! target, linted by clippy as it compiles (util::CLIPPY_ARGS: every build
//! here is linted, so the app is linted for wasm32 by its browser tests'
//! build and the worker by its own); native tests of every crate; the
//! server's tests again on a throwaway PostgreSQL cluster; the fuzz
//! targets, built instrumented over the tests' dependencies and run a few
//! seconds each, two at a time; the server soak; the kiosk launcher
//! checked for Windows and macOS (its cfg paths compile, never run here);
//! wasm-bindgen tests in headless Chromium; a wasm32 build of the pure
//! crates; the vision kernels in Chromium; end-to-end tests (the release
//! page built by `trunk build --release`, the real server, both driven in
//! headless Chromium with a fake camera playing a face clip); `trunk
//! serve` beside a demo server, as the README gives it. Each step prints
//! its wall time beside its budget ([`BUDGETS`]).

use std::process::Command;
use std::time::Instant;

use anyhow::{bail, Result};

use crate::{build, fuzz, media, postgres, setup, soak, util};

struct Tally {
    passed: u64,
    failed: u64,
    failures: Vec<String>,
    /// When the last step ended (or the tally began).
    lap: Instant,
    /// Each step's wall time, in order: what CI's time limit is spent on.
    times: Vec<(String, f64)>,
}

impl Default for Tally {
    fn default() -> Self {
        Tally {
            passed: 0,
            failed: 0,
            failures: Vec::new(),
            lap: Instant::now(),
            times: Vec::new(),
        }
    }
}

impl Tally {
    /// Records the wall time since the previous step ended as `name`'s.
    fn time(&mut self, name: &str) {
        let now = Instant::now();
        self.times
            .push((name.to_owned(), (now - self.lap).as_secs_f64()));
        self.lap = now;
    }

    /// A check without test counts (fmt, clippy, a build): one pass or one failure.
    fn check(&mut self, name: &str, cmd: &mut Command) {
        println!("\n== {name}");
        match util::run(cmd) {
            Ok(()) => self.passed += 1,
            Err(e) => {
                eprintln!("FAILED: {name}: {e:#}");
                self.failed += 1;
                self.failures.push(name.to_owned());
            }
        }
        self.time(name);
    }

    /// A step run in-process: one pass or one failure.
    fn outcome(&mut self, name: &str, result: Result<()>) {
        self.count(name, result);
        self.time(name);
    }

    /// One pass or one failure, for a part of a step timed as a whole.
    fn count(&mut self, name: &str, result: Result<()>) {
        if let Err(e) = result {
            eprintln!("FAILED: {name}: {e:#}");
            self.failed += 1;
            self.failures.push(name.to_owned());
        } else {
            self.passed += 1;
        }
    }

    /// A test suite: its `test result:` lines are added up.
    fn suite(&mut self, name: &str, cmd: &mut Command) {
        self.suite_of(name, cmd, false);
    }

    /// A nextest run: its summary is added up (nextest reports on stderr).
    fn nextest(&mut self, name: &str, cmd: &mut Command) {
        self.suite_of(name, cmd, true);
    }

    fn suite_of(&mut self, name: &str, cmd: &mut Command, stderr_too: bool) {
        println!("\n== {name}");
        let (ok, out) = match util::run_tee(cmd, stderr_too) {
            Ok(r) => r,
            Err(e) => {
                eprintln!("FAILED: {name}: {e:#}");
                (false, String::new())
            }
        };
        let (p, f) = count_results(&out);
        self.passed += p;
        self.failed += f;
        if !ok {
            if f == 0 {
                self.failed += 1; // it failed before any test could (build error…)
            }
            self.failures.push(name.to_owned());
        }
        self.time(name);
    }

    fn finish(self) -> Result<()> {
        println!("\n{}", budget_table(&self.times));
        if !self.failures.is_empty() {
            println!("failed steps: {}", self.failures.join(", "));
        }
        println!("summary: {} passed, {} failed", self.passed, self.failed);
        if self.failed > 0 || !self.failures.is_empty() {
            bail!("tests failed");
        }
        Ok(())
    }
}

/// Each step's budget on CI's machine (2 cores, a fresh clone, the tools,
/// the registries' and the build cache warm: xtask/src/cache.rs), in
/// seconds, by the start of its name: what it took in a fresh clone's run
/// on 2026-12-07 (1 218 s in all), with about a third more room, and more
/// for the builds, which compile the workspace's own crates in every clone
/// and the vision worker whenever its sources change (about 7 minutes
/// more: a cold cache's run took 2 726 s). Printed beside each step's
/// time, never asserted (the machine's speed wanders by a factor of two):
/// a step over its budget is marked, so whoever made it slower sees it at
/// once. The README gives the total.
const BUDGETS: &[(&str, u32)] = &[
    ("setup", 30),
    ("rustfmt", 10),
    ("build and lint (native", 240),
    ("native tests", 170),
    ("server tests on PostgreSQL", 50),
    ("fuzz targets (instrumented build)", 100),
    ("fuzz runs", 60),
    ("server soak", 140),
    ("vigil-kiosk compiles", 20),
    ("browser tests", 45),
    ("wasm32 build of the pure crates", 20),
    ("vision kernels in headless Chromium", 20),
    ("build for the end-to-end tests", 200),
    ("the first download within its budget", 5),
    ("end-to-end tests", 560),
    ("trunk serve", 60),
];

/// The budget of the step named `name`, if it has one.
fn budget(name: &str) -> Option<u32> {
    BUDGETS
        .iter()
        .find(|(prefix, _)| name.starts_with(prefix))
        .map(|(_, secs)| *secs)
}

/// Each step's wall time beside its budget, the ones over it marked, and
/// the totals.
fn budget_table(times: &[(String, f64)]) -> String {
    let mut out = String::from("wall time by step (seconds, and the step's budget):\n");
    let (mut total, mut budgets) = (0.0, 0u32);
    for (name, secs) in times {
        total += secs;
        match budget(name) {
            Some(b) => {
                budgets += b;
                let over = if *secs > f64::from(b) {
                    "  OVER BUDGET"
                } else {
                    ""
                };
                out.push_str(&format!("{secs:>8.0} of {b:>4}  {name}{over}\n"));
            }
            None => out.push_str(&format!("{secs:>8.0}   (none) {name}\n")),
        }
    }
    out.push_str(&format!(
        "{total:>8.0} of {budgets:>4}  in all ({:.1} of {:.1} minutes)\n",
        total / 60.0,
        f64::from(budgets) / 60.0
    ));
    out
}

/// Adds up cargo test's `test result: ok. N passed; M failed; …` lines
/// and nextest's `Summary [ 1.2s] 9 tests run: 7 passed, 1 failed, 1 timed
/// out, 2 skipped` (a test that timed out failed).
fn count_results(out: &str) -> (u64, u64) {
    let mut totals = (0, 0);
    for line in out.lines() {
        let line = line.trim();
        if let Some(rest) = line.strip_prefix("test result: ") {
            let number_before = |word: &str| -> u64 {
                rest.split(';')
                    .find_map(|part| part.trim().strip_suffix(word))
                    .and_then(|n| n.trim().rsplit(' ').next())
                    .and_then(|n| n.parse().ok())
                    .unwrap_or(0)
            };
            totals.0 += number_before("passed");
            totals.1 += number_before("failed");
        } else if let Some((_, counts)) = line
            .strip_prefix("Summary [")
            .and_then(|rest| rest.split_once(" run: "))
        {
            for part in counts.split(',') {
                let mut words = part.split_whitespace();
                let n: u64 = words.next().and_then(|n| n.parse().ok()).unwrap_or(0);
                match words.next() {
                    Some("passed") => totals.0 += n,
                    Some("failed" | "timed") => totals.1 += n,
                    _ => {}
                }
            }
        }
    }
    totals
}

pub(crate) fn run() -> Result<()> {
    let mut t = Tally::default();
    setup::run()?;
    t.time("setup (tools)");
    t.check(
        "rustfmt",
        util::cargo().args(["fmt", "--all", "--", "--check"]),
    );
    // The build is the lint: clippy's driver compiles every workspace
    // crate (util::CLIPPY_ARGS), so this is `cargo clippy --workspace
    // --all-targets -- -D warnings` and the tests' build at once.
    t.check(
        "build and lint (native, all targets)",
        util::cargo()
            .args(["build", "--all-targets"])
            .args(build::NATIVE),
    );
    t.suite(
        "native tests",
        util::cargo()
            .args(["test", "--no-fail-fast"])
            .args(build::NATIVE),
    );
    postgres_suite(&mut t);
    fuzz_steps(&mut t);
    let name = "server soak (dev build: 100 candidates, 5 kills; SQLite, PostgreSQL, 2 replicas, database restarts)";
    println!("\n== {name}");
    t.outcome(name, soak::server(soak::CI));
    // Both targets in one cargo call: their checks share the two cores
    // (84 s one after the other in CI).
    let mut kiosk = util::cargo();
    kiosk.args(["check", "-p", "vigil-kiosk"]);
    for target in setup::KIOSK_OTHER_TARGETS {
        kiosk.args(["--target", target]);
    }
    t.check(
        &format!(
            "vigil-kiosk compiles for {}",
            setup::KIOSK_OTHER_TARGETS.join(" and ")
        ),
        &mut kiosk,
    );
    t.suite(
        "browser tests (wasm-bindgen-test, headless Chromium)",
        &mut wasm_tests()?,
    );
    // After the app's wasm32 build, whose dependencies it reuses.
    t.check(
        "wasm32 build of the pure crates",
        util::cargo().args([
            "build",
            "-p",
            "vigil-exam",
            "-p",
            "vigil-api",
            "-p",
            "vigil-copy",
            "--target",
            "wasm32-unknown-unknown",
        ]),
    );
    for (lanes, features) in KERNEL_BUILDS {
        t.suite(
            &format!("vision kernels in headless Chromium ({lanes})"),
            &mut kernel_tests(features)?,
        );
    }
    e2e(&mut t, None)?;
    t.finish()
}

/// The fuzz targets (`fuzz/`), built with their instrumentation, then each
/// run [`fuzz::TEST_SECONDS`] seconds from its seeds and the corpus kept in
/// `target/fuzz/`: a crash fails its target and names the input. libFuzzer
/// runs on one core, so the targets run two at a time, one a core: each
/// gets the core-seconds it had one after the other, in half the wall time
/// (7 targets: 70 s before, 40 s now).
fn fuzz_steps(t: &mut Tally) {
    let name = "fuzz targets (instrumented build)";
    println!("\n== {name}");
    let bins = match fuzz::build() {
        Ok(bins) => bins,
        Err(e) => return t.outcome(name, Err(e)),
    };
    t.outcome(name, Ok(()));
    let next = std::sync::atomic::AtomicUsize::new(0);
    let results = std::sync::Mutex::new(Vec::new());
    std::thread::scope(|s| {
        for _ in 0..FUZZ_AT_ONCE {
            s.spawn(|| loop {
                let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                let Some(target) = fuzz::TARGETS.get(i) else {
                    break;
                };
                let ran =
                    fuzz::run_target(&bins, target, fuzz::Budget::Seconds(fuzz::TEST_SECONDS));
                results
                    .lock()
                    .expect("a fuzz thread panicked")
                    .push((i, ran));
            });
        }
    });
    let mut results = results.into_inner().expect("a fuzz thread panicked");
    results.sort_by_key(|(i, _)| *i);
    for (i, ran) in results {
        t.count(
            &format!("fuzz {} ({} s)", fuzz::TARGETS[i], fuzz::TEST_SECONDS),
            ran.map(|_| ()),
        );
    }
    t.time(&format!(
        "fuzz runs ({} targets, {} s each, {FUZZ_AT_ONCE} at a time)",
        fuzz::TARGETS.len(),
        fuzz::TEST_SECONDS
    ));
}

/// How many fuzz targets run side by side: one a core of CI's two.
const FUZZ_AT_ONCE: usize = 2;

/// `cargo xtask test-pg`: only the server's tests on PostgreSQL.
pub(crate) fn postgres_only() -> Result<()> {
    let mut t = Tally::default();
    postgres_suite(&mut t);
    t.finish()
}

/// The server's integration tests (`crates/server/tests/server`) again, each
/// test on a fresh database of a throwaway PostgreSQL cluster
/// (`VIGIL_TEST_DATABASE_URL`, see postgres.rs). Selected with `--test
/// server` among the native step's packages, so the binary the native step
/// built is run again rather than rebuilt with other features.
/// Without PostgreSQL and without root to install it: skipped, said so.
fn postgres_suite(t: &mut Tally) {
    const NAME: &str = "server tests on PostgreSQL";
    let started = std::time::Instant::now();
    // A second cluster for the restart test alone: it is killed mid-test.
    let clusters = postgres::Cluster::start().and_then(|shared| {
        Ok(match shared {
            Ok(shared) => match postgres::Cluster::start_durable()? {
                Ok(restarted) => Ok((shared, restarted)),
                Err(why) => Err(why),
            },
            Err(why) => Err(why),
        })
    });
    match clusters {
        Ok(Ok((cluster, restarted))) => {
            t.suite(
                NAME,
                util::cargo()
                    .arg("test")
                    .args(build::NATIVE)
                    .args(["--test", "server"])
                    .env("VIGIL_TEST_DATABASE_URL", cluster.url())
                    .env("VIGIL_TEST_PG_RESTART_URL", restarted.url())
                    .env("VIGIL_TEST_PG_CTL", restarted.control_script()),
            );
            drop((cluster, restarted));
            println!(
                "{NAME}: {:.1} s, with the cluster's start and stop",
                started.elapsed().as_secs_f64()
            );
        }
        Ok(Err(why)) => println!("\n== {NAME}\nSKIPPED: {why}"),
        Err(e) => {
            println!("\n== {NAME}");
            eprintln!("FAILED: {NAME}: {e:#}");
            t.failed += 1;
            t.failures.push(NAME.to_owned());
            t.time(NAME);
        }
    }
}

/// `cargo xtask e2e [FILTER]`: only the end-to-end tests.
pub(crate) fn e2e_only(filter: Option<&str>) -> Result<()> {
    setup::run()?;
    let mut t = Tally::default();
    e2e(&mut t, filter)?;
    t.finish()
}

fn e2e(t: &mut Tally, filter: Option<&str>) -> Result<()> {
    let built = media::run().and_then(|clips| {
        build::app()?;
        Ok((clips, build::server_debug()?))
    });
    let (clips, server) = match built {
        Ok(b) => b,
        Err(e) => {
            // Counted like any failed step, so the summary still prints.
            const NAME: &str = "build for the end-to-end tests";
            eprintln!("FAILED: {NAME}: {e:#}");
            t.failed += 1;
            t.failures.push(NAME.to_owned());
            t.time(NAME);
            return Ok(());
        }
    };
    t.time("build for the end-to-end tests (clips, app, worker, server)");
    // Bytes, not time: the same build always weighs the same.
    let budget = crate::size::check_budget(&util::root().join("dist")).map(|gz| {
        println!(
            "first download: {gz} B gzip (budget {} B)",
            crate::size::FIRST_DOWNLOAD_BUDGET
        );
    });
    t.outcome(
        "the first download within its budget (cargo xtask size)",
        budget,
    );
    // Through nextest (.config/nextest.toml): each test's wall time, and the
    // longest started first. Two at a time, each with its own server and
    // Chromium: most of a test is waiting (for the app's timers, the
    // worker, the sync), so on CI's two cores the 27 tests took 407 s side
    // by side against 791 s one after the other (2026-12-02).
    // `VIGIL_E2E_THREADS=1` runs them one at a time, to read a failure's
    // log in order.
    let threads = std::env::var("VIGIL_E2E_THREADS").unwrap_or_else(|_| "2".into());
    let mut cmd = util::cargo();
    cmd.args(["nextest", "run", "--no-fail-fast", "-p", "vigil-e2e"])
        .arg(format!("--test-threads={threads}"));
    if let Some(f) = filter {
        cmd.arg(f);
    }
    if std::env::var_os("RUST_TEST_NOCAPTURE").is_some() {
        // The browser soak's figures, printed though it passes.
        cmd.arg("--no-capture");
    }
    e2e_env(&mut cmd, &server, &util::root().join("dist"), &clips);
    t.nextest(
        "end-to-end tests (server + app in headless Chromium)",
        &mut cmd,
    );
    if filter.is_none() {
        let name = "trunk serve (the dev loop: dev build, proxies to the server)";
        println!("\n== {name}");
        t.outcome(
            name,
            crate::serve::check(&server, &util::root().join("dist")),
        );
    }
    Ok(())
}

/// What the end-to-end tests (and the browser benchmarks) read: the server
/// binary, the folder it serves, the fake-camera clips, where screenshots go
/// and the chromedriver.
pub(crate) fn e2e_env(
    cmd: &mut Command,
    server: &std::path::Path,
    dist: &std::path::Path,
    clips: &media::Clips,
) {
    cmd.env("VIGIL_SERVER_BIN", server)
        .env("VIGIL_DIST", dist)
        .env("VIGIL_FACE_CLIP", &clips.face)
        .env("VIGIL_NO_FACE_CLIP", &clips.no_face)
        .env("VIGIL_E2E_OUT", util::root().join("target/e2e"))
        .env("CHROMEDRIVER", setup::CHROMEDRIVER);
}

/// `cargo test` on wasm32: wasm-bindgen-test-runner drives Debian's
/// chromedriver; extra Chromium flags come from a webdriver.json it reads.
fn wasm_tests() -> Result<Command> {
    let dir = util::root().join("target/e2e");
    std::fs::create_dir_all(&dir)?;
    let caps = dir.join("webdriver.json");
    std::fs::write(
        &caps,
        format!(
            r#"{{"goog:chromeOptions": {{"binary": "{}", "args": [
  "--disable-gpu", "--disable-background-networking", "--disable-component-update",
  "--disable-sync", "--no-first-run", "--use-fake-ui-for-media-stream",
  "--use-fake-device-for-media-stream"]}}}}"#,
            setup::CHROMIUM
        ),
    )?;
    let mut cmd = wasm_test_command()?;
    cmd.args(["-p", "vigil-app"]);
    Ok(cmd)
}

/// `cargo test --target wasm32-unknown-unknown` with the runner's
/// environment, packages to be added by the caller.
fn wasm_test_command() -> Result<Command> {
    let dir = util::root().join("target/e2e");
    let caps = dir.join("webdriver.json");
    let mut cmd = util::cargo();
    cmd.args(["test", "--target", "wasm32-unknown-unknown"])
        .env("CHROMEDRIVER", setup::CHROMEDRIVER)
        .env("WASM_BINDGEN_TEST_WEBDRIVER_JSON", caps)
        .env("WASM_BINDGEN_TEST_TIMEOUT", "60");
    Ok(cmd)
}

/// The two builds of the vision worker's kernels that browsers run (see
/// `xtask/src/worker.rs`): their lanes and compiler flags.
pub(crate) const KERNEL_BUILDS: [(&str, &str); 2] = [
    ("simd128", "+simd128"),
    ("simd128 + relaxed-simd", "+simd128,+relaxed-simd"),
];

/// vigil-kernels' tests against its scalar reference, built for wasm32 with
/// `features` and run in headless Chromium: the vector code the worker
/// runs, checked where it runs. The crate has no dependencies, so each
/// build takes seconds; each has its own target directory so the flags
/// never invalidate another build.
fn kernel_tests(features: &str) -> Result<Command> {
    wasm_tests()?; // writes webdriver.json
    let mut cmd = wasm_test_command()?;
    let name = format!("wasm-kernels-{}", features.replace(['+', ','], ""));
    util::in_build_dir(&mut cmd, &name);
    cmd.args(["-p", "vigil-kernels"])
        .arg("--target-dir")
        .arg(util::root().join("target").join(name))
        .env(
            "CARGO_ENCODED_RUSTFLAGS",
            format!("-Ctarget-feature={features}"),
        );
    Ok(cmd)
}

#[cfg(test)]
mod tests {
    use super::{budget, budget_table, count_results};

    #[test]
    fn every_step_has_a_budget_and_overruns_are_marked() {
        assert_eq!(budget("fuzz runs (7 targets, 10 s each)"), Some(60));
        assert_eq!(
            budget("fuzz targets (instrumented build)"),
            Some(100),
            "the longer prefix is listed first"
        );
        assert_eq!(budget("something new"), None);
        let table = budget_table(&[
            ("rustfmt".into(), 3.0),
            ("native tests".into(), 900.0),
            ("something new".into(), 1.0),
        ]);
        assert!(table.contains("       3 of   10  rustfmt\n"), "{table}");
        assert!(table.contains("native tests  OVER BUDGET"), "{table}");
        assert!(table.contains("(none) something new"), "{table}");
        assert!(table.contains("904 of  180  in all"), "{table}");
    }

    #[test]
    fn counts_cargo_wasm_bindgen_and_nextest_results() {
        let out = "running 3 tests\n\
                   test result: ok. 3 passed; 0 failed; 0 ignored; 0 measured; 0 filtered out\n\
                   test result: FAILED. 1 passed; 2 failed; 0 ignored\n\
                   noise\n";
        assert_eq!(count_results(out), (4, 2));
        assert_eq!(count_results(""), (0, 0));
        let nextest = "        PASS [  12.001s] vigil-e2e::browser exam::a_candidate\n\
                       ------------\n     \
                       Summary [ 400.123s] 27 tests run: 27 passed (2 slow), 1 skipped\n";
        assert_eq!(count_results(nextest), (27, 0));
        let failing = "Summary [  3.0s] 9 tests run: 6 passed, 2 failed, 1 timed out, 1 skipped";
        assert_eq!(count_results(failing), (6, 3));
        assert_eq!(
            count_results("     Summary [   0.2s] 1 test run: 1 passed"),
            (1, 0)
        );
    }
}
