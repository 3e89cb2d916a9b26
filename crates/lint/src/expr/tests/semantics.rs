//! The language as GitHub documents it: precedence, case-insensitivity, literals.

use crate::expr::{CompareOp, Expr, ExprKind, LogicalOp, Span, Type, TypeEnv, check, parse};

fn p(src: &str) -> Expr {
    parse(src).unwrap_or_else(|e| panic!("{src}: {e}"))
}

fn shape(src: &str) -> String {
    p(src).to_string()
}

fn ty(src: &str) -> Type {
    let (t, diags) = check(&p(src), &TypeEnv::new());
    assert!(diags.is_empty(), "{src}: {diags:?}");
    t
}

#[test]
fn precedence_follows_github() {
    // `!` binds tighter than comparisons, which bind tighter than `&&`, then `||`.
    let e = p("!a == b && c || d");
    let ExprKind::Logical {
        op: LogicalOp::Or,
        left,
        ..
    } = &e.kind
    else {
        panic!("{e:?}")
    };
    let ExprKind::Logical {
        op: LogicalOp::And,
        left,
        ..
    } = &left.kind
    else {
        panic!("{left:?}")
    };
    let ExprKind::Compare {
        op: CompareOp::Eq,
        left,
        ..
    } = &left.kind
    else {
        panic!("{left:?}")
    };
    assert!(matches!(left.kind, ExprKind::Not(_)));
    // Relational operators bind tighter than equality.
    assert_eq!(shape("a == b < c"), "a == b < c");
    assert!(matches!(
        p("a == b < c").kind,
        ExprKind::Compare {
            op: CompareOp::Eq,
            ..
        }
    ));
    assert!(matches!(
        p("a < b == c").kind,
        ExprKind::Compare {
            op: CompareOp::Eq,
            ..
        }
    ));
    // Grouping overrides precedence.
    assert_eq!(shape("(a || b) && c"), "(a || b) && c");
    assert_eq!(shape("a || (b && c)"), "a || b && c");
    // Binary operators group to the left.
    assert_eq!(shape("a == b == c"), "a == b == c");
    assert_eq!(shape("a == (b == c)"), "a == (b == c)");
}

#[test]
fn postfix_chains() {
    assert_eq!(
        shape("github.event.commits[0].author['name']"),
        "github.event.commits[0].author['name']"
    );
    assert_eq!(shape("a.*.b"), "a.*.b");
    assert_eq!(shape("fromJSON(x)[0]"), "fromJSON(x)[0]");
    assert_eq!(shape("(a).b"), "a.b");
}

#[test]
fn names_are_case_insensitive_but_keywords_are_not() {
    let e = p("GitHub.Event_Name");
    let ExprKind::Property { receiver, name, .. } = &e.kind else {
        panic!()
    };
    assert_eq!(name, "event_name");
    assert!(
        matches!(&receiver.kind, ExprKind::Variable { name, raw } if name == "github" && raw == "GitHub")
    );
    assert_eq!(ty("GITHUB.SHA"), Type::String);
    assert_eq!(ty("github.repositoryUrl"), Type::String);
    assert_eq!(ty("toJson(github)"), Type::String);
    assert_eq!(ty("STARTSWITH('a', 'b')"), Type::Bool);
    // `TRUE` is not the keyword: it is an (undefined) context.
    assert!(matches!(p("TRUE").kind, ExprKind::Variable { .. }));
    assert_eq!(p("true").kind, ExprKind::Bool(true));
    assert_eq!(p("null").kind, ExprKind::Null);
}

#[test]
fn string_literals() {
    assert_eq!(p("'it''s'").kind, ExprKind::String("it's".into()));
    assert_eq!(p("''").kind, ExprKind::String(String::new()));
    assert_eq!(p("'}}'").kind, ExprKind::String("}}".into()));
    assert_eq!(p("'a\\nb'").kind, ExprKind::String("a\\nb".into()));
    assert_eq!(shape("'it''s'"), "'it''s'");
}

#[test]
fn number_formats() {
    assert_eq!(p("42").kind, ExprKind::Int(42));
    assert_eq!(p("-7").kind, ExprKind::Int(-7));
    assert_eq!(p("0x1F").kind, ExprKind::Int(31));
    assert_eq!(p("0xff").kind, ExprKind::Int(255));
    assert_eq!(p("-0x10").kind, ExprKind::Int(-16));
    assert_eq!(p("1.5").kind, ExprKind::Float(1.5));
    assert_eq!(p("-2.5e3").kind, ExprKind::Float(-2500.0));
    assert_eq!(p("1E-2").kind, ExprKind::Float(0.01));
    assert_eq!(p("2147483647").kind, ExprKind::Int(2_147_483_647));
    assert_eq!(ty("0x10 < 1e3"), Type::Bool);
}

