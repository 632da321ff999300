//! The kiosk launcher's configuration (TOML written by an organiser) and
//! its config key, and the server's reading of the config-key header a
//! browser sends. A configuration that loads has one key, the same every
//! time (the server compares it), of 64 lowercase hex digits that the
//! server's reader takes as it is.
#![no_main]

use libfuzzer_sys::fuzz_target;
use vigil_kiosk::config::Config;

const ORIGIN: &str = "https://exam.example";

fuzz_target!(|data: &[u8]| {
    vigil_fuzz::seeds_once("kiosk_config", || {
        vec![
            ("empty", Vec::new()),
            (
                "full",
                b"recheck_seconds = 30\n[browser]\npath = \"/usr/bin/chromium\"\nextra_args = []\n\
                  [displays]\nmax = 1\nverdict = \"deny\"\n[virtual_machine]\nverdict = \"warn\"\n\
                  [remote_control]\nverdict = \"deny\"\ndeny_list = [\"anydesk\", \"obs\"]\n\
                  [media]\ncamera = true\nmicrophone = true\n"
                    .to_vec(),
            ),
            (
                "key",
                b"0123456789ABCDEF0123456789abcdef0123456789abcdef0123456789abcdef".to_vec(),
            ),
        ]
    });
    let Some(text) = vigil_fuzz::text(data) else {
        return;
    };
    if let Ok(config) = Config::from_toml(text) {
        let key = config.config_key(ORIGIN);
        assert_eq!(
            key,
            config.config_key(ORIGIN),
            "the key is not deterministic"
        );
        let stored = vigil_server::kiosk::normalize_key(&key)
            .unwrap_or_else(|e| panic!("the server refuses the launcher's key {key:?}: {e}"));
        assert_eq!(stored, key);
        let _ = config.canonical_json(ORIGIN);
    }
    if let Ok(stored) = vigil_server::kiosk::normalize_key(text) {
        assert!(stored.len() == 64 && stored.bytes().all(|b| b.is_ascii_hexdigit()));
    }
});
