//! Policy parsing: the documented example and the generated seeds parse; bad input is reported
//! with its position.

use std::time::Duration;

use super::*;

fn vars(name: &str) -> Option<String> {
    match name {
        "STAGING_URL" => Some("http://staging.test".into()),
        "PRODUCTION_URL" => Some("http://prod.test".into()),
        "PROMETHEUS_URL" => Some("http://prom.test:9090".into()),
        "SMOKE_TOKEN" => Some("s3cret-token".into()),
        _ => None,
    }
}

fn problems(src: &str) -> Vec<String> {
    match parse(src, &vars) {
        Ok(p) => panic!("expected problems, parsed {p:?}"),
        Err(ps) => ps.iter().map(ToString::to_string).collect(),
    }
}

#[test]
fn the_documented_example_parses() {
    let doc = include_str!("../../../../docs/promotion.md");
    let start = doc.find("```yaml\n").expect("example") + 8;
    let end = start + doc[start..].find("```").expect("end");
    let p = parse(&doc[start..end], &vars).expect("docs example parses");
    assert_eq!(p.from.as_deref(), Some("staging"));
    let g = &p.gates;
    assert!(g.deployed && g.same_digest);
    assert_eq!(g.soak, Some(Duration::from_secs(600)));
    let h = g.health.as_ref().expect("health");
    assert_eq!(
        (h.url.as_str(), h.retries, h.status),
        ("http://staging.test/health", 5, 200)
    );
    assert_eq!(g.smoke[0].headers[0].1.expose(), "Bearer s3cret-token");
    assert!(
        !format!("{p:?}").contains("s3cret"),
        "header values are secret"
    );
    assert_eq!(
        g.metrics[0].url,
        "http://prom.test:9090/api/v1/query?query=sum%28rate%28http_errors_total%5B5m%5D%29%29"
    );
    assert_eq!(g.metrics[0].path, "data.result.0.value.1");
    assert_eq!(g.metrics[0].comparison, Comparison::Lt);
    assert_eq!(g.checks, ["test", "build"]);
    let v = p.verify.expect("verify");
    assert_eq!(v.window, Duration::from_secs(120));
    assert_eq!(v.metrics[0].path, "latency.p95");
}

#[test]
fn every_generated_seed_policy_parses() {
    let seeds = concat!(
        concat!(env!("CARGO_MANIFEST_DIR"), "/../.."),
        "/fixtures/seeds"
    );
    let mut n = 0;
    for entry in std::fs::read_dir(seeds).expect("seeds").flatten() {
        let path = entry.path().join(".github/promotion.yml");
        let Ok(text) = std::fs::read_to_string(&path) else {
            continue;
        };
        let p = parse(&text, &vars).unwrap_or_else(|e| panic!("{}: {e:?}", path.display()));
        assert!(
            p.gates.deployed && p.gates.same_digest,
            "{}",
            path.display()
        );
        n += 1;
    }
    assert!(n >= 5, "seed policies found: {n}");
}

#[test]
fn defaults_follow_the_seeds() {
    let p = parse(
        "gates:\n  health: { url: \"http://s.test:8080\" }\n  smoke:\n    - url: http://s.test/\n",
        &vars,
    )
    .expect("parses");
    let h = p.gates.health.expect("health");
    assert_eq!(h.url, "http://s.test:8080/health");
    assert_eq!((h.method.as_str(), h.status), ("GET", 200));
    let s = &p.gates.smoke[0];
    assert_eq!(
        (s.status, s.max_latency, s.samples),
        (200, Duration::from_secs(2), 1)
    );
    assert!(p.from.is_none() && p.verify.is_none());
}

#[test]
fn unknown_keys_are_reported_where_they_are() {
    let ps = problems("from: staging\ngates:\n  deployed: true\n  helth: {}\nextra: 1\n");
    assert!(
        ps.iter()
            .any(|p| p.starts_with("4:3: unknown key `helth` in `gates`")),
        "{ps:?}"
    );
    assert!(
        ps.iter().any(|p| p.starts_with("5:1: unknown key `extra`")),
        "{ps:?}"
    );
    let ps = problems("gates:\n  smoke:\n    - { url: \"http://a/\", latency: 2s }\n");
    assert!(
        ps.iter()
            .any(|p| p.starts_with("3:27: unknown key `latency` in `gates.smoke[0]`")),
        "{ps:?}"
    );
}

