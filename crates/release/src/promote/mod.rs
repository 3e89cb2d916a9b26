//! The promotion state machine's steps that decide: which environments, what the source runs,
//! whether it is already promoted, the gates (which fail closed), the promotion lock, and the
//! verification window. The command (`commands/promote.rs`) strings them together with the
//! rollout.
//!
//! Nothing here reads the environment or prints: progress goes to a callback.

use std::future::Future;
use std::time::Duration;

use chrono::Utc;
use deploy_action_image::tags::ImageRef;
use deploy_action_records::{Artifact, Deployment, DeploymentStore, StatusRequest, StatusState};
use deploy_action_sys::exit;

use crate::deploy::{DeployPlan, record};
use crate::gate::{
    self, ChecksSource, Decision, DecisionKind, GateError, GateResult, Policy, Subject, Verdict,
};
use crate::probe::human;
use crate::rollback::close;

/// A progress callback: one line per step.
pub type Progress<'a> = &'a (dyn Fn(&str) + Sync);

/// `--from`/`--to` against the policy's `from`/`to`: given twice, they must agree.
pub fn environments(
    from: Option<&String>,
    to: Option<&String>,
    policy: &Policy,
) -> Result<(String, String), GateError> {
    let pick = |flag: Option<&String>, file: &Option<String>, name: &str| match (flag, file) {
        (Some(a), Some(b)) if a != b => Err(GateError::Usage(format!(
            "--{name} {a} disagrees with the policy's `{name}: {b}`; change one of them"
        ))),
        (Some(a), _) | (None, Some(a)) => Ok(a.clone()),
        (None, None) => Err(GateError::Usage(format!(
            "no `{name}` environment: pass --{name} ENV or set `{name}:` in the policy"
        ))),
    };
    let from = pick(from, &policy.from, "from")?;
    let to = pick(to, &policy.to, "to")?;
    if from == to {
        return Err(GateError::Usage(format!(
            "promoting from {from} to itself makes no sense; check --from/--to and the policy"
        )));
    }
    Ok((from, to))
}

/// What `from` runs for `sha`, read from its deployment records (every service deployed at that
/// commit), as images and artifacts; else the decision, its reason and exit status.
pub async fn staged_subject<S: DeploymentStore>(
    store: &S,
    from: &str,
    sha: &str,
    progress: Progress<'_>,
) -> Result<(Vec<ImageRef>, Vec<Artifact>), (DecisionKind, String, u8)> {
    let records = store
        .history(from, Some(gate::RECORDS_READ))
        .await
        .map_err(|e| {
            (
                DecisionKind::Error,
                format!("cannot read what {from} runs: {e}"),
                exit::INFRA,
            )
        })?;
    let artifacts = gate::staged_artifacts(&records, sha);
    if artifacts.is_empty() {
        return Err((
            DecisionKind::Refused,
            format!(
                "{from} has no successful deployment of {} that records a digest, so there is \
                 nothing to promote; deploy the commit to {from} first, or name what to promote \
                 with --image REPOSITORY@sha256:…",
                short_sha(sha)
            ),
            exit::REFUSED,
        ));
    }
    let mut images = Vec::new();
    for a in &artifacts {
        if let Some(repo) = &a.repository {
            let text = format!("{repo}@{}", a.digest);
            let image = ImageRef::parse(&text).map_err(|e| {
                (
                    DecisionKind::Error,
                    format!("{from} records the image {text}, which is not a reference: {e}"),
                    exit::USAGE,
                )
            })?;
            images.push(image);
        }
    }
    let list: Vec<String> = artifacts
        .iter()
        .map(|a| format!("{}@{}", a.name, a.digest))
        .collect();
    progress(&format!(
        "promoting what {from} runs at {}: {}",
        short_sha(sha),
        list.join(", ")
    ));
    Ok((images, artifacts))
}

