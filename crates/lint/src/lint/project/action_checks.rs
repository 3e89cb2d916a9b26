//! What is wrong with a local action's metadata, as reported where the action is used
//! (actionlint reports these at the `uses:` of the step, since that is where the run breaks).

use super::local_action::LocalAction;

/// One problem of a local action.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// What is wrong.
    pub message: String,
    /// A warning (the action still runs) rather than an error.
    pub warning: bool,
}

const COLORS: &[&str] = &[
    "white",
    "black",
    "yellow",
    "blue",
    "green",
    "orange",
    "red",
    "purple",
    "gray-dark",
];

/// Image references that are not files of the action.
const REGISTRIES: &[&str] = &["docker://", "gcr.io/", "pkg.dev/", "ghcr.io/", "docker.io/"];

impl LocalAction {
    /// Everything wrong with the metadata, in a stable order.
    pub fn problems(&self) -> Vec<Problem> {
        let mut out = Probs {
            a: self,
            list: Vec::new(),
        };
        let (name, spec) = (&self.name, &self.spec);
        for n in &self.notes {
            out.warn(n.clone());
        }
        // Name, description and branding matter for the Marketplace, not for running.
        if name.is_empty() {
            out.warn(format!("name is required in action metadata {spec:?}"));
        }
        if self.description.is_empty() {
            out.warn(format!(
                "description is required in metadata of {name:?} action at {spec:?}"
            ));
        }
        if !self.color.is_empty() && !COLORS.iter().any(|c| c.eq_ignore_ascii_case(&self.color)) {
            out.warn(format!(
                "incorrect color {:?} at branding.color in metadata of {name:?} action at \
                 {spec:?}. available colors are {}",
                self.color,
                crate::lint::schema::quote_list(COLORS)
            ));
        }
        let mut empty: Vec<&str> = self
            .inputs
            .iter()
            .filter(|i| i.deprecated && i.deprecation_message.is_empty())
            .map(|i| i.name.as_str())
            .collect();
        empty.sort_unstable();
        for i in empty {
            out.warn(format!(
                "input {i:?} is deprecated but \"deprecationMessage\" is empty in metadata of \
                 {name:?} action at {spec:?}"
            ));
        }
        out.runs();
        out.list
    }
}

struct Probs<'a> {
    a: &'a LocalAction,
    list: Vec<Problem>,
}

