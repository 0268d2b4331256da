//! The bot's side: a bot's callback endpoint is an implementation too. The documents'
//! notifications replayed to it in the shapes a service may send, and judged (`replay`).
//!
//! May use the contract, the wire and judging.

pub mod replay;
