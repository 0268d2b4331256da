//! Judging: what a target answered and sent, against what the contract expects. The vocabulary of
//! findings and verdicts (`verdict`), the fixtures' rule language and the walk over documented
//! bodies (`rules`), the response checks (`response`), the notification checks (`notifications`),
//! the pure judge of one exchange and the record of a case's run (`judge`), programs (`program`), and
//! the failure message a stranger reads (`report`). Never performs I/O.
//!
//! May use the contract and the wire (its data types: what was sent, answered and heard).

pub mod judge;
pub mod notifications;
pub mod program;
pub mod report;
pub mod response;
pub mod rules;
pub mod verdict;