#[test]
fn integer_literals_are_32_bit_like_actionlint() {
    let e = parse("3000000000").expect_err("out of range");
    assert_eq!(
        e.message,
        "parsing invalid integer literal \"3000000000\": strconv.ParseInt: parsing \
         \"3000000000\": value out of range"
    );
    assert!(parse("1e400").is_err());
}

#[test]
fn spans_start_where_actionlint_reports() {
    let e = p(" a.b['c'] == x ");
    assert_eq!(e.span, Span::new(1, 14));
    let ExprKind::Compare { left, right, .. } = &e.kind else {
        panic!()
    };
    assert_eq!(left.span, Span::new(1, 9));
    assert_eq!(right.span, Span::new(13, 14));
    let call = p("f( 1 , 'x' )");
    assert_eq!(call.span, Span::new(0, 12));
    let ExprKind::Call { args, .. } = &call.kind else {
        panic!()
    };
    assert_eq!(args[1].span, Span::new(7, 10));
    assert_eq!(p("!x").span, Span::new(0, 2));
}

#[test]
fn types_of_operators() {
    assert_eq!(ty("1 == 2"), Type::Bool);
    assert_eq!(ty("!'x'"), Type::Bool);
    // `&&` and `||` yield one of their operands.
    assert_eq!(ty("'a' || 'b'"), Type::String);
    assert_eq!(ty("github.ref_protected && 60 || 20"), Type::Number);
    assert_eq!(ty("null || 1"), Type::Any);
    assert_eq!(ty("format('{0}', 1)"), Type::String);
    assert_eq!(ty("fromJSON('[1, 2]')"), Type::array(Type::Number));
    assert_eq!(ty("fromJSON('{\"a\": true}').a"), Type::Bool);
    assert_eq!(ty("fromJSON(github.event_name)"), Type::Any);
    assert_eq!(ty("case(true, 'a', 'b')"), Type::Any);
    assert_eq!(ty("runner.os"), Type::String);
    assert_eq!(ty("job.services.db.ports['5432']"), Type::String);
    assert_eq!(ty("strategy.fail-fast"), Type::Bool);
    assert_eq!(ty("secrets.GITHUB_TOKEN"), Type::String);
    assert_eq!(ty("github.event.pull_request.head.sha"), Type::Any);
}

#[test]
fn object_filters() {
    let mut env = TypeEnv::new();
    env.set_context(
        "needs",
        Type::strict_object([(
            "build",
            Type::strict_object([("outputs", Type::strict_object([("version", Type::String)]))]),
        )]),
    );
    let (t, d) = check(&p("needs.*.outputs"), &env);
    assert!(d.is_empty(), "{d:?}");
    assert_eq!(t.to_string(), "array<any>");
    let (t, d) = check(&p("github.event.commits.*.author.name"), &env);
    assert!(d.is_empty(), "{d:?}");
    assert_eq!(t.to_string(), "array<any>");
    let (t, d) = check(&p("job.services.*.id"), &env);
    assert!(d.is_empty(), "{d:?}");
    assert_eq!(t.to_string(), "array<string>");
}

#[test]
fn constants() {
    assert!(p("true && 42 || !null").is_constant());
    assert!(p("contains(format('{0} {1}', 'a', 'b'), 'a b')").is_constant());
    assert!(!p("github.ref == 'x'").is_constant());
    assert!(!p("success()").is_constant());
    assert!(!p("fromJSON('1')").is_constant());
}

#[test]
fn property_paths() {
    assert_eq!(
        p("GitHub.Event.Issue.Title").property_path().as_deref(),
        Some("github.event.issue.title")
    );
    assert_eq!(p("a.*.b").property_path().as_deref(), Some("a.*.b"));
    assert_eq!(p("a[0].b").property_path(), None);
}

#[test]
fn a_number_before_a_dot_prints_in_parentheses() {
    // Found by the robustness property test: `31.null` would lex as the float `31.`.
    for src in ["0x1f.null", "1.5.x", "(2).*"] {
        let printed = shape(src);
        assert_eq!(shape(&printed), printed, "{src} printed as {printed}");
    }
    assert_eq!(shape("0x1f.null"), "(31).null");
}
