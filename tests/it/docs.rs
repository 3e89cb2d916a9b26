//! Generated documentation stays in sync with the code: docs/rules.md, and `--help` output.
//! Set `UPDATE_DOCS=1` to rewrite docs/rules.md after adding or changing a rule.

use crate::harness;

#[test]
fn rules_reference_is_current() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/docs/rules.md");
    let generated = deploy_action_lint::lint::registry::markdown();
    if std::env::var("UPDATE_DOCS").is_ok() {
        std::fs::write(path, &generated).expect("write docs/rules.md");
    }
    let committed = std::fs::read_to_string(path).unwrap_or_default();
    assert!(
        committed == generated,
        "docs/rules.md is out of date; run `UPDATE_DOCS=1 cargo test --test it docs::`"
    );
}

#[test]
fn help_output() {
    let top = harness::bin().arg("--help").output().expect("run");
    insta::assert_snapshot!("help", String::from_utf8_lossy(&top.stdout));
    let lint = harness::bin()
        .args(["lint", "--help"])
        .output()
        .expect("run");
    insta::assert_snapshot!("lint_help", String::from_utf8_lossy(&lint.stdout));
    for sub in ["build", "tags", "promote", "rollback"] {
        let out = harness::bin().args([sub, "--help"]).output().expect("run");
        insta::assert_snapshot!(format!("{sub}_help"), String::from_utf8_lossy(&out.stdout));
    }
}

#[test]
fn every_rule_has_a_docs_section() {
    let md = deploy_action_lint::lint::registry::markdown();
    for m in deploy_action_lint::lint::registry::metas() {
        assert!(
            md.contains(&format!("\n## {}\n", m.id)),
            "no section for {}",
            m.id
        );
        assert!(
            m.id.chars().all(|c| c.is_ascii_lowercase() || c == '-'),
            "{} is not kebab-case",
            m.id
        );
    }
}

#[test]
fn readme_action_reference_is_current() {
    use deploy_action_lint::workflow::action_docs;
    let root = env!("CARGO_MANIFEST_DIR");
    let action = std::fs::read_to_string(format!("{root}/action.yml")).expect("action.yml");
    let generated = action_docs::markdown(&action).expect("action.yml documents");
    let path = format!("{root}/README.md");
    let readme = std::fs::read_to_string(&path).expect("README.md");
    let expected = action_docs::splice(&readme, &generated).expect("README has the markers");
    if std::env::var("UPDATE_DOCS").is_ok() {
        std::fs::write(&path, &expected).expect("write README.md");
    }
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        committed == expected,
        "README.md's action inputs/outputs are out of date with action.yml; run \
         `UPDATE_DOCS=1 cargo test --test it docs::`"
    );
}

#[test]
fn every_action_input_and_output_is_documented() {
    let root = env!("CARGO_MANIFEST_DIR");
    let text = std::fs::read_to_string(format!("{root}/action.yml")).expect("action.yml");
    let doc = deploy_action_lint::workflow::yaml::parse(&text);
    let root = doc.root.expect("root");
    let action = deploy_action_lint::workflow::action::Action::new(&root);
    for (name, spec) in action.inputs().into_iter().chain(action.outputs()) {
        let description = spec
            .get("description")
            .and_then(|d| d.as_str())
            .unwrap_or_default();
        assert!(!description.trim().is_empty(), "{name} has no description");
    }
}
