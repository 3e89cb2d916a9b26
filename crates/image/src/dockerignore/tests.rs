//! Tables mirrored from upstream `moby/patternmatcher` (`patternmatcher_test.go`,
//! `ignorefile/ignorefile_test.go`); each test names the upstream test it follows.

use super::*;

/// Upstream's deprecated package-level `Matches`, which its older tests go through: it cleans
/// the file, never excludes `.`, and checks only the parent prefix as deep as the pattern.
fn legacy_matches(file: &str, patterns: &[&str]) -> Result<bool, PatternError> {
    let pm = PatternMatcher::new(patterns)?;
    let file = gopath::clean(file);
    if file == "." {
        return Ok(false);
    }
    let parent = gopath::dir(&file);
    let parent_dirs: Vec<&str> = parent.split('/').collect();
    let mut matched = false;
    for pattern in pm.patterns() {
        if pattern.is_exclusion() != matched {
            continue;
        }
        let mut hit = pattern.matches(&file)?;
        let depth = pattern.as_str().split('/').count();
        if !hit && parent != "." && depth <= parent_dirs.len() {
            hit = pattern
                .matches(&parent_dirs[..depth].join("/"))
                .unwrap_or(false);
        }
        if hit {
            matched = !pattern.is_exclusion();
        }
    }
    Ok(matched)
}

/// Go's `filepath.Dir` split into its parent directories, outermost first.
fn parent_dirs(text: &str) -> Vec<String> {
    let parent = gopath::dir(text);
    if parent == "." {
        return Vec::new();
    }
    let parts: Vec<&str> = parent.split('/').collect();
    (1..=parts.len()).map(|n| parts[..n].join("/")).collect()
}

/// Runs one case through every matching strategy upstream's TestMatches checks.
fn check_all(patterns: &[&str], text: &str, want: bool) {
    let pm = PatternMatcher::new(patterns).expect("valid patterns");
    let desc = format!("patterns={patterns:?} text={text:?}");

    assert_eq!(
        pm.matches_or_parent_matches(text).ok(),
        Some(want),
        "MatchesOrParentMatches {desc}"
    );

    let mut info = MatchInfo::default();
    for dir in parent_dirs(text) {
        info = pm
            .matches_using_parent_results(&dir, &info)
            .expect("parent matches")
            .1;
    }
    let got = pm.matches_using_parent_results(text, &info).map(|r| r.0);
    assert_eq!(got.ok(), Some(want), "MatchesUsingParentResults {desc}");

    let got = pm.matches_using_parent_results(text, &MatchInfo::default());
    assert_eq!(
        got.map(|r| r.0).ok(),
        Some(want),
        "MatchesUsingParentResultsNoContext {desc}"
    );
}

