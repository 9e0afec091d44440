//! The command line (docs/design.md, "Shape" and "Configuration"): options, then a subcommand (`serve` by default).
//!
//! Options are read as text here and validated together in `settings`, so that every problem is
//! reported at once. They come in groups, and each subcommand takes (and its `--help` shows) only
//! the groups that mean something to it: `quant` none, `logout` the data folder, `status` the data
//! folder and the broker, `serve` all of them. Every option may also come before the subcommand
//! (`ttai --broker replay call get_quote symbol=SPY`); given in both places, the one after the
//! subcommand wins.

use clap::parser::ValueSource;
use clap::{ArgMatches, Args, CommandFactory, FromArgMatches, Parser, Subcommand};

const EXAMPLES: &str = "\
Examples:
  ttai --broker replay                            serve MCP over stdio on the bundled demo tape
  ttai --broker replay call get_quote symbol=SPY  run one tool and print its answer
  ttai login                                      store your TastyTrade OAuth credentials
  ttai status                                     who is logged in, and where the data lives
  ttai                                            serve MCP over stdio with your TastyTrade account
  ttai serve --transport http                     serve MCP over HTTP at http://127.0.0.1:5180/mcp";

const CALL_EXAMPLES: &str = "\
Examples:
  ttai --broker replay call get_quote symbol=SPY
  ttai --broker replay call get_option_chain symbol=SPY strikes_around=3
  ttai call analyze_options --json '{\"symbol\": \"AAPL\", \"strategy\": \"csp\"}'";

/// ttai: an MCP server for analysing options trades on a TastyTrade account.
#[derive(Debug, Parser)]
#[command(name = "ttai", version, about, long_about = None, propagate_version = true, after_help = EXAMPLES)]
pub(crate) struct Cli {
    #[command(flatten)]
    data: DataOptions,
    #[command(flatten)]
    broker: BrokerOptions,
    #[command(flatten)]
    server: ServerOptions,
    #[command(flatten)]
    analysis: AnalysisOptions,
    #[command(subcommand)]
    pub(crate) command: Option<Command>,
}

/// Where ttai keeps its data, and how much it logs.
#[derive(Debug, Clone, Default, Args)]
#[command(next_help_heading = "Data options")]
pub(crate) struct DataOptions {
    /// Data directory (database, vault, user knowledge documents); default: ~/.ttai when it
    /// exists, else the platform's data folder (~/.local/share/ttai, %LOCALAPPDATA%\ttai, ...).
    #[arg(long, env = "TTAI_DATA_DIR", value_name = "DIR")]
    data_dir: Option<String>,
    /// Log level: error, warn, info, debug, trace or off (logs go to stderr).
    #[arg(long, env = "TTAI_LOG_LEVEL", value_name = "LEVEL")]
    log_level: Option<String>,
}

/// Which broker answers.
#[derive(Debug, Clone, Default, Args)]
#[command(next_help_heading = "Broker options")]
pub(crate) struct BrokerOptions {
    /// Broker: tastytrade (live account) or replay (a recorded tape; the bundled demo by default).
    #[arg(long, env = "TTAI_BROKER", value_name = "BROKER")]
    broker: Option<String>,
    /// Tape folder for the replay broker (default: the bundled synthetic demo tape).
    #[arg(long, env = "TTAI_TAPE", value_name = "DIR")]
    tape: Option<String>,
    /// Replay clock start (RFC 3339 or YYYY-MM-DD); default: the tape's end.
    #[arg(long, env = "TTAI_REPLAY_AT", value_name = "TIME")]
    replay_at: Option<String>,
    /// Account number to use when a tool names none (default: the first account).
    #[arg(long, env = "TASTYTRADE_ACCOUNT", value_name = "NUMBER")]
    account: Option<String>,
}

