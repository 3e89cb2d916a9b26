//! Every string value of a workflow that may hold expressions, with the workflow key that
//! decides which contexts it may use and how its value is typed, following GitHub's context
//! availability table (and actionlint's `expression` rule).

use super::{Label, Mode, Scope, Site, Want};
use crate::workflow::model::{Job, Step, Workflow};
use crate::workflow::yaml::{Kind, Node};

const ANY: Scope = Scope::Key("");

/// Collects sites; every `add` ignores absent nodes and scalars without expressions.
#[derive(Default)]
struct Out<'a>(Vec<Site<'a>>);

impl<'a> Out<'a> {
    fn add(&mut self, n: Option<&'a Node>, scope: Scope, mode: Mode) {
        if let Some(site) = n.and_then(|n| Site::new(n, scope, mode)) {
            self.0.push(site);
        }
    }

    fn key(&mut self, n: Option<&'a Node>, key: &'static str) {
        self.add(n, Scope::Key(key), Mode::Template);
    }

    /// Every scalar below `n` (keys included).
    fn all(&mut self, n: Option<&'a Node>, scope: Scope, mode: Mode) {
        let Some(n) = n else { return };
        match &n.kind {
            Kind::Scalar { .. } => self.add(Some(n), scope, mode),
            Kind::Seq(items) => items
                .iter()
                .for_each(|i| self.all(Some(i), scope, mode.clone())),
            Kind::Map(entries) => {
                for (k, v) in entries {
                    self.add(Some(k), scope, mode.clone());
                    self.all(Some(v), scope, mode.clone());
                }
            }
        }
    }

    fn typed(&mut self, n: Option<&'a Node>, key: &'static str, want: Want, label: Label) {
        self.add(n, Scope::Key(key), Mode::Typed(want, label));
    }

    /// `env:` as a mapping of strings, or one expression that must be an object.
    fn env(&mut self, n: Option<&'a Node>, key: &'static str) {
        match n.map(|n| &n.kind) {
            Some(Kind::Map(_)) => self.all(n, Scope::Key(key), Mode::Template),
            _ => self.typed(n, key, Want::Object, Label::At("env")),
        }
    }

    fn concurrency(&mut self, n: Option<&'a Node>, key: &'static str) {
        match n.map(|n| &n.kind) {
            Some(Kind::Map(_)) => {
                let get = |k| n.and_then(|n| n.get(k));
                self.key(get("group"), key);
                self.typed(get("cancel-in-progress"), key, Want::Bool, Label::Bare);
            }
            _ => self.key(n, key),
        }
    }
}

/// The workflow-level values: name, triggers, `run-name`, `env`, `defaults`, `concurrency`.
/// Defaults of `workflow_call` inputs and `on.workflow_call.outputs.*.value` are not here: see
/// [`call_input_defaults`] and [`call_output_sites`].
pub fn workflow_sites<'a>(wf: &Workflow<'a>) -> Vec<Site<'a>> {
    let mut out = Out::default();
    let root = wf.root;
    out.key(root.get("name"), "");
    for t in &wf.events {
        let Some(cfg) = t.config else { continue };
        if t.name != "workflow_call" {
            if t.name == "workflow_dispatch" {
                for (_, input) in inputs_of(cfg) {
                    out.typed(input.get("required"), "", Want::Bool, Label::Bare);
                    for key in ["description", "default", "options"] {
                        out.all(input.get(key), ANY, Mode::Template);
                    }
                }
                continue;
            }
            out.all(Some(cfg), ANY, Mode::Template);
            continue;
        }
        for (_, input) in inputs_of(cfg) {
            out.key(input.get("description"), "");
        }
        for section in ["secrets", "outputs"] {
            for (_, v) in cfg.get(section).and_then(Node::as_map).unwrap_or_default() {
                out.key(v.get("description"), "");
            }
        }
    }
    out.key(root.get("run-name"), "run-name");
    out.env(root.get("env"), "env");
    defaults(&mut out, root.get("defaults"), "");
    out.concurrency(root.get("concurrency"), "concurrency");
    out.0
}

