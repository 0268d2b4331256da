//! The wire: how the suite talks to a target and hears it back. The HTTP client and provisioning
//! (`target`), the notification listener (`listener`) and the sockets it and the doubles bind (`bind`), the lines it and the doubles log (`log`), and the tokens that travel on it (`secret`).
//!
//! May use the contract; knows nothing of judging or of how runs are organised.

pub mod bind;
pub mod listener;
pub mod log;
pub mod secret;
pub mod target;
