//! Runs chosen jobs of a workflow file for one event, the way GitHub would, far enough for the
//! pipelines `gen-workflow` writes: job `if:`, `needs` and their outputs, `environment:` with
//! its own `vars`, `secrets`, `env:` at every level, `run:` steps under bash, and steps that use
//! deploy-action run through the composite-action harness (so `action.yml` itself is what runs).
//!
//! Other actions cannot run here. `actions/checkout` is what the test did already (the
//! workspace is the checkout) and a registry login is not needed by the test registry, so those
//! two are recorded as skipped; any other action panics, so a new one in a template is noticed.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::{Command, Stdio};

use deploy_action_lint::workflow::yaml::{self, Node};

use crate::harness::action_harness::{Contexts, Harness, parse_key_values};

/// Actions the runner treats as already done (see the module comment).
const DONE_BY_THE_TEST: [&str; 2] = ["actions/checkout", "docker/login-action"];

/// One workflow run: the event, the repository state and the settings GitHub would supply.
#[derive(Debug, Default)]
pub struct WorkflowRunner {
    /// The workflow file.
    pub workflow: PathBuf,
    /// The checkout (`GITHUB_WORKSPACE`).
    pub workspace: PathBuf,
    /// The `github` context: `event_name`, `ref`, `sha`, `repository`, `token`, ...
    pub github: BTreeMap<String, String>,
    /// Repository `vars`.
    pub vars: BTreeMap<String, String>,
    /// Environment `vars`, by environment name; they override the repository's.
    pub environment_vars: BTreeMap<String, BTreeMap<String, String>>,
    /// `secrets`.
    pub secrets: BTreeMap<String, String>,
    /// What every step's process sees besides the workflow's `env:` (`GITHUB_*` as the runner
    /// sets them, `DOCKER_HOST`, ...).
    pub env: BTreeMap<String, String>,
    /// This action's `owner/name`: steps that use it run through the harness.
    pub action: String,
    /// Sets up each harness run (release download, cargo stub).
    pub prepare: Option<fn(&mut Harness)>,
    /// The action's checkout (`GITHUB_ACTION_PATH`); default: this checkout.
    pub action_dir: Option<PathBuf>,
}

/// What one step did.
#[derive(Debug, Clone)]
pub struct StepResult {
    /// `name:`.
    pub name: String,
    /// False when its `if:` skipped it or the runner treats its action as done.
    pub ran: bool,
    /// True when it ran and succeeded (or did not run).
    pub success: bool,
    /// Its log.
    pub log: String,
    /// Its outputs.
    pub outputs: BTreeMap<String, String>,
}

/// What one job did.
#[derive(Debug, Clone, Default)]
pub struct JobResult {
    /// False when its `if:` or a failed need skipped it.
    pub ran: bool,
    /// True when every step succeeded.
    pub success: bool,
    /// The job's `outputs:`.
    pub outputs: BTreeMap<String, String>,
    /// The steps, in order.
    pub steps: Vec<StepResult>,
    /// The step summaries the job wrote (no test reads them yet; `Debug` shows them).
    #[allow(dead_code)]
    pub summary: String,
}

impl JobResult {
    /// Every step's log, for failure messages.
    pub fn log(&self) -> String {
        self.steps
            .iter()
            .map(|s| {
                format!(
                    "--- {} (ran {}, ok {})\n{}",
                    s.name, s.ran, s.success, s.log
                )
            })
            .collect()
    }
}

fn scalar(node: &Node) -> String {
    node.as_str().map(str::to_owned).unwrap_or_default()
}

fn map_of(node: Option<&Node>) -> BTreeMap<String, String> {
    node.and_then(Node::as_map)
        .map(|m| m.iter().map(|(k, v)| (scalar(k), scalar(v))).collect())
        .unwrap_or_default()
}

impl WorkflowRunner {
    /// Runs `jobs` in the order given (each after the jobs it needs); jobs not listed count as
    /// succeeded with no outputs, as when a test has done their work itself.
    pub fn run(&self, jobs: &[&str]) -> BTreeMap<String, JobResult> {
        self.run_after(jobs, &BTreeMap::new())
    }

