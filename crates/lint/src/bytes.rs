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

/// The offsets of every `needle` in `haystack`, in order.
pub fn positions(needle: u8, haystack: &[u8]) -> impl Iterator<Item = usize> + '_ {
    let mut from = 0;
    std::iter::from_fn(move || {
        let at = from + find(needle, haystack.get(from..)?)?;
        from = at + 1;
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
        assert_eq!(positions(b'\n', b"").count(), 0);
    }
}
