//! The contexts (`github`, `env`, `steps`, ...) and their types, and [`TypeEnv`]: what an
//! expression at one place of a workflow can see.
//!
//! The built-in table is data: callers replace `steps`, `needs`, `matrix`, `inputs` and `jobs`
//! with precise types built from the workflow being checked.

use std::collections::BTreeMap;
use std::sync::{Arc, LazyLock};

use super::availability::availability;
use super::types::{ObjectType, Type};

fn strings(names: &[&str]) -> Vec<(String, Type)> {
    names
        .iter()
        .map(|n| (n.to_string(), Type::String))
        .collect()
}

/// The `github` context. Property names are stored in lower case (`repositoryUrl` is
/// `repositoryurl`) because property access is case-insensitive.
fn github() -> Type {
    let mut props = strings(&[
        "action",
        "action_path",
        "action_ref",
        "action_repository",
        "action_status",
        "actor",
        "actor_id",
        "api_url",
        "base_ref",
        "env",
        "event_name",
        "event_path",
        "graphql_url",
        "head_ref",
        "job",
        "output",
        "path",
        "ref",
        "ref_name",
        "ref_type",
        "repository",
        "repository_id",
        "repository_owner",
        "repository_owner_id",
        "repository_visibility",
        "repositoryurl",
        "run_attempt",
        "run_id",
        "run_number",
        "secret_source",
        "server_url",
        "sha",
        "state",
        "step_summary",
        "token",
        "triggering_actor",
        "workflow",
        "workflow_ref",
        "workflow_sha",
        "workspace",
    ]);
    props.push(("artifact_cache_size_limit".into(), Type::Number));
    props.push(("retention_days".into(), Type::Number));
    props.push(("ref_protected".into(), Type::Bool));
    // The event payload differs per event; it is loose so any property is accepted.
    props.push(("event".into(), Type::loose_object::<&str>([])));
    Type::strict_object(props)
}

fn job() -> Type {
    let container = Type::strict_object(strings(&["id", "network"]));
    let service = Type::strict_object([
        ("id", Type::String),
        ("network", Type::String),
        ("ports", Type::map(Type::String)),
    ]);
    Type::strict_object([
        ("check_run_id", Type::Number),
        ("container", container),
        ("services", Type::map(service)),
        ("status", Type::String),
    ])
}

fn runner() -> Type {
    Type::strict_object(strings(&[
        "arch",
        "debug",
        "environment",
        "name",
        "os",
        "temp",
        "tool_cache",
    ]))
}

fn strategy() -> Type {
    Type::loose_object([
        ("fail-fast", Type::Bool),
        ("job-index", Type::Number),
        ("job-total", Type::Number),
        ("max-parallel", Type::Number),
    ])
}

/// The contexts every workflow has, with their default types. `steps`, `needs`, `matrix` and
/// `inputs` are empty strict objects until the caller describes the workflow; `jobs` (only in
/// `on.workflow_call.outputs`) is absent until set.
pub fn builtin_contexts() -> BTreeMap<String, Type> {
    BUILTIN
        .iter()
        .map(|(k, v)| (k.to_string(), Type::clone(v)))
        .collect()
}

/// The contexts and their lower-case names: the built-in ones, shared by every [`TypeEnv`],
/// which keeps what it changes beside them. A list, not a map: a dozen names, looked up by
/// [`same_name`], which compares their first bytes before calling `memcmp`.
type Contexts = Vec<(Arc<str>, Arc<Type>)>;

/// Shared by every [`TypeEnv`].
static BUILTIN: LazyLock<Arc<Contexts>> = LazyLock::new(|| {
    Arc::new(
        [
            ("env", Type::map(Type::String)),
            ("github", github()),
            ("inputs", Type::empty_strict_object()),
            ("job", job()),
            ("matrix", Type::empty_strict_object()),
            ("needs", Type::empty_strict_object()),
            ("runner", runner()),
            ("secrets", Type::map(Type::String)),
            ("steps", Type::empty_strict_object()),
            ("strategy", strategy()),
            ("vars", Type::map(Type::String)),
        ]
        .into_iter()
        .map(|(k, v)| (Arc::from(k), Arc::new(v)))
        .collect(),
    )
});

/// Whether two context names are the same. Their first bytes are compared before the whole:
/// names of equal length differ there (`steps` and `needs`, `inputs` and `matrix`), and the
/// checker looks contexts up by name for every expression.
fn same_name(a: &str, b: &str) -> bool {
    a.len() == b.len() && a.as_bytes().first() == b.as_bytes().first() && a == b
}

