//! The end-to-end harness: a real `vigil-server` on a free loopback port
//! serving the built app (`dist/`) and a fresh demo session, and a real
//! headless Chromium driven through Debian's chromedriver by fantoccini,
//! with a fake camera playing a clip made from a photograph.
//!
//! `cargo xtask test` (or `cargo xtask e2e`) builds everything and passes
//! the paths in `VIGIL_*` variables; run directly, the harness falls back to
//! the default build locations and says what to build if they are missing.
//! A failing test leaves a screenshot in `target/e2e/`.

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{bail, ensure, Context, Result};
use fantoccini::elements::Element;
use fantoccini::{Client, ClientBuilder, Locator};
use serde::Deserialize;
use serde_json::json;

/// How long a step may wait for the page before the test fails.
pub const STEP_TIMEOUT: Duration = Duration::from_secs(20);

/// Which clip the fake camera plays.
#[derive(Debug, Clone, Copy)]
pub enum Clip {
    Face,
    NoFace,
}

/// What the canvas camera shows ([`Harness::camera_show`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CameraPicture {
    /// The frontal face of the fake-camera clip.
    Face,
    /// A head turned to the candidate's left (the nose towards the
    /// image's right edge), and the same mirrored: turned to the right.
    TurnedLeft,
    TurnedRight,
    /// Another person than the clip's (and than `Face`'s): the head of
    /// `obama.jpg`, the crop the vision tests use.
    Other,
}

impl CameraPicture {
    /// The photograph (from the workspace root), the part of it drawn
    /// (`[x, y, width, height]`, `None`: all) and whether it is mirrored.
    fn source(self) -> (&'static str, Option<[u32; 4]>, bool) {
        match self {
            CameraPicture::Face => ("tests/fixtures/astronaut.png", None, false),
            CameraPicture::TurnedLeft => (TURNED_PHOTO, TURNED_CROP, TURNED_MIRROR),
            CameraPicture::TurnedRight => (TURNED_PHOTO, TURNED_CROP, !TURNED_MIRROR),
            CameraPicture::Other => (
                "tests/fixtures/faces/obama.jpg",
                Some([209, 3, 552, 552]),
                false,
            ),
        }
    }
}

/// The turned-head photograph (see tests/fixtures/faces/README.md), the
/// part of it around the face, and whether it must be mirrored to show the
/// head turned to the candidate's left.
const TURNED_PHOTO: &str = "tests/fixtures/faces/camera.png";
/// Around the face (its box is about [178, 122, 87, 87]): drawn large, the
/// face mesh reads yaw +48° (−47° mirrored).
const TURNED_CROP: Option<[u32; 4]> = Some([91, 35, 260, 260]);
const TURNED_MIRROR: bool = false;

/// Installs (once per page) the canvas camera behind `getUserMedia`; it
/// takes the picture kept in session storage, else stays off (the real
/// `getUserMedia` answers).
const CANVAS_CAMERA: &str = r#"
if (!window.__vigilCam) {
  const md = navigator.mediaDevices;
  const original = md.getUserMedia.bind(md);
  const canvas = document.createElement('canvas');
  canvas.width = 640; canvas.height = 480;
  const ctx = canvas.getContext('2d');
  const cam = { img: null, crop: null, mirror: false, active: false, shown: 0 };
  const draw = () => {
    ctx.fillStyle = '#808080';
    ctx.fillRect(0, 0, 640, 480);
    const img = cam.img;
    if (img) {
      const [sx, sy, sw, sh] = cam.crop || [0, 0, img.naturalWidth, img.naturalHeight];
      const k = Math.min(640 / sw, 480 / sh);
      const dw = sw * k, dh = sh * k;
      ctx.save();
      if (cam.mirror) { ctx.translate(640, 0); ctx.scale(-1, 1); }
      ctx.drawImage(img, sx, sy, sw, sh, (640 - dw) / 2, (480 - dh) / 2, dw, dh);
      ctx.restore();
    }
  };
  setInterval(draw, 50);
  md.getUserMedia = async (c) => {
    if (!cam.active || !c || !c.video) return original(c);
    draw();
    const stream = canvas.captureStream(20);
    if (c.audio) {
      const sound = await original({ audio: c.audio });
      sound.getAudioTracks().forEach(t => stream.addTrack(t));
    }
    return stream;
  };
  cam.show = (p) => new Promise((resolve, reject) => {
    sessionStorage.setItem('vigil-test-camera', JSON.stringify(p));
    // The latest picture wins, whichever image decodes first.
    const n = ++cam.shown;
    const img = new Image();
    img.onload = () => {
      if (n === cam.shown) {
        Object.assign(cam, { img, crop: p.crop, mirror: p.mirror, active: p.active });
        draw();
      }
      resolve();
    };
    img.onerror = reject;
    img.src = p.url;
  });
  window.__vigilCam = cam;
  const kept = sessionStorage.getItem('vigil-test-camera');
  if (kept) {
    const p = JSON.parse(kept);
    cam.active = p.active;
    cam.show(p);
  }
}
"#;

