//! Subcommands other than `serve`.

pub(crate) mod call;
pub(crate) mod quant;
