//! vigil-kiosk: the launcher of kiosk deployments, which starts a locked
//! Chromium on one exam URL on a fresh profile, checks the machine (extra
//! displays, virtual machine, screen-sharing processes) and passes a config
//! key the server can require.
//!
//! A member of the workspace so its place is fixed; its contents arrive
//! with the kiosk work (DESIGN.md, "Kiosk"): nothing here is used yet.
