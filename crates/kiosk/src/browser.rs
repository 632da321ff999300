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

use std::path::{Path, PathBuf};

use serde_json::{json, Value};

use crate::config::Config;

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
/// the launcher when everything is sent.
pub fn launch_url(url: &url::Url, key: &str, link: Option<&str>) -> String {
    let mut url = url.clone();
    let fragment = match link {
        Some(link) => format!("vigil-config-key={key}&vigil-kiosk-link={link}"),
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
/// `link`, the launcher's loopback origin, is allowed beside the exam's so
/// the page can reach it.
pub fn preferences(config: &Config, origin: &str, link: Option<&str>) -> Value {
    let allowed: Vec<&str> = std::iter::once(origin).chain(link).collect();
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

/// A browser profile in a temporary folder: removed when dropped unless
/// [`Profile::keep`] was called.
pub struct Profile {
    path: PathBuf,
    wipe: bool,
}

impl Profile {
    pub fn create(config: &Config, origin: &str, link: Option<&str>) -> anyhow::Result<Profile> {
        let path = tempfile::Builder::new()
            .prefix("vigil-kiosk-")
            .tempdir()?
            .keep();
        // From here the folder is ours to remove (Drop), also on an error.
        let profile = Profile { path, wipe: true };
        std::fs::create_dir_all(profile.path.join("Default"))?;
        profile.write_preferences(config, origin, link)?;
        // Marks the first run as done, like --no-first-run, for builds that
        // look for the file.
        std::fs::write(profile.path.join("First Run"), "")?;
        Ok(profile)
    }

    /// A profile an earlier run kept (`--resume-profile`), to finish the
    /// exam or its sending: the preferences are written again (the link's
    /// port is new), the app's data stays. Like a fresh one, it is wiped on
    /// a clean exit and kept otherwise.
    pub fn reuse(
        dir: &Path,
        config: &Config,
        origin: &str,
        link: Option<&str>,
    ) -> anyhow::Result<Profile> {
        anyhow::ensure!(
            dir.join("Default").join("Preferences").is_file(),
            "{} n'est pas un profil conservé par vigil-kiosk (pas de Default/Preferences)",
            dir.display()
        );
        // Not wiped if writing fails: it holds the exam's data.
        let mut profile = Profile {
            path: dir.to_owned(),
            wipe: false,
        };
        profile.write_preferences(config, origin, link)?;
        profile.wipe = true;
        Ok(profile)
    }

    fn write_preferences(
        &self,
        config: &Config,
        origin: &str,
        link: Option<&str>,
    ) -> anyhow::Result<()> {
        let prefs = serde_json::to_string_pretty(&preferences(config, origin, link))?;
        std::fs::write(self.path.join("Default").join("Preferences"), prefs)?;
        Ok(())
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Leaves the profile on disk (the exam's unsynced data lives there).
    pub fn keep(&mut self) -> PathBuf {
        self.wipe = false;
        self.path.clone()
    }
}

impl Drop for Profile {
    fn drop(&mut self) {
        if self.wipe {
            let _ = std::fs::remove_dir_all(&self.path);
        }
    }
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
    pub url: &'a str,
    pub headless: bool,
    pub no_sandbox: bool,
}

/// The browser's arguments. Each flag is there for a reason:
///
/// - `--kiosk --app=URL`: full screen, no address bar, tabs or menus.
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
        args.push(launch.url.to_string());
    } else {
        args.push("--kiosk".into());
        args.push(format!("--app={}", launch.url));
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
            Some("http://127.0.0.1:4100"),
        );
        assert_eq!(
            p["policy"]["url_allowlist"],
            json!(["https://exam.example", "http://127.0.0.1:4100"])
        );
    }

    #[test]
    fn preferences_lock_the_profile_to_the_origin() {
        let origin = "https://exam.example";
        let p = preferences(&Config::default(), origin, None);
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
        let p = preferences(&config, origin, None);
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
        let profile = Profile::create(&Config::default(), "https://exam.example", None).unwrap();
        let path = profile.path().to_owned();
        let prefs = std::fs::read_to_string(path.join("Default/Preferences")).unwrap();
        assert!(prefs.contains("url_allowlist"));
        drop(profile);
        assert!(!path.exists());

        let mut profile =
            Profile::create(&Config::default(), "https://exam.example", None).unwrap();
        let kept = profile.keep();
        drop(profile);
        assert!(kept.exists());
        std::fs::write(kept.join("Default/exam-data"), "answers").unwrap();

        // Resumed: new preferences, the data stays, wiped on a clean exit.
        let link = "http://127.0.0.1:4100";
        let resumed = Profile::reuse(
            &kept,
            &Config::default(),
            "https://exam.example",
            Some(link),
        )
        .unwrap();
        let prefs = std::fs::read_to_string(kept.join("Default/Preferences")).unwrap();
        assert!(prefs.contains(link), "{prefs}");
        assert!(kept.join("Default/exam-data").exists());
        drop(resumed);
        assert!(!kept.exists());

        // Not a kept profile: refused, and the folder is left alone.
        let other = tempfile::tempdir().unwrap();
        let err = Profile::reuse(other.path(), &Config::default(), "https://e.x", None)
            .err()
            .unwrap();
        assert!(err.to_string().contains("pas un profil conservé"), "{err}");
        assert!(other.path().exists());
    }

    #[test]
    fn kiosk_mode_uses_an_app_window_and_headless_a_page() {
        let config = Config::default();
        let launch = Launch {
            config: &config,
            profile: Path::new("/tmp/p"),
            url: "https://exam.example/#vigil-config-key=k",
            headless: false,
            no_sandbox: false,
        };
        let args = arguments(&launch);
        assert!(args.contains(&"--kiosk".to_string()));
        assert!(args.contains(&"--app=https://exam.example/#vigil-config-key=k".to_string()));
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
        assert_eq!(
            args.last().unwrap(),
            "https://exam.example/#vigil-config-key=k"
        );
    }

    #[test]
    fn an_explicit_browser_must_exist() {
        let e = find_browser(Some(Path::new("/nonexistent/chrome"))).unwrap_err();
        assert!(e.to_string().contains("/nonexistent/chrome"));
    }
}
