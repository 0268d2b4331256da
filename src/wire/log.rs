//! Lines on standard error that no test harness swallows.
//!
//! `eprintln!` honours the test harness's output capture, and a thread inherits the capture of the
//! thread that spawned it. The runtime's workers are spawned by whichever test first starts the
//! runtime, so a double's "NOT delivered" or a listener's complaint written with `eprintln!` from a
//! worker lands in that one test's buffer and is thrown away when that test passes: a failure of
//! another test then has no trace. Writing to the process's standard error directly keeps it.

use std::io::Write;

/// Writes `line` and a newline to the process's standard error, bypassing any output capture.
pub fn line(line: std::fmt::Arguments<'_>) {
    let mut err = std::io::stderr().lock();
    // Standard error gone is nothing a log line can help with.
    let _ = writeln!(err, "{line}");
}
