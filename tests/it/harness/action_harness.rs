//! Runs `action.yml`'s composite steps the way the GitHub runner does, against the local
//! checkout: `${{ }}` in `env:`, `with:`, `run:` and `if:` evaluated over `inputs`, `github`,
//! `runner`, `env` and `steps`; a fresh `GITHUB_OUTPUT`, `GITHUB_ENV`, `GITHUB_PATH` and
//! `GITHUB_STEP_SUMMARY` file per step; `shell: bash` run as
//! `bash --noprofile --norc -eo pipefail {0}`; step outputs parsed (`k=v` and the heredoc
//! form); `GITHUB_ENV`/`GITHUB_PATH` applied to later steps; the action's `outputs:` mapped.
//!
//! Expressions are parsed with the project's own parser and evaluated for the forms an action
//! uses (literals, context properties, `==`/`!=`, `!`, `&&`/`||`, `success()`, `failure()`,
//! `always()`); anything else panics with the expression, so a new form is noticed, not
//! silently mis-evaluated.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use deploy_action_lint::expr::{CompareOp, Expr, ExprKind, LogicalOp, find_expressions, parse};
use deploy_action_lint::workflow::yaml::{self, Node};

/// One run of the action: its inputs and the runner-like environment around it.
#[derive(Debug)]
pub struct Harness {
    /// The action's directory (`GITHUB_ACTION_PATH`), holding `action.yml`.
    pub action_dir: PathBuf,
    /// `with:` values; inputs left out take their `default:`.
    pub inputs: BTreeMap<String, String>,
    /// The `github` context (`token`, `action_ref`, `action_repository`, ...).
    pub github: BTreeMap<String, String>,
    /// The job's environment, on top of this process's with `CI`, `GITHUB_*`, `RUNNER_*`
    /// removed.
    pub env: BTreeMap<String, String>,
    /// `RUNNER_OS` (Linux, macOS, Windows).
    pub runner_os: String,
    /// `RUNNER_ARCH` (X64, ARM64).
    pub runner_arch: String,
    /// The steps' working directory (`GITHUB_WORKSPACE`).
    pub workspace: PathBuf,
    /// Holds `RUNNER_TEMP` and the per-step files.
    pub temp: tempfile::TempDir,
}

/// What one step did.
#[derive(Debug, Clone)]
pub struct StepRun {
    /// `id:` or `__N`.
    pub id: String,
    /// `name:` (no test reads it yet; failure messages show it through `Debug`).
    #[allow(dead_code)]
    pub name: String,
    /// False when its `if:` skipped it.
    pub ran: bool,
    /// The script's exit status (0 for a skipped step).
    pub status: i32,
    /// Its stdout and stderr, interleaved as the runner's log shows them.
    pub log: String,
    /// Its parsed step outputs.
    pub outputs: BTreeMap<String, String>,
}

/// What the whole action did.
#[derive(Debug, Clone)]
pub struct ActionRun {
    /// Every step, in order.
    pub steps: Vec<StepRun>,
    /// The action's `outputs:`, evaluated after the last step.
    pub outputs: BTreeMap<String, String>,
    /// False when a step failed.
    pub success: bool,
    /// The job log: every step's output, in order.
    pub log: String,
    /// Every step's `GITHUB_OUTPUT` file, raw and concatenated.
    pub output_files: String,
    /// Every step's `GITHUB_STEP_SUMMARY`, concatenated.
    pub summary: String,
}

impl ActionRun {
    /// The output `name` (empty when unset).
    pub fn output(&self, name: &str) -> &str {
        self.outputs.get(name).map_or("", String::as_str)
    }

    /// The step with `id`.
    pub fn step(&self, id: &str) -> &StepRun {
        self.steps
            .iter()
            .find(|s| s.id == id)
            .unwrap_or_else(|| panic!("no step {id}"))
    }
}

/// A value of the expression language, as far as an action needs it.
#[derive(Debug, Clone, PartialEq)]
enum Value {
    Null,
    Bool(bool),
    Str(String),
}

