//! The fast reader against saphyr: on every text it takes, the same document (every node with
//! its span and flags, every issue, no error) as saphyr's events give through the event builder;
//! and it takes nearly all of the real workflows.

use std::path::{Path, PathBuf};

use super::{has_odd_char, read};
use crate::workflow::yaml::events;

/// The first line where two debug renderings differ, with its number.
fn first_difference(fast: &str, slow: &str) -> String {
    let (mut f, mut s) = (fast.lines(), slow.lines());
    for i in 1.. {
        match (f.next(), s.next()) {
            (Some(a), Some(b)) if a == b => {}
            (a, b) => return format!("line {i} of the tree: fast {a:?}, saphyr {b:?}"),
        }
    }
    unreachable!("the lines differ somewhere")
}

/// Checks one text: `Ok(true)` when the fast reader took it, `Err` with the first difference.
fn same_as_saphyr(src: &str) -> Result<bool, String> {
    let Ok(fast) = read(src) else {
        return Ok(false);
    };
    let slow = events::read(src);
    if let Some(e) = &slow.error {
        return Err(format!("the fast reader took a text saphyr refuses: {e:?}"));
    }
    if fast.issues != slow.issues {
        return Err(format!(
            "issues: fast {:?}, saphyr {:?}",
            fast.issues, slow.issues
        ));
    }
    if fast.root != slow.root {
        let (f, s) = (format!("{:#?}", fast.root), format!("{:#?}", slow.root));
        return Err(first_difference(&f, &s));
    }
    Ok(true)
}

/// Every `.yml`/`.yaml` file under `dir`, sorted.
fn yaml_files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&d) else {
            continue;
        };
        for e in entries.flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else if p.extension().is_some_and(|x| x == "yml" || x == "yaml") {
                out.push(p);
            }
        }
    }
    out.sort();
    out
}

fn shared() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/corpus")
}

#[test]
fn the_fast_reader_gives_saphyrs_documents() {
    let corpus = shared();
    let workspace = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let mut dirs = vec![
        workspace.join("fixtures"),
        workspace.join("workflows-templates"),
    ];
    if corpus.is_dir() {
        dirs.push(corpus.clone());
    } else {
        assert!(
            std::env::var_os("CI").is_none(),
            "the shared corpus is missing at {}",
            corpus.display()
        );
    }
    let (mut taken, mut all, mut wrong) = (0, 0, Vec::new());
    for path in dirs.iter().flat_map(|d| yaml_files(d)) {
        let Ok(src) = std::fs::read_to_string(&path) else {
            continue;
        };
        all += 1;
        match same_as_saphyr(&src) {
            Ok(took) => taken += usize::from(took),
            Err(why) => wrong.push(format!("{}: {why}", path.display())),
        }
    }
    assert!(
        wrong.is_empty(),
        "{} of {all} files differ:\n{}",
        wrong.len(),
        wrong.join("\n")
    );
    if corpus.is_dir() {
        assert!(
            taken * 100 >= all * 95,
            "the fast reader took only {taken} of {all} files"
        );
    }
}

/// Small edits of real workflows, deterministic: whatever the fast reader takes, saphyr reads
/// the same way. The edits insert and delete YAML's indicator characters, spaces and breaks.
#[test]
fn edited_workflows_read_the_same() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures");
    let corpus = shared().join("workflows");
    let mut files = yaml_files(&dir);
    files.extend(yaml_files(&corpus).into_iter().step_by(7));
    let rounds: usize = std::env::var("FAST_YAML_ROUNDS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(8);
    const INSERTS: &[u8] = b" \n:-#\"'[]{},|>a&*!?%\\.";
    let mut seed: u64 = std::env::var("FAST_YAML_SEED")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(0x2545_f491_4f6c_dd1d);
    let mut next = move |n: usize| {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        (seed % n.max(1) as u64) as usize
    };
    let (mut wrong, mut taken, mut tried) = (Vec::new(), 0, 0);
    for path in &files {
        let Ok(src) = std::fs::read_to_string(path) else {
            continue;
        };
        if src.is_empty() {
            continue;
        }
        for _ in 0..rounds {
            let mut b = src.clone().into_bytes();
            for _ in 0..1 + next(3) {
                let mut at = next(b.len());
                while at > 0 && at < b.len() && (b[at] & 0xc0) == 0x80 {
                    at -= 1;
                }
                if next(2) == 0 {
                    // At a line's start, where indentation decides the structure.
                    while at > 0 && b[at - 1] != b'\n' {
                        at -= 1;
                    }
                }
                match next(4) {
                    0 if at < b.len() && b[at].is_ascii() => {
                        b.remove(at);
                    }
                    1 => b.insert(at, INSERTS[next(INSERTS.len())]),
                    2 => b.splice(at..at, *b"- ").for_each(drop),
                    _ => b.insert(at, b' '),
                }
            }
            let text = String::from_utf8(b).expect("edits at character boundaries keep UTF-8");
            match same_as_saphyr(&text) {
                Ok(true) => taken += 1,
                Ok(false) => {}
                Err(why) => wrong.push(format!("{}: {why}\n---\n{text}\n---", path.display())),
            }
            tried += 1;
        }
    }
    assert!(
        wrong.is_empty(),
        "{} edits differ; the first:\n{}",
        wrong.len(),
        wrong[0]
    );
    // The edits must reach the fast reader, or the test shows nothing.
    assert!(
        taken * 5 >= tried,
        "the fast reader took only {taken} of {tried} edits"
    );
}

