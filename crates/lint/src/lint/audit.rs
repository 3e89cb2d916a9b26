//! How sure and how bad a security finding is, on zizmor's scales, and how that maps onto ours.
//!
//! Security rules describe each finding as zizmor does (a severity from informational to high,
//! a confidence from low to high) so that teams moving from zizmor see the same judgement. Our
//! own [`Severity`] follows one policy: `error` only for what GitHub refuses or fails on. A
//! workflow GitHub runs gets at most a warning, so zizmor's high and medium become `warning`
//! and its low and informational become `note`.

use super::Severity;

/// zizmor's severity of a finding.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum AuditSeverity {
    /// Worth knowing; rarely exploitable.
    Informational,
    /// A weakness with little direct impact.
    Low,
    /// Exploitable under some conditions.
    Medium,
    /// Exploitable as written.
    High,
}

/// zizmor's confidence that a finding is a true positive.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Confidence {
    /// A heuristic that is often wrong.
    Low,
    /// Usually right.
    Medium,
    /// Right unless the workflow is unusual.
    High,
}

impl AuditSeverity {
    /// The lowercase name zizmor prints.
    pub fn as_str(self) -> &'static str {
        match self {
            AuditSeverity::Informational => "informational",
            AuditSeverity::Low => "low",
            AuditSeverity::Medium => "medium",
            AuditSeverity::High => "high",
        }
    }

    /// Our severity for a finding zizmor rates this way: never `error`, since GitHub runs the
    /// workflow.
    pub fn severity(self) -> Severity {
        match self {
            AuditSeverity::High | AuditSeverity::Medium => Severity::Warning,
            AuditSeverity::Low | AuditSeverity::Informational => Severity::Note,
        }
    }
}

impl Confidence {
    /// The lowercase name zizmor prints.
    pub fn as_str(self) -> &'static str {
        match self {
            Confidence::Low => "low",
            Confidence::Medium => "medium",
            Confidence::High => "high",
        }
    }
}

/// The determination of one security finding: zizmor's severity and confidence.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Audit {
    /// zizmor's severity.
    pub severity: AuditSeverity,
    /// zizmor's confidence.
    pub confidence: Confidence,
}

impl Audit {
    /// A determination.
    pub const fn new(severity: AuditSeverity, confidence: Confidence) -> Self {
        Audit {
            severity,
            confidence,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_security_finding_is_an_error() {
        for s in [
            AuditSeverity::Informational,
            AuditSeverity::Low,
            AuditSeverity::Medium,
            AuditSeverity::High,
        ] {
            assert_ne!(s.severity(), Severity::Error);
        }
        assert_eq!(AuditSeverity::High.severity(), Severity::Warning);
        assert_eq!(AuditSeverity::Low.severity(), Severity::Note);
    }
}
