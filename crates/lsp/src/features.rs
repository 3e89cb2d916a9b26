//! What the server answers besides diagnostics: findings as LSP diagnostics, quick fixes from
//! the fixes findings carry, and hover documentation of rule ids.

use std::collections::HashMap;
use std::str::FromStr;

use lsp_types::{
    CodeAction, CodeActionKind, CodeActionOrCommand, CodeDescription, Diagnostic,
    DiagnosticSeverity, Hover, HoverContents, MarkupContent, MarkupKind, NumberOrString, Range,
    TextEdit, Uri, WorkspaceEdit,
};

use super::document::{Document, Encoding};
use deploy_action_lint::lint::{Finding, RuleMeta, Severity, registry};

/// The `source` of every diagnostic.
pub const SOURCE: &str = "deploy-action";

/// A finding as a diagnostic of `doc`: the same range, severity and rule as `lint` reports, the
/// help line after the message, the rule's documentation as the code's link.
pub fn diagnostic(doc: &Document, f: &Finding, enc: Encoding) -> Diagnostic {
    let severity = match f.severity {
        Severity::Error => DiagnosticSeverity::ERROR,
        Severity::Warning => DiagnosticSeverity::WARNING,
        Severity::Note => DiagnosticSeverity::INFORMATION,
    };
    let message = match &f.help {
        Some(h) => format!("{}\nhelp: {h}", f.message),
        None => f.message.clone(),
    };
    Diagnostic {
        range: doc.range(f.span.start.offset, f.span.end.offset, enc),
        severity: Some(severity),
        code: Some(NumberOrString::String(f.rule.to_string())),
        code_description: registry::meta(f.rule)
            .and_then(|m| Uri::from_str(&m.help_uri()).ok())
            .map(|href| CodeDescription { href }),
        source: Some(SOURCE.to_string()),
        message,
        ..Diagnostic::default()
    }
}

/// The quick fixes of the findings of `doc` whose range meets `range`: each replaces what its
/// finding's fix replaces. The fix of the only finding there is the preferred one.
pub fn code_actions(
    uri: &Uri,
    doc: &Document,
    findings: &[Finding],
    range: Range,
    enc: Encoding,
) -> Vec<CodeActionOrCommand> {
    let (lo, hi) = (doc.offset(range.start, enc), doc.offset(range.end, enc));
    let fixable: Vec<&Finding> = findings
        .iter()
        .filter(|f| f.fix.is_some())
        .filter(|f| f.span.start.offset <= hi && lo <= f.span.end.offset)
        .collect();
    let preferred = fixable.len() == 1;
    fixable
        .into_iter()
        .filter_map(|f| {
            let fix = f.fix.as_ref()?;
            // A fix that no longer fits the text is not offered.
            fix.apply_to(doc.text())?;
            let edits: Vec<TextEdit> = fix
                .edits
                .iter()
                .map(|e| TextEdit {
                    range: doc.range(e.start, e.end, enc),
                    new_text: e.text.clone(),
                })
                .collect();
            let edit = WorkspaceEdit {
                changes: Some(HashMap::from([(uri.clone(), edits)])),
                ..WorkspaceEdit::default()
            };
            Some(CodeActionOrCommand::CodeAction(CodeAction {
                title: fix.title.clone(),
                kind: Some(CodeActionKind::QUICKFIX),
                diagnostics: Some(vec![diagnostic(doc, f, enc)]),
                edit: Some(edit),
                is_preferred: Some(preferred),
                ..CodeAction::default()
            }))
        })
        .collect()
}

/// The documentation of the rule ids at byte `offset` of `doc`: the id under the cursor in a
/// `# deploy-action: ignore[...]` comment, else the rules of the findings there.
pub fn hover(doc: &Document, findings: &[&Finding], offset: usize, enc: Encoding) -> Option<Hover> {
    let text = doc.text();
    if let Some((meta, lo, hi)) = ignored_rule_at(text, offset) {
        return Some(Hover {
            contents: markdown(&rule_doc(meta)),
            range: Some(doc.range(lo, hi, enc)),
        });
    }
    let mut rules: Vec<&'static RuleMeta> = Vec::new();
    for f in findings {
        let here = f.span.start.offset <= offset && offset <= f.span.end.offset;
        if here
            && let Some(m) = registry::meta(f.rule).filter(|m| !rules.iter().any(|r| r.id == m.id))
        {
            rules.push(m);
        }
    }
    if rules.is_empty() {
        return None;
    }
    let docs: Vec<String> = rules.iter().map(|m| rule_doc(m)).collect();
    Some(Hover {
        contents: markdown(&docs.join("\n\n---\n\n")),
        range: None,
    })
}

fn markdown(value: &str) -> HoverContents {
    HoverContents::Markup(MarkupContent {
        kind: MarkupKind::Markdown,
        value: value.to_string(),
    })
}

/// A rule's documentation in Markdown: id, default severity, summary, link.
pub fn rule_doc(m: &RuleMeta) -> String {
    format!(
        "**{}** (deploy-action rule, default severity: {})\n\n{}.\n\n[Documentation]({})\n\n\
         Silence one finding with `# deploy-action: ignore[{}]` on its line or the line above.",
        m.id,
        m.severity.as_str(),
        m.summary,
        m.help_uri(),
        m.id
    )
}

/// The rule id at `offset` inside a `deploy-action: ignore[a, b]` comment on that line, with its
/// byte range.
fn ignored_rule_at(text: &str, offset: usize) -> Option<(&'static RuleMeta, usize, usize)> {
    let offset = offset.min(text.len());
    let line_start = text.get(..offset)?.rfind('\n').map_or(0, |i| i + 1);
    let line_end = text[offset..].find('\n').map_or(text.len(), |i| offset + i);
    let line = &text[line_start..line_end];
    let open = line.find("deploy-action: ignore[")? + "deploy-action: ignore[".len();
    let close = open + line[open..].find(']')?;
    let mut at = line_start + open;
    for id in line[open..close].split(',') {
        let lo = at + (id.len() - id.trim_start().len());
        let hi = lo + id.trim().len();
        if (lo..=hi).contains(&offset) {
            return registry::meta(id.trim()).map(|m| (m, lo, hi));
        }
        at += id.len() + 1;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hover_on_an_ignore_comment_names_the_rule() {
        let text = "    runs-on: x # deploy-action: ignore[expression, runner-label]\n";
        let at = text.find("runner").expect("id") + 3;
        let (m, lo, hi) = ignored_rule_at(text, at).expect("a rule");
        assert_eq!(m.id, "runner-label");
        assert_eq!(&text[lo..hi], "runner-label");
        assert!(ignored_rule_at(text, 2).is_none());
        let doc = Document::new(text.into(), 1);
        let h = hover(&doc, &[], at, Encoding::Utf16).expect("hover");
        let HoverContents::Markup(m) = h.contents else {
            panic!("markdown expected")
        };
        assert!(m.value.starts_with("**runner-label**"), "{}", m.value);
        assert!(
            m.value.contains("docs/rules.md#runner-label"),
            "{}",
            m.value
        );
    }
}
