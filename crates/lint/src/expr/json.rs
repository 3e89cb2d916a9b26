//! A JSON validator for literal `fromJSON('...')` arguments, which also infers the value's type.
//!
//! Errors are worded, and offsets counted, as Go's `encoding/json` does, since actionlint puts
//! them in its messages ("... at offset 4: unexpected end of JSON input"). It is iterative, so
//! deep nesting can't exhaust the stack.

use std::collections::BTreeMap;

use super::types::Type;

/// A JSON syntax error: Go's message and its offset (bytes read when the error was found).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JsonError {
    /// Bytes consumed up to and including the offending one.
    pub offset: usize,
    /// Go's wording, e.g. `invalid character '}' looking for beginning of value`.
    pub message: String,
}

/// Values nested deeper than this are typed `any`, which keeps types (and their drops) shallow.
const MAX_TYPE_DEPTH: usize = 32;

enum Frame {
    Array(Option<Type>),
    Object(BTreeMap<String, Type>, String),
}

#[derive(Clone, Copy)]
enum Expect {
    Value,
    ValueOrArrayEnd,
    KeyOrObjectEnd,
    Key,
    Colon,
    AfterObjectValue,
    AfterArrayElement,
    End,
}

fn is_space(c: u8) -> bool {
    matches!(c, b' ' | b'\t' | b'\r' | b'\n')
}

/// Quotes one byte as Go's `encoding/json` does in its errors.
fn quote_byte(c: u8) -> String {
    let ch = char::from(c);
    match c {
        b'\'' => "'\\''".to_string(),
        b'"' => "'\"'".to_string(),
        b'\\' => "'\\\\'".to_string(),
        0x07 => "'\\a'".to_string(),
        0x08 => "'\\b'".to_string(),
        0x0c => "'\\f'".to_string(),
        b'\n' => "'\\n'".to_string(),
        b'\r' => "'\\r'".to_string(),
        b'\t' => "'\\t'".to_string(),
        0x0b => "'\\v'".to_string(),
        0..0x20 | 0x7f => format!("'\\x{c:02x}'"),
        0x80..=0xa0 | 0xad => format!("'\\u{c:04x}'"),
        _ => format!("'{ch}'"),
    }
}

struct Scanner<'a> {
    b: &'a [u8],
    i: usize,
}

impl Scanner<'_> {
    /// The byte at `i`; at the end, a space, as Go's scanner feeds one to finish a number.
    fn at(&self, i: usize) -> u8 {
        self.b.get(i).copied().unwrap_or(b' ')
    }

    fn invalid(&self, i: usize, context: &str) -> JsonError {
        JsonError {
            offset: (i + 1).min(self.b.len()),
            message: format!("invalid character {} {context}", quote_byte(self.at(i))),
        }
    }

    fn eof(&self) -> JsonError {
        JsonError {
            offset: self.b.len(),
            message: "unexpected end of JSON input".to_string(),
        }
    }

    fn string(&mut self) -> Result<String, JsonError> {
        let start = self.i + 1;
        let mut i = start;
        let mut out = String::new();
        let mut seg = start;
        loop {
            let Some(&c) = self.b.get(i) else {
                return Err(self.eof());
            };
            match c {
                b'"' => {
                    out.push_str(&String::from_utf8_lossy(&self.b[seg..i]));
                    self.i = i + 1;
                    return Ok(out);
                }
                b'\\' => {
                    out.push_str(&String::from_utf8_lossy(&self.b[seg..i]));
                    i += 1;
                    match self.at(i) {
                        b'b' => out.push('\u{8}'),
                        b'f' => out.push('\u{c}'),
                        b'n' => out.push('\n'),
                        b'r' => out.push('\r'),
                        b't' => out.push('\t'),
                        c @ (b'\\' | b'/' | b'"') => out.push(char::from(c)),
                        b'u' => {
                            let mut code = 0u32;
                            for _ in 0..4 {
                                i += 1;
                                let d = char::from(self.at(i)).to_digit(16);
                                match d {
                                    Some(d) => code = code * 16 + d,
                                    None => {
                                        return Err(
                                            self.invalid(i, "in \\u hexadecimal character escape")
                                        );
                                    }
                                }
                            }
                            out.push(char::from_u32(code).unwrap_or('\u{fffd}'));
                        }
                        _ => return Err(self.invalid(i, "in string escape code")),
                    }
                    if i >= self.b.len() {
                        return Err(self.eof());
                    }
                    i += 1;
                    seg = i;
                }
                0..0x20 => return Err(self.invalid(i, "in string literal")),
                _ => i += 1,
            }
        }
    }

    fn digits(&self, mut i: usize) -> usize {
        while self.b.get(i).is_some_and(u8::is_ascii_digit) {
            i += 1;
        }
        i
    }

    fn number(&mut self) -> Result<(), JsonError> {
        let mut i = self.i;
        if self.at(i) == b'-' {
            i += 1;
        }
        match self.at(i) {
            b'0' => i += 1,
            b'1'..=b'9' => i = self.digits(i + 1),
            _ => return Err(self.invalid(i, "in numeric literal")),
        }
        if self.b.get(i) == Some(&b'.') {
            i += 1;
            if !self.at(i).is_ascii_digit() {
                return Err(self.invalid(i, "after decimal point in numeric literal"));
            }
            i = self.digits(i);
        }
        if matches!(self.b.get(i), Some(b'e' | b'E')) {
            i += 1;
            if matches!(self.at(i), b'+' | b'-') {
                i += 1;
            }
            if !self.at(i).is_ascii_digit() {
                return Err(self.invalid(i, "in exponent of numeric literal"));
            }
            i = self.digits(i);
        }
        self.i = i;
        Ok(())
    }

    fn literal(&mut self, word: &str) -> Result<(), JsonError> {
        for (k, expected) in word.bytes().enumerate().skip(1) {
            let i = self.i + k;
            if self.at(i) != expected {
                let context = format!("in literal {word} (expecting '{}')", char::from(expected));
                return Err(self.invalid(i, &context));
            }
        }
        self.i += word.len();
        Ok(())
    }
}

