//! The binary against the fake TastyTrade server (`contract_tests::fake_tastytrade`) on
//! 127.0.0.1, pointed at by `TASTYTRADE_API_URL`: login, status, every broker tool, the access
//! token's expiry and refresh, scripted faults, logout, `record` and replay of the recording.
//! Every byte the binary writes (stdout, stderr, data files) is kept and searched for the canary
//! secrets at the end of each test.

use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{SystemTime, UNIX_EPOCH};

use contract_tests::fake_tastytrade::{Endpoint, FakeOptions, FakeTastyTrade, Fault};
use serde_json::{Value, json};
use ttai_core::testing::sample_market_at;
use ttai_core::time::Timestamp;

use crate::support::{BIN, Ttai};

pub(crate) const SECRET: &str = "CANARY-client-secret-5d21";
pub(crate) const REFRESH: &str = "CANARY-refresh-token-c08e";
const ACCESS: &str = "CANARY-access-token";

pub(crate) fn wall_now() -> Timestamp {
    let ms = SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_millis();
    Timestamp::from_millis(i64::try_from(ms).unwrap())
}

/// The fake, serving the sample market dated today (the binary runs on the wall clock), with
/// canary credentials and tokens.
pub(crate) fn fake() -> FakeTastyTrade {
    let now = wall_now();
    let mut options = FakeOptions::scenario();
    options.market = sample_market_at(now);
    options.now = now;
    options.client_secret = SECRET.to_owned();
    options.refresh_token = REFRESH.to_owned();
    options.token_prefix = ACCESS.to_owned();
    FakeTastyTrade::start_with(options).unwrap()
}

/// Everything the binary wrote during a test, for the canary search.
#[derive(Clone, Default)]
struct Transcript(Arc<Mutex<Vec<String>>>);

impl Transcript {
    fn add(&self, text: &str) {
        self.0.lock().unwrap().push(text.to_owned());
    }

    fn add_session(&self, ttai: &Ttai) {
        self.add(&ttai.stderr());
        for line in ttai.stdout_log.lock().unwrap().iter() {
            self.add(line);
        }
    }

    /// Adds every file under `dir` (logs, database, vault, tapes).
    fn add_files(&self, dir: &Path) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                self.add_files(&path);
            } else if let Ok(bytes) = std::fs::read(&path) {
                self.add(&String::from_utf8_lossy(&bytes));
            }
        }
    }

    /// No secret, refresh token or access token anywhere.
    fn assert_no_secrets(&self) {
        let all = self.0.lock().unwrap();
        assert!(!all.is_empty());
        for text in all.iter() {
            for canary in [SECRET, REFRESH, ACCESS] {
                assert!(!text.contains(canary), "{canary} leaked in:\n{text}");
            }
        }
    }
}

/// One finished run of the binary.
struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

/// Runs `ttai ARGS` on `data_dir` with `stdin` as input, pointed at `fake`.
fn run(
    transcript: &Transcript,
    data_dir: &Path,
    fake: &FakeTastyTrade,
    args: &[&str],
    env: &[(&str, &str)],
    stdin: &str,
) -> Run {
    let mut command = Command::new(BIN);
    command
        .args(args)
        .env_remove("TASTYTRADE_CLIENT_SECRET")
        .env_remove("TASTYTRADE_REFRESH_TOKEN")
        .env_remove("TTAI_BROKER")
        .env_remove("TTAI_TRANSPORT")
        .env_remove("TTAI_VAULT_PASSPHRASE")
        .env("TTAI_DATA_DIR", data_dir)
        .env("TTAI_LOG_LEVEL", "trace")
        .env("TASTYTRADE_API_URL", fake.url())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    for (k, v) in env {
        command.env(k, v);
    }
    let mut child = command.spawn().unwrap();
    child.stdin.take().unwrap().write_all(stdin.as_bytes()).unwrap();
    let output = child.wait_with_output().unwrap();
    let run = Run {
        code: output.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    };
    transcript.add(&run.stdout);
    transcript.add(&run.stderr);
    run
}

