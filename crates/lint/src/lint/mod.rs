//! The linter: rules, their registry, findings, and the driver that runs them over one file.
//!
//! A rule is a unit struct implementing [`Rule`]; it overrides only the visitor methods it needs.
//! Findings are values; an `Err` anywhere in here means the tool itself failed, never that the
//! file is bad.

pub mod audit;
pub mod config;
pub mod deploy;
pub mod discover;
pub mod exprs;
pub mod fix;
pub mod popular_actions;
pub mod project;
pub mod registry;
pub mod rules;
pub mod schema;
pub mod sec;
pub mod shellcheck;
pub mod suppress;

use crate::workflow::action::Action;
use crate::workflow::model::{Job, Step, Workflow};
use crate::workflow::yaml::{self, Node, Span};

pub use audit::{Audit, AuditSeverity, Confidence};
pub use config::Config;
pub use fix::{Edit, Fix};
pub use project::{Project, Projects};

/// How bad a finding is. `Error` is kept for what GitHub refuses or fails on; what it runs is at
/// most a `Warning`. Ordered from the most severe (`Error < Warning < Note`); `lint` exits 1 on
/// findings at or above `--fail-on` (default `Error`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// Will fail on GitHub or is certainly a bug.
    Error,
    /// Probably wrong or unsafe; does not fail the run.
    Warning,
    /// Worth knowing.
    Note,
}

impl Severity {
    /// The lowercase name used in every output format.
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
            Severity::Note => "note",
        }
    }
}

/// One problem found in one file.
#[derive(Debug, Clone, PartialEq)]
pub struct Finding {
    /// The id of the rule that found it (kebab-case).
    pub rule: &'static str,
    /// How bad it is.
    pub severity: Severity,
    /// The offending node.
    pub span: Span,
    /// What is wrong, in one sentence.
    pub message: String,
    /// How to fix it, when known.
    pub help: Option<String>,
    /// For a security finding: zizmor's severity and confidence.
    pub audit: Option<Audit>,
    /// A safe mechanical fix (`lint --fix`), when there is one.
    pub fix: Option<Fix>,
    /// The construct the finding is about (a step, a job), when larger than `span`: a
    /// `# zizmor: ignore[...]` comment anywhere in it silences the finding, as in zizmor.
    pub scope: Option<Span>,
}

impl Finding {
    /// A finding with no audit, fix or scope.
    pub fn new(rule: &'static str, severity: Severity, span: Span, message: String) -> Self {
        Finding {
            rule,
            severity,
            span,
            message,
            help: None,
            audit: None,
            fix: None,
            scope: None,
        }
    }
}

/// What kind of file a path holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileKind {
    /// A workflow under `.github/workflows/`.
    Workflow,
    /// Action metadata (`action.yml`).
    Action,
    /// A promotion policy (`.github/promotion.yml`).
    Policy,
}

impl FileKind {
    /// Classifies a path by its file name: `action.yml`/`action.yaml` are action metadata.
    pub fn of_path(path: &str) -> FileKind {
        let name = path.rsplit(['/', '\\']).next().unwrap_or(path);
        let in_workflows = path.replace('\\', "/").contains(".github/workflows/");
        if !in_workflows && (name == "action.yml" || name == "action.yaml") {
            FileKind::Action
        } else if !in_workflows && discover::is_policy_path(path) {
            FileKind::Policy
        } else {
            FileKind::Workflow
        }
    }
}

/// Static description of a rule, used by the registry, docs and SARIF.
#[derive(Debug)]
pub struct RuleMeta {
    /// Kebab-case id, equal to the rule's file name.
    pub id: &'static str,
    /// The zizmor audit this rule covers (`template-injection`), if any: shown by
    /// `--list-rules`, carried in SARIF, and honoured in `# zizmor: ignore[...]` comments.
    pub zizmor: Option<&'static str>,
    /// The actionlint rule kind this rule covers (`runner-label`), if any.
    pub actionlint: Option<&'static str>,
    /// One-line summary.
    pub summary: &'static str,
    /// Severity of its findings unless a finding says otherwise.
    pub severity: Severity,
    /// Other actionlint kinds whose expected errors this rule's findings also answer
    /// (`syntax-check` for most structure rules): what the conformance tests tally.
    pub actionlint_also: &'static [&'static str],
}

impl RuleMeta {
    /// The documentation URL of the rule.
    pub fn help_uri(&self) -> String {
        format!("{DOCS_BASE}#{}", self.id)
    }
}

