//! `deploy-action promote`: evaluate the policy's gates for a commit's digests, and when they
//! all hold, move the same digests to the target environment (registry retag by manifest copy,
//! deployment record, rollout), verify, and roll back when verification fails.
//!
//! Order, and why:
//! 1. Already promoted (the target's live deployment is this commit with these digests)? Then
//!    nothing happens: no record, no retag.
//! 2. Gates, concurrently. Any failure or error refuses; nothing has been recorded yet.
//! 3. Lock: the target's deployment is recorded (`queued`) before anything moves. A queued or
//!    in-progress deployment of the target with a smaller id, younger than `--lock-timeout`,
//!    wins; the later one marks its own record `error` and is refused. Both see each other,
//!    since each looks only after recording itself.
//! 4. Retag, roll out (as `deploy`), verify, roll back.

use std::path::PathBuf;

use anyhow::Context;

use super::rollout::{self, Interrupt, get};
use super::{emit, exit, progress, stepped, store};
use crate::cli::{DeployTargetKind, PromoteArgs, RecordFormat};
use crate::runner::Runner;
use deploy_action_image::tags::ImageRef;
use deploy_action_records::{
    Artifact, Deployment, DeploymentPayload, DeploymentStore, GithubStore, StatusState,
};
use deploy_action_release::deploy::{DeployPlan, DockerTarget, Target, deploy_recorded};
use deploy_action_release::gate::{self, Decision, DecisionKind, GateError, Policy, Subject};
use deploy_action_release::promote::{self, decide, short_sha};

/// Runs `promote`.
pub fn run(args: &PromoteArgs) -> anyhow::Result<u8> {
    let runner = Runner::from_env(get);
    let selected = store::select_masked(&args.store, &get, &runner)?;
    let text = std::fs::read_to_string(&args.policy).map_err(|source| GateError::PolicyRead {
        path: args.policy.clone(),
        source,
    })?;
    let policy = gate::policy::parse(&text, &get)
        .map_err(|problems| GateError::policy(args.policy.clone(), problems))?;
    let (from, to) = promote::environments(args.from.as_ref(), args.to.as_ref(), &policy)?;
    stepped::usage(args, &policy)?;
    let sha = rollout::commit(args.sha.as_deref())?;
    let (given_images, given_artifacts) = subject_artifacts(args)?;
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    let (decision, code) = rt.block_on(async {
        let interrupt = Interrupt::listen()?;
        let show = |line: &str| progress(line);
        let mut decision = Decision::new(DecisionKind::Error, &from, &to, &sha, &given_artifacts);
        // Without --image/--artifact: what `from` runs for the commit, from its records.
        let (images, artifacts) = if given_images.is_empty() && given_artifacts.is_empty() {
            match promote::staged_subject(&selected.store, &from, &sha, &show).await {
                Ok(found) => found,
                Err((kind, why, code)) => {
                    let code = decide(&mut decision, kind, why, code);
                    return anyhow::Ok((decision, code));
                }
            }
        } else {
            (given_images, given_artifacts)
        };
        decision.artifacts.clone_from(&artifacts);
        if args.rollout.target == Some(DeployTargetKind::Docker) && images.len() > 1 {
            let names: Vec<String> = images.iter().map(ImageRef::name).collect();
            let why = format!(
                "--target docker runs one image, and this promotion has {} ({}); promote with \
                 --gate-only and deploy each service with `deploy --target docker` (as \
                 gen-workflow's pipelines do), or pick one with --image",
                images.len(),
                names.join(", ")
            );
            let code = decide(&mut decision, DecisionKind::Error, why, exit::USAGE);
            return anyhow::Ok((decision, code));
        }
        let subject = Subject {
            sha: sha.clone(),
            artifacts,
            branch: rollout::branch(),
        };
        let job = PromoteRun {
            args,
            policy: &policy,
            from: &from,
            to: &to,
            subject: &subject,
            images: &images,
            github: match &selected.store {
                deploy_action_release::deploy::AnyStore::Github(g) => Some(g),
                deploy_action_release::deploy::AnyStore::Ledger(_) => None,
            },
        };
        let code = job
            .promote(&selected.store, &interrupt, &mut decision)
            .await;
        anyhow::Ok((decision, code))
    })?;
    report(args, &decision, &runner)?;
    Ok(code)
}

