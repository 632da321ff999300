//! End to end: `vigil-kiosk --headless` starts Debian's Chromium on a tiny
//! exam server started here. The page plays the app's part in miniature: it
//! reads the config key from its URL fragment and sends it back in
//! `X-Vigil-Config-Key`, reads the machine report from the launcher's
//! loopback link and reports it here, tells the launcher its status, then
//! tries to leave for another origin (the allow-list stops it). Submitted
//! and fully sent → the launcher closes the browser by itself and wipes the
//! profile; an exam in progress at Ctrl-C → the profile is kept.
//!
//! Skipped (passing, with a note) when no Chromium is installed.

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

/// What one launch saw.
struct Run {
    key: String,
    requests: Vec<(String, Vec<(String, String)>)>,
    escaped: bool,
    reached: bool,
    exit: Option<std::process::ExitStatus>,
    out: String,
}

/// Launches the exam page whose status post is `status` (JSON); sends
/// Ctrl-C after the page is done when `interrupt`, else waits for the
/// launcher to close the browser itself.
fn launch(browser: &str, status: &str, interrupt: bool) -> Run {
    let other = TcpListener::bind("127.0.0.1:0").unwrap();
    let other_port = other.local_addr().unwrap().port();
    let other_seen: Seen = Default::default();
    serve(other, String::new(), other_seen.clone());

    let exam = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = exam.local_addr().unwrap().port();
    let seen: Seen = Default::default();
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
           .then(() => fetch(link + '/status', {{ method: 'POST', body: '{status}' }}))\n\
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
    }
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
        r#"{"pending":0,"started":true,"finished":true}"#,
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
}

#[test]
fn an_exam_in_progress_keeps_its_profile_when_the_browser_is_stopped() {
    let Some(browser) = chromium() else {
        eprintln!("no Chromium installed: launch test skipped");
        return;
    };
    let run = launch(
        browser,
        r#"{"pending":3,"started":true,"finished":false}"#,
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
    std::fs::remove_dir_all(profile).unwrap();
}
