//! The locked browser: finding Chromium, Chrome or Edge, the throw-away
//! profile with its restrictive preferences, and the command line.
//!
//! Managed policy (`/etc/chromium/policies/managed`, the Windows registry,
//! macOS configuration profiles) is the only lock a user cannot undo, and it
//! needs the machine's administrator: the launcher does not write system
//! places. It writes instead the same settings as *preferences of the fresh
//! profile*, which Chromium 156 honours (checked by hand: the URL allow-list
//! answers `ERR_BLOCKED_BY_ADMINISTRATOR`, and `devtools.availability = 2`
//! makes DevTools unavailable even to `--dump-dom`). A candidate who can
//! edit files during the exam could undo them; [`managed_policy`] prints the
//! equivalent policy file for operators who own the machines.
//!
//! **No secret on the command line.** Any local account can read a
//! process's command line (`/proc/PID/cmdline`, `ps`), so the browser is
//! not given the exam URL with its fragment (which carries the link's
//! secret). It is given a start page inside the profile folder
//! ([`Profile::write_start_page`], `file:///…/vigil-kiosk-start.html`):
//! the folder is private to the launcher's account (0700 on Unix, the file
//! 0600), and the page replaces itself with the exam URL, fragment
//! included. The launcher deletes the page as soon as the app has reached
//! the link. Only the page's path, no secret, is on the command line.
//!
//! **Only our own folders are wiped.** Every profile the launcher creates
//! carries a marker file ([`MARKER`]: a random id and the creation time);
//! `--resume-profile` accepts only a folder with a valid marker, and a wipe
//! checks that the marker still holds the id this run read or wrote, so a
//! mistyped or swapped path can never make the launcher delete a folder
//! that is not one of its profiles. A wipe that fails is an error naming
//! the folder, never silence.

use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use anyhow::Context;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use vigil_contracts::kiosk::LINK_PARAM;

use crate::config::Config;

/// The marker file at the top of every profile the launcher creates.
pub const MARKER: &str = "vigil-kiosk-profile.json";

/// The start page the browser opens (see the module docs).
pub const START_PAGE: &str = "vigil-kiosk-start.html";

/// Bumped if the marker's shape changes.
pub const MARKER_FORMAT: u32 = 1;

/// Where Chromium-family browsers live, most specific first.
pub fn candidate_paths() -> Vec<PathBuf> {
    let mut paths: Vec<PathBuf> = Vec::new();
    #[cfg(target_os = "linux")]
    paths.extend(
        [
            "/usr/bin/chromium",
            "/usr/bin/chromium-browser",
            "/snap/bin/chromium",
            "/usr/bin/google-chrome-stable",
            "/usr/bin/google-chrome",
            "/usr/bin/microsoft-edge-stable",
            "/usr/bin/microsoft-edge",
        ]
        .map(PathBuf::from),
    );
    #[cfg(target_os = "macos")]
    paths.extend(
        [
            "/Applications/Chromium.app/Contents/MacOS/Chromium",
            "/Applications/Google Chrome.app/Contents/MacOS/Google Chrome",
            "/Applications/Microsoft Edge.app/Contents/MacOS/Microsoft Edge",
        ]
        .map(PathBuf::from),
    );
    #[cfg(windows)]
    for var in ["ProgramFiles", "ProgramFiles(x86)", "LocalAppData"] {
        if let Some(base) = std::env::var_os(var) {
            let base = PathBuf::from(base);
            paths.push(base.join(r"Google\Chrome\Application\chrome.exe"));
            paths.push(base.join(r"Microsoft\Edge\Application\msedge.exe"));
            paths.push(base.join(r"Chromium\Application\chrome.exe"));
        }
    }
    paths
}

/// Executable names looked up in `PATH` after the well-known places.
const PATH_NAMES: &[&str] = &[
    "chromium",
    "chromium-browser",
    "google-chrome-stable",
    "google-chrome",
    "chrome",
    "microsoft-edge",
    "msedge",
];

