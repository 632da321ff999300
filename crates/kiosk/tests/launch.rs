//! End to end: `vigil-kiosk --headless` starts Debian's Chromium on a tiny
//! exam server started here. The page plays the app's part in miniature: it
//! reads the config key from its URL fragment and sends it back in
//! `X-Vigil-Config-Key`, reads the machine report from the launcher's
//! loopback link and reports it here, tells the launcher its statuses, then
//! tries to leave for another origin (the allow-list stops it). Submitted
//! and fully sent → the launcher closes the browser by itself and wipes the
//! profile; an exam in progress at Ctrl-C → the profile is kept; a forged
//! "all sent" after the app's real status → the profile is kept too. While
//! the browser runs, no process on the machine has the link's secret on its
//! command line (the browser opens a start page in the profile, which opens
//! the exam with the secret in the fragment).
//!
//! Skipped (passing, with a note) when no Chromium is installed.

// Tests and benchmarks may unwrap: a panic is their failure report.
#![allow(clippy::unwrap_used)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// Requests seen by a test server: the request line and lowercase headers.
type Seen = Arc<Mutex<Vec<(String, Vec<(String, String)>)>>>;

fn serve(listener: TcpListener, page: String, seen: Seen) {
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(stream) = stream else { continue };
            let page = page.clone();
            let seen = seen.clone();
            std::thread::spawn(move || handle(stream, &page, &seen));
        }
    });
}

fn handle(mut stream: TcpStream, page: &str, seen: &Seen) {
    let _ = stream.set_read_timeout(Some(Duration::from_secs(5)));
    let mut reader = BufReader::new(stream.try_clone().expect("clone"));
    let mut line = String::new();
    if reader.read_line(&mut line).unwrap_or(0) == 0 {
        return;
    }
    let mut headers = Vec::new();
    loop {
        let mut h = String::new();
        if reader.read_line(&mut h).unwrap_or(0) == 0 || h.trim().is_empty() {
            break;
        }
        if let Some((k, v)) = h.split_once(':') {
            headers.push((k.trim().to_lowercase(), v.trim().to_string()));
        }
    }
    let path = line.split_whitespace().nth(1).unwrap_or("").to_string();
    seen.lock()
        .unwrap()
        .push((line.trim().to_string(), headers));
    let (status, body) = if path.starts_with("/exam") {
        ("200 OK", page.to_string())
    } else {
        ("200 OK", "ok".to_string())
    };
    let _ = write!(
        stream,
        "HTTP/1.1 {status}\r\nContent-Type: text/html; charset=utf-8\r\n\
         Content-Length: {}\r\nCache-Control: no-store\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    let mut rest = Vec::new();
    let _ = reader.read_to_end(&mut rest);
}

fn chromium() -> Option<&'static str> {
    ["/usr/bin/chromium", "/usr/bin/chromium-browser"]
        .into_iter()
        .find(|p| std::path::Path::new(p).is_file())
}

fn wait_for(deadline: Instant, mut ok: impl FnMut() -> bool) -> bool {
    while Instant::now() < deadline {
        if ok() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(200));
    }
    ok()
}

/// Every process: pid, parent pid, command line (arguments joined by
/// spaces), as any local account reads them in `/proc`.
fn processes() -> Vec<(u32, u32, String)> {
    let mut out = Vec::new();
    let Ok(dir) = std::fs::read_dir("/proc") else {
        return out;
    };
    for entry in dir.flatten() {
        let Some(pid) = entry.file_name().to_str().and_then(|n| n.parse().ok()) else {
            continue;
        };
        let (Ok(stat), Ok(cmdline)) = (
            std::fs::read_to_string(entry.path().join("stat")),
            std::fs::read(entry.path().join("cmdline")),
        ) else {
            continue;
        };
        // `pid (comm) state ppid …`; comm may hold spaces and parentheses.
        let ppid = stat
            .rsplit_once(')')
            .and_then(|(_, rest)| rest.split_whitespace().nth(1)?.parse().ok())
            .unwrap_or(0);
        let cmdline = String::from_utf8_lossy(&cmdline).replace('\0', " ");
        out.push((pid, ppid, cmdline));
    }
    out
}

