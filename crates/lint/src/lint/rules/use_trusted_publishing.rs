//! `use-trusted-publishing`: a package is published with a long-lived token (an input such as
//! `password:`, or `npm publish`, `cargo publish`, `twine upload`... in a job that cannot
//! request an OIDC token) where the index supports Trusted Publishing, whose credentials live
//! for minutes and are bound to this workflow. Informational, as in zizmor. The actions are
//! [`crate::lint::sec::data::publishing`].

use crate::lint::deploy::{Word, commands};
use crate::lint::sec::control;
use crate::lint::sec::data::publishing::TOKEN_PUBLISHING;
use crate::lint::sec::{self};
use crate::lint::{Audit, AuditSeverity, Confidence, Ctx, Rule, RuleMeta, Severity};
use crate::workflow::action::Action;
use crate::workflow::model::{Job, Step, Workflow};
use crate::workflow::position::value_span;
use crate::workflow::yaml::Node;

/// The `use-trusted-publishing` rule: Package published with a long-lived token where Trusted
/// Publishing is supported.
pub struct UseTrustedPublishing;

static META: RuleMeta = RuleMeta {
    id: "use-trusted-publishing",
    zizmor: Some("use-trusted-publishing"),
    actionlint: None,
    summary: "Package published with a long-lived token where Trusted Publishing is supported",
    severity: Severity::Note,
    actionlint_also: &[],
};

const INFO: Audit = Audit::new(AuditSeverity::Informational, Confidence::High);
const HELP: &str = "configure Trusted Publishing on the index, give the job `permissions: \
                    { id-token: write }` and drop the token";

/// Whether `words` (a command) publishes to a package index.
fn is_publish(words: &[&str]) -> bool {
    let Some((cmd, args)) = words.split_first() else {
        return false;
    };
    let cmd = cmd.rsplit('/').next().unwrap_or(cmd);
    // `after(x)`: the arguments after the first `x`.
    let after = |x: &str| args.iter().position(|a| *a == x).map(|i| &args[i + 1..]);
    let has = |xs: &[&str], x: &str| xs.contains(&x);
    let not_dry = |rest: &[&str]| !rest.iter().any(|a| *a == "--dry-run" || *a == "-n");
    match cmd {
        "cargo" => after("publish").is_some_and(not_dry),
        "uv" => match args.iter().position(|a| *a == "publish" || *a == "run") {
            Some(i) if args[i] == "publish" => !has(&args[i + 1..], "--dry-run"),
            Some(i) => {
                let rest = &args[i + 1..];
                rest.iter()
                    .position(|a| *a == "twine")
                    .is_some_and(|j| has(&rest[j + 1..], "upload"))
            }
            None => false,
        },
        "uvx" => args
            .iter()
            .position(|a| a.starts_with("twine"))
            .is_some_and(|j| has(&args[j + 1..], "upload")),
        "hatch" | "pdm" => has(args, "publish"),
        "poetry" => after("publish").is_some_and(|r| !has(r, "--dry-run")),
        "twine" => has(args, "upload"),
        "pipx" => after("run").is_some_and(|r| {
            r.iter()
                .position(|a| a.starts_with("twine"))
                .is_some_and(|j| has(&r[j + 1..], "upload"))
        }),
        _ if cmd.starts_with("python") => after("-m").is_some_and(|r| {
            r.iter()
                .position(|a| *a == "twine")
                .is_some_and(|j| has(&r[j + 1..], "upload"))
        }),
        "gem" => has(args, "push"),
        "bundle" => after("exec").is_some_and(|r| {
            r.iter()
                .position(|a| *a == "gem")
                .is_some_and(|j| has(&r[j + 1..], "push"))
        }),
        "npm" | "pnpm" | "bun" => after("publish").is_some_and(|r| !has(r, "--dry-run")),
        "yarn" => match args.iter().position(|a| *a == "publish" || *a == "npm") {
            Some(i) if args[i] == "publish" => true,
            Some(i) => args[i + 1..]
                .iter()
                .position(|a| *a == "publish")
                .is_some_and(|j| not_dry(&args[i + 1 + j + 1..])),
            None => false,
        },
        "bunx" => args
            .iter()
            .position(|a| *a == "npm" || a.starts_with("npm@"))
            .is_some_and(|i| {
                let rest = &args[i + 1..];
                rest.iter()
                    .position(|a| *a == "publish")
                    .is_some_and(|j| !has(&rest[j + 1..], "--dry-run"))
            }),
        "nuget" | "nuget.exe" => has(args, "push"),
        "dotnet" => after("nuget").is_some_and(|r| has(r, "push")),
        _ => false,
    }
}