// Mirrors upstream TestMatches (`tests` and `multiPatternTests`, Unix additions included).
#[test]
fn test_matches_table() {
    let single: &[(&str, &str, bool)] = &[
        ("**", "file", true),
        ("**", "file/", true),
        ("**/", "file", true),
        ("**/", "file/", true),
        ("**", "/", true),
        ("**/", "/", true),
        ("**", "dir/file", true),
        ("**/", "dir/file", true),
        ("**", "dir/file/", true),
        ("**/", "dir/file/", true),
        ("**/**", "dir/file", true),
        ("**/**", "dir/file/", true),
        ("dir/**", "dir/file", true),
        ("dir/**", "dir/file/", true),
        ("dir/**", "dir/dir2/file", true),
        ("dir/**", "dir/dir2/file/", true),
        ("**/dir", "dir", true),
        ("**/dir", "dir/file", true),
        ("**/dir2/*", "dir/dir2/file", true),
        ("**/dir2/*", "dir/dir2/file/", true),
        ("**/dir2/**", "dir/dir2/dir3/file", true),
        ("**/dir2/**", "dir/dir2/dir3/file/", true),
        ("**file", "file", true),
        ("**file", "dir/file", true),
        ("**/file", "dir/file", true),
        ("**file", "dir/dir/file", true),
        ("**/file", "dir/dir/file", true),
        ("**/file*", "dir/dir/file", true),
        ("**/file*", "dir/dir/file.txt", true),
        ("**/file*txt", "dir/dir/file.txt", true),
        ("**/file*.txt", "dir/dir/file.txt", true),
        ("**/file*.txt*", "dir/dir/file.txt", true),
        ("**/**/*.txt", "dir/dir/file.txt", true),
        ("**/**/*.txt2", "dir/dir/file.txt", false),
        ("**/*.txt", "file.txt", true),
        ("**/**/*.txt", "file.txt", true),
        ("a**/*.txt", "a/file.txt", true),
        ("a**/*.txt", "a/dir/file.txt", true),
        ("a**/*.txt", "a/dir/dir/file.txt", true),
        ("a/*.txt", "a/dir/file.txt", false),
        ("a/*.txt", "a/file.txt", true),
        ("a/*.txt**", "a/file.txt", true),
        ("a[b-d]e", "ae", false),
        ("a[b-d]e", "ace", true),
        ("a[b-d]e", "aae", false),
        ("a[^b-d]e", "aze", true),
        (".*", ".foo", true),
        (".*", "foo", false),
        ("abc.def", "abcdef", false),
        ("abc.def", "abc.def", true),
        ("abc.def", "abcZdef", false),
        ("abc?def", "abcZdef", true),
        ("abc?def", "abcdef", false),
        ("a\\\\", "a\\", true),
        ("**/foo/bar", "foo/bar", true),
        ("**/foo/bar", "dir/foo/bar", true),
        ("**/foo/bar", "dir/dir2/foo/bar", true),
        ("abc/**", "abc", false),
        ("abc/**", "abc/def", true),
        ("abc/**", "abc/def/ghi", true),
        ("**/.foo", ".foo", true),
        ("**/.foo", "bar.foo", false),
        ("a(b)c/def", "a(b)c/def", true),
        ("a(b)c/def", "a(b)c/xyz", false),
        ("a.|)$(}+{bc", "a.|)$(}+{bc", true),
        (
            "dist/proxy.py-2.4.0rc3.dev36+g08acad9-py3-none-any.whl",
            "dist/proxy.py-2.4.0rc3.dev36+g08acad9-py3-none-any.whl",
            true,
        ),
        (
            "dist/*.whl",
            "dist/proxy.py-2.4.0rc3.dev36+g08acad9-py3-none-any.whl",
            true,
        ),
        ("a\\*b", "a*b", true),
    ];
    for &(pattern, text, want) in single {
        check_all(&[pattern], text, want);
    }

    let multi: &[(&[&str], &str, bool)] = &[
        (&["**", "!util/docker/web"], "util/docker/web/foo", false),
        (
            &["**", "!util/docker/web", "util/docker/web/foo"],
            "util/docker/web/foo",
            true,
        ),
        (
            &[
                "**",
                "!dist/proxy.py-2.4.0rc3.dev36+g08acad9-py3-none-any.whl",
            ],
            "dist/proxy.py-2.4.0rc3.dev36+g08acad9-py3-none-any.whl",
            false,
        ),
        (
            &["**", "!dist/*.whl"],
            "dist/proxy.py-2.4.0rc3.dev36+g08acad9-py3-none-any.whl",
            false,
        ),
    ];
    for &(patterns, text, want) in multi {
        check_all(patterns, text, want);
    }
}

