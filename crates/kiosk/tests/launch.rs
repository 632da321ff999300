//! End to end: `vigil-kiosk --headless` starts Debian's Chromium on a tiny
//! exam server started here, the page reads the config key from its URL
//! fragment and sends it back in `X-Vigil-Config-Key` (as the app does),
//! the navigation allow-list keeps the browser off another origin, and on
//! Ctrl-C the launcher closes the browser and wipes the profile.
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

#[test]
fn the_launcher_opens_the_exam_with_its_config_key_and_nothing_else() {
    let Some(browser) = chromium() else {
        eprintln!("no Chromium installed: launch test skipped");
        return;
    };

    let other = TcpListener::bind("127.0.0.1:0").unwrap();
    let other_port = other.local_addr().unwrap().port();
    let other_seen: Seen = Default::default();
    serve(other, String::new(), other_seen.clone());

    let exam = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = exam.local_addr().unwrap().port();
    let seen: Seen = Default::default();
    // The app's part, in miniature: key from the fragment, sent as a header;
    // then an attempt to leave for another origin.
    let page = format!(
        "<!doctype html><title>exam</title><script>\n\
         const key = new URLSearchParams(location.hash.slice(1)).get('vigil-config-key');\n\
         fetch('/seen?' + encodeURIComponent(location.hash.slice(1)),\n\
               {{ headers: {{ 'X-Vigil-Config-Key': key }} }})\n\
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
    // Give the blocked navigation time to have happened if it were allowed.
    std::thread::sleep(Duration::from_secs(3));

    // Ctrl-C to the launcher: it closes the browser and wipes the profile.
    let _ = Command::new("kill")
        .args(["-INT", &launcher.id().to_string()])
        .status();
    let stopped = wait_for(Instant::now() + Duration::from_secs(20), || {
        launcher.try_wait().ok().flatten().is_some()
    });
    if !stopped {
        let _ = launcher.kill();
        let _ = launcher.wait();
    }
    let out = std::fs::read_to_string(&log).unwrap_or_default();

    assert!(
        reached,
        "the exam page never ran its script; launcher said:\n{out}"
    );
    let requests = seen.lock().unwrap().clone();
    let (_, headers) = requests
        .iter()
        .find(|(l, _)| l.contains("/seen?"))
        .expect("the page reported its fragment");
    assert!(
        requests
            .iter()
            .any(|(l, _)| l.contains(&format!("/seen?vigil-config-key%3D{key}"))),
        "{requests:?}"
    );
    assert!(
        headers
            .iter()
            .any(|(k, v)| k == "x-vigil-config-key" && v == &key),
        "{headers:?}"
    );
    assert!(
        other_seen.lock().unwrap().is_empty(),
        "the browser left the exam origin: {:?}",
        other_seen.lock().unwrap()
    );
    assert!(stopped, "the launcher did not stop on Ctrl-C:\n{out}");
    assert!(out.contains("Vérification de la machine"), "{out}");
    assert!(
        out.contains(&format!("Clé de configuration : {key}")),
        "{out}"
    );
    assert!(out.contains("profil temporaire effacé"), "{out}");
}
