//! `ttai`: parse the command line, validate settings, start logging, compose, run.
//!
//! After start-up nothing exits the process but a shutdown: request failures become replies and
//! background failures are logged. Start-up problems exit with code 2 (settings) or 1 (anything
//! else), the cause chain on stderr. SIGINT/SIGTERM shut down gracefully (exit code 0); a second
//! signal, or a shutdown still stuck after the drain period and its grace, exits at once with 1.

mod cli;
mod commands;
mod compose;
mod knowledge_fs;
mod settings;
mod telemetry;

use std::process::ExitCode;
use std::time::Duration;

use anyhow::Context;
use ttai_core::ports::{Shutdown, ShutdownTrigger};

use cli::{Cli, Command};
use compose::SessionChoice;
use settings::Settings;

fn main() -> ExitCode {
    let (cli, options) = Cli::parse_with(compose::tool_listing);
    let settings = match Settings::from_options(&options) {
        Ok(settings) => settings,
        Err(problems) => {
            let mut text = "ttai: invalid settings:".to_owned();
            for problem in problems {
                text.push_str("\n  - ");
                text.push_str(&problem);
            }
            telemetry::say(&text);
            return ExitCode::from(2);
        }
    };
    telemetry::init(settings.log_level);
    // A sequential stdio client is answered fastest by one thread (no cross-thread wake-ups);
    // HTTP serves many connections at once on every core.
    let serving_http = matches!(
        cli.command,
        None | Some(Command::Serve(_) | Command::Record(_) | Command::Login(_))
    ) && settings.transport == settings::TransportChoice::Http;
    let mut builder = if serving_http {
        let mut b = tokio::runtime::Builder::new_multi_thread();
        b.worker_threads(std::thread::available_parallelism().map_or(2, |n| n.get().clamp(2, 8)));
        b
    } else {
        tokio::runtime::Builder::new_current_thread()
    };
    // The signal watcher of a server starts before anything else, so it is ready by the time the
    // server answers (see `watch_signals`).
    let early_watch = match &cli.command {
        None | Some(Command::Serve(_) | Command::Record(_)) => match watch_signals(&settings) {
            Ok(watch) => Some(watch),
            Err(err) => {
                telemetry::say(&format!("ttai: {err:#}"));
                return ExitCode::FAILURE;
            }
        },
        Some(_) => None,
    };
    let runtime = match builder.enable_all().build() {
        Ok(runtime) => runtime,
        Err(err) => {
            telemetry::say(&format!("ttai: cannot start the async runtime: {err}"));
            return ExitCode::FAILURE;
        }
    };
    let outcome = runtime.block_on(run(cli.command, settings, early_watch));
    runtime.shutdown_timeout(Duration::from_millis(200));
    let code = match outcome {
        Ok(code) => code,
        Err(err) => {
            telemetry::say(&format!("ttai: {err:#}"));
            ExitCode::FAILURE
        }
    };
    telemetry::flush();
    code
}

/// A file-size limit (`ulimit -f`) must make a write fail (a store error the tools report), not
/// end the process: SIGXFSZ's default action kills it. Once a handler is registered it stays for
/// the life of the process, so the `Signal` itself is not kept.
fn ignore_file_size_signal() {
    #[cfg(unix)]
    if let Err(err) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::from_raw(libc::SIGXFSZ)) {
        tracing::debug!(error = %err, "cannot ignore SIGXFSZ");
    }
}

async fn run(
    command: Option<Command>,
    settings: Settings,
    early_watch: Option<SignalWatch>,
) -> anyhow::Result<ExitCode> {
    if early_watch.is_none() {
        ignore_file_size_signal();
    }
    match command {
        None | Some(Command::Serve(_)) => serve(settings, SessionChoice::default(), early_watch).await,
        Some(Command::Call(args)) => {
            let composed = compose::build(&settings, SessionChoice::default()).await?;
            commands::call::run(composed.server, &args).await
        }
        Some(Command::Login(args)) => match commands::auth::login(&settings, &args).await? {
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
                serve(settings, choice, None).await
            }
            None => Ok(ExitCode::SUCCESS),
        },
        Some(Command::Logout(_)) => commands::auth::logout(&settings).await,
        Some(Command::Status(args)) => commands::auth::status(&settings, &args).await,
        Some(Command::Record(_)) => {
            let choice = SessionChoice {
                given: None,
                record: true,
            };
            serve(settings, choice, early_watch).await
        }
        Some(Command::Backtest(args)) => commands::backtest::run(&settings, &args).await,
        Some(Command::Quant(command)) => commands::quant::run(&command),
    }
}

