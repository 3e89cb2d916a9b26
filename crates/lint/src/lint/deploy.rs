//! What counts as a deploy: the one place the pipeline rules (`deploy-*`, and
//! `excessive-permissions`) ask whether a job deploys, and with which images.
//!
//! A step deploys when it
//! - runs a deploy command: `deploy-action deploy|promote|rollback`, `kubectl apply`,
//!   `kubectl set image`, `kubectl rollout restart|undo`, `helm upgrade|install`,
//!   `helmfile apply|sync`, `az containerapp update|up`, `az webapp deploy|up`,
//!   `az webapp config container set`, `az webapp deployment slot swap|source config-zip`,
//!   `az functionapp deployment source config-zip`, `gcloud run|app|functions deploy`,
//!   `aws ecs update-service`, `aws lambda update-function-code`, `flyctl deploy`,
//!   `terraform apply`;
//! - or uses a well-known deploy action ([`DEPLOY_ACTIONS`]), or this project's action
//!   (`*/deploy-action`) with `command: deploy|promote|rollback`.
//!
//! Not deploys: `docker push` and other registry pushes (publishing an image is not running
//! it anywhere; a deploy job pushes *and* rolls out, and the roll-out is what is detected),
//! dry runs, and cluster commands in a job that starts a throw-away cluster (kind, minikube,
//! k3d, k3s) or is a test job: those run against a cluster the job itself made.

mod shell;

use crate::workflow::model::Job;
use crate::workflow::yaml::Node;
use aho_corasick::{AhoCorasick, MatchKind};
use rustc_hash::FxHashMap;
use std::borrow::Cow;
use std::cell::RefCell;
use std::rc::Rc;
use std::sync::LazyLock;

pub use shell::{Word, commands};

/// Well-known actions that deploy, lower-case, without `@ref`.
pub const DEPLOY_ACTIONS: &[&str] = &[
    "actions/deploy-pages",
    "aws-actions/amazon-ecs-deploy-task-definition",
    "azure/aci-deploy",
    "azure/container-apps-deploy-action",
    "azure/functions-action",
    "azure/functions-container-action",
    "azure/k8s-deploy",
    "azure/static-web-apps-deploy",
    "azure/webapps-deploy",
    "google-github-actions/deploy-appengine",
    "google-github-actions/deploy-cloud-functions",
    "google-github-actions/deploy-cloudrun",
    "octopusdeploy/deploy-release-action",
    "redhat-actions/oc-new-app",
];

/// `with:` inputs that name the image a step deploys (or renders into what it deploys).
const IMAGE_INPUTS: &[&str] = &["image", "images", "imagetodeploy", "container-image"];

/// A step that deploys.
#[derive(Debug, Clone)]
pub struct Deploy<'a> {
    /// Index of the step in the job.
    pub step: usize,
    /// The step's mapping.
    pub step_node: &'a Node,
    /// The node to point at: the step's `run:` or `uses:` value.
    pub node: &'a Node,
    /// What deploys, for messages: `kubectl set image`, `azure/webapps-deploy`.
    pub what: String,
    /// `deploy-action promote`: promotes what staging verified, so it is its own gate.
    pub promote: bool,
}

/// An image reference found in a deploy step.
#[derive(Debug, Clone, PartialEq)]
pub struct ImageMention<'a> {
    /// The scalar it was found in.
    pub node: &'a Node,
    /// Byte range of the reference in the scalar's value.
    pub start: usize,
    /// End of that range.
    pub end: usize,
    /// The reference as written.
    pub text: String,
    /// Only a tag was given (`--set image.tag=latest`), not a whole reference.
    pub tag_only: bool,
}

/// What an image reference's tag says about what gets deployed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Tag {
    /// Pinned: a digest, a commit SHA, or a version.
    Pinned,
    /// Moves over time: `latest`, a branch name, no tag at all. Carries the tag as written
    /// (empty when there is none).
    Mutable(String),
    /// Decided at run time by a variable or expression we cannot see through.
    Unknown,
}

