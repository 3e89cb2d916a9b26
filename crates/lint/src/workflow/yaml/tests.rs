//! Unit tests of the YAML tree: spans, scalar resolution, recovery.

use super::*;

#[test]
fn spans_point_at_keys_and_values() {
    let src = "on: push\njobs:\n  build:\n    runs-on: 'ubuntu-latest'\n";
    let doc = parse(src);
    assert!(doc.error.is_none());
    let root = doc.root.expect("root");
    let (k, v) = root.entry("on").expect("on");
    assert_eq!((k.span.start.line, k.span.start.col), (1, 1));
    assert_eq!((v.span.start.line, v.span.start.col), (1, 5));
    let build = root
        .get("jobs")
        .and_then(|j| j.get("build"))
        .expect("build");
    let (k, v) = build.entry("runs-on").expect("runs-on");
    assert_eq!((k.span.start.line, k.span.start.col), (4, 5));
    assert_eq!((v.span.start.line, v.span.start.col), (4, 14));
    assert_eq!(v.as_str(), Some("ubuntu-latest"));
    assert_eq!(
        &src[v.span.start.offset..v.span.end.offset],
        "'ubuntu-latest'"
    );
}

#[test]
fn non_ascii_offsets_are_bytes() {
    let src = "name: ünïcode\non: push\n";
    let root = parse(src).root.expect("root");
    let (k, _) = root.entry("on").expect("on");
    assert_eq!(k.span.start.offset, src.find("on:").expect("on"));
    assert_eq!(k.span.start.line, 2);
}

#[test]
fn duplicate_keys_are_reported() {
    let doc = parse("a: 1\nb: 2\na: 3\n");
    assert_eq!(doc.issues.len(), 1);
    assert_eq!(doc.issues[0].span.start.line, 3);
    assert_eq!(
        doc.root.expect("root").get("a").and_then(Node::as_str),
        Some("1")
    );
}

#[test]
fn alias_bomb_is_refused() {
    let mut src = String::from("a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
    for i in 1..10 {
        let p = i - 1;
        src.push_str(&format!(
            "a{i}: &a{i} [*a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}]\n"
        ));
    }
    let doc = parse(&src);
    assert!(doc.error.expect("error").message.contains("alias"));
}

#[test]
fn syntax_error_has_position() {
    let doc = parse("a: b: c\n");
    let e = doc.error.expect("error");
    assert_eq!(e.pos.line, 1);
}

#[test]
fn deep_nesting_is_refused() {
    let src = "[".repeat(10_000);
    let doc = parse(&src);
    assert!(doc.error.is_some());
}

#[test]
fn lone_closing_bracket_less_indented_is_accepted() {
    let src = "m:\n  rows:\n    - [\n      \"a\",\n      \"b\"\n    ]\n  k: v\n";
    let doc = parse(src);
    assert!(doc.error.is_none(), "{:?}", doc.error);
    let root = doc.root.expect("root");
    let rows = root
        .get("m")
        .and_then(|m| m.get("rows"))
        .and_then(Node::as_seq)
        .expect("rows");
    assert_eq!(rows[0].as_seq().map(<[Node]>::len), Some(2));
    let (k, _) = root.get("m").and_then(|m| m.entry("k")).expect("k");
    assert_eq!(k.span.start.line, 7);
}

#[test]
fn core_schema_types() {
    assert_eq!(resolve("on", Style::Plain, None), ScalarType::Str);
    assert_eq!(resolve("yes", Style::Plain, None), ScalarType::Str);
    assert_eq!(resolve("true", Style::Plain, None), ScalarType::Bool);
    assert_eq!(resolve("true", Style::Quoted, None), ScalarType::Str);
    assert_eq!(resolve("10", Style::Plain, None), ScalarType::Int);
    assert_eq!(resolve("1.5", Style::Plain, None), ScalarType::Float);
    assert_eq!(resolve("3.10", Style::Plain, None), ScalarType::Float);
    assert_eq!(resolve("", Style::Plain, None), ScalarType::Null);
    assert_eq!(resolve("1.2.3", Style::Plain, None), ScalarType::Str);
}
