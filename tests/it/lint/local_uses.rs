//! The rules that read other files of the repository, through the binary run inside
//! `fixtures/project` (found as the repository root by its `.github/`): `workflow-call` for
//! local reusable workflows, `action` for local and popular actions, and the types they give
//! `needs.<job>.outputs` and `steps.<id>.outputs` in `expression`.

use crate::harness;

const PROJECT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures/project");

/// `file:line:col rule severity message` of every finding of the project, linted from inside,
/// but the security findings (those rated as zizmor rates them), which have tests of their own.
fn findings() -> Vec<String> {
    findings_from(PROJECT, ".github")
}

/// The same, linting `path` from the directory `cwd`.
fn findings_from(cwd: &str, path: &str) -> Vec<String> {
    harness::lint::findings(cwd, &[path])
        .iter()
        .filter(|f| f.get("zizmor_severity").is_none())
        .map(|f| {
            let path = f["path"].as_str().unwrap_or("");
            let name = path.rsplit('/').next().unwrap_or(path);
            format!(
                "{name}:{}:{} {} {} {}",
                f["line"],
                f["column"],
                f["rule"].as_str().unwrap_or(""),
                f["severity"].as_str().unwrap_or(""),
                f["message"].as_str().unwrap_or("")
            )
        })
        .collect()
}

fn assert_has(all: &[String], want: &[&str]) {
    for w in want {
        assert!(
            all.iter().any(|f| f.starts_with(w)),
            "missing {w:?} in {all:#?}"
        );
    }
}

#[test]
fn reusable_workflow_calls_are_checked_against_the_callee() {
    let f = findings();
    assert_has(
        &f,
        &[
            "caller.yml:4:11 workflow-call error input \"name\" is required by",
            "caller.yml:4:11 workflow-call error secret \"token\" is required by",
            "caller.yml:6:16 expression error input \"retries\" is typed as number by reusable \
             workflow \"./.github/workflows/reusable.yml\". string value cannot be assigned",
            "caller.yml:7:7 workflow-call error input \"colour\" is not defined",
            "caller.yml:9:7 workflow-call error secret \"tokn\" is not defined in \
             \"./.github/workflows/reusable.yml\" reusable workflow. did you mean \"token\"?",
            "caller.yml:16:11 workflow-call error could not read reusable workflow file for \
             \"./.github/workflows/nope.yml\"",
            // The callee's outputs type `needs.call.outputs`.
            "caller.yml:21:53 expression warning property \"link\" is not defined in object type \
             {url: string}",
        ],
    );
    // `secrets: inherit` passes every secret.
    assert!(!f.iter().any(|l| l.starts_with("caller.yml:10:")), "{f:#?}");
}

#[test]
fn local_and_popular_actions_are_checked_against_their_inputs() {
    let f = findings();
    assert_has(
        &f,
        &[
            "caller.yml:23:15 action warning missing input \"greeting\" which is required by \
             action \"Hello\" defined at \"./.github/actions/hello\"",
            "caller.yml:25:11 action warning input \"greting\" is not defined in action \"Hello\"",
            "caller.yml:26:11 action warning avoid using deprecated input \"shout\" in action \
             \"Hello\" defined at \"./.github/actions/hello\": Use `volume` instead",
            // The local action's outputs type `steps.hello.outputs`.
            "caller.yml:27:59 expression warning property \"other\" is not defined in object type \
             {greeting: string}",
            "caller.yml:30:11 action warning input \"fetch_depth\" is not defined in action \
             \"actions/checkout@v4\"",
            "caller.yml:31:15 action warning missing input \"key\" which is required by action \
             \"actions/cache@v4\"",
        ],
    );
}

#[test]
fn composite_action_metadata_is_checked_too() {
    let f = findings();
    assert_has(
        &f,
        &[
            "action.yml:21:21 expression warning property \"volume\" is not defined in object \
           type {greeting: string; shout: string}",
        ],
    );
    // The reusable workflow itself is clean.
    assert!(!f.iter().any(|l| l.starts_with("reusable.yml")), "{f:#?}");
}

/// From the folder above the repository (a monorepo tool, an editor), and from an unrelated
/// directory with an absolute path, `./...` still resolves in the file's own repository.
#[test]
fn linted_from_outside_the_repository_resolves_in_it() {
    let inside = findings();
    let fixtures = concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures");
    let from_parent = findings_from(fixtures, "project/.github");
    assert_eq!(from_parent, inside);
    let workflow = format!("{PROJECT}/.github/workflows/caller.yml");
    let from_tmp = findings_from("/", &workflow);
    let inside_caller: Vec<&String> = inside
        .iter()
        .filter(|l| l.starts_with("caller.yml"))
        .collect();
    assert_eq!(from_tmp.iter().collect::<Vec<_>>(), inside_caller);
    assert!(
        !from_tmp.iter().any(|l| l.contains(
            "could not read reusable workflow file for \
         \"./.github/workflows/reusable.yml"
        )),
        "{from_tmp:#?}"
    );
}

#[test]
fn without_a_repository_local_uses_are_not_resolved() {
    let text = std::fs::read_to_string(format!("{PROJECT}/.github/workflows/caller.yml"))
        .expect("fixture");
    let r = deploy_action_lint::lint::lint_source(
        "caller.yml",
        &text,
        deploy_action_lint::lint::FileKind::Workflow,
        &deploy_action_lint::lint::Config::default(),
    );
    assert!(
        !r.findings.iter().any(|f| f.rule == "workflow-call"),
        "{:#?}",
        r.findings
    );
}
