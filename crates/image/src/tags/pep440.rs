//! PEP 440 versions, for `type=pep440`: parsing the permissive forms PEP 440 allows and
//! printing the normalized one (`1.2.3beta2` -> `1.2.3b2`, `1.0dev4` -> `1.0.dev4`).

/// A parsed PEP 440 version.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Pep440 {
    epoch: u64,
    release: Vec<u64>,
    pre: Option<(&'static str, u64)>,
    post: Option<u64>,
    dev: Option<u64>,
    local: Option<String>,
}

impl Pep440 {
    /// Parses `text`; `None` when it does not conform to PEP 440.
    pub(crate) fn parse(text: &str) -> Option<Self> {
        let lower = text.trim().to_ascii_lowercase();
        let mut cur = Cursor {
            s: lower.strip_prefix('v').unwrap_or(&lower),
        };
        let first = cur.number()?;
        let (epoch, first) = if cur.eat("!") {
            (first, cur.number()?)
        } else {
            (0, first)
        };
        let mut release = vec![first];
        while cur.s.starts_with('.') && cur.s[1..].starts_with(|c: char| c.is_ascii_digit()) {
            cur.eat(".");
            release.push(cur.number()?);
        }
        let pre = cur.labelled(&[
            ("alpha", "a"),
            ("a", "a"),
            ("beta", "b"),
            ("b", "b"),
            ("preview", "rc"),
            ("pre", "rc"),
            ("rc", "rc"),
            ("c", "rc"),
        ]);
        let post = if cur.s.starts_with('-') && cur.s[1..].starts_with(|c: char| c.is_ascii_digit())
        {
            cur.eat("-");
            Some(cur.number()?)
        } else {
            cur.labelled(&[("post", ""), ("rev", ""), ("r", "")])
                .map(|(_, n)| n)
        };
        let dev = cur.labelled(&[("dev", "")]).map(|(_, n)| n);
        let local = if cur.eat("+") {
            let local = cur.s.replace(['-', '_'], ".");
            let valid = !local.is_empty()
                && local.split('.').all(|part| {
                    !part.is_empty() && part.bytes().all(|b| b.is_ascii_alphanumeric())
                });
            if !valid {
                return None;
            }
            cur.s = "";
            Some(local)
        } else {
            None
        };
        if !cur.s.is_empty() {
            return None;
        }
        Some(Self {
            epoch,
            release,
            pre,
            post,
            dev,
            local,
        })
    }

    /// Whether this is a final release (no pre-, post- or dev-release part).
    pub(crate) fn is_final(&self) -> bool {
        self.pre.is_none() && self.post.is_none() && self.dev.is_none()
    }

    /// The first release number.
    pub(crate) fn major(&self) -> u64 {
        self.release[0]
    }

    /// The second release number, 0 when absent.
    pub(crate) fn minor(&self) -> u64 {
        self.release.get(1).copied().unwrap_or(0)
    }

    /// The third release number, 0 when absent.
    pub(crate) fn patch(&self) -> u64 {
        self.release.get(2).copied().unwrap_or(0)
    }

    /// The normalized form.
    pub(crate) fn normalized(&self) -> String {
        let mut out = String::new();
        if self.epoch != 0 {
            out.push_str(&format!("{}!", self.epoch));
        }
        let release: Vec<String> = self.release.iter().map(u64::to_string).collect();
        out.push_str(&release.join("."));
        if let Some((label, n)) = self.pre {
            out.push_str(&format!("{label}{n}"));
        }
        if let Some(n) = self.post {
            out.push_str(&format!(".post{n}"));
        }
        if let Some(n) = self.dev {
            out.push_str(&format!(".dev{n}"));
        }
        if let Some(local) = &self.local {
            out.push_str(&format!("+{local}"));
        }
        out
    }
}

struct Cursor<'a> {
    s: &'a str,
}

impl Cursor<'_> {
    fn eat(&mut self, prefix: &str) -> bool {
        match self.s.strip_prefix(prefix) {
            Some(rest) => {
                self.s = rest;
                true
            }
            None => false,
        }
    }

    fn number(&mut self) -> Option<u64> {
        let end = self
            .s
            .find(|c: char| !c.is_ascii_digit())
            .unwrap_or(self.s.len());
        let n = self.s[..end].parse().ok()?;
        self.s = &self.s[end..];
        Some(n)
    }

    /// `[-_.]? LABEL [-_.]? NUMBER?`, mapping the label through `labels`.
    fn labelled(&mut self, labels: &[(&str, &'static str)]) -> Option<(&'static str, u64)> {
        let start = self.s;
        self.eat_separator();
        let Some((spelled, canonical)) = labels.iter().find(|(l, _)| self.s.starts_with(l)) else {
            self.s = start;
            return None;
        };
        self.s = &self.s[spelled.len()..];
        let before_number = self.s;
        self.eat_separator();
        let n = match self.number() {
            Some(n) => n,
            None => {
                self.s = before_number;
                0
            }
        };
        Some((canonical, n))
    }

    fn eat_separator(&mut self) {
        if self.s.starts_with(['-', '_', '.']) {
            self.s = &self.s[1..];
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn norm(text: &str) -> Option<String> {
        Pep440::parse(text).map(|v| v.normalized())
    }

    #[test]
    fn normalizes_like_the_readme_table() {
        // README `type=pep440` table (the `{{version}}` and starred rows).
        assert_eq!(norm("1.2.3").as_deref(), Some("1.2.3"));
        assert_eq!(norm("v1.2.3").as_deref(), Some("1.2.3"));
        assert_eq!(norm("1.2.3rc2").as_deref(), Some("1.2.3rc2"));
        assert_eq!(norm("1.2.3post1").as_deref(), Some("1.2.3.post1"));
        assert_eq!(norm("1.2.3beta2").as_deref(), Some("1.2.3b2"));
        assert_eq!(norm("1.0dev4").as_deref(), Some("1.0.dev4"));
    }

    #[test]
    fn other_spellings_and_rejections() {
        assert_eq!(norm("1!2.0-alpha.1").as_deref(), Some("1!2.0a1"));
        assert_eq!(norm("1.0-1").as_deref(), Some("1.0.post1"));
        assert_eq!(norm("1.0.post").as_deref(), Some("1.0.post0"));
        assert_eq!(norm("1.0+Ubuntu-1").as_deref(), Some("1.0+ubuntu.1"));
        assert_eq!(norm("1.0rc1.dev2").as_deref(), Some("1.0rc1.dev2"));
        for bad in ["", "v", "1.", "1.0foo", "1.0+", "1.0+a..b", "release"] {
            assert_eq!(norm(bad), None, "{bad}");
        }
        let v = Pep440::parse("2.1").expect("valid");
        assert_eq!(
            (v.major(), v.minor(), v.patch(), v.is_final()),
            (2, 1, 0, true)
        );
        assert!(!Pep440::parse("2.1.post1").expect("valid").is_final());
    }
}
