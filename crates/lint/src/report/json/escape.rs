//! A JSON string as `serde_json` writes it: `"` and `\` behind a backslash, the control
//! characters below U+0020 as `\b`, `\t`, `\n`, `\f`, `\r` or `\u00xx` (lower-case hex), every
//! other character as it is (U+007F and U+2028 included).
//!
//! Almost nothing in a report needs escaping, so the text is tested 16 bytes at a time (a test
//! with no early exit, which the compiler turns into a few vector instructions) and copied in
//! runs; only a block that holds a byte to escape is looked at byte by byte. `serde_json` looks
//! up every byte in a table and wrote a third of the JSON report's instructions.

/// Appends `s` to `out` as a JSON string, quotes included.
pub(super) fn push_str(out: &mut String, s: &str) {
    out.push('"');
    push_contents(out, s);
    out.push('"');
}

/// How many bytes are tested at once.
const BLOCK: usize = 16;

/// Appends `s` escaped, without quotes.
fn push_contents(out: &mut String, s: &str) {
    let bytes = s.as_bytes();
    // `s[copied..]` is not written yet; no byte before `at` needs escaping.
    let mut copied = 0;
    let mut at = 0;
    loop {
        while let Some(block) = bytes[at..].first_chunk::<BLOCK>() {
            if any_to_escape(block) {
                break;
            }
            at += BLOCK;
        }
        if bytes.len() - at < BLOCK && !tail_to_escape(bytes, at) {
            break;
        }
        // Within the block that failed the test, or in the tail shorter than a block.
        let Some(i) = bytes[at..].iter().position(|&b| needs_escape(b)) else {
            break;
        };
        let i = at + i;
        // A byte below 0x80 is a character of its own: `i` is a character boundary.
        out.push_str(&s[copied..i]);
        push_escape(out, bytes[i]);
        copied = i + 1;
        at = i + 1;
    }
    out.push_str(&s[copied..]);
}

/// Whether `bytes[at..]`, shorter than a block, may hold a byte to escape: tested as the last
/// block of `bytes` when there is one (a byte before `at` found there costs a search of the
/// tail, no more), else padded to a block. Short strings (rule ids, severities) are most of
/// those written.
fn tail_to_escape(bytes: &[u8], at: usize) -> bool {
    if let Some(last) = bytes.last_chunk::<BLOCK>() {
        return any_to_escape(last);
    }
    let mut block = [b' '; BLOCK];
    block[..bytes.len() - at].copy_from_slice(&bytes[at..]);
    any_to_escape(&block)
}

/// Whether `block` holds a byte to escape: no early exit, so that it compiles to a few
/// vector instructions.
fn any_to_escape(block: &[u8; BLOCK]) -> bool {
    block.iter().fold(false, |any, &b| any | needs_escape(b))
}

fn needs_escape(b: u8) -> bool {
    // `b ^ 2` is at most 0x20 for the control characters and `"` (0x22) only.
    ((b ^ 2) <= 0x20) | (b == b'\\')
}

/// Writes the escape of `b`, a byte that [`needs_escape`].
#[cold]
fn push_escape(out: &mut String, b: u8) {
    out.push('\\');
    match b {
        b'"' | b'\\' => out.push(b as char),
        b'\x08' => out.push('b'),
        b'\t' => out.push('t'),
        b'\n' => out.push('n'),
        b'\x0c' => out.push('f'),
        b'\r' => out.push('r'),
        _ => {
            const HEX: &[u8; 16] = b"0123456789abcdef";
            out.push_str("u00");
            out.push(HEX[usize::from(b >> 4)] as char);
            out.push(HEX[usize::from(b & 0xf)] as char);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn escaped(s: &str) -> String {
        let mut out = String::new();
        push_str(&mut out, s);
        out
    }

    fn serde(s: &str) -> String {
        serde_json::to_string(s).expect("a string serializes")
    }

    #[test]
    fn escapes_as_serde_json_does() {
        let every_control: String = (0u8..0x20).map(char::from).collect();
        let long = "a\"b\\c".repeat(20) + &"x".repeat(40) + "\u{1}";
        for s in [
            "",
            "plain text",
            "\"",
            "\\",
            "quote \" and backslash \\ and tab\tand newline\n",
            &every_control,
            "\u{7f} \u{2028} \u{2029} é 日本 🚀",
            "exactly sixteen!",
            "sixteen + one: \"",
            "0123456789abcde\n",
            "0123456789abcdef\u{0}0123456789abcdef\u{1f}",
            "日本語のテキストが十六バイトを超える\"引用\"",
            &long,
        ] {
            assert_eq!(escaped(s), serde(s), "{s:?}");
        }
    }

    /// A character drawn mostly from the ones that are escaped or need care.
    fn tricky_char() -> impl Strategy<Value = char> {
        prop_oneof![
            (0u32..0x20).prop_map(|c| char::from_u32(c).unwrap_or('?')),
            Just('"'),
            Just('\\'),
            Just('\u{7f}'),
            Just('\u{2028}'),
            Just('é'),
            Just('🚀'),
            proptest::char::range('a', 'z'),
            any::<char>(),
        ]
    }

    proptest! {
        #[test]
        fn equals_serde_json(chars in proptest::collection::vec(tricky_char(), 0..80)) {
            let s: String = chars.into_iter().collect();
            prop_assert_eq!(escaped(&s), serde(&s));
        }

        #[test]
        fn equals_serde_json_on_any_string(s in any::<String>()) {
            prop_assert_eq!(escaped(&s), serde(&s));
        }
    }
}