/// How `serve` talks to clients and where alerts go.
#[derive(Debug, Clone, Default, Args)]
#[command(next_help_heading = "Server options")]
pub(crate) struct ServerOptions {
    /// MCP transport: stdio or http (`sse` is accepted as a synonym of http).
    #[arg(long, env = "TTAI_TRANSPORT", value_name = "TRANSPORT")]
    transport: Option<String>,
    /// Address to listen on (http).
    #[arg(long, env = "TTAI_HOST", value_name = "HOST")]
    host: Option<String>,
    /// Port to listen on (http); 0 picks a free port.
    #[arg(long, env = "TTAI_PORT", value_name = "PORT")]
    port: Option<String>,
    /// Bearer token required on every HTTP request (required on a non-loopback host).
    #[arg(long, env = "TTAI_AUTH_TOKEN", value_name = "TOKEN", hide_env_values = true)]
    auth_token: Option<String>,
    /// Where fired alerts go besides the connected clients: auto (a webhook when
    /// TTAI_WEBHOOK_URL is set with http, else stderr), stderr (alias tauri) or webhook.
    #[arg(long, env = "TTAI_NOTIFICATION_BACKEND", value_name = "BACKEND")]
    notify: Option<String>,
    /// Orders: let place_order and cancel_order act on orders you confirm in your MCP client
    /// (off by default; previews are always available).
    #[arg(long, env = "TTAI_ALLOW_ORDERS", value_name = "BOOL", num_args = 0..=1, require_equals = true, default_missing_value = "true")]
    allow_orders: Option<String>,
    /// Paper trading on the live broker: live quotes, orders filled locally (the replay broker
    /// always trades on paper).
    #[arg(long, env = "TTAI_PAPER", value_name = "BOOL", num_args = 0..=1, require_equals = true, default_missing_value = "true")]
    paper: Option<String>,
}

/// The analyses' models and caps.
#[derive(Debug, Clone, Default, Args)]
#[command(next_help_heading = "Analysis options")]
pub(crate) struct AnalysisOptions {
    /// Risk-free rate for option models, decimal (default 0.04).
    #[arg(long, env = "TTAI_RISK_FREE_RATE", value_name = "RATE")]
    risk_free_rate: Option<String>,
    /// Dividend yield used when the broker has none, decimal (default 0).
    #[arg(long, env = "TTAI_DIVIDEND_YIELD", value_name = "YIELD")]
    dividend_yield: Option<String>,
    /// Cap on exposure to one underlying after a trade, percent of net liq (default 10).
    #[arg(long, env = "TTAI_MAX_EXPOSURE_PERCENT", value_name = "PERCENT")]
    max_exposure_percent: Option<String>,
    /// Cap on option buying power in use after a trade, percent of net liq (default 50).
    #[arg(long, env = "TTAI_MAX_BP_USAGE_PERCENT", value_name = "PERCENT")]
    max_bp_usage_percent: Option<String>,
    /// Least credit a credit spread must collect, share of its width (default 0.2).
    #[arg(long, env = "TTAI_MIN_CREDIT_TO_WIDTH", value_name = "FRACTION")]
    min_credit_to_width: Option<String>,
}

/// Every option as text, for `Settings::from_options`.
#[derive(Debug, Clone, Default)]
pub(crate) struct GlobalOptions {
    pub(crate) data_dir: Option<String>,
    pub(crate) log_level: Option<String>,
    pub(crate) broker: Option<String>,
    pub(crate) tape: Option<String>,
    pub(crate) replay_at: Option<String>,
    pub(crate) account: Option<String>,
    pub(crate) transport: Option<String>,
    pub(crate) host: Option<String>,
    pub(crate) port: Option<String>,
    pub(crate) auth_token: Option<String>,
    pub(crate) notify: Option<String>,
    pub(crate) risk_free_rate: Option<String>,
    pub(crate) dividend_yield: Option<String>,
    pub(crate) max_exposure_percent: Option<String>,
    pub(crate) max_bp_usage_percent: Option<String>,
    pub(crate) min_credit_to_width: Option<String>,
    pub(crate) allow_orders: Option<String>,
    pub(crate) paper: Option<String>,
}