/// The `--image`s (with digests) and `--artifact`s, sorted by name; both empty when none was
/// given (then what the source environment runs is promoted).
fn subject_artifacts(args: &PromoteArgs) -> anyhow::Result<(Vec<ImageRef>, Vec<Artifact>)> {
    let mut images = Vec::new();
    let mut artifacts = Vec::new();
    for text in &args.images {
        let image = ImageRef::parse(text).with_context(|| format!("invalid --image {text}"))?;
        let Some(digest) = image.digest() else {
            anyhow::bail!(
                "--image {text} has no digest; promote REPOSITORY@sha256:… so exactly what staging runs moves"
            );
        };
        artifacts.push(Artifact {
            name: image.name(),
            repository: Some(image.name()),
            digest: digest.to_owned(),
        });
        images.push(image);
    }
    for text in &args.artifacts {
        let (name, digest) = text
            .split_once('@')
            .filter(|(n, d)| !n.is_empty() && d.starts_with("sha256:") && d.len() == 71)
            .ok_or_else(|| {
                anyhow::anyhow!("invalid --artifact {text}: use NAME@sha256:<64 hex digits>")
            })?;
        artifacts.push(Artifact {
            name: name.to_owned(),
            repository: None,
            digest: digest.to_owned(),
        });
    }
    artifacts.sort();
    Ok((images, artifacts))
}

/// One promotion under way: its arguments, records and policy.
struct PromoteRun<'a> {
    args: &'a PromoteArgs,
    policy: &'a Policy,
    from: &'a str,
    to: &'a str,
    subject: &'a Subject,
    images: &'a [ImageRef],
    github: Option<&'a GithubStore>,
}

