//! `ttai quant bs|ta`: the quant library over the reference file formats (quant README), so the
//! numbers can be checked by anyone with `check.py`.

use std::path::Path;
use std::process::ExitCode;

use anyhow::Context;
use ttai_core::quant::io;

use crate::cli::QuantCommand;

fn read(path: &Path) -> anyhow::Result<String> {
    std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))
}

fn write(out: Option<&Path>, text: &str) -> anyhow::Result<()> {
    match out {
        Some(path) => std::fs::write(path, text).with_context(|| format!("cannot write {}", path.display())),
        None => crate::compose::print_document(text).context("writing to stdout"),
    }
}

/// Runs the command; input errors name the file and the line or case.
pub(crate) fn run(command: &QuantCommand) -> anyhow::Result<ExitCode> {
    match command {
        QuantCommand::Bs { json, out } => {
            let input = read(json)?;
            let output = io::bs_json(&input).with_context(|| format!("{}", json.display()))?;
            write(out.as_deref(), &output)?;
        }
        QuantCommand::Ta { csv, out } => {
            let input = read(csv)?;
            let output = io::ta_csv(&input).with_context(|| format!("{}", csv.display()))?;
            write(out.as_deref(), &output)?;
        }
    }
    Ok(ExitCode::SUCCESS)
}
