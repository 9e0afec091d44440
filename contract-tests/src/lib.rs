//! `contract-tests`: one suite per port, run against every adapter of that port and against the
//! in-memory fakes (docs/style.md, "Layout"), so that core tests can trust the fakes and every adapter
//! behaves the same.
//!
//! Each suite is a module of `pub async fn` checks named after the port's MUST clauses, taking a
//! harness that makes fresh instances; a macro turns every check into its own `#[tokio::test]` for
//! a given harness, and `tests/contracts.rs` is the matrix. The canonical scenario is
//! `ttai_core::testing::sample_market`: the fake broker is seeded with it and the replay tape is
//! written from it, so every broker answers the same questions identically.
//!
//! A suite can split its checks by capability (the vault suite: `core`, `files`, `key_file`); a
//! harness lists the capabilities it has, so checks that do not apply are not generated.
//! Capabilities are declared to the macro, not assumed: `store_contract!(harness, durable)` adds
//! the checks that close and reopen a store, which an in-memory store cannot pass.
//!
//! `fake_tastytrade` is a local fake of TastyTrade's REST API serving the canonical scenario in
//! the API's wire format, for the live adapter's tests and the binary's end-to-end tests.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

pub mod broker;
pub mod fake_tastytrade;
pub mod full_disk;
mod http1;
pub mod notifier;
pub mod scenario;
pub mod store;
pub mod transport;
pub mod vault;
pub mod webhook_receiver;