/// The command lines of `root`'s descendants.
fn descendants(root: u32, procs: &[(u32, u32, String)]) -> Vec<String> {
    let mut found = vec![root];
    let mut out = Vec::new();
    let mut grew = true;
    while grew {
        grew = false;
        for (pid, ppid, cmdline) in procs {
            if found.contains(ppid) && !found.contains(pid) {
                found.push(*pid);
                out.push(cmdline.clone());
                grew = true;
            }
        }
    }
    out
}

/// What one launch saw.
struct Run {
    key: String,
    requests: Vec<(String, Vec<(String, String)>)>,
    escaped: bool,
    reached: bool,
    exit: Option<std::process::ExitStatus>,
    out: String,
    /// The link's secret, as the page read it from its fragment.
    secret: Option<String>,
    /// While the page ran: the command lines of the launcher's descendants.
    tree: Vec<String>,
    /// While the page ran: the command lines holding the secret.
    leaks: Vec<String>,
    /// The start page was gone once the page had reached the link.
    start_page_gone: bool,
}

/// Launches the exam page, which posts `statuses` (JSON) one after the
/// other; sends Ctrl-C after the page is done when `interrupt`, else waits
/// for the launcher to close the browser itself.
fn launch(browser: &str, statuses: &[&str], interrupt: bool) -> Run {
    let other = TcpListener::bind("127.0.0.1:0").unwrap();
    let other_port = other.local_addr().unwrap().port();
    let other_seen: Seen = Default::default();
    serve(other, String::new(), other_seen.clone());

    let exam = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = exam.local_addr().unwrap().port();
    let seen: Seen = Default::default();
    let statuses = serde_json::to_string(statuses).unwrap();
    let page = format!(
        "<!doctype html><title>exam</title><script>\n\
         const p = new URLSearchParams(location.hash.slice(1));\n\
         const key = p.get('vigil-config-key');\n\
         const [lport, secret] = p.get('vigil-kiosk-link').split('.');\n\
         const link = `http://127.0.0.1:${{lport}}/${{secret}}`;\n\
         fetch('/seen?' + encodeURIComponent(location.hash.slice(1)),\n\
               {{ headers: {{ 'X-Vigil-Config-Key': key }} }})\n\
           .then(() => fetch(link + '/report')).then(r => r.json())\n\
           .then(r => fetch('/report?' + r.results.map(x => x.item + ':' + x.status).join(',')))\n\
           .then(() => {statuses}.reduce((p, body) =>\n\
                 p.then(() => fetch(link + '/status', {{ method: 'POST', body }})), Promise.resolve()))\n\
           .then(() => fetch('/leaving'))\n\
           .then(() => {{ location.href = 'http://127.0.0.1:{other_port}/escaped'; }});\n\
         </script>"
    );
    serve(exam, page, seen.clone());

    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("kiosk.toml");
    // This CI machine is a VM: every check warns, none refuses.
    std::fs::write(
        &config,
        "recheck_seconds = 1\n[displays]\nverdict = \"warn\"\n\
         [virtual_machine]\nverdict = \"warn\"\n[remote_control]\nverdict = \"warn\"\n",
    )
    .unwrap();
    let url = format!("http://127.0.0.1:{port}/exam");
    let kiosk = env!("CARGO_BIN_EXE_vigil-kiosk");
    let key_out = Command::new(kiosk)
        .args(["--url", &url, "--config", config.to_str().unwrap()])
        .arg("--print-config-key")
        .output()
        .unwrap();
    let key = String::from_utf8(key_out.stdout)
        .unwrap()
        .trim()
        .to_string();
    assert_eq!(key.len(), 64);

    let log = dir.path().join("kiosk.log");
    let mut launcher = Command::new(kiosk)
        .args(["--url", &url, "--config", config.to_str().unwrap()])
        .args(["--browser", browser, "--headless"])
        .stdout(std::fs::File::create(&log).unwrap())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap();

    let deadline = Instant::now() + Duration::from_secs(90);
    let reached = wait_for(deadline, || {
        seen.lock()
            .unwrap()
            .iter()
            .any(|(l, _)| l.contains("/leaving"))
    });
    // The secret as the page read it: `/seen?…vigil-kiosk-link%3DPORT.SECRET`.
    let secret = seen.lock().unwrap().iter().find_map(|(l, _)| {
        let value = l.split("vigil-kiosk-link%3D").nth(1)?;
        let value: String = value
            .chars()
            .take_while(|c| c.is_ascii_hexdigit() || *c == '.')
            .collect();
        Some(value.split_once('.')?.1.to_string())
    });
    let procs = processes();
    let tree = descendants(launcher.id(), &procs);
    let leaks = procs
        .into_iter()
        .filter(|(_, _, c)| secret.as_ref().is_some_and(|s| c.contains(s.as_str())))
        .map(|(_, _, c)| c)
        .collect();
    let start_page = std::fs::read_to_string(&log)
        .unwrap_or_default()
        .lines()
        .find_map(|l| l.strip_prefix("Profil : "))
        .map(|p| std::path::Path::new(p).join("vigil-kiosk-start.html"));
    let start_page_gone = wait_for(Instant::now() + Duration::from_secs(3), || {
        start_page.as_ref().is_some_and(|p| !p.exists())
    });
    if interrupt {
        // Give the blocked navigation time to have happened if it were allowed.
        std::thread::sleep(Duration::from_secs(3));
        let _ = Command::new("kill")
            .args(["-INT", &launcher.id().to_string()])
            .status();
    }
    // The launcher closes the browser 5 s after "all sent".
    let stopped = wait_for(Instant::now() + Duration::from_secs(30), || {
        launcher.try_wait().ok().flatten().is_some()
    });
    let exit = if stopped {
        launcher.wait().ok()
    } else {
        let _ = launcher.kill();
        let _ = launcher.wait();
        None
    };
    let out = std::fs::read_to_string(&log).unwrap_or_default();
    let escaped = !other_seen.lock().unwrap().is_empty();
    let requests = seen.lock().unwrap().clone();
    Run {
        key,
        requests,
        escaped,
        reached,
        exit,
        out,
        secret,
        tree,
        leaks,
        start_page_gone,
    }
}

