//! The command line of `vigil-kiosk`, run as a process: argument errors are
//! clear, the config key printed is stable and follows the configuration,
//! and the checks alone run without a browser.

// Tests and benchmarks may unwrap: a panic is their failure report.
#![allow(clippy::unwrap_used)]

use std::process::{Command, Output};

fn kiosk(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_vigil-kiosk"))
        .args(args)
        .output()
        .expect("vigil-kiosk runs")
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

#[test]
fn a_missing_url_is_a_usage_error() {
    let o = kiosk(&[]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("--url"), "{}", stderr(&o));
}

#[test]
fn a_bad_url_is_refused_with_the_reason() {
    let o = kiosk(&["--url", "not a url"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("adresse invalide"), "{}", stderr(&o));
    let o = kiosk(&["--url", "file:///etc/passwd"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("http ou https"), "{}", stderr(&o));
}

#[test]
fn an_unknown_flag_is_a_usage_error() {
    let o = kiosk(&["--url", "https://exam.example/", "--disable-dev-tools"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("--disable-dev-tools"), "{}", stderr(&o));
}

#[test]
fn a_missing_or_invalid_config_file_is_named() {
    let o = kiosk(&[
        "--url",
        "https://exam.example/",
        "--config",
        "/nonexistent.toml",
    ]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("/nonexistent.toml"), "{}", stderr(&o));

    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("k.toml");
    std::fs::write(&path, "[virtual_machine]\nverdict = \"peut-être\"\n").unwrap();
    let o = kiosk(&[
        "--url",
        "https://exam.example/",
        "--config",
        path.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(1));
    let e = stderr(&o);
    assert!(e.contains("k.toml") && e.contains("peut-être"), "{e}");
}

#[test]
fn an_explicit_browser_that_does_not_exist_is_named() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("k.toml");
    // Every check only warns, so the run reaches the browser on any machine.
    std::fs::write(
        &path,
        "[displays]\nverdict = \"warn\"\n[virtual_machine]\nverdict = \"warn\"\n\
         [remote_control]\nverdict = \"warn\"\n",
    )
    .unwrap();
    let o = kiosk(&[
        "--url",
        "https://exam.example/",
        "--config",
        path.to_str().unwrap(),
        "--browser",
        "/nonexistent/chromium",
    ]);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        stderr(&o).contains("/nonexistent/chromium"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn the_printed_key_is_stable_and_follows_the_configuration() {
    let key = |args: &[&str]| {
        let o = kiosk(args);
        assert!(o.status.success(), "{}", stderr(&o));
        stdout(&o).trim().to_string()
    };
    let a = key(&["--url", "https://exam.example/a", "--print-config-key"]);
    let b = key(&["--url", "https://exam.example/b?x#y", "--print-config-key"]);
    assert_eq!(a.len(), 64);
    assert_eq!(a, b, "the key depends on the origin, not the path");

    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("k.toml");
    std::fs::write(&path, "[displays]\nmax = 2\n").unwrap();
    let c = key(&[
        "--url",
        "https://exam.example/",
        "--config",
        path.to_str().unwrap(),
        "--print-config-key",
    ]);
    assert_ne!(a, c);
}

#[test]
fn the_managed_policy_is_printed_as_json() {
    let o = kiosk(&["--url", "https://exam.example/", "--print-policy"]);
    assert!(o.status.success());
    let policy: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(policy["DeveloperToolsAvailability"], 2);
    assert_eq!(
        policy["URLAllowlist"],
        serde_json::json!(["https://exam.example"])
    );
}

#[test]
fn check_only_prints_the_french_report() {
    let o = kiosk(&["--url", "https://exam.example/", "--check-only"]);
    let out = stdout(&o);
    assert!(out.starts_with("Vérification de la machine :"), "{out}");
    assert!(out.contains("Machine virtuelle"));
    // Refused (3) or not (0) depending on this machine: never anything else.
    assert!(matches!(o.status.code(), Some(0 | 3)), "{:?}", o.status);
}