#[test]
fn unset_variables_are_named() {
    let ps = problems("gates:\n  health:\n    url: ${NOPE_URL}/health\n");
    assert_eq!(ps.len(), 1, "{ps:?}");
    assert!(
        ps[0].starts_with("3:10:") && ps[0].contains("NOPE_URL is not set"),
        "{ps:?}"
    );
}

#[test]
fn bad_values_are_explained() {
    let ps = problems(
        "gates:\n  soak: ten minutes\n  deployed: maybe\n  health: { url: ftp://x, status: 42 }\n  metrics:\n    - { url: \"http://m/\", path: a, comparison: \"~\", threshold: 1 }\n",
    );
    let all = ps.join("\n");
    assert!(
        all.contains("2:9: `gates.soak` `ten minutes` is not a duration"),
        "{all}"
    );
    assert!(
        all.contains("3:13: `gates.deployed` must be true or false"),
        "{all}"
    );
    assert!(all.contains("is not an http:// or https:// URL"), "{all}");
    assert!(
        all.contains("status` must be a whole number of at least 100"),
        "{all}"
    );
    assert!(all.contains("comparison` `~` must be one of"), "{all}");
}

#[test]
fn structure_problems() {
    assert!(problems("")[0].contains("empty"));
    assert!(problems("from: staging\n")[0].contains("no `gates:`"));
    assert!(problems("gates: [1]\n")[0].contains("`gates` must be a mapping"));
    assert!(problems("gates:\n  smoke: {url: x}\n")[0].contains("must be a list"));
    assert!(problems("gates: {}\nverify: { window: 1m }\n")[0].contains("checks nothing"));
    assert!(
        problems("gates:\n  metrics:\n    - { path: a, comparison: \"<\", threshold: 1 }\n")[0]
            .contains("exactly one of `url:`")
    );
    assert!(problems("gates: {\n")[0].contains("YAML syntax error"));
}

#[test]
fn durations() {
    assert_eq!(parse_duration("500ms"), Some(Duration::from_millis(500)));
    assert_eq!(parse_duration("90"), Some(Duration::from_secs(90)));
    assert_eq!(parse_duration("1.5s"), Some(Duration::from_millis(1500)));
    assert_eq!(parse_duration("2h"), Some(Duration::from_secs(7200)));
    assert_eq!(parse_duration("2d"), None);
    assert_eq!(parse_duration(""), None);
}

const STEPPED: &str = "gates: { deployed: true }
rollout:
  steps:
    - { weight: 25, pause: 1m }
    - { weight: 50, pause: 1m }
    - weight: 100
