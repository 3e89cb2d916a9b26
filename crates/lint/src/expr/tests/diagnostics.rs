//! One test per kind of diagnostic, with actionlint's wording and position.

use crate::expr::{
    DiagKind, ExprDiag, ObjectType, Span, Type, TypeEnv, check, check_condition,
    check_condition_known, check_template, check_template_known, parse,
};

fn diags(src: &str, env: &TypeEnv) -> Vec<ExprDiag> {
    let ast = parse(src).unwrap_or_else(|e| panic!("{src}: {e}"));
    check(&ast, env).1
}

/// The single diagnostic for `src`: (start offset, message, kind).
fn one(src: &str, env: &TypeEnv) -> (usize, String, DiagKind) {
    let d = diags(src, env);
    assert_eq!(d.len(), 1, "{src}: {d:?}");
    (d[0].span.start, d[0].message.clone(), d[0].kind)
}

fn all() -> TypeEnv {
    TypeEnv::new()
}

const VARS: &str = "\"env\", \"github\", \"inputs\", \"job\", \"matrix\", \"needs\", \"runner\", \
                    \"secrets\", \"steps\", \"strategy\", \"vars\"";

#[test]
fn undefined_variable() {
    let (at, msg, kind) = one("1 == Foo.bar", &all());
    assert_eq!(at, 5);
    assert_eq!(kind, DiagKind::UndefinedVariable);
    assert_eq!(
        msg,
        format!("undefined variable \"Foo\". available variables are {VARS}")
    );
}

#[test]
fn context_not_available() {
    let env = TypeEnv::for_workflow_key("jobs.<job_id>.if");
    let (at, msg, kind) = one("env.FOO", &env);
    assert_eq!((at, kind), (0, DiagKind::ContextNotAllowed));
    assert_eq!(
        msg,
        "context \"env\" is not allowed here. available contexts are \"github\", \"inputs\", \
         \"needs\", \"vars\". see https://docs.github.com/en/actions/learn-github-actions/\
         contexts#context-availability for more details"
    );
    let (_, msg, _) = one("github.sha", &TypeEnv::for_workflow_key(""));
    assert!(
        msg.starts_with("context \"github\" is not allowed here. no context is available here.")
    );
    let mut env = TypeEnv::new();
    env.set_available_contexts(Some(vec!["github".into()]));
    let (_, msg, _) = one("runner.os", &env);
    assert!(msg.contains("available context is \"github\"."), "{msg}");
    assert!(diags("github.sha", &TypeEnv::for_workflow_key("run-name")).is_empty());
}

#[test]
fn undefined_property_on_strict_object() {
    let (at, msg, kind) = one("'x' == runner.foo", &all());
    assert_eq!((at, kind), (7, DiagKind::UndefinedProperty));
    assert_eq!(
        msg,
        "property \"foo\" is not defined in object type {arch: string; debug: string; \
         environment: string; name: string; os: string; temp: string; tool_cache: string}"
    );
    // Loose objects and maps accept anything.
    assert!(diags("github.event.anything.at.all", &all()).is_empty());
    assert!(diags("secrets.ANY_SECRET", &all()).is_empty());
    // Index access with a literal looks the property up as written.
    let mut env = all();
    env.set_context(
        "steps",
        Type::strict_object([(
            "build",
            Type::strict_object([("outputs", Type::strict_object([("tag", Type::String)]))]),
        )]),
    );
    assert!(diags("steps.BUILD.outputs.tag", &env).is_empty());
    let (at, msg, _) = one("steps['build'].outputs['nope']", &env);
    assert_eq!(at, 0);
    assert_eq!(
        msg,
        "property \"nope\" is not defined in object type {tag: string}"
    );
    let (_, msg, _) = one("steps.other", &env);
    assert!(msg.starts_with("property \"other\" is not defined in object type {build: {outputs:"));
}

