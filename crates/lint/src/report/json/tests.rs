use proptest::prelude::*;
use serde::Serialize;

use super::*;
use crate::lint::{Audit, AuditSeverity, Confidence, Severity};
use crate::workflow::position::LineIndex;
use crate::workflow::yaml::Span;

fn span(source: &str, start: usize, end: usize) -> Span {
    let lines = LineIndex::new(source);
    Span {
        start: lines.pos(source, start),
        end: lines.pos(source, end),
    }
}

// The contract's shapes, in its order of members, for `serde_json` to print.
#[derive(Serialize)]
struct Document {
    version: u32,
    files_checked: usize,
    findings: Vec<Item>,
}

#[derive(Serialize)]
struct Item {
    path: String,
    line: u32,
    column: u32,
    end_line: u32,
    end_column: u32,
    rule: &'static str,
    severity: &'static str,
    message: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    help: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    zizmor: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    zizmor_severity: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    confidence: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    fix: Option<FixItem>,
}

#[derive(Serialize)]
struct FixItem {
    title: String,
    edits: Vec<EditItem>,
}

#[derive(Serialize)]
struct EditItem {
    start_offset: usize,
    end_offset: usize,
    line: u32,
    column: u32,
    end_line: u32,
    end_column: u32,
    text: String,
}

/// The finding as the contract describes it.
fn expected(r: &FileResult, f: &Finding) -> Item {
    let lines = LineIndex::new(&r.source);
    let (s, e) = (f.span.start, f.span.end);
    let fix = f.fix.as_ref().map(|fix| {
        let mut edits: Vec<_> = fix.edits.iter().collect();
        edits.sort_by_key(|e| (e.start, e.end));
        let edits = edits
            .iter()
            .map(|e| {
                let (a, b) = (lines.pos(&r.source, e.start), lines.pos(&r.source, e.end));
                EditItem {
                    start_offset: e.start,
                    end_offset: e.end,
                    line: a.line,
                    column: a.col,
                    end_line: b.line,
                    end_column: b.col,
                    text: e.text.clone(),
                }
            })
            .collect();
        FixItem {
            title: fix.title.clone(),
            edits,
        }
    });
    Item {
        path: r.path.clone(),
        line: s.line,
        column: s.col,
        end_line: e.line.max(s.line),
        end_column: if e.line > s.line {
            e.col
        } else {
            e.col.max(s.col)
        },
        rule: f.rule,
        severity: f.severity.as_str(),
        message: f.message.clone(),
        help: f.help.clone(),
        zizmor: registry::zizmor_audit(f.rule),
        zizmor_severity: f.audit.map(|a| a.severity.as_str()),
        confidence: f.audit.map(|a| a.confidence.as_str()),
        fix,
    }
}

/// The JSON report of `results` as the lint command writes it: the files' parts through the
/// report's writer.
fn render_json(results: &[FileResult], files_checked: usize) -> String {
    crate::report::render(crate::report::Format::Json, results, files_checked, false)
}

#[test]
fn a_report_is_what_serde_json_pretty_prints() {
    let source = "on: push\njobs:\n  é:\n    runs-on: \"日本\"\n    steps:\n      - uses: a/b@v1\n";
    let at = |needle: &str| source.find(needle).expect("in the source");
    let mut fixed = Finding::new(
        "unpinned-uses",
        Severity::Warning,
        span(source, at("a/b"), at("@v1") + 3),
        "quote \" backslash \\ tab \t bell \u{7} U+2028 \u{2028} end".into(),
    );
    fixed.help = Some("pin it\nto a SHA".into());
    fixed.audit = Some(Audit {
        severity: AuditSeverity::High,
        confidence: Confidence::Medium,
    });
    // Edits out of order, one past the end of the text and one inside a character.
    fixed.fix = Some(Fix {
        title: "pin \"a/b\"".into(),
        edits: vec![
            Edit::replace(at("@v1") + 1, at("@v1") + 3, "0123"),
            Edit::replace(at("日") + 1, source.len() + 5, ""),
            Edit::replace(at("a/b"), at("a/b"), "x"),
        ],
    });
    let mut unfixable = fixed.clone();
    unfixable.rule = "job-needs";
    unfixable.audit = None;
    unfixable.help = None;
    unfixable.fix = Some(Fix {
        title: String::new(),
        edits: Vec::new(),
    });
    let plain = Finding::new(
        "yaml-syntax",
        Severity::Error,
        span(source, at("jobs"), at("é")),
        "two lines".into(),
    );
    let with = |path: &str, findings: Vec<Finding>| FileResult {
        path: path.into(),
        source: source.into(),
        findings,
        scripts: Vec::new(),
    };
    let results = [
        with("none.yml", Vec::new()),
        with("dir/\"odd\"\\name\u{1}.yml", vec![fixed, unfixable, plain]),
        with("none-either.yml", Vec::new()),
    ];
    let document = Document {
        version: VERSION,
        files_checked: 4,
        findings: results
            .iter()
            .flat_map(|r| r.findings.iter().map(move |f| expected(r, f)))
            .collect(),
    };
    let want = serde_json::to_string_pretty(&document).expect("serializes") + "\n";
    assert_eq!(render_json(&results, 4), want);
    let empty = Document {
        version: VERSION,
        files_checked: 0,
        findings: Vec::new(),
    };
    let want = serde_json::to_string_pretty(&empty).expect("serializes") + "\n";
    assert_eq!(render_json(&[], 0), want);
}

/// Text of lines of characters of one to four bytes, and of `\r`.
fn text() -> impl Strategy<Value = String> {
    proptest::collection::vec(
        prop_oneof![
            Just('\n'),
            Just('a'),
            Just('é'),
            Just('日'),
            Just('🚀'),
            Just('\r')
        ],
        0..60,
    )
    .prop_map(|chars| chars.into_iter().collect())
}

proptest! {
    #[test]
    fn lines_answer_as_the_line_index_does(
        source in text(),
        offsets in proptest::collection::vec(0usize..300, 0..12),
    ) {
        let index = LineIndex::new(&source);
        let mut lines = Lines::new(&source);
        for offset in offsets.into_iter().map(|o| o % (source.len() + 3)) {
            let want = index.pos(&source, offset);
            let got = lines.pos(offset);
            prop_assert_eq!(got, (want.line as usize, want.col as usize), "offset {}", offset);
        }
    }
}

proptest! {
    #[test]
    fn newlines_are_counted(bytes in proptest::collection::vec(
        prop_oneof![Just(b'\n'), Just(b'a'), Just(0x8a_u8), Just(0x0b_u8), any::<u8>()],
        0..2200,
    )) {
        let want = bytes.iter().filter(|&&b| b == b'\n').count();
        prop_assert_eq!(newlines(&bytes), want);
    }
}

#[test]
fn newlines_are_counted_in_a_long_run() {
    let all = vec![b'\n'; 8 * 300 + 5];
    assert_eq!(newlines(&all), all.len());
}