/// `ttai serve` on `data_dir`, pointed at `fake`, initialized.
pub(crate) fn serve(
    data_dir: tempfile::TempDir,
    fake: &FakeTastyTrade,
    args: &[&str],
    env: &[(&str, &str)],
) -> Ttai {
    let url = fake.url();
    let mut all_env = vec![("TASTYTRADE_API_URL", url.as_str()), ("TTAI_LOG_LEVEL", "trace")];
    all_env.extend_from_slice(env);
    let mut ttai = Ttai::spawn_in(data_dir, args, &all_env);
    ttai.initialize("2025-11-25");
    ttai
}

fn error_of(result: &Value) -> &Value {
    assert_eq!(result["isError"], true, "{result}");
    &result["structuredContent"]["error"]
}

pub(crate) fn ok(result: Value) -> Value {
    assert_eq!(result["isError"], false, "{result}");
    result["structuredContent"].clone()
}

fn credentials_input() -> String {
    format!("{SECRET}\n{REFRESH}\n")
}

#[test]
fn login_status_every_broker_tool_faults_and_logout_against_the_fake_tastytrade() {
    let fake = fake();
    let transcript = Transcript::default();
    let data = tempfile::tempdir().unwrap();
    let dir = data.path();

    // Before login: status says so, exit code 1, and nothing was sent.
    let status = run(&transcript, dir, &fake, &["status"], &[], "");
    assert_eq!(status.code, 1, "{}", status.stderr);
    assert!(
        status.stdout.contains("credentials:  none: run `ttai login`"),
        "{}",
        status.stdout
    );
    assert!(status.stdout.contains("vault:        empty"), "{}", status.stdout);
    assert_eq!(fake.total_calls(), 0);

    // Wrong credentials are refused and nothing is stored.
    let refused = run(
        &transcript,
        dir,
        &fake,
        &["login"],
        &[],
        &format!("wrong-secret\n{REFRESH}\n"),
    );
    assert_eq!(refused.code, 1);
    assert!(
        refused
            .stderr
            .contains("TastyTrade did not accept the credentials"),
        "{}",
        refused.stderr
    );
    assert!(refused.stderr.contains("run ttai login"), "{}", refused.stderr);
    assert!(!dir.join(".credentials").exists());
    // Blank input is refused before anything is sent.
    let calls = fake.total_calls();
    let blank = run(&transcript, dir, &fake, &["login"], &[], "\n\n");
    assert_eq!(blank.code, 1);
    assert!(
        blank.stderr.contains("the client secret is empty"),
        "{}",
        blank.stderr
    );
    assert_eq!(fake.total_calls(), calls);

    // Login proves the credentials (a token and the account list), then seals them.
    let token_calls = fake.calls(Endpoint::Token);
    let login = run(&transcript, dir, &fake, &["login"], &[], &credentials_input());
    assert_eq!(login.code, 0, "{}", login.stderr);
    assert!(
        login
            .stderr
            .contains("1 account: 5WT•••01 (Sample margin, Individual, Margin)"),
        "{}",
        login.stderr
    );
    assert!(
        !login.stderr.contains("5WT00001"),
        "account numbers are masked: {}",
        login.stderr
    );
    assert_eq!(fake.calls(Endpoint::Token), token_calls + 1);
    assert!(login.stdout.is_empty());
    let sealed = std::fs::read(dir.join(".credentials")).unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        for file in [".credentials", ".key"] {
            let mode = std::fs::metadata(dir.join(file)).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600, "{file}");
        }
    }
    assert!(!String::from_utf8_lossy(&sealed).contains(SECRET));

    // Status proves the stored credentials.
    let status = run(&transcript, dir, &fake, &["status", "--json"], &[], "");
    assert_eq!(status.code, 0, "{}", status.stderr);
    let report: Value = serde_json::from_str(&status.stdout).unwrap();
    assert_eq!(report["logged_in"], true);
    assert_eq!(report["credentials"], "vault");
    assert_eq!(report["broker"]["name"], "tastytrade");
    assert_eq!(report["api_url"], fake.url());
    assert_eq!(report["vault"]["state"], "present");
    assert_eq!(report["accounts"][0]["account_number"], "5WT•••01");
    assert_eq!(
        report["accounts"].as_array().unwrap().len(),
        1,
        "the closed account is left out"
    );
    let expires = report["access_token_expires_in_s"].as_u64().unwrap();
    assert!((850..=900).contains(&expires), "{expires}");
    let text = run(&transcript, dir, &fake, &["status"], &[], "");
    assert_eq!(text.code, 0);
    assert!(
        text.stdout.contains("logged in:    yes, 1 account: 5WT•••01"),
        "{}",
        text.stdout
    );
    assert!(
        text.stdout.contains("access token: valid for 1"),
        "{}",
        text.stdout
    );

    // Serve restores the session from the vault; every broker tool answers from the fake.
    let mut ttai = serve(data, &fake, &["serve"], &[]);
    let quote = ok(ttai.call("get_quote", json!({"symbol": "SPY"})));
    assert_eq!(quote["source"], "tastytrade", "{quote}");
    assert_eq!(quote["synthetic"], false);
    let market_data = fake.calls(Endpoint::MarketData);
    let again = ok(ttai.call("get_quote", json!({"symbol": "SPY"})));
    assert_eq!(again["quotes"], quote["quotes"]);
    assert_eq!(
        fake.calls(Endpoint::MarketData),
        market_data,
        "the second ask is served from the cache"
    );

    // Ten asks for AAPL at once: one request to the API (single flight and cache).
    let before = fake.calls(Endpoint::MarketData);
    for id in 1000..1010 {
        ttai.send_raw(
            &json!({"jsonrpc": "2.0", "id": id, "method": "tools/call",
                    "params": {"name": "get_quote", "arguments": {"symbol": "AAPL"}}})
            .to_string(),
        );
    }
    for id in 1000..1010 {
        let (answer, _) = ttai.wait_for_id(&json!(id));
        assert_eq!(answer["result"]["isError"], false, "{answer}");
    }
    assert_eq!(fake.calls(Endpoint::MarketData), before + 1);

    let chain = ok(ttai.call(
        "get_option_chain",
        json!({"symbol": "SPY", "dte_max": 60, "strikes_around": 3}),
    ));
    let expirations = chain["expirations"].as_array().unwrap();
    assert_eq!(expirations.len(), 2, "{chain}");
    // The feed's greeks sit beside ttai's own, and agree with them (same model, same mid).
    let contracts: Vec<&Value> = expirations
        .iter()
        .flat_map(|e| e["strikes"].as_array().unwrap())
        .flat_map(|s| [&s["call"], &s["put"]])
        .filter(|c| c.get("broker_greeks").is_some())
        .collect();
    assert!(!contracts.is_empty(), "{chain}");
    for contract in contracts {
        let (ours, theirs) = (
            contract["iv"].as_f64().unwrap(),
            contract["broker_greeks"]["iv"].as_f64().unwrap(),
        );
        assert!((ours - theirs).abs() < 5e-4, "{contract}");
    }
    let chain_calls = fake.calls(Endpoint::OptionChain);
    ok(ttai.call("get_option_chain", json!({"symbol": "SPY"})));
    assert_eq!(
        fake.calls(Endpoint::OptionChain),
        chain_calls,
        "chains are cached too"
    );

    let positions = ok(ttai.call("get_positions", json!({})));
    assert_eq!(positions["account"], "5WT•••01");
    assert_eq!(positions["positions"].as_array().unwrap().len(), 2, "{positions}");
    let balances = ok(ttai.call("get_balances", json!({})));
    assert_eq!(balances["net_liquidating_value"], 100_000.0, "{balances}");
    let metrics = ok(ttai.call("get_market_metrics", json!({"symbols": ["SPY", "AAPL"]})));
    assert_eq!(metrics["metrics"].as_array().unwrap().len(), 2, "{metrics}");
    let found = ok(ttai.call("search_symbols", json!({"query": "AAP"})));
    assert_eq!(found["results"][0]["symbol"], "AAPL", "{found}");
    let options = ok(ttai.call("analyze_options", json!({"symbol": "AAPL", "strategy": "csp"})));
    assert!(!options["candidates"].as_array().unwrap().is_empty(), "{options}");
    // Candles come over DXLink: the chart and the full analysis work on the live broker.
    let chart = ok(ttai.call("analyze_chart", json!({"symbol": "SPY", "include_chart": false})));
    assert_eq!(chart["source"], "tastytrade", "{chart}");
    assert_eq!(chart["bars"], 300, "the fake's whole daily history: {chart}");
    let full = ok(ttai.call("run_full_analysis", json!({"symbol": "AAPL", "strategy": "csp"})));
    assert_eq!(full["source"], "tastytrade", "{full}");
    assert!(full["recommendation"].is_object(), "{full}");
    assert!(fake.dxlink_connections() >= 1);
    let resource = ttai.request("resources/read", json!({"uri": "portfolio://balances"}));
    assert!(
        resource["result"]["contents"][0]["text"]
            .as_str()
            .unwrap()
            .contains("100000"),
        "{resource}"
    );

    // The access token: expired tokens are answered 401 and re-minted once, transparently.
    let minted = fake.tokens_minted();
    fake.expire_tokens();
    ok(ttai.call("get_balances", json!({})));
    assert_eq!(fake.tokens_minted(), minted + 1);
    // Tokens that live less than the 60 s margin are replaced before every call.
    fake.set_expires_in(30);
    fake.expire_tokens();
    ok(ttai.call("get_balances", json!({})));
    let minted = fake.tokens_minted();
    ok(ttai.call("get_balances", json!({})));
    ok(ttai.call("get_balances", json!({})));
    assert_eq!(fake.tokens_minted(), minted + 2);
    fake.set_expires_in(900);
    ok(ttai.call("get_balances", json!({})));
    let minted = fake.tokens_minted();
    ok(ttai.call("get_balances", json!({})));
    assert_eq!(fake.tokens_minted(), minted, "a fresh 15-minute token is reused");

    // Scripted faults: each one a clear error, and the next call works.
    fake.fail_next(Endpoint::Balances, 1, Fault::RateLimited { retry_after: Some(7) });
    let limited = ttai.call("get_balances", json!({}));
    let error = error_of(&limited);
    assert_eq!(error["code"], "RATE_LIMIT", "{limited}");
    assert_eq!(error["retryable"], true);
    assert_eq!(error["details"]["retry_after"], 7);
    fake.fail_next(Endpoint::Balances, 1, Fault::Status(500));
    let failed = ttai.call("get_balances", json!({}));
    let error = error_of(&failed);
    assert_eq!(
        (error["code"].as_str(), error["retryable"].as_bool()),
        (Some("TASTYTRADE_ERROR"), Some(true)),
        "{failed}"
    );
    fake.fail_next(Endpoint::Balances, 1, Fault::Html(502));
    let html = ttai.call("get_balances", json!({}));
    assert_eq!(error_of(&html)["code"], "TASTYTRADE_ERROR", "{html}");
    assert!(
        !error_of(&html)["message"].as_str().unwrap().contains("<html"),
        "{html}"
    );
    fake.fail_next(Endpoint::Positions, 1, Fault::Html(200));
    let unreadable = ttai.call("get_positions", json!({}));
    assert!(
        error_of(&unreadable)["message"]
            .as_str()
            .unwrap()
            .contains("unreadable"),
        "{unreadable}"
    );
    fake.fail_next(Endpoint::Balances, 1, Fault::Unauthorized);
    ok(ttai.call("get_balances", json!({})));
    // TastyTrade revoking the grant: the tool says to log in again; the server keeps serving.
    fake.expire_tokens();
    fake.fail_next(
        Endpoint::Token,
        1,
        Fault::Reply {
            status: 401,
            body: json!({"error": "invalid_grant", "error_description": format!("grant {REFRESH} revoked")})
                .to_string(),
        },
    );
    let revoked = ttai.call("get_balances", json!({}));
    let error = error_of(&revoked);
    assert_eq!(error["code"], "AUTHENTICATION_ERROR", "{revoked}");
    assert!(
        error["message"].as_str().unwrap().contains("ttai login"),
        "{revoked}"
    );
    ok(ttai.call("get_balances", json!({})));
    let (status, ttai) = ttai.finish();
    assert!(status.success(), "{}", ttai.stderr());
    transcript.add_session(&ttai);
    let data = ttai.data_dir_handle();
    let dir = data.path();

    // Logout erases the vault; status and tools say how to log in again.
    let logout = run(&transcript, dir, &fake, &["logout"], &[], "");
    assert_eq!(logout.code, 0, "{}", logout.stderr);
    assert!(logout.stderr.contains("Logged out"), "{}", logout.stderr);
    assert!(!dir.join(".credentials").exists());
    let again = run(&transcript, dir, &fake, &["logout"], &[], "");
    assert!(again.stderr.contains("nothing to erase"), "{}", again.stderr);
    let status = run(&transcript, dir, &fake, &["status", "--json"], &[], "");
    assert_eq!(status.code, 1);
    let report: Value = serde_json::from_str(&status.stdout).unwrap();
    assert_eq!(
        (report["logged_in"].as_bool(), report["credentials"].as_str()),
        (Some(false), Some("none"))
    );
    assert!(report["error"].as_str().unwrap().contains("ttai login"));

    transcript.add_files(dir);
    transcript.assert_no_secrets();
}

