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
    let chars: Vec<(usize, char)> = script.char_indices().collect();
    let mut i = 0;
    let mut quote: Option<char> = None;
    while let Some(&(at, c)) = chars.get(i) {
        let next = chars.get(i + 1).map(|&(_, c)| c);
        // `${{ ... }}` is copied whole, whatever quote we are in.
        if c == '$' && next == Some('{') && chars.get(i + 2).map(|&(_, c)| c) == Some('{') {
            let mut j = i;
            while let Some(&(a, ch)) = chars.get(j) {
                b.push(ch, a);
                if ch == '}' && j > i + 2 && chars.get(j - 1).map(|&(_, c)| c) == Some('}') {
                    break;
                }
                j += 1;
            }
            i = j + 1;
            continue;
        }
        match quote {
            Some('\'') => {
                if c == '\'' {
                    quote = None;
                } else {
                    b.push(c, at);
                }
            }
            Some(_) => match c {
                '"' => quote = None,
                '\\' if matches!(next, Some('"' | '\\' | '$' | '`')) => {
                    if let Some(&(a, n)) = chars.get(i + 1) {
                        b.push(n, a);
                    }
                    i += 1;
                }
                '\\' if next == Some('\n') => i += 1,
                _ => b.push(c, at),
            },
            None => match c {
                '\\' if next == Some('\n') => {
                    b.word();
                    i += 1;
                }
                '\\' => {
                    if let Some(&(a, n)) = chars.get(i + 1) {
                        b.push(n, a);
                    }
                    i += 1;
                }
                '\'' | '"' => {
                    quote = Some(c);
                    b.quoted = true;
                    b.end = at + 1;
                }
                ' ' | '\t' | '\r' => b.word(),
                '\n' | ';' | '&' | '|' | '(' | ')' | '`' => b.command(),
                '#' if b.start.is_none() && !b.quoted => {
                    while chars.get(i + 1).is_some_and(|&(_, c)| c != '\n') {
                        i += 1;
                    }
                }
                _ => b.push(c, at),
            },
        }
        i += 1;
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
    fn hash_inside_a_word_is_not_a_comment() {
        assert_eq!(texts("echo a#b"), vec![vec!["echo", "a#b"]]);
    }
}