fn check_uses(cx: &mut Ctx<'_>, step: &Node) {
    // Most steps use none of these actions: their `uses:` is compared before the inputs are.
    let Some((reference, _)) = sec::step_uses(step) else {
        return;
    };
    for (coord, input) in TOKEN_PUBLISHING {
        if !reference.is(coord.action) {
            continue;
        }
        let Some((_, answer)) = control::usage(std::slice::from_ref(coord), step, cx.source) else {
            continue;
        };
        if !answer.possible() {
            continue;
        }
        let Some(uses) = step.get("uses") else {
            continue;
        };
        cx.audit(
            INFO,
            uses.span,
            format!(
                "{} authenticates with a long-lived token (`{input}`) to an index that \
                 supports Trusted Publishing",
                coord.action
            ),
            HELP,
        )
        .scope = Some(step.span);
    }
}

fn check_run(cx: &mut Ctx<'_>, step: &Node, shell: &str) {
    if !matches!(shell, "bash" | "sh" | "zsh" | "pwsh" | "powershell") {
        return;
    }
    let Some(run) = step.get("run") else { return };
    let Some(script) = run.as_str() else { return };
    // Every publishing command has one of these words; most scripts have none.
    let pushes = script.contains("push") && (script.contains("gem") || script.contains("nuget"));
    if !pushes && !["publish", "upload"].iter().any(|w| script.contains(w)) {
        return;
    }
    // PowerShell continues a line with a backquote; two spaces keep the offsets.
    let script = if shell.starts_with("pw") || shell == "powershell" {
        script.replace("`\n", "  ")
    } else {
        script.to_string()
    };
    // PowerShell's continuations change the text; bash scripts share the file's split.
    let split = if script.as_str() == run.as_str().unwrap_or_default() {
        cx.commands(run)
    } else {
        std::rc::Rc::new(commands(&script))
    };
    for cmd in split.iter() {
        let words: Vec<&str> = cmd.iter().map(|w: &Word| w.text.as_str()).collect();
        if !is_publish(&words) {
            continue;
        }
        let (Some(first), Some(last)) = (cmd.first(), cmd.last()) else {
            continue;
        };
        cx.audit(
            INFO,
            value_span(cx.source, run, first.start, last.end),
            format!(
                "`{}` publishes with a long-lived token; the index supports Trusted Publishing",
                words.join(" ")
            ),
            HELP,
        )
        .scope = Some(step.span);
    }
}

impl Rule for UseTrustedPublishing {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn step(&self, wf: &Workflow<'_>, job: &Job<'_>, step: &Step<'_>, cx: &mut Ctx<'_>) {
        if sec::never_runs(step.node) {
            return;
        }
        check_uses(cx, step.node);
        // Publishing tools use Trusted Publishing by themselves when the job can get an OIDC
        // token, so commands count only in jobs that cannot.
        if step.run().is_some() && !sec::has_id_token(wf, job.node) {
            let shell = sec::shell_of(Some(wf), Some(job.node), step.node);
            check_run(cx, step.node, shell);
        }
    }

    fn composite_step(&self, _action: &Action<'_>, step: &Node, cx: &mut Ctx<'_>) {
        check_uses(cx, step);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn publish_commands() {
        for (cmd, yes) in [
            ("cargo publish", true),
            ("cargo publish --dry-run", false),
            ("cargo build", false),
            ("uv publish", true),
            ("uv run twine upload dist/*", true),
            ("uvx twine@6 upload dist/*", true),
            ("python3 -m twine upload dist/*", true),
            ("npm publish --access public", true),
            ("npm publish --dry-run", false),
            ("yarn npm publish", true),
            ("yarn npm publish -n", false),
            ("bunx npm@11 publish", true),
            ("dotnet nuget push x.nupkg", true),
            ("gem push x.gem", true),
            ("npm ci", false),
        ] {
            let words: Vec<&str> = cmd.split(' ').collect();
            assert_eq!(is_publish(&words), yes, "{cmd}");
        }
    }
}