/// Names allowed at a place (lower case): one of the static availability tables, shared by
/// every site and clone, or a list given at run time.
#[derive(Debug, Clone)]
enum Names {
    Static(&'static [&'static str]),
    Owned(Vec<String>),
}

impl Names {
    fn contains(&self, name: &str) -> bool {
        match self {
            Names::Static(names) => names.iter().any(|n| same_name(n, name)),
            Names::Owned(names) => names.iter().any(|n| n == name),
        }
    }

    fn to_vec(&self) -> Vec<&str> {
        match self {
            Names::Static(names) => names.to_vec(),
            Names::Owned(names) => names.iter().map(String::as_str).collect(),
        }
    }
}

/// What an expression at one place can see: the contexts and their types, which of them may
/// be used there, which special functions (`success()`, `hashFiles()`, ...) may be called, and
/// which extra checks apply.
#[derive(Debug, Clone)]
pub struct TypeEnv {
    /// The built-in contexts, shared by every environment.
    contexts: Arc<Contexts>,
    /// The contexts set (`Some`) or removed (`None`) since, by lower-case name, read before
    /// `contexts`. An environment is cloned for every job and step and its `steps`, `needs`,
    /// `matrix` set for each: a change costs a slot here, not a copy of the map, and the types
    /// are shared between clones.
    changed: Vec<(Arc<str>, Option<Arc<Type>>)>,
    available_contexts: Option<Names>,
    special_functions: Option<Names>,
    config_vars: Option<Vec<String>>,
    check_untrusted: bool,
    extra_checks: bool,
}

impl Default for TypeEnv {
    fn default() -> Self {
        TypeEnv::new()
    }
}

impl TypeEnv {
    /// The built-in contexts, with every context and special function allowed.
    pub fn new() -> Self {
        TypeEnv {
            contexts: BUILTIN.clone(),
            changed: Vec::new(),
            available_contexts: None,
            special_functions: None,
            config_vars: None,
            check_untrusted: false,
            extra_checks: false,
        }
    }

    /// The built-in contexts, restricted to what GitHub allows at `key` (see
    /// [`availability`]). An unknown key allows no context and no special function, as in
    /// actionlint, where a value that may not hold expressions gets an empty key.
    pub fn for_workflow_key(key: &str) -> Self {
        let mut env = TypeEnv::new();
        env.set_workflow_key(key);
        env
    }

    /// Restricts contexts and special functions to what GitHub allows at `key`.
    pub fn set_workflow_key(&mut self, key: &str) {
        let (ctx, funcs) = match availability(key) {
            Some(a) => (a.contexts, a.special_functions),
            None => (&[][..], &[][..]),
        };
        self.set_availability(ctx, funcs);
    }