/// Installs (once per page) a watch on `getUserMedia`: every track it
/// grants is kept in `window.__vigilMedia.tracks`, and a grant can be held
/// back `delayMs` (the browser still asking the candidate) to test a
/// screen that goes away meanwhile.
const MEDIA_WATCH: &str = r#"
if (!window.__vigilMedia) {
  const md = navigator.mediaDevices;
  const inner = md.getUserMedia.bind(md);
  const media = { tracks: [], delayMs: 0, requests: 0, granted: 0 };
  md.getUserMedia = async (c) => {
    media.requests += 1;
    const s = await inner(c);
    s.getTracks().forEach(t => media.tracks.push(t));
    if (media.delayMs) await new Promise(r => setTimeout(r, media.delayMs));
    media.granted += 1;
    return s;
  };
  window.__vigilMedia = media;
}
"#;

#[derive(Debug, Clone, Deserialize)]
pub struct DemoCandidate {
    pub id: String,
    pub code: String,
}

/// `target/demo.json`-shaped logins of the harness's demo session.
#[derive(Debug, Clone, Deserialize)]
pub struct Demo {
    pub url: String,
    pub session: String,
    /// The session's printed start code (offline unlock).
    pub start_code: String,
    pub candidates: Vec<DemoCandidate>,
}

pub struct Harness {
    pub client: Client,
    pub base: String,
    pub demo: Demo,
    server: Option<Child>,
    driver: Child,
    server_bin: PathBuf,
    dist: PathBuf,
    port: u16,
    /// The file Chromium's fake camera plays (a copy of the clip).
    camera_file: PathBuf,
    /// Whether every page of this browser gets the canvas camera.
    canvas_camera: std::sync::atomic::AtomicBool,
    /// How chromedriver is started, and the browser's capabilities (its
    /// profile folder included): a killed browser starts again from them.
    chromedriver: String,
    caps: serde_json::Map<String, serde_json::Value>,
    _tmp: tempfile::TempDir,
}

/// chromedriver in a process group of its own (the browser it starts can
/// be killed with it), and a session with `caps`.
async fn launch_browser(
    chromedriver: &str,
    caps: &serde_json::Map<String, serde_json::Value>,
) -> Result<(Child, Client)> {
    let driver_port = free_port()?;
    let mut driver_cmd = Command::new(chromedriver);
    driver_cmd
        .arg(format!("--port={driver_port}"))
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    #[cfg(unix)]
    {
        use std::os::unix::process::CommandExt;
        driver_cmd.process_group(0);
    }
    let mut driver = driver_cmd
        .spawn()
        .with_context(|| format!("starting {chromedriver}"))?;
    wait_for_port(driver_port, &mut driver, "chromedriver").await?;
    let client = ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
        .capabilities(caps.clone())
        .connect(&format!("http://127.0.0.1:{driver_port}"))
        .await
        .context("connecting to chromedriver")?;
    Ok((driver, client))
}

/// SIGKILL to a process group (chromedriver and the Chromium it started).
fn kill_group(leader: &mut Child) {
    let _ = Command::new("kill")
        .args(["-s", "KILL", "--", &format!("-{}", leader.id())])
        .status();
    let _ = leader.wait();
}

/// A Chrome DevTools command through chromedriver (`goog/cdp/execute`).
#[derive(Debug)]
struct Cdp {
    cmd: &'static str,
    params: serde_json::Value,
}

impl fantoccini::wd::WebDriverCompatibleCommand for Cdp {
    fn endpoint(
        &self,
        base_url: &url::Url,
        session_id: Option<&str>,
    ) -> Result<url::Url, url::ParseError> {
        base_url.join(&format!(
            "session/{}/goog/cdp/execute",
            session_id.unwrap_or_default()
        ))
    }

    fn method_and_body(&self, _: &url::Url) -> (http::Method, Option<String>) {
        let body = json!({ "cmd": self.cmd, "params": self.params });
        (http::Method::POST, Some(body.to_string()))
    }
}

