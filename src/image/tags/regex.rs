//! A small backtracking regular-expression matcher for `type=match` and `match=`.
//!
//! metadata-action hands these patterns to JavaScript's `RegExp`; this covers the part of that
//! syntax tag patterns use: literals, `.`, classes (`[a-z]`, `[^/]`, `\d`, `\w`, `\s`), groups
//! (capturing and `(?:...)`), alternation, greedy and lazy quantifiers (`* + ? {n,m}`), the
//! anchors `^ $ \b`, and the `i` flag. Lookaround and back-references are rejected.
//! Inputs are tag names (at most a few hundred characters), so backtracking cost is moot.

/// A compiled pattern.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Regex {
    alternatives: Vec<Vec<Node>>,
    groups: usize,
    ignore_case: bool,
}

#[derive(Debug, Clone, PartialEq)]
enum Node {
    Char(char),
    Any,
    Class {
        items: Vec<ClassItem>,
        negated: bool,
    },
    Start,
    End,
    WordBoundary,
    Group {
        index: Option<usize>,
        alternatives: Vec<Vec<Node>>,
    },
    Repeat {
        node: Box<Node>,
        min: usize,
        max: Option<usize>,
        greedy: bool,
    },
}

#[derive(Debug, Clone, PartialEq)]
enum ClassItem {
    Range(char, char),
    Digit(bool),
    Word(bool),
    Space(bool),
}

type Caps = Vec<Option<(usize, usize)>>;

impl Regex {
    /// Compiles `pattern` with JavaScript flags (`i` is honoured; `g`, `m`, `s`, `u` are
    /// accepted and make no difference for a single-line tag).
    pub(crate) fn new(pattern: &str, flags: &str) -> Result<Self, String> {
        if let Some(bad) = flags.chars().find(|c| !"gimsuy".contains(*c)) {
            return Err(format!(
                "unknown flag `{bad}`; use `i` for case-insensitive"
            ));
        }
        let mut parser = Parser {
            chars: pattern.chars().collect(),
            pos: 0,
            groups: 0,
        };
        let alternatives = parser.alternation()?;
        if parser.pos < parser.chars.len() {
            return Err("unbalanced `)`; escape it as `\\)`".to_owned());
        }
        Ok(Self {
            alternatives,
            groups: parser.groups,
            ignore_case: flags.contains('i'),
        })
    }

    /// Compiles a `/pattern/flags` literal, or a bare pattern, as metadata-action does for
    /// `type=match`.
    pub(crate) fn from_literal_or_pattern(text: &str) -> Result<Self, String> {
        if let Some(body) = text.strip_prefix('/')
            && let Some(end) = body.rfind('/')
            && end > 0
        {
            return Self::new(&body[..end], &body[end + 1..]);
        }
        Self::new(text, "")
    }

    /// The first match in `text`: group 0 is the whole match, then each capturing group
    /// (`None` when it did not take part).
    pub(crate) fn captures(&self, text: &str) -> Option<Vec<Option<String>>> {
        let chars: Vec<char> = text.chars().collect();
        let matcher = Matcher {
            text: &chars,
            ignore_case: self.ignore_case,
        };
        for start in 0..=chars.len() {
            let mut caps: Caps = vec![None; self.groups + 1];
            let group = Node::Group {
                index: Some(0),
                alternatives: self.alternatives.clone(),
            };
            if matcher.node(&group, start, &mut caps, &mut |_, _| true) {
                return Some(
                    caps.iter()
                        .map(|c| c.map(|(s, e)| chars[s..e].iter().collect()))
                        .collect(),
                );
            }
        }
        None
    }
}

struct Parser {
    chars: Vec<char>,
    pos: usize,
    groups: usize,
}

impl Parser {
    fn peek(&self) -> Option<char> {
        self.chars.get(self.pos).copied()
    }

    fn alternation(&mut self) -> Result<Vec<Vec<Node>>, String> {
        let mut alternatives = vec![self.sequence()?];
        while self.peek() == Some('|') {
            self.pos += 1;
            alternatives.push(self.sequence()?);
        }
        Ok(alternatives)
    }

    fn sequence(&mut self) -> Result<Vec<Node>, String> {
        let mut nodes = Vec::new();
        while let Some(c) = self.peek() {
            if c == '|' || c == ')' {
                break;
            }
            let atom = self.atom()?;
            nodes.push(self.quantified(atom)?);
        }
        Ok(nodes)
    }

    fn atom(&mut self) -> Result<Node, String> {
        let c = self.peek().ok_or("unexpected end")?;
        self.pos += 1;
        Ok(match c {
            '.' => Node::Any,
            '^' => Node::Start,
            '$' => Node::End,
            '[' => self.class()?,
            '(' => {
                let index = if self.chars[self.pos..].starts_with(&['?', ':']) {
                    self.pos += 2;
                    None
                } else if self.peek() == Some('?') {
                    return Err("lookaround `(?...)` is not supported; use a plain group".into());
                } else {
                    self.groups += 1;
                    Some(self.groups)
                };
                let alternatives = self.alternation()?;
                if self.peek() != Some(')') {
                    return Err("unclosed `(`; add `)`".to_owned());
                }
                self.pos += 1;
                Node::Group {
                    index,
                    alternatives,
                }
            }
            '*' | '+' | '?' => return Err(format!("`{c}` has nothing to repeat; escape it")),
            '\\' => self.escape(false)?,
            c => Node::Char(c),
        })
    }

