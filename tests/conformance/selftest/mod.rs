//! Our own tests of the suite (as opposed to the conformance cases in `cases`).

mod bot;
mod config;
mod faults;
mod fixtures;
mod import;
mod report;
mod robustness;
mod schemas;
mod targets;

use std::collections::HashMap;

use conformance::config::Config;

/// The configuration a user would get from exactly these `CONFORMANCE_*` variables.
pub fn config(vars: &[(&str, &str)]) -> Config {
    let map: HashMap<String, String> = vars.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
    Config::from_lookup(|k| map.get(k).cloned()).expect("a valid configuration")
}

/// A port nothing listens on (bound, read, released).
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}