/// Where rule documentation lives.
pub const DOCS_BASE: &str = "https://github.com/org/deploy-action/blob/main/docs/rules.md";

/// A lint rule: a visitor with no-op defaults.
pub trait Rule: Sync {
    /// The rule's static description.
    fn meta(&self) -> &'static RuleMeta;
    /// Called once per workflow file, before jobs.
    fn workflow(&self, _wf: &Workflow<'_>, _cx: &mut Ctx<'_>) {}
    /// Called for each job.
    fn job(&self, _wf: &Workflow<'_>, _job: &Job<'_>, _cx: &mut Ctx<'_>) {}
    /// Called for each step of each job.
    fn step(&self, _wf: &Workflow<'_>, _job: &Job<'_>, _step: &Step<'_>, _cx: &mut Ctx<'_>) {}
    /// Called once per action metadata file.
    fn action(&self, _action: &Action<'_>, _cx: &mut Ctx<'_>) {}
    /// Called for each step of a composite action's `runs.steps`, after [`Rule::action`].
    fn composite_step(&self, _action: &Action<'_>, _step: &Node, _cx: &mut Ctx<'_>) {}
    /// Called once per promotion policy file, with its YAML root.
    fn policy(&self, _root: &Node, _cx: &mut Ctx<'_>) {}
}

/// What a rule sees besides the model: configuration and a place to put findings.
pub struct Ctx<'a> {
    /// Effective configuration.
    pub config: &'a Config,
    /// The file's text.
    pub source: &'a str,
    /// The file's path as given.
    pub path: &'a str,
    /// The repository the file belongs to, when known: local actions and reusable workflows
    /// (`uses: ./...`) are read from it.
    pub project: Option<&'a Project>,
    exprs: &'a sec::exprs::FileExprs<'a>,
    rule: &'static RuleMeta,
    findings: Vec<Finding>,
    scripts: Vec<shellcheck::Script>,
}

impl<'a> Ctx<'a> {
    /// Every `${{ }}` expression of the file (and every bare `if:`), parsed once for all rules.
    pub fn expressions(&self) -> &'a [sec::exprs::Site<'a>] {
        self.exprs.sites()
    }

    /// The commands of a `run:` script of the file, split once for all rules.
    pub fn commands(&self, script: &Node) -> std::rc::Rc<Vec<Vec<deploy::Word>>> {
        self.exprs.commands_of(script)
    }

    /// The parsed expressions of one scalar of the file, if it has any.
    pub fn expressions_of(&self, node: &Node) -> Option<&'a sec::exprs::Site<'a>> {
        self.exprs.site_of(node)
    }

    /// Queues a `run:` script for shellcheck, which runs over every file's scripts at once
    /// ([`shellcheck::Shellcheck::check`]).
    pub fn queue_script(&mut self, script: shellcheck::Script) {
        self.scripts.push(script);
    }

    /// The severity of the rule's findings unless a finding says otherwise.
    pub fn default_severity(&self) -> Severity {
        self.rule.severity
    }

    /// Reports a finding at the rule's default severity.
    pub fn report(&mut self, span: Span, message: impl Into<String>) {
        let severity = self.rule.severity;
        self.report_with(severity, span, message, None);
    }

    /// Reports a finding with a fix hint.
    pub fn report_help(&mut self, span: Span, message: impl Into<String>, help: impl Into<String>) {
        let severity = self.rule.severity;
        self.report_with(severity, span, message, Some(help.into()));
    }

    /// Reports a finding with an explicit severity and optional hint.
    pub fn report_with(
        &mut self,
        severity: Severity,
        span: Span,
        message: impl Into<String>,
        help: Option<String>,
    ) {
        self.report_fix(severity, span, message, help, None);
    }

    /// Reports a finding with a fix.
    pub fn report_fix(
        &mut self,
        severity: Severity,
        span: Span,
        message: impl Into<String>,
        help: Option<String>,
        fix: Option<Fix>,
    ) {
        let mut f = Finding::new(self.rule.id, severity, span, message.into());
        f.help = help;
        f.fix = fix;
        self.findings.push(f);
    }