/// The `.y4m` of a clip (made by `cargo xtask media`).
fn clip_path(clip: Clip) -> Result<PathBuf> {
    let hint = "run `cargo xtask e2e` (it builds the app, the server and the clips)";
    match clip {
        Clip::Face => path_from_env("VIGIL_FACE_CLIP", "target/e2e/media/face.y4m", hint),
        Clip::NoFace => path_from_env("VIGIL_NO_FACE_CLIP", "target/e2e/media/no-face.y4m", hint),
    }
}

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .canonicalize()
        .expect("workspace root")
}

fn path_from_env(var: &str, default: &str, hint: &str) -> Result<PathBuf> {
    let path = std::env::var_os(var)
        .map(PathBuf::from)
        .unwrap_or_else(|| root().join(default));
    if !path.exists() {
        bail!("{} is missing ({var}); {hint}", path.display());
    }
    Ok(path)
}

/// Where screenshots go.
pub fn out_dir() -> PathBuf {
    let dir = std::env::var_os("VIGIL_E2E_OUT")
        .map(PathBuf::from)
        .unwrap_or_else(|| root().join("target/e2e"));
    std::fs::create_dir_all(&dir).expect("create the e2e output folder");
    dir
}

fn free_port() -> Result<u16> {
    Ok(TcpListener::bind("127.0.0.1:0")?.local_addr()?.port())
}

