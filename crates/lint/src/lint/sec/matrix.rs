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

/// The values of `matrix.<a>.<b>...` (`key` is `a.b`): the values of `matrix.<a>`, then their
/// `b`, and so on. `None` when unknown.
pub fn values_at<'a>(job: &'a Node, key: &str) -> Option<Vec<&'a Node>> {
    let mut parts = key.split('.');
    let mut vs = values(job, parts.next()?)?;
    for part in parts {
        let mut next = Vec::new();
        for v in vs {
            v.as_map()?;
            next.extend(v.get(part));
        }
        vs = next;
    }
    Some(vs)
}

/// Whether `matrix.<key>` holds fixed text, as zizmor judges it: a matrix that is one
/// expression is not fixed; otherwise a value written with an expression (in the lists or in
/// literal `include` rows) makes it not fixed; parts given by expressions are not looked into.
pub fn is_static(job: &Node, key: &str) -> bool {
    let Some(m) = job.get("strategy").and_then(|s| s.get("matrix")) else {
        return true;
    };
    let Some(entries) = m.as_map() else {
        return false;
    };
    let has_expr = |v: &Node| v.as_str().is_some_and(crate::expr::has_expr);
    let (head, rest) = key.split_once('.').unwrap_or((key, ""));
    let deep = |v: &Node| -> bool {
        let mut n = Some(v);
        for part in rest.split('.').filter(|p| !p.is_empty()) {
            n = n.and_then(|x| x.get(part));
        }
        n.is_some_and(has_expr)
    };
    entries.iter().all(|(k, v)| match k.as_str() {
        Some("include") => v
            .as_seq()
            .is_none_or(|rows| rows.iter().all(|r| r.get(head).is_none_or(|x| !deep(x)))),
        Some(name) if name == head => match v.as_seq() {
            Some(items) => items.iter().all(|x| !deep(x)),
            None => !has_expr(v),
        },
        _ => true,
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
        assert!(!is_static(&root, "os"));
        let src = "strategy:\n  matrix:\n    include: ${{ fromJSON(x) }}\n    a: ['${{ y }}']\n";
        let root = yaml::parse(src).root.expect("root");
        assert!(is_static(&root, "os"));
        assert!(!is_static(&root, "a"));
    }
}