/// Whether `d` deployed `subject`'s commit with exactly its digests.
pub fn is_subject(subject: &Subject, d: &Deployment) -> bool {
    d.sha == subject.sha
        && d.payload
            .as_ref()
            .is_some_and(|p| p.all_artifacts() == subject.artifacts)
}

/// What the promotion checks before anything moves.
pub struct Check<'a, C> {
    /// The policy.
    pub policy: &'a Policy,
    /// The source environment.
    pub from: &'a str,
    /// The target environment.
    pub to: &'a str,
    /// What is promoted.
    pub subject: &'a Subject,
    /// Where commit checks come from (GitHub), if anywhere.
    pub checks: Option<&'a C>,
    /// `--gate-only`: stop once the gates pass.
    pub gate_only: bool,
}

/// Steps 1 and 2: idempotence, then the gates (concurrently; any failure or error refuses,
/// so the gates fail closed). Returns what `to` runs now when the promotion goes on, or the
/// exit status once `decision` is final (already promoted, refused, approved, interrupted).
pub async fn check<S: DeploymentStore, C: ChecksSource>(
    store: &S,
    how: &Check<'_, C>,
    interrupt: impl Future<Output = String>,
    decision: &mut Decision,
    progress: Progress<'_>,
) -> Result<Option<Deployment>, u8> {
    let (to, sha) = (how.to, &how.subject.sha);
    let live = match store.latest_successful(to).await {
        Ok(live) => live,
        Err(e) => {
            return Err(decide(
                decision,
                DecisionKind::Error,
                e.to_string(),
                exit::INFRA,
            ));
        }
    };
    if let Some(live) = &live
        && is_subject(how.subject, live)
    {
        decision.deployment_id = Some(live.id);
        let why = format!(
            "{to} already runs {} with these digests (deployment {}); nothing to do",
            short_sha(sha),
            live.id
        );
        progress(&why);
        return Err(decide(
            decision,
            DecisionKind::AlreadyPromoted,
            why,
            exit::OK,
        ));
    }
    let gates = gate::evaluate(
        &how.policy.gates,
        store,
        how.checks,
        how.from,
        how.subject,
        progress,
    );
    let results = tokio::select! {
        r = gates => r,
        signal = interrupt => {
            let why = format!("interrupted by {signal} while evaluating gates");
            return Err(decide(decision, DecisionKind::Error, why, exit::INTERRUPTED));
        }
    };
    decision.gates = results;
    if let Some(why) = blocked(&decision.gates) {
        return Err(decide(decision, DecisionKind::Refused, why, exit::REFUSED));
    }
    if how.gate_only {
        let why = format!(
            "every gate passed; {} may go to {to} (--gate-only: nothing recorded, retagged or rolled out)",
            short_sha(sha)
        );
        progress(&why);
        return Err(decide(decision, DecisionKind::Approved, why, exit::OK));
    }
    Ok(live)
}

/// The outcome of taking the promotion lock.
#[derive(Debug)]
pub enum Lock {
    /// This run holds it, through its `queued` deployment.
    Held(Box<Deployment>),
    /// Another run holds it.
    Busy(String),
    /// Another run already promoted the same digests.
    Done(String),
}

