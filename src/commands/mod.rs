//! Subcommands other than `serve`.

pub(crate) mod auth;
pub(crate) mod backtest;
pub(crate) mod call;
pub(crate) mod quant;