/// One input of `workflow_call`: its name (lower case), its type, and its default's site. A
/// default may use the inputs declared before it, so they are checked in order.
pub struct CallInput<'a> {
    /// The input's name in lower case.
    pub name: String,
    /// Its declared type (`any` when missing).
    pub ty: crate::expr::Type,
    /// Its `default:`, when that holds an expression.
    pub default: Option<Site<'a>>,
}

/// The inputs of `on.workflow_call`, in order.
pub fn call_input_defaults<'a>(wf: &Workflow<'a>) -> Vec<CallInput<'a>> {
    use crate::expr::Type;
    let Some(cfg) = wf.event("workflow_call").and_then(|t| t.config) else {
        return Vec::new();
    };
    let key = Scope::Key("on.workflow_call.inputs.<inputs_id>.default");
    inputs_of(cfg)
        .into_iter()
        .map(|(name, input)| {
            let (ty, mode) = match input.get("type").and_then(Node::as_str) {
                Some("boolean") => (
                    Type::Bool,
                    Mode::Typed(Want::Bool, Label::Input(name.into())),
                ),
                Some("number") => (
                    Type::Number,
                    Mode::Typed(Want::Number, Label::Input(name.into())),
                ),
                Some("string") => (Type::String, Mode::Template),
                _ => (Type::Any, Mode::Template),
            };
            CallInput {
                name: name.to_ascii_lowercase(),
                ty,
                default: input.get("default").and_then(|d| Site::new(d, key, mode)),
            }
        })
        .collect()
}

fn inputs_of(cfg: &Node) -> Vec<(&str, &Node)> {
    cfg.get("inputs")
        .and_then(Node::as_map)
        .unwrap_or_default()
        .iter()
        .filter_map(|(k, v)| Some((k.as_str()?, v)))
        .collect()
}

fn defaults<'a>(out: &mut Out<'a>, n: Option<&'a Node>, key: &'static str) {
    let run = n.and_then(|d| d.get("run"));
    out.key(run.and_then(|r| r.get("shell")), key);
    out.key(run.and_then(|r| r.get("working-directory")), key);
}

/// The values of `keys` in the mapping `node`, found in one pass over it rather than a pass
/// per key (every job and step of every workflow is read here): for each key its first entry,
/// as [`Node::get`] finds it.
fn first_values<'a, const N: usize>(node: &'a Node, keys: [&str; N]) -> [Option<&'a Node>; N] {
    let mut out = [None; N];
    for (k, v) in node.as_map().unwrap_or_default() {
        let at = k.as_str().and_then(|k| keys.iter().position(|w| *w == k));
        if let Some(slot) = at.and_then(|i| out.get_mut(i)) {
            slot.get_or_insert(v);
        }
    }
    out
}

