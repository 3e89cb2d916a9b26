//! BuildKit's status stream printed as `docker build --progress=plain` prints it: `#N name` when
//! a step starts, `#N <seconds> <line>` for its output, `#N CACHED`, `#N DONE 1.2s` or
//! `#N ERROR: …` when it ends. Known secret values are replaced by `***` before anything is
//! printed; the last lines of each step are kept for the failure report.

use std::collections::{HashMap, VecDeque};

use bollard_buildkit_proto::google::protobuf::Timestamp;
use bollard_buildkit_proto::moby::buildkit::v1::StatusResponse;

/// Output lines kept per step for the failure report.
const TAIL: usize = 12;

/// A step's state.
#[derive(Debug, Default)]
struct Step {
    number: usize,
    name: String,
    started: Option<Timestamp>,
    announced: bool,
    finished: bool,
    error: String,
    /// Output not yet ended by a newline, per stream.
    partial: HashMap<i64, Vec<u8>>,
    tail: VecDeque<String>,
}

/// A step that failed, for the error report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FailedStep {
    /// BuildKit's name for it (`[2/3] RUN make`).
    pub name: String,
    /// Its error.
    pub error: String,
    /// Its last output lines (secrets redacted).
    pub tail: Vec<String>,
}

/// Prints a build's status stream.
pub struct Progress<'a> {
    out: &'a mut dyn FnMut(&str),
    redactions: Vec<String>,
    steps: HashMap<String, Step>,
    next_number: usize,
    cached: usize,
    done: usize,
}

impl<'a> Progress<'a> {
    /// Prints to `out`, replacing each of `redactions` by `***`.
    pub fn new(out: &'a mut dyn FnMut(&str), redactions: Vec<String>) -> Self {
        Self {
            out,
            redactions,
            steps: HashMap::new(),
            next_number: 1,
            cached: 0,
            done: 0,
        }
    }

    /// Steps that came from the cache so far.
    pub fn cached(&self) -> usize {
        self.cached
    }

    /// Steps that finished (run or cached) so far.
    pub fn finished(&self) -> usize {
        self.done
    }

    /// The first step that ended with an error, if any.
    pub fn failed(&self) -> Option<FailedStep> {
        let mut failed: Vec<&Step> = self
            .steps
            .values()
            .filter(|s| !s.error.is_empty())
            .collect();
        failed.sort_by_key(|s| s.number);
        // Prefer a Dockerfile step over the `exporting`/internal vertices that fail with it.
        let step = failed
            .iter()
            .find(|s| s.name.starts_with('[') && !s.name.starts_with("[internal]"))
            .or_else(|| failed.first())?;
        Some(FailedStep {
            name: step.name.clone(),
            error: step.error.clone(),
            tail: step.tail.iter().cloned().collect(),
        })
    }

    /// Takes one status message.
    pub fn update(&mut self, status: &StatusResponse) {
        for vertex in &status.vertexes {
            let number = self.number(&vertex.digest);
            let redacted_name = self.redact(&vertex.name);
            let step = self.steps.entry(vertex.digest.clone()).or_default();
            step.number = number;
            step.name = redacted_name;
            if vertex.started.is_some() {
                step.started = vertex.started;
            }
            let starting = !step.announced && (vertex.started.is_some() || vertex.cached);
            if starting {
                step.announced = true;
                let line = format!("\n#{number} {}\n", step.name);
                (self.out)(&line);
            }
            let step = self.steps.entry(vertex.digest.clone()).or_default();
            if step.finished {
                continue;
            }
            if vertex.cached {
                step.finished = true;
                self.cached += 1;
                self.done += 1;
                let line = format!("#{number} CACHED\n");
                (self.out)(&line);
            } else if !vertex.error.is_empty() {
                step.finished = true;
                step.error = vertex.error.clone();
                let error = self.redact(&vertex.error);
                if let Some(step) = self.steps.get_mut(&vertex.digest) {
                    step.error = error.clone();
                }
                (self.out)(&format!("#{number} ERROR: {error}\n"));
            } else if let Some(done) = &vertex.completed {
                step.finished = true;
                self.done += 1;
                let seconds = elapsed(vertex.started.as_ref(), done);
                (self.out)(&format!("#{number} DONE {seconds:.1}s\n"));
            }
        }
        for status in &status.statuses {
            if status.completed.is_none() || (status.name.is_empty() && status.id.is_empty()) {
                continue;
            }
            let Some(step) = self.steps.get(&status.vertex) else {
                continue;
            };
            // BuildKit's id is the description (`transferring context:`), as docker prints it.
            let what = if status.id.is_empty() {
                &status.name
            } else {
                &status.id
            };
            let mut line = format!("#{} {}", step.number, self.redact(what));
            if status.total > 0 {
                line.push_str(&format!(
                    " {}/{}",
                    bytes(status.current),
                    bytes(status.total)
                ));
            } else if status.current > 0 {
                line.push_str(&format!(" {}", bytes(status.current)));
            }
            line.push_str(" done\n");
            (self.out)(&line);
        }
        for log in &status.logs {
            let Some(step) = self.steps.get_mut(&log.vertex) else {
                continue;
            };
            let buffer = step.partial.entry(log.stream).or_default();
            buffer.extend_from_slice(&log.msg);
            let mut lines = Vec::new();
            while let Some(end) = buffer.iter().position(|b| *b == b'\n') {
                let line: Vec<u8> = buffer.drain(..=end).collect();
                lines.push(String::from_utf8_lossy(&line[..line.len() - 1]).into_owned());
            }
            let seconds = match (&step.started, &log.timestamp) {
                (Some(start), Some(at)) => elapsed(Some(start), at),
                _ => 0.0,
            };
            let number = step.number;
            for line in lines {
                let line = self.redact(line.trim_end_matches('\r'));
                (self.out)(&format!("#{number} {seconds:.3} {line}\n"));
                if let Some(step) = self.steps.get_mut(&log.vertex) {
                    if step.tail.len() == TAIL {
                        step.tail.pop_front();
                    }
                    step.tail.push_back(line);
                }
            }
        }
    }

