//! Subcommands other than `serve`.

pub(crate) mod call;
