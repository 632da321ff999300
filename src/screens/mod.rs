//! One module per screen of the candidate's journey.

pub mod consent;
pub mod exam;
pub mod finished;
pub mod head_turn;
pub mod identity;
pub mod login;
pub mod opening;
pub mod review;
pub mod room_scan;
pub mod system_check;
pub mod unavailable;
pub mod waiting_room;
