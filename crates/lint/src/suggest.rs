//! "Did you mean": the known names closest to an unknown one, by edit distance, ignoring case.
//!
//! Used by the lint rules and the expression checker when they report a name they do not know
//! (a runner label, a key, an event, a context, a function). It runs only when a finding is
//! reported, never on the clean path.

/// The known names close to an unknown one, the closest first.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Closest<'a> {
    names: Vec<&'a str>,
    certain: bool,
}

/// At most this many names are offered.
const MAX_SHOWN: usize = 3;

/// The distance within which a known name counts as close to `name`: a third of its length
/// (at least 1, at most 3), as rustc and cargo judge typos. Short names leave little room, so
/// `x` is never "close" to `x64`.
fn limit(name: &str) -> usize {
    (name.chars().count() / 3).clamp(1, 3)
}

/// The known names within [`limit`] of `name`, by optimal string alignment distance (an
/// adjacent transposition is one edit) between the lower-cased texts, that keep some of it: a
/// name differing in every character (`c` and `a`) is not a suggestion. A name equal to `name`
/// but for case is at distance 0. Duplicates (ignoring case) are kept once, the first spelling.
pub fn closest<'a>(name: &str, known: impl IntoIterator<Item = &'a str>) -> Closest<'a> {
    let want: Vec<char> = name.to_lowercase().chars().collect();
    let len = name.chars().count();
    let max = limit(name);
    let mut found: Vec<(usize, &'a str)> = Vec::new();
    let mut lower: Vec<char> = Vec::new();
    for k in known {
        if k == name || found.iter().any(|(_, f)| f.eq_ignore_ascii_case(k)) {
            continue;
        }
        // Cheap bound first: the length difference alone is at least the distance.
        let k_len = k.chars().count();
        if k_len.abs_diff(len) > max {
            continue;
        }
        lower.clear();
        if k.is_ascii() {
            lower.extend(k.bytes().map(|b| char::from(b.to_ascii_lowercase())));
        } else {
            lower.extend(k.to_lowercase().chars());
        }
        // The bounded look rejects most names after a few rows, and measures the rest.
        if let Some(d) = osa_within(&want, &lower, max)
            && d < len.min(k_len)
        {
            found.push((d, k));
        }
    }
    found.sort_by_key(|&(d, _)| d);
    // Certain: one name is closer than every other close one.
    let certain = match found.as_slice() {
        [_] => true,
        [(a, _), (b, _), ..] => a < b,
        [] => false,
    };
    Closest {
        names: found.into_iter().take(MAX_SHOWN).map(|(_, k)| k).collect(),
        certain,
    }
}

/// The optimal string alignment distance between `a` and `b` (as `strsim::osa_distance`
/// counts it) when it is at most `max`, else `None`. It gives up as soon as two rows running
/// hold nothing within `max`: a transposition skips one row of the table, never two, and
/// distances only grow along an alignment, so the end cannot be within `max` either. Most
/// known names differ from the unknown one early, so few rows are filled.
fn osa_within(a: &[char], b: &[char], max: usize) -> Option<usize> {
    let width = b.len() + 1;
    let mut before: Vec<usize> = (0..width).collect();
    let mut prev: Vec<usize> = (0..width).collect();
    let mut cur: Vec<usize> = vec![0; width];
    let mut prev_min = 0;
    for (i, &ac) in a.iter().enumerate() {
        cur[0] = i + 1;
        let mut row_min = cur[0];
        for (j, &bc) in b.iter().enumerate() {
            let cost = usize::from(ac != bc);
            let mut d = (cur[j] + 1).min(prev[j + 1] + 1).min(prev[j] + cost);
            if i > 0 && j > 0 && ac != bc && ac == b[j - 1] && bc == a[i - 1] {
                d = d.min(before[j - 1] + 1);
            }
            cur[j + 1] = d;
            row_min = row_min.min(d);
        }
        if row_min > max && prev_min > max {
            return None;
        }
        prev_min = row_min;
        std::mem::swap(&mut before, &mut prev);
        std::mem::swap(&mut prev, &mut cur);
    }
    let d = prev[b.len()];
    (d <= max).then_some(d)
}