    fn number(&mut self, digest: &str) -> usize {
        if let Some(step) = self.steps.get(digest) {
            return step.number;
        }
        let n = self.next_number;
        self.next_number += 1;
        n
    }

    fn redact(&self, text: &str) -> String {
        let mut out = text.to_owned();
        for secret in &self.redactions {
            if out.contains(secret.as_str()) {
                out = out.replace(secret.as_str(), "***");
            }
        }
        out
    }
}

/// Seconds from `start` (or zero) to `end`.
fn elapsed(start: Option<&Timestamp>, end: &Timestamp) -> f64 {
    let Some(start) = start else { return 0.0 };
    let secs = (end.seconds - start.seconds) as f64 + f64::from(end.nanos - start.nanos) / 1e9;
    secs.max(0.0)
}

/// `1.23MB`, as BuildKit's progress shows sizes.
fn bytes(n: i64) -> String {
    let n = n as f64;
    if n >= 1e9 {
        format!("{:.2}GB", n / 1e9)
    } else if n >= 1e6 {
        format!("{:.2}MB", n / 1e6)
    } else if n >= 1e3 {
        format!("{:.2}kB", n / 1e3)
    } else {
        format!("{n}B")
    }
}

#[cfg(test)]
mod tests {
    use bollard_buildkit_proto::moby::buildkit::v1::{Vertex, VertexLog};

    use super::*;

    fn ts(seconds: i64, nanos: i32) -> Option<Timestamp> {
        Some(Timestamp { seconds, nanos })
    }

    #[test]
    fn prints_like_plain_progress_and_redacts() {
        let mut lines = String::new();
        let mut sink = |s: &str| lines.push_str(s);
        let mut progress = Progress::new(&mut sink, vec!["hunter22".into()]);
        let run = Vertex {
            digest: "sha256:a".into(),
            name: "[2/2] RUN echo $TOKEN".into(),
            started: ts(10, 0),
            ..Vertex::default()
        };
        let from = Vertex {
            digest: "sha256:b".into(),
            name: "[1/2] FROM busybox".into(),
            cached: true,
            ..Vertex::default()
        };
        progress.update(&StatusResponse {
            vertexes: vec![from, run.clone()],
            ..StatusResponse::default()
        });
        progress.update(&StatusResponse {
            logs: vec![VertexLog {
                vertex: "sha256:a".into(),
                timestamp: ts(10, 500_000_000),
                stream: 1,
                msg: b"token is hunter22\npart".to_vec(),
            }],
            ..StatusResponse::default()
        });
        progress.update(&StatusResponse {
            vertexes: vec![Vertex {
                error: "process \"/bin/sh -c echo\" did not complete successfully: exit code: 1"
                    .into(),
                ..run
            }],
            ..StatusResponse::default()
        });
        let failed = progress.failed();
        let cached = progress.cached();
        drop(progress);
        assert!(
            lines.contains("#1 [1/2] FROM busybox\n#1 CACHED\n"),
            "{lines}"
        );
        assert!(lines.contains("#2 [2/2] RUN echo $TOKEN\n"), "{lines}");
        assert!(lines.contains("#2 0.500 token is ***\n"), "{lines}");
        assert!(!lines.contains("hunter22"));
        assert!(lines.contains("#2 ERROR: process"), "{lines}");
        assert_eq!(cached, 1);
        let failed = failed.expect("a failed step");
        assert_eq!(failed.name, "[2/2] RUN echo $TOKEN");
        assert_eq!(failed.tail, vec!["token is ***"]);
    }
}