#[test]
fn replaced_contexts() {
    let mut env = all();
    env.set_context("matrix", Type::strict_object([("os", Type::String)]));
    let (_, msg, _) = one("matrix.platform", &env);
    assert_eq!(
        msg,
        "property \"platform\" is not defined in object type {os: string}"
    );
    env.set_context(
        "jobs",
        Type::strict_object([("a", Type::empty_strict_object())]),
    );
    assert!(diags("jobs.a", &env).is_empty());
    env.remove_context("jobs");
    assert_eq!(one("jobs.a", &env).2, DiagKind::UndefinedVariable);
}

#[test]
fn invalid_access() {
    let (at, msg, _) = one("github.repository.owner", &all());
    assert_eq!(at, 0);
    assert_eq!(
        msg,
        "receiver of object dereference \"owner\" must be type of object but got \"string\""
    );
    let (at, msg, _) = one("runner[true]", &all());
    assert_eq!(at, 7);
    assert_eq!(
        msg,
        "property access of object must be type of string but got \"bool\""
    );
    let (at, msg, _) = one("fromJSON('[1]')['a']", &all());
    assert_eq!(at, 16);
    assert_eq!(
        msg,
        "index access of array must be type of number but got \"string\""
    );
    let (_, msg, _) = one("github.sha[0]", &all());
    assert_eq!(
        msg,
        "index access operand must be type of object or array but got \"string\""
    );
    let (_, msg, _) = one("github.sha.*", &all());
    assert_eq!(
        msg,
        "receiver of object filtering `.*` must be type of array or object but got \"string\""
    );
    let (_, msg, _) = one("runner.*", &all());
    assert!(
        msg.contains("cannot be filtered by object filtering `.*` since it has no object element")
    );
    let (_, msg, _) = one("env.*", &all());
    assert!(msg.starts_with("elements of object at receiver of object filtering `.*` must be type of object but got \"string\""));
    let (_, msg, _) = one("fromJSON('[1]').*.a", &all());
    assert_eq!(
        msg,
        "property filtered by \"a\" at object filtering must be type of object but got \"number\""
    );
    let (_, msg, _) = one("fromJSON('[{\"a\": 1}]').*.b", &all());
    assert_eq!(
        msg,
        "property \"b\" is not defined in object type {a: number} as element of filtered array"
    );
}

#[test]
fn functions() {
    let (at, msg, kind) = one("startWith('a', 'b')", &all());
    assert_eq!((at, kind), (0, DiagKind::UndefinedFunction));
    assert_eq!(
        msg,
        "undefined function \"startWith\". did you mean \"startsWith\"?"
    );
    let (_, msg, _) = one("nosuch('a')", &all());
    assert_eq!(
        msg,
        "undefined function \"nosuch\". available functions are \"always\", \"cancelled\", \
         \"case\", \"contains\", \"endswith\", \"failure\", \"format\", \"fromjson\", \
         \"hashfiles\", \"join\", \"startswith\", \"success\", \"tojson\""
    );
    let (_, msg, kind) = one("startsWith('a')", &all());
    assert_eq!(kind, DiagKind::WrongArity);
    assert_eq!(
        msg,
        "number of arguments is wrong. function \"startsWith(string, string) -> bool\" takes 2 \
         parameters but 1 arguments are given"
    );
    let (_, msg, _) = one("hashFiles()", &all());
    assert!(
        msg.contains("takes at least 1 parameters but 0 arguments"),
        "{msg}"
    );
    let (at, msg, kind) = one("startsWith('a', github.event)", &all());
    assert_eq!((at, kind), (16, DiagKind::ArgumentType));
    assert_eq!(
        msg,
        "2nd argument of function call is not assignable. \"object\" cannot be assigned to \
         \"string\". called function type is \"startsWith(string, string) -> bool\""
    );
    let (at, msg, _) = one("hashFiles('a', 1, null)", &all());
    assert_eq!(at, 18);
    assert!(msg.starts_with("3rd argument"), "{msg}");
    // Overloads: every failing candidate is reported.
    let d = diags("contains(github, 'x')", &all());
    assert_eq!(d.len(), 2, "{d:?}");
    assert!(diags("contains(fromJSON('[1]'), 1)", &all()).is_empty());
    assert!(diags("join(github.event.labels.*.name)", &all()).is_empty());
    assert!(diags("join(fromJSON('[\"a\"]'), ', ')", &all()).is_empty());
    assert!(diags("toJSON(null)", &all()).is_empty());
}