    /// Reports a security finding rated the way zizmor rates it; our severity follows from
    /// zizmor's ([`AuditSeverity::severity`]). The returned finding takes a fix or a scope.
    pub fn audit(
        &mut self,
        audit: Audit,
        span: Span,
        message: impl Into<String>,
        help: impl Into<String>,
    ) -> &mut Finding {
        let mut f = Finding::new(
            self.rule.id,
            audit.severity.severity(),
            span,
            message.into(),
        );
        f.help = Some(help.into());
        f.audit = Some(audit);
        self.findings.push(f);
        let last = self.findings.len() - 1;
        &mut self.findings[last]
    }

    /// Reports the scalar `node`, a name the rule does not know, with the known names closest
    /// to it (`known`; computed only now, on the reporting path). `message` says what is
    /// wrong; `. did you mean "x"?` is added to it, or `otherwise()` (a list of every known
    /// name, `. expected one of ...`) when nothing is close. A certain suggestion is also a
    /// fix replacing the name; an uncertain one adds a help line naming the choices.
    pub fn report_unknown<'k>(
        &mut self,
        severity: Severity,
        node: &Node,
        message: String,
        known: impl IntoIterator<Item = &'k str>,
        otherwise: impl FnOnce() -> String,
        help: Option<String>,
    ) {
        let unknown = Unknown {
            severity,
            at: node.span,
            node,
            message,
            help,
        };
        self.unknown(unknown, known, otherwise);
    }

    /// [`Ctx::report_unknown`] at the rule's severity for a finding that points at `at` rather
    /// than at the unknown name itself (`needs:` findings point at the job).
    pub fn report_unknown_at<'k>(
        &mut self,
        at: Span,
        node: &Node,
        message: String,
        known: impl IntoIterator<Item = &'k str>,
        otherwise: impl FnOnce() -> String,
    ) {
        let unknown = Unknown {
            severity: self.rule.severity,
            at,
            node,
            message,
            help: None,
        };
        self.unknown(unknown, known, otherwise);
    }

    fn unknown<'k>(
        &mut self,
        u: Unknown<'_>,
        known: impl IntoIterator<Item = &'k str>,
        otherwise: impl FnOnce() -> String,
    ) {
        let name = u.node.as_str().unwrap_or_default();
        let closest = crate::suggest::closest(name, known);
        let Some(did_you_mean) = closest.did_you_mean() else {
            let message = format!("{}{}", u.message, otherwise());
            return self.report_fix(u.severity, u.at, message, u.help, None);
        };
        let fix = closest.certain().and_then(|k| {
            let at = name_span(self.source, u.node, name)?;
            Some(Fix::replace_span(format!("replace with {k:?}"), at, k))
        });
        let help = match (closest.choice_help(name), u.help) {
            (Some(choice), Some(h)) => Some(format!("{choice}; {h}")),
            (choice, h) => choice.or(h),
        };
        let message = format!("{}. {did_you_mean}", u.message);
        self.report_fix(u.severity, u.at, message, help, fix);
    }
}

/// An unknown name to report (see [`Ctx::report_unknown`]).
struct Unknown<'n> {
    severity: Severity,
    /// Where the finding points.
    at: Span,
    /// The scalar holding the name.
    node: &'n Node,
    message: String,
    help: Option<String>,
}

/// The findings of one file.
#[derive(Debug, Clone)]
pub struct FileResult {
    /// The path as given (or `--stdin-filename`).
    pub path: String,
    /// The file's text, for snippets.
    pub source: String,
    /// Findings sorted by position.
    pub findings: Vec<Finding>,
    /// `run:` scripts queued for shellcheck; [`shellcheck::Shellcheck::check`] turns them into
    /// findings.
    pub scripts: Vec<shellcheck::Script>,
}

/// The rule that reports YAML the parser refuses; it has no visitor of its own.
pub static YAML_SYNTAX: RuleMeta = RuleMeta {
    id: "yaml-syntax",
    zizmor: None,
    actionlint: Some("syntax-check"),
    summary: "YAML must parse: syntax errors, duplicate keys, alias bombs, nesting limits",
    severity: Severity::Error,
    actionlint_also: &[],
};

/// The largest file the linter reads: five times the largest workflow in a corpus of 2,400 real
/// ones (425 kB). The tree and the rules take about 50 bytes of memory per byte of YAML, so a
/// file over this gets one finding; one just under it takes well under 1 s and 200 MB.
pub const MAX_FILE_BYTES: u64 = 2 * 1024 * 1024;

