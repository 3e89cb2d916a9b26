//! No input makes the module panic or overflow the stack.

use proptest::prelude::*;

use crate::expr::json::type_of_json;
use crate::expr::parser::GITHUB_MAX_DEPTH;
use crate::expr::{
    MAX_DEPTH, TypeEnv, check, check_condition, check_template, find_expressions, parse,
};

/// Strings made of the pieces expressions are made of, so the parser goes deep.
fn expression_like() -> impl Strategy<Value = String> {
    let pieces = prop::sample::select(vec![
        "a",
        "B",
        "github",
        "event",
        ".",
        "*",
        "[",
        "]",
        "(",
        ")",
        "!",
        "==",
        "!=",
        "<",
        "<=",
        ">",
        ">=",
        "&&",
        "||",
        ",",
        " ",
        "'",
        "''",
        "'x'",
        "0",
        "-1",
        "0x1f",
        "1.5e3",
        "1e",
        "null",
        "true",
        "format",
        "fromJSON",
        "contains",
        "case",
        "success",
        "hashFiles",
        "${{",
        "}}",
        "}",
        "{0}",
        "\"",
        "=",
        "&",
        "|",
        "+",
        "é",
        "\n",
    ]);
    prop::collection::vec(pieces, 0..40).prop_map(|v| v.concat())
}

fn env() -> TypeEnv {
    let mut env = TypeEnv::for_workflow_key("jobs.<job_id>.steps.run");
    env.set_check_untrusted(true);
    env.set_extra_checks(true);
    env
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn parse_and_check_never_panic(src in expression_like()) {
        if let Ok(ast) = parse(&src) {
            let _ = check(&ast, &env());
            // Printing gives text that parses to the same tree.
            let printed = ast.to_string();
            let again = parse(&printed);
            prop_assert!(again.is_ok(), "{src:?} printed as {printed:?}: {again:?}");
            if let Ok(again) = again {
                prop_assert_eq!(again.to_string(), printed);
            }
        } else if let Err(e) = parse(&src) {
            prop_assert!(e.offset <= src.len());
        }
    }

    #[test]
    fn arbitrary_text_never_panics(src in any::<String>()) {
        let _ = parse(&src);
        let _ = type_of_json(&src);
        let _ = check_condition(&src, &env());
        let out = check_template(&src, &env());
        for d in out.diags {
            prop_assert!(d.span.start <= src.len());
        }
    }

    #[test]
    fn templates_never_panic(src in expression_like()) {
        let out = check_template(&src, &env());
        for d in &out.diags {
            prop_assert!(d.span.start <= d.span.end && d.span.end <= src.len(), "{d:?}");
        }
        for e in find_expressions(&src) {
            prop_assert!(src.get(e.whole.start..e.whole.end).is_some());
            prop_assert!(src.get(e.inner.start..e.inner.end).is_some());
            if let Some(err) = e.error {
                prop_assert!(err.offset <= src.len());
            }
        }
    }

    #[test]
    fn json_never_panics(src in "[\\[\\]{}\":,0-9a-z \\\\.eE+-]{0,40}") {
        let _ = type_of_json(&src);
    }
}

/// Nesting forms, `n` deep.
fn deep_forms(n: usize) -> Vec<String> {
    vec![
        format!("{}a{}", "(".repeat(n), ")".repeat(n)),
        format!("{}a", "!".repeat(n)),
        format!("a{}", ".b".repeat(n)),
        format!("a{}", "[0]".repeat(n)),
        format!("{}1{}", "f(".repeat(n), ")".repeat(n)),
        format!("{}1{}", "a[".repeat(n), "]".repeat(n)),
        vec!["a"; n].join(" == "),
        format!("{}a", "!(".repeat(n)),
    ]
}

#[test]
fn deep_nesting_is_an_error_not_a_crash() {
    // Past GitHub's length limit: refused before parsing.
    for src in deep_forms(100_000) {
        let e = parse(&src).expect_err("too long");
        assert!(e.message.contains("characters long"), "{}", e.message);
        let out = check_template(&format!("${{{{ {src} }}}}"), &env());
        assert_eq!(out.diags.len(), 1);
    }
    // Within it: GitHub's depth limit, or the tree's (a comparison chain).
    for src in deep_forms(4_000) {
        let e = parse(&src).expect_err("too deep");
        assert!(e.message.contains("nested"), "{}", e.message);
        let out = check_template(&format!("${{{{ {src} }}}}"), &env());
        assert_eq!(out.diags.len(), 1);
    }
}

#[test]
fn nesting_up_to_the_limit_is_fine() {
    // GitHub counts the whole expression as one level.
    let depth = GITHUB_MAX_DEPTH - 1;
    let src = format!("{}a{}", "(".repeat(depth), ")".repeat(depth));
    assert!(parse(&src).is_ok());
    let src = format!("{}a{}", "(".repeat(depth + 1), ")".repeat(depth + 1));
    assert!(parse(&src).is_err());
    let src = format!("a{}", ".b".repeat(GITHUB_MAX_DEPTH - 1));
    assert!(parse(&src).is_ok());
    // A chain of conditions is not nesting, however long (GitHub takes it too).
    let src = vec!["a"; 4_000].join(" || ");
    assert!(parse(&src).is_ok());
    let src = vec!["a == b"; 1_000].join(" && ");
    assert!(parse(&src).is_ok());
    let src = vec!["a"; MAX_DEPTH - 2].join(" == ");
    assert!(parse(&src).is_ok());
}