/// Each form the fast reader takes, read as saphyr reads it; and forms it leaves to saphyr.
#[test]
fn forms_taken_and_forms_left_to_saphyr() {
    let taken = [
        "on: push\njobs:\n  a:\n    runs-on: ubuntu-latest\n",
        "---\n# lead\non: [push, 'pull_request']\n",
        "steps:\n- run: a\n  name: b\n-   # note\n  uses: x@v1\nk: v\n",
        "a: |\n  x\n\n   y\n  z\n\n\nb: |-\n  x\nc: |+\n  x\n\nd: >\n  f\n  g\n\n  h\n   i\n  j\n",
        "a: >-\n  folded\n  text\n# after\nb: |\n  at the end",
        "a: 'it''s'\nb: \"q\\\"x\\u00e9\\n\" # c\n'c': \"d\"\n",
        "a: [\n    x,\n    y, # c\n  ]\nb: {c: d, e: [1, 2],}\nc: {}\nd: []\n",
        "if: a &&\n  b\n\n  c\nname: x#y # z\ne:   v   \nf:\n",
        "name: ünïcode ✓\non: {push: {branches: [ëë]}}\nx: \"é\" # ü\n",
        "a: \"multi  \n  line\n\n   three \\\n   four\\\"\" # c\nb: 'x''\n y'\nc:\n- \"é\n z\"\n",
        "a: &p\n  - x\nb: *p\nc: &v val\nd: &m # c\n  k: v\ne: *v # c\nf:\n  - &i item\n  - *i\n",
        "g: &f [x]\nh: &e\ni: x\nj: &j\n",
        "a: 1\nb: {c: 1, c: 2, d: {e: f, e: g}}\na: 3\nb:\n  - &v x\n  - *v\n",
        "a: {[x]: 1, {y: z}: 2, [x]: 3}\nb: &m {c: d,}\nc: *m\nd:\n  - *m\n",
    ];
    for src in taken {
        assert_eq!(same_as_saphyr(src), Ok(true), "{src:?}");
    }
    // A mapping past the size where repeated keys are looked up in an index, not in place.
    let mut large: String = (0..40).map(|i| format!("k{i}: v\n")).collect();
    large.push_str("k3: again\nk39: again\nk40: new\nk40: again\n");
    assert_eq!(same_as_saphyr(&large), Ok(true));
    // An alias bomb and an alias inside its own anchor: the event builder refuses them, so the
    // fast reader leaves them to it.
    let mut bomb = String::from("a0: &a0\n");
    bomb.push_str(&"  - x\n".repeat(10));
    for i in 1..8 {
        bomb.push_str(&format!("a{i}: &a{i}\n"));
        bomb.push_str(&format!("  - *a{}\n", i - 1).repeat(10));
    }
    for src in [bomb.as_str(), "a: &x\n  b: *x\n"] {
        assert!(read(src).is_err(), "{src:?}");
        assert!(events::read(src).error.is_some(), "{src:?}");
    }
    let left = [
        "a: !!str 1\n",
        "a: *unknown\n",
        "&a k: v\n",
        "a:\tb\n",
        "a: b\r\nc: d\r\n",
        "a: b\n---\nc: d\n",
        "a: |2\n   x\n",
        "\u{feff}a: b\n",
        "? complex\n: key\n",
        "a: b: c\n",
        "[a, b]\n",
        "- a\n- - b\n",
    ];
    for src in left {
        assert!(read(src).is_err(), "{src:?}");
        assert_eq!(same_as_saphyr(src), Ok(false), "{src:?}");
    }
}

/// Runs of spaces of every length around the eight the reader steps over at once, at a line's
/// start, inside it, and at the end of the text.
#[test]
fn runs_of_spaces_read_the_same() {
    for n in 0..20 {
        let pad = " ".repeat(n);
        for src in [
            format!("a:\n {pad}b: c{pad}\n {pad}d:{pad} e{pad}"),
            format!("a:{pad}\n{pad}\n- x{pad}# c\n-{pad} y\n{pad}"),
            format!("a: [{pad}x,{pad}y{pad}]{pad}\nb: >\n {pad}f\n{pad}\n {pad}g{pad}"),
        ] {
            assert_eq!(same_as_saphyr(&src), Ok(true), "{src:?}");
        }
    }
}

/// The characters the reader refuses, as a character test: what `has_odd_char` finds by bytes.
fn odd_char(c: char) -> bool {
    ('\u{80}'..='\u{9f}').contains(&c) || matches!(c, '\u{feff}' | '\u{fffe}' | '\u{ffff}')
}

#[test]
fn odd_characters_are_found_by_their_bytes() {
    for c in [
        '\u{80}', '\u{85}', '\u{9f}', '\u{feff}', '\u{fffe}', '\u{ffff}',
    ] {
        for text in [
            format!("{c}"),
            format!("a: {c}\n"),
            format!("é{c}"),
            format!("日本{c}x"),
        ] {
            assert!(has_odd_char(text.as_bytes()), "{text:?}");
        }
    }
    // Neighbours that share a lead byte: U+00A0 (C2 A0), U+00BF, U+FEFE, U+FFFD, U+F000.
    for c in [
        '\u{a0}', '\u{bf}', '\u{7f}', '\u{fefe}', '\u{fffd}', '\u{f000}', '\u{fbff}',
    ] {
        let text = format!("key: {c}{c}\n");
        assert!(!has_odd_char(text.as_bytes()), "{text:?}");
    }
}

proptest::proptest! {
    #[test]
    fn has_odd_char_agrees_with_decoding(text in "\\PC*|[\u{0}-\u{ff}\u{fef0}-\u{ffff}]*") {
        proptest::prop_assert_eq!(has_odd_char(text.as_bytes()), text.chars().any(odd_char));
    }
}