/// The job-level values checked before its steps (everything but `environment` and
/// `outputs`).
pub fn job_sites<'a>(job: &Job<'a>) -> Vec<Site<'a>> {
    let mut out = Out::default();
    let [
        name,
        needs,
        runs_on_node,
        concurrency,
        env,
        defaults_node,
        cond,
        strategy,
        continue_on_error,
        timeout_minutes,
        container_node,
        services,
        uses,
        with_node,
        secrets,
        snapshot,
    ] = first_values(
        job.node,
        [
            "name",
            "needs",
            "runs-on",
            "concurrency",
            "env",
            "defaults",
            "if",
            "strategy",
            "continue-on-error",
            "timeout-minutes",
            "container",
            "services",
            "uses",
            "with",
            "secrets",
            "snapshot",
        ],
    );
    out.key(name, "jobs.<job_id>.name");
    out.all(needs, ANY, Mode::Template);
    runs_on(&mut out, runs_on_node);
    out.concurrency(concurrency, "jobs.<job_id>.concurrency");
    out.env(env, "jobs.<job_id>.env");
    defaults(&mut out, defaults_node, "jobs.<job_id>.defaults.run");
    out.add(cond, Scope::Key("jobs.<job_id>.if"), Mode::Condition);
    if let Some(strategy) = strategy {
        let key = "jobs.<job_id>.strategy";
        out.typed(strategy.get("fail-fast"), key, Want::Bool, Label::Bare);
        let mp = strategy.get("max-parallel");
        out.typed(mp, key, Want::Number, Label::At("integer value"));
        matrix(&mut out, strategy.get("matrix"));
    }
    out.typed(
        continue_on_error,
        "jobs.<job_id>.continue-on-error",
        Want::Bool,
        Label::Bare,
    );
    let label = Label::At("float number value");
    out.typed(
        timeout_minutes,
        "jobs.<job_id>.timeout-minutes",
        Want::Number,
        label,
    );
    container(
        &mut out,
        container_node,
        "jobs.<job_id>.container",
        Part::Container,
    );
    match services.and_then(Node::as_map) {
        Some(entries) => {
            for (_, svc) in entries {
                container(&mut out, Some(svc), "jobs.<job_id>.services", Part::Service);
            }
        }
        None => out.typed(
            services,
            "jobs.<job_id>.services",
            Want::Object,
            Label::At("services"),
        ),
    }
    if uses.is_some() {
        out.key(uses, "");
        for (_, v) in with_node.and_then(Node::as_map).unwrap_or_default() {
            out.add(
                Some(v),
                Scope::Key("jobs.<job_id>.with.<with_id>"),
                Mode::CallWith,
            );
        }
        if let Some(secrets) = secrets.and_then(Node::as_map) {
            let key = "jobs.<job_id>.secrets.<secrets_id>";
            for (_, v) in secrets {
                out.key(Some(v), key);
            }
        }
    }
    let snapshot_if = snapshot.and_then(|s| s.get("if"));
    out.add(
        snapshot_if,
        Scope::Key("jobs.<job_id>.snapshot.if"),
        Mode::Condition,
    );
    out.0
}

fn runs_on<'a>(out: &mut Out<'a>, n: Option<&'a Node>) {
    let key = "jobs.<job_id>.runs-on";
    let label = || Label::At("runs-on");
    match n.map(|n| &n.kind) {
        Some(Kind::Map(_)) => {
            out.key(n.and_then(|n| n.get("group")), key);
            let labels = n.and_then(|n| n.get("labels"));
            match labels.map(|l| &l.kind) {
                Some(Kind::Scalar { .. }) => out.typed(labels, key, Want::StringOrArray, label()),
                _ => out.all(labels, Scope::Key(key), Mode::Template),
            }
        }
        Some(Kind::Scalar { .. }) => out.typed(n, key, Want::StringOrArray, label()),
        _ => out.all(n, Scope::Key(key), Mode::Template),
    }
}

#[derive(Clone, Copy, PartialEq)]
enum Part {
    Container,
    Service,
}

fn container<'a>(out: &mut Out<'a>, n: Option<&'a Node>, key: &'static str, part: Part) {
    let Some(n) = n else { return };
    if n.as_map().is_none() {
        out.key(Some(n), key);
        return;
    }
    let (cred_key, env_key) = match part {
        Part::Container => (
            "jobs.<job_id>.container.credentials",
            "jobs.<job_id>.container.env.<env_id>",
        ),
        Part::Service => (
            "jobs.<job_id>.services.<service_id>.credentials",
            "jobs.<job_id>.services.<service_id>.env.<env_id>",
        ),
    };
    for k in ["image", "options", "command", "entrypoint"] {
        out.key(n.get(k), key);
    }
    for k in ["ports", "volumes"] {
        out.all(n.get(k), Scope::Key(key), Mode::Template);
    }
    match n.get("credentials") {
        Some(c) if c.as_map().is_some() => {
            out.key(c.get("username"), cred_key);
            out.key(c.get("password"), cred_key);
        }
        c => out.typed(c, cred_key, Want::Object, Label::At("credentials")),
    }
    out.env(n.get("env"), env_key);
}

