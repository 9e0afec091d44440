//! The command line (design.md §1–2): global options, then a subcommand (`serve` by default).
//!
//! Options are read as text here and validated together in `settings`, so that every problem is
//! reported at once.

use clap::builder::BoolishValueParser;
use clap::{ArgAction, Args, Parser, Subcommand};

/// ttai: an MCP server for analysing options trades on a TastyTrade account.
#[derive(Debug, Parser)]
#[command(name = "ttai", version, about, long_about = None, propagate_version = true)]
pub(crate) struct Cli {
    #[command(flatten)]
    pub(crate) options: GlobalOptions,
    #[command(subcommand)]
    pub(crate) command: Option<Command>,
}

/// Settings shared by every command; flags override environment variables.
#[derive(Debug, Clone, Args)]
pub(crate) struct GlobalOptions {
    /// Data directory (database, vault, logs, user knowledge documents).
    #[arg(long, global = true, env = "TTAI_DATA_DIR", value_name = "DIR")]
    pub(crate) data_dir: Option<String>,
    /// Log level: error, warn, info, debug, trace or off (logs go to stderr).
    #[arg(long, global = true, env = "TTAI_LOG_LEVEL", value_name = "LEVEL")]
    pub(crate) log_level: Option<String>,
    /// Broker: tastytrade (live account) or replay (a recorded tape; the bundled demo by default).
    #[arg(long, global = true, env = "TTAI_BROKER", value_name = "BROKER")]
    pub(crate) broker: Option<String>,
    /// Tape folder for the replay broker (default: the bundled synthetic demo tape).
    #[arg(long, global = true, env = "TTAI_TAPE", value_name = "DIR")]
    pub(crate) tape: Option<String>,
    /// Replay clock start (RFC 3339 or YYYY-MM-DD); default: the tape's end.
    #[arg(long, global = true, env = "TTAI_REPLAY_AT", value_name = "TIME")]
    pub(crate) replay_at: Option<String>,
    /// Account number to use when a tool names none (default: the first account).
    #[arg(long, global = true, env = "TASTYTRADE_ACCOUNT", value_name = "NUMBER")]
    pub(crate) account: Option<String>,
    /// MCP transport for `serve`: stdio or http (`sse` is accepted as a synonym of http).
    #[arg(long, global = true, env = "TTAI_TRANSPORT", value_name = "TRANSPORT")]
    pub(crate) transport: Option<String>,
    /// Address to listen on (http).
    #[arg(long, global = true, env = "TTAI_HOST", value_name = "HOST")]
    pub(crate) host: Option<String>,
    /// Port to listen on (http); 0 picks a free port.
    #[arg(long, global = true, env = "TTAI_PORT", value_name = "PORT")]
    pub(crate) port: Option<String>,
    /// Bearer token required on every HTTP request (required on a non-loopback host).
    #[arg(
        long,
        global = true,
        env = "TTAI_AUTH_TOKEN",
        value_name = "TOKEN",
        hide_env_values = true
    )]
    pub(crate) auth_token: Option<String>,
    /// Notifications backend: auto (stderr for stdio, webhook for http), stderr or webhook.
    #[arg(
        long,
        global = true,
        env = "TTAI_NOTIFICATION_BACKEND",
        value_name = "BACKEND"
    )]
    pub(crate) notify: Option<String>,
    /// Risk-free rate for option models, decimal (default 0.04).
    #[arg(long, global = true, env = "TTAI_RISK_FREE_RATE", value_name = "RATE")]
    pub(crate) risk_free_rate: Option<String>,
    /// Dividend yield used when the broker has none, decimal (default 0).
    #[arg(long, global = true, env = "TTAI_DIVIDEND_YIELD", value_name = "YIELD")]
    pub(crate) dividend_yield: Option<String>,
    /// Analyses: cap on exposure to one underlying after a trade, percent of net liq (default 10).
    #[arg(
        long,
        global = true,
        env = "TTAI_MAX_EXPOSURE_PERCENT",
        value_name = "PERCENT"
    )]
    pub(crate) max_exposure_percent: Option<String>,
    /// Analyses: cap on option buying power in use after a trade, percent of net liq (default 50).
    #[arg(
        long,
        global = true,
        env = "TTAI_MAX_BP_USAGE_PERCENT",
        value_name = "PERCENT"
    )]
    pub(crate) max_bp_usage_percent: Option<String>,
    /// Analyses: least credit a credit spread must collect, share of its width (default 0.2).
    #[arg(
        long,
        global = true,
        env = "TTAI_MIN_CREDIT_TO_WIDTH",
        value_name = "FRACTION"
    )]
    pub(crate) min_credit_to_width: Option<String>,
    /// Orders: let place_order and cancel_order act on orders you confirm in your MCP client
    /// (off by default; previews are always available).
    #[arg(long, global = true, env = "TTAI_ALLOW_ORDERS", action = ArgAction::SetTrue, value_parser = BoolishValueParser::new())]
    pub(crate) allow_orders: bool,
    /// Paper trading on the live broker: live quotes, orders filled locally (the replay broker
    /// always trades on paper).
    #[arg(long, global = true, env = "TTAI_PAPER", action = ArgAction::SetTrue, value_parser = BoolishValueParser::new())]
    pub(crate) paper: bool,
}

