//! deploy-action's entry point: parse arguments, dispatch, map the result to an exit status.

use std::process::ExitCode;

use clap::Parser;
use deploy_action::cli::{Cli, Command};
use deploy_action::commands::{self, exit};
use deploy_action_sys::exit::Failure;

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
            let (message, code) = render(&e);
            #[allow(clippy::print_stderr)]
            {
                eprintln!("error: {message}");
            }
            ExitCode::from(code)
        }
    }
}

/// The one line `main` prints for an error, and the exit status its type maps it to. A
/// [`Failure`] was rendered by its command; any other error prints its whole chain, each
/// cause once.
fn render(e: &anyhow::Error) -> (String, u8) {
    if let Some(f) = e.downcast_ref::<Failure>() {
        return (f.message.clone(), f.code);
    }
    // The chain joined by `: `; a message that already ends with its cause's text (`cannot read
    // config c.yml: No such file or directory`) does not get the cause a second time.
    let mut line = String::new();
    for cause in e.chain().map(ToString::to_string) {
        if line.is_empty() {
            line = cause;
        } else if !line.ends_with(&cause) {
            line.push_str(": ");
            line.push_str(&cause);
        }
    }
    let code = if let Some(i) = e.downcast_ref::<deploy_action_image::ImageError>() {
        i.exit_code()
    } else if let Some(r) = e.downcast_ref::<deploy_action_release::rollback::RollbackError>() {
        r.exit_code()
    } else {
        exit::USAGE
    };
    (line, code)
}

/// Linting allocates many small strings and nodes; mimalloc roughly halves the time spent in the
/// allocator compared with glibc's malloc.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;