impl PromoteRun<'_> {
    /// The whole promotion; fills `decision` and returns the exit status.
    async fn promote<S: DeploymentStore>(
        &self,
        store: &S,
        interrupt: &Interrupt,
        decision: &mut Decision,
    ) -> u8 {
        let (to, sha) = (self.to, &self.subject.sha);
        let show = |line: &str| progress(line);
        // 1. Idempotence, 2. gates.
        let check = promote::Check {
            policy: self.policy,
            from: self.from,
            to,
            subject: self.subject,
            checks: self.github,
            gate_only: self.args.gate_only,
        };
        let live = match promote::check(store, &check, interrupt.wait(), decision, &show).await {
            Ok(live) => live,
            Err(code) => return code,
        };

        // 3. Lock.
        let docker = match rollout::docker_target(&self.args.rollout).await {
            Ok(d) => d,
            Err(f) => return decide(decision, DecisionKind::Error, f.message, f.code),
        };
        let tags = vec![to.to_owned(), format!("{to}-{}", short_sha(sha))];
        let plan = match self.plan(docker.as_ref(), &tags).await {
            Ok(p) => p,
            Err(e) => return decide(decision, DecisionKind::Error, e.to_string(), exit::INFRA),
        };
        let mut log = |line: &str| progress(line);
        let lock = promote::lock(store, &plan, self.subject, self.args.lock_timeout, &mut log);
        let mine = match lock.await {
            Ok(promote::Lock::Held(d)) => *d,
            Ok(promote::Lock::Busy(why)) => {
                return decide(decision, DecisionKind::Refused, why, exit::REFUSED);
            }
            Ok(promote::Lock::Done(why)) => {
                return decide(decision, DecisionKind::AlreadyPromoted, why, exit::OK);
            }
            Err(e) => return decide(decision, DecisionKind::Error, e.to_string(), exit::INFRA),
        };
        decision.deployment_id = Some(mine.id);

        // 4. Retag, then roll out.
        let retagged = tokio::select! {
            r = rollout::retag_all(self.images, &tags) => r,
            signal = interrupt.wait() => Err(GateError::Usage(format!("interrupted by {signal}"))),
        };
        match retagged {
            Ok(written) => decision.retagged = written,
            Err(e) => {
                let why = e.to_string();
                rollout::close(store, mine.id, StatusState::Error, &why).await;
                let code = if interrupt.fired().is_some() {
                    exit::INTERRUPTED
                } else {
                    exit::INFRA
                };
                return decide(decision, DecisionKind::Error, why, code);
            }
        }
        if self.is_stepped() {
            return self
                .stepped(
                    store,
                    &plan,
                    &mine,
                    live.as_ref(),
                    docker.as_ref(),
                    interrupt,
                    decision,
                )
                .await;
        }
        let target = rollout::target(docker.clone(), &self.args.command);
        let outcome = match deploy_recorded(
            store,
            &plan,
            mine.clone(),
            &target,
            interrupt.wait(),
            &mut log,
        )
        .await
        {
            Ok(o) => o,
            Err(e) => return decide(decision, DecisionKind::Error, e.to_string(), exit::INFRA),
        };
        decision.environment_url = outcome.environment_url.clone();
        if outcome.interrupted_by.is_some() {
            return decide(
                decision,
                DecisionKind::Error,
                outcome.reason,
                exit::INTERRUPTED,
            );
        }
        if outcome.state != StatusState::Success {
            // The target kept what it ran; so does its tag.
            rollout::retag_back(live.as_ref(), self.to, !self.images.is_empty()).await;
            let why = format!("the rollout to {to} failed: {}", outcome.reason);
            return decide(decision, DecisionKind::Error, why, exit::DEPLOY_FAILED);
        }

        self.verify(
            store,
            live.as_ref(),
            &mine,
            docker.as_ref(),
            &target,
            interrupt,
            decision,
        )
        .await
    }

    /// 5. Verify, roll back on failure.
    #[allow(clippy::too_many_arguments)]
    async fn verify<S: DeploymentStore>(
        &self,
        store: &S,
        live: Option<&Deployment>,
        mine: &Deployment,
        docker: Option<&DockerTarget>,
        target: &Target,
        interrupt: &Interrupt,
        decision: &mut Decision,
    ) -> u8 {
        let (to, sha) = (self.to, &self.subject.sha);
        let show = |line: &str| progress(line);
        let Some(verify) = &self.policy.verify else {
            let why = format!(
                "promoted {} to {to} (deployment {})",
                short_sha(sha),
                mine.id
            );
            return decide(decision, DecisionKind::Promoted, why, exit::OK);
        };
        let failed = tokio::select! {
            f = promote::verify_window(verify, &mut decision.verification, &show) => f,
            signal = interrupt.wait() => {
                return decide(decision, DecisionKind::Error, format!("interrupted by {signal} during verification; {to} keeps the new deployment"), exit::INTERRUPTED);
            }
        };
        let Some(problem) = failed else {
            let why = format!(
                "promoted {} to {to} (deployment {}) and verified for {}",
                short_sha(sha),
                mine.id,
                deploy_action_release::probe::human(verify.window)
            );
            return decide(decision, DecisionKind::Promoted, why, exit::OK);
        };
        self.roll_back(
            store, live, mine, &problem, docker, target, interrupt, decision,
        )
        .await
    }

    /// Whether the rollout goes step by step: the policy has `rollout`, or traffic moves with
    /// the user's traffic command.
    fn is_stepped(&self) -> bool {
        self.policy.rollout.is_some() || self.args.traffic_command.is_some()
    }

    /// The progressive rollout (see [`super::stepped`]), then verification.
    #[allow(clippy::too_many_arguments)]
    async fn stepped<S: DeploymentStore>(
        &self,
        store: &S,
        plan: &DeployPlan,
        mine: &Deployment,
        live: Option<&Deployment>,
        docker: Option<&DockerTarget>,
        interrupt: &Interrupt,
        decision: &mut Decision,
    ) -> u8 {
        let Some(how) = stepped::how(docker, self.args, plan, live, mine) else {
            let why =
                "rollout.steps need a way to move traffic: --target docker, or --traffic-command"
                    .to_owned();
            rollout::close(store, mine.id, StatusState::Error, &why).await;
            return decide(decision, DecisionKind::Error, why, exit::USAGE);
        };
        let run = stepped::Stepped {
            steps: stepped::steps(self.policy),
            analysis: self.policy.analysis.as_ref(),
            how,
            plan,
            interrupt,
        };
        let mut records = Vec::new();
        let end = stepped::run(store, mine, run, &mut records).await;
        decision.steps = records;
        let end = match end {
            Ok(end) => end,
            Err(e) => {
                rollout::retag_back(live, self.to, !self.images.is_empty()).await;
                return decide(decision, DecisionKind::Error, e.to_string(), exit::INFRA);
            }
        };
        match stepped::conclude(end, self.to, live, decision) {
            Ok(url) => {
                decision.environment_url = url;
                let target = rollout::target(docker.cloned(), &self.args.command);
                self.verify(store, live, mine, docker, &target, interrupt, decision)
                    .await
            }
            Err((kind, why, code)) => {
                rollout::retag_back(live, self.to, !self.images.is_empty()).await;
                progress(&why);
                decide(decision, kind, why, code)
            }
        }
    }

    /// The target's deployment plan (payload, what the target runs).
    async fn plan(
        &self,
        docker: Option<&DockerTarget>,
        tags: &[String],
    ) -> Result<DeployPlan, GateError> {
        let (image, digest) = match self.images.first() {
            Some(i) => (i.name(), i.digest().unwrap_or_default().to_owned()),
            None => {
                let a = &self.subject.artifacts[0];
                (a.name.clone(), a.digest.clone())
            }
        };
        let run_image = if self.images.is_empty() {
            format!("{image}@{digest}")
        } else {
            deploy_action_release::rollback::run_image(docker, &image, &digest).await?
        };
        let mut payload = DeploymentPayload::single(&image, &digest);
        payload.run_url = rollout::run_url();
        if !self.images.is_empty() {
            payload.tags = tags.to_vec();
        }
        if self.subject.artifacts.len() > 1 || self.images.is_empty() {
            payload.artifacts = self.subject.artifacts.clone();
        }
        Ok(DeployPlan {
            environment: self.to.to_owned(),
            sha: self.subject.sha.clone(),
            payload,
            run_image,
            environment_url: self.args.rollout.url.clone(),
            health_timeout: self.args.rollout.health_timeout,
            production: false,
            container_name: self.args.rollout.name.clone(),
        })
    }

    /// Marks `mine` failed and redeploys the deployment that was live before it.
    #[allow(clippy::too_many_arguments)]
    async fn roll_back<S: DeploymentStore>(
        &self,
        store: &S,
        previous: Option<&Deployment>,
        mine: &Deployment,
        problem: &str,
        docker: Option<&DockerTarget>,
        target: &Target,
        interrupt: &Interrupt,
        decision: &mut Decision,
    ) -> u8 {
        let to = self.to;
        progress(&format!("verification failed: {problem}; rolling back"));
        rollout::close(
            store,
            mine.id,
            StatusState::Failure,
            &format!("Verification failed: {problem}"),
        )
        .await;
        let Some(previous) = previous else {
            let why = format!(
                "verification of {to} failed ({problem}) and there is no earlier successful deployment to roll back to; {to} keeps the new digests"
            );
            return decide(decision, DecisionKind::Refused, why, exit::REFUSED);
        };
        let how = rollout::Rollout {
            docker,
            target,
            args: &self.args.rollout,
            interrupt,
        };
        match rollout::redeploy(store, previous, to, !self.images.is_empty(), &how).await {
            Ok(o) if o.state == StatusState::Success => {
                decision.rolled_back_to = Some(previous.id);
                decision.environment_url = o.environment_url.clone();
                let why = format!(
                    "verification of {to} failed ({problem}); rolled back to {} (deployment {}, now {})",
                    short_sha(&previous.sha),
                    previous.id,
                    o.deployment_id
                );
                decide(decision, DecisionKind::RolledBack, why, exit::REFUSED)
            }
            Ok(o) => decide(
                decision,
                DecisionKind::Error,
                format!(
                    "verification failed ({problem}) and the rollback failed too: {}",
                    o.reason
                ),
                exit::DEPLOY_FAILED,
            ),
            Err(e) => decide(
                decision,
                DecisionKind::Error,
                format!("verification failed ({problem}) and the rollback failed: {e}"),
                exit::INFRA,
            ),
        }
    }
}

