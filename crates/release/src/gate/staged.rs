//! What the source environment runs for a commit, read from its deployment records: the
//! `deployed`, `same_digest` and `soak` gates, and the artifacts `promote` moves when no
//! `--image` is given.
//!
//! One environment can hold several live records at once: one per service when each is
//! deployed on its own (the docker target), and records made by other tools (GitHub's own
//! deployment of a job with `environment:` carries no digest). A `success` marks the
//! environment's earlier successful records `inactive`, on GitHub as in the ledger, so a
//! service's record goes `inactive` when the next service is deployed. What runs of an artifact
//! is therefore its newest record that went `success`, whether it is still `success` or was
//! made `inactive` by another artifact's deployment: a failed deployment replaces nothing.

use std::collections::BTreeMap;
use std::time::Duration;

use chrono::{DateTime, Utc};

use super::eval::{Subject, Verdict};
use crate::probe::human;
use deploy_action_records::{Artifact, HistoryEntry, StatusState};

/// How many of the source environment's newest records are read: far more than the services a
/// pipeline deploys at one commit, few enough for one page.
pub const RECORDS_READ: usize = 30;

/// The source environment's newest records (newest first), or why they could not be read.
pub type Records<'a> = &'a Result<Vec<HistoryEntry>, String>;

fn went_live(entry: &HistoryEntry) -> bool {
    matches!(
        entry.latest_status.as_ref().map(|s| s.state),
        Some(StatusState::Success | StatusState::Inactive)
    )
}

fn artifacts_of(entry: &HistoryEntry) -> Vec<Artifact> {
    entry
        .deployment
        .payload
        .as_ref()
        .map(deploy_action_records::DeploymentPayload::all_artifacts)
        .unwrap_or_default()
}

fn carries(entry: &HistoryEntry, name: &str) -> bool {
    artifacts_of(entry).iter().any(|a| a.name == name)
}

/// The record that runs artifact `name`: its newest record that went live.
fn running<'a>(records: &'a [HistoryEntry], name: &str) -> Option<&'a HistoryEntry> {
    records.iter().find(|e| went_live(e) && carries(e, name))
}

/// The artifacts the environment runs from commit `sha`: every artifact recorded for the
/// commit whose running record is of that commit, with that record's digest. Sorted by name.
pub fn staged_artifacts(records: &[HistoryEntry], sha: &str) -> Vec<Artifact> {
    let mut by_name: BTreeMap<String, Artifact> = BTreeMap::new();
    for entry in records.iter().filter(|e| e.deployment.sha == sha) {
        for artifact in artifacts_of(entry) {
            if by_name.contains_key(&artifact.name) {
                continue;
            }
            if let Some(run) = running(records, &artifact.name)
                && run.deployment.sha == sha
                && let Some(a) = artifacts_of(run)
                    .into_iter()
                    .find(|a| a.name == artifact.name)
            {
                by_name.insert(a.name.clone(), a);
            }
        }
    }
    by_name.into_values().collect()
}

/// For each artifact of the subject, the record that runs it from the subject's commit; the
/// problems otherwise.
fn running_per_artifact<'a>(
    records: Records<'a>,
    from: &str,
    subject: &'a Subject,
) -> Result<Vec<(&'a Artifact, &'a HistoryEntry)>, (Verdict, String)> {
    let records = records.as_ref().map_err(|e| (Verdict::Error, e.clone()))?;
    let sha7: String = subject.sha.chars().take(7).collect();
    if !records.iter().any(|e| e.deployment.sha == subject.sha) {
        return Err((
            Verdict::Fail,
            format!("this commit was never deployed to {from}"),
        ));
    }
    let mut out = Vec::new();
    let mut problems = Vec::new();
    for a in &subject.artifacts {
        match running(records, &a.name) {
            Some(entry) if entry.deployment.sha == subject.sha => out.push((a, entry)),
            Some(entry) => problems.push(format!(
                "{from} runs {} from commit {} (deployment {}), not {sha7}",
                a.name,
                entry.deployment.sha.chars().take(7).collect::<String>(),
                entry.deployment.id
            )),
            None => problems.push(
                match records
                    .iter()
                    .find(|e| e.deployment.sha == subject.sha && carries(e, &a.name))
                {
                    Some(e) => format!(
                        "deployment {} of {sha7} ({}) to {from} is {}, not success",
                        e.deployment.id,
                        a.name,
                        e.latest_status
                            .as_ref()
                            .map_or("without a status", |s| s.state.as_str())
                    ),
                    None => format!("{} was not deployed to {from}", a.name),
                },
            ),
        }
    }
    if problems.is_empty() {
        Ok(out)
    } else {
        Err((Verdict::Fail, problems.join("; ")))
    }
}