impl GlobalOptions {
    /// Each option's argument id (its field name) and its slot.
    fn slots(&mut self) -> [(&'static str, &mut Option<String>); 18] {
        [
            ("data_dir", &mut self.data_dir),
            ("log_level", &mut self.log_level),
            ("broker", &mut self.broker),
            ("tape", &mut self.tape),
            ("replay_at", &mut self.replay_at),
            ("account", &mut self.account),
            ("transport", &mut self.transport),
            ("host", &mut self.host),
            ("port", &mut self.port),
            ("auth_token", &mut self.auth_token),
            ("notify", &mut self.notify),
            ("risk_free_rate", &mut self.risk_free_rate),
            ("dividend_yield", &mut self.dividend_yield),
            ("max_exposure_percent", &mut self.max_exposure_percent),
            ("max_bp_usage_percent", &mut self.max_bp_usage_percent),
            ("min_credit_to_width", &mut self.min_credit_to_width),
            ("allow_orders", &mut self.allow_orders),
            ("paper", &mut self.paper),
        ]
    }

    /// Takes the options a subcommand was given on its command line.
    fn overlay(&mut self, sub: &ArgMatches) {
        let present: Vec<String> = sub.ids().map(|id| id.as_str().to_owned()).collect();
        for (id, slot) in self.slots() {
            if present.iter().any(|p| p == id) && sub.value_source(id) == Some(ValueSource::CommandLine) {
                *slot = sub.get_one::<String>(id).cloned();
            }
        }
    }
}

impl Cli {
    /// Parses the command line (exiting with clap's message on a mistake or for `--help`);
    /// `call_help` is appended to `ttai call --help`.
    pub(crate) fn parse_with(call_help: impl FnOnce() -> String) -> (Cli, GlobalOptions) {
        let mut command = Cli::command();
        if std::env::args_os().any(|a| a == "call") {
            let listing = call_help();
            command = command.mut_subcommand("call", |call| {
                call.after_help(format!("{listing}\n{CALL_EXAMPLES}"))
            });
        }
        let matches = command.get_matches();
        let cli = Cli::from_arg_matches(&matches).unwrap_or_else(|e| e.exit());
        let mut options = cli.options();
        if let Some((_, sub)) = matches.subcommand() {
            options.overlay(sub);
        }
        (cli, options)
    }