    fn escape(&mut self, in_class: bool) -> Result<Node, String> {
        let c = self.peek().ok_or("pattern ends with `\\`")?;
        self.pos += 1;
        let class = |item| Node::Class {
            items: vec![item],
            negated: false,
        };
        Ok(match c {
            'd' | 'D' => class(ClassItem::Digit(c == 'd')),
            'w' | 'W' => class(ClassItem::Word(c == 'w')),
            's' | 'S' => class(ClassItem::Space(c == 's')),
            'b' if !in_class => Node::WordBoundary,
            'n' => Node::Char('\n'),
            't' => Node::Char('\t'),
            'r' => Node::Char('\r'),
            '1'..='9' => return Err("back-references are not supported".to_owned()),
            c => Node::Char(c),
        })
    }

    fn class(&mut self) -> Result<Node, String> {
        let negated = self.peek() == Some('^');
        if negated {
            self.pos += 1;
        }
        let mut items = Vec::new();
        loop {
            let c = self.peek().ok_or("unclosed `[`; add `]`")?;
            self.pos += 1;
            let low = match c {
                ']' => break,
                '\\' => match self.escape(true)? {
                    Node::Char(c) => c,
                    Node::Class { items: inner, .. } => {
                        items.extend(inner);
                        continue;
                    }
                    _ => continue,
                },
                c => c,
            };
            let is_range = self.peek() == Some('-') && self.chars.get(self.pos + 1) != Some(&']');
            if is_range && self.chars.get(self.pos + 1).is_some() {
                let high = self.chars[self.pos + 1];
                self.pos += 2;
                if high < low {
                    return Err(format!("range `{low}-{high}` is out of order"));
                }
                items.push(ClassItem::Range(low, high));
            } else {
                items.push(ClassItem::Range(low, low));
            }
        }
        Ok(Node::Class { items, negated })
    }

    fn quantified(&mut self, atom: Node) -> Result<Node, String> {
        let (min, max) = match self.peek() {
            Some('*') => (0, None),
            Some('+') => (1, None),
            Some('?') => (0, Some(1)),
            Some('{') => match self.braces() {
                Some(bounds) => bounds,
                // JavaScript reads a `{` that starts no quantifier as a literal.
                None => return Ok(atom),
            },
            _ => return Ok(atom),
        };
        if matches!(atom, Node::Start | Node::End | Node::WordBoundary) {
            return Err("an anchor cannot be repeated".to_owned());
        }
        // Step over the quantifier character, or the closing brace `braces` stopped on.
        self.pos += 1;
        let greedy = self.peek() != Some('?');
        if !greedy {
            self.pos += 1;
        }
        Ok(Node::Repeat {
            node: Box::new(atom),
            min,
            max,
            greedy,
        })
    }

    /// Reads `{n}`, `{n,}` or `{n,m}`, leaving `pos` on the closing brace.
    fn braces(&mut self) -> Option<(usize, Option<usize>)> {
        let rest: String = self.chars[self.pos + 1..].iter().collect();
        let close = rest.find('}')?;
        let inner = &rest[..close];
        let (min, max) = match inner.split_once(',') {
            None => {
                let n = inner.parse().ok()?;
                (n, Some(n))
            }
            Some((lo, "")) => (lo.parse().ok()?, None),
            Some((lo, hi)) => (lo.parse().ok()?, Some(hi.parse().ok()?)),
        };
        self.pos += 1 + inner.chars().count();
        Some((min, max))
    }
}

struct Matcher<'a> {
    text: &'a [char],
    ignore_case: bool,
}

type Cont<'k> = dyn FnMut(usize, &mut Caps) -> bool + 'k;