/// What [`job_deploys`] found in one job, without borrows, so it can be remembered.
struct Found {
    step: usize,
    /// Where the node showing the deploy starts (unique in the file).
    node_offset: usize,
    what: String,
    promote: bool,
}

thread_local! {
    /// While a file is linted ([`with_memo`]): the deploy steps of each of its jobs, by the
    /// address of the job's mapping, since several rules ask for the same job.
    static MEMO: RefCell<Option<FxHashMap<usize, Rc<[Found]>>>> = const { RefCell::new(None) };
}

/// Runs `f` (the rules over one file) with [`job_deploys`] remembering its answers; they are
/// forgotten when `f` returns, before another file's nodes can take the same addresses.
pub fn with_memo<R>(f: impl FnOnce() -> R) -> R {
    MEMO.with(|m| *m.borrow_mut() = Some(FxHashMap::default()));
    let r = f();
    MEMO.with(|m| *m.borrow_mut() = None);
    r
}

/// The deploy steps of a job, in order.
pub fn job_deploys<'a>(job: &Job<'a>) -> Vec<Deploy<'a>> {
    let key = std::ptr::from_ref(job.node) as usize;
    let found = MEMO.with(|m| m.borrow().as_ref().and_then(|m| m.get(&key).cloned()));
    let found = match found {
        Some(f) => f,
        None => {
            let f: Rc<[Found]> = compute_deploys(job)
                .into_iter()
                .map(|d| Found {
                    step: d.step,
                    node_offset: d.node.span.start.offset,
                    what: d.what,
                    promote: d.promote,
                })
                .collect();
            MEMO.with(|m| {
                if let Some(m) = m.borrow_mut().as_mut() {
                    m.insert(key, Rc::clone(&f));
                }
            });
            f
        }
    };
    found
        .iter()
        .filter_map(|f| {
            let step = job.steps.iter().find(|s| s.index == f.step)?;
            let node = step_nodes(step.node).find(|n| n.span.start.offset == f.node_offset)?;
            Some(Deploy {
                step: f.step,
                step_node: step.node,
                node,
                what: f.what.clone(),
                promote: f.promote,
            })
        })
        .collect()
}

/// The nodes of a step a deploy can be shown at: `uses:` and the scripts.
fn step_nodes(step: &Node) -> impl Iterator<Item = &Node> {
    let with = step.get("with");
    [
        step.get("uses"),
        step.get("run"),
        with.and_then(|w| w.get("inlineScript")),
        with.and_then(|w| w.get("args")),
        with.and_then(|w| w.get("command")),
    ]
    .into_iter()
    .flatten()
}

fn compute_deploys<'a>(job: &Job<'a>) -> Vec<Deploy<'a>> {
    // Whether the cluster is a throwaway one matters only for a cluster deploy: asked then.
    let throwaway = std::cell::OnceCell::new();
    let throwaway = || *throwaway.get_or_init(|| uses_throwaway_cluster(job));
    let mut out = Vec::new();
    for step in &job.steps {
        if let Some((node, what, promote)) = step_deploy(step.node, &throwaway) {
            out.push(Deploy {
                step: step.index,
                step_node: step.node,
                node,
                what,
                promote,
            });
        }
    }
    out
}

/// Whether any step of the job deploys.
pub fn is_deploy_job(job: &Job<'_>) -> bool {
    !job_deploys(job).is_empty()
}

/// The action a step uses, lower-case, without `@ref`.
pub fn action_name(step: &Node) -> Option<String> {
    let uses = step.get("uses")?.as_str()?;
    let name = uses.split('@').next().unwrap_or(uses).trim();
    Some(name.to_ascii_lowercase())
}

fn is_deploy_action_itself(name: &str) -> bool {
    name == "deploy-action" || name.ends_with("/deploy-action")
}