    /// The options given before any subcommand (or from the environment).
    fn options(&self) -> GlobalOptions {
        let (d, b, s, a) = (&self.data, &self.broker, &self.server, &self.analysis);
        GlobalOptions {
            data_dir: d.data_dir.clone(),
            log_level: d.log_level.clone(),
            broker: b.broker.clone(),
            tape: b.tape.clone(),
            replay_at: b.replay_at.clone(),
            account: b.account.clone(),
            transport: s.transport.clone(),
            host: s.host.clone(),
            port: s.port.clone(),
            auth_token: s.auth_token.clone(),
            notify: s.notify.clone(),
            risk_free_rate: a.risk_free_rate.clone(),
            dividend_yield: a.dividend_yield.clone(),
            max_exposure_percent: a.max_exposure_percent.clone(),
            max_bp_usage_percent: a.max_bp_usage_percent.clone(),
            min_credit_to_width: a.min_credit_to_width.clone(),
            allow_orders: s.allow_orders.clone(),
            paper: s.paper.clone(),
        }
    }
}

/// What to do.
#[derive(Debug, Subcommand)]
pub(crate) enum Command {
    /// Serve MCP (the default): over stdio for a client that launches ttai, or over HTTP.
    #[command(after_help = "\
Examples:
  ttai serve                                      stdio, your TastyTrade account
  ttai --broker replay serve                      stdio, the bundled demo tape
  ttai serve --transport http --port 5180         MCP Streamable HTTP at /mcp, HTTP+SSE at /sse")]
    Serve(ServeArgs),
    /// Run one tool through the MCP dispatch and print its result as JSON (`--help` lists the tools).
    #[command(after_help = CALL_EXAMPLES)]
    Call(CallArgs),
    /// Store TastyTrade OAuth credentials (client secret and refresh token) after proving them.
    #[command(after_help = "\
Examples:
  ttai login                                      asks for both (hidden), proves them, seals them
  ttai login --no-remember                        proves them, then serves MCP with them, storing nothing")]
    Login(LoginArgs),
    /// Erase the stored credentials.
    Logout(LogoutArgs),
    /// The broker in use, who is logged in (account numbers masked), the token's lifetime and
    /// the vault; exit code 0 when ready to serve (logged in, or the replay broker).
    #[command(after_help = "\
Examples:
  ttai status
  ttai status --json
  ttai --broker replay status                     the replay broker needs no login")]
    Status(StatusArgs),
    /// Serve with the live broker and append every answer to the tape folder given by --tape.
    #[command(after_help = "\
Examples:
  ttai record --tape ~/tapes/monday               then: ttai --broker replay --tape ~/tapes/monday")]
    Record(ServeArgs),
    /// Backtest a strategy on a recorded tape (--tape DIR, default the bundled demo tape): the
    /// options analysis picks each trade; settled from the tape.
    #[command(after_help = "\
Examples:
  ttai backtest --strategy csp --symbol SPY
  ttai backtest --strategy wheel --symbol SPY --take-profit 50 --chart equity.png")]
    Backtest(BacktestArgs),
    /// Run the quant library on reference input files (docs/design.md, "Analysis numbers"), for anyone to check the numbers.
    #[command(subcommand)]
    Quant(QuantCommand),
}

/// `ttai serve` and `ttai record`: every option.
#[derive(Debug, Args)]
pub(crate) struct ServeArgs {
    #[command(flatten)]
    _data: DataOptions,
    #[command(flatten)]
    _broker: BrokerOptions,
    #[command(flatten)]
    _server: ServerOptions,
    #[command(flatten)]
    _analysis: AnalysisOptions,
}

/// `ttai call`.
#[derive(Debug, Args)]
pub(crate) struct CallArgs {
    /// Tool name, e.g. get_quote (`ttai call --help` lists them).
    pub(crate) tool: String,
    /// Arguments as key=value (values that parse as JSON are JSON, others are strings).
    pub(crate) args: Vec<String>,
    /// Arguments as one JSON object instead.
    #[arg(long, value_name = "JSON", conflicts_with = "args")]
    pub(crate) json: Option<String>,
    /// Print the whole MCP result (content, structuredContent, isError) instead of the structured content.
    #[arg(long)]
    pub(crate) raw: bool,
    #[command(flatten)]
    _data: DataOptions,
    #[command(flatten)]
    _broker: BrokerOptions,
    #[command(flatten)]
    _analysis: AnalysisOptions,
}

/// `ttai quant`.
#[derive(Debug, Subcommand)]
pub(crate) enum QuantCommand {
    /// Black-Scholes-Merton prices, greeks and implied vols for a `ttai-quant-bs-input/1` JSON file.
    #[command(after_help = "\
Example:
  ttai quant bs --json src/core/testdata/quant/public/bs_inputs.json --out /tmp/bs.json")]
    Bs {
        /// Input JSON file.
        #[arg(long, value_name = "FILE")]
        json: std::path::PathBuf,
        /// Write the output here instead of stdout.
        #[arg(long, value_name = "FILE")]
        out: Option<std::path::PathBuf>,
    },
    /// Indicators and support/resistance for a `date,open,high,low,close,volume` CSV file.
    #[command(after_help = "\
Example:
  ttai quant ta --csv prices.csv --out indicators.json")]
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
    #[command(flatten)]
    _data: DataOptions,
    #[command(flatten)]
    _server: ServerOptions,
    #[command(flatten)]
    _analysis: AnalysisOptions,
}

/// `ttai logout`.
#[derive(Debug, Args)]
pub(crate) struct LogoutArgs {
    #[command(flatten)]
    _data: DataOptions,
}

/// `ttai status`.
#[derive(Debug, Args)]
pub(crate) struct StatusArgs {
    /// Print JSON instead of text.
    #[arg(long)]
    pub(crate) json: bool,
    #[command(flatten)]
    _data: DataOptions,
    #[command(flatten)]
    _broker: BrokerOptions,
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
    /// Tape folder to replay (default: the bundled synthetic demo tape).
    #[arg(id = "tape", long = "tape", env = "TTAI_TAPE", value_name = "DIR")]
    pub(crate) _tape: Option<String>,
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
    #[command(flatten)]
    pub(crate) _data: DataOptions,
    #[command(flatten)]
    pub(crate) _analysis: AnalysisOptions,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(args: &[&str]) -> GlobalOptions {
        let matches = Cli::command().try_get_matches_from(args).unwrap();
        let cli = Cli::from_arg_matches(&matches).unwrap();
        let mut options = cli.options();
        if let Some((_, sub)) = matches.subcommand() {
            options.overlay(sub);
        }
        options
    }

