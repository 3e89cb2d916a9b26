//! SARIF 2.1.0: rule metadata with help URIs, one result per finding, stable fingerprints that
//! survive lines moving (rule, path, the offending line's text, message).

use std::collections::BTreeMap;

use serde_sarif::sarif::{
    ArtifactChange, ArtifactContent, ArtifactLocation, Fix as SarifFix, Location, Message,
    MultiformatMessageString, PhysicalLocation, PropertyBag, Region, Replacement,
    ReportingConfiguration, ReportingDescriptor, Result as SarifResult, ResultLevel, Run, Sarif,
    Tool, ToolComponent,
};
use sha2::{Digest, Sha256};

use crate::lint::{FileResult, Finding, Fix, RuleMeta, Severity, registry};
use crate::workflow::position::LineIndex;

fn level(s: Severity) -> &'static str {
    match s {
        Severity::Error => "error",
        Severity::Warning => "warning",
        Severity::Note => "note",
    }
}

fn result_level(s: Severity) -> ResultLevel {
    match s {
        Severity::Error => ResultLevel::Error,
        Severity::Warning => ResultLevel::Warning,
        Severity::Note => ResultLevel::Note,
    }
}

/// A fingerprint that stays the same when the finding's line moves.
pub fn fingerprint(path: &str, source: &str, f: &Finding) -> String {
    let line = source
        .lines()
        .nth(f.span.start.line.saturating_sub(1) as usize)
        .unwrap_or("");
    let mut h = Sha256::new();
    for part in [f.rule, path, line.trim(), f.message.as_str()] {
        h.update(part.as_bytes());
        h.update([0]);
    }
    let digest = h.finalize();
    digest.iter().take(16).map(|b| format!("{b:02x}")).collect()
}

/// A rule's counterparts in other linters, as SARIF rule properties.
fn rule_properties(m: &RuleMeta) -> Option<PropertyBag> {
    let mut props = BTreeMap::new();
    if let Some(z) = m.zizmor {
        props.insert("zizmor".to_string(), serde_json::json!(z));
    }
    if let Some(a) = m.actionlint {
        props.insert("actionlint".to_string(), serde_json::json!(a));
    }
    (!props.is_empty()).then(|| PropertyBag::builder().additional_properties(props).build())
}

/// A security finding's zizmor audit, severity and confidence, as SARIF result properties.
fn result_properties(f: &Finding) -> Option<PropertyBag> {
    let audit = f.audit?;
    let mut props = BTreeMap::new();
    if let Some(z) = registry::zizmor_audit(f.rule) {
        props.insert("zizmor".to_string(), serde_json::json!(z));
    }
    props.insert(
        "zizmorSeverity".to_string(),
        serde_json::json!(audit.severity.as_str()),
    );
    props.insert(
        "confidence".to_string(),
        serde_json::json!(audit.confidence.as_str()),
    );
    Some(PropertyBag::builder().additional_properties(props).build())
}

/// A fix as a SARIF `fix`: one replacement per edit, regions in lines and columns.
fn sarif_fix(path: &str, source: &str, lines: &LineIndex, fix: &Fix) -> SarifFix {
    let replacements = fix
        .edits
        .iter()
        .map(|e| {
            let (a, b) = (lines.pos(source, e.start), lines.pos(source, e.end));
            Replacement::builder()
                .deleted_region(
                    Region::builder()
                        .start_line(i64::from(a.line))
                        .start_column(i64::from(a.col))
                        .end_line(i64::from(b.line))
                        .end_column(i64::from(b.col))
                        .build(),
                )
                .inserted_content(ArtifactContent::builder().text(e.text.clone()).build())
                .build()
        })
        .collect::<Vec<_>>();
    SarifFix::builder()
        .description(Message::builder().text(fix.title.clone()).build())
        .artifact_changes(vec![
            ArtifactChange::builder()
                .artifact_location(
                    ArtifactLocation::builder()
                        .uri(path.replace('\\', "/"))
                        .build(),
                )
                .replacements(replacements)
                .build(),
        ])
        .build()
}

/// Renders the SARIF log.
pub fn render(results: &[FileResult]) -> String {
    let metas = registry::metas();
    let rules: Vec<ReportingDescriptor> = metas
        .iter()
        .map(|m| {
            let mut d = ReportingDescriptor::builder()
                .id(m.id)
                .name(m.id)
                .short_description(MultiformatMessageString::builder().text(m.summary).build())
                .help_uri(m.help_uri())
                .default_configuration(
                    ReportingConfiguration::builder()
                        .level(serde_json::json!(level(m.severity)))
                        .build(),
                )
                .build();
            d.properties = rule_properties(m);
            d
        })
        .collect();
    let mut out = Vec::new();
    for r in results {
        let index = std::cell::OnceCell::new();
        let lines = || index.get_or_init(|| LineIndex::new(&r.source));
        for f in &r.findings {
            let region = Region::builder()
                .start_line(i64::from(f.span.start.line))
                .start_column(i64::from(f.span.start.col))
                .end_line(i64::from(f.span.end.line.max(f.span.start.line)))
                .end_column(i64::from(f.span.end.col.max(1)))
                .build();
            let loc = Location::builder()
                .physical_location(
                    PhysicalLocation::builder()
                        .artifact_location(
                            ArtifactLocation::builder()
                                .uri(r.path.replace('\\', "/"))
                                .build(),
                        )
                        .region(region)
                        .build(),
                )
                .build();
            let mut fp = BTreeMap::new();
            fp.insert(
                "deployAction/v1".to_string(),
                fingerprint(&r.path, &r.source, f),
            );
            let text = match &f.help {
                Some(h) => format!("{}\nhelp: {h}", f.message),
                None => f.message.clone(),
            };
            let rule_index = metas.iter().position(|m| m.id == f.rule).unwrap_or(0) as i64;
            let mut result = SarifResult::builder()
                .rule_id(f.rule)
                .rule_index(rule_index)
                .level(result_level(f.severity))
                .message(Message::builder().text(text).build())
                .locations(vec![loc])
                .partial_fingerprints(fp)
                .build();
            result.properties = result_properties(f);
            result.fixes = f
                .fix
                .as_ref()
                .map(|x| vec![sarif_fix(&r.path, &r.source, lines(), x)]);
            out.push(result);
        }
    }
    let tool = Tool::builder()
        .driver(
            ToolComponent::builder()
                .name("deploy-action")
                .version(env!("CARGO_PKG_VERSION"))
                .information_uri(crate::lint::DOCS_BASE)
                .rules(rules)
                .build(),
        )
        .build();
    let sarif = Sarif::builder()
        .schema(serde_sarif::sarif::SCHEMA_URL)
        .version(serde_json::json!("2.1.0"))
        .runs(vec![Run::builder().tool(tool).results(out).build()])
        .build();
    let mut s = serde_json::to_string_pretty(&sarif)
        .unwrap_or_else(|e| format!("{{\"error\": {:?}}}", e.to_string()));
    s.push('\n');
    s
}