    /// Restricts contexts and special functions to static lists (lower-case names), which
    /// the environment borrows rather than copies: a rule sets them for every site it checks.
    pub fn set_availability(
        &mut self,
        contexts: &'static [&'static str],
        functions: &'static [&'static str],
    ) {
        self.available_contexts = Some(Names::Static(contexts));
        self.special_functions = Some(Names::Static(functions));
    }

    /// Sets which contexts may be used (lower-case names); `None` allows all.
    pub fn set_available_contexts(&mut self, names: Option<Vec<String>>) {
        self.available_contexts = names.map(Names::Owned);
    }

    /// Sets which special functions may be called (lower-case names); `None` allows all.
    pub fn set_special_functions(&mut self, names: Option<Vec<String>>) {
        self.special_functions = names.map(Names::Owned);
    }

    /// Replaces (or adds) a context's type; `name` is lower case. This is how callers give
    /// `steps`, `needs`, `matrix`, `inputs` and `jobs` the precise types of their workflow.
    pub fn set_context(&mut self, name: &str, ty: Type) {
        self.change(name, Some(Arc::new(ty)));
    }

    /// Sets a context to a type the caller keeps a share of: a job's `steps` grows by one step
    /// at a time and each step's expressions see it as it is then, which sharing shows them
    /// without a copy per step. `name` is lower case.
    pub fn set_context_shared(&mut self, name: &str, ty: Arc<Type>) {
        self.change(name, Some(ty));
    }

    /// Gives a context back its built-in type, letting go of what was set for it (so that the
    /// caller's share of a [`set_context_shared`](Self::set_context_shared) type is its only one
    /// again and can change in place). `name` is lower case.
    pub fn reset_context(&mut self, name: &str) {
        self.changed.retain(|(k, _)| **k != *name);
    }

    /// Removes a context, so that using it is an "undefined variable".
    pub fn remove_context(&mut self, name: &str) {
        self.change(&name.to_ascii_lowercase(), None);
    }

    /// Sets or removes the context `name`. Callers name contexts in lower case already: a
    /// built-in context's key is shared, any other is built lower-cased.
    fn change(&mut self, name: &str, ty: Option<Arc<Type>>) {
        if let Some((_, slot)) = self.changed.iter_mut().find(|(k, _)| same_name(k, name)) {
            *slot = ty;
            return;
        }
        let key = match self.builtin(name) {
            Some((k, _)) => k.clone(),
            None => Arc::from(name.to_ascii_lowercase()),
        };
        self.changed.push((key, ty));
    }

    /// The built-in context `name` and its shared key.
    fn builtin(&self, name: &str) -> Option<&(Arc<str>, Arc<Type>)> {
        self.contexts.iter().find(|(k, _)| same_name(k, name))
    }

    /// The context `name`: what was set for it since, else the built-in one; `None` when it
    /// was removed or never defined.
    fn lookup(&self, name: &str) -> Option<&Arc<Type>> {
        match self.changed.iter().find(|(k, _)| same_name(k, name)) {
            Some((_, ty)) => ty.as_ref(),
            None => self.builtin(name).map(|(_, t)| t),
        }
    }

    /// The context `name` as an `Arc`, to change a copy of it.
    fn context_arc(&self, name: &str) -> Option<Arc<Type>> {
        self.lookup(name).cloned()
    }

    /// The type of a context, if defined.
    pub fn context(&self, name: &str) -> Option<&Type> {
        self.lookup(name).map(|t| &**t)
    }

    /// The names of all defined contexts, sorted.
    pub fn context_names(&self) -> impl Iterator<Item = &str> {
        let changed = |k: &str| self.changed.iter().any(|(c, _)| **c == *k);
        let mut names: Vec<&str> = self
            .contexts
            .iter()
            .map(|(k, _)| &**k)
            .filter(|k| !changed(k))
            .chain(
                self.changed
                    .iter()
                    .filter(|(_, ty)| ty.is_some())
                    .map(|(k, _)| &**k),
            )
            .collect();
        names.sort_unstable();
        names.into_iter()
    }

    /// Whether `name` (lower case) may be used here.
    pub fn is_context_available(&self, name: &str) -> bool {
        self.available_contexts
            .as_ref()
            .is_none_or(|a| a.contains(name))
    }

    /// The contexts allowed here, when restricted.
    pub fn available_contexts(&self) -> Option<Vec<&str>> {
        self.available_contexts.as_ref().map(Names::to_vec)
    }

    /// Whether special function `name` (lower case) may be called here.
    pub fn is_special_function_available(&self, name: &str) -> bool {
        self.special_functions
            .as_ref()
            .is_none_or(|a| a.contains(name))
    }

    /// Declares the secrets of a reusable workflow (`on.workflow_call.secrets`): `secrets`
    /// becomes a strict object of them plus those GitHub always passes (`GITHUB_TOKEN`,
    /// `ACTIONS_STEP_DEBUG`, `ACTIONS_RUNNER_DEBUG`). Names are lower case.
    pub fn set_workflow_call_secrets<S: AsRef<str>>(&mut self, names: &[S]) {
        let mut props: BTreeMap<String, Type> =
            ["github_token", "actions_step_debug", "actions_runner_debug"]
                .iter()
                .map(|n| (n.to_string(), Type::String))
                .collect();
        for n in names {
            props.insert(n.as_ref().to_ascii_lowercase(), Type::String);
        }
        self.set_context(
            "secrets",
            Type::Object(ObjectType {
                props,
                mapped: None,
            }),
        );
    }

    /// Adds the inputs of one trigger (`workflow_call` or `workflow_dispatch`). When both
    /// triggers declare inputs, `inputs` is the merge of the two, as in actionlint.
    pub fn add_inputs(&mut self, inputs: ObjectType) {
        let merged = match self.context_arc("inputs").map(Arc::unwrap_or_clone) {
            Some(Type::Object(cur)) if !(cur.props.is_empty() && cur.is_strict()) => {
                Type::Object(cur).merge(Type::Object(inputs))
            }
            _ => Type::Object(inputs),
        };
        self.set_context("inputs", merged);
    }

    /// Adds the inputs of `workflow_dispatch`: to `inputs` with their declared types, and to
    /// `github.event.inputs`, where every input is a string.
    pub fn add_dispatch_inputs(&mut self, inputs: ObjectType) {
        let as_strings = ObjectType::strict(inputs.props.keys().map(|k| (k.clone(), Type::String)));
        self.add_inputs(inputs);
        let Some(mut github) = self.context_arc("github") else {
            return;
        };
        if let Some(event) = Arc::make_mut(&mut github)
            .as_object_mut()
            .and_then(|g| g.props.get_mut("event"))
            .and_then(Type::as_object_mut)
        {
            event
                .props
                .insert("inputs".into(), Type::Object(as_strings));
            self.change("github", Some(github));
        }
    }

    /// The configuration variables declared for the project (`vars.*`); `None` skips the check
    /// that `vars.X` is one of them.
    pub fn set_config_vars(&mut self, names: Option<Vec<String>>) {
        self.config_vars = names;
    }

    /// The declared configuration variables, if any were declared.
    pub fn config_vars(&self) -> Option<&[String]> {
        self.config_vars.as_deref()
    }

    /// Turns on the check for untrusted inputs (`github.event.issue.title` ...) used directly,
    /// which applies to inline scripts (`run:` and `actions/github-script`'s `script`).
    pub fn set_check_untrusted(&mut self, on: bool) {
        self.check_untrusted = on;
    }

    /// Whether untrusted inputs are reported.
    pub fn check_untrusted(&self) -> bool {
        self.check_untrusted
    }

    /// Turns on checks actionlint does not make (currently: `format()` strings with a `{` or
    /// `}` that is neither a placeholder nor doubled, which GitHub rejects at run time).
    pub fn set_extra_checks(&mut self, on: bool) {
        self.extra_checks = on;
    }

    /// Whether checks beyond actionlint's are on.
    pub fn extra_checks(&self) -> bool {
        self.extra_checks
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtin_names() {
        let names: Vec<_> = builtin_contexts().into_keys().collect();
        assert_eq!(
            names,
            [
                "env", "github", "inputs", "job", "matrix", "needs", "runner", "secrets", "steps",
                "strategy", "vars"
            ]
        );
    }

    #[test]
    fn workflow_key_restricts() {
        let env = TypeEnv::for_workflow_key("run-name");
        assert!(env.is_context_available("github"));
        assert!(!env.is_context_available("secrets"));
        assert!(!env.is_special_function_available("always"));
        let env = TypeEnv::for_workflow_key("no.such.key");
        assert!(!env.is_context_available("github"));
        assert!(TypeEnv::new().is_context_available("anything"));
    }

    #[test]
    fn dispatch_inputs_are_strings_in_event() {
        let mut env = TypeEnv::new();
        env.add_dispatch_inputs(ObjectType::strict([("n", Type::Number)]));
        assert_eq!(
            env.context("inputs").map(ToString::to_string).as_deref(),
            Some("{n: number}")
        );
        let github = env.context("github").and_then(Type::as_object);
        let event = github
            .and_then(|g| g.props.get("event"))
            .and_then(Type::as_object);
        assert_eq!(
            event
                .and_then(|e| e.props.get("inputs"))
                .map(ToString::to_string)
                .as_deref(),
            Some("{n: string}")
        );
    }

    #[test]
    fn shared_context_is_reset_to_the_builtin() {
        let mut env = TypeEnv::new();
        let mut steps = Arc::new(Type::empty_strict_object());
        if let Some(o) = Arc::make_mut(&mut steps).as_object_mut() {
            o.props.insert("build".into(), Type::String);
        }
        env.set_context_shared("steps", Arc::clone(&steps));
        assert_eq!(
            env.context("steps").map(ToString::to_string).as_deref(),
            Some("{build: string}")
        );
        env.reset_context("steps");
        assert_eq!(Arc::strong_count(&steps), 1);
        assert_eq!(env.context("steps"), Some(&Type::empty_strict_object()));
    }

    #[test]
    fn workflow_call_secrets() {
        let mut env = TypeEnv::new();
        env.set_workflow_call_secrets(&["Token"]);
        assert_eq!(
            env.context("secrets").map(ToString::to_string).as_deref(),
            Some(
                "{actions_runner_debug: string; actions_step_debug: string; github_token: string; \
                 token: string}"
            )
        );
    }
}
