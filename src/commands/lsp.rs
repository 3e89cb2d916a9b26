//! `deploy-action lsp`: the language server on standard input and output.

use anyhow::{Context, Result};
use lsp_server::Connection;

use crate::cli::LspArgs;
use deploy_action_lsp::{self as lsp, Options};

use super::exit;

/// Stack of the server thread: deep but legal YAML recurses in the model and the rules, as in
/// `lint`'s workers.
const STACK: usize = 64 * 1024 * 1024;

/// Serves one editor session; returns when the editor shuts the server down.
pub fn run(args: &LspArgs) -> Result<u8> {
    let options = Options {
        shellcheck: (args.shellcheck != "off").then(|| args.shellcheck.clone().into()),
    };
    let (conn, io) = Connection::stdio();
    let served = std::thread::scope(|s| {
        std::thread::Builder::new()
            .name("lsp".into())
            .stack_size(STACK)
            .spawn_scoped(s, || lsp::serve(&conn, &options))
            .context("cannot start the language server thread")?
            .join()
            .map_err(|_| anyhow::anyhow!("the language server failed (a panic)"))
    })?;
    // The writer thread ends once every sender is gone.
    drop(conn);
    served?;
    io.join().context("the connection to the editor failed")?;
    Ok(exit::OK)
}
