//! End-to-end tests: the real `ttai` binary driven the way clients drive it.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]
#![allow(unreachable_pub)]

mod abuse;
mod alerts;
mod analysis;
mod backtest;
mod cli;
mod history;
mod http;
mod http_support;
mod knowledge;
mod live_fake;
mod modern;
mod orders;
mod portfolio_risk;
mod python_sdk;
mod quant;
mod sizes;
mod stdio;
mod support;
mod tidy;
mod views;
