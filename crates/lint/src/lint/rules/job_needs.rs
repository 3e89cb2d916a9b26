//! `job-needs`: `needs:` names jobs that exist, not the job itself, once each, and no cycles.

use crate::expr::has_expr;
use std::collections::HashMap;

use crate::lint::{Ctx, Rule, RuleMeta, Severity};
use crate::workflow::model::Workflow;

/// The `job-needs` rule: needs: unknown jobs, duplicates and dependency cycles.
pub struct JobNeeds;

static META: RuleMeta = RuleMeta {
    id: "job-needs",
    zizmor: None,
    actionlint: Some("job-needs"),
    summary: "needs: unknown jobs, duplicates and dependency cycles",
    severity: Severity::Error,
    actionlint_also: &["syntax-check"],
};

impl Rule for JobNeeds {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn workflow(&self, wf: &Workflow<'_>, cx: &mut Ctx<'_>) {
        let ids: HashMap<String, usize> = wf
            .jobs
            .iter()
            .enumerate()
            .map(|(i, j)| (j.id.to_ascii_lowercase(), i))
            .collect();
        let mut edges: Vec<Vec<usize>> = vec![Vec::new(); wf.jobs.len()];
        for (i, job) in wf.jobs.iter().enumerate() {
            let mut seen: Vec<String> = Vec::new();
            for n in &job.needs {
                let Some(name) = n.as_str() else { continue };
                if has_expr(&name) {
                    continue;
                }
                let lower = name.to_ascii_lowercase();
                if seen.contains(&lower) {
                    cx.report(n.span, format!("job ID {name:?} duplicates in \"needs\" section. note that job ID is case insensitive"));
                    continue;
                }
                seen.push(lower.clone());
                match ids.get(&lower) {
                    None => {
                        let mut all: Vec<&str> = wf.jobs.iter().map(|j| j.id).collect();
                        all.sort_unstable();
                        cx.report_unknown_at(
                            job.id_node.span,
                            n,
                            format!(
                                "job {:?} needs job {name:?} which does not exist in this workflow",
                                job.id
                            ),
                            all.iter().copied().filter(|&j| j != job.id),
                            || {
                                format!(
                                    ". available jobs are {}",
                                    crate::lint::schema::quote_list(&all)
                                )
                            },
                        );
                    }
                    Some(&j) if j == i => {
                        cx.report(n.span, format!("job {:?} needs itself", job.id))
                    }
                    Some(&j) => edges[i].push(j),
                }
            }
        }
        if let Some(mut cycle) = find_cycle(&edges) {
            // Start the cycle at the job written first, and report there.
            let first_at = cycle
                .iter()
                .enumerate()
                .min_by_key(|(_, j)| **j)
                .map_or(0, |(i, _)| i);
            cycle.rotate_left(first_at);
            let names: Vec<String> = cycle
                .iter()
                .map(|&i| format!("{:?}", wf.jobs[i].id))
                .collect();
            cx.report(
                wf.jobs[cycle[0]].id_node.span,
                format!(
                    "cyclic dependencies in \"needs\" job configurations are detected. detected cycle is {} -> {}",
                    names.join(" -> "),
                    names[0]
                ),
            );
        }
    }
}

/// Returns one cycle (job indices in order) if the graph has any.
pub fn find_cycle(edges: &[Vec<usize>]) -> Option<Vec<usize>> {
    // 0 = unvisited, 1 = on stack, 2 = done
    let mut state = vec![0u8; edges.len()];
    let mut stack: Vec<usize> = Vec::new();
    fn dfs(
        v: usize,
        edges: &[Vec<usize>],
        state: &mut [u8],
        stack: &mut Vec<usize>,
    ) -> Option<Vec<usize>> {
        state[v] = 1;
        stack.push(v);
        for &w in &edges[v] {
            if state[w] == 1 {
                let pos = stack.iter().position(|&x| x == w).unwrap_or(0);
                return Some(stack[pos..].to_vec());
            }
            if state[w] == 0
                && let Some(c) = dfs(w, edges, state, stack)
            {
                return Some(c);
            }
        }
        stack.pop();
        state[v] = 2;
        None
    }
    for v in 0..edges.len() {
        if state[v] == 0
            && let Some(c) = dfs(v, edges, &mut state, &mut stack)
        {
            return Some(c);
        }
    }
    None
}