/// The secret was on no command line while the browser ran, the browser
/// ran (as the launcher's descendants) on the start page, and the page was
/// deleted once the app had reached the link.
fn assert_no_secret_on_command_lines(run: &Run) {
    let out = &run.out;
    let secret = run.secret.as_deref().expect("the page read the link");
    assert_eq!(secret.len(), 32, "{secret}");
    assert!(
        run.leaks.is_empty(),
        "the link's secret is on a command line: {:#?}",
        run.leaks
    );
    assert!(
        run.tree
            .iter()
            .any(|c| c.contains("vigil-kiosk-start.html")),
        "the browser was not seen running on its start page: {:#?}\n{out}",
        run.tree
    );
    assert!(
        run.tree.iter().all(|c| !c.contains(secret)),
        "{:#?}",
        run.tree
    );
    assert!(
        run.start_page_gone,
        "the start page outlived the app's first call:\n{out}"
    );
}

/// The profile folder the launcher printed.
fn profile_of(out: &str) -> std::path::PathBuf {
    out.lines()
        .find_map(|l| l.strip_prefix("Profil : "))
        .expect("the launcher prints its profile")
        .into()
}

#[test]
fn the_launcher_opens_the_exam_with_its_key_and_closes_it_once_all_is_sent() {
    let Some(browser) = chromium() else {
        eprintln!("no Chromium installed: launch test skipped");
        return;
    };
    let run = launch(
        browser,
        &[
            r#"{"pending":2,"started":true,"finished":false,"logged_seq":3,"acked_seq":2,"pending_media":1}"#,
            r#"{"pending":0,"started":true,"finished":true,"logged_seq":4,"acked_seq":4,"pending_media":0}"#,
        ],
        false,
    );
    let (key, out) = (&run.key, &run.out);
    assert!(
        run.reached,
        "the exam page never ran its script; launcher said:\n{out}"
    );
    let (_, headers) = run
        .requests
        .iter()
        .find(|(l, _)| l.contains("/seen?"))
        .expect("the page reported its fragment");
    assert!(
        run.requests.iter().any(|(l, _)| l.contains(&format!(
            "/seen?vigil-config-key%3D{key}%26vigil-kiosk-link%3D"
        ))),
        "{:?}",
        run.requests
    );
    assert!(
        headers
            .iter()
            .any(|(k, v)| k == "x-vigil-config-key" && v == key),
        "{headers:?}"
    );
    // The machine report travelled through the link: three checks.
    let report = run
        .requests
        .iter()
        .find_map(|(l, _)| l.split_whitespace().nth(1)?.strip_prefix("/report?"))
        .expect("the page read the launcher's report");
    let items: Vec<&str> = report
        .split(',')
        .filter_map(|x| x.split(':').next())
        .collect();
    assert_eq!(
        items,
        ["displays", "virtual_machine", "remote_control"],
        "{report}"
    );
    assert!(!run.escaped, "the browser left the exam origin");
    assert_eq!(
        run.exit.map(|e| e.code()),
        Some(Some(0)),
        "the launcher did not close the browser by itself:\n{out}"
    );
    assert!(out.contains("Vérification de la machine"), "{out}");
    assert!(
        out.contains(&format!("Clé de configuration : {key}")),
        "{out}"
    );
    assert!(out.contains("entièrement envoyé"), "{out}");
    assert!(!profile_of(out).exists(), "profile not wiped:\n{out}");
    assert_no_secret_on_command_lines(&run);
}

