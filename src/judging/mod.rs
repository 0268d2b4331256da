//! Judging: what a target answered and sent, against what the contract expects. The checks
//! (`check`), the pure judge of one exchange and the record of a case's run (`judge`), and the
//! failure message a stranger reads (`report`). Never performs I/O.
//!
//! May use the contract and the wire (its data types: what was sent, answered and heard).

pub mod check;
pub mod judge;
pub mod program;
pub mod report;