/// The browser to start: `explicit` (command line or configuration) if
/// given — it must exist —, else the first well-known path, else `PATH`.
pub fn find_browser(explicit: Option<&Path>) -> anyhow::Result<PathBuf> {
    if let Some(path) = explicit {
        anyhow::ensure!(
            path.is_file(),
            "navigateur introuvable : {} n'existe pas (option --browser ou browser.path)",
            path.display()
        );
        return Ok(path.to_owned());
    }
    if let Some(found) = candidate_paths().into_iter().find(|p| p.is_file()) {
        return Ok(found);
    }
    let suffix = if cfg!(windows) { ".exe" } else { "" };
    if let Some(path) = std::env::var_os("PATH") {
        for dir in std::env::split_paths(&path) {
            for name in PATH_NAMES {
                let candidate = dir.join(format!("{name}{suffix}"));
                if candidate.is_file() {
                    return Ok(candidate);
                }
            }
        }
    }
    anyhow::bail!(
        "aucun navigateur Chromium, Chrome ou Edge trouvé ; indiquez-le avec --browser CHEMIN"
    )
}

/// The origin of an exam URL as Chromium patterns want it
/// (`https://exam.example:443` keeps its port only when not the default).
pub fn origin_of(url: &url::Url) -> anyhow::Result<String> {
    anyhow::ensure!(
        matches!(url.scheme(), "http" | "https"),
        "--url doit être une adresse http ou https, pas {}",
        url.scheme()
    );
    let origin = url.origin();
    anyhow::ensure!(origin.is_tuple(), "--url {url} n'a pas d'origine");
    Ok(origin.ascii_serialization())
}

/// The exam URL the browser opens: `url` with the config key in the
/// fragment (`#vigil-config-key=…`), replacing any fragment it had. The
/// fragment never leaves the browser; the app reads it and sends the key
/// in the `X-Vigil-Config-Key` header.
///
/// With a [`crate::link::Link`], its `PORT.SECRET` follows as
/// `&vigil-kiosk-link=…`: the app reads the machine report there and tells
/// the launcher when everything is sent. This URL carries a secret: it goes
/// into the start page ([`Profile::write_start_page`]), never on a command
/// line.
pub fn launch_url(url: &url::Url, key: &str, link: Option<&str>) -> String {
    let mut url = url.clone();
    let fragment = match link {
        Some(link) => format!("vigil-config-key={key}&{LINK_PARAM}={link}"),
        None => format!("vigil-config-key={key}"),
    };
    url.set_fragment(Some(&fragment));
    url.to_string()
}

/// The settings of the lock, as Chromium policy names and values. The same
/// set is written as profile preferences ([`preferences`]) and printed as a
/// managed policy file ([`managed_policy`]).
pub fn managed_policy(config: &Config, origin: &str) -> Value {
    let media = |allowed: bool| if allowed { json!([origin]) } else { json!([]) };
    json!({
        "DeveloperToolsAvailability": 2,
        "ExtensionInstallBlocklist": ["*"],
        "DownloadRestrictions": 3,
        "PrintingEnabled": false,
        "PasswordManagerEnabled": false,
        "AutofillAddressEnabled": false,
        "AutofillCreditCardEnabled": false,
        "TranslateEnabled": false,
        "BrowserSignin": 0,
        "SyncDisabled": true,
        "IncognitoModeAvailability": 1,
        "URLBlocklist": ["*"],
        "URLAllowlist": [origin],
        "DefaultNotificationsSetting": 2,
        "DefaultGeolocationSetting": 2,
        "DefaultPopupsSetting": 2,
        "VideoCaptureAllowed": config.media.camera,
        "AudioCaptureAllowed": config.media.microphone,
        "VideoCaptureAllowedUrls": media(config.media.camera),
        "AudioCaptureAllowedUrls": media(config.media.microphone),
    })
}

/// `Default/Preferences` of the fresh profile: the preference behind each
/// policy of [`managed_policy`] that Chromium reads from a profile, plus the
/// camera and microphone allowed for the exam origin only.
///
/// `also_allowed` (the launcher's loopback origin, so the page can reach
/// it, and the start page's `file://` URL) is allowed beside the exam's
/// origin.
pub fn preferences(config: &Config, origin: &str, also_allowed: &[&str]) -> Value {
    let allowed: Vec<&str> = std::iter::once(origin)
        .chain(also_allowed.iter().copied())
        .collect();
    let pattern = format!("{origin},*");
    let allow = |on: bool| {
        if on {
            json!({ pattern.clone(): { "setting": 1 } })
        } else {
            json!({})
        }
    };
    json!({
        "devtools": { "availability": 2 },
        "download_restrictions": 3,
        "download": { "prompt_for_download": false },
        "printing": { "enabled": false },
        "credentials_enable_service": false,
        "credentials_enable_autosignin": false,
        "autofill": { "profile_enabled": false, "credit_card_enabled": false },
        "translate": { "enabled": false },
        "browser": { "check_default_browser": false, "show_home_button": false },
        "signin": { "allowed": false },
        "policy": {
            "url_blocklist": ["*"],
            "url_allowlist": allowed,
        },
        "profile": {
            "password_manager_enabled": false,
            "default_content_setting_values": {
                "media_stream_camera": 2,
                "media_stream_mic": 2,
                "notifications": 2,
                "geolocation": 2,
                "popups": 2,
            },
            "content_settings": { "exceptions": {
                "media_stream_camera": allow(config.media.camera),
                "media_stream_mic": allow(config.media.microphone),
            } },
        },
    })
}

