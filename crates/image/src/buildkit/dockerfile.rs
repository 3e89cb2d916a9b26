//! Just enough of a Dockerfile's structure to point at the line a BuildKit step came from:
//! parser directives (`# syntax=`, `# escape=`), stages (`FROM … AS name`) and their
//! instructions with the line each starts on. BuildKit names a step `[stage i/n] RUN …`, where
//! `i` counts, per stage, the FROM of a base image and every ADD, COPY, RUN and WORKDIR
//! (`dockerfile2llb`'s `prefixCommand`); the text has build variables expanded, so the position
//! in the stage, not the text, is what identifies the line.

/// One instruction.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Instruction {
    /// 1-based line the instruction starts on.
    pub line: usize,
    /// The keyword, upper case (`RUN`).
    pub keyword: String,
    /// The instruction as written, continuation lines joined.
    pub text: String,
}

/// A build stage.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Stage {
    /// `AS name`, lower case, if given.
    pub name: Option<String>,
    /// The steps BuildKit numbers, in order.
    pub counted: Vec<Instruction>,
}

/// The parsed outline.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Outline {
    /// `# syntax=` directive: the frontend image and its line.
    pub syntax: Option<(String, usize)>,
    /// Stages in order.
    pub stages: Vec<Stage>,
}

/// Parses `text`.
pub fn outline(text: &str) -> Outline {
    let mut out = Outline::default();
    let mut escape = '\\';
    let mut in_directives = true;
    let mut lines = text.lines().enumerate().peekable();
    while let Some((index, raw)) = lines.next() {
        let line = raw.trim();
        if in_directives {
            if let Some((key, value)) = directive(line) {
                match key.as_str() {
                    "syntax" => out.syntax = Some((value, index + 1)),
                    "escape" => escape = value.chars().next().unwrap_or('\\'),
                    _ => {}
                }
                continue;
            }
            in_directives = false;
        }
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        // Join continuation lines (comment and empty lines inside are skipped, as Docker does).
        let mut full = line.to_owned();
        while full.ends_with(escape) {
            full.pop();
            let Some((_, next)) = lines.next() else { break };
            let next = next.trim();
            if next.is_empty() || next.starts_with('#') {
                full.push(escape);
                continue;
            }
            full.push(' ');
            full.push_str(next);
        }
        let keyword = full
            .split_whitespace()
            .next()
            .unwrap_or_default()
            .to_ascii_uppercase();
        let instruction = Instruction {
            line: index + 1,
            keyword: keyword.clone(),
            text: full.clone(),
        };
        match keyword.as_str() {
            "FROM" => {
                let words: Vec<&str> = full
                    .split_whitespace()
                    .skip(1)
                    .filter(|w| !w.starts_with("--"))
                    .collect();
                let base = words
                    .first()
                    .map(|w| w.to_ascii_lowercase())
                    .unwrap_or_default();
                let name = match words.as_slice() {
                    [_, as_kw, name, ..] if as_kw.eq_ignore_ascii_case("as") => {
                        Some(name.to_ascii_lowercase())
                    }
                    _ => None,
                };
                let from_stage = out
                    .stages
                    .iter()
                    .any(|s| s.name.as_deref() == Some(base.as_str()));
                let mut stage = Stage {
                    name,
                    counted: Vec::new(),
                };
                if base != "scratch" && !from_stage {
                    stage.counted.push(instruction);
                }
                out.stages.push(stage);
            }
            "ADD" | "COPY" | "RUN" | "WORKDIR" => {
                if let Some(stage) = out.stages.last_mut() {
                    stage.counted.push(instruction);
                }
            }
            _ => {}
        }
    }
    out
}

/// `# key=value` parser directive, key lower case.
fn directive(line: &str) -> Option<(String, String)> {
    let rest = line.strip_prefix('#')?.trim();
    let (key, value) = rest.split_once('=')?;
    let key = key.trim().to_ascii_lowercase();
    (!key.is_empty() && !key.contains(char::is_whitespace)).then(|| (key, value.trim().to_owned()))
}

impl Outline {
    /// The instruction a BuildKit step named `[platform stage i/n] TEXT` came from.
    pub fn locate(&self, vertex: &str) -> Option<&Instruction> {
        let rest = vertex.strip_prefix('[')?;
        let (inside, text) = rest.split_once("] ")?;
        let mut words: Vec<&str> = inside.split_whitespace().collect();
        let (index, total) = words.pop()?.split_once('/')?;
        let (index, total): (usize, usize) = (index.trim().parse().ok()?, total.parse().ok()?);
        // What is left: an optional platform (it has a `/`), then an optional stage name.
        let name = words
            .iter()
            .rev()
            .find(|w| !w.contains('/'))
            .map(|w| w.to_ascii_lowercase());
        let keyword = text.split_whitespace().next()?.to_ascii_uppercase();
        let fits = |stage: &Stage| {
            stage.counted.len() == total
                && index >= 1
                && stage
                    .counted
                    .get(index - 1)
                    .is_some_and(|i| i.keyword == keyword)
        };
        let stage = self
            .stages
            .iter()
            .filter(|s| s.name == name)
            .find(|s| fits(s))
            .or_else(|| self.stages.iter().find(|s| fits(s)))?;
        stage.counted.get(index - 1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const FILE: &str = "# syntax=docker/dockerfile:1\n\
        # escape=\\\n\
        \n\
        FROM busybox AS build\n\
        WORKDIR /src\n\
        ENV A=1\n\
        RUN echo one \\\n\
        \x20 two\n\
        COPY . .\n\
        \n\
        FROM scratch\n\
        COPY --from=build /src /app\n\
        RUN false\n";

    #[test]
    fn directives_stages_and_counted_steps() {
        let o = outline(FILE);
        assert_eq!(o.syntax, Some(("docker/dockerfile:1".into(), 1)));
        assert_eq!(o.stages.len(), 2);
        let lines: Vec<usize> = o.stages[0].counted.iter().map(|i| i.line).collect();
        assert_eq!(
            lines,
            vec![4, 5, 7, 9],
            "FROM, WORKDIR, RUN, COPY; ENV is not a step"
        );
        assert_eq!(o.stages[0].counted[2].text, "RUN echo one  two");
        assert_eq!(o.stages[1].counted.len(), 2, "FROM scratch is not a step");
    }

    #[test]
    fn steps_map_to_their_lines() {
        let o = outline(FILE);
        let at = |v: &str| o.locate(v).map(|i| i.line);
        assert_eq!(at("[build 3/4] RUN echo one two"), Some(7));
        assert_eq!(at("[linux/arm64 build 2/4] WORKDIR /src"), Some(5));
        assert_eq!(at("[2/2] RUN false"), Some(13));
        assert_eq!(at("[1/2] COPY --from=build /src /app"), Some(12));
        assert_eq!(at("[internal] load build context"), None);
        assert_eq!(at("[2/2] COPY x y"), None, "the keyword must agree");
    }

    #[test]
    fn a_directive_after_an_instruction_is_a_comment() {
        let o = outline("FROM x\n# syntax=a/b\n");
        assert_eq!(o.syntax, None);
    }
}
