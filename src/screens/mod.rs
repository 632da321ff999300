//! One module per screen of the candidate's journey.

pub mod login;
pub mod system_check;
