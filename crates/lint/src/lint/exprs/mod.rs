//! What the linter needs to check `${{ }}` expressions in a file: which string values hold
//! them and how each is checked ([`Site`]), the types of the workflow's own contexts
//! ([`types`]), and where a byte of a value stands in the source ([`pos`]).
//!
//! The rules (`expression`, `if-cond`, `workflow-call`) build on this; it reports nothing itself.

pub mod action_sites;
pub mod pos;
pub mod sites;
pub mod types;

use crate::expr::has_expr;
use crate::expr::{TemplateCheck, Type, TypeEnv, find_expressions};
use crate::workflow::yaml::Node;

/// The type a whole-value expression must have.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Want {
    /// `continue-on-error`, `fail-fast`, ...
    Bool,
    /// `timeout-minutes`, `max-parallel`.
    Number,
    /// `env`, `credentials`, `services`, `matrix`, an element of `exclude`.
    Object,
    /// A matrix row, `exclude`.
    Array,
    /// `runs-on`.
    StringOrArray,
}

impl Want {
    /// Its name in messages.
    pub fn name(self) -> &'static str {
        match self {
            Want::Bool => "bool",
            Want::Number => "number",
            Want::Object => "object",
            Want::Array => "array",
            Want::StringOrArray => "string or array",
        }
    }
}

/// How a typed value is named in messages.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Label {
    /// `type of expression must be bool ...`
    Bare,
    /// `type of expression at "env" must be object ...`
    At(&'static str),
    /// `type of input "name" must be number ...` (defaults of `workflow_call` inputs).
    Input(String),
}

/// How one string value is checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Mode {
    /// Interpolated into text: every `${{ }}` is checked, and objects, arrays and null are
    /// reported since they print as `Object`, `Array` or nothing.
    Template,
    /// An inline script (`run:`, `actions/github-script`'s `script`); checked as a template.
    Script,
    /// An `if:` condition, with or without `${{ }}`.
    Condition,
    /// Expressions checked, the value not interpolated (matrix values).
    Plain,
    /// When the value is one `${{ }}`, its type must be `Want`.
    Typed(Want, Label),
    /// A `with:` value of a reusable workflow call; its type must fit the callee's input.
    CallWith,
}

/// Which contexts and special functions an expression may use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    /// A workflow key of the availability table (`jobs.<job_id>.steps.run`). A key GitHub does
    /// not evaluate expressions at (`""`: `shell`, `uses`, a step's `id`, trigger filters, ...)
    /// allows no context at all, as in actionlint.
    Key(&'static str),
    /// An explicit list of contexts and special functions (action metadata).
    List(&'static [&'static str], &'static [&'static str]),
}

impl Scope {
    /// Restricts `env` to this scope.
    pub fn apply(self, env: &mut TypeEnv) {
        match self {
            Scope::Key(k) => env.set_workflow_key(k),
            Scope::List(contexts, funcs) => env.set_availability(contexts, funcs),
        }
    }
}

/// A string value to check, where it is and how.
#[derive(Debug, Clone)]
pub struct Site<'a> {
    /// The scalar node.
    pub node: &'a Node,
    /// What its expressions may use.
    pub scope: Scope,
    /// How it is checked.
    pub mode: Mode,
}

impl<'a> Site<'a> {
    /// A site of a scalar node; `None` for other nodes and for scalars without expressions
    /// (except conditions, which are expressions even without `${{ }}`, and `with:` values of
    /// reusable workflow calls, whose literal values are typed).
    pub fn new(node: &'a Node, scope: Scope, mode: Mode) -> Option<Self> {
        let s = node.as_str()?;
        let wanted = match mode {
            Mode::Condition => !s.trim().is_empty() && !node.is_null(),
            // Literal values are typed too (`true` is a bool).
            Mode::CallWith => true,
            _ => has_expr(&s),
        };
        wanted.then_some(Site { node, scope, mode })
    }
}

/// Whether `s` (trimmed) is exactly one `${{ }}`, so that the value has the expression's type.
/// Unlike `expr::is_single_expression`, a `}}` inside a string literal
/// (`fromJSON('{"a":{"b":1}}')`) does not count.
pub fn is_whole_expression(s: &str) -> bool {
    let t = s.trim();
    match find_expressions(t).as_slice() {
        [one] => one.error.is_none() && one.whole.start == 0 && one.whole.end == t.len(),
        _ => false,
    }
}

/// The type of the value `s` when it is one `${{ }}` that checked cleanly.
pub fn whole_type<'c>(out: &'c TemplateCheck, s: &str) -> Option<&'c Type> {
    match out.exprs.as_slice() {
        [one] if is_whole_expression(s) => Some(&one.ty),
        _ => None,
    }
}