impl Value {
    fn truthy(&self) -> bool {
        match self {
            Value::Null => false,
            Value::Bool(b) => *b,
            Value::Str(s) => !s.is_empty(),
        }
    }

    fn text(&self) -> String {
        match self {
            Value::Null => String::new(),
            Value::Bool(b) => b.to_string(),
            Value::Str(s) => s.clone(),
        }
    }
}

/// The contexts an expression sees: `name -> property path -> value`, all strings.
/// `other` holds the workflow-level contexts (`needs`, `vars`, `secrets`, `inputs` of a
/// workflow) as flat lower-case keys such as `needs.build.outputs.image`.
pub struct Contexts<'a> {
    pub inputs: &'a BTreeMap<String, String>,
    pub github: &'a BTreeMap<String, String>,
    pub runner: &'a BTreeMap<String, String>,
    pub env: &'a BTreeMap<String, String>,
    pub steps: &'a BTreeMap<String, BTreeMap<String, String>>,
    pub other: &'a BTreeMap<String, String>,
    pub failed: bool,
}

impl Contexts<'_> {
    fn eval(&self, e: &Expr, src: &str) -> Value {
        match &e.kind {
            ExprKind::Null => Value::Null,
            ExprKind::Bool(b) => Value::Bool(*b),
            ExprKind::String(s) => Value::Str(s.clone()),
            ExprKind::Property { .. } | ExprKind::Variable { .. } => self.lookup(e, src),
            ExprKind::Not(inner) => Value::Bool(!self.eval(inner, src).truthy()),
            ExprKind::Compare { op, left, right } => {
                // Strings compare case-insensitively, as on GitHub.
                let l = self.eval(left, src).text().to_lowercase();
                let r = self.eval(right, src).text().to_lowercase();
                match op {
                    CompareOp::Eq => Value::Bool(l == r),
                    CompareOp::NotEq => Value::Bool(l != r),
                    _ => panic!("harness: unsupported comparison in `{src}`"),
                }
            }
            ExprKind::Logical { op, left, right } => {
                let l = self.eval(left, src);
                match (op, l.truthy()) {
                    (LogicalOp::And, false) | (LogicalOp::Or, true) => l,
                    _ => self.eval(right, src),
                }
            }
            ExprKind::Call { name, args } if args.is_empty() => {
                match name.to_lowercase().as_str() {
                    "success" => Value::Bool(!self.failed),
                    "failure" => Value::Bool(self.failed),
                    "always" => Value::Bool(true),
                    _ => panic!("harness: unsupported function in `{src}`"),
                }
            }
            _ => panic!("harness: unsupported expression `{src}`"),
        }
    }

    /// `ctx.a.b` as a path of lower-cased names.
    fn lookup(&self, e: &Expr, src: &str) -> Value {
        let mut path = Vec::new();
        let mut node = e;
        loop {
            match &node.kind {
                ExprKind::Property { receiver, name, .. } => {
                    path.push(name.clone());
                    node = receiver;
                }
                ExprKind::Variable { name, .. } => {
                    path.push(name.clone());
                    break;
                }
                _ => panic!("harness: unsupported property access in `{src}`"),
            }
        }
        path.reverse();
        let get = |m: &BTreeMap<String, String>, k: &str| {
            m.iter()
                .find(|(key, _)| key.eq_ignore_ascii_case(k))
                .map_or(Value::Str(String::new()), |(_, v)| Value::Str(v.clone()))
        };
        match path.iter().map(String::as_str).collect::<Vec<_>>()[..] {
            ["inputs", k] => get(self.inputs, k),
            ["github", k] => get(self.github, k),
            // Event payload fields, by dotted key (`event.repository.default_branch`); unset
            // ones are empty, as a field missing from the payload is.
            ["github", "event", ..] => get(self.github, &path[1..].join(".")),
            ["runner", k] => get(self.runner, k),
            ["env", k] => get(self.env, k),
            ["steps", id, "outputs", k] => self
                .steps
                .get(id)
                .map_or(Value::Str(String::new()), |o| get(o, k)),
            ["needs" | "vars" | "secrets", ..] => {
                let key = path.join(".").to_lowercase();
                Value::Str(self.other.get(&key).cloned().unwrap_or_default())
            }
            _ => panic!("harness: unsupported context path in `{src}`"),
        }
    }

    /// Replaces every `${{ }}` in `text` with its value.
    pub fn template(&self, text: &str) -> String {
        let mut out = String::new();
        let mut at = 0;
        for found in find_expressions(text) {
            assert!(found.error.is_none(), "harness: bad expression in `{text}`");
            let inner = found.inner_text(text);
            let ast = parse(inner).unwrap_or_else(|e| panic!("harness: `{inner}`: {e:?}"));
            out.push_str(&text[at..found.whole.start]);
            out.push_str(&self.eval(&ast, inner).text());
            at = found.whole.end;
        }
        out.push_str(&text[at..]);
        out
    }

    /// An `if:` condition, with or without `${{ }}`.
    pub fn condition(&self, text: &str) -> bool {
        let t = text.trim();
        let inner = t
            .strip_prefix("${{")
            .and_then(|r| r.strip_suffix("}}"))
            .unwrap_or(t);
        let ast = parse(inner).unwrap_or_else(|e| panic!("harness: if `{inner}`: {e:?}"));
        let status_call = uses_status_function(&ast);
        let v = self.eval(&ast, inner).truthy();
        // Without success()/failure()/always() the runner adds `success() &&`.
        if status_call { v } else { v && !self.failed }
    }
}