#[test]
fn special_functions() {
    let env = TypeEnv::for_workflow_key("jobs.<job_id>.steps.run");
    let (at, msg, kind) = one("'x' && Success()", &env);
    assert_eq!((at, kind), (7, DiagKind::FunctionNotAllowed));
    assert_eq!(
        msg,
        "calling function \"Success\" is not allowed here. \"Success\" is only available in \
         \"jobs.<job_id>.if\", \"jobs.<job_id>.steps.if\". see https://docs.github.com/en/\
         actions/learn-github-actions/contexts#context-availability for more details"
    );
    assert!(diags("hashFiles('a')", &env).is_empty());
    let job_if = TypeEnv::for_workflow_key("jobs.<job_id>.if");
    assert!(
        diags(
            "always() && !cancelled() || failure() || success()",
            &job_if
        )
        .is_empty()
    );
    let (_, msg, _) = one("hashFiles('a')", &job_if);
    assert!(msg.starts_with("calling function \"hashFiles\" is not allowed here."));
}

#[test]
fn format_placeholders() {
    let (at, msg, kind) = one("format('{0}{1}', 1, 2, 3)", &all());
    assert_eq!((at, kind), (0, DiagKind::FormatPlaceholder));
    assert_eq!(
        msg,
        "format string \"{0}{1}\" does not contain placeholder {2}. remove argument which is \
         unused in the format string"
    );
    let (_, msg, _) = one("format('{0}{1}{2}', 1, 2)", &all());
    assert_eq!(
        msg,
        "format string \"{0}{1}{2}\" contains placeholder {2} but only 2 arguments are given to \
         format"
    );
    assert!(diags("format('{{0}} {0}', 1)", &all()).is_empty());
    assert!(diags("format(github.sha, 1, 2)", &all()).is_empty());
}

#[test]
fn format_syntax_only_with_extra_checks() {
    assert!(diags("format('{0', 1)", &all()).len() == 1); // unused argument only
    let mut env = all();
    env.set_extra_checks(true);
    let d = diags("format('a } {0}', 1)", &env);
    assert_eq!(d.len(), 1, "{d:?}");
    assert_eq!(d[0].kind, DiagKind::FormatSyntax);
    assert_eq!(
        d[0].message,
        "format string \"a } {0}\" is invalid: '}' at byte 2 is neither part of a placeholder \
         like {0} nor escaped as '}}'"
    );
}

#[test]
fn invalid_json() {
    let (at, msg, kind) = one("fromJSON('{\"a\": ')", &all());
    assert_eq!((at, kind), (9, DiagKind::InvalidJson));
    assert_eq!(
        msg,
        "broken JSON string is passed to fromJSON() at offset 6: unexpected end of JSON input"
    );
    let (_, msg, _) = one("fromJson('[1,]')", &all());
    assert_eq!(
        msg,
        "broken JSON string is passed to fromJSON() at offset 4: invalid character ']' looking \
         for beginning of value"
    );
}

#[test]
fn case_arguments() {
    assert!(diags("case(github.ref == 'x', 1, 2)", &all()).is_empty());
    assert!(diags("case(true, 1, false, 2, 3)", &all()).is_empty());
    let (_, msg, kind) = one("case(true, 1, false, 2)", &all());
    assert_eq!(kind, DiagKind::CaseArguments);
    assert_eq!(
        msg,
        "case() requires an odd number of arguments (pred/value pairs + default) but got 4"
    );
    assert_eq!(one("case(true, 1)", &all()).2, DiagKind::WrongArity);
}

