//! Which contexts and special functions GitHub allows at each place of a workflow.
//!
//! The table follows GitHub's "Context availability" reference. Keys are workflow paths with
//! placeholders, spelled as GitHub (and actionlint) spell them, e.g. `jobs.<job_id>.steps.with`.
//! Lists are sorted, since messages list them in this order.

use std::sync::LazyLock;

use rustc_hash::FxHashMap;

/// What may be used in expressions at one place.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Availability {
    /// The workflow key, e.g. `jobs.<job_id>.if`.
    pub key: &'static str,
    /// The contexts allowed (lower case, sorted).
    pub contexts: &'static [&'static str],
    /// The special functions allowed (lower case, sorted).
    pub special_functions: &'static [&'static str],
}

const ALL_STEP: &[&str] = &[
    "env", "github", "inputs", "job", "matrix", "needs", "runner", "secrets", "steps", "strategy",
    "vars",
];
const STEP_IF: &[&str] = &[
    "env", "github", "inputs", "job", "matrix", "needs", "runner", "steps", "strategy", "vars",
];
const CONTAINER_ENV: &[&str] = &[
    "env", "github", "inputs", "job", "matrix", "needs", "runner", "secrets", "strategy", "vars",
];
const ENVIRONMENT_URL: &[&str] = &[
    "env", "github", "inputs", "job", "matrix", "needs", "runner", "steps", "strategy", "vars",
];
const CREDENTIALS: &[&str] = &[
    "env", "github", "inputs", "matrix", "needs", "secrets", "strategy", "vars",
];
const DEFAULTS_RUN: &[&str] = &[
    "env", "github", "inputs", "matrix", "needs", "strategy", "vars",
];
const JOB_ENV: &[&str] = &[
    "github", "inputs", "matrix", "needs", "secrets", "strategy", "vars",
];
const JOB_LEVEL: &[&str] = &["github", "inputs", "matrix", "needs", "strategy", "vars"];
const JOB_IF: &[&str] = &["github", "inputs", "needs", "vars"];
const WORKFLOW_ENV: &[&str] = &["github", "inputs", "secrets", "vars"];
const WORKFLOW_LEVEL: &[&str] = &["github", "inputs", "vars"];
const CALL_OUTPUTS: &[&str] = &["github", "inputs", "jobs", "vars"];

const NONE: &[&str] = &[];
const HASH_FILES: &[&str] = &["hashfiles"];
const STATUS: &[&str] = &["always", "cancelled", "failure", "success"];
const STATUS_AND_HASH_FILES: &[&str] = &["always", "cancelled", "failure", "hashfiles", "success"];

macro_rules! row {
    ($key:expr, $ctx:expr, $funcs:expr) => {
        Availability {
            key: $key,
            contexts: $ctx,
            special_functions: $funcs,
        }
    };
}

/// Every place GitHub documents, sorted by key.
pub const TABLE: &[Availability] = &[
    row!("concurrency", WORKFLOW_LEVEL, NONE),
    row!("env", WORKFLOW_ENV, NONE),
    row!("jobs.<job_id>.concurrency", JOB_LEVEL, NONE),
    row!("jobs.<job_id>.container", JOB_LEVEL, NONE),
    row!("jobs.<job_id>.container.credentials", CREDENTIALS, NONE),
    row!("jobs.<job_id>.container.env.<env_id>", CONTAINER_ENV, NONE),
    row!("jobs.<job_id>.container.image", JOB_LEVEL, NONE),
    row!("jobs.<job_id>.continue-on-error", JOB_LEVEL, NONE),
    row!("jobs.<job_id>.defaults.run", DEFAULTS_RUN, NONE),
    row!("jobs.<job_id>.env", JOB_ENV, NONE),
    row!("jobs.<job_id>.environment", JOB_LEVEL, NONE),
    row!("jobs.<job_id>.environment.url", ENVIRONMENT_URL, NONE),
    row!("jobs.<job_id>.if", JOB_IF, STATUS),
    row!("jobs.<job_id>.name", JOB_LEVEL, NONE),
    row!("jobs.<job_id>.outputs.<output_id>", ALL_STEP, NONE),
    row!("jobs.<job_id>.runs-on", JOB_LEVEL, NONE),
    row!("jobs.<job_id>.secrets.<secrets_id>", JOB_ENV, NONE),
    row!("jobs.<job_id>.services", JOB_LEVEL, NONE),
    row!(
        "jobs.<job_id>.services.<service_id>.credentials",
        CREDENTIALS,
        NONE
    ),
    row!(
        "jobs.<job_id>.services.<service_id>.env.<env_id>",
        CONTAINER_ENV,
        NONE
    ),
    row!("jobs.<job_id>.snapshot.if", JOB_LEVEL, NONE),
    row!(
        "jobs.<job_id>.steps.continue-on-error",
        ALL_STEP,
        HASH_FILES
    ),
    row!("jobs.<job_id>.steps.env", ALL_STEP, HASH_FILES),
    row!("jobs.<job_id>.steps.if", STEP_IF, STATUS_AND_HASH_FILES),
    row!("jobs.<job_id>.steps.name", ALL_STEP, HASH_FILES),
    row!("jobs.<job_id>.steps.run", ALL_STEP, HASH_FILES),
    row!("jobs.<job_id>.steps.timeout-minutes", ALL_STEP, HASH_FILES),
    row!("jobs.<job_id>.steps.with", ALL_STEP, HASH_FILES),
    row!(
        "jobs.<job_id>.steps.working-directory",
        ALL_STEP,
        HASH_FILES
    ),
    row!("jobs.<job_id>.strategy", JOB_IF, NONE),
    row!("jobs.<job_id>.timeout-minutes", JOB_LEVEL, NONE),
    row!("jobs.<job_id>.with.<with_id>", JOB_LEVEL, NONE),
    row!(
        "on.workflow_call.inputs.<inputs_id>.default",
        WORKFLOW_LEVEL,
        NONE
    ),
    row!(
        "on.workflow_call.outputs.<output_id>.value",
        CALL_OUTPUTS,
        NONE
    ),
    row!("run-name", WORKFLOW_LEVEL, NONE),
];

