//! The launcher's configuration (a TOML file, every key optional) and its
//! config key.
//!
//! The config key is what the server can require per session: the SHA-256,
//! in lowercase hex, of the canonical form of everything that shapes the
//! lockdown — the launcher's name and version, the exam origin and every
//! setting below except `browser.path` (where the browser is installed is a
//! fact of one machine, not of the deployment; a fleet mixing Chromium and
//! Chrome shares one key). The canonical form is JSON with the object keys
//! sorted at every level, no whitespace, strings escaped as `serde_json`
//! does:
//!
//! ```text
//! {"config":{…},"format":1,"launcher":"vigil-kiosk 0.1.0","origin":"https://exam.example"}
//! ```
//!
//! Defaults are applied before hashing, so a file that spells out a default
//! and a file that omits it give the same key.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use anyhow::Context;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// Bumped when the canonical form itself changes.
pub const KEY_FORMAT: u32 = 1;

/// What a check's finding does to the launch.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Verdict {
    /// Noted in the report, nothing more.
    Allow,
    /// Shown to the candidate in the report; the exam starts.
    Warn,
    /// The launcher refuses to start the exam (before), or reports it (during).
    Deny,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    /// Seconds between two checks of the machine during the exam (0: never).
    pub recheck_seconds: u64,
    pub browser: BrowserConfig,
    pub displays: DisplaysConfig,
    pub virtual_machine: VmConfig,
    pub remote_control: RemoteControlConfig,
    pub media: MediaConfig,
}