analysis:
  interval: 20s
  failure_limit: 1
  requests: { url: \"${PRODUCTION_URL}/api\", rate: 5, timeout: 1s }
  error_rate: { max: 5% }
  latency: { p95: 1s, p99: 2s }
  metrics:
    - { name: cpu, prometheus: \"${PROMETHEUS_URL}\", query: up, comparison: \"<\", threshold: 0.9 }
";

#[test]
fn steps_and_analysis_parse() {
    let p = parse(STEPPED, &vars).expect("parses");
    let r = p.rollout.expect("rollout");
    let weights: Vec<(u8, u64)> = r
        .steps
        .iter()
        .map(|s| (s.weight, s.pause.as_secs()))
        .collect();
    assert_eq!(weights, [(25, 60), (50, 60), (100, 0)]);
    let a = p.analysis.expect("analysis");
    assert_eq!(a.samples(Duration::from_secs(60)), 3);
    assert_eq!(a.failure_limit, 1);
    assert_eq!(a.requests.url.as_deref(), Some("http://prod.test/api"));
    assert_eq!(
        (a.requests.rate, a.requests.timeout),
        (5, Duration::from_secs(1))
    );
    let e = a.error_rate.as_ref().expect("error rate");
    assert!((e.max - 0.05).abs() < 1e-9 && e.source.is_none());
    assert_eq!(
        a.latency,
        [
            LatencyLimit {
                percentile: 95,
                max: Duration::from_secs(1)
            },
            LatencyLimit {
                percentile: 99,
                max: Duration::from_secs(2)
            }
        ]
    );
    assert!(a.needs_requests());
    assert_eq!(
        a.metrics[0].url,
        "http://prom.test:9090/api/v1/query?query=up"
    );
}

#[test]
fn an_error_rate_can_come_from_a_metric() {
    let p = parse(
        "gates: {}\nrollout: { steps: [{weight: 10, pause: 30s}, {weight: 100}] }\nanalysis:\n  error_rate: { max: 0.01, prometheus: \"${PROMETHEUS_URL}\", query: \"sum(rate(errors[1m]))\" }\n",
        &vars,
    )
    .expect("parses");
    let a = p.analysis.expect("analysis");
    assert!(!a.needs_requests(), "no requests of our own");
    let src = a.error_rate.expect("rate").source.expect("metric");
    assert_eq!(src.path, "data.result.0.value.1");
    assert!(
        src.url
            .starts_with("http://prom.test:9090/api/v1/query?query=sum%28")
    );
}

#[test]
fn steps_and_analysis_problems_have_positions() {
    let ps = problems(
        "gates: {}\nrollout:\n  steps:\n    - { weight: 50, pause: 1m }\n    - { weight: 25 }\n",
    );
    assert!(
        ps.iter()
            .any(|p| p.starts_with("5:7: `rollout.steps[1]`: weight 25 does not increase")),
        "{ps:?}"
    );
    assert!(
        ps.iter()
            .any(|p| p.starts_with("5:7: the last of `rollout.steps` must send all the traffic")),
        "{ps:?}"
    );
    let ps =
        problems("gates: {}\nrollout:\n  steps:\n    - { weight: 120 }\n    - { pause: 1m }\n");
    assert!(
        ps.iter()
            .any(|p| p.starts_with("4:17: `rollout.steps[0].weight` must be a percentage")),
        "{ps:?}"
    );
    assert!(
        ps.iter()
            .any(|p| p.starts_with("5:7: `rollout.steps[1]` needs `weight:`")),
        "{ps:?}"
    );
    let ps = problems("gates: {}\nanalysis:\n  error_rate: { max: 5% }\n");
    assert!(
        ps.iter()
            .any(|p| p.starts_with("2:1: `analysis` runs during the pauses of `rollout.steps`")),
        "{ps:?}"
    );
    let ps = problems(
        "gates: {}\nrollout: { steps: [{weight: 100, pause: 1m}] }\nanalysis:\n  count: 3\n  interval: 5s\n  error_rate: { max: 50 }\n  latency: { p90: 1s }\n  metrics:\n    - { url: \"http://m/\", path: a, comparison: \"<\", threshold: 1, count: 5 }\n",
    );
    let all = ps.join("\n");
    assert!(all.contains("5:3: `analysis` takes `count:`"), "{all}");
    assert!(
        all.contains("6:22: `analysis.error_rate.max` `50` is not a rate"),
        "{all}"
    );
    assert!(
        all.contains("7:14: unknown key `p90` in `analysis.latency`"),
        "{all}"
    );
    assert!(
        all.contains("9:67: `count` of a metric in `analysis.metrics` is not used"),
        "{all}"
    );
    let ps = problems(
        "gates: {}\nrollout: { steps: [{weight: 100}] }\nanalysis: { latency: { p95: 1s } }\n",
    );
    assert!(
        ps.iter().any(|p| p.contains("no step has a `pause:`")),
        "{ps:?}"
    );
}

#[test]
fn smoke_latency_at_a_percentile() {
    let p = parse(
        "gates:\n  smoke:\n    - { url: \"http://s/\", samples: 20, percentile: p95, max_latency: 200ms }\n",
        &vars,
    )
    .expect("parses");
    assert_eq!(p.gates.smoke[0].percentile, 95);
    let ps = problems("gates:\n  smoke:\n    - { url: \"http://s/\", percentile: 90 }\n");
    assert!(ps[0].contains("must be 50, 95 or 99"), "{ps:?}");
}