/// Validates `src` as JSON and returns the type of its value (objects are strict, with their
/// keys as written; arrays have the merge of their elements' types).
pub fn type_of_json(src: &str) -> Result<Type, JsonError> {
    let mut s = Scanner {
        b: src.as_bytes(),
        i: 0,
    };
    let mut stack: Vec<Frame> = Vec::new();
    let mut expect = Expect::Value;
    let mut result = Type::Any;
    loop {
        while s.b.get(s.i).copied().is_some_and(is_space) {
            s.i += 1;
        }
        let Some(&c) = s.b.get(s.i) else {
            return match expect {
                Expect::End => Ok(result),
                _ => Err(s.eof()),
            };
        };
        // A complete value, when this step produces one.
        let value = match expect {
            Expect::End => return Err(s.invalid(s.i, "after top-level value")),
            Expect::Colon => {
                if c != b':' {
                    return Err(s.invalid(s.i, "after object key"));
                }
                s.i += 1;
                expect = Expect::Value;
                None
            }
            Expect::KeyOrObjectEnd | Expect::Key => {
                if c == b'}' && matches!(expect, Expect::KeyOrObjectEnd) {
                    s.i += 1;
                    match stack.pop() {
                        Some(Frame::Object(props, _)) => Some(Type::strict_object(props)),
                        _ => Some(Type::Any),
                    }
                } else if c == b'"' {
                    let key = s.string()?;
                    if let Some(Frame::Object(_, k)) = stack.last_mut() {
                        *k = key;
                    }
                    expect = Expect::Colon;
                    None
                } else {
                    return Err(s.invalid(s.i, "looking for beginning of object key string"));
                }
            }
            Expect::AfterObjectValue => match c {
                b',' => {
                    s.i += 1;
                    expect = Expect::Key;
                    None
                }
                b'}' => {
                    s.i += 1;
                    match stack.pop() {
                        Some(Frame::Object(props, _)) => Some(Type::strict_object(props)),
                        _ => Some(Type::Any),
                    }
                }
                _ => return Err(s.invalid(s.i, "after object key:value pair")),
            },
            Expect::AfterArrayElement => match c {
                b',' => {
                    s.i += 1;
                    expect = Expect::Value;
                    None
                }
                b']' => {
                    s.i += 1;
                    match stack.pop() {
                        Some(Frame::Array(elem)) => Some(Type::array(elem.unwrap_or(Type::Any))),
                        _ => Some(Type::Any),
                    }
                }
                _ => return Err(s.invalid(s.i, "after array element")),
            },
            Expect::Value | Expect::ValueOrArrayEnd => {
                value_start(&mut s, c, &mut expect, &mut stack)?
            }
        };
        let Some(mut v) = value else { continue };
        if stack.len() >= MAX_TYPE_DEPTH {
            v = Type::Any;
        }
        attach(v, &mut stack, &mut expect, &mut result);
    }
}