#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct BrowserConfig {
    /// The browser executable; found automatically when absent. Not part of
    /// the config key.
    pub path: Option<PathBuf>,
    /// Extra command-line flags for the browser (part of the key).
    pub extra_args: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct DisplaysConfig {
    /// Displays allowed without a finding.
    pub max: usize,
    /// Verdict when more are connected.
    pub verdict: Verdict,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct VmConfig {
    /// Verdict when the machine looks virtual. `warn` by default: CI and
    /// many school machines are virtual machines.
    pub verdict: Verdict,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RemoteControlConfig {
    /// Verdict when a listed program runs.
    pub verdict: Verdict,
    /// Process names (case-insensitive; see [`crate::checks::process_matches`]).
    pub deny_list: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct MediaConfig {
    /// Camera allowed to the exam origin (blocked everywhere else anyway).
    pub camera: bool,
    /// Microphone allowed to the exam origin.
    pub microphone: bool,
}

/// Screen sharing, remote control and recording programs, by process name.
pub const DEFAULT_DENY_LIST: &[&str] = &[
    "anydesk",
    "teamviewer",
    "teamviewerd",
    "rustdesk",
    "x11vnc",
    "x0vncserver",
    "xvnc",
    "vncserver",
    "winvnc",
    "tvnserver",
    "vino-server",
    "krfb",
    "gnome-remote-desktop-daemon",
    "xrdp",
    "remoting_host",
    "chrome-remote-desktop-host",
    "parsecd",
    "splashtop",
    "obs",
    "simplescreenrecorder",
    "kazam",
    "vokoscreen",
    "vokoscreenng",
    "peek",
    "zoom",
    "discord",
    "skype",
];

impl Default for Config {
    fn default() -> Self {
        Self {
            recheck_seconds: 30,
            browser: BrowserConfig::default(),
            displays: DisplaysConfig::default(),
            virtual_machine: VmConfig::default(),
            remote_control: RemoteControlConfig::default(),
            media: MediaConfig::default(),
        }
    }
}

impl Default for DisplaysConfig {
    fn default() -> Self {
        Self {
            max: 1,
            verdict: Verdict::Deny,
        }
    }
}

impl Default for VmConfig {
    fn default() -> Self {
        Self {
            verdict: Verdict::Warn,
        }
    }
}

impl Default for RemoteControlConfig {
    fn default() -> Self {
        Self {
            verdict: Verdict::Deny,
            deny_list: DEFAULT_DENY_LIST.iter().map(|s| s.to_string()).collect(),
        }
    }
}

impl Default for MediaConfig {
    fn default() -> Self {
        Self {
            camera: true,
            microphone: true,
        }
    }
}

impl Config {
    /// Parses a TOML configuration; unknown keys are errors (a typo must not
    /// silently leave a default in place).
    pub fn from_toml(text: &str) -> anyhow::Result<Config> {
        Ok(toml::from_str(text)?)
    }

    pub fn load(path: &Path) -> anyhow::Result<Config> {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("lecture de la configuration {}", path.display()))?;
        Self::from_toml(&text).with_context(|| format!("configuration {} invalide", path.display()))
    }

    /// The canonical bytes hashed into the config key (module docs).
    pub fn canonical_json(&self, origin: &str) -> String {
        let mut config = serde_json::to_value(self).expect("the config serializes");
        if let Some(browser) = config.get_mut("browser").and_then(|b| b.as_object_mut()) {
            browser.remove("path");
        }
        let whole = serde_json::json!({
            "format": KEY_FORMAT,
            "launcher": launcher_version(),
            "origin": origin,
            "config": config,
        });
        serde_json::to_string(&sorted(whole)).expect("JSON serializes")
    }

    /// SHA-256 (lowercase hex) of [`Config::canonical_json`].
    pub fn config_key(&self, origin: &str) -> String {
        hex::encode(Sha256::digest(self.canonical_json(origin).as_bytes()))
    }
}

/// `vigil-kiosk 0.1.0`: part of the key, so a new launcher version needs a
/// new key on the server.
pub fn launcher_version() -> String {
    format!("vigil-kiosk {}", env!("CARGO_PKG_VERSION"))
}

/// Rebuilds a JSON value with the keys of every object in sorted order,
/// whether or not `serde_json`'s `preserve_order` feature is on somewhere in
/// the build.
fn sorted(value: serde_json::Value) -> serde_json::Value {
    use serde_json::Value;
    match value {
        Value::Object(map) => {
            let ordered: BTreeMap<String, Value> =
                map.into_iter().map(|(k, v)| (k, sorted(v))).collect();
            Value::Object(ordered.into_iter().collect())
        }
        Value::Array(items) => Value::Array(items.into_iter().map(sorted).collect()),
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ORIGIN: &str = "https://exam.example";

    #[test]
    fn the_key_is_stable_and_lowercase_hex() {
        let a = Config::default().config_key(ORIGIN);
        let b = Config::default().config_key(ORIGIN);
        assert_eq!(a, b);
        assert_eq!(a.len(), 64);
        assert!(a
            .chars()
            .all(|c| c.is_ascii_hexdigit() && !c.is_ascii_uppercase()));
    }

    #[test]
    fn the_canonical_form_has_sorted_keys_and_no_whitespace() {
        let json = Config::default().canonical_json(ORIGIN);
        assert!(json.starts_with("{\"config\":{\"browser\":{\"extra_args\":[]},\"displays\":"));
        assert!(json.ends_with(
            ",\"format\":1,\"launcher\":\"vigil-kiosk 0.1.0\",\"origin\":\"https://exam.example\"}"
        ));
        assert!(!json.contains('\n') && !json.contains(": ") && !json.contains(", "));
        assert!(!json.contains("path"));
    }

    #[test]
    fn an_empty_file_and_a_file_spelling_out_the_defaults_give_the_same_key() {
        let empty = Config::from_toml("").unwrap();
        let spelled = Config::from_toml(
            "recheck_seconds = 30\n[displays]\nmax = 1\nverdict = \"deny\"\n\
             [virtual_machine]\nverdict = \"warn\"\n[media]\ncamera = true\n",
        )
        .unwrap();
        assert_eq!(empty.config_key(ORIGIN), spelled.config_key(ORIGIN));
        assert_eq!(
            empty.config_key(ORIGIN),
            Config::default().config_key(ORIGIN)
        );
    }

    #[test]
    fn every_setting_changes_the_key() {
        let base = Config::default();
        let key = base.config_key(ORIGIN);
        let mut variants: Vec<(&str, Config)> = Vec::new();
        let mut c = base.clone();
        c.recheck_seconds = 10;
        variants.push(("recheck_seconds", c));
        let mut c = base.clone();
        c.browser.extra_args.push("--lang=fr".into());
        variants.push(("browser.extra_args", c));
        let mut c = base.clone();
        c.displays.max = 2;
        variants.push(("displays.max", c));
        let mut c = base.clone();
        c.displays.verdict = Verdict::Warn;
        variants.push(("displays.verdict", c));
        let mut c = base.clone();
        c.virtual_machine.verdict = Verdict::Deny;
        variants.push(("virtual_machine.verdict", c));
        let mut c = base.clone();
        c.remote_control.verdict = Verdict::Allow;
        variants.push(("remote_control.verdict", c));
        let mut c = base.clone();
        c.remote_control.deny_list.pop();
        variants.push(("remote_control.deny_list", c));
        let mut c = base.clone();
        c.media.camera = false;
        variants.push(("media.camera", c));
        let mut c = base.clone();
        c.media.microphone = false;
        variants.push(("media.microphone", c));
        for (name, config) in &variants {
            assert_ne!(config.config_key(ORIGIN), key, "{name} must change the key");
        }
        assert_ne!(base.config_key("https://other.example"), key, "origin");
    }

    #[test]
    fn the_browser_location_is_not_part_of_the_key() {
        let mut c = Config::default();
        c.browser.path = Some("/opt/google/chrome/chrome".into());
        assert_eq!(c.config_key(ORIGIN), Config::default().config_key(ORIGIN));
    }

    #[test]
    fn unknown_keys_and_bad_verdicts_are_refused_by_name() {
        let e = Config::from_toml("[displays]\nmaxi = 2\n").unwrap_err();
        assert!(e.to_string().contains("maxi"), "{e}");
        let e = Config::from_toml("[virtual_machine]\nverdict = \"maybe\"\n").unwrap_err();
        assert!(e.to_string().contains("maybe"), "{e}");
    }
}
