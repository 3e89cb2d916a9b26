//! The command target: the user's own deploy command (`deploy-action deploy -- CMD...`), run with
//! `DEPLOY_IMAGE`, `DEPLOY_DIGEST` and `DEPLOY_ENVIRONMENT` in its environment.
//!
//! The command runs in its own process group so that an interrupted deploy can stop it and
//! everything it started, not only the shell at its top.

use nix::sys::signal::{Signal, killpg};
use nix::unistd::Pid;
use std::process::Stdio;
use tokio::process::{Child, Command};

use super::error::DeployError;

/// Where the command's standard output goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OutputTo {
    /// To our standard error, so that standard output keeps only deploy-action's result.
    Stderr,
    /// Discarded.
    Null,
}

/// A command and its arguments.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommandTarget {
    /// Program and arguments; never empty.
    pub argv: Vec<String>,
    /// Where its standard output goes; its standard error is inherited.
    pub stdout: OutputTo,
}

/// The command that is running, so an interrupt can stop its process group.
#[derive(Debug)]
pub struct Running {
    child: Child,
}

impl CommandTarget {
    /// Starts the command with the deployment's variables added to the environment.
    pub fn start(&self, vars: &[(&str, &str)]) -> Result<Running, DeployError> {
        let (program, args) = self.argv.split_first().ok_or_else(|| DeployError::Spawn {
            program: String::new(),
            source: std::io::Error::other("no command given"),
        })?;
        let stdout = match self.stdout {
            OutputTo::Null => Stdio::null(),
            OutputTo::Stderr => {
                use std::os::fd::AsFd;
                let fd = std::io::stderr()
                    .as_fd()
                    .try_clone_to_owned()
                    .map_err(|source| DeployError::Spawn {
                        program: program.clone(),
                        source,
                    })?;
                Stdio::from(fd)
            }
        };
        let child = Command::new(program)
            .args(args)
            .envs(vars.iter().copied())
            .stdin(Stdio::null())
            .stdout(stdout)
            .process_group(0)
            .kill_on_drop(true)
            .spawn()
            .map_err(|source| DeployError::Spawn {
                program: program.clone(),
                source,
            })?;
        Ok(Running { child })
    }
}

impl Running {
    /// Waits for the command: `Ok(())` on exit status 0, `Err(reason)` otherwise.
    pub async fn wait(&mut self) -> Result<(), String> {
        match self.child.wait().await {
            Ok(status) if status.success() => Ok(()),
            Ok(status) => Err(match status.code() {
                Some(code) => format!("deploy command exited with status {code}"),
                None => "deploy command was killed by a signal".to_owned(),
            }),
            Err(e) => Err(format!("cannot wait for the deploy command: {e}")),
        }
    }
}

impl Running {
    /// Kills the command's process group at once (used when the deploy is dropped mid-way).
    pub fn kill_group_now(&mut self) {
        if let Some(pid) = self.child.id().and_then(|p| i32::try_from(p).ok()) {
            let group = Pid::from_raw(pid);
            let _ = killpg(group, Signal::SIGKILL);
        }
    }
}
