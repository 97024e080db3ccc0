//! Shared helpers for the integration tests.

pub mod export;
pub mod gateway;
pub mod list;
pub mod proxy;
pub mod tls;