// Mirrors upstream TestMatch, itself taken from Go's filepath TestMatch, run through the
// package-level `Matches`.
#[test]
fn test_match_filepath_table() {
    let cases: &[(&str, &str, Result<bool, ()>)] = &[
        ("abc", "abc", Ok(true)),
        ("*", "abc", Ok(true)),
        ("*c", "abc", Ok(true)),
        ("a*", "a", Ok(true)),
        ("a*", "abc", Ok(true)),
        ("a*", "ab/c", Ok(true)),
        ("a*/b", "abc/b", Ok(true)),
        ("a*/b", "a/c/b", Ok(false)),
        ("a*b*c*d*e*/f", "axbxcxdxe/f", Ok(true)),
        ("a*b*c*d*e*/f", "axbxcxdxexxx/f", Ok(true)),
        ("a*b*c*d*e*/f", "axbxcxdxe/xxx/f", Ok(false)),
        ("a*b*c*d*e*/f", "axbxcxdxexxx/fff", Ok(false)),
        ("a*b?c*x", "abxbbxdbxebxczzx", Ok(true)),
        ("a*b?c*x", "abxbbxdbxebxczzy", Ok(false)),
        ("ab[c]", "abc", Ok(true)),
        ("ab[b-d]", "abc", Ok(true)),
        ("ab[e-g]", "abc", Ok(false)),
        ("ab[^c]", "abc", Ok(false)),
        ("ab[^b-d]", "abc", Ok(false)),
        ("ab[^e-g]", "abc", Ok(true)),
        ("a\\*b", "a*b", Ok(true)),
        ("a\\*b", "ab", Ok(false)),
        ("a?b", "a☺b", Ok(true)),
        ("a[^a]b", "a☺b", Ok(true)),
        ("a???b", "a☺b", Ok(false)),
        ("a[^a][^a][^a]b", "a☺b", Ok(false)),
        ("[a-ζ]*", "α", Ok(true)),
        ("*[a-ζ]", "A", Ok(false)),
        ("a?b", "a/b", Ok(false)),
        ("a*b", "a/b", Ok(false)),
        ("[\\]a]", "]", Ok(true)),
        ("[\\-]", "-", Ok(true)),
        ("[x\\-]", "x", Ok(true)),
        ("[x\\-]", "-", Ok(true)),
        ("[x\\-]", "z", Ok(false)),
        ("[\\-x]", "x", Ok(true)),
        ("[\\-x]", "-", Ok(true)),
        ("[\\-x]", "a", Ok(false)),
        ("[]a]", "]", Err(())),
        ("[-]", "-", Err(())),
        ("[x-]", "x", Err(())),
        ("[x-]", "-", Err(())),
        ("[x-]", "z", Err(())),
        ("[-x]", "x", Err(())),
        ("[-x]", "-", Err(())),
        ("[-x]", "a", Err(())),
        ("\\", "a", Err(())),
        ("[a-b-c]", "a", Err(())),
        ("[", "a", Err(())),
        ("[^", "a", Err(())),
        ("[^bc", "a", Err(())),
        ("a[", "a", Err(())),
        ("a[", "ab", Err(())),
        ("*x", "xxx", Ok(true)),
    ];
    for &(pattern, text, ref want) in cases {
        let got = legacy_matches(text, &[pattern]);
        match want {
            Ok(want) => assert_eq!(got, Ok(*want), "Match({pattern:?}, {text:?})"),
            Err(()) => assert!(
                matches!(got, Err(PatternError::Bad { .. })),
                "Match({pattern:?}, {text:?}) = {got:?}, want ErrBadPattern"
            ),
        }
    }
}

// Mirrors upstream TestWildcardMatches, TestPatternMatches, TestExclusionPatternMatches*,
// TestPatternMatchesFolder*Exclusions, TestSingleExclamationError, TestMatchesWithNoPatterns
// and TestMatchesWithMalformedPatterns.
#[test]
fn test_small_upstream_cases() {
    assert_eq!(legacy_matches("fileutils.go", &["*"]), Ok(true));
    assert_eq!(legacy_matches("fileutils.go", &["*.go"]), Ok(true));
    assert_eq!(
        legacy_matches("fileutils.go", &["!fileutils.go", "*.go"]),
        Ok(true)
    );
    assert_eq!(
        legacy_matches("docs/README.md", &["docs", "!docs/README.md"]),
        Ok(false)
    );
    assert_eq!(
        legacy_matches("docs/README.md", &["docs/", "!docs/README.md"]),
        Ok(false)
    );
    assert_eq!(
        legacy_matches("docs/README.md", &["docs/*", "!docs/README.md"]),
        Ok(false)
    );
    assert_eq!(
        legacy_matches("fileutils.go", &["*.go", "!fileutils.go"]),
        Ok(false)
    );
    assert_eq!(legacy_matches(".", &["*.go"]), Ok(false));
    assert_eq!(
        legacy_matches("fileutils.go", &["!"]),
        Err(PatternError::LoneExclamation)
    );
    assert_eq!(legacy_matches("/any/path/there", &[]), Ok(false));
    assert!(matches!(
        legacy_matches("/any/path/there", &["["]),
        Err(PatternError::Bad { .. })
    ));
}

// Mirrors upstream TestCleanPatterns, TestCleanPatternsStripEmptyPatterns,
// TestCleanPatternsExceptionFlag, TestCleanPatternsLeadingSpaceTrimmed,
// TestCleanPatternsTrailingSpaceTrimmed and TestCleanPatternsErrorSingleException.
#[test]
fn test_clean_patterns() {
    let pm = PatternMatcher::new(["docs", "config"]).expect("valid");
    assert_eq!(pm.patterns().len(), 2);
    let pm = PatternMatcher::new(["docs", "config", ""]).expect("valid");
    assert_eq!(pm.patterns().len(), 2);
    for patterns in [
        ["docs", "!docs/README.md"],
        ["docs", "  !docs/README.md"],
        ["docs", "!docs/README.md  "],
    ] {
        assert!(PatternMatcher::new(patterns).expect("valid").exclusions());
    }
    assert_eq!(
        PatternMatcher::new(["!"]).err(),
        Some(PatternError::LoneExclamation)
    );
}

