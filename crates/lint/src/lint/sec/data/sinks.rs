//! Inputs of third-party actions that run their value as code (a shell, PowerShell, Python or
//! JavaScript script, a `jq`/`yq` program): an expression there is template injection as in a
//! `run:` script.
//!
//! Source: CodeQL's GitHub Actions models of code-injection sinks (github/codeql,
//! `actions/ql/lib/ext`, MIT), as zizmor ships them in `data/codeql-injection-sinks.json`,
//! plus the four sinks zizmor adds (amadevus/pwsh-script, jannekem/run-python-script-action,
//! cardinalby/js-eval-action, addnab/docker-run-action); zizmorcore/zizmor at 11bbf7e. Each
//! action's `action.yml` describes the input as code.
pub static CODE_INPUTS: &[(&str, &[&str])] = &[
    ("8398a7/action-slack", &["custom_payload"]),
    ("actions/github-script", &["script"]),
    ("addnab/docker-run-action", &["options", "run"]),
    ("amadevus/pwsh-script", &["script"]),
    ("appleboy/ssh-action", &["script"]),
    ("azure/cli", &["inlineScript"]),
    ("azure/powershell", &["inlineScript"]),
    ("cardinalby/js-eval-action", &["expression"]),
    ("devorbitus/yq-action-output", &["cmd"]),
    ("gautamkrishnar/blog-post-workflow", &["item_exec"]),
    (
        "imjohnbo/issue-bot",
        &[
            "body",
            "linked-comments-previous-issue-text",
            "linked-comments-new-issue-text",
        ],
    ),
    ("jannekem/run-python-script-action", &["script"]),
    ("lucasbento/auto-close-issues", &["issue-close-message"]),
    ("mikefarah/yq", &["cmd"]),
    (
        "roots/issue-closer-action",
        &["issue-close-message", "pr-close-message"],
    ),
    ("sergeysova/jq-action", &["cmd"]),
    ("skitionek/notify-microsoft-teams", &["overwrite"]),
    (
        "tibdex/backport",
        &[
            "body_template",
            "head_template",
            "labels_template",
            "title_template",
        ],
    ),
];