/// What [`MARKER`] holds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Marker {
    pub format: u32,
    /// 128 random bits, hex.
    pub id: String,
    /// Seconds since the Unix epoch.
    pub created_at: u64,
    /// `vigil-kiosk VERSION` that created the profile.
    pub launcher: String,
}

impl Marker {
    fn new() -> anyhow::Result<Marker> {
        let mut bytes = [0u8; 16];
        getrandom::getrandom(&mut bytes)
            .map_err(|e| anyhow::anyhow!("pas d'aléa pour l'identifiant du profil : {e}"))?;
        Ok(Marker {
            format: MARKER_FORMAT,
            id: hex::encode(bytes),
            created_at: SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .map_or(0, |d| d.as_secs()),
            launcher: crate::config::launcher_version(),
        })
    }

    /// The marker of the profile in `dir`: a regular file (not a link),
    /// of the known shape, with an id of 32 hex characters.
    pub fn read(dir: &Path) -> anyhow::Result<Marker> {
        let path = dir.join(MARKER);
        let meta = std::fs::symlink_metadata(&path)
            .with_context(|| format!("{} illisible", path.display()))?;
        anyhow::ensure!(meta.is_file(), "{} n'est pas un fichier", path.display());
        let text = std::fs::read_to_string(&path)
            .with_context(|| format!("{} illisible", path.display()))?;
        let marker: Marker = serde_json::from_str(&text)
            .with_context(|| format!("{} n'est pas un marqueur de vigil-kiosk", path.display()))?;
        anyhow::ensure!(
            marker.format == MARKER_FORMAT
                && marker.id.len() == 32
                && marker.id.bytes().all(|b| b.is_ascii_hexdigit()),
            "{} n'est pas un marqueur de vigil-kiosk valide",
            path.display()
        );
        Ok(marker)
    }
}

/// Attempts at removing a profile, [`WIPE_RETRY`] apart: helper processes
/// of a browser that was just killed may still be writing in it.
const WIPE_ATTEMPTS: u32 = 5;
const WIPE_RETRY: Duration = Duration::from_millis(300);

/// A browser profile in a folder of its own, with the [`MARKER`] of the
/// launcher. It is removed only by [`Profile::wipe`] (which reports
/// failures), except a fresh profile no browser ever ran in, which is
/// removed when dropped (the launch failed before it held anything).
pub struct Profile {
    path: PathBuf,
    id: String,
    /// Fresh, and no browser started in it yet: nothing of value inside.
    wipe_on_drop: bool,
    resumed: bool,
}

impl Profile {
    /// A fresh profile in a new temporary folder (0700 on Unix): the
    /// marker, the preferences (see [`preferences`]; the start page is
    /// allowed beside `also_allowed`) and the "First Run" file.
    pub fn create(config: &Config, origin: &str, also_allowed: &[&str]) -> anyhow::Result<Profile> {
        let path = tempfile::Builder::new()
            .prefix("vigil-kiosk-")
            .tempdir()
            .context("dossier temporaire du profil impossible à créer")?
            .keep();
        // From here the folder is ours to remove (Drop), also on an error.
        let marker = Marker::new()?;
        let profile = Profile {
            path,
            id: marker.id.clone(),
            wipe_on_drop: true,
            resumed: false,
        };
        make_private(&profile.path)?;
        let marker_json = serde_json::to_string_pretty(&marker)?;
        write_private(&profile.path.join(MARKER), marker_json.as_bytes())?;
        let default = profile.path.join("Default");
        std::fs::create_dir_all(&default)
            .with_context(|| format!("{} impossible à créer", default.display()))?;
        profile.write_preferences(config, origin, also_allowed)?;
        // Marks the first run as done, like --no-first-run, for builds that
        // look for the file.
        write_private(&profile.path.join("First Run"), b"")?;
        Ok(profile)
    }