#[test]
fn comparisons() {
    let cases = [
        (
            "1 > null",
            "\"number\" value cannot be compared to \"null\" value with \">\" operator",
        ),
        (
            "false < true",
            "\"bool\" value cannot be compared to \"bool\" value with \"<\" operator",
        ),
        (
            "github.event == 'push'",
            "\"object\" value cannot be compared to \"string\" value with \"==\" operator",
        ),
        (
            "42 != fromJSON('[true]')",
            "\"number\" value cannot be compared to \"array<bool>\" value with \"!=\" operator",
        ),
        (
            "fromJSON('[true]') == fromJSON('[{}]')",
            "\"array<bool>\" value cannot be compared to \"array<{}>\" value with \"==\" operator",
        ),
    ];
    for (src, want) in cases {
        let (at, msg, kind) = one(src, &all());
        assert_eq!((at, kind), (0, DiagKind::Comparison), "{src}");
        assert_eq!(msg, want, "{src}");
    }
    // GitHub coerces in equality, so these are fine.
    for ok in [
        "1 == '1'",
        "null == github.sha",
        "true == 1",
        "github.event == null",
        "'a' < 'b'",
        "1 <= 2",
        "github.event.number > 3",
    ] {
        assert!(diags(ok, &all()).is_empty(), "{ok}");
    }
}

#[test]
fn config_variables() {
    let mut env = all();
    let (_, msg, kind) = one("vars.GITHUB_X", &env);
    assert_eq!(kind, DiagKind::ConfigVariable);
    assert!(msg.starts_with(
        "configuration variable name \"github_x\" must not start with the GITHUB_ prefix"
    ));
    let (_, msg, _) = one("vars.a-b", &env);
    assert!(
        msg.contains("can only contain alphabets, decimal numbers, and '_'"),
        "{msg}"
    );
    assert!(diags("vars.anything", &env).is_empty());
    env.set_config_vars(Some(vec!["FOO".into(), "WOO".into()]));
    assert!(diags("vars.foo", &env).is_empty());
    let (_, msg, _) = one("vars.piyo", &env);
    assert_eq!(
        msg,
        "undefined configuration variable \"piyo\". defined configuration variables in \
         actionlint.yaml are \"FOO\", \"WOO\""
    );
    env.set_config_vars(Some(vec![]));
    assert!(
        one("vars.x", &env)
            .1
            .starts_with("no configuration variable is allowed")
    );
}

#[test]
fn untrusted_inputs() {
    let mut env = TypeEnv::for_workflow_key("jobs.<job_id>.steps.run");
    assert!(diags("github.event.issue.title", &env).is_empty());
    env.set_check_untrusted(true);
    let (at, msg, kind) = one("format('{0}', github.event.issue.title)", &env);
    assert_eq!((at, kind), (14, DiagKind::UntrustedInput));
    assert!(msg.starts_with("\"github.event.issue.title\" is potentially untrusted."));
    assert_eq!(one("github.head_ref", &env).2, DiagKind::UntrustedInput);
    assert_eq!(
        one("github.event.commits[0].author.name", &env)
            .1
            .split(' ')
            .next(),
        Some("\"github.event.commits.*.author.name\"")
    );
    assert_eq!(
        one("github.event['pull_request']['title']", &env).2,
        DiagKind::UntrustedInput
    );
    let (_, msg, _) = one("toJSON(github.event.*.body)", &env);
    assert!(
        msg.starts_with(
            "object filter extracts potentially untrusted properties \
             \"github.event.comment.body\", \"github.event.discussion.body\", \
             \"github.event.issue.body\", \"github.event.pull_request.body\", \
             \"github.event.review.body\", \"github.event.review_comment.body\""
        ),
        "{msg}"
    );
    // Safe: only a bool comes out.
    assert!(diags("contains(github.event.issue.title, 'x')", &env).is_empty());
    assert!(diags("github.event.issue.number", &env).is_empty());
    assert!(diags("github.event.issue", &env).is_empty());
}

