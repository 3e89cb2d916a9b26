//! `gen-workflow`: scaffolds a build -> staging -> promote-to-production pipeline for a
//! repository, from templates under `workflows-templates/` (embedded at build time) rendered
//! with minijinja.
//!
//! The flow: [`settings::Settings`] from flags, the config file and [`detect`] are layered and
//! resolved into [`Options`]; [`plan::plan`] turns those into the values the templates read;
//! [`generate`] renders the workflow and the promotion policy. Nothing here prints, reads the
//! environment or touches files: `commands::gen_workflow` does.

pub mod detect;
pub mod graph;
pub mod options;
pub mod pins;
pub mod plan;
pub mod progressive;
pub mod settings;
pub mod templates;

use std::collections::BTreeSet;

pub use options::{Notify, Options, PackageManager, Registry, Service, Stack, Target};
pub use settings::Settings;

/// Why a pipeline could not be generated. Each message says what is wrong and how to fix it.
#[derive(Debug, thiserror::Error)]
pub enum GenerateError {
    /// A `--service` (or config `services:`) entry is malformed.
    #[error("bad service {spec:?}: {why}")]
    BadService {
        /// The entry as given.
        spec: String,
        /// What is wrong with it and what is expected.
        why: String,
    },
    /// A setting has a value that cannot be written into a workflow safely.
    #[error("bad {what} {value:?}: {fix}")]
    BadValue {
        /// The setting's flag name.
        what: String,
        /// The value given.
        value: String,
        /// What to use instead.
        fix: String,
    },
    /// Two settings contradict each other.
    #[error("{0}")]
    Conflict(String),
    /// The `gen-workflow:` section of the configuration file is invalid.
    #[error("invalid config {path}:{line}:{col}: {message}")]
    Config {
        /// The config path.
        path: String,
        /// 1-based line.
        line: u32,
        /// 1-based column.
        col: u32,
        /// What is wrong and how to fix it.
        message: String,
    },
    /// A template failed to render: a bug in deploy-action's templates, not in the input.
    #[error("template error (a bug in deploy-action; please report it): {0}")]
    Template(String),
    /// `graph` was given a file that is not a workflow.
    #[error(
        "cannot draw the job graph of {path}: {why}; give a workflow file with a `jobs:` mapping"
    )]
    Graph {
        /// The file.
        path: String,
        /// What is wrong.
        why: String,
    },
}

/// The files a generation produces.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Generated {
    /// The workflow (`.github/workflows/deploy.yml` by default).
    pub workflow: String,
    /// The promotion policy, written to [`Options::policy_path`].
    pub promotion: String,
}

/// Renders the workflow and the promotion policy for `options`.
///
/// Two passes: the first renders the jobs; the job graph, variables and secrets read from it
/// go into the header and the summary job of the second (they change no job or `needs:`).
pub fn generate(options: &Options) -> Result<Generated, GenerateError> {
    let env = templates::environment(pins::table()?)?;
    let mut plan = plan::plan(options);
    let render = |name: &str, plan: &plan::Plan| -> Result<String, GenerateError> {
        let ctx =
            minijinja::context! { c => minijinja::Value::from(minijinja::value::Serde(plan)) };
        let text = env
            .get_template(name)
            .and_then(|t| t.render(ctx))
            .map_err(templates::template_error)?;
        Ok(tidy(&text))
    };
    let first = render("workflow.yml.j2", &plan)?;
    plan.mermaid = graph::mermaid("deploy.yml", &first)?;
    plan.variables = names_after(&first, "vars.");
    plan.secrets = names_after(&first, "secrets.");
    let workflow = render("workflow.yml.j2", &plan)?;
    let promotion = render("promotion.yml.j2", &plan)?;
    Ok(Generated {
        workflow,
        promotion,
    })
}

/// The `NAME`s of `vars.NAME` (or `secrets.NAME`) in expressions, sorted, without
/// GITHUB_TOKEN.
fn names_after(text: &str, prefix: &str) -> Vec<String> {
    let mut out = BTreeSet::new();
    for (i, _) in text.match_indices(prefix) {
        let rest = &text[i + prefix.len()..];
        let name: String = rest
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
            .collect();
        let before = text[..i].chars().next_back();
        let in_expr = !before.is_some_and(|c| c.is_ascii_alphanumeric() || c == '_' || c == '.');
        if in_expr && !name.is_empty() && name != "GITHUB_TOKEN" {
            out.insert(name);
        }
    }
    out.into_iter().collect()
}

/// Trailing spaces off; blank lines kept only (one) before a top-level key or a job, where
/// they separate sections; one final newline.
fn tidy(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut pending_blank = false;
    for line in text.lines() {
        let line = line.trim_end();
        if line.is_empty() {
            pending_blank = true;
            continue;
        }
        let indent = line.len() - line.trim_start().len();
        let section = indent <= 2 && !line.trim_start().starts_with(['#', '-']);
        if pending_blank && section && !out.is_empty() {
            out.push('\n');
        }
        pending_blank = false;
        out.push_str(line);
        out.push('\n');
    }
    out
}

/// The `--list` text: every stack, registry, target and notification, with a line each.
pub fn list() -> String {
    use clap::ValueEnum;
    fn section<T: ValueEnum + Copy>(title: &str, all: &[T]) -> String {
        let mut s = format!("{title}:\n");
        for v in all {
            if let Some(pv) = v.to_possible_value() {
                let help = pv.get_help().map(ToString::to_string).unwrap_or_default();
                s.push_str(&format!("  {:<17} {help}\n", pv.get_name()));
            }
        }
        s
    }
    [
        section("stacks", Stack::ALL),
        section("registries", Registry::ALL),
        section("targets", Target::ALL),
        section("notify", Notify::ALL),
    ]
    .join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tidy_squeezes_blank_lines() {
        assert_eq!(tidy("\n\na: 1  \n\n\n\nb: 2\n\n"), "a: 1\n\nb: 2\n");
        assert_eq!(
            tidy("jobs:\n  a:\n    x: 1\n\n    y: 2\n\n  b:\n"),
            "jobs:\n  a:\n    x: 1\n    y: 2\n\n  b:\n"
        );
    }

    #[test]
    fn names_in_expressions() {
        let t = "${{ vars.ACR_NAME }} ${{ secrets.AZURE_CLIENT_ID }} x${{ secrets.GITHUB_TOKEN }} env.vars.NO";
        assert_eq!(names_after(t, "vars."), ["ACR_NAME"]);
        assert_eq!(names_after(t, "secrets."), ["AZURE_CLIENT_ID"]);
    }

    #[test]
    fn every_target_has_a_template() {
        for t in Target::ALL {
            let name = format!("targets/{t}.j2");
            assert!(
                templates::TEMPLATES.iter().any(|(n, _)| *n == name),
                "{name}"
            );
        }
    }
}