/// The result for a file of `size` bytes, over [`MAX_FILE_BYTES`]: one `yaml-syntax` finding,
/// the text unread.
pub fn too_large(path: &str, size: u64) -> FileResult {
    FileResult {
        path: path.to_string(),
        source: String::new(),
        findings: vec![Finding {
            rule: YAML_SYNTAX.id,
            severity: Severity::Error,
            span: Span::point(yaml::Pos {
                offset: 0,
                line: 1,
                col: 1,
            }),
            message: format!(
                "file is {size} bytes, over the {MAX_FILE_BYTES} bytes the linter reads; it was \
                 not checked"
            ),
            help: Some(
                "workflows and action metadata are far smaller: check that this is the right file, \
                 or split the workflow into reusable workflows"
                    .into(),
            ),
            audit: None,
            fix: None,
            scope: None,
        }],
        scripts: Vec::new(),
    }
}

/// Lints one file's text on its own, without a repository around it.
pub fn lint_source(path: &str, source: &str, kind: FileKind, config: &Config) -> FileResult {
    lint_source_in(None, path, source, kind, config)
}

/// Lints one file's text as part of `project` (when given), so that local actions and local
/// reusable workflows it uses are read and checked too.
pub fn lint_source_in(
    project: Option<&Project>,
    path: &str,
    source: &str,
    kind: FileKind,
    config: &Config,
) -> FileResult {
    lint_source_read(project, None, path, source, kind, config)
}

/// [`lint_source_in`] for a file whose text is `source` exactly as it was read from the path
/// `read_from` (the path its project was found from): a workflow is also offered to the
/// project as a reusable workflow, which its callers then need not read and parse again.
pub fn lint_source_read(
    project: Option<&Project>,
    read_from: Option<&std::path::Path>,
    path: &str,
    source: &str,
    kind: FileKind,
    config: &Config,
) -> FileResult {
    if source.len() as u64 > MAX_FILE_BYTES {
        return too_large(path, source.len() as u64);
    }
    let read = match (project, read_from, kind) {
        (Some(project), Some(file), FileKind::Workflow) => Some((project, file)),
        _ => None,
    };
    // A caller of this workflow may have parsed it already.
    let kept = read.and_then(|(project, file)| project.take_parsed(file, source));
    let doc = kept.unwrap_or_else(|| yaml::parse(source));
    if let Some((project, file)) = read {
        project.offer_workflow(file, &doc);
    }
    let mut findings = Vec::new();
    if let Some(e) = &doc.error {
        findings.push(Finding {
            rule: YAML_SYNTAX.id,
            severity: Severity::Error,
            span: Span::point(e.pos),
            message: format!("could not parse as YAML: {}", e.message),
            help: None,
            audit: None,
            fix: None,
            scope: None,
        });
    }
    for issue in &doc.issues {
        findings.push(Finding {
            rule: YAML_SYNTAX.id,
            severity: if issue.warning {
                Severity::Warning
            } else {
                Severity::Error
            },
            span: issue.span,
            message: issue.message.clone(),
            help: None,
            audit: None,
            fix: None,
            scope: None,
        });
    }
    let mut scripts = Vec::new();
    // A document that failed to parse is reported once; rules would only add noise.
    if doc.error.is_none() {
        let empty = empty_root();
        let root = doc.root.as_ref().unwrap_or(&empty);
        let file = File {
            path,
            source,
            config,
            project,
        };
        deploy::with_memo(|| {
            sec::uses::with_memo(|| run_rules(&file, kind, root, &mut findings, &mut scripts))
        });
    }
    finish(source, config, &mut findings);
    FileResult {
        path: path.to_string(),
        source: source.to_string(),
        findings,
        scripts,
    }
}

/// The last pass over a file's findings: rules the configuration turns off, suppression
/// comments, position order, duplicates.
fn finish(source: &str, config: &Config, findings: &mut Vec<Finding>) {
    findings.retain(|f| config.rule_enabled(f.rule));
    suppress::apply(source, findings);
    findings.sort_by_key(|f| (f.span.start.line, f.span.start.col, f.rule));
    findings.dedup_by(|a, b| a.span == b.span && a.rule == b.rule && a.message == b.message);
}

/// Where the text of scalar `node`, whose value is `name`, is written: inside its quotes. `None`
/// when the source there is not exactly `name` (escapes, an alias, a folded block), so that a
/// fix never replaces the wrong text.
pub fn name_span(source: &str, node: &Node, name: &str) -> Option<Span> {
    if node.from_alias {
        return None;
    }
    let span = exprs::pos::value_span(source, node, 0, name.len());
    (source.get(span.start.offset..span.end.offset) == Some(name)).then_some(span)
}