fn uses_status_function(e: &Expr) -> bool {
    match &e.kind {
        ExprKind::Call { name, args } => {
            matches!(
                name.to_lowercase().as_str(),
                "success" | "failure" | "always" | "cancelled"
            ) || args.iter().any(uses_status_function)
        }
        ExprKind::Not(i) => uses_status_function(i),
        ExprKind::Compare { left, right, .. } | ExprKind::Logical { left, right, .. } => {
            uses_status_function(left) || uses_status_function(right)
        }
        _ => false,
    }
}

/// Parses a `GITHUB_OUTPUT`/`GITHUB_ENV` file: `name=value` lines and the
/// `name<<DELIM`...`DELIM` form.
pub fn parse_key_values(text: &str) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    let mut lines = text.lines();
    while let Some(line) = lines.next() {
        if line.is_empty() {
            continue;
        }
        if let Some((name, delim)) = line.split_once("<<") {
            let mut value = Vec::new();
            let mut closed = false;
            for l in lines.by_ref() {
                if l == delim {
                    closed = true;
                    break;
                }
                value.push(l);
            }
            assert!(closed, "unterminated heredoc `{line}` in:\n{text}");
            out.insert(name.to_owned(), value.join("\n"));
        } else if let Some((name, value)) = line.split_once('=') {
            out.insert(name.to_owned(), value.to_owned());
        } else {
            panic!("invalid line `{line}` in:\n{text}");
        }
    }
    out
}

fn scalar(node: &Node) -> String {
    node.as_str().unwrap_or_default().to_owned()
}

fn map_of(node: Option<&Node>) -> Vec<(String, String)> {
    node.and_then(Node::as_map)
        .map(|m| m.iter().map(|(k, v)| (scalar(k), scalar(v))).collect())
        .unwrap_or_default()
}