/// SIGINT and SIGTERM, listened to.
struct Signals {
    #[cfg(unix)]
    term: Option<tokio::signal::unix::Signal>,
    #[cfg(unix)]
    int: Option<tokio::signal::unix::Signal>,
}

impl Signals {
    /// Starts listening (inside a runtime): from here on neither signal ends the process, and
    /// neither does SIGXFSZ.
    fn listen() -> Signals {
        ignore_file_size_signal();
        #[cfg(unix)]
        {
            use tokio::signal::unix::{SignalKind, signal};
            Signals {
                term: signal(SignalKind::terminate()).ok(),
                int: signal(SignalKind::interrupt()).ok(),
            }
        }
        #[cfg(not(unix))]
        Signals {}
    }

    /// The next SIGINT or SIGTERM.
    async fn next(&mut self) {
        #[cfg(unix)]
        {
            async fn recv(signal: &mut Option<tokio::signal::unix::Signal>) {
                match signal {
                    Some(signal) => {
                        signal.recv().await;
                    }
                    None => std::future::pending::<()>().await,
                }
            }
            tokio::select! {
                () = recv(&mut self.term) => {}
                () = recv(&mut self.int) => {}
            }
        }
        #[cfg(not(unix))]
        {
            let _ = tokio::signal::ctrl_c().await;
        }
    }
}

/// The signal watcher of a server: the shutdown trigger it fires, and word that it is ready.
struct SignalWatch {
    trigger: ShutdownTrigger,
    shutdown: Shutdown,
    ready: std::sync::mpsc::Receiver<()>,
}

impl SignalWatch {
    /// Returns once SIGINT and SIGTERM are being listened to.
    fn wait_ready(&self) -> anyhow::Result<()> {
        self.ready
            .recv_timeout(Duration::from_secs(5))
            .context("the signal watcher did not start")
    }
}

/// Watches SIGINT and SIGTERM on a thread of its own (with its own small runtime), so a signal
/// is seen even when the serving runtime is stuck: the first fires the shutdown trigger; a second
/// one, or a shutdown still running 5 s after the drain period, ends the process at once (exit
/// code 1). The server waits for it to be ready before answering anything.
fn watch_signals(settings: &Settings) -> anyhow::Result<SignalWatch> {
    let grace = settings.budgets.drain + Duration::from_secs(5);
    let (trigger, shutdown) = ShutdownTrigger::new();
    let fire = trigger.clone();
    let (ready_tx, ready) = std::sync::mpsc::channel::<()>();
    std::thread::Builder::new()
        .name("signals".into())
        .spawn(move || {
            let Ok(runtime) = tokio::runtime::Builder::new_current_thread().enable_all().build() else {
                return;
            };
            runtime.block_on(async move {
                let mut signals = Signals::listen();
                let _ = ready_tx.send(());
                signals.next().await;
                tracing::info!("signal received; shutting down");
                fire.fire();
                tokio::select! {
                    () = signals.next() => tracing::warn!("second signal; exiting now"),
                    () = tokio::time::sleep(grace) => tracing::warn!(
                        grace_secs = grace.as_secs(),
                        "shutdown did not finish in time; exiting now"
                    ),
                }
            });
            telemetry::flush();
            #[allow(clippy::exit)] // the last resort when a graceful shutdown is stuck
            std::process::exit(1);
        })
        .context("cannot start the signal watcher")?;
    Ok(SignalWatch {
        trigger,
        shutdown,
        ready,
    })
}

async fn serve(
    settings: Settings,
    choice: SessionChoice,
    watch: Option<SignalWatch>,
) -> anyhow::Result<ExitCode> {
    let watch = match watch {
        Some(watch) => watch,
        None => watch_signals(&settings)?,
    };
    let composed = compose::build(&settings, choice).await?;
    let transport = compose::transport(&settings)?;
    watch.wait_ready()?;
    let SignalWatch {
        trigger, shutdown, ..
    } = watch;
    // Background work (the tape if its read has not finished, the tool list, the database, the
    // alert monitor) starts once the transport is listening: on two cores it would otherwise
    // compete with the first answer. The tape's read itself began at composition
    // (`ReplayBroker::start_loading`): the first call needs it, and it takes less than a
    // millisecond on the other core.
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
