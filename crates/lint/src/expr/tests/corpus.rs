//! Conformance with actionlint's own test data (read from `../shared/corpus`, when present).
//!
//! Without a workflow model, each expected `[expression]` diagnostic is checked on its YAML line
//! alone, with every context available and workflow-specific contexts loose. That covers every
//! message that depends only on the expression: syntax, functions, `format()`, `fromJSON()`,
//! comparisons of literals, undefined contexts and untrusted inputs.

use std::path::{Path, PathBuf};

use crate::expr::{TemplateCheck, Type, TypeEnv, check_condition, check_template};

fn corpus() -> Option<PathBuf> {
    let p = Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../.."))
        .join("../shared/corpus/actionlint-testdata");
    p.is_dir().then_some(p)
}

/// An env where only the expression itself can be wrong.
fn permissive_env(untrusted: bool) -> TypeEnv {
    let mut env = TypeEnv::new();
    for name in ["steps", "needs", "matrix", "inputs"] {
        env.set_context(name, Type::loose_object::<&str>([]));
    }
    env.set_check_untrusted(untrusted);
    env
}

/// Checks the value on one YAML line; spans are shifted to be 0-based columns of the line.
fn check_line(line: &str, env: &TypeEnv) -> TemplateCheck {
    let trimmed = line.trim_start().trim_start_matches("- ");
    let key_end = trimmed.find(": ").map(|i| i + 2);
    let start = line.len() - trimmed.len();
    let is_if = trimmed.starts_with("if: ");
    let (base, value) = match key_end {
        Some(k) if is_if => (start + k, &trimmed[k..]),
        _ => (0, line),
    };
    let mut out = if is_if {
        check_condition(value, env)
    } else {
        check_template(value, env)
    };
    for d in &mut out.diags {
        d.span = d.span.shift(base);
    }
    out
}

/// Messages that only depend on the expression text.
const EXPRESSION_ONLY: &[&str] = &[
    "got unexpected",
    "unexpected end of input",
    "parser did not reach",
    "undefined function",
    "number of arguments is wrong",
    "format string",
    "broken JSON string",
    "undefined variable",
    "is potentially untrusted",
    "object filter extracts potentially untrusted",
    "value cannot be compared",
    "argument of function call is not assignable",
    "is not defined in object type",
    "receiver of object dereference",
    "property access of object",
    "index access of array",
    "object, array, and null values",
];

/// Of those, the ones that also depend on the types of the workflow's own contexts.
const TYPED: &[&str] = &[
    "compared",
    "assignable",
    "is not defined in object type",
    "receiver of object dereference",
    "property access of object",
    "index access of array",
    "object, array, and null values",
];

struct Expected {
    file: String,
    line: usize,
    col: usize,
    message: String,
}

fn expected(dir: &Path) -> Vec<Expected> {
    let mut out = Vec::new();
    let Ok(entries) = std::fs::read_dir(dir) else {
        return out;
    };
    let mut paths: Vec<PathBuf> = entries.flatten().map(|e| e.path()).collect();
    paths.sort();
    for p in paths {
        if p.extension().and_then(|e| e.to_str()) != Some("out") {
            continue;
        }
        let Ok(text) = std::fs::read_to_string(&p) else {
            continue;
        };
        for l in text.lines() {
            let Some(rest) = l.strip_prefix("test.yaml:") else {
                continue;
            };
            let Some(msg) = rest.strip_suffix(" [expression]") else {
                continue;
            };
            let mut parts = msg.splitn(3, ':');
            let (Some(line), Some(col), Some(message)) = (parts.next(), parts.next(), parts.next())
            else {
                continue;
            };
            let (Ok(line), Ok(col)) = (line.parse(), col.parse()) else {
                continue;
            };
            out.push(Expected {
                file: p.with_extension("yaml").display().to_string(),
                line,
                col,
                message: message.trim_start().to_string(),
            });
        }
    }
    out
}

#[test]
fn expression_only_diagnostics_match_actionlint() {
    let Some(root) = corpus() else {
        return;
    };
    let mut checked = 0;
    let mut failures = Vec::new();
    for dir in ["err", "examples"] {
        for exp in expected(&root.join(dir)) {
            if !EXPRESSION_ONLY.iter().any(|p| exp.message.contains(p)) {
                continue;
            }
            let Ok(src) = std::fs::read_to_string(&exp.file) else {
                continue;
            };
            let Some(line) = src.lines().nth(exp.line - 1) else {
                continue;
            };
            // Block scalars span lines; types of workflow-specific contexts need the model.
            let block = line.trim_end().ends_with('|') || line.trim_end().ends_with('>');
            let typed = TYPED.iter().any(|t| exp.message.contains(t));
            let workflow_ctx = [
                "matrix", "inputs", "steps", "needs", "secrets", "jobs", "vars",
            ]
            .iter()
            .any(|c| line.contains(c));
            if block || (typed && workflow_ctx) {
                continue;
            }
            let untrusted = exp.message.contains("untrusted");
            let out = check_line(line, &permissive_env(untrusted));
            checked += 1;
            // Where we name the closest known names, actionlint lists them all; the rest of the
            // message is its own.
            let same = |ours: &str| match ours.split_once(". did you mean ") {
                Some((base, _)) => exp.message.starts_with(&format!("{base}. ")),
                None => ours == exp.message,
            };
            let hit = out
                .diags
                .iter()
                .any(|d| d.span.start + 1 == exp.col && same(&d.message));
            if !hit {
                failures.push(format!(
                    "{}:{}:{}: expected {:?}\n  got {:?}",
                    exp.file,
                    exp.line,
                    exp.col,
                    exp.message,
                    out.diags
                        .iter()
                        .map(|d| format!("{}: {}", d.span.start + 1, d.message))
                        .collect::<Vec<_>>()
                ));
            }
        }
    }
    assert!(checked > 35, "only {checked} expectations found");
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn ok_workflows_have_no_expression_only_problems() {
    let Some(root) = corpus() else {
        return;
    };
    let Ok(entries) = std::fs::read_dir(root.join("ok")) else {
        return;
    };
    let mut failures = Vec::new();
    let mut lines_checked = 0;
    for entry in entries.flatten() {
        let path = entry.path();
        let Ok(src) = std::fs::read_to_string(&path) else {
            continue;
        };
        for (i, line) in src.lines().enumerate() {
            // YAML escapes in double-quoted scalars would need the YAML parser.
            let yaml_escapes = line.contains("\\\"");
            if !line.contains("${{") || line.trim_start().starts_with('#') || yaml_escapes {
                continue;
            }
            lines_checked += 1;
            let mut env = permissive_env(false);
            env.set_context("jobs", Type::loose_object::<&str>([]));
            let out = check_line(line, &env);
            // Types of workflow values (objects assigned to `env:` and the like) need the model.
            for d in out
                .diags
                .iter()
                .filter(|d| d.kind != crate::expr::DiagKind::TemplateEvaluation)
            {
                failures.push(format!(
                    "{}:{}:{}: {}",
                    path.display(),
                    i + 1,
                    d.span.start + 1,
                    d.message
                ));
            }
        }
    }
    assert!(lines_checked > 50, "only {lines_checked} lines");
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
