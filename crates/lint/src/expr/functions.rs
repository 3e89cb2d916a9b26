//! Built-in functions: signatures (with overloads) and the `format()` string rules.

use std::collections::BTreeSet;
use std::fmt;
use std::sync::LazyLock;

use super::types::Type;

/// One signature of a function.
#[derive(Debug, Clone, PartialEq)]
pub struct FuncSig {
    /// The name as GitHub documents it (`startsWith`).
    pub name: &'static str,
    /// Parameter types. With `variadic`, the last one may repeat (but must appear once).
    pub params: Vec<Type>,
    /// Whether the last parameter repeats.
    pub variadic: bool,
    /// The return type.
    pub ret: Type,
}

/// A function and its overloads.
#[derive(Debug, Clone, PartialEq)]
pub struct FuncDef {
    /// The name in lower case (calls are case-insensitive).
    pub name: &'static str,
    /// The overloads, tried in order.
    pub sigs: Vec<FuncSig>,
    /// Whether the result depends only on the arguments (so a call on literals is constant).
    pub pure: bool,
}

/// `startsWith(string, string) -> bool`, as actionlint prints signatures.
impl fmt::Display for FuncSig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let params: Vec<String> = self.params.iter().map(ToString::to_string).collect();
        let dots = if self.variadic { "..." } else { "" };
        write!(
            f,
            "{}({}{dots}) -> {}",
            self.name,
            params.join(", "),
            self.ret
        )
    }
}

fn sig(name: &'static str, params: Vec<Type>, variadic: bool, ret: Type) -> FuncSig {
    FuncSig {
        name,
        params,
        variadic,
        ret,
    }
}

fn def(name: &'static str, pure: bool, sigs: Vec<FuncSig>) -> FuncDef {
    FuncDef { name, sigs, pure }
}

static FUNCTIONS: LazyLock<Vec<FuncDef>> = LazyLock::new(|| {
    use Type::{Any, Bool, String as Str};
    let any_array = || Type::array(Any);
    let string_array = || Type::array(Str);
    let status = |name: &'static str, lower: &'static str| {
        def(lower, false, vec![sig(name, vec![], false, Bool)])
    };
    vec![
        status("always", "always"),
        status("cancelled", "cancelled"),
        // case(pred, value, [pred, value, ...,] default): GitHub's conditional function.
        def(
            "case",
            true,
            vec![sig("case", vec![Bool, Any, Any], true, Any)],
        ),
        def(
            "contains",
            true,
            vec![
                sig("contains", vec![Str, Str], false, Bool),
                sig("contains", vec![any_array(), Any], false, Bool),
            ],
        ),
        def(
            "endswith",
            true,
            vec![sig("endsWith", vec![Str, Str], false, Bool)],
        ),
        status("failure", "failure"),
        def(
            "format",
            true,
            vec![sig("format", vec![Str, Any], true, Str)],
        ),
        def(
            "fromjson",
            false,
            vec![sig("fromJSON", vec![Str], false, Any)],
        ),
        def(
            "hashfiles",
            false,
            vec![sig("hashFiles", vec![Str], true, Str)],
        ),
        def(
            "join",
            true,
            vec![
                sig("join", vec![string_array(), Str], false, Str),
                sig("join", vec![string_array()], false, Str),
            ],
        ),
        def(
            "startswith",
            true,
            vec![sig("startsWith", vec![Str, Str], false, Bool)],
        ),
        status("success", "success"),
        def("tojson", true, vec![sig("toJSON", vec![Any], false, Str)]),
    ]
});

/// All built-in functions, sorted by (lower-case) name.
pub fn all() -> &'static [FuncDef] {
    &FUNCTIONS
}

/// The built-in function called `name` (any case).
pub fn lookup(name: &str) -> Option<&'static FuncDef> {
    FUNCTIONS.iter().find(|f| f.name.eq_ignore_ascii_case(name))
}

