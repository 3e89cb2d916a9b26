//! Moving traffic between two versions of a target, step by step: the docker target through
//! its load balancer, any other target through the user's commands (`--start-command` starts
//! the new version beside the old one, `--traffic-command` moves the traffic).

use std::future::Future;
use std::path::PathBuf;

use super::command_target::{CommandTarget, OutputTo, Running};
use super::docker_target::{Candidate, DockerTarget};
use super::error::DeployError;

/// Moves traffic between the old and the new version of a target.
pub trait Traffic: Send {
    /// Sends `weight` % of the traffic to the new version (the rest to the old one).
    /// `Err` with a one-line reason when the target did not take the change.
    fn shift(&mut self, weight: u8) -> impl Future<Output = Result<(), String>> + Send;
}

/// The docker target's traffic: the candidate beside the live container in the balancer.
pub struct DockerTraffic<'a> {
    /// The target.
    pub target: &'a DockerTarget,
    /// The new version.
    pub candidate: Candidate,
}

impl Traffic for DockerTraffic<'_> {
    async fn shift(&mut self, weight: u8) -> Result<(), String> {
        self.target
            .shift(&self.candidate, weight)
            .await
            .map_err(|e| e.to_string())
    }
}

/// Traffic moved by the user's commands.
#[derive(Debug, Clone)]
pub struct CommandTraffic {
    /// The traffic command line, with `{old}`, `{new}`, `{weight}`, `{old_weight}`.
    pub traffic: String,
    /// The start command line, if any.
    pub start: Option<String>,
    /// What `{old}` stands for (the live version; the start command may rename it).
    pub old: String,
    /// What `{new}` stands for.
    pub new: String,
    /// Variables every command gets (DEPLOY_IMAGE, DEPLOY_DIGEST, ...).
    pub vars: Vec<(String, String)>,
    /// The file the start command may write `old=` and `new=` lines to ($DEPLOY_OUTPUT).
    pub output: PathBuf,
}

impl CommandTraffic {
    /// Runs the start command (when there is one) and reads the names it wrote.
    /// `Ok(Err(reason))` when it failed.
    pub async fn start_new(&mut self) -> Result<Result<(), String>, DeployError> {
        let Some(start) = self.start.clone() else {
            return Ok(Ok(()));
        };
        let _ = std::fs::remove_file(&self.output);
        let output = self.output.to_string_lossy().into_owned();
        let mut vars = self.vars.clone();
        vars.push(("DEPLOY_OUTPUT".into(), output));
        if let Err(reason) = run_shell(&start, &vars).await? {
            return Ok(Err(format!("the start command failed: {reason}")));
        }
        let written = std::fs::read_to_string(&self.output).unwrap_or_default();
        let _ = std::fs::remove_file(&self.output);
        for line in written.lines() {
            match line.split_once('=') {
                Some(("old", v)) if !v.trim().is_empty() => self.old = v.trim().to_owned(),
                Some(("new", v)) if !v.trim().is_empty() => self.new = v.trim().to_owned(),
                _ => {}
            }
        }
        Ok(Ok(()))
    }

    /// The traffic command for `weight`, with its placeholders replaced.
    pub fn render(&self, weight: u8) -> String {
        let old_weight = (100 - weight.min(100)).to_string();
        let weight = weight.to_string();
        render(
            &self.traffic,
            &[
                ("old", &self.old),
                ("new", &self.new),
                ("weight", &weight),
                ("old_weight", &old_weight),
            ],
        )
    }
}

impl Traffic for CommandTraffic {
    async fn shift(&mut self, weight: u8) -> Result<(), String> {
        let mut vars = self.vars.clone();
        vars.extend([
            ("DEPLOY_OLD".to_owned(), self.old.clone()),
            ("DEPLOY_NEW".to_owned(), self.new.clone()),
            ("DEPLOY_WEIGHT".to_owned(), weight.to_string()),
            (
                "DEPLOY_OLD_WEIGHT".to_owned(),
                (100 - weight.min(100)).to_string(),
            ),
        ]);
        match run_shell(&self.render(weight), &vars).await {
            Ok(Ok(())) => Ok(()),
            Ok(Err(reason)) => Err(format!("the traffic command failed: {reason}")),
            Err(e) => Err(e.to_string()),
        }
    }
}