/// `strategy.matrix`: the values are checked, the shape is typed.
fn matrix<'a>(out: &mut Out<'a>, m: Option<&'a Node>) {
    let scope = Scope::Key("jobs.<job_id>.strategy");
    let typed = |w, l| Mode::Typed(w, Label::At(l));
    let Some(entries) = m.and_then(Node::as_map) else {
        out.add(m, scope, typed(Want::Object, "matrix"));
        return;
    };
    for (k, v) in entries {
        // Rows and `exclude` have a shape; `include` may add anything (its types only
        // widen the matrix's, see `types::matrix_type`).
        let (list, item) = match k.as_str().unwrap_or_default() {
            "include" => (Mode::Plain, Some(Mode::Plain)),
            "exclude" => (
                typed(Want::Array, "exclude"),
                Some(typed(Want::Object, "exclude")),
            ),
            _ => (typed(Want::Array, "matrix row"), None),
        };
        match (&v.kind, item) {
            (Kind::Scalar { .. }, _) => out.add(Some(v), scope, list),
            (Kind::Seq(items), Some(item)) => {
                for i in items {
                    match &i.kind {
                        Kind::Map(_) => out.all(Some(i), scope, Mode::Plain),
                        _ => out.add(Some(i), scope, item.clone()),
                    }
                }
            }
            _ => out.all(Some(v), scope, Mode::Plain),
        }
    }
}

/// The values of one step.
pub fn step_sites<'a>(step: &Step<'a>) -> Vec<Site<'a>> {
    let mut out = Out::default();
    let [
        name,
        cond,
        run,
        shell,
        working_directory,
        uses,
        with_node,
        env,
        continue_on_error,
        timeout_minutes,
        id,
    ] = first_values(
        step.node,
        [
            "name",
            "if",
            "run",
            "shell",
            "working-directory",
            "uses",
            "with",
            "env",
            "continue-on-error",
            "timeout-minutes",
            "id",
        ],
    );
    out.key(name, "jobs.<job_id>.steps.name");
    out.add(cond, Scope::Key("jobs.<job_id>.steps.if"), Mode::Condition);
    out.add(run, Scope::Key("jobs.<job_id>.steps.run"), Mode::Script);
    out.key(shell, "");
    out.key(working_directory, "jobs.<job_id>.steps.working-directory");
    out.key(uses, "");
    let script_action = uses
        .and_then(Node::as_str)
        .is_some_and(|u| u.starts_with("actions/github-script@"));
    let with_scope = Scope::Key("jobs.<job_id>.steps.with");
    for (k, v) in with_node.and_then(Node::as_map).unwrap_or_default() {
        let script = script_action && k.as_str() == Some("script");
        out.add(
            Some(v),
            with_scope,
            if script { Mode::Script } else { Mode::Template },
        );
    }
    out.env(env, "jobs.<job_id>.steps.env");
    out.typed(
        continue_on_error,
        "jobs.<job_id>.steps.continue-on-error",
        Want::Bool,
        Label::Bare,
    );
    let label = Label::At("float number value");
    out.typed(
        timeout_minutes,
        "jobs.<job_id>.steps.timeout-minutes",
        Want::Number,
        label,
    );
    out.key(id, "");
    out.0
}

/// The job-level values evaluated after its steps: `environment` and `outputs`.
pub fn job_post_sites<'a>(job: &Job<'a>) -> Vec<Site<'a>> {
    let mut out = Out::default();
    let env = job.get("environment");
    match env.filter(|e| e.as_map().is_some()) {
        Some(e) => {
            out.key(e.get("name"), "jobs.<job_id>.environment");
            out.key(e.get("url"), "jobs.<job_id>.environment.url");
            let deployment = e.get("deployment");
            out.typed(
                deployment,
                "jobs.<job_id>.environment",
                Want::Bool,
                Label::Bare,
            );
        }
        None => out.key(env, "jobs.<job_id>.environment"),
    }
    for (_, v) in job
        .get("outputs")
        .and_then(Node::as_map)
        .unwrap_or_default()
    {
        out.key(Some(v), "jobs.<job_id>.outputs.<output_id>");
    }
    out.0
}

