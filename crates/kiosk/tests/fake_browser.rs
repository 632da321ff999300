//! The launcher as a process, with a fake browser: a shell script that
//! records its command line and waits to be told to exit. The test plays the
//! app: it finds the link the way the real page does (the exam URL the
//! start page opens, in the profile folder the command line names) and
//! posts statuses to it. No Chromium needed, so these run everywhere (Unix:
//! the fake is a `sh` script); `launch.rs` does the same with the real one.
//!
//! What is checked here: the link's secret is on no command line; a forged
//! "all sent" does not make the launcher close the browser nor wipe a
//! profile that holds unsent data, and the kept profile can be resumed and
//! then wiped; `--resume-profile` refuses a folder the launcher did not
//! create and touches nothing in it; a wipe that fails is an error naming
//! the folder.

// Tests and benchmarks may unwrap: a panic is their failure report.
#![allow(clippy::unwrap_used)]
#![cfg(unix)]

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A fake browser and the folder it reports in.
struct Fake {
    dir: tempfile::TempDir,
    script: PathBuf,
    config: PathBuf,
}

impl Fake {
    /// `before_exit`: shell run when told to exit (`$profile` is the
    /// profile folder from `--user-data-dir`).
    fn new(before_exit: &str) -> Fake {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path().display();
        let script = dir.path().join("fake-browser");
        std::fs::write(
            &script,
            format!(
                "#!/bin/sh\n\
                 printf '%s\\n' \"$@\" > '{d}/args.tmp' && mv '{d}/args.tmp' '{d}/args'\n\
                 echo $$ > '{d}/pid'\n\
                 profile=$(sed -n 's/^--user-data-dir=//p' '{d}/args')\n\
                 i=0\n\
                 while [ ! -e '{d}/exit' ]; do\n\
                   sleep 0.05; i=$((i+1)); [ $i -gt 1200 ] && exit 99\n\
                 done\n\
                 {before_exit}\n\
                 exit \"$(cat '{d}/exit')\"\n"
            ),
        )
        .unwrap();
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).unwrap();
        // This machine may be a VM: every check warns, none refuses.
        let config = dir.path().join("kiosk.toml");
        std::fs::write(
            &config,
            "recheck_seconds = 0\n[displays]\nverdict = \"warn\"\n\
             [virtual_machine]\nverdict = \"warn\"\n[remote_control]\nverdict = \"warn\"\n",
        )
        .unwrap();
        Fake {
            dir,
            script,
            config,
        }
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    /// Starts the launcher on this fake; `extra` are more arguments.
    fn launch(&self, extra: &[&str]) -> Launcher {
        let out = self.path("out.log");
        let err = self.path("err.log");
        let child = Command::new(env!("CARGO_BIN_EXE_vigil-kiosk"))
            .args(["--url", "http://127.0.0.1:9/exam", "--headless"])
            .arg("--config")
            .arg(&self.config)
            .arg("--browser")
            .arg(&self.script)
            .args(extra)
            .stdin(Stdio::null())
            .stdout(std::fs::File::create(&out).unwrap())
            .stderr(std::fs::File::create(&err).unwrap())
            .spawn()
            .unwrap();
        Launcher { child, out, err }
    }

    /// Waits for the fake to be started; returns its arguments.
    fn args(&self) -> Vec<String> {
        let path = self.path("args");
        assert!(
            wait_for(Duration::from_secs(20), || path.exists()),
            "the browser was never started"
        );
        std::fs::read_to_string(path)
            .unwrap()
            .lines()
            .map(str::to_string)
            .collect()
    }

    fn pid(&self) -> u32 {
        let path = self.path("pid");
        assert!(wait_for(Duration::from_secs(20), || path.exists()));
        std::fs::read_to_string(path)
            .unwrap()
            .trim()
            .parse()
            .unwrap()
    }

    /// Tells the fake to exit with `code` (as if the candidate closed it).
    fn exit(&self, code: i32) {
        std::fs::write(self.path("exit"), code.to_string()).unwrap();
    }
}

struct Launcher {
    child: Child,
    out: PathBuf,
    err: PathBuf,
}

/// How the launcher ended.
struct Ended {
    code: Option<i32>,
    out: String,
    err: String,
}

impl Launcher {
    fn wait(mut self) -> Ended {
        let stopped = wait_for(Duration::from_secs(30), || {
            self.child.try_wait().ok().flatten().is_some()
        });
        if !stopped {
            let _ = self.child.kill();
        }
        let code = self.child.wait().ok().and_then(|s| s.code());
        Ended {
            code: if stopped { code } else { None },
            out: std::fs::read_to_string(&self.out).unwrap_or_default(),
            err: std::fs::read_to_string(&self.err).unwrap_or_default(),
        }
    }
}