#[test]
fn a_damaged_vault_is_reported_and_never_replaced() {
    let fake = fake();
    let transcript = Transcript::default();
    let data = tempfile::tempdir().unwrap();
    let dir = data.path();
    let login = run(&transcript, dir, &fake, &["login"], &[], &credentials_input());
    assert_eq!(login.code, 0, "{}", login.stderr);
    let path = dir.join(".credentials");
    let mut bytes = std::fs::read(&path).unwrap();
    let middle = bytes.len() / 2;
    bytes[middle] ^= 0x01;
    std::fs::write(&path, &bytes).unwrap();

    let status = run(&transcript, dir, &fake, &["status"], &[], "");
    assert_eq!(status.code, 1);
    assert!(
        status.stdout.contains("credentials file is damaged"),
        "{}",
        status.stdout
    );
    assert!(status.stdout.contains("run ttai login"), "{}", status.stdout);

    let calls = fake.total_calls();
    let mut ttai = serve(data, &fake, &["serve"], &[]);
    let result = ttai.call("get_quote", json!({"symbol": "SPY"}));
    let error = error_of(&result);
    assert_eq!(error["code"], "AUTHENTICATION_ERROR");
    assert!(
        error["message"]
            .as_str()
            .unwrap()
            .contains("credentials file is damaged"),
        "{result}"
    );
    assert_eq!(
        fake.total_calls(),
        calls,
        "nothing is sent without usable credentials"
    );
    transcript.add_session(&ttai);
    let data = ttai.data_dir_handle();
    assert_eq!(
        std::fs::read(data.path().join(".credentials")).unwrap(),
        bytes,
        "never silently replaced"
    );

    // A truncated file too; a new login replaces it.
    std::fs::write(&path, &bytes[..10]).unwrap();
    let status = run(&transcript, data.path(), &fake, &["status"], &[], "");
    assert!(
        status.stdout.contains("credentials file is damaged"),
        "{}",
        status.stdout
    );
    let login = run(
        &transcript,
        data.path(),
        &fake,
        &["login"],
        &[],
        &credentials_input(),
    );
    assert_eq!(login.code, 0, "{}", login.stderr);
    let status = run(&transcript, data.path(), &fake, &["status"], &[], "");
    assert_eq!(status.code, 0, "{}", status.stdout);
    transcript.add_files(data.path());
    transcript.assert_no_secrets();
}