/// Runs `sh -c LINE` in its own process group (killed with it when this future is dropped).
async fn run_shell(
    line: &str,
    vars: &[(String, String)],
) -> Result<Result<(), String>, DeployError> {
    let command = CommandTarget {
        argv: vec!["sh".into(), "-c".into(), line.to_owned()],
        stdout: OutputTo::Stderr,
    };
    let vars: Vec<(&str, &str)> = vars.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let mut running = command.start(&vars)?;
    let mut guard = KillOnDrop(Some(&mut running));
    let result = match guard.0.as_mut() {
        Some(r) => r.wait().await,
        None => Ok(()),
    };
    guard.0 = None;
    Ok(result.map_err(|e| e.replace("deploy command", "command")))
}

/// Kills a still-running command's process group when the future waiting for it is dropped.
struct KillOnDrop<'a>(Option<&'a mut Running>);

impl Drop for KillOnDrop<'_> {
    fn drop(&mut self) {
        if let Some(running) = self.0.take() {
            running.kill_group_now();
        }
    }
}

/// Replaces `{name}` placeholders with their values, each quoted for the shell.
pub fn render(template: &str, values: &[(&str, &str)]) -> String {
    let mut out = String::new();
    let mut rest = template;
    'scan: while let Some(open) = rest.find('{') {
        out.push_str(&rest[..open]);
        let after = &rest[open + 1..];
        for (name, value) in values {
            if let Some(tail) = after.strip_prefix(name).and_then(|t| t.strip_prefix('}')) {
                out.push_str(&quote(value));
                rest = tail;
                continue 'scan;
            }
        }
        out.push('{');
        rest = after;
    }
    out.push_str(rest);
    out
}

/// `value` as one shell word: bare when it is plain, else in single quotes.
fn quote(value: &str) -> String {
    let plain = !value.is_empty()
        && value
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "@%+-./:=_,".contains(c));
    if plain {
        value.to_owned()
    } else {
        format!("'{}'", value.replace('\'', r"'\''"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_become_quoted_words() {
        let t = CommandTraffic {
            traffic: "az containerapp ingress traffic set --revision-weight {old}={old_weight} {new}={weight} {other}".into(),
            start: None,
            old: "app--0001".into(),
            new: "app--new; rm -rf /".into(),
            vars: Vec::new(),
            output: PathBuf::from("/nonexistent"),
        };
        assert_eq!(
            t.render(25),
            "az containerapp ingress traffic set --revision-weight app--0001=75 'app--new; rm -rf /'=25 {other}"
        );
        assert_eq!(render("{weight}", &[("weight", "")]), "''");
        assert_eq!(render("a{b", &[]), "a{b");
        assert_eq!(quote("it's"), r"'it'\''s'");
    }

    #[tokio::test]
    async fn the_start_command_names_the_versions() {
        let dir = std::env::temp_dir().join(format!("da-traffic-{}", std::process::id()));
        let mut t = CommandTraffic {
            traffic: "true".into(),
            start: Some("printf 'old=rev-1\\nnew=rev-2\\n' >> \"$DEPLOY_OUTPUT\"".into()),
            old: "img@sha256:old".into(),
            new: "img@sha256:new".into(),
            vars: Vec::new(),
            output: dir.clone(),
        };
        assert_eq!(t.start_new().await.expect("runs"), Ok(()));
        assert_eq!((t.old.as_str(), t.new.as_str()), ("rev-1", "rev-2"));
        t.traffic = "test \"$DEPLOY_WEIGHT\" = 50 && test {old_weight} = 50".into();
        assert_eq!(t.shift(50).await, Ok(()));
        assert!(t.shift(25).await.is_err());
        assert!(!dir.exists());
    }
}