/// The placeholder numbers `{N}` that `format()` will substitute in `fmt`, read the way
/// actionlint reads them: `{{` and `}}` are escapes, and a placeholder followed by a run of
/// `}` counts only when the run has odd length (`{0}}}` has one, `{0}}}}` has none).
pub fn format_placeholders(fmt: &str) -> BTreeSet<usize> {
    let b = fmt.as_bytes();
    let mut found = BTreeSet::new();
    let number = |s: usize, e: usize| {
        fmt.get(s..e)
            .and_then(|d| d.parse::<usize>().ok())
            .unwrap_or(usize::MAX)
    };
    // `open` is just after a `{`; `close` is the `}` ending the digits after it.
    let mut open: Option<usize> = None;
    let mut close: Option<usize> = None;
    for (i, &c) in b.iter().enumerate() {
        let Some(s) = open else {
            if c == b'{' {
                open = Some(i + 1);
            }
            continue;
        };
        let Some(e) = close else {
            if c == b'}' {
                if i == s {
                    open = None; // `{}` is not a placeholder
                } else {
                    close = Some(i);
                }
            } else if c == b'{' {
                // `{{` is an escape; a `{` after digits starts afresh.
                open = if i == s { None } else { Some(i + 1) };
            } else if !c.is_ascii_digit() {
                open = None;
            }
            continue;
        };
        if c == b'}' {
            continue; // count the run of `}` first
        }
        if (i - e) % 2 == 1 {
            found.insert(number(s, e));
        }
        open = (c == b'{').then_some(i + 1);
        close = None;
    }
    if let (Some(s), Some(e)) = (open, close)
        && (b.len() - e) % 2 == 1
    {
        found.insert(number(s, e));
    }
    found
}

/// The first brace in `fmt` that GitHub's `format()` rejects at run time: a `{` that is
/// neither `{{` nor the start of `{N}`, or a `}` that is neither `}}` nor the end of `{N}`.
/// Returns the byte offset and the brace.
pub fn format_syntax_error(fmt: &str) -> Option<(usize, char)> {
    let b = fmt.as_bytes();
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'{' if b.get(i + 1) == Some(&b'{') => i += 2,
            b'{' => {
                let mut j = i + 1;
                while b.get(j).is_some_and(u8::is_ascii_digit) {
                    j += 1;
                }
                if j == i + 1 || b.get(j) != Some(&b'}') {
                    return Some((i, '{'));
                }
                i = j + 1;
            }
            b'}' if b.get(i + 1) == Some(&b'}') => i += 2,
            b'}' => return Some((i, '}')),
            _ => i += 1,
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn holders(s: &str) -> Vec<usize> {
        format_placeholders(s).into_iter().collect()
    }

    #[test]
    fn signatures_print_like_actionlint() {
        let sw = lookup("STARTSWITH").expect("defined");
        assert_eq!(sw.sigs[0].to_string(), "startsWith(string, string) -> bool");
        let f = lookup("format").expect("defined");
        assert_eq!(f.sigs[0].to_string(), "format(string, any...) -> string");
        let c = lookup("contains").expect("defined");
        assert_eq!(c.sigs[1].to_string(), "contains(array<any>, any) -> bool");
        assert_eq!(
            lookup("case").expect("defined").sigs[0].to_string(),
            "case(bool, any, any...) -> any"
        );
        assert!(lookup("startWith").is_none());
    }

    #[test]
    fn all_sorted() {
        assert!(all().windows(2).all(|w| w[0].name < w[1].name));
        assert_eq!(all().len(), 13);
    }

    #[test]
    fn placeholders() {
        assert_eq!(holders("{0}{1}"), vec![0, 1]);
        assert_eq!(holders("{0} {1} {0}"), vec![0, 1]);
        assert_eq!(holders("{{0}}"), Vec::<usize>::new());
        assert_eq!(holders("{0}}}"), vec![0]);
        assert_eq!(holders("{0}}}}"), Vec::<usize>::new());
        assert_eq!(holders("{{{0}"), vec![0]);
        assert_eq!(holders("{} {a} {1"), Vec::<usize>::new());
        assert_eq!(holders("{x{2}"), vec![2]);
        assert_eq!(holders("{12}"), vec![12]);
    }

    #[test]
    fn syntax() {
        assert_eq!(format_syntax_error("{0} {{x}} {1}"), None);
        assert_eq!(format_syntax_error("a { b"), Some((2, '{')));
        assert_eq!(format_syntax_error("{0}}"), Some((3, '}')));
        assert_eq!(format_syntax_error("{x}"), Some((0, '{')));
        assert_eq!(format_syntax_error("{}"), Some((0, '{')));
    }
}
