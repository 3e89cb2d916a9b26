//! The fast reader against saphyr: on every text it takes, the same events at the same
//! positions; and it takes nearly all of the real workflows.

use std::path::{Path, PathBuf};

use saphyr_parser::Parser;

use super::{Bail, Ev, has_odd_char, read};
use crate::workflow::yaml::Offsets;

/// saphyr's events for `src` with positions as the tree keeps them, or `None` on a syntax error.
fn saphyr_events(src: &str) -> Option<Vec<Ev<'_>>> {
    let offsets = Offsets::new(src);
    let mut parser = Parser::new_from_str(src);
    let mut out = Vec::new();
    while let Some(next) = parser.next_event() {
        let (ev, span) = next.ok()?;
        out.push((ev, offsets.pos(&span.start), offsets.pos(&span.end)));
    }
    Some(out)
}

/// Checks one text: `Ok(true)` when the fast reader took it, `Err` with the first difference.
fn same_as_saphyr(src: &str) -> Result<bool, String> {
    let mut fast = Vec::new();
    if let Err(Bail) = read(src, &mut fast) {
        return Ok(false);
    }
    let Some(slow) = saphyr_events(src) else {
        return Err("the fast reader took a text saphyr refuses".into());
    };
    for (i, (f, s)) in fast.iter().zip(&slow).enumerate() {
        if f != s {
            return Err(format!("event {i}: fast {f:?}, saphyr {s:?}"));
        }
    }
    if fast.len() != slow.len() {
        return Err(format!("{} events, saphyr {}", fast.len(), slow.len()));
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
fn the_fast_reader_gives_saphyrs_events() {
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
    ];
    for src in taken {
        assert_eq!(same_as_saphyr(src), Ok(true), "{src:?}");
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
        assert_eq!(read(src, &mut Vec::new()), Err(Bail), "{src:?}");
        assert_eq!(same_as_saphyr(src), Ok(false), "{src:?}");
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