/// Whether `step` deploys: the node to point at, what it is, and whether it promotes.
fn step_deploy<'a>(
    step: &'a Node,
    throwaway: &dyn Fn() -> bool,
) -> Option<(&'a Node, String, bool)> {
    // The action's name is made once for both looks (it is lower-cased into a new string).
    let name = action_name(step);
    if let Some(name) = &name {
        let uses = step.get("uses")?;
        if is_deploy_action_itself(name) {
            let cmd = step.get("with").and_then(|w| w.get("command"))?.as_str()?;
            let cmd = cmd.trim();
            return matches!(cmd, "deploy" | "promote" | "rollback")
                .then(|| (uses, format!("deploy-action {cmd}"), cmd == "promote"));
        }
        let base = owner_repo(name);
        // `action: close` tears down a pull request's preview site: nothing is deployed.
        let closes = step
            .get("with")
            .and_then(|w| w.get("action"))
            .and_then(Node::as_str)
            .is_some_and(|a| a.trim().eq_ignore_ascii_case("close"));
        if DEPLOY_ACTIONS.contains(&base) {
            return (!closes).then(|| (uses, base.to_string(), false));
        }
    }
    for (node, script, _) in scripts_of(step, name.as_deref()) {
        if !may_deploy(&script) {
            continue;
        }
        for cmd in commands(&script) {
            if let Some((what, cluster)) = deploy_command(&cmd) {
                if cluster && throwaway() {
                    continue;
                }
                let promote = what == "deploy-action promote";
                return Some((node, what, promote));
            }
        }
    }
    None
}

/// `owner/repo` of an action's name: the name up to its second `/`, or all of it.
fn owner_repo(name: &str) -> &str {
    let second = name
        .bytes()
        .enumerate()
        .filter(|&(_, b)| b == b'/')
        .nth(1)
        .map(|(i, _)| i);
    second.map_or(name, |i| &name[..i])
}

/// The shell text a step runs: its `run:`, the `inlineScript:` of `azure/cli`, or the `args:`
/// (or `command:`) of an action that wraps `kubectl` or `helm` (`actions-hub/kubectl`), with
/// the tool's name put in front when the input leaves it out. Returns the scalar, the text, and how many bytes were put in front.
fn scripts(step: &Node) -> Vec<(&Node, Cow<'_, str>, usize)> {
    scripts_of(step, action_name(step).as_deref())
}

/// [`scripts`], given the step's [`action_name`].
fn scripts_of<'a>(step: &'a Node, name: Option<&str>) -> Vec<(&'a Node, Cow<'a, str>, usize)> {
    let mut out = Vec::new();
    if let Some(run) = step.get("run")
        && let Some(s) = run.as_str()
    {
        out.push((run, Cow::Borrowed(s), 0));
    }
    let Some(name) = name else {
        return out;
    };
    if name == "azure/cli"
        && let Some(v) = step.get("with").and_then(|w| w.get("inlineScript"))
        && let Some(s) = v.as_str()
    {
        out.push((v, Cow::Borrowed(s), 0));
    }
    let last = name.rsplit('/').next().unwrap_or_default();
    // `str::contains` would set up a two-way searcher for these few bytes first.
    let has = |word: &str| crate::bytes::find_str(word, last).is_some();
    let tool = if has("kubectl") {
        "kubectl"
    } else if has("helm") {
        "helm"
    } else {
        return out;
    };
    for key in ["args", "command"] {
        if let Some(v) = step.get("with").and_then(|w| w.get(key))
            && let Some(s) = v.as_str()
        {
            if s.trim_start().starts_with(tool) {
                out.push((v, Cow::Borrowed(s), 0));
            } else {
                out.push((v, Cow::Owned(format!("{tool} {s}")), tool.len() + 1));
            }
        }
    }
    out
}

