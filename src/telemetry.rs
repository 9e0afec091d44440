//! Logging: `tracing` to stderr (never stdout, which belongs to the stdio transport), plain text
//! without colour so that a host application can tell log lines from the JSON notification lines.

use tracing::level_filters::LevelFilter;

/// Installs the global subscriber. Safe to call once; later calls are ignored.
pub(crate) fn init(level: LevelFilter) {
    let subscriber = tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_ansi(false)
        .with_target(false)
        .with_max_level(level)
        .finish();
    let _ = tracing::subscriber::set_global_default(subscriber);
}