    /// A profile an earlier run kept (`--resume-profile`), to finish the
    /// exam or its sending. Only a folder carrying a valid [`MARKER`] is
    /// accepted; anything else is refused before anything is written or
    /// deleted. The preferences are written again (the link's port is new),
    /// the app's data stays. Wiped only by [`Profile::wipe`].
    pub fn reuse(
        dir: &Path,
        config: &Config,
        origin: &str,
        also_allowed: &[&str],
    ) -> anyhow::Result<Profile> {
        let refuse = |why: String| {
            anyhow::anyhow!(
                "{} n'est pas un profil créé par vigil-kiosk ({why}) : refusé, rien n'a été \
                 modifié ni effacé",
                dir.display()
            )
        };
        let path = std::fs::canonicalize(dir).map_err(|e| refuse(e.to_string()))?;
        if !path.is_dir() {
            return Err(refuse("pas un dossier".into()));
        }
        let marker = Marker::read(&path).map_err(|e| refuse(format!("{e:#}")))?;
        let profile = Profile {
            path,
            id: marker.id,
            wipe_on_drop: false,
            resumed: true,
        };
        make_private(&profile.path)?;
        let default = profile.path.join("Default");
        std::fs::create_dir_all(&default)
            .with_context(|| format!("{} impossible à créer", default.display()))?;
        profile.write_preferences(config, origin, also_allowed)?;
        Ok(profile)
    }

    fn write_preferences(
        &self,
        config: &Config,
        origin: &str,
        also_allowed: &[&str],
    ) -> anyhow::Result<()> {
        let start = self.start_url()?;
        let allowed: Vec<&str> = also_allowed
            .iter()
            .copied()
            .chain(std::iter::once(start.as_str()))
            .collect();
        let prefs = serde_json::to_string_pretty(&preferences(config, origin, &allowed))?;
        write_private(
            &self.path.join("Default").join("Preferences"),
            prefs.as_bytes(),
        )
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The marker's id.
    pub fn id(&self) -> &str {
        &self.id
    }

    /// Whether this profile was kept by an earlier run (`--resume-profile`).
    pub fn resumed(&self) -> bool {
        self.resumed
    }

    /// The start page's `file://` URL: what goes on the command line.
    pub fn start_url(&self) -> anyhow::Result<url::Url> {
        let page = self.path.join(START_PAGE);
        url::Url::from_file_path(&page)
            .map_err(|()| anyhow::anyhow!("{} n'a pas d'adresse file://", page.display()))
    }

    /// Writes the start page (0600 on Unix): it replaces itself with
    /// `target`, the exam URL whose fragment carries the config key and the
    /// link's secret. Returns the page's `file://` URL.
    pub fn write_start_page(&self, target: &str) -> anyhow::Result<url::Url> {
        write_private(&self.path.join(START_PAGE), start_page(target).as_bytes())?;
        self.start_url()
    }

    /// Deletes the start page (the app has found the link; a reload opens
    /// the exam URL, not the page). Already gone is fine.
    pub fn remove_start_page(&self) -> anyhow::Result<()> {
        let page = self.path.join(START_PAGE);
        match std::fs::remove_file(&page) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
                Err(e).with_context(|| format!("{} impossible à effacer", page.display()))
            }
            _ => Ok(()),
        }
    }

    /// A browser was started in the profile: from now on it may hold exam
    /// data, and only [`Profile::wipe`] removes it.
    pub fn browser_started(&mut self) {
        self.wipe_on_drop = false;
    }

    /// Leaves the profile on disk (the exam's unsynced data lives there).
    pub fn keep(mut self) -> PathBuf {
        self.wipe_on_drop = false;
        std::mem::take(&mut self.path)
    }

    /// Removes the profile, after checking that the folder still carries
    /// the marker this run read or wrote. Any failure is an error naming
    /// the folder; whatever could not be removed stays there.
    pub fn wipe(mut self) -> anyhow::Result<()> {
        self.wipe_on_drop = false;
        let path = std::mem::take(&mut self.path);
        let failed = |why: String| {
            anyhow::anyhow!(
                "le profil {} n'a pas pu être effacé : {why} ; effacez-le à la main s'il ne \
                 contient plus rien d'utile",
                path.display()
            )
        };
        match Marker::read(&path) {
            Ok(m) if m.id == self.id => {}
            Ok(_) => return Err(failed("son marqueur a changé, rien n'a été effacé".into())),
            Err(e) => return Err(failed(format!("{e:#}, rien n'a été effacé"))),
        }
        let mut attempt = 1;
        loop {
            match std::fs::remove_dir_all(&path) {
                Ok(()) => return Ok(()),
                Err(e) if e.kind() == std::io::ErrorKind::NotFound && !path.exists() => {
                    return Ok(())
                }
                Err(e) if attempt >= WIPE_ATTEMPTS => return Err(failed(e.to_string())),
                Err(_) => {
                    attempt += 1;
                    std::thread::sleep(WIPE_RETRY);
                }
            }
        }
    }
}