fn ids(pairs: &[(&Artifact, &HistoryEntry)]) -> String {
    let mut ids: Vec<u64> = pairs.iter().map(|(_, e)| e.deployment.id).collect();
    ids.sort_unstable();
    ids.dedup();
    let word = if ids.len() > 1 {
        "deployments"
    } else {
        "deployment"
    };
    let ids: Vec<String> = ids.iter().map(u64::to_string).collect();
    format!("{word} {}", ids.join(", "))
}

/// `deployed`: every artifact runs in `from` from a successful deployment of the commit.
pub fn deployed(records: Records<'_>, from: &str, subject: &Subject) -> (Verdict, String) {
    match running_per_artifact(records, from, subject) {
        Ok(pairs) => (
            Verdict::Pass,
            format!(
                "{} of {} to {from}: success",
                ids(&pairs),
                subject.sha.chars().take(7).collect::<String>()
            ),
        ),
        Err(v) => v,
    }
}

/// `same_digest`: every artifact runs in `from` with the digest being promoted.
pub fn same_digest(records: Records<'_>, from: &str, subject: &Subject) -> (Verdict, String) {
    let pairs = match running_per_artifact(records, from, subject) {
        Ok(p) => p,
        Err(v) => return v,
    };
    let mut problems = Vec::new();
    for (a, entry) in &pairs {
        if let Some(r) = artifacts_of(entry).iter().find(|r| r.name == a.name)
            && r.digest != a.digest
        {
            problems.push(format!(
                "{} is {} in {from}, promoting {}",
                a.name,
                short(&r.digest),
                short(&a.digest)
            ));
        }
    }
    if !problems.is_empty() {
        return (Verdict::Fail, problems.join("; "));
    }
    let list: Vec<String> = pairs
        .iter()
        .map(|(a, _)| format!("{}@{}", a.name, short(&a.digest)))
        .collect();
    (
        Verdict::Pass,
        format!("{} as in {from} {}", list.join(", "), ids(&pairs)),
    )
}

/// `soak`: every artifact has run in `from` for `soak_for`; the youngest decides. A record made
/// `inactive` by another service's deployment counts from that status, which is no earlier
/// than its `success`: the soak is never counted too long.
pub fn soak(
    records: Records<'_>,
    from: &str,
    subject: &Subject,
    soak_for: Duration,
    now: DateTime<Utc>,
) -> (Verdict, String) {
    let pairs = match running_per_artifact(records, from, subject) {
        Ok(p) => p,
        Err(v) => return v,
    };
    let age = pairs
        .iter()
        .filter_map(|(_, e)| e.latest_status.as_ref())
        .map(|s| (now - s.created_at).to_std().unwrap_or_default())
        .min()
        .unwrap_or_default();
    let text = format!(
        "live in {from} for {} of {} required",
        human(Duration::from_secs(age.as_secs())),
        human(soak_for)
    );
    if age >= soak_for {
        (Verdict::Pass, text)
    } else {
        (Verdict::Fail, text)
    }
}

