//! Inline suppression: `# deploy-action: ignore[rule-id, other-id]` on the offending line or on
//! the line above it silences those rules there; `# deploy-action: ignore` silences every rule.

use super::Finding;

const MARKER: &str = "deploy-action: ignore";

/// The rules a comment on this line suppresses: `None` when it has no marker, `Some(empty)` for all.
fn suppressed_on(line: &str) -> Option<Vec<&str>> {
    let hash = line.find('#')?;
    let comment = &line[hash..];
    let at = comment.find(MARKER)?;
    let rest = &comment[at + MARKER.len()..];
    match rest.strip_prefix('[') {
        Some(list) => {
            let list = list.split(']').next().unwrap_or("");
            Some(
                list.split(',')
                    .map(str::trim)
                    .filter(|s| !s.is_empty())
                    .collect(),
            )
        }
        None => Some(Vec::new()),
    }
}

/// Drops findings suppressed by inline comments.
pub fn apply(source: &str, findings: &mut Vec<Finding>) {
    if !source.contains(MARKER) {
        return;
    }
    let lines: Vec<&str> = source.lines().collect();
    let covers = |line_no: u32, rule: &str| -> bool {
        let idx = line_no as usize;
        // The finding's own line (1-based) and the line above it.
        [idx.checked_sub(1), idx.checked_sub(2)]
            .into_iter()
            .flatten()
            .filter_map(|i| lines.get(i))
            .filter_map(|l| suppressed_on(l))
            .any(|rules| rules.is_empty() || rules.contains(&rule))
    };
    findings.retain(|f| !covers(f.span.start.line, f.rule));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_markers() {
        assert_eq!(
            suppressed_on("x: 1 # deploy-action: ignore[a, b]"),
            Some(vec!["a", "b"])
        );
        assert_eq!(suppressed_on("# deploy-action: ignore"), Some(vec![]));
        assert_eq!(suppressed_on("x: 1 # other"), None);
    }
}
