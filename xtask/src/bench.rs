//! `cargo xtask bench NAME`: benchmarks that print figures (never asserted):
//! `engine` (verify, replay, proctoring), `app` (the web app in Chromium),
//! `sync` (the server under a whole session syncing at once).

use anyhow::{bail, Result};

use crate::util;

pub fn run(name: Option<&str>) -> Result<()> {
    match name {
        Some("engine") => {
            util::run(util::cargo().args(["bench", "-p", "vigil-exam", "--bench", "engine"]))
        }
        Some("app") => app(),
        Some("sync") => sync(),
        other => bail!("unknown benchmark {other:?}; available: engine, app, sync"),
    }
}

/// Questions in the navigation benchmark's exam.
const BENCH_QUESTIONS: usize = 200;

/// A one-hour exam of [`BENCH_QUESTIONS`] single-choice questions in one
/// section, written for the app benchmark.
fn bench_exam() -> String {
    let mut toml = String::from(
        "id = \"bench-200\"\ntitle = \"Banc d'essai — 200 questions\"\nlanguage = \"fr\"\n\
         [timing]\nduration_s = 3600\n\n[[sections]]\nid = \"s1\"\ntitle = \"Partie unique\"\n",
    );
    for i in 1..=BENCH_QUESTIONS {
        toml.push_str(&format!(
            "\n[[sections.questions]]\nid = \"q{i:03}\"\ntype = \"single\"\n\
             text = \"Question {i} : combien font {i} + {i} ?\"\n\
             choices = [\"{}\", \"{}\", \"{}\", \"{}\"]\ncorrect = 0\n",
            2 * i,
            2 * i + 1,
            2 * i - 1,
            2 * i + 10
        ));
    }
    toml
}

/// `cargo xtask bench app`: the app in headless Chromium with the real
/// server (see tests/e2e/tests/browser/bench_app.rs for what is measured).
fn app() -> Result<()> {
    crate::setup::run()?;
    let clips = crate::media::run()?;
    crate::build::app()?;
    let server = crate::build::server_debug()?;
    let dir = util::root().join("target/bench");
    std::fs::create_dir_all(&dir)?;
    let exam = dir.join("exam-200.toml");
    std::fs::write(&exam, bench_exam())?;
    util::run(
        util::cargo()
            .args([
                "test",
                "-p",
                "vigil-e2e",
                "--test",
                "browser",
                "--",
                "bench_app::",
            ])
            .args(["--ignored", "--nocapture", "--test-threads=1"])
            .env("VIGIL_BENCH_EXAM", &exam)
            .env("VIGIL_SERVER_BIN", server)
            .env("VIGIL_DIST", util::root().join("dist"))
            .env("VIGIL_FACE_CLIP", clips.face)
            .env("VIGIL_NO_FACE_CLIP", clips.no_face)
            .env("VIGIL_E2E_OUT", util::root().join("target/e2e"))
            .env("CHROMEDRIVER", crate::setup::CHROMEDRIVER),
    )
}

/// `cargo xtask bench sync`: the server's last minute of a national exam
/// (crates/server/benches/sync.rs), on a SQLite file, then on a throwaway
/// PostgreSQL cluster when one can be started.
fn sync() -> Result<()> {
    let bench = || {
        let mut c = util::cargo();
        c.args(["bench", "-p", "vigil-server", "--bench", "sync"]);
        c
    };
    util::run(&mut bench())?;
    match crate::postgres::Cluster::start()? {
        Ok(cluster) => {
            let result = util::run(bench().env("VIGIL_BENCH_DATABASE_URL", cluster.url()));
            drop(cluster);
            result
        }
        Err(why) => {
            println!("PostgreSQL skipped: {why}");
            Ok(())
        }
    }
}
