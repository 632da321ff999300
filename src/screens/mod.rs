//! One module per screen of the candidate's journey.

pub mod consent;
pub mod identity;
pub mod login;
pub mod system_check;
pub mod unavailable;
