//! `adhoc-packages`: a `run:` step installs packages by name (`npm install -g x`, `gem install
//! x`, `yarn add x`) instead of from a manifest with a lockfile: whatever version is newest
//! that day installs, with whatever dependencies it then has. Low severity, as in zizmor;
//! npm, yarn, pnpm, gem and bundle are recognised.

use crate::lint::deploy::Word;
use crate::lint::sec;
use crate::lint::{Audit, AuditSeverity, Confidence, Ctx, Rule, RuleMeta, Severity};
use crate::workflow::action::Action;
use crate::workflow::model::{Job, Step, Workflow};
use crate::workflow::position::value_span;
use crate::workflow::yaml::Node;

/// The `adhoc-packages` rule: run: installs packages by name, outside a lockfile.
pub struct AdhocPackages;

static META: RuleMeta = RuleMeta {
    id: "adhoc-packages",
    zizmor: Some("adhoc-packages"),
    actionlint: None,
    summary: "run: installs packages by name, outside a lockfile",
    severity: Severity::Note,
    actionlint_also: &[],
};

/// npm's spellings of `install` (it accepts abbreviations and common typos).
const NPM_INSTALL: &[&str] = &[
    "install", "i", "in", "ins", "inst", "insta", "instal", "isnt", "isnta", "isntal", "isntall",
    "add",
];

/// Whether a command installs a named package.
fn is_adhoc(words: &[&str]) -> bool {
    let Some((cmd, args)) = words.split_first() else {
        return false;
    };
    let named_after = |sub: &[&str]| {
        args.iter()
            .position(|a| sub.contains(a))
            .is_some_and(|i| args[i + 1..].iter().any(|a| !a.starts_with('-')))
    };
    match *cmd {
        "gem" => named_after(&["install", "i"]),
        "bundle" | "yarn" | "pnpm" => named_after(&["add"]),
        "npm" => {
            let mut rest = args.iter().skip_while(|a| a.starts_with('-'));
            rest.next().is_some_and(|sub| NPM_INSTALL.contains(sub))
                && rest.any(|a| !a.starts_with('-'))
        }
        _ => false,
    }
}

/// Whether `script` holds `npm i`, `npm a`, `npm -`, `yarn add`, `pnpm add`, `gem i` or
/// `bundle add` (`npm i` also starts `npm install`, `npm isnt`...; `npm -` is an option before
/// the verb), in one pass: each holds an `m` followed by a
/// space (`npm`, `pnpm`, `gem`) or ends in `add`'s last `d` (`yarn add`, `bundle add`), so only
/// those bytes, which a SIMD search finds, are looked around.
fn names_installer(script: &str) -> bool {
    let b = script.as_bytes();
    memchr::memchr2_iter(b'm', b'd', b).any(|at| {
        let (before, after) = (&b[..=at], &b[at + 1..]);
        if b[at] == b'm' {
            (before.ends_with(b"npm")
                && (after.starts_with(b" i")
                    || after.starts_with(b" a")
                    || after.starts_with(b" -")))
                || (before.ends_with(b"gem") && after.starts_with(b" i"))
        } else {
            before.ends_with(b"yarn add") || before.ends_with(b"bundle add")
        }
    })
}

fn check(cx: &mut Ctx<'_>, step: &Node, shell: &str) {
    if !matches!(shell, "bash" | "sh" | "zsh" | "pwsh" | "powershell") || sec::never_runs(step) {
        return;
    }
    let Some(run) = step.get("run") else { return };
    // Splitting a script into commands costs more than this look for the installers' names.
    let Some(script) = run.as_str() else { return };
    if !names_installer(script) {
        return;
    }
    for cmd in cx.commands(run).iter() {
        let words: Vec<&str> = cmd.iter().map(|w: &Word| w.text.as_str()).collect();
        if !is_adhoc(&words) {
            continue;
        }
        let (Some(first), Some(last)) = (cmd.first(), cmd.last()) else {
            continue;
        };
        cx.audit(
            Audit::new(AuditSeverity::Low, Confidence::High),
            value_span(cx.source, run, first.start, last.end),
            format!(
                "`{}` installs whatever version is newest, outside any lockfile",
                words.join(" ")
            ),
            "add the package to a manifest with a lockfile (package.json, Gemfile) and install \
             from it (`npm ci`, `bundle install`)",
        )
        .scope = Some(step.span);
    }
}

impl Rule for AdhocPackages {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn step(&self, wf: &Workflow<'_>, job: &Job<'_>, step: &Step<'_>, cx: &mut Ctx<'_>) {
        if step.run().is_some() {
            let shell = sec::shell_of(Some(wf), Some(job.node), step.node);
            check(cx, step.node, shell);
        }
    }

    fn action(&self, action: &Action<'_>, cx: &mut Ctx<'_>) {
        for step in sec::composite_steps(action) {
            if step.get("run").is_some() {
                let shell = sec::shell_of(None, None, step);
                check(cx, step, shell);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What a script must hold for `is_adhoc` to be asked about its commands, looked for one
    /// by one before `names_installer`.
    const INSTALLERS: &[&str] = &[
        "npm i",
        "npm a",
        "npm -",
        "yarn add",
        "pnpm add",
        "gem i",
        "bundle add",
    ];

    #[test]
    fn installs() {
        for (cmd, yes) in [
            ("gem install rake", true),
            ("gem install", false),
            ("npm install -g pnpm", true),
            ("npm i left-pad", true),
            ("npm --silent install x", true),
            ("npm install", false),
            ("npm ci", false),
            ("yarn add x", true),
            ("yarn install", false),
            ("pnpm add -D x", true),
            ("bundle add rails", true),
            ("bundle install", false),
        ] {
            let words: Vec<&str> = cmd.split(' ').collect();
            assert_eq!(is_adhoc(&words), yes, "{cmd}");
        }
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(5000))]
        #[test]
        fn names_installer_agrees_with_a_search_for_each(
            script in "(npm|pnpm|yarn|gem|bundle|add|a|d|i|m| |-|\u{e9}|x){0,16}",
        ) {
            let each = INSTALLERS.iter().any(|i| script.contains(i));
            proptest::prop_assert_eq!(names_installer(&script), each);
        }
    }
}
