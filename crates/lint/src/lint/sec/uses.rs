//! `uses:` references taken apart: a repository action or reusable workflow
//! (`owner/repo[/path]@ref`), a Docker image (`docker://image[:tag][@digest]`) or a path in this
//! repository (`./path`, `$/path`).

use crate::expr::has_expr;
use crate::workflow::yaml::Node;
use rustc_hash::FxHashMap;
use std::cell::RefCell;

/// A parsed `uses:` value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Uses<'a> {
    /// `./path` or `$/path`: this repository.
    Local {
        /// The whole value.
        raw: &'a str,
        /// Whether written with GitHub's self-repository syntax (`$/`).
        self_repository: bool,
    },
    /// `docker://image`.
    Docker(Image<'a>),
    /// `owner/repo[/path]@ref`.
    Repo(Repo<'a>),
}

/// An action or reusable workflow of some repository.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Repo<'a> {
    /// The owner.
    pub owner: &'a str,
    /// The repository.
    pub repo: &'a str,
    /// The path inside the repository, if any.
    pub path: Option<&'a str>,
    /// The ref after `@` (empty when missing).
    pub git_ref: &'a str,
}

/// A container image reference.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Image<'a> {
    /// Registry and repository (`ghcr.io/o/app`, `ubuntu`).
    pub name: &'a str,
    /// The tag, if any.
    pub tag: Option<&'a str>,
    /// The digest (`sha256:...`), if any.
    pub digest: Option<&'a str>,
}

impl<'a> Image<'a> {
    /// Splits `name[:tag][@digest]`; a `:` before the last `/` belongs to a registry port.
    pub fn parse(s: &'a str) -> Image<'a> {
        let s = s.trim();
        let (rest, digest) = match s.split_once('@') {
            Some((r, d)) => (r, Some(d)),
            None => (s, None),
        };
        let slash = rest.rfind('/').map_or(0, |i| i + 1);
        match rest[slash..].rfind(':') {
            Some(i) => Image {
                name: &rest[..slash + i],
                tag: Some(&rest[slash + i + 1..]),
                digest,
            },
            None => Image {
                name: rest,
                tag: None,
                digest,
            },
        }
    }
}

impl<'a> Repo<'a> {
    /// `owner/repo`.
    pub fn slug(&self) -> String {
        // Not `format!`: its machinery costs several times the copy, for every step.
        let mut slug = String::with_capacity(self.owner.len() + 1 + self.repo.len());
        slug.push_str(self.owner);
        slug.push('/');
        slug.push_str(self.repo);
        slug
    }

    /// Whether the ref is a full commit SHA (40 hex digits), the only pin nobody can move.
    pub fn is_hash_pinned(&self) -> bool {
        self.git_ref.len() == 40 && self.git_ref.bytes().all(|b| b.is_ascii_hexdigit())
    }
}

impl<'a> Uses<'a> {
    /// Parses a `uses:` value; `None` when it is none of the three forms (or holds an
    /// expression, which GitHub refuses there).
    pub fn parse(s: &'a str) -> Option<Uses<'a>> {
        Split::of(s).over(s)
    }

    /// Parses the `uses:` scalar `node`. While a file's rules run ([`with_memo`]) the parse is
    /// remembered for the node: a dozen rules ask for the `uses:` of every step.
    pub fn of(node: &'a Node) -> Option<Uses<'a>> {
        let text = node.as_str()?;
        let key = std::ptr::from_ref(node) as usize;
        let known = MEMO.with(|m| {
            let memo = m.borrow();
            // The text is compared too: a node of another document (a callee parsed and
            // dropped meanwhile) may have taken the same address.
            let (seen, split) = memo.as_ref()?.get(&key)?;
            (**seen == *text).then_some(*split)
        });
        let split = known.unwrap_or_else(|| {
            let split = Split::of(text);
            MEMO.with(|m| {
                if let Some(memo) = m.borrow_mut().as_mut() {
                    memo.insert(key, (text.into(), split));
                }
            });
            split
        });
        split.over(text)
    }

    /// Whether this is the repository action `slug` (`owner/repo` or `owner/repo/path`),
    /// compared without case as GitHub does.
    pub fn is(&self, slug: &str) -> bool {
        let Uses::Repo(r) = self else {
            return false;
        };
        // Most comparisons fail on the length alone.
        if self.slug_len() != Some(slug.len()) {
            return false;
        }
        // Then part by part in place: the owner and the repository hold no `/`, so the slug's
        // slashes must fall where the reference's do.
        let want = slug.as_bytes();
        let (o, n) = (r.owner.len(), r.repo.len());
        want[..o].eq_ignore_ascii_case(r.owner.as_bytes())
            && want[o] == b'/'
            && want[o + 1..o + 1 + n].eq_ignore_ascii_case(r.repo.as_bytes())
            && r.path.is_none_or(|p| {
                want[o + 1 + n] == b'/' && want[o + 2 + n..].eq_ignore_ascii_case(p.as_bytes())
            })
    }

    /// The first of `items` whose slug (`slug(item)`) this reference [`is`](Uses::is): the
    /// reference's length is taken once, and the slugs of another length, most of a list, are
    /// passed over on that alone. The rules look every step up in lists of a dozen actions.
    pub fn find_in<'t, T>(&self, items: &'t [T], slug: impl Fn(&T) -> &str) -> Option<&'t T> {
        let len = self.slug_len()?;
        items.iter().find(|item| {
            let s = slug(item);
            s.len() == len && self.is(s)
        })
    }

