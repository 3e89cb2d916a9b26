//! deploy-action's binary crate: the command line (`cli`), one module per subcommand
//! (`commands`) and the Actions runner's output conventions (`runner`). The work itself lives in
//! the workspace's crates under `crates/` (docs/architecture.md).

pub mod cli;
pub mod commands;
pub mod runner;