/// `on.workflow_call.outputs.<id>.value`, which see the `jobs` context.
pub fn call_output_sites<'a>(wf: &Workflow<'a>) -> Vec<Site<'a>> {
    let mut out = Out::default();
    let outputs = wf
        .event("workflow_call")
        .and_then(|t| t.config)
        .and_then(|c| c.get("outputs"))
        .and_then(Node::as_map)
        .unwrap_or_default();
    for (_, v) in outputs {
        out.key(v.get("value"), "on.workflow_call.outputs.<output_id>.value");
    }
    out.0
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::workflow::yaml;

    /// One pass over a job's keys finds what a lookup per key finds, in the same order.
    #[test]
    fn job_keys_are_found_as_get_finds_them() {
        let src = "name: ${{ a }}\nneeds: ${{ b }}\nruns-on: ${{ c }}\nconcurrency: ${{ d }}\n\
                   env: ${{ e }}\ndefaults: { run: { shell: '${{ f }}' } }\nif: g\n\
                   strategy: { fail-fast: '${{ h }}' }\ncontinue-on-error: ${{ i }}\n\
                   timeout-minutes: ${{ j }}\ncontainer: ${{ k }}\nservices: ${{ l }}\n\
                   uses: ./w.yml\nwith: { x: '${{ m }}' }\nsecrets: { y: '${{ n }}' }\n\
                   snapshot: { if: o }\nname: ${{ second }}\nsteps: ${{ p }}\n";
        let root = yaml::parse(src).root.expect("root");
        let job = Job {
            id: "j",
            id_node: &root,
            node: &root,
            needs: Vec::new(),
            steps: Vec::new(),
        };
        let got: Vec<*const Node> = job_sites(&job)
            .iter()
            .map(|s| std::ptr::from_ref(s.node))
            .collect();
        let get = |path: &[&str]| {
            let n = path.iter().try_fold(&root, |n, k| n.get(k));
            std::ptr::from_ref(n.expect("present"))
        };
        let want = [
            get(&["name"]),
            get(&["needs"]),
            get(&["runs-on"]),
            get(&["concurrency"]),
            get(&["env"]),
            get(&["defaults", "run", "shell"]),
            get(&["if"]),
            get(&["strategy", "fail-fast"]),
            get(&["continue-on-error"]),
            get(&["timeout-minutes"]),
            get(&["container"]),
            get(&["services"]),
            get(&["with", "x"]),
            get(&["secrets", "y"]),
            get(&["snapshot", "if"]),
        ];
        assert_eq!(got, want);
    }

    /// One pass over a step's keys finds what a lookup per key finds, the first of a repeated
    /// key included, and the sites come in the order of the keys' checks.
    #[test]
    fn step_keys_are_found_as_get_finds_them() {
        let src = "name: ${{ a }}\nif: b\nrun: ${{ c }}\nshell: ${{ d }}\n\
                   working-directory: ${{ e }}\nuses: ${{ f }}\nwith: { x: '${{ g }}' }\n\
                   env: ${{ h }}\ncontinue-on-error: ${{ i }}\ntimeout-minutes: ${{ j }}\n\
                   id: ${{ k }}\nname: ${{ second }}\nother: ${{ l }}\n";
        let root = yaml::parse(src).root.expect("root");
        let step = Step {
            index: 0,
            node: &root,
        };
        let got: Vec<*const Node> = step_sites(&step)
            .iter()
            .map(|s| std::ptr::from_ref(s.node))
            .collect();
        let get = |k: &str| root.get(k).expect(k);
        let with = get("with").get("x").expect("x");
        let want: Vec<*const Node> = [
            get("name"),
            get("if"),
            get("run"),
            get("shell"),
            get("working-directory"),
            get("uses"),
            with,
            get("env"),
            get("continue-on-error"),
            get("timeout-minutes"),
            get("id"),
        ]
        .into_iter()
        .map(std::ptr::from_ref)
        .collect();
        assert_eq!(got, want);
        assert_eq!(root.get("name").and_then(Node::as_str), Some("${{ a }}"));
    }
}
