//! The pinned third-party actions (`workflows-templates/pins.yml`): action -> commit SHA and the
//! version it carries, written as `owner/repo@<sha> # <version>` into generated workflows.

use std::collections::BTreeMap;

use deploy_action_lint::workflow::yaml;

use super::GenerateError;

/// The table, embedded at build time.
pub const PINS_YML: &str = include_str!("../../../workflows-templates/pins.yml");

/// One pinned action.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pin {
    /// Full 40-hex commit SHA.
    pub sha: String,
    /// The tag (or branch) the SHA is, for the comment.
    pub version: String,
    /// Where the pair was read from.
    pub source: String,
}

/// Parses the pins table; every entry needs a 40-hex `sha` and a `version`.
pub fn parse(text: &str) -> Result<BTreeMap<String, Pin>, GenerateError> {
    let bad = |m: String| GenerateError::Template(format!("workflows-templates/pins.yml: {m}"));
    let doc = yaml::parse(text);
    if let Some(e) = doc.error {
        return Err(bad(format!("{}:{}: {}", e.pos.line, e.pos.col, e.message)));
    }
    let root = doc.root.ok_or_else(|| bad("empty".into()))?;
    let entries = root
        .as_map()
        .ok_or_else(|| bad("expected a mapping".into()))?;
    let mut out = BTreeMap::new();
    for (k, v) in entries {
        let action = k.as_str().unwrap_or_default().to_string();
        let field = |f: &str| v.get(f).and_then(|n| n.as_str()).map(str::to_string);
        let sha = field("sha").ok_or_else(|| bad(format!("{action}: no sha")))?;
        if sha.len() != 40 || !sha.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(bad(format!(
                "{action}: sha {sha:?} is not a full commit SHA"
            )));
        }
        let version = field("version").ok_or_else(|| bad(format!("{action}: no version")))?;
        let source = field("source").unwrap_or_default();
        out.insert(
            action,
            Pin {
                sha,
                version,
                source,
            },
        );
    }
    Ok(out)
}

/// The embedded table.
pub fn table() -> Result<BTreeMap<String, Pin>, GenerateError> {
    parse(PINS_YML)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn embedded_table_is_valid() {
        let t = table().expect("pins.yml");
        assert!(t.contains_key("actions/checkout"));
        assert!(
            t.values().all(|p| !p.source.is_empty()),
            "every pin says where it came from"
        );
    }

    #[test]
    fn short_sha_is_refused() {
        assert!(parse("a/b:\n  sha: abc123\n  version: v1\n").is_err());
    }
}
