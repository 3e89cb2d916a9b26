//! deploy-action's entry point: parse arguments, dispatch, map the result to an exit status.

use std::process::ExitCode;

use clap::Parser;
use deploy_action::cli::{Cli, Command};
use deploy_action::commands::{self, exit};

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match &cli.command {
        Command::Lint(args) => commands::lint::run(args),
        Command::Deploy(args) => commands::deploy::run(args),
        Command::History(args) => commands::history::run(args),
    };
    match result {
        Ok(code) => ExitCode::from(code),
        Err(e) => {
            let chain: Vec<String> = e.chain().map(ToString::to_string).collect();
            #[allow(clippy::print_stderr)]
            {
                eprintln!("error: {}", chain.join(": "));
            }
            ExitCode::from(exit::USAGE)
        }
    }
}
