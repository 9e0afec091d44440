//! Regenerates the bundled demo tape: `cargo run -p broker-replay --example gen_demo_tape -- DIR`.

mod demo;

fn main() -> std::process::ExitCode {
    let dir = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "adapters/broker-replay/tapes/demo".to_owned());
    let (manifest, tape) = demo::generate();
    match tape.write_dir(std::path::Path::new(&dir), &manifest, true) {
        Ok(()) => {
            eprintln!("wrote {} lines to {dir}", tape.len());
            std::process::ExitCode::SUCCESS
        }
        Err(err) => {
            eprintln!("gen_demo_tape: {err}");
            std::process::ExitCode::FAILURE
        }
    }
}
