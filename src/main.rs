//! deploy-action's entry point: parse arguments, dispatch, map the result to an exit status.

use std::process::ExitCode;

use clap::Parser;
use deploy_action::cli::{Cli, Command};
use deploy_action::commands::{self, exit};

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match &cli.command {
        Command::Lint(args) => commands::lint::run(args),
        Command::Build(args) => commands::build::run(args),
        Command::Tags(args) => commands::tags::run(args),
        Command::GenWorkflow(args) => commands::gen_workflow::run(args),
        Command::Graph(args) => commands::graph::run(args),
        Command::Deploy(args) => commands::deploy::run(args),
        Command::History(args) => commands::history::run(args),
        Command::Promote(args) => commands::promote::run(args),
        Command::Rollback(args) => commands::rollback::run(args),
        Command::Lsp(args) => commands::lsp::run(args),
    };
    match result {
        Ok(code) => ExitCode::from(code),
        Err(e) => {
            let chain: Vec<String> = e.chain().map(ToString::to_string).collect();
            #[allow(clippy::print_stderr)]
            {
                eprintln!("error: {}", chain.join(": "));
            }
            let code = e
                .downcast_ref::<deploy_action_image::ImageError>()
                .map_or(exit::USAGE, deploy_action_image::ImageError::exit_code);
            ExitCode::from(code)
        }
    }
}

/// Linting allocates many small strings and nodes; mimalloc roughly halves the time spent in the
/// allocator compared with glibc's malloc.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;