#[test]
fn an_exam_in_progress_keeps_its_profile_when_the_browser_is_stopped() {
    let Some(browser) = chromium() else {
        eprintln!("no Chromium installed: launch test skipped");
        return;
    };
    let run = launch(
        browser,
        &[r#"{"pending":3,"started":true,"finished":false}"#],
        true,
    );
    let out = &run.out;
    assert!(
        run.reached,
        "the exam page never ran its script; launcher said:\n{out}"
    );
    assert_eq!(run.exit.and_then(|e| e.code()), Some(4), "{out}");
    let profile = profile_of(out);
    assert!(profile.join("Default").exists(), "profile not kept:\n{out}");
    assert!(out.contains("--resume-profile"), "{out}");
    assert_no_secret_on_command_lines(&run);
    std::fs::remove_dir_all(profile).unwrap();
}

#[test]
fn the_link_secret_is_on_no_command_line_of_the_browser_tree() {
    let Some(browser) = chromium() else {
        eprintln!("no Chromium installed: launch test skipped");
        return;
    };
    let run = launch(
        browser,
        &[
            r#"{"pending":0,"started":false,"finished":false,"logged_seq":0,"acked_seq":0,"pending_media":0}"#,
        ],
        true,
    );
    let out = &run.out;
    assert!(
        run.reached,
        "the exam page never ran its script; launcher said:\n{out}"
    );
    assert!(
        run.tree.len() >= 2,
        "the browser's processes: {:#?}",
        run.tree
    );
    assert_no_secret_on_command_lines(&run);
    // Nothing to keep: wiped at Ctrl-C.
    assert!(!profile_of(out).exists(), "profile not wiped:\n{out}");
}

#[test]
fn a_forged_finished_neither_closes_the_browser_nor_wipes_the_profile() {
    let Some(browser) = chromium() else {
        eprintln!("no Chromium installed: launch test skipped");
        return;
    };
    // The app's real status, then a forged "all sent" (the old shape, and
    // one with acknowledgements that contradict the app's log).
    let run = launch(
        browser,
        &[
            r#"{"pending":4,"started":true,"finished":false,"logged_seq":12,"acked_seq":9,"pending_media":1}"#,
            r#"{"pending":0,"started":true,"finished":true}"#,
            r#"{"pending":0,"started":true,"finished":true,"logged_seq":5,"acked_seq":5,"pending_media":0}"#,
        ],
        true,
    );
    let out = &run.out;
    assert!(
        run.reached,
        "the exam page never ran its script; launcher said:\n{out}"
    );
    assert!(!out.contains("entièrement envoyé"), "{out}");
    assert_eq!(run.exit.and_then(|e| e.code()), Some(4), "{out}");
    let profile = profile_of(out);
    assert!(profile.join("Default").exists(), "profile not kept:\n{out}");
    assert!(profile.join("vigil-kiosk-profile.json").exists(), "{out}");
    assert!(out.contains("contradictoires"), "{out}");
    std::fs::remove_dir_all(profile).unwrap();
}