impl Drop for Profile {
    fn drop(&mut self) {
        if self.wipe_on_drop {
            if let Err(e) = std::fs::remove_dir_all(&self.path) {
                eprintln!(
                    "erreur : le profil temporaire {} n'a pas pu être effacé : {e}",
                    self.path.display()
                );
            }
        }
    }
}

/// Restricts a profile folder to the launcher's account (0700 on Unix; on
/// Windows a folder under the user's temporary folder is already private).
fn make_private(dir: &Path) -> anyhow::Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700))
            .with_context(|| format!("droits de {} impossibles à restreindre", dir.display()))?;
    }
    #[cfg(not(unix))]
    let _ = dir;
    Ok(())
}

/// Writes a file only the launcher's account can read (0600 on Unix),
/// replacing it if it exists; errors name the file.
fn write_private(path: &Path, bytes: &[u8]) -> anyhow::Result<()> {
    use std::io::Write;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    options
        .open(path)
        .and_then(|mut f| f.write_all(bytes))
        .with_context(|| format!("{} impossible à écrire", path.display()))
}

/// The start page: it replaces itself (no history entry to go back to)
/// with `target`. The URL is written as a JSON string with `<` escaped, so
/// it cannot end the script whatever it contains.
pub fn start_page(target: &str) -> String {
    let js = serde_json::Value::String(target.to_string())
        .to_string()
        .replace('<', "\\u003c");
    format!(
        "<!doctype html><meta charset=\"utf-8\"><meta name=\"referrer\" content=\"no-referrer\">\
         <title>Vigil</title><script>location.replace({js});</script>\n"
    )
}

/// Whether this process runs as root (Chromium then refuses its sandbox).
pub fn running_as_root() -> bool {
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        std::fs::metadata("/proc/self").is_ok_and(|m| m.uid() == 0)
    }
    #[cfg(not(unix))]
    false
}

/// Everything that shapes the command line.
pub struct Launch<'a> {
    pub config: &'a Config,
    pub profile: &'a Path,
    /// The page the browser opens: the profile's start page, never a URL
    /// that carries a secret (the command line is public).
    pub start: &'a str,
    pub headless: bool,
    pub no_sandbox: bool,
}

