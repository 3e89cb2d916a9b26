//! The values a `matrix.<key>` can take, read from the job's `strategy.matrix`.

use crate::workflow::yaml::Node;

/// The values `matrix.<key>` takes in `job`: the items of its list and the `include` rows that
/// set it. `None` when the matrix (or its `include`) is computed by an expression, so the
/// values are unknown.
pub fn values<'a>(job: &'a Node, key: &str) -> Option<Vec<&'a Node>> {
    let m = job.get("strategy")?.get("matrix")?;
    let entries = m.as_map()?;
    let mut out = Vec::new();
    for (k, v) in entries {
        let Some(name) = k.as_str() else { continue };
        if name == "include" {
            let rows = v.as_seq()?;
            for row in rows {
                row.as_map()?;
                if let Some(x) = row.get(key) {
                    out.push(x);
                }
            }
        } else if name == key {
            match v.as_seq() {
                Some(items) => out.extend(items),
                None => return None,
            }
        }
    }
    Some(out)
}

/// Whether every value of `matrix.<key>` is known and holds no expression.
pub fn is_static(job: &Node, key: &str) -> bool {
    values(job, key).is_some_and(|vs| {
        vs.iter()
            .all(|v| v.as_str().is_some_and(|s| !s.contains("${{")))
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::workflow::yaml;

    #[test]
    fn lists_and_include_rows() {
        let src =
            "strategy:\n  matrix:\n    os: [a, b]\n    include:\n      - os: c\n      - x: 1\n";
        let root = yaml::parse(src).root.expect("root");
        let vs: Vec<&str> = values(&root, "os")
            .expect("known")
            .iter()
            .filter_map(|n| n.as_str())
            .collect();
        assert_eq!(vs, ["a", "b", "c"]);
        assert!(is_static(&root, "os"));
        let src = "strategy:\n  matrix: ${{ fromJSON(x) }}\n";
        let root = yaml::parse(src).root.expect("root");
        assert!(values(&root, "os").is_none());
    }
}