async fn wait_for_port(port: u16, child: &mut Child, what: &str) -> Result<()> {
    let start = Instant::now();
    loop {
        if tokio::net::TcpStream::connect(("127.0.0.1", port))
            .await
            .is_ok()
        {
            return Ok(());
        }
        if let Some(status) = child.try_wait()? {
            bail!("{what} exited before listening ({status})");
        }
        if start.elapsed() > STEP_TIMEOUT {
            bail!("{what} did not listen on port {port} within {STEP_TIMEOUT:?}");
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

impl Harness {
    /// Starts the server with a fresh demo session of the short demo exam,
    /// chromedriver and a browser.
    pub async fn start(clip: Clip) -> Result<Harness> {
        Self::start_with(clip, "exams/demo-short.toml", 0).await
    }

    /// The same with another exam (a path from the workspace root), its
    /// start window opening `start_in_s` seconds from now.
    pub async fn start_with(clip: Clip, exam: &str, start_in_s: u32) -> Result<Harness> {
        let hint = "run `cargo xtask e2e` (it builds the app, the server and the clips)";
        let server_bin = path_from_env("VIGIL_SERVER_BIN", "target/debug/vigil-server", hint)?;
        let dist = path_from_env("VIGIL_DIST", "dist", hint)?;
        let chromedriver = std::env::var("CHROMEDRIVER").unwrap_or_else(|_| "chromedriver".into());
        let tmp = tempfile::tempdir()?;
        // Chromium plays a copy, which `switch_clip` overwrites in place.
        let camera_file = tmp.path().join("camera.y4m");
        std::fs::copy(clip_path(clip)?, &camera_file)?;

        let port = free_port()?;
        let demo_json = tmp.path().join("demo.json");
        let mut server = Command::new(&server_bin)
            .current_dir(root())
            .arg("--db")
            .arg(tmp.path().join("vigil.sqlite3"))
            .args([
                "demo",
                "--addr",
                &format!("127.0.0.1:{port}"),
                "--candidates",
                "8",
            ])
            .arg("--static-dir")
            .arg(&dist)
            .arg("--out")
            .arg(&demo_json)
            .arg("--exam")
            .arg(exam)
            .env("VIGIL_DEMO_START_IN", start_in_s.to_string())
            .stdout(Stdio::null())
            .spawn()
            .with_context(|| format!("starting {}", server_bin.display()))?;
        wait_for_port(port, &mut server, "vigil-server").await?;
        let demo: Demo = serde_json::from_str(&std::fs::read_to_string(&demo_json)?)?;

        let profile = tmp.path().join("profile");
        let downloads = tmp.path().join("downloads");
        std::fs::create_dir_all(&downloads)?;
        let caps = json!({
            "goog:chromeOptions": {
                // Files the app saves (the encrypted copy) land here, unasked.
                "prefs": {
                    "download.default_directory": downloads.display().to_string(),
                    "download.prompt_for_download": false,
                    "download.directory_upgrade": true,
                },
                "binary": std::env::var("CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into()),
                "args": [
                    "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                    "--disable-background-networking", "--disable-component-update",
                    "--disable-sync", "--no-first-run", "--window-size=1280,800",
                    // performance.memory in bytes, not buckets (the app bench).
                    "--enable-precise-memory-info",
                    format!("--user-data-dir={}", profile.display()),
                    "--use-fake-ui-for-media-stream", "--use-fake-device-for-media-stream",
                    format!("--use-file-for-fake-video-capture={}", camera_file.display()),
                ]
            }
        });
        let caps = match caps {
            serde_json::Value::Object(map) => map,
            _ => unreachable!("a JSON object literal"),
        };
        let (driver, client) = launch_browser(&chromedriver, &caps).await?;
        Ok(Harness {
            client,
            base: format!("http://127.0.0.1:{port}"),
            demo,
            server: Some(server),
            driver,
            server_bin,
            dist,
            port,
            camera_file,
            canvas_camera: Default::default(),
            chromedriver,
            caps,
            _tmp: tmp,
        })
    }

    /// Runs a `vigil-server` command on the harness's database (the server
    /// keeps running: SQLite in WAL mode takes both).
    /// Runs a `vigil-server` command on this test's database; its stdout.
    pub fn server_cli_output(&self, args: &[&str]) -> Result<String> {
        let out = Command::new(&self.server_bin)
            .current_dir(root())
            .arg("--db")
            .arg(self._tmp.path().join("vigil.sqlite3"))
            .args(args)
            .output()?;
        if !out.status.success() {
            bail!(
                "vigil-server {args:?} failed ({}): {}",
                out.status,
                String::from_utf8_lossy(&out.stderr)
            );
        }
        Ok(String::from_utf8_lossy(&out.stdout).into_owned())
    }

    /// The attempt id of the signed-in candidate, from IndexedDB.
    pub async fn attempt_id(&self) -> Result<String> {
        let login = self.stored_login().await?;
        login["attempt"]["id"]
            .as_str()
            .map(str::to_owned)
            .ok_or_else(|| anyhow::anyhow!("no attempt id stored: {login}"))
    }

    /// The login the app keeps in IndexedDB (`LoginResponse` as JSON).
    pub async fn stored_login(&self) -> Result<serde_json::Value> {
        let v = self
            .client
            .execute_async(
                r#"const done = arguments[arguments.length - 1];
                   const open = indexedDB.open('vigil');
                   open.onsuccess = () => {
                     const req = open.result.transaction('session').objectStore('session').get('current');
                     req.onsuccess = () => done(req.result ? JSON.parse(req.result) : null);
                   };"#,
                vec![],
            )
            .await?;
        Ok(v)
    }

    /// Creates proctor `name` for the demo session with the command line
    /// and logs in through the review login form in the browser.
    pub async fn proctor_login(&self, name: &str) -> Result<()> {
        let session = self.demo.session.clone();
        let added = self.server_cli_output(&["proctor", "add", "--session", &session, name])?;
        let password = added
            .lines()
            .find_map(|l| l.strip_prefix("Password: "))
            .ok_or_else(|| anyhow::anyhow!("no password in {added}"))?
            .to_owned();
        self.open("/review/login").await?;
        self.css("input[name=name]").await?.send_keys(name).await?;
        self.css("input[name=password]")
            .await?
            .send_keys(&password)
            .await?;
        self.css("button[type=submit]").await?.click().await?;
        self.css("[data-testid=\"logout\"]").await?;
        Ok(())
    }

    pub fn server_cli(&self, args: &[&str]) -> Result<()> {
        let status = Command::new(&self.server_bin)
            .current_dir(root())
            .arg("--db")
            .arg(self._tmp.path().join("vigil.sqlite3"))
            .args(args)
            .stdout(Stdio::null())
            .status()?;
        if !status.success() {
            bail!("vigil-server {args:?} failed ({status})");
        }
        Ok(())
    }

    /// Starts the server again on the same port and database (after
    /// [`Harness::stop_server`]): the network comes back.
    pub async fn restart_server(&mut self) -> Result<()> {
        self.stop_server();
        let mut server = Command::new(&self.server_bin)
            .current_dir(root())
            .arg("--db")
            .arg(self._tmp.path().join("vigil.sqlite3"))
            .args(["serve", "--addr", &format!("127.0.0.1:{}", self.port)])
            .arg("--static-dir")
            .arg(&self.dist)
            .stdout(Stdio::null())
            .spawn()?;
        wait_for_port(self.port, &mut server, "vigil-server (restart)").await?;
        self.server = Some(server);
        Ok(())
    }

    /// SIGKILLs the whole browser (chromedriver, Chromium and every process
    /// of it), as a power cut of the browser would, then starts a new one on
    /// the same profile folder and opens the app again.
    pub async fn kill_browser(&mut self) -> Result<()> {
        kill_group(&mut self.driver);
        let (driver, client) = launch_browser(&self.chromedriver, &self.caps).await?;
        self.driver = driver;
        self.client = client;
        self.open("/").await
    }

    /// Stops the server (for the "server unreachable" cases).
    pub fn stop_server(&mut self) {
        if let Some(mut s) = self.server.take() {
            let _ = s.kill();
            let _ = s.wait();
        }
    }

    /// Waits up to `secs` for the browser to finish downloading `name`, and
    /// returns its path.
    pub async fn downloaded(&self, name: &str, secs: u64) -> Result<PathBuf> {
        let dir = self._tmp.path().join("downloads");
        let path = dir.join(name);
        let partial = dir.join(format!("{name}.crdownload"));
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(secs);
        loop {
            if path.is_file() && !partial.exists() {
                return Ok(path);
            }
            if std::time::Instant::now() > deadline {
                let found: Vec<_> = std::fs::read_dir(&dir)?
                    .flatten()
                    .map(|e| e.file_name().to_string_lossy().into_owned())
                    .collect();
                bail!("{name} not downloaded within {secs} s; the folder holds {found:?}");
            }
            tokio::time::sleep(std::time::Duration::from_millis(200)).await;
        }
    }

    pub async fn open(&self, path: &str) -> Result<()> {
        self.client.goto(&format!("{}{path}", self.base)).await?;
        Ok(())
    }

    /// The element with `data-testid=id`, waiting for it to appear.
    pub async fn testid(&self, id: &str) -> Result<Element> {
        self.css(&format!("[data-testid=\"{id}\"]")).await
    }

    pub async fn css(&self, selector: &str) -> Result<Element> {
        self.client
            .wait()
            .at_most(STEP_TIMEOUT)
            .for_element(Locator::Css(selector))
            .await
            .with_context(|| format!("waiting for `{selector}`"))
    }

    /// Waits until the screen `name` (`data-screen`) is shown.
    pub async fn screen(&self, name: &str) -> Result<Element> {
        self.css(&format!("[data-screen=\"{name}\"]")).await
    }

    /// Runs a script in the page and returns its value.
    pub async fn js(&self, script: &str) -> Result<serde_json::Value> {
        Ok(self.client.execute(script, vec![]).await?)
    }

    /// Audits the page with axe-core (installed by `cargo xtask setup`):
    /// WCAG 2.1 A and AA rules; fails listing every serious or critical
    /// violation, prints how many lesser ones there are.
    pub async fn axe(&self, what: &str) -> Result<()> {
        let path = root().join("target/tools/node_modules/axe-core/axe.min.js");
        let source = std::fs::read_to_string(&path)
            .with_context(|| format!("{} missing: run `cargo xtask setup`", path.display()))?;
        self.client
            .execute(&format!("{source}\nreturn true;"), vec![])
            .await?;
        let found = self
            .client
            .execute_async(
                r#"const done = arguments[arguments.length - 1];
                   axe.run(document, { runOnly: { type: 'tag',
                       values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice'] } })
                     .then(r => done(r.violations.map(v => ({
                       id: v.id, impact: v.impact, help: v.help,
                       nodes: v.nodes.slice(0, 5).map(n => n.target.join(' ')) }))))
                     .catch(e => done([{ id: 'axe-error', impact: 'critical',
                       help: String(e), nodes: [] }]));"#,
                vec![],
            )
            .await?;
        let all = found.as_array().cloned().unwrap_or_default();
        let (grave, lesser): (Vec<_>, Vec<_>) = all
            .into_iter()
            .partition(|v| matches!(v["impact"].as_str(), Some("serious" | "critical")));
        println!(
            "axe {what}: {} serious or critical, {} lesser{}",
            grave.len(),
            lesser.len(),
            if lesser.is_empty() {
                String::new()
            } else {
                format!(
                    " ({})",
                    lesser
                        .iter()
                        .map(|v| v["id"].as_str().unwrap_or("?").to_owned())
                        .collect::<Vec<_>>()
                        .join(", ")
                )
            }
        );
        if !grave.is_empty() {
            bail!(
                "accessibility of {what}: {}",
                serde_json::to_string_pretty(&grave)?
            );
        }
        Ok(())
    }

    /// The exam timer's `data-remaining-ms`.
    pub async fn remaining_ms(&self) -> Result<i64> {
        let v = self
            .testid("timer")
            .await?
            .attr("data-remaining-ms")
            .await?
            .unwrap_or_default();
        Ok(v.parse()?)
    }

    /// What the fake camera shows from now on: the file Chromium plays is
    /// overwritten in place with `clip` (the clips have the same size, and
    /// Chromium reads each frame from the file as it plays it).
    pub fn switch_clip(&self, clip: Clip) -> Result<()> {
        use std::io::{Seek, Write};
        let bytes = std::fs::read(clip_path(clip)?)?;
        let len = std::fs::metadata(&self.camera_file)?.len();
        ensure!(
            bytes.len() as u64 == len,
            "clips differ in size ({} vs {len} bytes)",
            bytes.len()
        );
        let mut f = std::fs::OpenOptions::new()
            .write(true)
            .open(&self.camera_file)?;
        f.seek(std::io::SeekFrom::Start(0))?;
        f.write_all(&bytes)?;
        f.sync_all()?;
        Ok(())
    }

    /// Size of the media blob `sha256` stored in IndexedDB (`None`: absent).
    pub async fn stored_media_len(&self, sha256: &str) -> Result<Option<u64>> {
        let v = self
            .client
            .execute_async(
                r#"const [sha, done] = arguments;
                   const open = indexedDB.open('vigil');
                   open.onsuccess = () => {
                     const req = open.result.transaction('media').objectStore('media').get(sha);
                     req.onsuccess = () => done(req.result ? req.result.byteLength : null);
                   };"#,
                vec![serde_json::Value::String(sha256.to_owned())],
            )
            .await?;
        Ok(v.as_u64())
    }

    /// `attempt show` of attempt `id` on the server, as JSON.
    pub fn attempt_report(&self, id: &str) -> Result<serde_json::Value> {
        let shown = self.server_cli_output(&["attempt", "show", id])?;
        serde_json::from_str(&shown).with_context(|| format!("attempt show: {shown}"))
    }

    /// Waits up to `secs` for the app to have sent everything (the sync
    /// status shows nothing pending), then [`Harness::attempt_report`] of
    /// this tab's attempt.
    pub async fn synced_report(&self, secs: u64) -> Result<serde_json::Value> {
        self.css_within("[data-testid=\"sync-status\"][data-pending=\"0\"]", secs)
            .await?;
        self.attempt_report(&self.attempt_id().await?)
    }

    /// The media blob `sha256` as the server stored it (its media folder,
    /// `media/` beside the database, `ab/<sha>`); `None`: not stored.
    pub fn server_blob(&self, sha256: &str) -> Result<Option<Vec<u8>>> {
        ensure!(
            sha256.len() == 64 && sha256.bytes().all(|b| b.is_ascii_hexdigit()),
            "not a SHA-256: {sha256:?}"
        );
        let path = self
            ._tmp
            .path()
            .join("media")
            .join(&sha256[..2])
            .join(sha256);
        match std::fs::read(&path) {
            Ok(bytes) => Ok(Some(bytes)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(e).with_context(|| path.display().to_string()),
        }
    }

    /// The attempt's events stored in IndexedDB: `(kind, body)` in order.
    pub async fn stored_events(&self) -> Result<Vec<(String, serde_json::Value)>> {
        let v = self
            .client
            .execute_async(
                r#"const done = arguments[arguments.length - 1];
                   const open = indexedDB.open('vigil');
                   open.onsuccess = () => {
                     const req = open.result.transaction('events').objectStore('events').getAll();
                     req.onsuccess = () => done(req.result.map(j => JSON.parse(j)));
                   };"#,
                vec![],
            )
            .await?;
        Ok(v.as_array()
            .cloned()
            .unwrap_or_default()
            .into_iter()
            .map(|e| {
                (
                    e["kind"].as_str().unwrap_or("").to_owned(),
                    e["body"].clone(),
                )
            })
            .collect())
    }

    /// The body of the first stored event of `kind`.
    /// When the first stored event of `kind` happened (its `at`, ms).
    pub async fn stored_event_at(&self, kind: &str) -> Result<i64> {
        let v = self
            .client
            .execute_async(
                r#"const [kind, done] = arguments;
                   const open = indexedDB.open('vigil');
                   open.onsuccess = () => {
                     const req = open.result.transaction('events').objectStore('events').getAll();
                     req.onsuccess = () => {
                       const e = req.result.map(j => JSON.parse(j)).find(e => e.kind === kind);
                       done(e ? e.at : null);
                     };
                   };"#,
                vec![json!(kind)],
            )
            .await?;
        v.as_i64()
            .ok_or_else(|| anyhow::anyhow!("no {kind} event stored"))
    }

    pub async fn stored_event(&self, kind: &str) -> Result<serde_json::Value> {
        self.stored_events()
            .await?
            .into_iter()
            .find(|(k, _)| k == kind)
            .map(|(_, body)| body)
            .ok_or_else(|| anyhow::anyhow!("no {kind} event stored"))
    }

    pub async fn screenshot(&self, name: &str) -> Result<PathBuf> {
        let png = self.client.screenshot().await?;
        let path = out_dir().join(format!("{name}.png"));
        std::fs::write(&path, png)?;
        Ok(path)
    }

    /// Types the demo login of candidate `n` (with `code` instead of the right one, if given).
    pub async fn fill_login(&self, n: usize, code: Option<&str>) -> Result<()> {
        let c = &self.demo.candidates[n];
        self.testid("login-session")
            .await?
            .send_keys(&self.demo.session)
            .await?;
        self.testid("login-candidate")
            .await?
            .send_keys(&c.id)
            .await?;
        self.testid("login-code")
            .await?
            .send_keys(code.unwrap_or(&c.code))
            .await?;
        Ok(())
    }

    /// Replaces the text of an input as a candidate would: select all,
    /// delete, type. (WebDriver's `clear` fires no input event, so the app's
    /// own copy of the field would come back at its next redraw.)
    pub async fn retype(&self, input: &Element, text: &str) -> Result<()> {
        input.send_keys("\u{E009}a\u{E000}\u{E003}").await?;
        input.send_keys(text).await?;
        Ok(())
    }

    /// Clicks the element with `data-testid=id` once it is enabled.
    pub async fn click(&self, id: &str) -> Result<()> {
        self.css(&format!("[data-testid=\"{id}\"]:not([disabled])"))
            .await?
            .click()
            .await?;
        Ok(())
    }

    /// Signs in as candidate `n` and goes through the steps before the
    /// hour: system check and consent, up to the waiting room.
    pub async fn walk_to_waiting_room(&self, n: usize) -> Result<()> {
        self.open("/").await?;
        self.fill_login(n, None).await?;
        self.click("login-submit").await?;
        self.walk_from_system_check().await
    }

    /// From the system check of a signed-in candidate to the waiting room.
    pub async fn walk_from_system_check(&self) -> Result<()> {
        self.screen("system-check").await?;
        self.css("[data-testid=\"check-camera\"][data-status=\"pass\"]")
            .await?;
        self.click("continue").await?;
        self.screen("consent").await?;
        self.testid("consent-accept").await?.click().await?;
        self.click("continue").await?;
        self.screen("waiting-room").await?;
        Ok(())
    }

    /// Clicks `start-button` in the waiting room and goes through the
    /// identification steps, up to the exam's questions.
    pub async fn start_exam(&self) -> Result<()> {
        self.click("start-button").await?;
        self.identify().await?;
        self.screen("exam").await?;
        Ok(())
    }

    /// From the questions: the review, submit, confirm, up to the finished
    /// screen.
    pub async fn submit_exam(&self) -> Result<()> {
        self.click("review-open").await?;
        self.screen("review").await?;
        self.click("submit").await?;
        self.click("submit-confirm").await?;
        self.screen("finished").await?;
        Ok(())
    }

    /// The identification steps after the start: the ID document and the
    /// face (the clip's face), the head turned left and right (the camera
    /// shows a turned head, [`Harness::camera_show`]), the room scan (it
    /// records for 20 s).
    pub async fn identify(&self) -> Result<()> {
        self.screen("identity").await?;
        self.click("capture-id").await?;
        self.click("continue").await?;
        self.click("capture-face").await?;
        self.head_turn_from_face().await?;
        self.room_scan().await
    }

    /// Keeps the face photo on show, then turns the head on camera to the
    /// left and to the right until the app has seen both sides.
    pub async fn head_turn_from_face(&self) -> Result<()> {
        // The head-turn step opens its own camera stream: the canvas camera
        // is in place before the click that shows it.
        self.camera_show(CameraPicture::TurnedLeft).await?;
        self.click("continue").await?;
        self.css_within("[data-testid=\"head-turn\"]", 20).await?;
        self.css_within("[data-testid=\"head-turn-left\"][data-seen=\"true\"]", 30)
            .await?;
        self.camera_show(CameraPicture::TurnedRight).await?;
        // Both sides seen: the room scan follows at once.
        self.css_within("[data-screen=\"room-scan\"]", 30).await?;
        // Later screens open Chromium's fake camera again.
        self.camera_release().await
    }

    /// The room scan: start, 20 s of recording, keep.
    pub async fn room_scan(&self) -> Result<()> {
        self.screen("room-scan").await?;
        self.click("room-scan-start").await?;
        self.client
            .wait()
            .at_most(Duration::from_secs(40))
            .for_element(Locator::Css("[data-testid=\"room-scan-done\"]"))
            .await
            .context("waiting for the end of the room scan")?
            .click()
            .await?;
        Ok(())
    }

    /// From now on, a camera the app opens shows `picture`: a canvas
    /// `captureStream()` in place of `getUserMedia`'s video (its audio
    /// still Chromium's fake microphone), which the app cannot tell from a
    /// webcam. It holds across reloads (the page's session storage keeps
    /// the picture, a script set through DevTools puts the canvas back
    /// before the app runs). A stream already open keeps what it showed.
    pub async fn camera_show(&self, picture: CameraPicture) -> Result<()> {
        use std::sync::atomic::Ordering;
        if !self.canvas_camera.swap(true, Ordering::SeqCst) {
            self.client
                .issue_cmd(Cdp {
                    cmd: "Page.addScriptToEvaluateOnNewDocument",
                    params: json!({ "source": CANVAS_CAMERA }),
                })
                .await
                .context("installing the canvas camera")?;
        }
        let (path, crop, mirror) = picture.source();
        let bytes = std::fs::read(root().join(path)).with_context(|| format!("reading {path}"))?;
        let mime = if path.ends_with(".png") {
            "image/png"
        } else {
            "image/jpeg"
        };
        let url = format!(
            "data:{mime};base64,{}",
            base64::engine::Engine::encode(&base64::engine::general_purpose::STANDARD, bytes)
        );
        self.client
            .execute_async(
                &format!(
                    "{CANVAS_CAMERA}\nconst [url, crop, mirror, done] = arguments;\n\
                     window.__vigilCam.show({{ url, crop, mirror, active: true }}).then(() => done(true));"
                ),
                vec![json!(url), json!(crop), json!(mirror)],
            )
            .await?;
        Ok(())
    }

    /// From now on every page keeps the media tracks the app is granted
    /// ([`Harness::live_tracks`]); install before the page opens.
    pub async fn watch_media(&self) -> Result<()> {
        self.client
            .issue_cmd(Cdp {
                cmd: "Page.addScriptToEvaluateOnNewDocument",
                params: json!({ "source": MEDIA_WATCH }),
            })
            .await
            .context("installing the media watch")?;
        Ok(())
    }

    /// The kinds (`video`, `audio`) of the granted tracks still live: a
    /// camera or microphone the app left on.
    pub async fn live_tracks(&self) -> Result<Vec<String>> {
        let v = self
            .js(
                "return (window.__vigilMedia ? window.__vigilMedia.tracks : [])\
                 .filter(t => t.readyState === 'live').map(t => t.kind)",
            )
            .await?;
        Ok(serde_json::from_value(v)?)
    }

    /// Cameras the app opens from now on are Chromium's fake camera again.
    pub async fn camera_release(&self) -> Result<()> {
        self.js("sessionStorage.removeItem('vigil-test-camera'); \
             if (window.__vigilCam) window.__vigilCam.active = false; return true")
            .await?;
        Ok(())
    }

    /// Waits up to `secs` for a CSS selector (for steps that take time).
    pub async fn css_within(&self, selector: &str, secs: u64) -> Result<Element> {
        self.client
            .wait()
            .at_most(Duration::from_secs(secs))
            .for_element(Locator::Css(selector))
            .await
            .with_context(|| format!("waiting {secs} s for `{selector}`"))
    }

    /// Ends a test: on failure a screenshot `<name>-failure.png`, then the
    /// browser, chromedriver and server are stopped, then the failure is raised.
    pub async fn finish(mut self, name: &str, result: Result<()>) {
        if let Err(e) = &result {
            match self.screenshot(&format!("{name}-failure")).await {
                Ok(p) => eprintln!("screenshot of the failure: {}", p.display()),
                Err(se) => eprintln!("no screenshot ({se:#})"),
            }
            eprintln!("{name} failed: {e:#}");
        }
        let _ = self.client.clone().close().await;
        self.stop_server();
        if let Err(e) = result {
            panic!("{name}: {e:#}");
        }
    }
}

impl Drop for Harness {
    fn drop(&mut self) {
        self.stop_server();
        // chromedriver and the Chromium it started share a process group.
        kill_group(&mut self.driver);
    }
}