/// Starts a value at `c`: a scalar is read whole and returned; `{` or `[` opens a frame.
fn value_start(
    s: &mut Scanner<'_>,
    c: u8,
    expect: &mut Expect,
    stack: &mut Vec<Frame>,
) -> Result<Option<Type>, JsonError> {
    let expect_now = *expect;
    Ok(match c {
        b']' if matches!(expect_now, Expect::ValueOrArrayEnd) => {
            s.i += 1;
            stack.pop();
            Some(Type::array(Type::Any))
        }
        b'{' => {
            s.i += 1;
            stack.push(Frame::Object(BTreeMap::new(), String::new()));
            *expect = Expect::KeyOrObjectEnd;
            None
        }
        b'[' => {
            s.i += 1;
            stack.push(Frame::Array(None));
            *expect = Expect::ValueOrArrayEnd;
            None
        }
        b'"' => {
            s.string()?;
            Some(Type::String)
        }
        b'-' | b'0'..=b'9' => {
            s.number()?;
            Some(Type::Number)
        }
        b't' => s.literal("true").map(|()| Some(Type::Bool))?,
        b'f' => s.literal("false").map(|()| Some(Type::Bool))?,
        b'n' => s.literal("null").map(|()| Some(Type::Null))?,
        _ => return Err(s.invalid(s.i, "looking for beginning of value")),
    })
}

/// Puts a complete value where it belongs: the result, an array's element type or an object's
/// property; says what comes next.
fn attach(v: Type, stack: &mut [Frame], expect: &mut Expect, result: &mut Type) {
    match stack.last_mut() {
        None => {
            *result = v;
            *expect = Expect::End;
        }
        Some(Frame::Array(elem)) => {
            *elem = Some(match elem.take() {
                None => v,
                Some(e) => e.merge(v),
            });
            *expect = Expect::AfterArrayElement;
        }
        Some(Frame::Object(props, key)) => {
            props.insert(std::mem::take(key), v);
            *expect = Expect::AfterObjectValue;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn err(src: &str) -> (usize, String) {
        let e = type_of_json(src).expect_err("invalid JSON");
        (e.offset, e.message)
    }

    fn ty(src: &str) -> String {
        type_of_json(src).expect("valid JSON").to_string()
    }

    #[test]
    fn types() {
        assert_eq!(ty("null"), "null");
        assert_eq!(ty(" true "), "bool");
        assert_eq!(ty("-1.5e+3"), "number");
        assert_eq!(ty("\"a\\u0041\\n\""), "string");
        assert_eq!(ty("[]"), "array<any>");
        assert_eq!(ty("[1, \"a\"]"), "array<string>");
        assert_eq!(ty("[true, 1]"), "array<any>");
        assert_eq!(
            ty(r#"{"array": [true, false], "bool": true}"#),
            "{array: array<bool>; bool: bool}"
        );
        assert_eq!(ty(r#"{"a\u0062": {}}"#), "{ab: {}}");
    }

    #[test]
    fn errors_like_go() {
        assert_eq!(err(""), (0, "unexpected end of JSON input".into()));
        assert_eq!(err("{\"a\""), (4, "unexpected end of JSON input".into()));
        assert_eq!(
            err("{\"a\" 1}"),
            (6, "invalid character '1' after object key".into())
        );
        assert_eq!(
            err("[1,]"),
            (
                4,
                "invalid character ']' looking for beginning of value".into()
            )
        );
        assert_eq!(
            err("{'a': 1}"),
            (
                2,
                "invalid character '\\'' looking for beginning of object key string".into()
            )
        );
        assert_eq!(
            err("1 2"),
            (3, "invalid character '2' after top-level value".into())
        );
        assert_eq!(
            err("1."),
            (
                2,
                "invalid character ' ' after decimal point in numeric literal".into()
            )
        );
        assert_eq!(
            err("tru"),
            (
                3,
                "invalid character ' ' in literal true (expecting 'e')".into()
            )
        );
        assert_eq!(
            err("nul!"),
            (
                4,
                "invalid character '!' in literal null (expecting 'l')".into()
            )
        );
        assert_eq!(
            err("\"\\x\""),
            (3, "invalid character 'x' in string escape code".into())
        );
        assert_eq!(
            err("[1 2]"),
            (4, "invalid character '2' after array element".into())
        );
        assert_eq!(
            err("{\"a\":1 \"b\"}"),
            (
                8,
                "invalid character '\"' after object key:value pair".into()
            )
        );
        assert_eq!(
            err("01"),
            (2, "invalid character '1' after top-level value".into())
        );
    }

    #[test]
    fn deep_nesting_is_fine() {
        let deep = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
        assert!(type_of_json(&deep).is_ok());
    }
}