    fn help(args: &[&str]) -> String {
        let error = Cli::command().try_get_matches_from(args).unwrap_err();
        error.render().to_string()
    }

    #[test]
    fn options_count_before_or_after_the_subcommand_and_after_wins() {
        let options = parse(&["ttai", "--broker", "replay", "call", "get_quote"]);
        assert_eq!(options.broker.as_deref(), Some("replay"));
        let options = parse(&[
            "ttai",
            "call",
            "get_quote",
            "--broker",
            "replay",
            "--data-dir",
            "/d",
        ]);
        assert_eq!(options.broker.as_deref(), Some("replay"));
        assert_eq!(options.data_dir.as_deref(), Some("/d"));
        let options = parse(&["ttai", "--broker", "tastytrade", "status", "--broker", "replay"]);
        assert_eq!(options.broker.as_deref(), Some("replay"));
        let options = parse(&["ttai", "--port", "9", "serve", "--transport", "http"]);
        assert_eq!(
            (options.port.as_deref(), options.transport.as_deref()),
            (Some("9"), Some("http"))
        );
        let options = parse(&[
            "ttai",
            "backtest",
            "--strategy",
            "csp",
            "--symbol",
            "SPY",
            "--tape",
            "/t",
        ]);
        assert_eq!(options.tape.as_deref(), Some("/t"));
    }

    #[test]
    fn each_subcommand_takes_and_shows_only_its_options() {
        let quant = help(&["ttai", "quant", "bs", "--help"]);
        for flag in ["--transport", "--port", "--broker", "--data-dir"] {
            assert!(!quant.contains(flag), "{flag} in quant's help:\n{quant}");
        }
        assert!(quant.contains("Example"), "{quant}");
        let status = help(&["ttai", "status", "--help"]);
        assert!(
            status.contains("--broker") && status.contains("--data-dir"),
            "{status}"
        );
        assert!(
            !status.contains("--transport") && !status.contains("--max-exposure-percent"),
            "{status}"
        );
        let logout = help(&["ttai", "logout", "--help"]);
        assert!(!logout.contains("--broker"), "{logout}");
        let top = help(&["ttai", "--help"]);
        for heading in [
            "Data options",
            "Broker options",
            "Server options",
            "Analysis options",
            "Examples",
        ] {
            assert!(top.contains(heading), "{heading}:\n{top}");
        }
        // A subcommand refuses an option that means nothing to it.
        let error = Cli::command()
            .try_get_matches_from(["ttai", "quant", "bs", "--json", "x", "--port", "1"])
            .unwrap_err();
        assert_eq!(error.kind(), clap::error::ErrorKind::UnknownArgument);
    }
}