/// The words of a command without `sudo`, `env` and leading `VAR=value` assignments, with the
/// program reduced to its file name.
fn program_words(cmd: &[Word]) -> Vec<&str> {
    let mut words: Vec<&str> = cmd.iter().map(|w| w.text.as_str()).collect();
    while let Some(first) = words.first() {
        let is_assign = first.split_once('=').is_some_and(|(k, _)| {
            !k.is_empty() && k.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
        });
        if matches!(*first, "sudo" | "env" | "time" | "exec" | "command") || is_assign {
            words.remove(0);
        } else {
            break;
        }
    }
    if let Some(first) = words.first_mut() {
        *first = first.rsplit('/').next().unwrap_or(first);
    }
    words
}

/// Flags of cluster tools that take a separate value (`-n prod apply`).
const VALUE_FLAGS: &[&str] = &[
    "-n",
    "--namespace",
    "--context",
    "--kubeconfig",
    "--cluster",
    "--user",
    "-s",
    "--server",
    "--token",
    "--kube-context",
    "-f",
    "--file",
    "-e",
    "--environment",
];

/// The first `n` words after the program that are not flags (or values of flags).
fn subcommands<'w>(words: &[&'w str], n: usize) -> Vec<&'w str> {
    let mut out = Vec::new();
    let mut skip = false;
    for w in words.iter().skip(1) {
        if skip {
            skip = false;
            continue;
        }
        if w.starts_with('-') {
            skip = VALUE_FLAGS.contains(w);
            continue;
        }
        out.push(*w);
        if out.len() == n {
            break;
        }
    }
    out
}

/// The programs a deploy command starts with.
const DEPLOY_PROGRAMS: [&str; 11] = [
    "deploy-action",
    "kubectl",
    "oc",
    "helm",
    "helmfile",
    "az",
    "gcloud",
    "aws",
    "flyctl",
    "fly",
    "terraform",
];

/// The bytes [`may_deploy`] counts as part of a word.
const WORD_BYTE: [bool; 256] = {
    let mut t = [false; 256];
    let mut b = 0;
    while b < 256 {
        let c = b as u8;
        t[b] = c.is_ascii_alphanumeric() || matches!(c, b'-' | b'_' | b'.');
        b += 1;
    }
    t
};

/// All of [`DEPLOY_PROGRAMS`] at once, the longest at a place (`helmfile` rather than `helm`).
/// Matches do not overlap, and none hides a program written as a word: the programs are made
/// of word bytes only, so a match that starts before a word cannot reach into it, and one that
/// starts with it and is longer would need a word byte where the word ends.
static PROGRAMS: LazyLock<Option<AhoCorasick>> = LazyLock::new(|| {
    AhoCorasick::builder()
        .match_kind(MatchKind::LeftmostLongest)
        .build(DEPLOY_PROGRAMS)
        .ok()
});

/// Whether `script` has one of [`DEPLOY_PROGRAMS`] as a word (a run of [`WORD_BYTE`]s; a
/// command's program is its last path segment), so that it can hold a deploy command. Most
/// scripts do not, and are not split into commands at all. The programs are searched for all
/// at once; an occurrence is a word when no word byte stands on either side.
fn may_deploy(script: &str) -> bool {
    let Some(programs) = PROGRAMS.as_ref() else {
        // Not built (it always is): the split into commands decides.
        return true;
    };
    let b = script.as_bytes();
    let word = |i: usize| b.get(i).is_some_and(|&c| WORD_BYTE[usize::from(c)]);
    programs
        .find_iter(b)
        .any(|m| (m.start() == 0 || !word(m.start() - 1)) && !word(m.end()))
}