// Mirrors upstream TestCompile: the match kind chosen for each pattern.
#[test]
fn test_compile_kinds() {
    let cases = [
        ("*", "regex"),
        ("file*", "regex"),
        ("*file", "regex"),
        ("a*/b", "regex"),
        ("**", "suffix"),
        ("**/**", "regex"),
        ("dir/**", "prefix"),
        ("**/dir", "suffix"),
        ("**/dir2/*", "regex"),
        ("**/dir2/**", "regex"),
        ("**file", "suffix"),
        ("**/file*txt", "regex"),
        ("**/**/*.txt", "regex"),
        ("a[b-d]e", "regex"),
        (".*", "regex"),
        ("abc.def", "exact"),
        ("abc?def", "regex"),
        ("**/foo/bar", "suffix"),
        ("a(b)c/def", "exact"),
        ("a.|)$(}+{bc", "exact"),
        (
            "dist/proxy.py-2.4.0rc3.dev36+g08acad9-py3-none-any.whl",
            "exact",
        ),
    ];
    for (pattern, want) in cases {
        let pm = PatternMatcher::new([pattern]).expect("valid");
        let got = match &pm.patterns()[0].kind {
            Kind::Exact => "exact",
            Kind::Prefix => "prefix",
            Kind::Suffix => "suffix",
            Kind::Regex(Ok(_)) => "regex",
            Kind::Regex(Err(_)) => "bad",
        };
        assert_eq!(got, want, "pattern {pattern:?}");
    }
}

// Mirrors upstream TestMatchesOrParentMatchesMalformedPatternDoesNotPanicOnRepeatedCall:
// `[Local-Only]` passes filepath.Match but its range l-O is reversed, so every match errors.
#[test]
fn test_malformed_pattern_errors_on_every_call() {
    let pm = PatternMatcher::new(["[Local-Only]/"]).expect("passes initial validation");
    for _ in 0..2 {
        assert!(matches!(
            pm.matches_or_parent_matches("x"),
            Err(PatternError::Bad { .. })
        ));
    }
}

// Mirrors upstream ignorefile TestReadAll.
#[test]
fn test_read_all() {
    assert_eq!(parse_ignore_file(b""), Ok(Vec::new()));
    let content =
        "test1\n/test2\n/a/file/here\n\nlastfile\n# this is a comment\n! /inverted/abs/path\n!\n! ";
    let expected = [
        "test1",
        "test2",
        "a/file/here",
        "lastfile",
        "!inverted/abs/path",
        "!",
        "!",
    ];
    assert_eq!(
        parse_ignore_file(content.as_bytes()).expect("readable"),
        expected
    );
}

#[test]
fn read_all_details() {
    let content =
        b"\xEF\xBB\xBF# bom then comment\r\n  # indented is a pattern\r\nfoo/../bar\n/\n!../x\n";
    assert_eq!(
        parse_ignore_file(content).expect("readable"),
        ["# indented is a pattern", "bar", "/", "!../x"]
    );
    let long = "a".repeat(MAX_LINE + 1);
    assert_eq!(
        parse_ignore_file(long.as_bytes()),
        Err(PatternError::LineTooLong { line: 1 })
    );
    assert_eq!(
        parse_ignore_file("a".repeat(MAX_LINE).as_bytes()).map(|p| p.len()),
        Ok(1)
    );
}