impl<'a> Closest<'a> {
    /// No known name is close.
    pub fn is_empty(&self) -> bool {
        self.names.is_empty()
    }

    /// The one name meant, when it is certain: a fix can replace the unknown name with it.
    pub fn certain(&self) -> Option<&'a str> {
        self.certain.then(|| self.names.first().copied()).flatten()
    }

    /// The close names, closest first (at most three).
    pub fn names(&self) -> &[&'a str] {
        &self.names
    }

    /// `did you mean "a"?` or `did you mean "a", "b" or "c"?`; `None` when nothing is close.
    pub fn did_you_mean(&self) -> Option<String> {
        let quoted: Vec<String> = match self.certain() {
            Some(one) => vec![format!("{one:?}")],
            None => self.names.iter().map(|n| format!("{n:?}")).collect(),
        };
        match quoted.as_slice() {
            [] => None,
            [one] => Some(format!("did you mean {one}?")),
            [init @ .., last] => Some(format!("did you mean {} or {last}?", init.join(", "))),
        }
    }

    /// Help for a choice that is not certain: `replace "x" with one of "a", "b"`.
    pub fn choice_help(&self, name: &str) -> Option<String> {
        if self.certain || self.names.is_empty() {
            return None;
        }
        let list: Vec<String> = self.names.iter().map(|n| format!("{n:?}")).collect();
        Some(format!("replace {name:?} with one of {}", list.join(", ")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const LABELS: &[&str] = &[
        "ubuntu-latest",
        "ubuntu-24.04",
        "ubuntu-22.04",
        "macos-14",
        "macos-15",
        "macos-26",
        "windows-latest",
    ];

    #[test]
    fn one_close_name_is_certain() {
        let c = closest("ubuntu-latst", LABELS.iter().copied());
        assert_eq!(c.certain(), Some("ubuntu-latest"));
        assert_eq!(
            c.did_you_mean().as_deref(),
            Some("did you mean \"ubuntu-latest\"?")
        );
        assert_eq!(c.choice_help("ubuntu-latst"), None);
    }

    #[test]
    fn case_and_transposition() {
        assert_eq!(
            closest("Ubuntu-Latest", LABELS.iter().copied()).certain(),
            Some("ubuntu-latest")
        );
        assert_eq!(
            closest("ubuntu-latset", LABELS.iter().copied()).certain(),
            Some("ubuntu-latest")
        );
    }

    #[test]
    fn a_tie_is_a_choice() {
        let c = closest("macos-1", LABELS.iter().copied());
        assert_eq!(c.certain(), None);
        assert_eq!(c.names(), ["macos-14", "macos-15", "macos-26"]);
        assert_eq!(
            c.did_you_mean().as_deref(),
            Some("did you mean \"macos-14\", \"macos-15\" or \"macos-26\"?")
        );
        assert_eq!(
            c.choice_help("macos-1").as_deref(),
            Some("replace \"macos-1\" with one of \"macos-14\", \"macos-15\", \"macos-26\"")
        );
    }

    #[test]
    fn nothing_close() {
        let c = closest("gpu", LABELS.iter().copied());
        assert!(c.is_empty());
        assert_eq!(c.did_you_mean(), None);
        assert_eq!(closest("x", ["x64"]).did_you_mean(), None);
        assert_eq!(closest("c", ["a", "b"]).did_you_mean(), None);
        assert_eq!(closest("ab", ["ac"]).certain(), Some("ac"));
    }

    #[test]
    fn duplicates_and_the_name_itself_are_skipped() {
        let c = closest("jobz", ["jobs", "JOBS", "jobz"]);
        assert_eq!(c.names(), ["jobs"]);
        assert_eq!(c.certain(), Some("jobs"));
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(5000))]
        #[test]
        fn osa_within_agrees_with_strsim(
            a in "[abc\u{e9}-]{0,9}",
            b in "[abc\u{e9}-]{0,9}",
            max in 0usize..5,
        ) {
            let ac: Vec<char> = a.chars().collect();
            let bc: Vec<char> = b.chars().collect();
            let d = strsim::osa_distance(&a, &b);
            proptest::prop_assert_eq!(osa_within(&ac, &bc, max), (d <= max).then_some(d));
        }
    }
}
