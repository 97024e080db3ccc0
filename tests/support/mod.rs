//! Shared helpers for the integration tests.

pub mod gateway;
pub mod proxy;
pub mod tls;