fn empty_root() -> Node {
    Node {
        kind: yaml::Kind::Scalar {
            value: String::new(),
            style: yaml::Style::Plain,
            tag: None,
        },
        span: Span::point(yaml::Pos {
            offset: 0,
            line: 1,
            col: 1,
        }),
        from_alias: false,
    }
}

/// What every rule of one file shares.
struct File<'a> {
    path: &'a str,
    source: &'a str,
    config: &'a Config,
    project: Option<&'a Project>,
}

impl<'a> File<'a> {
    fn ctx<'b>(&self, rule: &'static RuleMeta, exprs: &'b sec::exprs::FileExprs<'b>) -> Ctx<'b>
    where
        'a: 'b,
    {
        Ctx {
            config: self.config,
            source: self.source,
            path: self.path,
            project: self.project,
            exprs,
            rule,
            findings: Vec::new(),
            scripts: Vec::new(),
        }
    }
}

fn run_rules(
    file: &File<'_>,
    kind: FileKind,
    root: &Node,
    out: &mut Vec<Finding>,
    scripts: &mut Vec<shellcheck::Script>,
) {
    let rules = registry::all();
    let config = file.config;
    let exprs = sec::exprs::FileExprs::new(root);
    match kind {
        FileKind::Workflow => {
            let wf = Workflow::new(root);
            // Which jobs and steps can never run (`if: false`), worked out once.
            let dead: Vec<(bool, Vec<bool>)> = wf
                .jobs
                .iter()
                .map(|j| {
                    let steps = j.steps.iter().map(|s| sec::never_runs(s.node)).collect();
                    (sec::never_runs(j.node), steps)
                })
                .collect();
            for rule in rules {
                if !config.rule_enabled(rule.meta().id) {
                    continue;
                }
                let mut cx = file.ctx(rule.meta(), &exprs);
                // Rules that only mirror zizmor audits follow its scope: a job or a step that
                // can never run (`if: false`) is not audited.
                let zizmor_only = rule.meta().zizmor.is_some() && rule.meta().actionlint.is_none();
                rule.workflow(&wf, &mut cx);
                for (job, (dead_job, dead_steps)) in wf.jobs.iter().zip(&dead) {
                    if zizmor_only && *dead_job {
                        continue;
                    }
                    rule.job(&wf, job, &mut cx);
                    for (step, dead_step) in job.steps.iter().zip(dead_steps) {
                        if zizmor_only && *dead_step {
                            continue;
                        }
                        rule.step(&wf, job, step, &mut cx);
                    }
                }
                out.append(&mut cx.findings);
                scripts.append(&mut cx.scripts);
            }
        }
        FileKind::Action => {
            let action = Action::new(root);
            for rule in rules {
                if !config.rule_enabled(rule.meta().id) {
                    continue;
                }
                let mut cx = file.ctx(rule.meta(), &exprs);
                rule.action(&action, &mut cx);
                for step in sec::composite_steps(&action) {
                    rule.composite_step(&action, step, &mut cx);
                }
                out.append(&mut cx.findings);
                scripts.append(&mut cx.scripts);
            }
        }
        FileKind::Policy => {
            for rule in rules {
                if !config.rule_enabled(rule.meta().id) {
                    continue;
                }
                let mut cx = file.ctx(rule.meta(), &exprs);
                rule.policy(root, &mut cx);
                out.append(&mut cx.findings);
                scripts.append(&mut cx.scripts);
            }
        }
    }
}

/// The result for a file that is not UTF-8: one `yaml-syntax` finding at the first bad byte.
pub fn not_utf8(path: &str, valid_up_to: usize, bytes: &[u8]) -> FileResult {
    let good = String::from_utf8_lossy(&bytes[..valid_up_to]).into_owned();
    let line = good.matches('\n').count() as u32 + 1;
    let col = good.rsplit('\n').next().map_or(0, |l| l.chars().count()) as u32 + 1;
    let pos = yaml::Pos {
        offset: valid_up_to,
        line,
        col,
    };
    FileResult {
        path: path.to_string(),
        source: good,
        findings: vec![Finding {
            rule: YAML_SYNTAX.id,
            severity: Severity::Error,
            span: Span::point(pos),
            message: format!("file is not valid UTF-8 (invalid byte at offset {valid_up_to})"),
            help: Some("save the file as UTF-8".into()),
            audit: None,
            fix: None,
            scope: None,
        }],
        scripts: Vec::new(),
    }
}