fn wait_for(limit: Duration, mut ok: impl FnMut() -> bool) -> bool {
    let deadline = Instant::now() + limit;
    while Instant::now() < deadline {
        if ok() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    ok()
}

/// The profile folder and the link (`PORT`, `SECRET`), found as the app
/// finds them: in the fragment of the URL the browser opens — the exam URL
/// the start page names, or the URL argument itself (which is how earlier
/// launchers did it, so these tests fail on their real assertions there).
fn link_of(args: &[String]) -> (PathBuf, u16, String) {
    let profile: PathBuf = args
        .iter()
        .find_map(|a| a.strip_prefix("--user-data-dir="))
        .expect("a profile folder on the command line")
        .into();
    let last = args.last().unwrap();
    let opened = url::Url::parse(last.strip_prefix("--app=").unwrap_or(last))
        .expect("the browser is given a URL to open");
    let exam = if opened.scheme() == "file" {
        std::fs::read_to_string(opened.to_file_path().unwrap()).unwrap()
    } else {
        opened.to_string()
    };
    let value = exam
        .split("vigil-kiosk-link=")
        .nth(1)
        .expect("the exam is opened with the link")
        .split(|c: char| c != '.' && !c.is_ascii_alphanumeric())
        .next()
        .unwrap();
    let (port, secret) = value.split_once('.').unwrap();
    assert_eq!(secret.len(), 32, "{value}");
    (profile, port.parse().unwrap(), secret.to_string())
}

/// One request to the link, as the page makes it; returns the status code.
fn call(port: u16, method: &str, path: &str, body: &str) -> u16 {
    let mut s = TcpStream::connect(("127.0.0.1", port)).unwrap();
    write!(
        s,
        "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nContent-Type: text/plain\r\n\
         Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
    .unwrap();
    let mut out = String::new();
    s.read_to_string(&mut out).unwrap();
    out[9..12].parse().unwrap()
}

/// Posts a status. A launcher that predates the seq fields answers 400 to
/// them; it then gets the older shape (`pending`, `started`, `finished`),
/// so that on such a launcher these tests fail on what they check, not on
/// the shape. This launcher must take every status as sent (the resumed
/// run of the forged-status test needs the seqs to wipe).
fn post(port: u16, secret: &str, body: &str) {
    let path = format!("/{secret}/status");
    let code = match call(port, "POST", &path, body) {
        400 => {
            let v: serde_json::Value = serde_json::from_str(body).unwrap();
            let old = serde_json::json!({
                "pending": v["pending"], "started": v["started"], "finished": v["finished"],
            });
            call(port, "POST", &path, &old.to_string())
        }
        code => code,
    };
    assert_eq!(code, 204);
}

/// A status as the app sends it (`SyncStatus::body` in the app).
fn status(logged: u64, acked: u64, media: u64, started: bool, finished: bool) -> String {
    serde_json::json!({
        "pending": logged - acked + media,
        "started": started,
        "finished": finished,
        "logged_seq": logged,
        "acked_seq": acked,
        "pending_media": media,
    })
    .to_string()
}

fn alive(pid: u32) -> bool {
    Path::new(&format!("/proc/{pid}")).exists()
        || Command::new("kill")
            .args(["-0", &pid.to_string()])
            .status()
            .is_ok_and(|s| s.success())
}

#[test]
fn the_link_secret_is_on_no_command_line() {
    let fake = Fake::new("");
    let launcher = fake.launch(&[]);
    let args = fake.args();
    let (profile, port, secret) = link_of(&args);
    let pid = fake.pid();
    assert!(!args.iter().any(|a| a.contains(&secret)), "{args:?}");
    assert!(
        args.last().unwrap().starts_with("file:///"),
        "the browser opens the start page: {args:?}"
    );
    // What any local account reads: every process's command line.
    let mut seen = 0;
    for entry in std::fs::read_dir("/proc").unwrap().flatten() {
        if let Ok(cmdline) = std::fs::read(entry.path().join("cmdline")) {
            seen += 1;
            let cmdline = String::from_utf8_lossy(&cmdline).replace('\0', " ");
            assert!(
                !cmdline.contains(&secret),
                "the secret is on the command line of {:?}: {cmdline}",
                entry.file_name()
            );
        }
    }
    assert!(seen > 2, "no process seen in /proc");
    let own = std::fs::read(format!("/proc/{pid}/cmdline")).unwrap_or_default();
    assert!(
        String::from_utf8_lossy(&own).contains("vigil-kiosk-start.html"),
        "the fake browser's command line names the start page"
    );

    // The start page is private, and gone once the app reached the link.
    use std::os::unix::fs::PermissionsExt;
    let page = profile.join("vigil-kiosk-start.html");
    let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode(&profile), 0o700);
    assert_eq!(mode(&page), 0o600);
    assert_eq!(call(port, "GET", &format!("/{secret}/report"), ""), 200);
    assert!(
        wait_for(Duration::from_secs(5), || !page.exists()),
        "the start page outlived the app's first call"
    );

    post(port, &secret, &status(0, 0, 0, false, false));
    fake.exit(0);
    let end = launcher.wait();
    assert_eq!(end.code, Some(0), "{}\n{}", end.out, end.err);
    assert!(!profile.exists(), "{}", end.out);
}

#[test]
fn a_forged_finished_does_not_wipe_a_profile_with_unsent_data() {
    let fake = Fake::new("");
    let launcher = fake.launch(&[]);
    let (profile, port, secret) = link_of(&fake.args());
    let pid = fake.pid();
    // The app: 12 events logged, 9 acknowledged, a photo unsent.
    post(port, &secret, &status(12, 9, 1, true, false));
    std::fs::write(profile.join("Default/answers"), "unsent").unwrap();
    // Someone else with the secret: the old "all sent", then one with acks
    // but a shorter log than the app reported.
    post(
        port,
        &secret,
        r#"{"pending":0,"started":true,"finished":true}"#,
    );
    post(port, &secret, &status(5, 5, 0, true, true));
    // The launcher closes a browser 5 s after a verified "all sent".
    std::thread::sleep(Duration::from_secs(7));
    assert!(
        alive(pid),
        "the launcher closed the browser on a forged status"
    );
    fake.exit(0);
    let end = launcher.wait();
    assert_eq!(end.code, Some(4), "{}\n{}", end.out, end.err);
    assert!(profile.join("Default/answers").exists(), "{}", end.out);
    assert!(profile.join("vigil-kiosk-profile.json").exists());
    let shown = profile.display().to_string();
    assert!(
        end.out.contains(&format!("--resume-profile {shown}")),
        "{}",
        end.out
    );
    assert!(end.err.contains("contradictoires"), "{}", end.err);

    // Resumed, the app sends the rest: now the profile goes.
    let fake = Fake::new("");
    let launcher = fake.launch(&["--resume-profile", &shown]);
    let args = fake.args();
    let (resumed, port, secret) = link_of(&args);
    assert_eq!(resumed, profile);
    assert!(profile.join("Default/answers").exists());
    post(port, &secret, &status(13, 13, 0, true, true));
    let end = launcher.wait();
    assert_eq!(end.code, Some(0), "{}\n{}", end.out, end.err);
    assert!(end.out.contains("entièrement envoyé"), "{}", end.out);
    assert!(!profile.exists(), "{}", end.out);
}

#[test]
fn resume_profile_refuses_a_foreign_folder_and_deletes_nothing() {
    let fake = Fake::new("");
    // A folder that looks like a Chromium profile, without the marker.
    let foreign = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(foreign.path().join("Default")).unwrap();
    std::fs::write(foreign.path().join("Default/Preferences"), "{\"mine\":1}").unwrap();
    std::fs::write(foreign.path().join("notes.txt"), "keep me").unwrap();
    let shown = foreign.path().display().to_string();
    let end = fake.launch(&["--resume-profile", &shown]).wait();
    assert_eq!(end.code, Some(1), "{}\n{}", end.out, end.err);
    assert!(end.err.contains(&shown), "{}", end.err);
    assert!(end.err.contains("vigil-kiosk-profile.json"), "{}", end.err);
    assert!(!fake.path("args").exists(), "the browser was started");
    assert_eq!(
        std::fs::read_to_string(foreign.path().join("Default/Preferences")).unwrap(),
        "{\"mine\":1}"
    );
    assert_eq!(
        std::fs::read_to_string(foreign.path().join("notes.txt")).unwrap(),
        "keep me"
    );
    let mut names: Vec<_> = std::fs::read_dir(foreign.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    names.sort();
    assert_eq!(names, ["Default", "notes.txt"]);
}

#[test]
fn a_failed_wipe_is_an_error_naming_the_profile() {
    // The browser leaves something in the profile's place that the
    // launcher must not (and cannot) remove as a profile.
    let fake = Fake::new(r#"rm -rf "$profile" && echo x > "$profile""#);
    let launcher = fake.launch(&[]);
    let (profile, port, secret) = link_of(&fake.args());
    post(port, &secret, &status(0, 0, 0, false, false));
    fake.exit(0);
    let end = launcher.wait();
    let shown = profile.display().to_string();
    let _ = std::fs::remove_file(&profile);
    assert_eq!(end.code, Some(1), "{}\n{}", end.out, end.err);
    assert!(
        end.err.contains(&shown) && end.err.contains("n'a pas pu être effacé"),
        "{}",
        end.err
    );
}
