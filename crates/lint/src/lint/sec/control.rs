//! Whether a step of a known action does something (restores a cache, uses a long-lived
//! token), decided by its `with:` inputs, their defaults and the action's version: a small
//! three-valued logic over "controls", one per input. An input given by an expression makes
//! the answer "maybe".

use super::Uses;
use crate::expr::has_expr;
use crate::workflow::yaml::Node;

/// How an input is read.
#[derive(Debug, Clone, Copy)]
pub enum Kind {
    /// `true`/`false`; any other literal counts as true (actions coerce it so).
    Bool,
    /// Any non-empty value.
    Free,
    /// One of these values.
    Exact(&'static [&'static str]),
}

/// A condition over a step.
#[derive(Debug, Clone, Copy)]
pub enum Control {
    /// The input `name` read as `kind` turns the behaviour on (`on: true`) or off
    /// (`on: false`, an opt-out such as `lookup-only`); `default` is whether the behaviour is
    /// on when the input is absent.
    Input {
        /// The input.
        name: &'static str,
        /// How its value is read.
        kind: Kind,
        /// Whether a matching value turns the behaviour on.
        on: bool,
        /// Whether the behaviour is on without the input.
        default: bool,
    },
    /// The action's version (from the ref, or the `# vX` comment of a SHA pin) is below this
    /// major version.
    VersionBelow(u64),
    /// All of them.
    All(&'static [Control]),
    /// Any of them.
    Any(&'static [Control]),
    /// Always.
    Always,
}

/// A three-valued answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tri {
    /// Certainly.
    Yes,
    /// Certainly not.
    No,
    /// Depends on an expression or an unknown version.
    Maybe,
}

impl Tri {
    fn and(self, other: Tri) -> Tri {
        match (self, other) {
            (Tri::No, _) | (_, Tri::No) => Tri::No,
            (Tri::Maybe, _) | (_, Tri::Maybe) => Tri::Maybe,
            _ => Tri::Yes,
        }
    }

    fn or(self, other: Tri) -> Tri {
        match (self, other) {
            (Tri::Yes, _) | (_, Tri::Yes) => Tri::Yes,
            (Tri::Maybe, _) | (_, Tri::Maybe) => Tri::Maybe,
            _ => Tri::No,
        }
    }

    /// Yes or maybe.
    pub fn possible(self) -> bool {
        self != Tri::No
    }
}

/// A known action and when it does the thing a rule looks for.
#[derive(Debug, Clone, Copy)]
pub struct Coordinate {
    /// `owner/repo` or `owner/repo/path`.
    pub action: &'static str,
    /// When.
    pub when: Control,
}

/// What one step of a known action does: `(coordinate, answer)`, or `None` when the step is
/// not one of `coordinates`. `source` is the file's text, for the version comment of a SHA pin.
pub fn usage(
    coordinates: &'static [Coordinate],
    step: &Node,
    source: &str,
) -> Option<(&'static Coordinate, Tri)> {
    let uses_node = step.get("uses")?;
    let uses = Uses::of(uses_node)?;
    let coord = uses.find_in(coordinates, |c| c.action)?;
    let with = step.get("with");
    if with.is_some_and(|w| w.as_str().is_some_and(|s| has_expr(&s))) {
        return Some((coord, Tri::Maybe));
    }
    let version = version_of(&uses, uses_node, source);
    Some((coord, eval(&coord.when, with, version)))
}

/// The major version of an action reference: from a `vN...` ref, else from a `# vN...`
/// comment after a SHA pin.
fn version_of(uses: &Uses<'_>, node: &Node, source: &str) -> Option<u64> {
    let r = uses.repo()?;
    if let Some(v) = major(r.git_ref) {
        return Some(v);
    }
    let line_end = source[node.span.end.offset.min(source.len())..]
        .find('\n')
        .map_or(source.len(), |i| node.span.end.offset + i);
    let rest = source.get(node.span.end.offset..line_end)?;
    let comment = rest.split_once('#')?.1;
    comment
        .split_whitespace()
        .find_map(|w| major(w.trim_start_matches("tag=")))
}

fn major(s: &str) -> Option<u64> {
    let digits = s.strip_prefix('v').unwrap_or(s);
    let head: String = digits.chars().take_while(char::is_ascii_digit).collect();
    let rest = &digits[head.len()..];
    if head.is_empty() || !(rest.is_empty() || rest.starts_with('.')) {
        return None;
    }
    head.parse().ok()
}

fn eval(c: &Control, with: Option<&Node>, version: Option<u64>) -> Tri {
    match c {
        Control::Always => Tri::Yes,
        Control::VersionBelow(v) => match version {
            Some(have) if have < *v => Tri::Yes,
            Some(_) => Tri::No,
            None => Tri::Maybe,
        },
        Control::All(cs) => cs
            .iter()
            .fold(Tri::Yes, |acc, c| acc.and(eval(c, with, version))),
        Control::Any(cs) => cs
            .iter()
            .fold(Tri::No, |acc, c| acc.or(eval(c, with, version))),
        Control::Input {
            name,
            kind,
            on,
            default,
        } => {
            let Some(value) = with.and_then(|w| w.get(name)) else {
                return if *default { Tri::Yes } else { Tri::No };
            };
            let text = value.as_str().unwrap_or_default().trim();
            let matched = if has_expr(&text) {
                return Tri::Maybe;
            } else {
                match kind {
                    Kind::Bool => text != "false",
                    Kind::Free => !text.is_empty(),
                    Kind::Exact(values) => values.contains(&text),
                }
            };
            if matched == *on { Tri::Yes } else { Tri::No }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::workflow::yaml;

    static UV: &[Coordinate] = &[Coordinate {
        action: "astral-sh/setup-uv",
        when: Control::Any(&[
            Control::Input {
                name: "enable-cache",
                kind: Kind::Exact(&["true"]),
                on: true,
                default: false,
            },
            Control::All(&[
                Control::VersionBelow(10),
                Control::Input {
                    name: "enable-cache",
                    kind: Kind::Bool,
                    on: true,
                    default: true,
                },
            ]),
        ]),
    }];

    fn answer(step: &str) -> Option<Tri> {
        let root = yaml::parse(step).root.expect("root");
        usage(UV, &root, step).map(|(_, t)| t)
    }

    #[test]
    fn versions_and_inputs() {
        let sha = "ae62891fec2bb8e7d6c99fc78c9fec3a63790f8d";
        assert_eq!(
            answer(&format!("uses: astral-sh/setup-uv@{sha} # v6.5.0\n")),
            Some(Tri::Yes)
        );
        assert_eq!(
            answer(&format!("uses: astral-sh/setup-uv@{sha} # v10.0.0\n")),
            Some(Tri::No)
        );
        assert_eq!(
            answer(&format!("uses: astral-sh/setup-uv@{sha}\n")),
            Some(Tri::Maybe)
        );
        assert_eq!(
            answer("uses: astral-sh/setup-uv@v10.0.0\nwith:\n  enable-cache: true\n"),
            Some(Tri::Yes)
        );
        assert_eq!(
            answer("uses: astral-sh/setup-uv@v6\nwith:\n  enable-cache: auto\n"),
            Some(Tri::Yes)
        );
        assert_eq!(
            answer("uses: astral-sh/setup-uv@v6\nwith:\n  enable-cache: ${{ x }}\n"),
            Some(Tri::Maybe)
        );
        assert_eq!(answer("uses: actions/checkout@v4\n"), None);
        assert_eq!(major("v6.5.0"), Some(6));
        assert_eq!(major("release/v1"), None);
    }
}