impl Harness {
    /// A harness for this checkout's `action.yml`, as used at no ref (so no release is
    /// downloaded unless a test sets `github.action_ref` or the `version` input), on Linux X64.
    pub fn new() -> Self {
        let temp = tempfile::tempdir().expect("tempdir");
        let workspace = temp.path().join("workspace");
        std::fs::create_dir_all(&workspace).expect("workspace");
        let github: BTreeMap<String, String> = [
            ("token", ""),
            ("action_ref", ""),
            ("action_repository", "org/deploy-action"),
            ("repository", "org/app"),
            ("workspace", &workspace.display().to_string()),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect();
        Harness {
            action_dir: PathBuf::from(env!("CARGO_MANIFEST_DIR")),
            inputs: BTreeMap::new(),
            github,
            env: BTreeMap::new(),
            runner_os: "Linux".into(),
            runner_arch: "X64".into(),
            workspace,
            temp,
        }
    }

    /// Sets an input.
    pub fn input(&mut self, name: &str, value: &str) -> &mut Self {
        self.inputs.insert(name.to_owned(), value.to_owned());
        self
    }

    /// Sets a job environment variable.
    pub fn env(&mut self, name: &str, value: impl AsRef<std::ffi::OsStr>) -> &mut Self {
        let value = value.as_ref().to_string_lossy().into_owned();
        self.env.insert(name.to_owned(), value);
        self
    }

    /// Lets the install step's fallback copy the already-built binary instead of running
    /// `cargo install` (the stub records its arguments in `<temp>/cargo-args`).
    pub fn stub_cargo(&mut self) -> &mut Self {
        let stub = self.temp.path().join("cargo-stub.sh");
        let record = self.temp.path().join("cargo-args");
        let script = format!(
            "#!/bin/sh\nprintf '%s\\n' \"$*\" >> '{record}'\nroot=\nwhile [ $# -gt 0 ]; do\n  \
             if [ \"$1\" = --root ]; then root=$2; fi\n  shift\ndone\nmkdir -p \"$root/bin\"\n\
             cp '{bin}' \"$root/bin/deploy-action\"\n",
            record = record.display(),
            bin = binary().display(),
        );
        write_executable(&stub, &script);
        self.env("DEPLOY_ACTION_CARGO", &stub);
        self
    }

    /// The arguments the cargo stub was called with, one call per line (empty: not called).
    pub fn cargo_calls(&self) -> String {
        std::fs::read_to_string(self.temp.path().join("cargo-args")).unwrap_or_default()
    }

    /// Runs the composite steps and returns what happened.
    pub fn run(&self) -> ActionRun {
        let text = std::fs::read_to_string(self.action_dir.join("action.yml")).expect("action");
        let doc = yaml::parse(&text);
        assert!(doc.error.is_none(), "action.yml: {:?}", doc.error);
        let root = doc.root.expect("action.yml root");
        let runs = root.get("runs").expect("runs");
        assert_eq!(runs.get("using").map(scalar).as_deref(), Some("composite"));

        let runner_temp = self.temp.path().join("runner-temp");
        std::fs::create_dir_all(&runner_temp).expect("RUNNER_TEMP");
        let runner: BTreeMap<String, String> = [
            ("os", self.runner_os.clone()),
            ("arch", self.runner_arch.clone()),
            ("temp", runner_temp.display().to_string()),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v))
        .collect();

        // Inputs: given values, else defaults (which may use `github.*`).
        let mut inputs = BTreeMap::new();
        let no_steps = BTreeMap::new();
        let no_other = BTreeMap::new();
        for (name, spec) in root
            .get("inputs")
            .and_then(Node::as_map)
            .unwrap_or_default()
        {
            let name = scalar(name);
            let value = match self.inputs.get(&name) {
                Some(v) => v.clone(),
                None => {
                    let ctx = Contexts {
                        inputs: &BTreeMap::new(),
                        github: &self.github,
                        runner: &runner,
                        env: &self.env,
                        steps: &no_steps,
                        other: &BTreeMap::new(),
                        failed: false,
                    };
                    ctx.template(&spec.get("default").map(scalar).unwrap_or_default())
                }
            };
            inputs.insert(name, value);
        }
        for name in self.inputs.keys() {
            assert!(
                inputs.contains_key(name),
                "input `{name}` is not declared in action.yml"
            );
        }

        let mut job_env = self.env.clone();
        let mut paths: Vec<String> = Vec::new();
        let mut step_outputs: BTreeMap<String, BTreeMap<String, String>> = BTreeMap::new();
        let mut run = ActionRun {
            steps: Vec::new(),
            outputs: BTreeMap::new(),
            success: true,
            log: String::new(),
            output_files: String::new(),
            summary: String::new(),
        };
        let steps = runs.get("steps").and_then(Node::as_seq).expect("steps");
        for (n, step) in steps.iter().enumerate() {
            let id = step.get("id").map_or(format!("__{n}"), scalar);
            let name = step.get("name").map(scalar).unwrap_or_default();
            assert!(step.get("uses").is_none(), "harness: `uses:` steps");
            assert_eq!(
                step.get("shell").map(scalar).as_deref(),
                Some("bash"),
                "harness: only shell: bash"
            );
            let ctx = Contexts {
                inputs: &inputs,
                github: &self.github,
                runner: &runner,
                env: &job_env,
                steps: &step_outputs,
                other: &no_other,
                failed: !run.success,
            };
            let condition = step.get("if").map(scalar).unwrap_or_default();
            let go = if condition.trim().is_empty() {
                run.success
            } else {
                ctx.condition(&condition)
            };
            if !go {
                run.steps.push(StepRun {
                    id,
                    name,
                    ran: false,
                    status: 0,
                    log: String::new(),
                    outputs: BTreeMap::new(),
                });
                continue;
            }
            let step_env: Vec<(String, String)> = map_of(step.get("env"))
                .into_iter()
                .map(|(k, v)| (k, ctx.template(&v)))
                .collect();
            let script = ctx.template(&step.get("run").map(scalar).expect("run:"));
            let dir = self.temp.path().join(format!("step-{n}"));
            std::fs::create_dir_all(&dir).expect("step dir");
            let files = ["output", "env", "path", "summary"].map(|f| dir.join(f));
            for f in &files {
                std::fs::write(f, "").expect("runner file");
            }
            let script_path = dir.join("script.sh");
            std::fs::write(&script_path, &script).expect("script");
            let log_path = dir.join("log");
            let log = std::fs::File::create(&log_path).expect("log");

            let mut cmd = Command::new("bash");
            cmd.args(["--noprofile", "--norc", "-eo", "pipefail"])
                .arg(&script_path)
                .current_dir(&self.workspace)
                .stdin(Stdio::null())
                .stdout(log.try_clone().expect("log fd"))
                .stderr(log);
            super::scrub(&mut cmd);
            let mut path_var = paths.clone();
            path_var.push(std::env::var("PATH").unwrap_or_default());
            cmd.env("PATH", path_var.join(":"))
                .env("CI", "true")
                .env("GITHUB_ACTIONS", "true")
                .env("GITHUB_ACTION_PATH", &self.action_dir)
                .env("GITHUB_WORKSPACE", &self.workspace)
                .env("GITHUB_OUTPUT", &files[0])
                .env("GITHUB_ENV", &files[1])
                .env("GITHUB_PATH", &files[2])
                .env("GITHUB_STEP_SUMMARY", &files[3])
                .env("RUNNER_TEMP", &runner_temp)
                .env("RUNNER_OS", &self.runner_os)
                .env("RUNNER_ARCH", &self.runner_arch);
            for (k, v) in &inputs {
                cmd.env(format!("INPUT_{}", k.to_uppercase()), v);
            }
            cmd.envs(&job_env).envs(step_env);
            let status = cmd.status().expect("bash runs");
            let code = status.code().unwrap_or(-1);

            let log = std::fs::read_to_string(&log_path).unwrap_or_default();
            let output_text = std::fs::read_to_string(&files[0]).unwrap_or_default();
            let outputs = parse_key_values(&output_text);
            job_env.extend(parse_key_values(
                &std::fs::read_to_string(&files[1]).unwrap_or_default(),
            ));
            let mut new_paths: Vec<String> = std::fs::read_to_string(&files[2])
                .unwrap_or_default()
                .lines()
                .filter(|l| !l.is_empty())
                .map(str::to_owned)
                .collect();
            // The newest entry comes first on PATH.
            new_paths.reverse();
            new_paths.extend(paths);
            paths = new_paths;
            run.summary
                .push_str(&std::fs::read_to_string(&files[3]).unwrap_or_default());
            run.output_files.push_str(&output_text);
            run.log.push_str(&log);
            step_outputs.insert(id.clone(), outputs.clone());
            if code != 0 {
                run.success = false;
            }
            run.steps.push(StepRun {
                id,
                name,
                ran: true,
                status: code,
                log,
                outputs,
            });
        }

        let ctx = Contexts {
            inputs: &inputs,
            github: &self.github,
            runner: &runner,
            env: &job_env,
            steps: &step_outputs,
            other: &no_other,
            failed: !run.success,
        };
        for (name, spec) in root
            .get("outputs")
            .and_then(Node::as_map)
            .unwrap_or_default()
        {
            let value = spec.get("value").map(scalar).unwrap_or_default();
            run.outputs.insert(scalar(name), ctx.template(&value));
        }
        run
    }
}