/// Whether a command deploys: what it is, and whether it talks to a Kubernetes cluster.
fn deploy_command(cmd: &[Word]) -> Option<(String, bool)> {
    let words = program_words(cmd);
    let prog = *words.first()?;
    if words
        .iter()
        .any(|w| w.starts_with("--dry-run") && *w != "--dry-run=none")
    {
        return None;
    }
    let sub = subcommands(&words, 4);
    let sub: Vec<&str> = sub.iter().map(|s| s.trim()).collect();
    let s = |i: usize| sub.get(i).copied().unwrap_or("");
    match prog {
        "deploy-action" if matches!(s(0), "deploy" | "promote" | "rollback") => {
            Some((format!("deploy-action {}", s(0)), false))
        }
        "kubectl" | "oc" => match (s(0), s(1)) {
            ("apply" | "replace", _) => Some((format!("{prog} {}", s(0)), true)),
            ("set", "image") => Some((format!("{prog} set image"), true)),
            ("rollout", "restart" | "undo") => Some((format!("{prog} rollout {}", s(1)), true)),
            _ => None,
        },
        "helm" if matches!(s(0), "upgrade" | "install") => Some((format!("helm {}", s(0)), true)),
        "helmfile" if matches!(s(0), "apply" | "sync" | "deploy") => {
            Some((format!("helmfile {}", s(0)), true))
        }
        "az" => match (s(0), s(1), s(2), s(3)) {
            ("containerapp", "update" | "up", ..) | ("webapp", "deploy" | "up", ..) => {
                Some((format!("az {} {}", s(0), s(1)), false))
            }
            ("webapp", "config", "container", "set")
            | ("webapp", "deployment", "slot", "swap")
            | ("webapp" | "functionapp", "deployment", "source", "config-zip") => {
                Some((format!("az {}", sub.join(" ")), false))
            }
            _ => None,
        },
        "gcloud" if matches!(s(0), "run" | "app" | "functions") && s(1) == "deploy" => {
            Some((format!("gcloud {} deploy", s(0)), false))
        }
        "aws" => match (s(0), s(1)) {
            ("ecs", "update-service") | ("lambda", "update-function-code") => {
                Some((format!("aws {} {}", s(0), s(1)), false))
            }
            _ => None,
        },
        "flyctl" | "fly" if s(0) == "deploy" => Some((format!("{prog} deploy"), false)),
        "terraform" if s(0) == "apply" => Some(("terraform apply".into(), false)),
        _ => None,
    }
}

/// Whether the job works against a cluster it creates itself (kind, minikube, k3d, k3s), or is
/// a test job: its cluster commands are then set-up, not deploys.
fn uses_throwaway_cluster(job: &Job<'_>) -> bool {
    const MARKERS: &[&str] = &[
        "kind create",
        "kind load",
        "kind-action",
        "setup-kind",
        "kindest/",
        "minikube",
        "k3d",
        "k3s",
        "microk8s",
        "kubeadm init",
    ];
    let mut text = String::new();
    for step in &job.steps {
        for key in ["uses", "run", "name"] {
            if let Some(s) = step.node.get(key).and_then(Node::as_str) {
                text.push_str(&s.to_ascii_lowercase());
                text.push('\n');
            }
        }
    }
    if MARKERS.iter().any(|m| text.contains(m)) {
        return true;
    }
    let name = format!(
        "{} {}",
        job.id,
        job.get("name").and_then(Node::as_str).unwrap_or_default()
    )
    .to_ascii_lowercase();
    let words: Vec<&str> = name.split(|c: char| !c.is_ascii_alphanumeric()).collect();
    let testy = words.iter().any(|w| {
        ["test", "e2e", "conformance", "integration", "kind"]
            .iter()
            .any(|t| w.starts_with(t))
    });
    let deployish = ["deploy", "release", "prod", "stag", "rollout"]
        .iter()
        .any(|w| name.contains(w));
    testy && !deployish
}