    /// Runs `jobs` after the jobs in `earlier` have run (their results feed `needs`).
    pub fn run_after(
        &self,
        jobs: &[&str],
        earlier: &BTreeMap<String, JobResult>,
    ) -> BTreeMap<String, JobResult> {
        let text = std::fs::read_to_string(&self.workflow).expect("workflow");
        let doc = yaml::parse(&text);
        assert!(doc.error.is_none(), "workflow: {:?}", doc.error);
        let root = doc.root.expect("workflow root");
        let all = root.get("jobs").expect("jobs:");
        let workflow_env = map_of(root.get("env"));
        let mut done = earlier.clone();
        let mut ran = BTreeMap::new();
        for name in jobs {
            let job = all
                .get(name)
                .unwrap_or_else(|| panic!("no job {name} in the workflow"));
            let result = self.run_job(job, &workflow_env, &done);
            done.insert((*name).to_owned(), result.clone());
            ran.insert((*name).to_owned(), result);
        }
        ran
    }

    fn run_job(
        &self,
        job: &Node,
        workflow_env: &BTreeMap<String, String>,
        done: &BTreeMap<String, JobResult>,
    ) -> JobResult {
        let needs: Vec<String> = match job.get("needs") {
            Some(n) if n.as_seq().is_some() => {
                n.as_seq().unwrap_or_default().iter().map(scalar).collect()
            }
            Some(n) => vec![scalar(n)],
            None => Vec::new(),
        };
        let environment = match job.get("environment") {
            Some(e) if e.as_map().is_some() => e.get("name").map(scalar).unwrap_or_default(),
            Some(e) => scalar(e),
            None => String::new(),
        };
        let mut other = BTreeMap::new();
        let mut needs_ok = true;
        for need in &needs {
            let result = done.get(need).cloned().unwrap_or(JobResult {
                ran: true,
                success: true,
                ..JobResult::default()
            });
            needs_ok &= result.ran && result.success;
            let state = if !result.ran {
                "skipped"
            } else if result.success {
                "success"
            } else {
                "failure"
            };
            other.insert(
                format!("needs.{need}.result").to_lowercase(),
                state.to_owned(),
            );
            for (k, v) in &result.outputs {
                other.insert(
                    format!("needs.{need}.outputs.{k}").to_lowercase(),
                    v.clone(),
                );
            }
        }
        let mut vars = self.vars.clone();
        if let Some(env_vars) = self.environment_vars.get(&environment) {
            vars.extend(env_vars.clone());
        }
        for (k, v) in &vars {
            other.insert(format!("vars.{k}").to_lowercase(), v.clone());
        }
        for (k, v) in &self.secrets {
            other.insert(format!("secrets.{k}").to_lowercase(), v.clone());
        }
        let no_inputs = BTreeMap::new();
        let runner = BTreeMap::new();
        let no_steps = BTreeMap::new();
        let job_ctx = Contexts {
            inputs: &no_inputs,
            github: &self.github,
            runner: &runner,
            env: workflow_env,
            steps: &no_steps,
            other: &other,
            failed: !needs_ok,
        };
        let condition = job.get("if").map(scalar).unwrap_or_default();
        let go = if condition.trim().is_empty() {
            needs_ok
        } else {
            job_ctx.condition(&condition)
        };
        if !go {
            return JobResult::default();
        }
        let mut env = workflow_env.clone();
        env.extend(
            map_of(job.get("env"))
                .into_iter()
                .map(|(k, v)| (k, job_ctx.template(&v))),
        );

        let mut result = JobResult {
            ran: true,
            success: true,
            ..JobResult::default()
        };
        let mut step_outputs: BTreeMap<String, BTreeMap<String, String>> = BTreeMap::new();
        let steps = job.get("steps").and_then(Node::as_seq).expect("steps:");
        for (n, step) in steps.iter().enumerate() {
            let id = step.get("id").map_or(format!("__{n}"), scalar);
            let name = step.get("name").map(scalar).unwrap_or_default();
            let ctx = Contexts {
                inputs: &no_inputs,
                github: &self.github,
                runner: &runner,
                env: &env,
                steps: &step_outputs,
                other: &other,
                failed: !result.success,
            };
            let condition = step.get("if").map(scalar).unwrap_or_default();
            let go = if condition.trim().is_empty() {
                result.success
            } else {
                ctx.condition(&condition)
            };
            let uses = step.get("uses").map(scalar).unwrap_or_default();
            let action = uses.split('@').next().unwrap_or_default().to_owned();
            if !go || DONE_BY_THE_TEST.contains(&action.as_str()) {
                result.steps.push(StepResult {
                    name,
                    ran: false,
                    success: true,
                    log: String::new(),
                    outputs: BTreeMap::new(),
                });
                continue;
            }
            let mut step_env = env.clone();
            step_env.extend(
                map_of(step.get("env"))
                    .into_iter()
                    .map(|(k, v)| (k, ctx.template(&v))),
            );
            let step_result = if action == self.action {
                let with: BTreeMap<String, String> = map_of(step.get("with"))
                    .into_iter()
                    .map(|(k, v)| (k, ctx.template(&v)))
                    .collect();
                self.run_action(&uses, name, with, &step_env)
            } else if uses.is_empty() {
                let script = ctx.template(&step.get("run").map(scalar).expect("run:"));
                self.run_script(name, &script, &step_env)
            } else {
                panic!("workflow runner: cannot run action `{uses}`")
            };
            step_outputs.insert(id, step_result.outputs.clone());
            result.success &= step_result.success;
            result.steps.push(step_result);
        }
        let ctx = Contexts {
            inputs: &no_inputs,
            github: &self.github,
            runner: &runner,
            env: &env,
            steps: &step_outputs,
            other: &other,
            failed: !result.success,
        };
        result.outputs = map_of(job.get("outputs"))
            .into_iter()
            .map(|(k, v)| (k, ctx.template(&v)))
            .collect();
        result
    }