/// The `deploy-action` binary cargo built for these tests.
pub fn binary() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_deploy-action"))
}

/// Writes an executable script.
pub fn write_executable(path: &Path, text: &str) {
    let mut f = std::fs::File::create(path).expect("create script");
    f.write_all(text.as_bytes()).expect("write script");
    drop(f);
    let status = Command::new("chmod")
        .arg("+x")
        .arg(path)
        .status()
        .expect("chmod");
    assert!(status.success());
}

/// Serves the files under `root` over plain HTTP on 127.0.0.1 (GET and HEAD; 404 for anything
/// missing) from a background thread for the rest of the test process; returns the base URL.
pub fn serve_dir(root: &Path) -> String {
    use std::io::{BufRead, BufReader};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let url = format!("http://{}", listener.local_addr().expect("addr"));
    let root = root.to_path_buf();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            let mut reader = BufReader::new(stream.try_clone().expect("clone"));
            let mut request = String::new();
            if reader.read_line(&mut request).is_err() {
                continue;
            }
            let mut header = String::new();
            while reader.read_line(&mut header).is_ok_and(|n| n > 2) {
                header.clear();
            }
            let mut parts = request.split_whitespace();
            let method = parts.next().unwrap_or_default().to_owned();
            let path = parts.next().unwrap_or("/").trim_start_matches('/');
            let file = (!path.split('/').any(|c| c == ".."))
                .then(|| root.join(path))
                .filter(|p| p.is_file())
                .and_then(|p| std::fs::read(p).ok());
            let (status, body) = match file {
                Some(body) => ("200 OK", body),
                None => ("404 Not Found", b"not found\n".to_vec()),
            };
            let head = format!(
                "HTTP/1.1 {status}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                body.len()
            );
            let _ = stream.write_all(head.as_bytes());
            if method != "HEAD" {
                let _ = stream.write_all(&body);
            }
        }
    });
    url
}

