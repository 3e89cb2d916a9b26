//! The templates under `workflows-templates/`, embedded at build time, and the minijinja
//! environment that renders them.
//!
//! GitHub's own `${{ }}` must pass through untouched, so the templates use other delimiters:
//! `<{ value }>`, `<% tag %>` and `<# comment #>`, with blocks trimmed like Jinja's
//! `trim_blocks` and `lstrip_blocks`.

use std::collections::BTreeMap;

use minijinja::syntax::SyntaxConfig;
use minijinja::{Environment, Error, ErrorKind, UndefinedBehavior, Value};

use super::GenerateError;
use super::pins::Pin;

/// Every template: its name (path under `workflows-templates/`) and text.
pub const TEMPLATES: &[(&str, &str)] = &[
    (
        "workflow.yml.j2",
        include_str!("../../../workflows-templates/workflow.yml.j2"),
    ),
    (
        "promotion.yml.j2",
        include_str!("../../../workflows-templates/promotion.yml.j2"),
    ),
    (
        "partials/steps.j2",
        include_str!("../../../workflows-templates/partials/steps.j2"),
    ),
    (
        "partials/test.j2",
        include_str!("../../../workflows-templates/partials/test.j2"),
    ),
    (
        "partials/build.j2",
        include_str!("../../../workflows-templates/partials/build.j2"),
    ),
    (
        "partials/jobs.j2",
        include_str!("../../../workflows-templates/partials/jobs.j2"),
    ),
    (
        "targets/container-apps.j2",
        include_str!("../../../workflows-templates/targets/container-apps.j2"),
    ),
    (
        "targets/static-web-apps.j2",
        include_str!("../../../workflows-templates/targets/static-web-apps.j2"),
    ),
    (
        "targets/app-service.j2",
        include_str!("../../../workflows-templates/targets/app-service.j2"),
    ),
    (
        "targets/kubernetes.j2",
        include_str!("../../../workflows-templates/targets/kubernetes.j2"),
    ),
    (
        "targets/helm.j2",
        include_str!("../../../workflows-templates/targets/helm.j2"),
    ),
    (
        "targets/ssh.j2",
        include_str!("../../../workflows-templates/targets/ssh.j2"),
    ),
    (
        "targets/command.j2",
        include_str!("../../../workflows-templates/targets/command.j2"),
    ),
    (
        "targets/docker.j2",
        include_str!("../../../workflows-templates/targets/docker.j2"),
    ),
    (
        "targets/cloud-run.j2",
        include_str!("../../../workflows-templates/targets/cloud-run.j2"),
    ),
    (
        "targets/ecs.j2",
        include_str!("../../../workflows-templates/targets/ecs.j2"),
    ),
];

/// A minijinja environment with every template, strict about undefined values, and a
/// `pin("owner/repo")` function that yields `owner/repo@<sha> # <version>`.
pub fn environment(pins: BTreeMap<String, Pin>) -> Result<Environment<'static>, GenerateError> {
    let mut env = Environment::new();
    let syntax = SyntaxConfig::builder()
        .block_delimiters("<%", "%>")
        .variable_delimiters("<{", "}>")
        .comment_delimiters("<#", "#>")
        .trim_blocks(true)
        .lstrip_blocks(true)
        .keep_trailing_newline(true)
        .build()
        .map_err(template_error)?;
    env.set_syntax(syntax);
    env.set_undefined_behavior(UndefinedBehavior::Strict);
    for (name, text) in TEMPLATES {
        env.add_template(name, text).map_err(template_error)?;
    }
    env.add_function("pin", move |action: &str| -> Result<Value, Error> {
        let p = pins.get(action).ok_or_else(|| {
            Error::new(
                ErrorKind::InvalidOperation,
                format!("no pin for {action}; add it to workflows-templates/pins.yml"),
            )
        })?;
        Ok(Value::from(format!("{action}@{} # {}", p.sha, p.version)))
    });
    Ok(env)
}

/// A template failure as a [`GenerateError`], with minijinja's location when it has one.
pub fn template_error(e: Error) -> GenerateError {
    let mut msg = e.to_string();
    if let (Some(name), Some(line)) = (e.name(), e.line()) {
        msg = format!("{name}:{line}: {msg}");
    }
    let mut src = std::error::Error::source(&e);
    while let Some(s) = src {
        msg.push_str(&format!(": {s}"));
        src = s.source();
    }
    GenerateError::Template(msg)
}

#[cfg(test)]
mod tests {
    #[test]
    fn every_template_file_is_embedded() {
        let dir = concat!(
            concat!(env!("CARGO_MANIFEST_DIR"), "/../.."),
            "/workflows-templates"
        );
        let mut on_disk = Vec::new();
        for sub in ["", "partials", "targets"] {
            let Ok(rd) = std::fs::read_dir(format!("{dir}/{sub}")) else {
                continue;
            };
            for e in rd.flatten() {
                let name = e.file_name().to_string_lossy().to_string();
                if name.ends_with(".j2") {
                    on_disk.push(if sub.is_empty() {
                        name
                    } else {
                        format!("{sub}/{name}")
                    });
                }
            }
        }
        for name in on_disk {
            assert!(
                super::TEMPLATES.iter().any(|(n, _)| *n == name),
                "{name} is not in TEMPLATES"
            );
        }
    }
}