/// The browser's arguments. Each flag is there for a reason:
///
/// - `--kiosk --app=START`: full screen, no address bar, tabs or menus;
///   `START` is the profile's start page, which opens the exam.
/// - `--user-data-dir`: the fresh profile, never the user's own.
/// - `--no-first-run`, `--no-default-browser-check`, `--noerrdialogs`,
///   `--disable-session-crashed-bubble`: no dialog over the exam.
/// - `--disable-extensions`, `--disable-default-apps`: no extension runs.
/// - `--disable-sync`, `--disable-background-networking`,
///   `--disable-component-update`, `--disable-features=Translate`: no
///   traffic or prompt beside the exam's own.
/// - `--password-store=basic`: no desktop keyring prompt on Linux.
///
/// Not `--incognito`: an off-the-record profile keeps IndexedDB in memory
/// only, so a browser crash would lose unsynced answers, and it turns the
/// camera exception into a prompt. The profile is temporary anyway.
pub fn arguments(launch: &Launch) -> Vec<String> {
    let mut args = vec![
        format!("--user-data-dir={}", launch.profile.display()),
        "--no-first-run".into(),
        "--no-default-browser-check".into(),
        "--noerrdialogs".into(),
        "--disable-session-crashed-bubble".into(),
        "--disable-extensions".into(),
        "--disable-default-apps".into(),
        "--disable-sync".into(),
        "--disable-background-networking".into(),
        "--disable-component-update".into(),
        "--disable-features=Translate".into(),
        "--password-store=basic".into(),
    ];
    if launch.no_sandbox {
        args.push("--no-sandbox".into());
    }
    args.extend(launch.config.browser.extra_args.iter().cloned());
    if launch.headless {
        // Headless Chromium has no app window: the URL is opened as a page.
        args.push("--headless".into());
        args.push(launch.start.to_string());
    } else {
        args.push("--kiosk".into());
        args.push(format!("--app={}", launch.start));
    }
    args
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_origin_keeps_only_a_non_default_port() {
        let o = |s: &str| origin_of(&url::Url::parse(s).unwrap()).unwrap();
        assert_eq!(o("https://exam.example/a?b#c"), "https://exam.example");
        assert_eq!(o("http://127.0.0.1:8080/"), "http://127.0.0.1:8080");
        assert!(origin_of(&url::Url::parse("file:///etc/passwd").unwrap()).is_err());
    }

    #[test]
    fn the_key_replaces_the_fragment() {
        let url = url::Url::parse("http://127.0.0.1:8080/exam?x=1#old").unwrap();
        assert_eq!(
            launch_url(&url, "ab12", None),
            "http://127.0.0.1:8080/exam?x=1#vigil-config-key=ab12"
        );
        assert_eq!(
            launch_url(&url, "ab12", Some("4100.00ff")),
            "http://127.0.0.1:8080/exam?x=1#vigil-config-key=ab12&vigil-kiosk-link=4100.00ff"
        );
    }

    #[test]
    fn the_link_origin_is_allowed_beside_the_exam() {
        let p = preferences(
            &Config::default(),
            "https://exam.example",
            &["http://127.0.0.1:4100"],
        );
        assert_eq!(
            p["policy"]["url_allowlist"],
            json!(["https://exam.example", "http://127.0.0.1:4100"])
        );
    }

    #[test]
    fn preferences_lock_the_profile_to_the_origin() {
        let origin = "https://exam.example";
        let p = preferences(&Config::default(), origin, &[]);
        assert_eq!(p["devtools"]["availability"], 2);
        assert_eq!(p["download_restrictions"], 3);
        assert_eq!(p["printing"]["enabled"], false);
        assert_eq!(p["credentials_enable_service"], false);
        assert_eq!(p["policy"]["url_blocklist"], json!(["*"]));
        assert_eq!(p["policy"]["url_allowlist"], json!([origin]));
        let ex = &p["profile"]["content_settings"]["exceptions"];
        assert_eq!(
            ex["media_stream_camera"]["https://exam.example,*"]["setting"],
            1
        );
        assert_eq!(
            p["profile"]["default_content_setting_values"]["media_stream_mic"],
            2
        );

        let mut config = Config::default();
        config.media.camera = false;
        let p = preferences(&config, origin, &[]);
        assert_eq!(
            p["profile"]["content_settings"]["exceptions"]["media_stream_camera"],
            json!({})
        );
        assert_eq!(
            managed_policy(&config, origin)["VideoCaptureAllowed"],
            false
        );
    }

    #[test]
    fn the_profile_is_written_and_wiped() {
        let origin = "https://exam.example";
        let profile = Profile::create(&Config::default(), origin, &[]).unwrap();
        let path = profile.path().to_owned();
        let prefs = std::fs::read_to_string(path.join("Default/Preferences")).unwrap();
        assert!(prefs.contains("url_allowlist"));
        // The start page is allowed, and only it among file:// URLs.
        let start = profile.start_url().unwrap();
        assert!(start.as_str().starts_with("file:///"), "{start}");
        assert!(prefs.contains(start.as_str()), "{prefs}");
        let marker = Marker::read(&path).unwrap();
        assert_eq!(marker.id, profile.id());
        assert_eq!(marker.id.len(), 32);
        assert!(marker.created_at > 1_700_000_000);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
            assert_eq!(mode(&path), 0o700);
            assert_eq!(mode(&path.join(MARKER)), 0o600);
            assert_eq!(mode(&path.join("Default/Preferences")), 0o600);
        }
        profile.wipe().unwrap();
        assert!(!path.exists());

        // A fresh profile no browser ran in goes with a failed launch.
        let profile = Profile::create(&Config::default(), origin, &[]).unwrap();
        let path = profile.path().to_owned();
        drop(profile);
        assert!(!path.exists());

        // Once a browser ran in it, only wipe() removes it.
        let mut profile = Profile::create(&Config::default(), origin, &[]).unwrap();
        profile.browser_started();
        let path = profile.path().to_owned();
        drop(profile);
        assert!(path.exists());
        std::fs::remove_dir_all(&path).unwrap();

        let profile = Profile::create(&Config::default(), origin, &[]).unwrap();
        let kept = profile.keep();
        assert!(kept.exists());
        std::fs::write(kept.join("Default/exam-data"), "answers").unwrap();

        // Resumed: new preferences, the data stays, wiped only on request.
        let link = "http://127.0.0.1:4100";
        let resumed = Profile::reuse(&kept, &Config::default(), origin, &[link]).unwrap();
        assert!(resumed.resumed());
        let prefs = std::fs::read_to_string(kept.join("Default/Preferences")).unwrap();
        assert!(prefs.contains(link), "{prefs}");
        assert!(kept.join("Default/exam-data").exists());
        drop(resumed);
        assert!(
            kept.join("Default/exam-data").exists(),
            "dropped, not wiped"
        );
        let resumed = Profile::reuse(&kept, &Config::default(), origin, &[link]).unwrap();
        resumed.wipe().unwrap();
        assert!(!kept.exists());
    }

    /// Every file of `dir` with its content, to show nothing changed.
    fn snapshot(dir: &Path) -> Vec<(PathBuf, Vec<u8>)> {
        let mut out = Vec::new();
        let mut todo = vec![dir.to_owned()];
        while let Some(d) = todo.pop() {
            for e in std::fs::read_dir(&d).unwrap() {
                let p = e.unwrap().path();
                if p.is_dir() {
                    todo.push(p);
                } else {
                    out.push((p.clone(), std::fs::read(&p).unwrap()));
                }
            }
        }
        out.sort();
        out
    }

    #[test]
    fn only_a_folder_with_the_marker_can_be_resumed() {
        let origin = "https://exam.example";
        // Looks like a Chromium profile, but no marker: refused, untouched.
        let other = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(other.path().join("Default")).unwrap();
        std::fs::write(other.path().join("Default/Preferences"), "{}").unwrap();
        std::fs::write(other.path().join("thesis.odt"), "years of work").unwrap();
        let before = snapshot(other.path());
        let err = Profile::reuse(other.path(), &Config::default(), origin, &[])
            .err()
            .unwrap();
        let msg = format!("{err:#}");
        assert!(msg.contains("pas un profil créé par vigil-kiosk"), "{msg}");
        assert!(msg.contains(&other.path().display().to_string()), "{msg}");
        assert!(msg.contains(MARKER), "{msg}");
        assert_eq!(snapshot(other.path()), before);

        // A marker of another shape, or a link to one: refused too.
        let kept = Profile::create(&Config::default(), origin, &[])
            .unwrap()
            .keep();
        std::fs::write(other.path().join(MARKER), r#"{"id":"x"}"#).unwrap();
        let before = snapshot(other.path());
        assert!(Profile::reuse(other.path(), &Config::default(), origin, &[]).is_err());
        assert_eq!(snapshot(other.path()), before);
        #[cfg(unix)]
        {
            std::fs::remove_file(other.path().join(MARKER)).unwrap();
            std::os::unix::fs::symlink(kept.join(MARKER), other.path().join(MARKER)).unwrap();
            let before = snapshot(other.path());
            assert!(Profile::reuse(other.path(), &Config::default(), origin, &[]).is_err());
            assert_eq!(snapshot(other.path()), before);
        }
        let missing = other.path().join("nope");
        let err = Profile::reuse(&missing, &Config::default(), origin, &[])
            .err()
            .unwrap();
        assert!(err.to_string().contains(&missing.display().to_string()));
        std::fs::remove_dir_all(kept).unwrap();
    }

    #[test]
    fn a_failed_wipe_is_an_error_naming_the_folder() {
        let origin = "https://exam.example";
        // The folder was swapped for something else: nothing is removed.
        let profile = Profile::create(&Config::default(), origin, &[]).unwrap();
        let path = profile.path().to_owned();
        std::fs::remove_dir_all(&path).unwrap();
        std::fs::write(&path, "not a folder").unwrap();
        let err = format!("{:#}", profile.wipe().unwrap_err());
        assert!(err.contains(&path.display().to_string()), "{err}");
        assert!(err.contains("n'a pas pu être effacé"), "{err}");
        assert!(path.is_file());
        std::fs::remove_file(&path).unwrap();

        // Another marker id (a different profile at that path): refused.
        let profile = Profile::create(&Config::default(), origin, &[]).unwrap();
        let path = profile.path().to_owned();
        let mut marker = Marker::read(&path).unwrap();
        marker.id = "0".repeat(32);
        std::fs::write(path.join(MARKER), serde_json::to_string(&marker).unwrap()).unwrap();
        let err = format!("{:#}", profile.wipe().unwrap_err());
        assert!(err.contains("marqueur a changé"), "{err}");
        assert!(path.join("Default").exists());
        std::fs::remove_dir_all(&path).unwrap();

        // A file the system will not let go: the removal itself fails.
        let profile = Profile::create(&Config::default(), origin, &[]).unwrap();
        let path = profile.path().to_owned();
        let Some(undo) = make_undeletable(&path.join("Default")) else {
            eprintln!("cannot make a file undeletable here: that case is skipped");
            std::fs::remove_dir_all(&path).unwrap();
            return;
        };
        let err = format!("{:#}", profile.wipe().unwrap_err());
        undo();
        assert!(err.contains(&path.display().to_string()), "{err}");
        assert!(path.exists());
        std::fs::remove_dir_all(&path).unwrap();
    }

    /// Makes `dir` hold a file that cannot be removed: a read-only folder
    /// for an ordinary account, an immutable file (`chattr +i`) for root.
    /// Returns how to undo it, or `None` when neither works here.
    fn make_undeletable(dir: &Path) -> Option<Box<dyn FnOnce()>> {
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let file = dir.join("locked");
            std::fs::write(&file, "x").ok()?;
            if running_as_root() {
                let ok = std::process::Command::new("chattr")
                    .arg("+i")
                    .arg(&file)
                    .status()
                    .is_ok_and(|s| s.success());
                return ok.then(|| {
                    Box::new(move || {
                        let _ = std::process::Command::new("chattr")
                            .arg("-i")
                            .arg(&file)
                            .status();
                    }) as Box<dyn FnOnce()>
                });
            }
            let dir = dir.to_owned();
            std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o500)).ok()?;
            Some(Box::new(move || {
                let _ = std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o700));
            }))
        }
        #[cfg(not(unix))]
        {
            let _ = dir;
            None
        }
    }

    #[test]
    fn the_start_page_opens_the_exam_and_cannot_be_broken_out_of() {
        let page = start_page("https://exam.example/a'b</script>#vigil-kiosk-link=1.ff");
        assert!(
            page.contains(r#"location.replace("https://exam.example/a'b\u003c/script>#vigil-kiosk-link=1.ff")"#),
            "{page}"
        );
        assert_eq!(page.matches("</script>").count(), 1);

        let profile = Profile::create(&Config::default(), "https://exam.example", &[]).unwrap();
        let url = profile
            .write_start_page("https://exam.example/#vigil-kiosk-link=1.ff")
            .unwrap();
        let file = url.to_file_path().unwrap();
        assert_eq!(file, profile.path().join(START_PAGE));
        assert!(std::fs::read_to_string(&file)
            .unwrap()
            .contains("vigil-kiosk-link=1.ff"));
        profile.remove_start_page().unwrap();
        assert!(!file.exists());
        profile.remove_start_page().unwrap();
        profile.wipe().unwrap();
    }

    #[test]
    fn kiosk_mode_uses_an_app_window_and_headless_a_page() {
        let config = Config::default();
        let launch = Launch {
            config: &config,
            profile: Path::new("/tmp/p"),
            start: "file:///tmp/p/vigil-kiosk-start.html",
            headless: false,
            no_sandbox: false,
        };
        let args = arguments(&launch);
        assert!(args.contains(&"--kiosk".to_string()));
        assert!(args.contains(&"--app=file:///tmp/p/vigil-kiosk-start.html".to_string()));
        assert!(args.contains(&"--user-data-dir=/tmp/p".to_string()));
        assert!(!args
            .iter()
            .any(|a| a == "--no-sandbox" || a == "--incognito"));
        let args = arguments(&Launch {
            headless: true,
            no_sandbox: true,
            ..launch
        });
        assert!(args.contains(&"--headless".to_string()));
        assert!(args.contains(&"--no-sandbox".to_string()));
        assert_eq!(args.last().unwrap(), "file:///tmp/p/vigil-kiosk-start.html");
    }

    #[test]
    fn an_explicit_browser_must_exist() {
        let e = find_browser(Some(Path::new("/nonexistent/chrome"))).unwrap_err();
        assert!(e.to_string().contains("/nonexistent/chrome"));
    }
}