#[test]
fn template_evaluation_and_positions() {
    let env = TypeEnv::for_workflow_key("jobs.<job_id>.steps.run");
    let out = check_template("echo ${{ github.event }} ${{ null }} ${{ 'ok' }}", &env);
    let got: Vec<(usize, DiagKind)> = out.diags.iter().map(|d| (d.span.start, d.kind)).collect();
    assert_eq!(
        got,
        [
            (5, DiagKind::TemplateEvaluation),
            (25, DiagKind::TemplateEvaluation)
        ]
    );
    assert_eq!(
        out.diags[0].message,
        "object, array, and null values should not be evaluated in template with ${{ }} but \
         evaluating the value of type object"
    );
    assert_eq!(out.exprs.len(), 3);

    // A tree parsed before is checked instead of parsing the text again.
    let s = "echo ${{ github.event }}";
    let one = parse("1").expect("parses");
    let known = |at: Span| (at == Span::new(8, 22)).then_some(&one);
    let out = check_template_known(s, &env, &known);
    assert!(out.ok(), "{:?}", out.diags);
    assert_eq!(out.exprs[0].ty, Type::Number);
    let tree = parse("github.event").expect("parses");
    let same = |at: Span| (at == Span::new(8, 22)).then_some(&tree);
    assert_eq!(
        check_template_known(s, &env, &same),
        check_template(s, &env)
    );
    let cond = parse("true").expect("parses");
    let bare = |at: Span| (at == Span::new(0, 12)).then_some(&cond);
    let out = check_condition_known("github.event", &env, &bare);
    assert_eq!(out.exprs[0].ty, Type::Bool);

    // The first failing expression stops the string's check.
    let out = check_template("${{ runner.nope }} ${{ github.nope }}", &env);
    assert_eq!(out.diags.len(), 1);
    assert_eq!(out.diags[0].span.start, 4);
    assert!(out.exprs.is_empty());

    // Syntax errors map into the string.
    let out = check_template("echo ${{ 1 + 1 }}", &env);
    assert_eq!(out.diags[0].kind, DiagKind::Syntax);
    assert_eq!(out.diags[0].span.start, 11);
    let out = check_template("echo ${{ github.event. }}", &env);
    assert_eq!(
        out.diags[0].message,
        "unexpected end of input while parsing object property dereference like 'a.b' or array \
         element dereference like 'a.*'. expecting \"IDENT\", \"*\""
    );
    assert_eq!(out.diags[0].span.start, 23);
    let out = check_template("a ${{ github.sha", &env);
    assert_eq!(
        out.diags[0].message,
        "unexpected EOF while lexing expression"
    );
    assert_eq!(out.diags[0].span.start, 16);
}

#[test]
fn conditions() {
    let env = TypeEnv::for_workflow_key("jobs.<job_id>.steps.if");
    assert!(check_condition("success() && github.ref == 'refs/heads/main'", &env).ok());
    let out = check_condition("${{ always() }}", &env);
    assert!(out.ok());
    assert_eq!(out.single_type("${{ always() }}"), Some(&Type::Bool));
    let out = check_condition("contains(fromJson('[\"a\"'), github.ref_name)", &env);
    assert_eq!(out.diags.len(), 1);
    assert_eq!(out.diags[0].span.start, 18);
    let out = check_condition("secrets.X == 'y'", &env);
    assert_eq!(out.diags[0].kind, DiagKind::ContextNotAllowed);
}

#[test]
fn inputs_from_triggers() {
    let mut env = all();
    env.add_inputs(ObjectType::strict([("a", Type::String)]));
    env.add_dispatch_inputs(ObjectType::strict([("b", Type::Bool)]));
    assert!(diags("inputs.a || inputs.b", &env).is_empty());
    let (_, msg, _) = one("inputs.c", &env);
    assert_eq!(
        msg,
        "property \"c\" is not defined in object type {a: string; b: bool}"
    );
    let (_, msg, _) = one("github.event.inputs.a", &env);
    assert_eq!(
        msg,
        "property \"a\" is not defined in object type {b: string}"
    );
}