/// The image references of a deploy step: `with:` image inputs of an action, or the images of
/// `--image`, `kubectl set image c=IMG` and `--set ...tag=TAG` in a command.
pub fn images<'a>(d: &Deploy<'a>) -> Vec<ImageMention<'a>> {
    let mut out = Vec::new();
    if let Some(with) = d.step_node.get("with").and_then(Node::as_map) {
        for (k, v) in with {
            let key = k.as_str().unwrap_or_default().to_ascii_lowercase();
            if IMAGE_INPUTS.contains(&key.as_str()) {
                input_images(v, &mut out);
            }
        }
    }
    for (node, script, prefix) in scripts(d.step_node) {
        if !may_deploy(&script) {
            continue;
        }
        for cmd in commands(&script) {
            if deploy_command(&cmd).is_some() {
                let at = Script {
                    node,
                    text: &script,
                    prefix,
                };
                command_images(&at, &cmd, &mut out);
            }
        }
    }
    out
}

/// A script and where its text came from, to map word offsets back into the scalar.
struct Script<'a, 's> {
    node: &'a Node,
    text: &'s str,
    prefix: usize,
}

impl<'a> Script<'a, '_> {
    fn push(&self, start: usize, end: usize, tag_only: bool, out: &mut Vec<ImageMention<'a>>) {
        if start < self.prefix {
            return;
        }
        if let Some(text) = self.text.get(start..end).filter(|t| !t.is_empty()) {
            out.push(ImageMention {
                node: self.node,
                start: start - self.prefix,
                end: end - self.prefix,
                text: text.to_string(),
                tag_only,
            });
        }
    }
}

/// Items of an `images:` input: separated by new lines, commas or spaces.
fn input_images<'a>(v: &'a Node, out: &mut Vec<ImageMention<'a>>) {
    let Some(s) = v.as_str() else { return };
    let mut start = None;
    let mut depth = 0usize;
    let bytes = s.as_bytes();
    for i in 0..=bytes.len() {
        let c = bytes.get(i).copied();
        if c == Some(b'$') && bytes.get(i + 1) == Some(&b'{') && bytes.get(i + 2) == Some(&b'{') {
            depth += 1;
        } else if c == Some(b'}') && bytes.get(i + 1) == Some(&b'}') && depth > 0 {
            depth -= 1;
        }
        let sep = matches!(c, None | Some(b'\n' | b',' | b' ' | b'\t' | b'\r')) && depth == 0;
        match (sep, start) {
            (true, Some(st)) => {
                push_ref(v, st, i, s, out);
                start = None;
            }
            (false, None) => start = Some(i),
            _ => {}
        }
    }
}

fn push_ref<'a>(
    node: &'a Node,
    start: usize,
    end: usize,
    s: &str,
    out: &mut Vec<ImageMention<'a>>,
) {
    if let Some(text) = s.get(start..end).filter(|t| !t.is_empty()) {
        out.push(ImageMention {
            node,
            start,
            end,
            text: text.to_string(),
            tag_only: false,
        });
    }
}

fn command_images<'a>(at: &Script<'a, '_>, cmd: &[Word], out: &mut Vec<ImageMention<'a>>) {
    let after_set_image = cmd
        .windows(2)
        .position(|w| w[0].text == "set" && w[1].text == "image")
        .map(|i| i + 2);
    for (i, w) in cmd.iter().enumerate() {
        let t = w.text.as_str();
        for flag in [
            "--image",
            "--container-image-name",
            "--docker-custom-image-name",
        ] {
            if t == flag {
                if let Some(next) = cmd.get(i + 1) {
                    at.push(next.start, next.end, false, out);
                }
            } else if let Some(v) = t.strip_prefix(flag).and_then(|r| r.strip_prefix('=')) {
                at.push(w.end - v.len(), w.end, false, out);
            }
        }
        if after_set_image.is_some_and(|s| i > s)
            && !t.starts_with('-')
            && let Some((_, img)) = t.split_once('=')
        {
            at.push(w.end - img.len(), w.end, false, out);
        }
        if i > 0 && matches!(cmd[i - 1].text.as_str(), "--set" | "--set-string") {
            for pair in t.split(',') {
                if let Some((k, v)) = pair.split_once('=')
                    && k.to_ascii_lowercase().ends_with("tag")
                    && let Some(off) = t.find(pair)
                {
                    let vs = w.start + off + k.len() + 1;
                    at.push(vs, vs + v.len(), true, out);
                }
            }
        }
    }
}