/// An action checkout at a release commit: this checkout's `action.yml` and, as
/// `dist/SHA256SUMS`, the checksums file `sums` (what the release process commits into the
/// tagged tree). Use it as [`Harness::action_dir`].
pub fn pinned_action_dir(sums: &Path) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::create_dir_all(dir.path().join("dist")).expect("dist");
    std::fs::copy(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("action.yml"),
        dir.path().join("action.yml"),
    )
    .expect("copy action.yml");
    std::fs::copy(sums, dir.path().join("dist/SHA256SUMS")).expect("copy SHA256SUMS");
    dir
}

/// A release directory as scripts/release.sh lays it out, for `version` and `triple`:
/// `<version>/deploy-action-<version>-<triple>.tar.gz` holding the built binary at its root,
/// and `<version>/SHA256SUMS`. Returns the directory that holds `<version>/`.
pub fn release_dir(version: &str, triple: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("tempdir");
    let rel = dir.path().join(version);
    let stage = dir.path().join("stage");
    std::fs::create_dir_all(&rel).expect("release dir");
    std::fs::create_dir_all(&stage).expect("stage dir");
    std::fs::copy(binary(), stage.join("deploy-action")).expect("copy binary");
    let asset = format!("deploy-action-{version}-{triple}.tar.gz");
    let ok = Command::new("tar")
        .arg("-czf")
        .arg(rel.join(&asset))
        .arg("-C")
        .arg(&stage)
        .arg("deploy-action")
        .status()
        .expect("tar");
    assert!(ok.success());
    let sums = Command::new("sha256sum")
        .arg(&asset)
        .current_dir(&rel)
        .output()
        .expect("sha256sum");
    assert!(sums.status.success());
    std::fs::write(rel.join("SHA256SUMS"), &sums.stdout).expect("SHA256SUMS");
    dir
}
