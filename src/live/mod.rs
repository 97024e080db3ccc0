//! What keeps a live run from touching data it did not create: the ledger of created
//! records ([`ledger`]), the evidence that a record is the run's own ([`ownership`]), and
//! the rule for what may be sent as a path id ([`ids`]).

pub mod ids;
pub mod ledger;
pub mod ownership;
