//! The decision record of a promotion: a versioned JSON document (written to a file and,
//! with `--format json`, to stdout) and a Markdown table for the step summary.

use chrono::{DateTime, Utc};
use serde::Serialize;

use super::eval::GateResult;
use super::steps::StepRecord;
use deploy_action_records::Artifact;

/// What a promotion decided.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum DecisionKind {
    /// Every gate passed and the digests went to the target.
    Promoted,
    /// Every gate passed; `--gate-only` left the rollout to the workflow's later steps.
    Approved,
    /// A gate failed or could not be evaluated.
    Refused,
    /// The target already runs this commit with these digests; nothing was done.
    AlreadyPromoted,
    /// Promoted, but verification failed and the previous deployment was restored.
    RolledBack,
    /// deploy-action could not finish (registry, GitHub, daemon).
    Error,
}

impl DecisionKind {
    /// The spelling used in GITHUB_OUTPUT `decision` and the record.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Promoted => "promoted",
            Self::Approved => "approved",
            Self::Refused => "refused",
            Self::AlreadyPromoted => "already-promoted",
            Self::RolledBack => "rolled-back",
            Self::Error => "error",
        }
    }
}

/// A promotion's decision and the evidence behind it (`"version": 1`).
#[derive(Debug, Clone, Serialize)]
pub struct Decision {
    /// Schema version of this document.
    pub version: u32,
    /// The decision.
    pub decision: DecisionKind,
    /// Source environment.
    pub from: String,
    /// Target environment.
    pub to: String,
    /// The commit.
    pub sha: String,
    /// What was (or would have been) promoted.
    pub artifacts: Vec<Artifact>,
    /// Gate verdicts before promoting.
    pub gates: Vec<GateResult>,
    /// The steps of a progressive rollout, each with its samples and verdict.
    pub steps: Vec<StepRecord>,
    /// The threshold (or the failure) that made a progressive rollout roll back.
    pub failed_threshold: Option<String>,
    /// Verification verdicts after promoting.
    pub verification: Vec<GateResult>,
    /// The target's deployment, when one was made.
    pub deployment_id: Option<u64>,
    /// Where the target can be reached.
    pub environment_url: Option<String>,
    /// Tags written in the registry.
    pub retagged: Vec<String>,
    /// The deployment that was restored by a rollback.
    pub rolled_back_to: Option<u64>,
    /// Why, in one line.
    pub reason: String,
    /// When the decision was made.
    pub decided_at: DateTime<Utc>,
}

impl Decision {
    /// A record with no gates, deployment or tags yet.
    pub fn new(
        decision: DecisionKind,
        from: &str,
        to: &str,
        sha: &str,
        artifacts: &[Artifact],
    ) -> Self {
        Self {
            version: 1,
            decision,
            from: from.to_owned(),
            to: to.to_owned(),
            sha: sha.to_owned(),
            artifacts: artifacts.to_vec(),
            gates: Vec::new(),
            steps: Vec::new(),
            failed_threshold: None,
            verification: Vec::new(),
            deployment_id: None,
            environment_url: None,
            retagged: Vec::new(),
            rolled_back_to: None,
            reason: String::new(),
            decided_at: Utc::now(),
        }
    }

    /// The record as pretty JSON with a final newline.
    pub fn to_json(&self) -> String {
        let mut text = serde_json::to_string_pretty(self).unwrap_or_else(|e| {
            format!("{{\"version\":1,\"decision\":\"error\",\"reason\":\"cannot serialise: {e}\"}}")
        });
        text.push('\n');
        text
    }

    /// The step summary: a heading, the decision and a table of gate, evidence, verdict, time.
    pub fn markdown(&self) -> String {
        let sha7: String = self.sha.chars().take(7).collect();
        let mut md = format!(
            "### Promotion of `{sha7}` from `{}` to `{}`: **{}**\n\n{}\n\n",
            self.from,
            self.to,
            self.decision.as_str(),
            cell(&self.reason)
        );
        let rows: Vec<&GateResult> = self.gates.iter().chain(&self.verification).collect();
        if !rows.is_empty() {
            md.push_str("| Gate | Evidence | Verdict | Time |\n|---|---|---|---|\n");
            for r in rows {
                let mark = match r.verdict {
                    super::Verdict::Pass => "✅ pass",
                    super::Verdict::Fail => "❌ fail",
                    super::Verdict::Error => "⚠️ error",
                };
                md.push_str(&format!(
                    "| {} | {} | {mark} | {} ms |\n",
                    cell(&r.gate),
                    cell(&r.evidence),
                    r.duration_ms
                ));
            }
        }
        if !self.steps.is_empty() {
            md.push_str(&self.steps_markdown());
        }
        md.push('\n');
        md
    }

    /// The rollout's steps: weight, every sample, verdict, time.
    fn steps_markdown(&self) -> String {
        let mut md = String::from(
            "\n| Step | Traffic to the new version | Samples | Verdict | Time |\n|---|---|---|---|---|\n",
        );
        for s in &self.steps {
            let mut samples: Vec<String> = s
                .samples
                .iter()
                .map(|x| {
                    let mark = match x.verdict {
                        super::Verdict::Pass => "✅",
                        super::Verdict::Fail => "❌",
                        super::Verdict::Error => "⚠️",
                    };
                    let problems = if x.problems.is_empty() {
                        String::new()
                    } else {
                        format!(": {}", x.problems.join("; "))
                    };
                    format!("{mark} {}{problems}", x.summary())
                })
                .collect();
            if samples.is_empty() {
                samples.push("(no analysis)".into());
            }
            if let Some(reason) = &s.reason {
                samples.push(reason.clone());
            }
            let mark = match s.verdict {
                super::Verdict::Pass => "✅ pass",
                super::Verdict::Fail => "❌ fail",
                super::Verdict::Error => "⚠️ error",
            };
            md.push_str(&format!(
                "| {} | {} % | {} | {mark} | {} ms |\n",
                s.step,
                s.weight,
                cell(&samples.join("<br>")),
                s.duration_ms
            ));
        }
        if let Some(t) = &self.failed_threshold {
            md.push_str(&format!("\nRolled back: {}\n", cell(t)));
        }
        md
    }
}

/// Text safe inside a Markdown table cell.
fn cell(text: &str) -> String {
    text.replace('|', "\\|").replace(['\n', '\r'], " ")
}