    /// The length of `owner/repo` or `owner/repo/path`, for repository references.
    fn slug_len(&self) -> Option<usize> {
        let Uses::Repo(r) = self else {
            return None;
        };
        Some(r.owner.len() + 1 + r.repo.len() + r.path.map_or(0, |p| p.len() + 1))
    }

    /// The repository, for repository references.
    pub fn repo(&self) -> Option<&Repo<'a>> {
        match self {
            Uses::Repo(r) => Some(r),
            _ => None,
        }
    }
}

/// The parse of each `uses:` scalar, by the node's address, with the text it was made from.
type Memo = FxHashMap<usize, (Box<str>, Split)>;

thread_local! {
    /// While a file is linted ([`with_memo`]): its [`Memo`].
    static MEMO: RefCell<Option<Memo>> = const { RefCell::new(None) };
}

/// Runs `f` (the rules over one file) with [`Uses::of`] remembering its parses; they are
/// forgotten when `f` returns.
pub fn with_memo<R>(f: impl FnOnce() -> R) -> R {
    MEMO.with(|m| *m.borrow_mut() = Some(FxHashMap::default()));
    let r = f();
    MEMO.with(|m| *m.borrow_mut() = None);
    r
}

/// A parse of a `uses:` value as offsets into it, which [`Uses::of`] can keep for a node and
/// lay over the node's text again.
#[derive(Debug, Clone, Copy)]
struct Split {
    /// The value without surrounding white space: `start..end`.
    start: usize,
    end: usize,
    form: Form,
}

/// Which form the trimmed value has, and where a repository reference splits (offsets into
/// the trimmed value).
#[derive(Debug, Clone, Copy)]
enum Form {
    None,
    Local {
        self_repository: bool,
    },
    Docker,
    Repo {
        /// The `@` before the ref, if any.
        at: Option<usize>,
        /// The `/` after the owner.
        slash: usize,
        /// The `/` after the repository, before a path, if any.
        path: Option<usize>,
    },
}

impl Split {
    /// Takes `raw` apart (see [`Uses::parse`]).
    fn of(raw: &str) -> Split {
        let start = raw.len() - raw.trim_start().len();
        let s = raw[start..].trim_end();
        let form = Form::of(s);
        Split {
            start,
            end: start + s.len(),
            form,
        }
    }

    /// The reference this split describes, over the text it was made from.
    fn over(self, raw: &str) -> Option<Uses<'_>> {
        let s = raw.get(self.start..self.end)?;
        match self.form {
            Form::None => None,
            Form::Local { self_repository } => Some(Uses::Local {
                raw: s,
                self_repository,
            }),
            Form::Docker => Some(Uses::Docker(Image::parse(&s["docker://".len()..]))),
            Form::Repo { at, slash, path } => {
                let end = at.unwrap_or(s.len());
                Some(Uses::Repo(Repo {
                    owner: &s[..slash],
                    repo: &s[slash + 1..path.unwrap_or(end)],
                    path: path.map(|p| &s[p + 1..end]),
                    git_ref: at.map_or("", |a| &s[a + 1..]),
                }))
            }
        }
    }
}