/// Other spellings of keys, mapped to the key of the table.
const ALIASES: &[(&str, &str)] = &[
    (
        "jobs.<job_id>.steps.with.<args_id>",
        "jobs.<job_id>.steps.with",
    ),
    (
        "jobs.<job_id>.steps.with.<with_id>",
        "jobs.<job_id>.steps.with",
    ),
    (
        "jobs.<job_id>.steps.env.<env_id>",
        "jobs.<job_id>.steps.env",
    ),
    ("jobs.<job_id>.env.<env_id>", "jobs.<job_id>.env"),
    ("env.<env_id>", "env"),
    (
        "jobs.<job_id>.services.<service_id>",
        "jobs.<job_id>.services",
    ),
    (
        "jobs.<job_id>.services.<service_id>.image",
        "jobs.<job_id>.services",
    ),
    ("jobs.<job_id>.strategy.matrix", "jobs.<job_id>.strategy"),
    (
        "jobs.<job_id>.concurrency.group",
        "jobs.<job_id>.concurrency",
    ),
    ("concurrency.group", "concurrency"),
];

/// What may be used at workflow key `key` (see [`TABLE`]), or `None` when GitHub documents
/// none for it (then no expression is expected there).
pub fn availability(key: &str) -> Option<&'static Availability> {
    BY_KEY.get(key).copied()
}

/// [`TABLE`] by key, aliases included: every site of a workflow looks its key up, and a hash
/// of the key beats comparing it with a dozen keys that share their first 14 bytes.
static BY_KEY: LazyLock<FxHashMap<&'static str, &'static Availability>> = LazyLock::new(|| {
    let mut map: FxHashMap<_, _> = TABLE.iter().map(|a| (a.key, a)).collect();
    for (alias, key) in ALIASES {
        if let Some(a) = TABLE.iter().find(|a| a.key == *key) {
            map.insert(alias, a);
        }
    }
    map
});

/// Whether a function (lower-case name) is special: callable only at some places.
fn is_special_function(name: &str) -> bool {
    STATUS_AND_HASH_FILES.contains(&name)
}

/// For a special function (lower-case name), the keys where it may be called; `None` when the
/// function is not special (it may be called anywhere).
pub fn special_function_places(name: &str) -> Option<Vec<&'static str>> {
    // The checker asks for every call: the five special names answer for most without a look
    // through the table.
    if !is_special_function(name) {
        return None;
    }
    let places: Vec<_> = TABLE
        .iter()
        .filter(|a| a.special_functions.contains(&name))
        .map(|a| a.key)
        .collect();
    (!places.is_empty()).then_some(places)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_is_sorted_and_lists_are_sorted() {
        assert!(TABLE.windows(2).all(|w| w[0].key < w[1].key));
        for a in TABLE {
            assert!(a.contexts.windows(2).all(|w| w[0] < w[1]), "{}", a.key);
            assert!(
                a.special_functions.windows(2).all(|w| w[0] < w[1]),
                "{}",
                a.key
            );
        }
    }

    #[test]
    fn lookups() {
        let a = availability("jobs.<job_id>.if").expect("documented");
        assert_eq!(a.contexts, ["github", "inputs", "needs", "vars"]);
        assert_eq!(
            a.special_functions,
            ["always", "cancelled", "failure", "success"]
        );
        let w = availability("jobs.<job_id>.steps.with.<args_id>").expect("alias");
        assert!(w.contexts.contains(&"secrets"));
        assert_eq!(w.special_functions, ["hashfiles"]);
        assert!(availability("on.push.branches").is_none());
        for a in TABLE {
            assert_eq!(availability(a.key), Some(a));
        }
        for (alias, key) in ALIASES {
            assert_eq!(availability(alias).map(|a| a.key), Some(*key));
        }
    }

    #[test]
    fn special_functions() {
        assert_eq!(
            special_function_places("success"),
            Some(vec!["jobs.<job_id>.if", "jobs.<job_id>.steps.if"])
        );
        assert_eq!(
            special_function_places("hashfiles").map(|p| p.len()),
            Some(8)
        );
        assert_eq!(special_function_places("contains"), None);
        for name in [
            "always",
            "hashfiles",
            "contains",
            "format",
            "success",
            "fromjson",
        ] {
            assert_eq!(
                is_special_function(name),
                special_function_places(name).is_some(),
                "{name}"
            );
        }
        for a in TABLE {
            assert!(a.special_functions.iter().all(|f| is_special_function(f)));
        }
    }
}
