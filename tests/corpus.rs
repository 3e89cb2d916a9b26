#![allow(clippy::print_stderr)]
//! The real-world corpus: no error-severity finding on files actionlint finds clean, nothing on
//! actionlint's `ok/` fixtures, and no panic on any file at all.

mod common;

use std::collections::BTreeMap;
use std::path::Path;

use deploy_action::lint::{self, Config, FileKind, Project, Severity};

fn errors_in(path: &Path, display: &str, project: Option<&Project>) -> Vec<String> {
    let src = std::fs::read_to_string(path).expect("read");
    let r = lint::lint_source_in(
        project,
        display,
        &src,
        FileKind::of_path(display),
        &Config::default(),
    );
    r.findings
        .iter()
        .filter(|f| f.severity == Severity::Error)
        .map(|f| {
            format!(
                "{display}:{}:{}: [{}] {}",
                f.span.start.line, f.span.start.col, f.rule, f.message
            )
        })
        .collect()
}

#[test]
fn clean_workflows_have_no_errors() {
    let Some(shared) = common::shared() else {
        return;
    };
    let base = shared.join("corpus/workflows");
    let list = std::fs::read_to_string(base.join("CLEAN.txt")).expect("CLEAN.txt");
    let mut bad = Vec::new();
    let mut n = 0;
    // Each `owner__repo/` folder is linted as its repository, so local actions and reusable
    // workflows are read (the starter workflows have none).
    let mut projects: BTreeMap<String, Project> = BTreeMap::new();
    for rel in list.lines().filter(|l| !l.trim().is_empty()) {
        n += 1;
        let repo = rel.split('/').next().unwrap_or_default();
        let project = (repo.contains("__") && rel.contains("/.github/workflows/")).then(|| {
            &*projects
                .entry(repo.to_string())
                .or_insert_with(|| Project::new(base.join(repo)))
        });
        bad.extend(errors_in(&base.join(rel), rel, project));
    }
    assert!(n > 1000, "CLEAN.txt lists {n} files");
    assert!(
        bad.is_empty(),
        "{} false alarms in CLEAN files:\n{}",
        bad.len(),
        bad.join("\n")
    );
}

#[test]
fn actionlint_ok_fixtures_have_no_errors() {
    let Some(shared) = common::shared() else {
        return;
    };
    let dir = shared.join("corpus/actionlint-testdata/ok");
    let project = Project::new(&dir);
    let mut bad = Vec::new();
    for e in std::fs::read_dir(&dir).expect("ok dir") {
        let p = e.expect("entry").path();
        if p.extension().is_some_and(|x| x == "yaml" || x == "yml") {
            let name = format!(
                "ok/{}",
                p.file_name().and_then(|n| n.to_str()).unwrap_or("")
            );
            bad.extend(errors_in(&p, &name, Some(&project)));
        }
    }
    assert!(
        bad.is_empty(),
        "{} findings on ok/ fixtures:\n{}",
        bad.len(),
        bad.join("\n")
    );
}

fn walk(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
    for e in std::fs::read_dir(dir).expect("dir").flatten() {
        let p = e.path();
        if p.is_dir() {
            walk(&p, out);
        } else if p.extension().is_some_and(|x| x == "yaml" || x == "yml") {
            out.push(p);
        }
    }
}

#[test]
fn no_panic_on_any_corpus_file() {
    let Some(shared) = common::shared() else {
        return;
    };
    let mut files = Vec::new();
    walk(&shared.join("corpus"), &mut files);
    assert!(files.len() > 2000, "found {} corpus files", files.len());
    for p in files {
        let bytes = std::fs::read(&p).expect("read");
        let name = p.display().to_string();
        let r = match String::from_utf8(bytes) {
            Ok(s) => lint::lint_source(&name, &s, FileKind::of_path(&name), &Config::default()),
            Err(e) => lint::not_utf8(&name, e.utf8_error().valid_up_to(), e.as_bytes()),
        };
        // Every finding points inside the file.
        for f in &r.findings {
            assert!(
                f.span.start.line >= 1 && f.span.start.offset <= r.source.len(),
                "{name}: bad span {f:?}"
            );
        }
    }
}