impl Form {
    /// The form of a trimmed `uses:` value.
    fn of(s: &str) -> Form {
        if has_expr(&s) {
            return Form::None;
        }
        if s.starts_with("./") || s.starts_with("../") || s == "." {
            return Form::Local {
                self_repository: false,
            };
        }
        if s.starts_with("$/") {
            return Form::Local {
                self_repository: true,
            };
        }
        if s.starts_with("docker://") {
            return Form::Docker;
        }
        // Byte searches: `uses:` values are short, but there is one in most steps.
        let at = crate::bytes::find(b'@', s.as_bytes());
        let end = at.unwrap_or(s.len());
        let Some(slash) = crate::bytes::find(b'/', &s.as_bytes()[..end]) else {
            return Form::None;
        };
        let path = crate::bytes::find(b'/', &s.as_bytes()[slash + 1..end]).map(|i| slash + 1 + i);
        let repo_end = path.unwrap_or(end);
        if slash == 0 || repo_end == slash + 1 {
            return Form::None;
        }
        Form::Repo { at, slash, path }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forms() {
        let Some(Uses::Repo(r)) = Uses::parse("github/codeql-action/init@v3") else {
            panic!("repo")
        };
        assert_eq!(
            (r.owner, r.repo, r.path, r.git_ref),
            ("github", "codeql-action", Some("init"), "v3")
        );
        assert!(!r.is_hash_pinned());
        assert!(
            Uses::parse("actions/checkout@11bd71901bbe5b1630ceea73d27597364c9af683")
                .and_then(|u| u.repo().map(Repo::is_hash_pinned))
                .unwrap_or(false)
        );
        assert!(matches!(
            Uses::parse("$/x"),
            Some(Uses::Local {
                self_repository: true,
                ..
            })
        ));
        assert!(Uses::parse("Actions/Checkout@v4").is_some_and(|u| u.is("actions/checkout")));
        assert!(!Uses::parse("actions/checkout/x@v4").is_some_and(|u| u.is("actions/checkout")));
        let is = |uses: &str, slug: &str| Uses::parse(uses).is_some_and(|u| u.is(slug));
        assert!(is(
            "Github/CodeQL-Action/Init@v3",
            "github/codeql-action/init"
        ));
        assert!(is("a/b/c/d@v1", "a/b/c/d"));
        assert!(!is("a/b/c/d@v1", "a/b/c/e"));
        // Same length, slashes elsewhere.
        assert!(!is("ab/c@v1", "a/bc"));
        assert!(!is("a/bc@v1", "a/b/c"));
        assert!(!is("a/b/c@v1", "a/bxc"));
        assert!(!is("a/b@v1", "a/bc"));
    }

    /// `find_in` finds what a search with `is` finds, in the same order.
    #[test]
    fn find_in_is_a_search_with_is() {
        let list: &[(&str, u8)] = &[
            ("actions/checkout", 1),
            ("github/codeql-action/init", 2),
            ("a/bc", 3),
            ("ab/c", 4),
            ("Actions/Checkout", 5),
        ];
        for uses in [
            "actions/checkout@v4",
            "ACTIONS/checkout@v4",
            "github/codeql-action/init@v3",
            "ab/c@v1",
            "a/bc@v1",
            "a/b/c@v1",
            "other/action@v1",
            "./local",
            "docker://alpine:3",
        ] {
            let u = Uses::parse(uses).expect(uses);
            let want = list.iter().find(|(a, _)| u.is(a));
            assert_eq!(u.find_in(list, |(a, _)| a), want, "{uses}");
        }
    }

    #[test]
    fn a_remembered_parse_is_the_parse() {
        let src =
            "a: ' actions/checkout@v4 '\nb: docker://ubuntu:24.04\nc: $/x\nd: ${{ x }}/y@v1\n";
        let root = crate::workflow::yaml::parse(src).root.expect("root");
        with_memo(|| {
            for key in ["a", "b", "c", "d"] {
                let node = root.get(key).expect("key");
                let text = node.as_str().expect("scalar");
                // The first ask fills the memo, the second reads it.
                assert_eq!(Uses::of(node), Uses::parse(text), "{key}");
                assert_eq!(Uses::of(node), Uses::parse(text), "{key}");
            }
        });
    }

    #[test]
    fn images() {
        let i = Image::parse("localhost:5000/a/b:1.0@sha256:abc");
        assert_eq!(
            (i.name, i.tag, i.digest),
            ("localhost:5000/a/b", Some("1.0"), Some("sha256:abc"))
        );
        let i = Image::parse("localhost:5000/app");
        assert_eq!((i.name, i.tag), ("localhost:5000/app", None));
        assert_eq!(Image::parse("ubuntu").tag, None);
    }
}
