//! The doubles: stand-ins the suite runs against when no real implementation is named, and their
//! catalogs of the bugs real implementations ship.
//!
//! - `service`: the embedded target, a stateful implementation of CONTRACT.md; `faults` its catalog;
//!   `outbox` its sender, which keeps account of what it has still to deliver.
//! - `bot`: the embedded bot callback; `bot_faults` its catalog.
//!
//! May use the contract and the wire. The two catalogs also name judging's checks and the bot
//! side's replay shapes, since each fault declares what must catch it; the doubles' behaviour
//! uses neither, so a bug in a check cannot be mirrored by the double it judges. Nothing in the
//! product uses the doubles except `running::embedded`, which wires them in when no target is set.

pub mod bot;
pub mod bot_faults;
pub mod faults;
mod outbox;
pub mod service;

/// Looks `name` up in a fault catalog with `parse`, or says, naming the variable `var` it came
/// from, which `names` the catalog has.
fn lookup<'a, T: Copy>(
    var: &str,
    name: &str,
    parse: impl Fn(&str) -> Option<T>,
    names: impl Iterator<Item = &'a str>,
) -> Result<T, String> {
    parse(name).ok_or_else(|| {
        let names: Vec<&str> = names.collect();
        // A swap of two neighbours counts as one edit (`rejcet`), as in the variables' suggestion.
        let nearest = names
            .iter()
            .map(|n| (strsim::osa_distance(name, n), *n))
            .min()
            .filter(|(d, _)| *d <= 3)
            .map(|(_, n)| format!("; did you mean {n}?"))
            .unwrap_or_default();
        format!("{var}={name:?} is not in the catalog{nearest}; one of: {}", names.join(", "))
    })
}
