//! Our own tests of the suite (as opposed to the conformance cases in `cases`).

mod allowances;
mod bot;
mod config;
mod evidence;
mod explore;
mod faults;
mod fixtures;
mod import;
mod layout;
mod listener;
mod pages;
mod polite;
mod report;
mod robustness;
mod schemas;
mod targets;

use std::collections::HashMap;

use conformance::running::config::Config;

/// The configuration a user would get from exactly these `CONFORMANCE_*` variables.
pub fn config(vars: &[(&str, &str)]) -> Config {
    let map: HashMap<String, String> = vars.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
    Config::from_lookup(|k| map.get(k).cloned()).expect("a valid configuration")
}

/// A loopback port where a connection is refused: port 1 (tcpmux), which nothing in this suite
/// or on its machines binds. A port found free and released could be taken by a parallel test.
pub const CLOSED_PORT: u16 = 1;

/// Starts an environment whose listener binds a fixed port of its own choosing (advertised as
/// `advertise(port)`), trying again with another port if a parallel test took it meanwhile.
pub fn env_on_fixed_port(advertise: impl Fn(u16) -> String) -> (conformance::running::embedded::Env, u16) {
    let mut last = String::new();
    for _ in 0..10 {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .map(|a| a.port())
            .expect("a free port");
        let (bind, url) = (format!("127.0.0.1:{port}"), advertise(port));
        match conformance::running::harness::block_on(conformance::running::embedded::Env::start(config(&[
            ("CONFORMANCE_CALLBACK_BIND", &bind),
            ("CONFORMANCE_CALLBACK_URL", &url),
        ]))) {
            Ok(env) => return (env, port),
            Err(e) => last = e,
        }
    }
    panic!("no free port for the listener after 10 tries: {last}");
}