/// Classifies an image reference by its tag.
pub fn classify(reference: &str) -> Tag {
    let r = reference.trim().trim_matches(['"', '\'']);
    if r.contains("@sha256:") || r.contains("@${{") || r.contains("@$") {
        return Tag::Pinned;
    }
    let (shape, exprs) = opaque_shape(r);
    let name_end = shape.rfind('/').map_or(0, |i| i + 1);
    match shape[name_end..].rfind(':') {
        Some(i) => classify_shape(&shape[name_end + i + 1..], &exprs, || tag_text(r)),
        // No tag: `latest`, unless a variable or expression may carry one.
        None if shape.contains('\u{0}') || shape.contains('$') => Tag::Unknown,
        None => Tag::Mutable(String::new()),
    }
}

/// Classifies a tag given on its own (`--set image.tag=TAG`).
pub fn classify_tag(tag: &str) -> Tag {
    let t = tag.trim().trim_matches(['"', '\'']);
    if t.is_empty() {
        return Tag::Unknown;
    }
    let (shape, exprs) = opaque_shape(t);
    classify_shape(&shape, &exprs, || t.to_string())
}

/// The text with each `${{ }}` replaced by one NUL character, so that the dots and colons of
/// expressions do not count, and the expressions themselves.
fn opaque_shape(r: &str) -> (String, Vec<&str>) {
    let mut shape = String::new();
    let mut exprs = Vec::new();
    let mut rest = r;
    while let Some(i) = rest.find("${{") {
        shape.push_str(&rest[..i]);
        let end = rest[i..].find("}}").map_or(rest.len(), |e| i + e + 2);
        exprs.push(&rest[i..end]);
        shape.push('\u{0}');
        rest = &rest[end..];
    }
    shape.push_str(rest);
    (shape, exprs)
}

fn classify_shape(tag: &str, exprs: &[&str], written: impl Fn() -> String) -> Tag {
    if tag.contains('\u{0}') || tag.contains('$') {
        let lower = format!("{tag} {}", exprs.join(" ")).to_ascii_lowercase();
        if ["sha", "digest", "version", "run_number", "run_id"]
            .iter()
            .any(|p| lower.contains(p))
        {
            return Tag::Pinned;
        }
        if ["ref_name", "head_ref", "github.ref", "branch", "base_ref"]
            .iter()
            .any(|b| lower.contains(b))
        {
            return Tag::Mutable(written());
        }
        return Tag::Unknown;
    }
    if tag.is_empty() {
        return Tag::Mutable(String::new());
    }
    let hex = tag.trim_start_matches("sha-").trim_start_matches("sha256-");
    if (7..=64).contains(&hex.len()) && hex.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Tag::Pinned;
    }
    // A version (`v1.2.3`, `2024.01`, `1.25-alpine`) is treated as a release: not flagged.
    if tag.bytes().any(|b| b.is_ascii_digit()) {
        return Tag::Pinned;
    }
    Tag::Mutable(tag.to_string())
}

/// The tag part of a reference as written (after the last `:` following the last `/`).
fn tag_text(reference: &str) -> String {
    let name_end = reference.rfind('/').map_or(0, |i| i + 1);
    reference[name_end..]
        .rsplit_once(':')
        .map_or(String::new(), |(_, t)| t.to_string())
}

/// The environment a job deploys to: its `environment:` name (or `environment.name`).
pub fn environment<'a>(job: &Job<'a>) -> Option<(&'a str, &'a Node)> {
    let env = job.get("environment")?;
    let name = match env.as_map() {
        Some(_) => env.get("name")?,
        None => env,
    };
    let s = name.as_str()?;
    (!s.trim().is_empty()).then_some((s, name))
}

#[cfg(test)]
mod tests;
