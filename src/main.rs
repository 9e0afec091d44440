//! `ttai`: parse the command line, validate settings, start logging, compose, run.
//!
//! After start-up nothing exits the process: request failures become replies and background
//! failures are logged. Start-up problems exit with code 2 (settings) or 1 (anything else), the
//! cause chain on stderr.

mod budgets;
mod cli;
mod commands;
mod compose;
mod knowledge_fs;
mod settings;
mod telemetry;

use std::process::ExitCode;
use std::time::Duration;

use anyhow::Context;
use clap::Parser;
use ttai_core::ports::ShutdownTrigger;

use cli::{Cli, Command};
use compose::SessionChoice;
use settings::Settings;

fn main() -> ExitCode {
    let cli = Cli::parse();
    let settings = match Settings::from_options(&cli.options) {
        Ok(settings) => settings,
        Err(problems) => {
            eprintln!("ttai: invalid settings:");
            for problem in problems {
                eprintln!("  - {problem}");
            }
            return ExitCode::from(2);
        }
    };
    telemetry::init(settings.log_level);
    // A sequential stdio client is answered fastest by one thread (no cross-thread wake-ups);
    // HTTP serves many connections at once on every core.
    let serving_http = matches!(
        cli.command,
        None | Some(Command::Serve | Command::Record | Command::Login(_))
    ) && settings.transport == settings::TransportChoice::Http;
    let mut builder = if serving_http {
        let mut b = tokio::runtime::Builder::new_multi_thread();
        b.worker_threads(std::thread::available_parallelism().map_or(2, |n| n.get().clamp(2, 8)));
        b
    } else {
        tokio::runtime::Builder::new_current_thread()
    };
    let runtime = match builder.enable_all().build() {
        Ok(runtime) => runtime,
        Err(err) => {
            eprintln!("ttai: cannot start the async runtime: {err}");
            return ExitCode::FAILURE;
        }
    };
    let outcome = runtime.block_on(run(cli.command, settings));
    runtime.shutdown_timeout(Duration::from_millis(200));
    match outcome {
        Ok(code) => code,
        Err(err) => {
            eprintln!("ttai: {err:#}");
            ExitCode::FAILURE
        }
    }
}

async fn run(command: Option<Command>, settings: Settings) -> anyhow::Result<ExitCode> {
    match command.unwrap_or(Command::Serve) {
        Command::Serve => serve(settings, SessionChoice::default()).await,
        Command::Call(args) => {
            let composed = compose::build(&settings, SessionChoice::default()).await?;
            commands::call::run(composed.server, &args).await
        }
        Command::Login(args) => match commands::auth::login(&settings, &args).await? {
            // --no-remember: serve with the proven credentials, which live only in this process.
            Some(given) => {
                let settings = Settings {
                    broker: settings::BrokerChoice::Tastytrade,
                    ..settings
                };
                let choice = SessionChoice {
                    given: Some(given),
                    record: false,
                };
                serve(settings, choice).await
            }
            None => Ok(ExitCode::SUCCESS),
        },
        Command::Logout => commands::auth::logout(&settings).await,
        Command::Status(args) => commands::auth::status(&settings, &args).await,
        Command::Record => {
            let choice = SessionChoice {
                given: None,
                record: true,
            };
            serve(settings, choice).await
        }
        Command::Backtest(args) => commands::backtest::run(&settings, &args).await,
        Command::Quant(command) => commands::quant::run(&command),
    }
}

/// Resolves on SIGINT or SIGTERM.
async fn signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    _ = term.recv() => {}
                    _ = tokio::signal::ctrl_c() => {}
                }
            }
            Err(_) => {
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}

async fn serve(settings: Settings, choice: SessionChoice) -> anyhow::Result<ExitCode> {
    let composed = compose::build(&settings, choice).await?;
    let transport = compose::transport(&settings)?;
    let (trigger, shutdown) = ShutdownTrigger::new();
    let on_signal = trigger.clone();
    tokio::spawn(async move {
        signal().await;
        tracing::info!("signal received; shutting down");
        on_signal.fire();
    });
    // Background work (tape, database, alert monitor, tool schemas) starts once the transport
    // is listening: on two cores it would otherwise compete with the first answer.
    {
        let composed = composed.clone();
        let settings = settings.clone();
        let trigger = trigger.clone();
        tokio::spawn(async move {
            tokio::task::yield_now().await;
            compose::start_background(&composed, &settings, &trigger);
        });
    }
    let credentials = composed
        .live
        .as_ref()
        .map_or("not needed", |(_, origin)| origin.label());
    tracing::info!(
        transport = transport.name(),
        broker = %composed.server.app().broker().info().source,
        credentials,
        "serving MCP"
    );
    transport
        .serve(composed.server.clone(), shutdown)
        .await
        .context("transport failed")?;
    trigger.fire();
    Ok(ExitCode::SUCCESS)
}
