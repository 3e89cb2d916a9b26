//! `.github/deploy-action.yml`: which rules run, which paths are skipped, which self-hosted runner
//! labels and configuration variables exist.
//!
//! ```yaml
//! lint:
//!   disable: [runner-label]          # rule ids to turn off
//!   ignore: ["legacy/**"]            # path globs never linted
//!   self-hosted-runner:
//!     labels: [gpu, "linux-arm64-*"] # labels of your own runners (globs allowed)
//!   config-variables: [DEPLOY_URL]   # known `vars.*` names; unset means "don't check"
//! ```

use std::path::Path;

use globset::{Glob, GlobSet, GlobSetBuilder};

use crate::workflow::yaml::{self, Node};

/// Why the configuration could not be used.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The file could not be read.
    #[error("cannot read config {path}: {source}")]
    Read {
        /// The config path.
        path: String,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The file is not valid.
    #[error("invalid config {path}:{line}:{col}: {message}")]
    Invalid {
        /// The config path.
        path: String,
        /// 1-based line.
        line: u32,
        /// 1-based column.
        col: u32,
        /// What is wrong and how to fix it.
        message: String,
    },
}

/// Effective lint configuration.
#[derive(Debug, Default, Clone)]
pub struct Config {
    /// Rule ids turned off.
    pub disabled: Vec<String>,
    /// Paths never linted.
    pub ignore: Option<GlobSet>,
    /// Self-hosted runner labels (glob patterns).
    pub runner_labels: Vec<String>,
    /// Known `vars.*` names, when checking them is wanted.
    pub config_variables: Option<Vec<String>>,
}

impl Config {
    /// True unless the rule is disabled.
    pub fn rule_enabled(&self, id: &str) -> bool {
        !self.disabled.iter().any(|d| d == id)
    }

    /// True when the path matches an `ignore` glob.
    pub fn ignored(&self, path: &Path) -> bool {
        self.ignore.as_ref().is_some_and(|g| g.is_match(path))
    }

    /// True when `label` matches a configured self-hosted runner label.
    pub fn known_runner_label(&self, label: &str) -> bool {
        self.runner_labels.iter().any(|pat| {
            Glob::new(pat)
                .map(|g| g.compile_matcher().is_match(label))
                .unwrap_or(false)
                || pat.eq_ignore_ascii_case(label)
        })
    }

    /// Reads a configuration file.
    pub fn load(path: &Path) -> Result<Config, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
            path: path.display().to_string(),
            source,
        })?;
        Config::parse(&path.display().to_string(), &text)
    }

    /// Parses configuration text; `path` is only used in messages.
    pub fn parse(path: &str, text: &str) -> Result<Config, ConfigError> {
        let invalid = |n: Option<&Node>, message: String| ConfigError::Invalid {
            path: path.to_string(),
            line: n.map_or(1, |n| n.span.start.line),
            col: n.map_or(1, |n| n.span.start.col),
            message,
        };
        let doc = yaml::parse(text);
        if let Some(e) = doc.error {
            return Err(ConfigError::Invalid {
                path: path.to_string(),
                line: e.pos.line,
                col: e.pos.col,
                message: e.message,
            });
        }
        let mut cfg = Config::default();
        let Some(root) = doc.root else {
            return Ok(cfg);
        };
        if root.is_null() {
            return Ok(cfg);
        }
        if root.as_map().is_none() {
            return Err(invalid(Some(&root), "expected a mapping at the top".into()));
        }
        // Other tools' sections (gen-workflow, promote) may share this file.
        let Some(lint) = root.get("lint") else {
            return Ok(cfg);
        };
        if lint.is_null() {
            return Ok(cfg);
        }
        let Some(entries) = lint.as_map() else {
            return Err(invalid(Some(lint), "\"lint\" must be a mapping".into()));
        };
        for (k, v) in entries {
            match k.as_str().unwrap_or("") {
                "disable" => cfg.disabled = strings(v).map_err(|m| invalid(Some(v), m))?,
                "ignore" => {
                    let mut b = GlobSetBuilder::new();
                    for pat in strings(v).map_err(|m| invalid(Some(v), m))? {
                        let g = Glob::new(&pat)
                            .map_err(|e| invalid(Some(v), format!("bad glob {pat:?}: {e}")))?;
                        b.add(g);
                    }
                    cfg.ignore = Some(b.build().map_err(|e| invalid(Some(v), e.to_string()))?);
                }
                "self-hosted-runner" => {
                    if let Some(labels) = v.get("labels") {
                        cfg.runner_labels =
                            strings(labels).map_err(|m| invalid(Some(labels), m))?;
                    }
                }
                "config-variables" => {
                    if !v.is_null() {
                        cfg.config_variables = Some(strings(v).map_err(|m| invalid(Some(v), m))?);
                    }
                }
                other => {
                    return Err(invalid(
                        Some(k),
                        format!(
                            "unknown key {other:?} in \"lint\"; expected one of \"disable\", \
                             \"ignore\", \"self-hosted-runner\", \"config-variables\""
                        ),
                    ));
                }
            }
        }
        Ok(cfg)
    }

    /// Reads actionlint's `actionlint.yaml` form (`self-hosted-runner.labels`,
    /// `config-variables`), so projects migrating from actionlint keep their settings.
    pub fn from_actionlint(path: &str, text: &str) -> Result<Config, ConfigError> {
        let wrapped = format!(
            "lint:\n{}",
            text.lines()
                .filter(|l| !l.trim_start().starts_with("paths:"))
                .map(|l| format!("  {l}\n"))
                .collect::<String>()
        );
        // actionlint's `paths:` section has its own meaning; it is ignored here.
        let mut cfg = Config::parse(path, &wrapped).unwrap_or_default();
        cfg.disabled.clear();
        Ok(cfg)
    }
}

fn strings(n: &Node) -> Result<Vec<String>, String> {
    if n.is_null() {
        return Ok(Vec::new());
    }
    if let Some(s) = n.as_str() {
        return Ok(vec![s.to_string()]);
    }
    n.as_seq()
        .ok_or_else(|| "expected a list of strings".to_string())?
        .iter()
        .map(|i| {
            i.as_str()
                .map(str::to_string)
                .ok_or_else(|| "expected a list of strings".to_string())
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_lint_section() {
        let cfg = Config::parse(
            "c.yml",
            "lint:\n  disable: [runner-label]\n  ignore: ['legacy/**']\n  self-hosted-runner:\n    labels: [gpu-*]\n",
        )
        .expect("config");
        assert!(!cfg.rule_enabled("runner-label"));
        assert!(cfg.ignored(Path::new("legacy/x.yml")));
        assert!(cfg.known_runner_label("gpu-a100"));
        assert!(!cfg.known_runner_label("cpu"));
    }

    #[test]
    fn unknown_key_is_an_error() {
        let e = Config::parse("c.yml", "lint:\n  disabled: [x]\n").expect_err("error");
        assert!(e.to_string().contains("c.yml:2:3"));
    }
}
