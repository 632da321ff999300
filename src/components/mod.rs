//! Reusable pieces of the screens, one module each.

pub mod camera_preview;
pub mod check_item;
pub mod language_switch;