    fn run_action(
        &self,
        uses: &str,
        name: String,
        with: BTreeMap<String, String>,
        env: &BTreeMap<String, String>,
    ) -> StepResult {
        let mut harness = Harness::new();
        if let Some(dir) = &self.action_dir {
            harness.action_dir.clone_from(dir);
        }
        harness.workspace = self.workspace.clone();
        harness.github.extend(self.github.clone());
        harness
            .github
            .insert("workspace".to_owned(), self.workspace.display().to_string());
        harness
            .github
            .insert("action_repository".to_owned(), self.action.clone());
        let action_ref = uses.split_once('@').map(|(_, r)| r).unwrap_or_default();
        harness
            .github
            .insert("action_ref".to_owned(), action_ref.to_owned());
        for (k, v) in env.iter().chain(&self.env) {
            harness.env(k, v);
        }
        for (k, v) in &with {
            harness.input(k, v);
        }
        if let Some(prepare) = self.prepare {
            prepare(&mut harness);
        }
        let run = harness.run();
        StepResult {
            name,
            ran: true,
            success: run.success,
            log: run.log,
            outputs: run.outputs,
        }
    }

    fn run_script(&self, name: String, script: &str, env: &BTreeMap<String, String>) -> StepResult {
        let dir = tempfile::tempdir().expect("step dir");
        let output = dir.path().join("output");
        std::fs::write(&output, "").expect("GITHUB_OUTPUT");
        let script_path = dir.path().join("script.sh");
        std::fs::write(&script_path, script).expect("script");
        let mut cmd = Command::new("bash");
        cmd.args(["--noprofile", "--norc", "-eo", "pipefail"])
            .arg(&script_path)
            .current_dir(&self.workspace)
            .stdin(Stdio::null());
        crate::harness::scrub(&mut cmd);
        cmd.envs(&self.env)
            .envs(env)
            .env("CI", "true")
            .env("GITHUB_ACTIONS", "true")
            .env("GITHUB_OUTPUT", &output)
            .env("GITHUB_WORKSPACE", &self.workspace);
        let out = cmd.output().expect("bash runs");
        StepResult {
            name,
            ran: true,
            success: out.status.success(),
            log: format!(
                "{}{}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            ),
            outputs: parse_key_values(&std::fs::read_to_string(&output).unwrap_or_default()),
        }
    }
}
