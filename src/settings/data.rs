//! The data group: the data folder and the log level.

use std::path::PathBuf;

use super::env;
use crate::cli::GlobalOptions;

/// The data dir: the option, else [`default_data_dir`].
pub(super) fn data_dir(options: &GlobalOptions, problems: &mut Vec<String>) -> PathBuf {
    match options.data_dir.as_deref().filter(|s| !s.trim().is_empty()) {
        Some(dir) => PathBuf::from(dir),
        None => match default_data_dir(env("HOME").map(PathBuf::from), dirs::data_local_dir()) {
            Some(dir) => dir,
            None => {
                problems.push(
                    "data dir: this system names no home or data folder; give --data-dir or TTAI_DATA_DIR"
                        .to_owned(),
                );
                PathBuf::from("ttai")
            }
        },
    }
}

/// The data folder when `--data-dir` / `TTAI_DATA_DIR` name none: `$HOME/.ttai` when it exists
/// (where ttai kept its data before, so existing users keep their vault, alerts and history), else
/// `ttai` in the platform's local data folder (`$XDG_DATA_HOME` or `~/.local/share` on Linux,
/// `~/Library/Application Support` on macOS, `%LOCALAPPDATA%` on Windows), which needs no `HOME`
/// on Windows or with `XDG_DATA_HOME` set.
pub(crate) fn default_data_dir(home: Option<PathBuf>, data: Option<PathBuf>) -> Option<PathBuf> {
    if let Some(legacy) = home.map(|home| home.join(".ttai"))
        && legacy.is_dir()
    {
        return Some(legacy);
    }
    data.map(|data| data.join("ttai"))
}

/// The log level (`info` unless told).
pub(super) fn log_level(
    options: &GlobalOptions,
    problems: &mut Vec<String>,
) -> tracing::level_filters::LevelFilter {
    match options
        .log_level
        .as_deref()
        .map(str::trim)
        .map(str::to_ascii_lowercase)
        .as_deref()
    {
        None | Some("info") => tracing::level_filters::LevelFilter::INFO,
        Some("error") => tracing::level_filters::LevelFilter::ERROR,
        Some("warn" | "warning") => tracing::level_filters::LevelFilter::WARN,
        Some("debug") => tracing::level_filters::LevelFilter::DEBUG,
        Some("trace") => tracing::level_filters::LevelFilter::TRACE,
        Some("off") => tracing::level_filters::LevelFilter::OFF,
        Some(other) => {
            problems.push(format!("log level (--log-level / TTAI_LOG_LEVEL): {other:?} is not one of error, warn, info, debug, trace, off"));
            tracing::level_filters::LevelFilter::INFO
        }
    }
}
