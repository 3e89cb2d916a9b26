//! The results of `build`: a human summary or JSON on stdout, step outputs and a Markdown
//! step summary in GitHub Actions.

use serde_json::json;

use deploy_action_image::build_job::BuildOutcome as Outcome;

/// The pushed manifest digest (the first tag's), empty when nothing was pushed.
fn digest(o: &Outcome) -> &str {
    o.pushed.first().map_or("", |(_, d)| d.as_str())
}

/// `name@digest` when pushed, else the first `name:tag`.
fn image(o: &Outcome) -> String {
    match (o.images.first(), o.pushed.first()) {
        (Some(image), Some((_, digest))) => format!("{}@{digest}", image.name()),
        _ => o.refs.first().map(ToString::to_string).unwrap_or_default(),
    }
}

fn how(o: &Outcome) -> String {
    match (o.reused_from, o.steps) {
        (Some(from), _) => format!("reused from the {from} (same build key)"),
        (None, Some((cached, steps))) if cached > 0 => {
            format!(
                "built with {} ({cached} of {steps} steps cached)",
                o.builder
            )
        }
        (None, _) => format!("built with {}", o.builder),
    }
}

/// The human summary.
pub(super) fn human(o: &Outcome) -> String {
    let mut out = format!(
        "{} {} in {:.1}s: {}\n",
        how(o),
        image(o),
        o.seconds,
        o.image_id
    );
    for r in &o.refs {
        out.push_str(&format!("  {r}\n"));
    }
    for (platform, digest) in &o.platforms {
        out.push_str(&format!("  {platform}: {digest}\n"));
    }
    if !o.pushed.is_empty() {
        out.push_str(&format!("digest: {}\n", digest(o)));
    }
    out.push_str(&format!("context digest: {}\n", o.context_digest));
    out
}

/// The JSON result (`version` 1).
pub(super) fn json(o: &Outcome) -> serde_json::Result<String> {
    let pushed: serde_json::Map<String, serde_json::Value> = o
        .pushed
        .iter()
        .map(|(r, d)| (r.to_string(), json!(d)))
        .collect();
    let value = json!({
        "version": 1,
        "image": image(o),
        "image_id": o.image_id,
        "digest": (!o.pushed.is_empty()).then(|| digest(o)),
        "tags": o.refs.iter().map(ToString::to_string).collect::<Vec<_>>(),
        "pushed": pushed,
        "labels": o.labels,
        "context_digest": o.context_digest,
        "build_key": o.build_key,
        "builder": o.builder,
        "platforms": (!o.platforms.is_empty()).then(|| {
            o.platforms.iter().map(|(p, d)| (p.clone(), json!(d))).collect::<serde_json::Map<_, _>>()
        }),
        "steps": o.steps.map(|(cached, total)| json!({ "cached": cached, "total": total })),
        "reused": o.reused_from.is_some(),
        "reused_from": o.reused_from,
        "context": { "files": o.context_files, "bytes": o.context_bytes },
    });
    Ok(format!("{}\n", serde_json::to_string_pretty(&value)?))
}

/// The step outputs: `image`, `image-id`, `digest`, `tags`, `labels`, `context-digest`,
/// `reused`.
pub(super) fn outputs(o: &Outcome) -> Vec<(&'static str, String)> {
    let tags: Vec<String> = o.refs.iter().map(ToString::to_string).collect();
    let labels: Vec<String> = o.labels.iter().map(|(k, v)| format!("{k}={v}")).collect();
    vec![
        ("image", image(o)),
        ("image-id", o.image_id.clone()),
        ("digest", digest(o).to_owned()),
        ("tags", tags.join("\n")),
        ("labels", labels.join("\n")),
        ("context-digest", o.context_digest.clone()),
        ("reused", o.reused_from.is_some().to_string()),
    ]
}

/// The Markdown step summary.
pub(super) fn summary(o: &Outcome) -> String {
    let code = |s: &str| format!("`{}`", s.replace('`', "'").replace('|', "\\|"));
    let tags: Vec<String> = o.refs.iter().map(|r| code(&r.to_string())).collect();
    let mut rows = vec![
        ("Image", code(&image(o))),
        ("Build", how(o)),
        ("Tags", tags.join("<br>")),
        ("Image ID", code(&o.image_id)),
        ("Context digest", code(&o.context_digest)),
    ];
    if !o.pushed.is_empty() {
        rows.insert(1, ("Digest", code(digest(o))));
    }
    let mut out = String::from("### deploy-action build\n\n| | |\n|---|---|\n");
    for (name, value) in rows {
        out.push_str(&format!("| {name} | {value} |\n"));
    }
    out.push('\n');
    out
}