/// Step 3: records the target's deployment (`plan`) as `queued` and checks that no earlier
/// unfinished one younger than `lock_timeout` holds the lock. Both of two concurrent runs see
/// each other, since each looks only after recording itself; the smaller id wins.
pub async fn lock<S: DeploymentStore>(
    store: &S,
    plan: &DeployPlan,
    subject: &Subject,
    lock_timeout: Duration,
    progress: &mut (dyn FnMut(&str) + Send),
) -> Result<Lock, GateError> {
    let to = plan.environment.as_str();
    let mine = record(store, plan).await?;
    let queued = StatusRequest::new(StatusState::Queued, "Promotion: holding the lock");
    if let Err(e) = store.post_status(mine.id, &queued).await {
        close(
            store,
            mine.id,
            StatusState::Error,
            "Could not take the lock",
            progress,
        )
        .await;
        return Err(e.into());
    }
    let recent = match store.history(to, Some(50)).await {
        Ok(r) => r,
        Err(e) => {
            let why = "Could not check the lock";
            close(store, mine.id, StatusState::Error, why, progress).await;
            return Err(e.into());
        }
    };
    let timeout =
        chrono::Duration::from_std(lock_timeout).unwrap_or_else(|_| chrono::Duration::days(1));
    let holder = recent.iter().find(|e| {
        e.deployment.id < mine.id
            && Utc::now() - e.deployment.created_at < timeout
            && matches!(
                e.latest_status.as_ref().map(|s| s.state),
                None | Some(StatusState::Queued | StatusState::InProgress | StatusState::Pending)
            )
    });
    if let Some(holder) = holder {
        let why = format!(
            "deployment {} to {} (commit {}) is still {} since {}; another promotion holds the lock; retry when it finishes (or after --lock-timeout {})",
            holder.deployment.id,
            to,
            short_sha(&holder.deployment.sha),
            holder
                .latest_status
                .as_ref()
                .map_or("pending", |s| s.state.as_str()),
            holder.deployment.created_at.format("%H:%M:%S UTC"),
            human(lock_timeout),
        );
        let lost = format!(
            "Lost the promotion lock to deployment {}",
            holder.deployment.id
        );
        close(store, mine.id, StatusState::Error, &lost, progress).await;
        return Ok(Lock::Busy(why));
    }
    // A promotion of the same digests may have finished between the first look and the
    // lock: then this one has nothing left to do.
    if let Some(done) = recent.iter().find(|e| {
        e.deployment.id < mine.id
            && e.latest_status.as_ref().map(|s| s.state) == Some(StatusState::Success)
            && is_subject(subject, &e.deployment)
    }) {
        let id = done.deployment.id;
        let why = format!("Already promoted by deployment {id}");
        close(store, mine.id, StatusState::Error, &why, progress).await;
        return Ok(Lock::Done(format!(
            "{to} already runs {} with these digests (deployment {id}, promoted concurrently)",
            short_sha(&subject.sha)
        )));
    }
    progress(&format!(
        "deployment {} to {to} holds the promotion lock",
        mine.id
    ));
    Ok(Lock::Held(Box::new(mine)))
}

/// Runs verification rounds for the window; `Some(problem)` at the first non-pass.
pub async fn verify_window(
    verify: &gate::policy::Verify,
    results: &mut Vec<GateResult>,
    progress: Progress<'_>,
) -> Option<String> {
    let deadline = tokio::time::Instant::now() + verify.window;
    loop {
        let round = gate::verify_round(verify.health.as_ref(), &verify.metrics, progress).await;
        let problem = blocked(&round);
        // Keep the first round and every failing one: enough evidence, not a flood.
        if results.is_empty() || problem.is_some() {
            results.extend(round);
        }
        if problem.is_some() {
            return problem;
        }
        let now = tokio::time::Instant::now();
        if now + verify.interval > deadline {
            return None;
        }
        tokio::time::sleep(verify.interval.max(Duration::from_millis(10))).await;
    }
}

/// The first gate that did not pass, as `gate: evidence`.
pub fn blocked(results: &[GateResult]) -> Option<String> {
    results
        .iter()
        .find(|r| r.verdict != Verdict::Pass)
        .map(|r| format!("gate {} {}: {}", r.gate, r.verdict.as_str(), r.evidence))
}

/// Sets the decision and reason; returns `code`.
pub fn decide(decision: &mut Decision, kind: DecisionKind, reason: String, code: u8) -> u8 {
    decision.decision = kind;
    decision.reason = reason;
    decision.decided_at = Utc::now();
    code
}

/// The first seven characters of a commit SHA.
pub fn short_sha(sha: &str) -> String {
    sha.chars().take(7).collect()
}

#[cfg(test)]
mod tests;
