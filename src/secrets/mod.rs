//! Keeping API keys secret: every text the harness writes is redacted first ([`redact`]),
//! and the files and terminal text it wrote are read back for any form of a key ([`leak`]).

pub mod leak;
pub mod redact;