/// What to do.
#[derive(Debug, Subcommand)]
pub(crate) enum Command {
    /// Serve MCP (the default).
    Serve,
    /// Run one tool through the MCP dispatch and print its result as JSON.
    Call(CallArgs),
    /// Store TastyTrade OAuth credentials (client secret and refresh token) after proving them.
    Login(LoginArgs),
    /// Erase the stored credentials.
    Logout,
    /// Who is logged in (account numbers masked), the token's expiry, the broker and the vault.
    Status(StatusArgs),
    /// Serve with the live broker and append every answer to the tape folder given by --tape.
    Record,
    /// Backtest a strategy on a recorded tape (--tape DIR, default the bundled demo tape): the
    /// options analysis picks each trade; settled from the tape.
    Backtest(BacktestArgs),
    /// Run the quant library on reference input files (design.md §9), for anyone to check the numbers.
    #[command(subcommand)]
    Quant(QuantCommand),
}

/// `ttai call`.
#[derive(Debug, Args)]
pub(crate) struct CallArgs {
    /// Tool name, e.g. get_quote.
    pub(crate) tool: String,
    /// Arguments as key=value (values that parse as JSON are JSON, others are strings).
    pub(crate) args: Vec<String>,
    /// Arguments as one JSON object instead.
    #[arg(long, value_name = "JSON", conflicts_with = "args")]
    pub(crate) json: Option<String>,
    /// Print the whole MCP result (content, structuredContent, isError) instead of the structured content.
    #[arg(long)]
    pub(crate) raw: bool,
}

/// `ttai quant`.
#[derive(Debug, Subcommand)]
pub(crate) enum QuantCommand {
    /// Black-Scholes-Merton prices, greeks and implied vols for a `ttai-quant-bs-input/1` JSON file.
    Bs {
        /// Input JSON file.
        #[arg(long, value_name = "FILE")]
        json: std::path::PathBuf,
        /// Write the output here instead of stdout.
        #[arg(long, value_name = "FILE")]
        out: Option<std::path::PathBuf>,
    },
    /// Indicators and support/resistance for a `date,open,high,low,close,volume` CSV file.
    Ta {
        /// Input CSV file.
        #[arg(long, value_name = "FILE")]
        csv: std::path::PathBuf,
        /// Write the output here instead of stdout.
        #[arg(long, value_name = "FILE")]
        out: Option<std::path::PathBuf>,
    },
}

/// `ttai login`.
#[derive(Debug, Args)]
pub(crate) struct LoginArgs {
    /// Do not store the credentials: prove them, then serve MCP with them for this process only.
    #[arg(long)]
    pub(crate) no_remember: bool,
}

/// `ttai status`.
#[derive(Debug, Args)]
pub(crate) struct StatusArgs {
    /// Print JSON instead of text.
    #[arg(long)]
    pub(crate) json: bool,
}

/// `ttai backtest`.
#[derive(Debug, Args)]
pub(crate) struct BacktestArgs {
    /// csp, covered_call, spread or wheel.
    #[arg(long)]
    pub(crate) strategy: String,
    /// The underlying, e.g. SPY.
    #[arg(long)]
    pub(crate) symbol: String,
    /// First entry date (YYYY-MM-DD or RFC 3339; default: the tape's first chain).
    #[arg(long, value_name = "DATE")]
    pub(crate) from: Option<String>,
    /// Last entry date, inclusive (default: the tape's last chain).
    #[arg(long, value_name = "DATE")]
    pub(crate) to: Option<String>,
    /// Fewest days to expiration of a new trade (default 30).
    #[arg(long, value_name = "DAYS")]
    pub(crate) dte_min: Option<i32>,
    /// Most days to expiration of a new trade (default 45).
    #[arg(long, value_name = "DAYS")]
    pub(crate) dte_max: Option<i32>,
    /// Smallest |delta| of the short leg (default 0.15).
    #[arg(long, value_name = "DELTA")]
    pub(crate) delta_min: Option<f64>,
    /// Largest |delta| of the short leg (default 0.35).
    #[arg(long, value_name = "DELTA")]
    pub(crate) delta_max: Option<f64>,
    /// Fills: mid, or natural (sell at the bid, buy at the ask: half the spread paid per leg).
    #[arg(long, default_value = "mid", value_name = "FILL")]
    pub(crate) fill: String,
    /// Close early once this percentage of the credit can be kept (e.g. 50).
    #[arg(long, value_name = "PERCENT")]
    pub(crate) take_profit: Option<f64>,
    /// Print the whole report as JSON instead of a table.
    #[arg(long)]
    pub(crate) json: bool,
    /// Also draw the equity curve as a PNG picture into this file.
    #[arg(long, value_name = "FILE")]
    pub(crate) chart: Option<std::path::PathBuf>,
}