/// `sha256:0123456789ab` (12 hex digits).
fn short(digest: &str) -> String {
    digest.chars().take(19).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use deploy_action_records::{Deployment, DeploymentPayload, DeploymentStatus};

    const SHA: &str = "0123456789abcdef0123456789abcdef01234567";
    const OLD: &str = "fedcba9876543210fedcba9876543210fedcba98";

    fn digest(n: u8) -> String {
        format!("sha256:{}", format!("{n:x}").repeat(64))
    }

    fn entry(
        id: u64,
        sha: &str,
        images: &[(&str, u8)],
        state: Option<StatusState>,
        age_secs: i64,
    ) -> HistoryEntry {
        let now = Utc::now();
        let payload = match images {
            [] => None,
            [(name, n)] => Some(DeploymentPayload::single(name, &digest(*n))),
            many => {
                let (name, n) = many[0];
                let mut p = DeploymentPayload::single(name, &digest(n));
                p.artifacts = many
                    .iter()
                    .map(|(name, n)| Artifact {
                        name: (*name).to_owned(),
                        repository: Some((*name).to_owned()),
                        digest: digest(*n),
                    })
                    .collect();
                Some(p)
            }
        };
        HistoryEntry {
            deployment: Deployment {
                id,
                sha: sha.into(),
                git_ref: sha.into(),
                environment: "staging".into(),
                description: None,
                payload,
                transient_environment: false,
                production_environment: false,
                created_at: now - chrono::Duration::seconds(age_secs),
            },
            latest_status: state.map(|state| DeploymentStatus {
                id,
                state,
                description: None,
                environment_url: None,
                log_url: None,
                created_at: now - chrono::Duration::seconds(age_secs),
            }),
        }
    }

    fn subject(images: &[(&str, u8)]) -> Subject {
        Subject {
            sha: SHA.into(),
            artifacts: images
                .iter()
                .map(|(name, n)| Artifact {
                    name: (*name).to_owned(),
                    repository: Some((*name).to_owned()),
                    digest: digest(*n),
                })
                .collect(),
            branch: None,
        }
    }

    #[test]
    fn services_deployed_one_by_one_are_staged_together() {
        // Newest first: GitHub's own record of the job (no payload) made api's and web's
        // records inactive when it went success; web's record before that made an earlier,
        // failed attempt irrelevant.
        let records = vec![
            entry(5, SHA, &[], Some(StatusState::Success), 10),
            entry(4, SHA, &[("r/api", 2)], Some(StatusState::Inactive), 30),
            entry(3, SHA, &[("r/web", 1)], Some(StatusState::Inactive), 60),
            entry(2, SHA, &[("r/web", 9)], Some(StatusState::Failure), 90),
            entry(
                1,
                OLD,
                &[("r/web", 8), ("r/api", 7)],
                Some(StatusState::Inactive),
                900,
            ),
        ];
        let staged = staged_artifacts(&records, SHA);
        let names: Vec<(&str, &str)> = staged
            .iter()
            .map(|a| (a.name.as_str(), a.digest.as_str()))
            .collect();
        assert_eq!(
            names,
            [("r/api", digest(2).as_str()), ("r/web", digest(1).as_str())]
        );
        let ok = Ok(records);
        let both = subject(&[("r/api", 2), ("r/web", 1)]);
        assert_eq!(deployed(&ok, "staging", &both).0, Verdict::Pass);
        let (v, why) = same_digest(&ok, "staging", &both);
        assert_eq!(v, Verdict::Pass, "{why}");
        assert!(why.contains("deployments 3, 4"), "{why}");
        // The youngest status decides the soak: 30 s.
        let now = Utc::now();
        assert_eq!(
            soak(&ok, "staging", &both, Duration::from_secs(20), now).0,
            Verdict::Pass
        );
        assert_eq!(
            soak(&ok, "staging", &both, Duration::from_secs(45), now).0,
            Verdict::Fail
        );
    }

    #[test]
    fn a_different_digest_or_a_missing_service_fails() {
        let ok = Ok(vec![entry(
            3,
            SHA,
            &[("r/web", 1)],
            Some(StatusState::Success),
            60,
        )]);
        let (v, why) = same_digest(&ok, "staging", &subject(&[("r/web", 7)]));
        assert_eq!(v, Verdict::Fail);
        assert!(
            why.starts_with("r/web is sha256:111111111111 in staging"),
            "{why}"
        );
        let (v, why) = deployed(&ok, "staging", &subject(&[("r/web", 1), ("r/api", 2)]));
        assert_eq!(v, Verdict::Fail);
        assert_eq!(why, "r/api was not deployed to staging");
        let none: Result<Vec<HistoryEntry>, String> = Ok(Vec::new());
        assert_eq!(
            deployed(&none, "staging", &subject(&[("r/web", 1)])).1,
            "this commit was never deployed to staging"
        );
        let err: Result<Vec<HistoryEntry>, String> = Err("GitHub said 502".into());
        assert_eq!(
            same_digest(&err, "staging", &subject(&[("r/web", 1)])).0,
            Verdict::Error
        );
    }

    #[test]
    fn a_failed_or_newer_deployment_of_the_service_decides() {
        // Only a failed record of the commit: not deployed.
        let failed = Ok(vec![entry(
            5,
            SHA,
            &[("r/web", 2)],
            Some(StatusState::Failure),
            10,
        )]);
        let (v, why) = deployed(&failed, "staging", &subject(&[("r/web", 2)]));
        assert_eq!(v, Verdict::Fail);
        assert!(why.contains("is failure, not success"), "{why}");
        // Staging moved on to a newer commit of the service: this commit no longer runs there.
        let moved = Ok(vec![
            entry(6, OLD, &[("r/web", 3)], Some(StatusState::Success), 10),
            entry(5, SHA, &[("r/web", 2)], Some(StatusState::Inactive), 60),
        ]);
        let (v, why) = deployed(&moved, "staging", &subject(&[("r/web", 2)]));
        assert_eq!(v, Verdict::Fail);
        assert!(
            why.starts_with("staging runs r/web from commit fedcba9"),
            "{why}"
        );
        assert!(staged_artifacts(moved.as_ref().expect("ok"), SHA).is_empty());
    }
}