impl Matcher<'_> {
    fn seq(&self, nodes: &[Node], pos: usize, caps: &mut Caps, k: &mut Cont<'_>) -> bool {
        match nodes.split_first() {
            None => k(pos, caps),
            Some((first, rest)) => self.node(first, pos, caps, &mut |p, c| self.seq(rest, p, c, k)),
        }
    }

    fn node(&self, node: &Node, pos: usize, caps: &mut Caps, k: &mut Cont<'_>) -> bool {
        match node {
            Node::Start => pos == 0 && k(pos, caps),
            Node::End => pos == self.text.len() && k(pos, caps),
            Node::WordBoundary => {
                let word = |i: usize| self.text.get(i).is_some_and(|c| is_word(*c));
                let before = pos > 0 && word(pos - 1);
                before != word(pos) && k(pos, caps)
            }
            Node::Group {
                index,
                alternatives,
            } => {
                for alternative in alternatives {
                    let saved = caps.clone();
                    let matched = self.seq(alternative, pos, caps, &mut |end, c| {
                        let Some(i) = *index else {
                            return k(end, c);
                        };
                        let previous = c[i];
                        c[i] = Some((pos, end));
                        k(end, c) || {
                            c[i] = previous;
                            false
                        }
                    });
                    if matched {
                        return true;
                    }
                    *caps = saved;
                }
                false
            }
            Node::Repeat {
                node,
                min,
                max,
                greedy,
            } => self.repeat(node, *min, *max, *greedy, 0, pos, caps, k),
            single => match self.text.get(pos) {
                Some(c) if self.single(single, *c) => k(pos + 1, caps),
                _ => false,
            },
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn repeat(
        &self,
        node: &Node,
        min: usize,
        max: Option<usize>,
        greedy: bool,
        count: usize,
        pos: usize,
        caps: &mut Caps,
        k: &mut Cont<'_>,
    ) -> bool {
        let may_stop = count >= min;
        if may_stop && !greedy && k(pos, caps) {
            return true;
        }
        let may_continue = max.is_none_or(|m| count < m);
        if may_continue {
            let more = self.node(node, pos, caps, &mut |p, c| {
                // An empty iteration past the minimum would loop forever.
                (p != pos || count < min) && self.repeat(node, min, max, greedy, count + 1, p, c, k)
            });
            if more {
                return true;
            }
        }
        may_stop && greedy && k(pos, caps)
    }

    fn single(&self, node: &Node, c: char) -> bool {
        match node {
            Node::Any => c != '\n',
            Node::Char(want) => {
                *want == c || (self.ignore_case && want.to_lowercase().eq(c.to_lowercase()))
            }
            Node::Class { items, negated } => {
                let hit = items.iter().any(|item| self.class_item(item, c));
                hit != *negated
            }
            _ => false,
        }
    }

    fn class_item(&self, item: &ClassItem, c: char) -> bool {
        match item {
            ClassItem::Range(lo, hi) => {
                let within = |x: char| *lo <= x && x <= *hi;
                within(c)
                    || (self.ignore_case
                        && (c.to_lowercase().any(within) || c.to_uppercase().any(within)))
            }
            ClassItem::Digit(yes) => c.is_ascii_digit() == *yes,
            ClassItem::Word(yes) => is_word(c) == *yes,
            ClassItem::Space(yes) => c.is_whitespace() == *yes,
        }
    }
}

fn is_word(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_'
}

#[cfg(test)]
mod tests {
    use super::*;

    fn group(pattern: &str, text: &str, index: usize) -> Option<String> {
        let re = Regex::from_literal_or_pattern(pattern).expect("pattern compiles");
        re.captures(text)?.get(index).cloned().flatten()
    }

    #[test]
    fn metadata_action_readme_match_table() {
        // README `type=match` table, row by row.
        assert_eq!(group(r"\d.\d.\d", "v1.2.3", 0).as_deref(), Some("1.2.3"));
        assert_eq!(
            group(r"v(.*)", "v2.0.8-beta.67", 1).as_deref(),
            Some("2.0.8-beta.67")
        );
        assert_eq!(
            group(r"v(\d.\d)", "v2.0.8-beta.67", 1).as_deref(),
            Some("2.0")
        );
        assert_eq!(
            group(r"\d+", "20200110-RC2", 0).as_deref(),
            Some("20200110")
        );
        assert_eq!(
            group(r"p1/v(\d.\d.\d)", "p1/v1.2.3", 1).as_deref(),
            Some("1.2.3")
        );
        // README `type=semver` `match=` column.
        assert_eq!(
            group(r"v(\d.\d.\d)$", "p1/v1.2.3", 1).as_deref(),
            Some("1.2.3")
        );
    }

    #[test]
    fn quantifiers_alternation_classes_and_flags() {
        assert_eq!(group(r"^(a|ab)(c|bcd)$", "abcd", 2).as_deref(), Some("bcd"));
        assert_eq!(group(r"a{2,3}", "aaaa", 0).as_deref(), Some("aaa"));
        assert_eq!(group(r"a+?", "aaaa", 0).as_deref(), Some("a"));
        assert_eq!(group(r"[^-]+$", "release-2024", 0).as_deref(), Some("2024"));
        assert_eq!(group(r"/^V(\d+)/i", "v12", 1).as_deref(), Some("12"));
        assert_eq!(group(r"(?:x)(y)?z", "xz", 1), None);
        assert_eq!(group(r"\bb\w*", "a bc", 0).as_deref(), Some("bc"));
        assert_eq!(group(r"x{,2}", "x{,2}", 0).as_deref(), Some("x{,2}"));
        assert_eq!(group(r"(a*)*b", "aaab", 1).as_deref(), Some("aaa"));
        assert!(group(r"^\d+$", "12a", 0).is_none());
    }

    #[test]
    fn rejects_what_it_cannot_honour() {
        for bad in [
            r"(?=x)", r"(a)\1", r"(a", r"a)", r"[a", r"*a", r"[z-a]", r"/x/q",
        ] {
            assert!(
                Regex::from_literal_or_pattern(bad).is_err(),
                "{bad} should fail"
            );
        }
    }
}
