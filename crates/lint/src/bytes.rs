//! Byte searches for the hot paths (`${{` in every scalar, `@` and `/` in every `uses:`, the
//! line starts of a file): SIMD through `memchr`, but its SSE2 searcher on x86-64, which every
//! x86-64 processor has. `memchr`'s default searcher picks AVX2 at run time, and that detection
//! (`cpuid`, which traps to the hypervisor in a VM) cost about 1 % of a one-file run.

/// The offset of the first `needle` in `haystack`.
pub fn find(needle: u8, haystack: &[u8]) -> Option<usize> {
    #[cfg(all(target_arch = "x86_64", target_feature = "sse2"))]
    if let Some(one) = memchr::arch::x86_64::sse2::memchr::One::new(needle) {
        return one.find(haystack);
    }
    memchr::memchr(needle, haystack)
}

/// The offset of the first `a` or `b` in `haystack`.
#[inline]
pub fn find2(a: u8, b: u8, haystack: &[u8]) -> Option<usize> {
    #[cfg(all(target_arch = "x86_64", target_feature = "sse2"))]
    if let Some(two) = memchr::arch::x86_64::sse2::memchr::Two::new(a, b) {
        return two.find(haystack);
    }
    memchr::memchr2(a, b, haystack)
}

/// The offset of the last `needle` in `haystack`: std's `rfind` of a character reads a byte
/// at a time after its setup, which the line starts of positions and fixes paid for.
pub fn rfind(needle: u8, haystack: &[u8]) -> Option<usize> {
    #[cfg(all(target_arch = "x86_64", target_feature = "sse2"))]
    if let Some(one) = memchr::arch::x86_64::sse2::memchr::One::new(needle) {
        return one.rfind(haystack);
    }
    memchr::memrchr(needle, haystack)
}

/// How many `needle`s `haystack` holds.
pub fn count(needle: u8, haystack: &[u8]) -> usize {
    #[cfg(all(target_arch = "x86_64", target_feature = "sse2"))]
    if let Some(one) = memchr::arch::x86_64::sse2::memchr::One::new(needle) {
        return one.count(haystack);
    }
    memchr::memchr_iter(needle, haystack).count()
}

/// The offsets of every `needle` in `haystack`, in order.
pub fn positions(needle: u8, haystack: &[u8]) -> impl Iterator<Item = usize> + '_ {
    let mut from = 0;
    std::iter::from_fn(move || {
        let at = from + find(needle, haystack.get(from..)?)?;
        from = at + 1;
        Some(at)
    })
}

/// The offset of the first `needle` in `haystack`, as `haystack.find(needle)` gives it: for a
/// short needle (`${{`, `::`) in a short text, a byte search for its first byte beats setting
/// up std's two-way searcher on every call.
pub fn find_str(needle: &str, haystack: &str) -> Option<usize> {
    let (n, h) = (needle.as_bytes(), haystack.as_bytes());
    let Some(&first) = n.first() else {
        return Some(0);
    };
    positions(first, h).find(|&at| h[at..].starts_with(n))
}

/// The offsets of `needle` in `haystack` from left to right, not overlapping, as
/// `haystack.match_indices(needle)` gives them; `needle` is not empty.
pub fn str_positions<'h>(needle: &'h str, haystack: &'h str) -> impl Iterator<Item = usize> + 'h {
    let mut from = 0;
    std::iter::from_fn(move || {
        let at = from + find_str(needle, haystack.get(from..)?)?;
        from = at + needle.len().max(1);
        Some(at)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_every_position() {
        // Longer than one vector, with needles at both ends and across a 16-byte boundary.
        let text = b"$abc${{ x }}....$$......$......................$";
        let want: Vec<usize> = (0..text.len()).filter(|&i| text[i] == b'$').collect();
        assert_eq!(positions(b'$', text).collect::<Vec<_>>(), want);
        assert_eq!(find(b'$', text), Some(0));
        assert_eq!(find(b'#', text), None);
        assert_eq!(rfind(b'$', text), want.last().copied());
        assert_eq!(rfind(b'#', text), None);
        assert_eq!(rfind(b'$', b""), None);
        let two: Vec<usize> = (0..text.len())
            .filter(|&i| b"x}".contains(&text[i]))
            .collect();
        assert_eq!(find2(b'x', b'}', text), two.first().copied());
        assert_eq!(find2(b'}', b'x', &text[9..]), Some(two[1] - 9));
        assert_eq!(find2(b'#', b'%', text), None);
        assert_eq!(positions(b'\n', b"").count(), 0);
        assert_eq!(count(b'$', text), want.len());
        assert_eq!(count(b'#', text), 0);
    }

    #[test]
    fn finds_text_as_std_does() {
        let texts = [
            "",
            ":",
            "::",
            ":::",
            "::::",
            "a::b::c",
            "echo ::set-output name=x::1",
            "${{",
            "$${{ x }}",
            "${ {{",
            "é::ü${{ }}",
            "}}}",
            "x}}y}}",
        ];
        let long = format!("{}\n{}\n{}", "a".repeat(40), "é".repeat(30), "b".repeat(70));
        for t in texts.iter().copied().chain([long.as_str()]) {
            for b in [b':', b'\n', b'$', b'}'] {
                assert_eq!(
                    rfind(b, t.as_bytes()),
                    t.rfind(char::from(b)),
                    "{b} in {t:?}"
                );
            }
        }
        for t in texts {
            for needle in ["::", "${{", "}}", ":"] {
                assert_eq!(find_str(needle, t), t.find(needle), "{needle:?} in {t:?}");
                let std: Vec<usize> = t.match_indices(needle).map(|(i, _)| i).collect();
                let ours: Vec<usize> = str_positions(needle, t).collect();
                assert_eq!(ours, std, "{needle:?} in {t:?}");
            }
        }
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(5000))]
        #[test]
        fn text_searches_agree_with_std(
            text in "(:|\\$|\\{|\\}|a| |\u{e9}){0,24}",
            needle in "(::|\\$\\{\\{|\\}\\}|:|a:)",
        ) {
            proptest::prop_assert_eq!(find_str(&needle, &text), text.find(needle.as_str()));
            let std: Vec<usize> = text.match_indices(needle.as_str()).map(|(i, _)| i).collect();
            proptest::prop_assert_eq!(str_positions(&needle, &text).collect::<Vec<_>>(), std);
        }
    }
}