// Behaviour pinned down against upstream beyond its own tables.
#[test]
fn upstream_quirks() {
    // New cleans before looking at `!`, so `!./x` is an exception for `./x`, which no path
    // equals (the ignore-file reader would have cleaned it to `!x` first).
    let pm = PatternMatcher::new(["**", "!./x"]).expect("valid");
    assert_eq!(pm.patterns()[1].as_str(), "./x");
    assert_eq!(pm.matches_or_parent_matches("x"), Ok(true));
    // `**foo` is a plain suffix test, so it also matches `barfoo`.
    check_all(&["**foo"], "barfoo", true);
    // A trailing `**` after a literal is a plain prefix test.
    check_all(&["foo**"], "foobar/baz", true);
    // Escapes pass through to Go's regexp: `\d` is a digit class there.
    check_all(&["a\\d"], "a7", true);
    check_all(&["a\\d"], "ad", false);
    // `[*]` becomes `[[^/]*]`: a class of `[`, `^`, `/` repeated, then a literal `]`.
    check_all(&["[*]"], "]", true);
    check_all(&["[*]"], "*", false);
    // `^` outside a class passes through as an anchor once the pattern is a regexp...
    check_all(&["a^b*"], "a^b", false);
    // ...but an otherwise literal pattern is compared as a string.
    check_all(&["a^b"], "a^b", true);
    // Upstream's escape table drops `{`, `|` and `}`, so in a regexp pattern they act as
    // Go regexp syntax: an alternation and a counted repetition.
    check_all(&["a|b*"], "a/x/y", true);
    check_all(&["a|b*"], "q/bz", true);
    check_all(&["a|b*"], "q/z", false);
    check_all(&["x{2}*"], "xxa", true);
    check_all(&["x{2}*"], "x{2}", false);
    // Without a wildcard the same pattern is a plain string.
    check_all(&["x{2}"], "x{2}", true);
    // A bad regexp behind an exception that is never reached is never reported.
    let pm = PatternMatcher::new(["a", "![z-a]"]).expect("valid");
    assert_eq!(pm.matches_or_parent_matches("b"), Ok(false));
    assert!(pm.matches_or_parent_matches("a").is_err());
    // Go regexp features whose meaning varies between Go releases are refused up front.
    assert!(matches!(
        PatternMatcher::new(["x\\pL"]),
        Err(PatternError::Unsupported { .. })
    ));
}

#[test]
fn escape_literal_matches_only_itself() {
    for name in [
        "Dockerfile",
        "dir/Dockerfile[1]",
        "we*ird?^name\\x",
        " spaced name ",
        "a.b(c)",
        "!bang",
    ] {
        let pattern = escape_literal(name);
        let pm = PatternMatcher::new([pattern.as_str()]).expect("escaped pattern is valid");
        assert_eq!(pm.matches_or_parent_matches(name), Ok(true), "{pattern:?}");
        assert_eq!(
            pm.matches_or_parent_matches(&format!("{name}x")),
            Ok(false),
            "{pattern:?}"
        );
        // As an exception, too.
        let pm = PatternMatcher::new(["**", &format!("!{pattern}")]).expect("valid");
        assert_eq!(pm.matches_or_parent_matches(name), Ok(false), "{pattern:?}");
    }
}

/// A small deterministic generator, so the no-panic sweep needs no extra crate.
struct XorShift(u64);

impl XorShift {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn string(&mut self, alphabet: &[&str], max_len: u64) -> String {
        let len = self.next() % (max_len + 1);
        (0..len)
            .map(|_| {
                let idx = usize::try_from(self.next() % alphabet.len() as u64).unwrap_or(0);
                alphabet[idx]
            })
            .collect()
    }
}

#[test]
fn random_patterns_never_panic() {
    let pattern_alphabet = [
        "*",
        "**",
        "?",
        "[",
        "]",
        "^",
        "!",
        "\\",
        "-",
        "/",
        "a",
        "b",
        "z",
        ".",
        "..",
        " ",
        ":",
        "[:alpha:]",
        "\\d",
        "\\x4",
        "\\Q",
        "\\E",
        "(",
        ")",
        "|",
        "{",
        "}",
        "$",
        "+",
        "é",
        "☺",
        "\\p",
        "\u{FEFF}",
        "#",
        "\r",
        "\n",
        "\t",
    ];
    let path_alphabet = [
        "a", "b", "z", "/", ".", "-", "]", "[", "^", "é", "☺", " ", "\n",
    ];
    let mut rng = XorShift(0x9E37_79B9_7F4A_7C15);
    for _ in 0..3_000 {
        let patterns: Vec<String> = (0..1 + rng.next() % 3)
            .map(|_| rng.string(&pattern_alphabet, 8))
            .collect();
        let path = rng.string(&path_alphabet, 10);
        let file = patterns.join("\n");
        let _ = parse_ignore_file(file.as_bytes());
        let _ = escape_literal(&path);
        if let Ok(pm) = PatternMatcher::new(&patterns) {
            let _ = pm.matches_or_parent_matches(&path);
            let _ = pm.matches_using_parent_results(&path, &MatchInfo::default());
            let _ = legacy_matches(
                &path,
                &patterns.iter().map(String::as_str).collect::<Vec<_>>(),
            );
            let mut info = MatchInfo::default();
            for dir in parent_dirs(&path) {
                match pm.matches_using_parent_results(&dir, &info) {
                    Ok((_, next)) => info = next,
                    Err(_) => break,
                }
            }
            let _ = pm.matches_using_parent_results(&path, &info);
        }
    }
}
