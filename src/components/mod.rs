//! Reusable pieces of the screens, one module each.

pub mod camera_preview;
pub mod check_item;
pub mod convocation;
pub mod identification_timer;
pub mod language_switch;
pub mod live_banner;
pub mod lockdown_overlay;
pub mod microphone_meter;
pub mod navigator;
pub mod package_status;
pub mod question_view;
pub mod start_code_form;
pub mod storage_banner;
pub mod sync_status;
pub mod timer;