/// Writes the decision file, stdout, GITHUB_OUTPUT and the step summary.
fn report(args: &PromoteArgs, decision: &Decision, runner: &Runner) -> anyhow::Result<()> {
    let path = args.decision_file.clone().unwrap_or_else(|| {
        PathBuf::from(".deploy-action/decisions").join(format!(
            "{}-{}.json",
            short_sha(&decision.sha),
            decision.to
        ))
    });
    let json = decision.to_json();
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    }
    std::fs::write(&path, &json)
        .with_context(|| format!("cannot write the decision record {}", path.display()))?;
    let text = match args.format {
        RecordFormat::Json => json,
        RecordFormat::Human => format!(
            "{}: {}\ndecision record: {}\n",
            decision.decision.as_str(),
            decision.reason,
            path.display()
        ),
    };
    // In human format stdout says it; with JSON on stdout, stderr keeps the one-line reason.
    if args.format == RecordFormat::Json
        && !matches!(
            decision.decision,
            DecisionKind::Promoted | DecisionKind::Approved | DecisionKind::AlreadyPromoted
        )
    {
        progress(&format!(
            "{}: {}",
            decision.decision.as_str(),
            decision.reason
        ));
    }
    emit(&text)?;
    let id = decision
        .deployment_id
        .map(|i| i.to_string())
        .unwrap_or_default();
    let url = decision.environment_url.clone().unwrap_or_default();
    runner.set_outputs(&[
        ("decision", decision.decision.as_str()),
        ("deployment-id", &id),
        ("environment-url", &url),
    ])?;
    runner.summary(&decision.markdown())?;
    Ok(())
}