#[test]
fn the_environment_and_no_remember_sessions_need_no_vault() {
    let fake = fake();
    let transcript = Transcript::default();

    // Credentials from the environment.
    let env = [
        ("TASTYTRADE_CLIENT_SECRET", SECRET),
        ("TASTYTRADE_REFRESH_TOKEN", REFRESH),
    ];
    let data = tempfile::tempdir().unwrap();
    let status = run(&transcript, data.path(), &fake, &["status", "--json"], &env, "");
    assert_eq!(status.code, 0, "{}", status.stderr);
    let report: Value = serde_json::from_str(&status.stdout).unwrap();
    assert_eq!(
        (report["credentials"].as_str(), report["vault"]["state"].as_str()),
        (Some("environment"), Some("empty"))
    );
    let mut ttai = serve(data, &fake, &["serve"], &env);
    ok(ttai.call("get_balances", json!({})));
    transcript.add_session(&ttai);
    let data = ttai.data_dir_handle();
    assert!(!data.path().join(".credentials").exists());
    transcript.add_files(data.path());

    // `login --no-remember`: two lines of credentials, then MCP on the same stdin.
    let data = tempfile::tempdir().unwrap();
    let init = json!({"jsonrpc": "2.0", "id": 1, "method": "initialize",
        "params": {"protocolVersion": "2025-11-25", "capabilities": {}, "clientInfo": {"name": "e2e", "version": "1"}}});
    let initialized = json!({"jsonrpc": "2.0", "method": "notifications/initialized"});
    let call = json!({"jsonrpc": "2.0", "id": 2, "method": "tools/call",
        "params": {"name": "get_balances", "arguments": {}}});
    let input = format!("{}{init}\n{initialized}\n{call}\n", credentials_input());
    let run = run(
        &transcript,
        data.path(),
        &fake,
        &["login", "--no-remember"],
        &[],
        &input,
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(run.stderr.contains("for this process only"), "{}", run.stderr);
    let answers: Vec<Value> = run
        .stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let balances = answers.iter().find(|a| a["id"] == 2).unwrap();
    assert_eq!(
        balances["result"]["structuredContent"]["net_liquidating_value"], 100_000.0,
        "{balances}"
    );
    assert!(
        !data.path().join(".credentials").exists(),
        "--no-remember stores nothing"
    );
    transcript.add_files(data.path());
    transcript.assert_no_secrets();
}

/// The environment's credentials, for sessions that need no login.
const ENV: [(&str, &str); 2] = [
    ("TASTYTRADE_CLIENT_SECRET", SECRET),
    ("TASTYTRADE_REFRESH_TOKEN", REFRESH),
];

/// dxFeed names candle events with the normal form of the subscribed symbol (`SPY{=d,tho=true}`
/// for `SPY{=1d,tho=true}`, `SPY{=w,tho=true}` for `SPY{=1w,tho=true}`), and so does the fake:
/// the daily and weekly charts work on the live broker, from the feed's own bars.
#[test]
fn daily_and_weekly_charts_work_on_the_feeds_normalised_candle_symbols() {
    let fake = fake();
    let transcript = Transcript::default();
    let data = tempfile::tempdir().unwrap();
    let mut ttai = serve(data, &fake, &["serve"], &ENV);
    for (timeframe, min_bars) in [("daily", 300), ("weekly", 60)] {
        let chart = ok(ttai.call(
            "analyze_chart",
            json!({"symbol": "SPY", "timeframe": timeframe, "include_chart": false}),
        ));
        assert_eq!(chart["source"], "tastytrade", "{chart}");
        assert_eq!(chart["timeframe"], timeframe, "{chart}");
        assert_eq!(
            chart["aggregated_from_daily"], false,
            "the feed's own {timeframe} bars: {chart}"
        );
        assert!(chart["bars"].as_u64().unwrap() >= min_bars, "{chart}");
    }
    let subscribed: std::collections::BTreeSet<String> = fake
        .dxlink_messages()
        .into_iter()
        .filter(|m| m["type"] == "FEED_SUBSCRIPTION")
        .flat_map(|m| m["add"].as_array().cloned().unwrap_or_default())
        .filter(|e| e["type"] == "Candle")
        .filter_map(|e| e["symbol"].as_str().map(str::to_owned))
        .collect();
    assert_eq!(
        subscribed,
        ["SPY{=1d,tho=true}", "SPY{=1w,tho=true}"]
            .map(str::to_owned)
            .into(),
        "asked as subscribed, answered in the normal form"
    );
    transcript.add_session(&ttai);
    transcript.assert_no_secrets();
}

/// Futures through the binary: `/ES` is quoted as its active contract, and its option chain
/// lists each expiration with the contract it delivers, priced on that contract (Black-76).
#[test]
fn futures_quotes_and_option_chains_through_the_binary() {
    let fake = fake();
    let transcript = Transcript::default();
    let data = tempfile::tempdir().unwrap();
    let mut ttai = serve(data, &fake, &["serve"], &ENV);
    let quote = ok(ttai.call("get_quote", json!({"symbol": "/ES"})));
    let es = &quote["quotes"][0];
    assert_eq!(es["symbol"], "/ES", "{quote}");
    assert_eq!(es["instrument_type"], "future", "{quote}");
    assert_eq!(es["last"], 6012.25, "{quote}");
    assert_eq!(quote["missing"], json!([]), "{quote}");
    let contract = fake.requests_to(Endpoint::MarketData)[0].query();
    assert_eq!(contract.len(), 1);
    assert_eq!(contract[0].0, "future", "asked as its contract: {contract:?}");
    assert!(contract[0].1.starts_with("/ES"), "{contract:?}");

    let chain = ok(ttai.call(
        "get_option_chain",
        json!({"symbol": "/ES", "dte_max": 400, "strikes_around": 3,
            "fields": ["symbol", "two_sided", "iv", "delta", "broker_greeks"]}),
    ));
    assert_eq!(chain["symbol"], "/ES", "{chain}");
    assert_eq!(chain["shares_per_contract"], 50, "$50 a point: {chain}");
    assert_eq!(chain["underlying_price"], 6012.25, "{chain}");
    assert_eq!(chain["model"]["dividend_yield_source"], "black76", "{chain}");
    let expirations = chain["expirations"].as_array().unwrap();
    assert_eq!(expirations.len(), 3, "{chain}");
    let front = expirations[0]["underlying"].as_str().unwrap();
    let next = expirations[2]["underlying"].as_str().unwrap();
    assert_eq!(front, contract[0].1, "{chain}");
    assert_ne!(
        front, next,
        "the later options deliver the next contract: {chain}"
    );
    assert_eq!(expirations[2]["underlying_price"], 6071.5, "{chain}");
    // Near the money of its own contract, with a market, IV and greeks (and the feed's).
    let atm = &expirations[0]["strikes"][3];
    assert_eq!(atm["strike"], 6000.0, "{chain}");
    let put = &atm["put"];
    assert!(put["symbol"].as_str().unwrap().starts_with("./ES"), "{put}");
    assert_eq!(put["two_sided"], true, "{put}");
    assert!(put["iv"].as_f64().unwrap() > 0.05, "{put}");
    assert!(put["delta"].as_f64().unwrap() < 0.0, "{put}");
    let theirs = put["broker_greeks"]["iv"].as_f64().unwrap();
    assert!((put["iv"].as_f64().unwrap() - theirs).abs() < 5e-4, "{put}");
    let centre = expirations[2]["strikes"][3]["strike"].as_f64().unwrap();
    assert!(
        (centre - 6071.5).abs() <= 12.5,
        "centred on its own contract: {centre}"
    );
    transcript.add_session(&ttai);
    transcript.assert_no_secrets();
}

/// The tool answers a recorded tape must reproduce, without `source` (which says where the
/// answer came from, and so differs by design).
fn answers(ttai: &mut Ttai) -> Vec<Value> {
    let calls = [
        ("get_quote", json!({"symbols": ["SPY", "AAPL"]})),
        ("get_positions", json!({})),
        ("get_balances", json!({})),
        ("get_market_metrics", json!({"symbols": ["SPY", "AAPL"]})),
        ("search_symbols", json!({"query": "SP"})),
        ("get_option_chain", json!({"symbol": "AAPL"})),
        ("get_transactions", json!({"start_date": "2000-01-01"})),
        ("get_realized_pnl", json!({"start_date": "2000-01-01"})),
        ("get_net_liq_history", json!({"time_back": "all"})),
        ("get_watchlists", json!({})),
    ];
    calls
        .iter()
        .map(|(tool, args)| {
            let mut answer = ok(ttai.call(tool, args.clone()));
            strip(&mut answer);
            answer
        })
        .collect()
}

/// Drops `source` and the model outputs that depend on the clock's exact millisecond.
fn strip(value: &mut Value) {
    match value {
        Value::Object(map) => {
            for key in [
                "source", "as_of", "iv", "delta", "gamma", "theta", "vega", "rho", "prob_itm", "prob_otm",
            ] {
                map.remove(key);
            }
            map.values_mut().for_each(strip);
        }
        Value::Array(items) => items.iter_mut().for_each(strip),
        _ => {}
    }
}

#[test]
fn a_recorded_tape_replays_the_same_answers() {
    let fake = fake();
    let transcript = Transcript::default();
    let data = tempfile::tempdir().unwrap();
    let tape = tempfile::tempdir().unwrap();
    let tape_dir = tape.path().join("my-session");
    let tape_arg = tape_dir.to_str().unwrap();
    let env = [
        ("TASTYTRADE_CLIENT_SECRET", SECRET),
        ("TASTYTRADE_REFRESH_TOKEN", REFRESH),
    ];

    // --broker replay contradicts record.
    let existing = tape.path().to_str().unwrap();
    let refused = run(
        &transcript,
        data.path(),
        &fake,
        &["--broker", "replay", "--tape", existing, "record"],
        &env,
        "",
    );
    assert_eq!(refused.code, 1);
    assert!(
        refused.stderr.contains("drop --broker replay"),
        "{}",
        refused.stderr
    );
    let refused = run(&transcript, data.path(), &fake, &["record"], &env, "");
    assert!(refused.stderr.contains("give --tape DIR"), "{}", refused.stderr);

    let mut recording = serve(data, &fake, &["--tape", tape_arg, "record"], &env);
    let live = answers(&mut recording);
    let recording_status = recording.call("get_market_status", json!({}));
    let (status, recording) = recording.finish();
    assert!(status.success(), "{}", recording.stderr());
    transcript.add_session(&recording);
    let manifest: Value =
        serde_json::from_slice(&std::fs::read(tape_dir.join("manifest.json")).unwrap()).unwrap();
    assert_eq!(manifest["synthetic"], false);
    assert_eq!(manifest["name"], "my-session");
    let lines = std::fs::read_to_string(tape_dir.join("tape.jsonl")).unwrap();
    assert!(lines.lines().count() >= 6, "{lines}");

    // The replay broker on that tape, with no network and no credentials.
    let calls = fake.total_calls();
    let mut replay = Ttai::spawn(&["--broker", "replay", "--tape", tape_arg, "serve"]);
    replay.initialize("2025-11-25");
    let replayed = answers(&mut replay);
    assert_eq!(fake.total_calls(), calls, "the replay asks the fake nothing");
    assert_eq!(replayed, live);
    let quote = ok(replay.call("get_quote", json!({"symbol": "SPY"})));
    assert_eq!(quote["source"], "replay:my-session", "{quote}");
    // The market's session as recorded, while it still holds at the replay clock.
    let recorded_status = ok(recording_status);
    let replayed_status = ok(replay.call("get_market_status", json!({})));
    for key in ["state", "current_session", "next_session", "previous_session"] {
        assert_eq!(replayed_status[key], recorded_status[key], "{key}");
    }
    transcript.add_session(&replay);

    // The same recording drives a backtest: one snapshot, so one trade, still open.
    let (code, stdout, stderr) = crate::support::run(
        &[
            "--tape",
            tape_arg,
            "backtest",
            "--strategy",
            "csp",
            "--symbol",
            "AAPL",
            "--json",
        ],
        &[],
    );
    assert_eq!(code, 0, "{stderr}");
    let report: Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(report["source"], "replay:my-session");
    assert_eq!(report["synthetic"], false);
    assert_eq!(report["summary"]["trades"], 1, "{report}");
    assert_eq!(report["trades"][0]["exit"], "open");
    transcript.add(&stdout);
    transcript.add(&stderr);
    transcript.add_files(tape.path());
    let data = recording.data_dir_handle();
    transcript.add_files(data.path());
    transcript.assert_no_secrets();
}