impl Probs<'_> {
    fn error(&mut self, message: String) {
        self.list.push(Problem {
            message,
            warning: false,
        });
    }

    fn warn(&mut self, message: String) {
        self.list.push(Problem {
            message,
            warning: true,
        });
    }

    fn runs(&mut self) {
        let (name, spec, using) = (&self.a.name, &self.a.spec, self.a.runs.using.as_str());
        match using {
            "" => self.error(format!(
                "\"runs.using\" is missing in local action {name:?} defined at {spec:?}"
            )),
            "docker" => self.docker(),
            "composite" => self.composite(),
            "node20" | "node24" => self.javascript(),
            "node12" | "node16" => {
                self.warn(format!(
                    "runtime {using:?} at runs.using in {name:?} action defined at {spec:?} is \
                     no longer supported; GitHub runs it on a newer Node.js. use \"node20\" or \
                     \"node24\""
                ));
                self.javascript();
            }
            _ => {
                self.error(format!(
                    "invalid runner name {using:?} at runs.using in {name:?} action defined at \
                     {spec:?}. valid runners are \"composite\", \"docker\", \"node20\", and \
                     \"node24\""
                ));
                if using.starts_with("node") {
                    self.javascript();
                }
            }
        }
    }

    fn required(&mut self, prop: &str, kind: &str) {
        let (name, spec) = (&self.a.name, &self.a.spec);
        self.error(format!(
            "{prop:?} is required in \"runs\" section because {name:?} is a {kind} action. the \
             action is defined at {spec:?}"
        ));
    }

    fn not_allowed(&mut self, props: &[&str], kind: &str) {
        let r = &self.a.runs;
        for prop in props {
            let set = match *prop {
                "main" => !r.main.is_empty(),
                "pre" => !r.pre.is_empty(),
                "pre-if" => !r.pre_if.is_empty(),
                "post" => !r.post.is_empty(),
                "post-if" => !r.post_if.is_empty(),
                "steps" => r.steps.is_some_and(|n| n > 0),
                "image" => !r.image.is_empty(),
                "pre-entrypoint" => !r.pre_entrypoint.is_empty(),
                "entrypoint" => !r.entrypoint.is_empty(),
                "post-entrypoint" => !r.post_entrypoint.is_empty(),
                "args" => r.args,
                "env" => r.env,
                _ => false,
            };
            if set {
                let (name, spec) = (&self.a.name, &self.a.spec);
                self.error(format!(
                    "{prop:?} is not allowed in \"runs\" section because {name:?} is a {kind} \
                     action. the action is defined at {spec:?}"
                ));
            }
        }
    }

    fn file_exists(&mut self, file: &str, key: &str) {
        if file.is_empty() || self.a.dir.join(file).exists() {
            return;
        }
        // A warning: an earlier step may build the file (`npm run build`, ...).
        let (name, spec) = (&self.a.name, &self.a.spec);
        self.warn(format!(
            "file {file:?} does not exist in {spec:?}. it is specified at {key:?} key in \"runs\" \
             section in {name:?} action"
        ));
    }

    fn docker(&mut self) {
        let r = self.a.runs.clone();
        if r.image.is_empty() {
            self.required("image", "Docker");
        } else if !REGISTRIES.iter().any(|p| r.image.starts_with(p)) {
            self.file_exists(&r.image, "image");
            if r.image.rsplit('/').next() != Some("Dockerfile") {
                let (name, spec) = (&self.a.name, &self.a.spec);
                self.warn(format!(
                    "the local file {:?} referenced from \"image\" key must be named \
                     \"Dockerfile\" in {name:?} action. the action is defined at {spec:?}",
                    r.image
                ));
            }
        }
        self.file_exists(&r.pre_entrypoint, "pre-entrypoint");
        self.file_exists(&r.entrypoint, "entrypoint");
        self.file_exists(&r.post_entrypoint, "post-entrypoint");
        self.not_allowed(
            &["main", "pre", "pre-if", "post", "post-if", "steps"],
            "Docker",
        );
    }

    fn composite(&mut self) {
        if self.a.runs.steps.is_none() {
            self.required("steps", "Composite");
        }
        self.not_allowed(
            &[
                "main",
                "pre",
                "pre-if",
                "post",
                "post-if",
                "image",
                "pre-entrypoint",
                "entrypoint",
                "post-entrypoint",
                "args",
                "env",
            ],
            "Composite",
        );
    }

    fn javascript(&mut self) {
        let r = self.a.runs.clone();
        if r.main.is_empty() {
            self.required("main", "JavaScript");
        } else {
            self.file_exists(&r.main, "main");
        }
        self.file_exists(&r.pre, "pre");
        self.file_exists(&r.post, "post");
        let (name, spec) = (self.a.name.clone(), self.a.spec.clone());
        for (hook, file, cond) in [("pre", &r.pre, &r.pre_if), ("post", &r.post, &r.post_if)] {
            if file.is_empty() && !cond.is_empty() {
                self.warn(format!(
                    "\"{hook}\" is required when \"{hook}-if\" is specified in \"runs\" section \
                     in {name:?} action. the action is defined at {spec:?}"
                ));
            }
        }
        self.not_allowed(
            &[
                "steps",
                "image",
                "pre-entrypoint",
                "entrypoint",
                "post-entrypoint",
                "args",
                "env",
            ],
            "JavaScript",
        );
    }
}
