//! The `${{ }}` rules through the binary: `expression` (syntax, types, contexts, typed keys,
//! exact positions inside quoted and block scalars), `if-cond` and `deprecated-commands`.

use crate::harness;

const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures/expr");

/// The rules this file covers; the security rules have tests of their own.
const RULES: &[&str] = &["expression", "if-cond", "deprecated-commands"];

/// `line:col rule severity message` of every finding of `file` by [`RULES`], in order.
fn findings(file: &str) -> Vec<String> {
    harness::lint::findings(FIXTURES, &[file])
        .iter()
        .filter(|f| RULES.contains(&f["rule"].as_str().unwrap_or("")))
        .map(|f| {
            format!(
                "{}:{} {} {} {}",
                f["line"],
                f["column"],
                f["rule"].as_str().unwrap_or(""),
                f["severity"].as_str().unwrap_or(""),
                f["message"].as_str().unwrap_or("")
            )
        })
        .collect()
}

fn has(all: &[String], prefix: &str) -> bool {
    all.iter().any(|f| f.starts_with(prefix))
}

#[test]
fn positions_point_into_quoted_and_block_scalars() {
    let f = findings("positions.yml");
    let at: Vec<&str> = f
        .iter()
        .map(|l| l.split(' ').next().unwrap_or(""))
        .collect();
    assert_eq!(
        at,
        ["6:23", "7:35", "8:36", "11:22", "14:20", "15:33"],
        "{f:#?}"
    );
    assert!(
        f[5].ends_with("unexpected EOF while lexing expression"),
        "{f:#?}"
    );
}

#[test]
fn contexts_and_types_follow_the_workflow() {
    let f = findings("contexts.yml");
    for want in [
        "7:15 expression error context \"runner\" is not allowed here",
        "10:13 expression error context \"secrets\" is not allowed here",
        "13:24 expression error type of expression must be bool but found type string",
        "23:19 expression error calling function \"success\" is not allowed here",
        // A step sees only the steps before it. GitHub runs it (null): a warning.
        "24:23 expression warning property \"ver\" is not defined in object type {}",
        // An optional matrix key, too.
        "27:93 expression warning property \"arch\" is not defined in object type {extra: bool; os: string}",
        "28:43 expression warning property \"missing\" is not defined in object type {count: number}",
        "32:10 expression error type of expression at \"env\" must be object but found type string",
        "34:58 expression warning property \"other\" is not defined in object type {version: string}",
        "35:23 expression warning property \"test\" is not defined",
    ] {
        assert!(has(&f, want), "missing {want:?} in {f:#?}");
    }
    assert_eq!(f.len(), 10, "{f:#?}");
}

#[test]
fn conditions_and_workflow_commands() {
    let f = findings("conditions.yml");
    for want in [
        "5:9 if-cond warning if: condition",
        "8:13 if-cond warning constant expression \"false\" in condition",
        "12:17 deprecated-commands warning workflow command \"set-output\" was deprecated",
        "13:17 deprecated-commands error workflow command \"set-env\" is disabled",
        "14:20 deprecated-commands error workflow command \"add-path\" is disabled",
    ] {
        assert!(has(&f, want), "missing {want:?} in {f:#?}");
    }
    assert_eq!(f.len(), 5, "{f:#?}");
}

#[test]
fn expression_rule_can_be_suppressed_per_line() {
    let out = harness::bin()
        .args(["lint", "--stdin-filename", "w.yml", "-"])
        .write_stdin(
            "on: push\njobs:\n  a:\n    runs-on: ubuntu-latest\n    steps:\n      \
             - run: echo ${{ github.shaa }} # deploy-action: ignore[expression]\n",
        )
        .output()
        .expect("run");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
}
