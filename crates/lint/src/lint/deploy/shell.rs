//! Just enough of POSIX shell to find commands in a `run:` script: words, quotes, comments,
//! line continuations and command separators. `${{ }}` is one piece of a word, since GitHub
//! substitutes it before the shell runs.

/// One word of a command.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Word {
    /// The word with quotes and escapes removed.
    pub text: String,
    /// Byte offset in the script of the word's first character (inside any quote).
    pub start: usize,
    /// Byte offset one past its last character.
    pub end: usize,
}

#[derive(Default)]
struct Builder {
    commands: Vec<Vec<Word>>,
    cmd: Vec<Word>,
    text: String,
    start: Option<usize>,
    end: usize,
    quoted: bool,
}

impl Builder {
    fn push(&mut self, c: char, at: usize) {
        if self.start.is_none() {
            self.start = Some(at);
        }
        self.text.push(c);
        self.end = at + c.len_utf8();
    }

    fn push_str(&mut self, s: &str, at: usize) {
        if self.start.is_none() {
            self.start = Some(at);
        }
        self.text.push_str(s);
        self.end = at + s.len();
    }

    fn word(&mut self) {
        if let Some(start) = self.start.take() {
            self.cmd.push(Word {
                text: std::mem::take(&mut self.text),
                start,
                end: self.end,
            });
        } else if self.quoted {
            // `""`: an empty word still counts as a word.
            self.cmd.push(Word {
                text: String::new(),
                start: self.end,
                end: self.end,
            });
        }
        self.quoted = false;
    }

    fn command(&mut self) {
        self.word();
        if !self.cmd.is_empty() {
            self.commands.push(std::mem::take(&mut self.cmd));
        }
    }
}

/// The simple commands of a script, each as its words.
pub fn commands(script: &str) -> Vec<Vec<Word>> {
    let mut b = Builder::default();
    let bytes = script.as_bytes();
    // The character at byte `i` (every delimiter is ASCII; other characters are copied whole).
    let char_at = |i: usize| script.get(i..).and_then(|r| r.chars().next());
    let mut i = 0;
    let mut quote: Option<u8> = None;
    while let Some(&c) = bytes.get(i) {
        let next = bytes.get(i + 1).copied();
        // `${{ ... }}` is copied whole, whatever quote we are in.
        if c == b'$' && next == Some(b'{') && bytes.get(i + 2) == Some(&b'{') {
            let end = script
                .get(i + 3..)
                .and_then(|r| r.find("}}"))
                .map_or(script.len(), |k| i + 3 + k + 2);
            b.push_str(&script[i..end], i);
            i = end;
            continue;
        }
        let Some(ch) = char_at(i) else { break };
        let mut step = ch.len_utf8();
        match quote {
            Some(b'\'') => {
                if c == b'\'' {
                    quote = None;
                } else {
                    b.push(ch, i);
                }
            }
            Some(_) => match c {
                b'"' => quote = None,
                b'\\' if matches!(next, Some(b'"' | b'\\' | b'$' | b'`')) => {
                    if let Some(n) = next {
                        b.push(char::from(n), i + 1);
                    }
                    step = 2;
                }
                b'\\' if next == Some(b'\n') => step = 2,
                _ => b.push(ch, i),
            },
            None => match c {
                b'\\' if next == Some(b'\n') => {
                    b.word();
                    step = 2;
                }
                b'\\' => {
                    if let Some(n) = char_at(i + 1) {
                        b.push(n, i + 1);
                        step = 1 + n.len_utf8();
                    }
                }
                b'\'' | b'"' => {
                    quote = Some(c);
                    b.quoted = true;
                    b.end = i + 1;
                }
                b' ' | b'\t' | b'\r' => b.word(),
                b'\n' | b';' | b'&' | b'|' | b'(' | b')' | b'`' => b.command(),
                b'#' if b.start.is_none() && !b.quoted => {
                    // Up to the line break, which ends the command.
                    step = script[i..].find('\n').unwrap_or(script.len() - i);
                }
                _ => b.push(ch, i),
            },
        }
        i += step;
    }
    b.command();
    b.commands
}

#[cfg(test)]
mod tests {
    use super::*;

    fn texts(s: &str) -> Vec<Vec<String>> {
        commands(s)
            .into_iter()
            .map(|c| c.into_iter().map(|w| w.text).collect())
            .collect()
    }

    #[test]
    fn separators_comments_continuations() {
        assert_eq!(
            texts("a b # c d\ne 'f g' \\\n  h && i|j; k"),
            vec![
                vec!["a", "b"],
                vec!["e", "f g", "h"],
                vec!["i"],
                vec!["j"],
                vec!["k"]
            ]
        );
    }

    #[test]
    fn expressions_are_one_piece() {
        assert_eq!(
            texts("x --image=r/a:${{ github.sha }} y"),
            vec![vec!["x", "--image=r/a:${{ github.sha }}", "y"]]
        );
    }

    #[test]
    fn offsets_point_inside_quotes() {
        let s = "kubectl \"a b\"";
        let c = commands(s);
        let w = &c[0][1];
        assert_eq!(&s[w.start..w.end], "a b");
    }

    #[test]
    fn non_ascii_and_escapes() {
        assert_eq!(
            texts("echo é\\ü \"a\\\"b\" 'c\\d' ${{ x }}z # ü\nnext"),
            vec![
                vec!["echo", "éü", "a\"b", "c\\d", "${{ x }}z"],
                vec!["next"]
            ]
        );
        let s = "ké 'ü v'";
        let c = commands(s);
        assert_eq!(&s[c[0][1].start..c[0][1].end], "ü v");
        assert_eq!(texts("a ${{ b"), vec![vec!["a", "${{ b"]]);
    }

    #[test]
    fn hash_inside_a_word_is_not_a_comment() {
        assert_eq!(texts("echo a#b"), vec![vec!["echo", "a#b"]]);
    }
}
