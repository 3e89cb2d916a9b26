//! Rule tables: each `type=`, the common attributes, `flavor`, parse errors and image
//! references. Rows cite the docker/metadata-action README table they mirror.

use chrono::{DateTime, TimeZone, Utc};

use super::*;

const SHA: &str = "90dd6032fac8bda1b6c4436a2e65de27961ed071";

fn at() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2020, 1, 10, 0, 30, 0)
        .single()
        .expect("valid date")
}

fn ctx(event: &str, ref_: &str) -> GitContext {
    let mut ctx = GitContext::from_git(SHA, None, None, at()).expect("valid sha");
    ctx.event_name = event.to_owned();
    ctx.ref_ = ref_.to_owned();
    ctx.default_branch = Some("master".to_owned());
    ctx
}

fn tags_for(ctx: &GitContext, rules: &str, flavor: &str) -> TagList {
    let options = TagOptions {
        flavor: Flavor::parse(flavor).expect("flavor parses"),
        ..TagOptions::default()
    };
    compute_tags(ctx, &TagRules::parse(rules).expect("rules parse"), &options)
        .expect("tags compute")
}

fn run(ctx: &GitContext, rules: &str, flavor: &str) -> Vec<String> {
    tags_for(ctx, rules, flavor).tags().to_vec()
}

fn push_tag(tag: &str) -> GitContext {
    ctx("push", &format!("refs/tags/{tag}"))
}

fn rule_error(rules: &str) -> String {
    TagRules::parse(rules)
        .expect_err("invalid rules")
        .to_string()
}

#[test]
fn readme_type_schedule_table() {
    // README "type=schedule" table; only schedule events produce the tag.
    let schedule = ctx("schedule", "refs/heads/master");
    let rows = [
        ("type=schedule", "nightly"),
        ("type=schedule,pattern=nightly", "nightly"),
        ("type=schedule,pattern={{date 'YYYYMMDD'}}", "20200110"),
        (
            "type=schedule,pattern={{date 'YYYYMMDD-HHmmss' tz='Asia/Tokyo'}}",
            "20200110-093000",
        ),
    ];
    for (rule, want) in rows {
        assert_eq!(run(&schedule, rule, ""), [want], "{rule}");
        assert!(
            run(&ctx("push", "refs/heads/master"), rule, "").is_empty(),
            "{rule}"
        );
    }
}

#[test]
fn readme_type_semver_table() {
    // README "type=semver" table (Git tag, Pattern, Match -> Output), `latest=false`.
    let rows = [
        ("v1.2.3", "{{raw}}", "", "v1.2.3"),
        ("v1.2.3", "{{version}}", "", "1.2.3"),
        ("v1.2.3", "{{major}}.{{minor}}", "", "1.2"),
        ("v1.2.3", "v{{major}}", "", "v1"),
        ("v1.2.3", "{{minor}}", "", "2"),
        ("v1.2.3", "{{patch}}", "", "3"),
        ("p1/v1.2.3", "{{version}}", r"v(\d.\d.\d)$", "1.2.3"),
        ("v2.0.8-beta.67", "{{raw}}", "", "v2.0.8-beta.67"),
        ("v2.0.8-beta.67", "{{version}}", "", "2.0.8-beta.67"),
        ("v2.0.8-beta.67", "{{major}}", "", "2.0.8-beta.67"),
        ("v2.0.8-beta.67", "{{major}}.{{minor}}", "", "2.0.8-beta.67"),
    ];
    for (tag, pattern, matcher, want) in rows {
        let rule = if matcher.is_empty() {
            format!("type=semver,pattern={pattern}")
        } else {
            format!("type=semver,pattern={pattern},match={matcher}")
        };
        assert_eq!(
            run(&push_tag(tag), &rule, "latest=false"),
            [want],
            "{tag} {rule}"
        );
    }
}

#[test]
fn semver_value_override_and_invalid_versions() {
    // README "type=semver": `value=` replaces the git tag, on any ref.
    let branch = ctx("push", "refs/heads/master");
    let rule = "type=semver,pattern={{version}},value=v1.0.0";
    assert_eq!(run(&branch, rule, ""), ["1.0.0", "latest"]);
    let rule = r"type=semver,pattern={{version}},value=p1/v1.0.0,match=v(\d.\d.\d)$";
    assert_eq!(run(&branch, rule, ""), ["1.0.0", "latest"]);
    // Build metadata is not part of `{{version}}`; `{{raw}}` keeps it, sanitized.
    assert_eq!(
        run(
            &push_tag("v1.2.3+build.7"),
            "type=semver,pattern={{raw}}",
            "latest=false"
        ),
        ["v1.2.3-build.7"]
    );
    // Not semver: no tag, and a warning naming the line.
    let list = tags_for(
        &push_tag("release-1"),
        "\ntype=semver,pattern={{version}}",
        "",
    );
    assert!(list.is_empty());
    assert_eq!(list.warnings().len(), 1);
    assert!(
        list.warnings()[0].starts_with("tags line 2 "),
        "{:?}",
        list.warnings()
    );
    assert!(list.warnings()[0].contains("`release-1` is not a valid semver"));
    // On a branch without `value=`, semver rules stay silent.
    let list = tags_for(&branch, "type=semver,pattern={{version}}", "");
    assert!(list.is_empty() && list.warnings().is_empty());
}

#[test]
fn readme_type_pep440_table() {
    // README "type=pep440" table, `latest=false`.
    let rows = [
        ("1.2.3", "{{raw}}", "", "1.2.3"),
        ("1.2.3", "{{version}}", "", "1.2.3"),
        ("v1.2.3", "{{version}}", "", "1.2.3"),
        ("1.2.3", "{{major}}.{{minor}}", "", "1.2"),
        ("1.2.3", "v{{major}}", "", "v1"),
        ("v1.2.3rc2", "{{raw}}", "", "v1.2.3rc2"),
        ("1.2.3rc2", "{{version}}", "", "1.2.3rc2"),
        ("p1/v1.2.3", "{{version}}", r"v(\d.\d.\d)$", "1.2.3"),
        ("1.2.3rc2", "{{major}}.{{minor}}", "", "1.2.3rc2"),
        ("1.2.3post1", "{{major}}.{{minor}}", "", "1.2.3.post1"),
        ("1.2.3beta2", "{{major}}.{{minor}}", "", "1.2.3b2"),
        ("1.0dev4", "{{major}}.{{minor}}", "", "1.0.dev4"),
    ];
    for (tag, pattern, matcher, want) in rows {
        let rule = if matcher.is_empty() {
            format!("type=pep440,pattern={pattern}")
        } else {
            format!("type=pep440,pattern={pattern},match={matcher}")
        };
        assert_eq!(
            run(&push_tag(tag), &rule, "latest=false"),
            [want],
            "{tag} {rule}"
        );
    }
    // Final releases get `latest` with `latest=auto`; pre-releases do not.
    assert_eq!(
        run(&push_tag("1.2.3"), "type=pep440,pattern={{version}}", ""),
        ["1.2.3", "latest"]
    );
    assert_eq!(
        run(&push_tag("1.2.3rc2"), "type=pep440,pattern={{version}}", ""),
        ["1.2.3rc2"]
    );
}

#[test]
fn readme_type_match_table() {
    // README "type=match" table (Git tag, Pattern, Group -> Output), `latest=false`.
    let rows = [
        ("v1.2.3", r"\d.\d.\d", "0", "1.2.3"),
        ("v2.0.8-beta.67", "v(.*)", "1", "2.0.8-beta.67"),
        ("v2.0.8-beta.67", r"v(\d.\d)", "1", "2.0"),
        ("20200110-RC2", r"\d+", "0", "20200110"),
        ("p1/v1.2.3", r"p1/v(\d.\d.\d)", "1", "1.2.3"),
    ];
    for (tag, pattern, group, want) in rows {
        let rule = format!("type=match,pattern={pattern},group={group}");
        assert_eq!(
            run(&push_tag(tag), &rule, "latest=false"),
            [want],
            "{tag} {rule}"
        );
    }
    // `latest=auto` adds latest for match rules (README "Latest tag").
    assert_eq!(
        run(&push_tag("v1.2.3"), r"type=match,pattern=v(.*),group=1", ""),
        ["1.2.3", "latest"]
    );
    // A `value=` override, a `/regex/flags` literal, and a pattern that does not match.
    let branch = ctx("push", "refs/heads/master");
    let rule = "type=match,pattern=v(.*),group=1,value=v1.0.0";
    assert_eq!(run(&branch, rule, "latest=false"), ["1.0.0"]);
    let rule = r"type=match,pattern=/^V(\d+)/i,group=1";
    assert_eq!(run(&push_tag("v12.1"), rule, "latest=false"), ["12"]);
    let list = tags_for(
        &push_tag("nightly"),
        r"type=match,pattern=v(\d+),group=1",
        "",
    );
    assert!(list.is_empty());
    assert!(list.warnings()[0].contains("does not match `nightly`"));
    let list = tags_for(
        &push_tag("v1"),
        r"type=match,pattern=v(\d+)|(x),group=2",
        "",
    );
    assert!(list.warnings()[0].contains("group 2 did not capture"));
}

#[test]
fn type_edge_follows_the_default_branch() {
    // README "type=edge": the default branch, or `branch=`.
    assert_eq!(
        run(&ctx("push", "refs/heads/master"), "type=edge", ""),
        ["edge"]
    );
    assert!(run(&ctx("push", "refs/heads/dev"), "type=edge", "").is_empty());
    assert!(run(&push_tag("v1.0.0"), "type=edge", "").is_empty());
    assert_eq!(
        run(&ctx("push", "refs/heads/main"), "type=edge,branch=main", ""),
        ["edge"]
    );
    let mut unknown = ctx("push", "refs/heads/main");
    unknown.default_branch = None;
    let list = tags_for(&unknown, "type=edge", "");
    assert!(list.is_empty());
    assert!(list.warnings()[0].contains("add `branch=<name>`"));
}

#[test]
fn type_raw_and_type_sha() {
    // README "type=raw": three spellings of the same two tags.
    let master = ctx("push", "refs/heads/master");
    for rules in [
        "type=raw,value=foo\ntype=raw,value=bar",
        "type=raw,foo\ntype=raw,bar",
        "foo\nbar",
    ] {
        assert_eq!(run(&master, rules, ""), ["foo", "bar"], "{rules}");
    }
    // README "type=sha": short by default, `format=long` for the full SHA.
    assert_eq!(run(&master, "type=sha", ""), ["sha-90dd603"]);
    assert_eq!(
        run(&master, "type=sha,format=long", ""),
        [format!("sha-{SHA}")]
    );
    assert_eq!(
        run(&master, "type=sha,prefix=,suffix=-amd64", ""),
        ["90dd603-amd64"]
    );
    let options = TagOptions {
        short_sha_length: 12,
        ..TagOptions::default()
    };
    let rules = TagRules::parse("type=sha").expect("rules parse");
    let list = compute_tags(&master, &rules, &options).expect("tags");
    assert_eq!(list.tags(), ["sha-90dd6032fac8"]);
}

#[test]
fn common_attributes_prefix_suffix_enable_priority() {
    let master = ctx("push", "refs/heads/master");
    // README "priority attribute": default priorities order the output.
    let rules = "type=sha\ntype=raw,value=foo\ntype=ref,event=branch\ntype=edge\ntype=schedule";
    assert_eq!(
        run(&master, rules, ""),
        ["edge", "master", "foo", "sha-90dd603"]
    );
    // An explicit priority moves a rule; equal priorities keep input order.
    let rules = "type=raw,value=a\ntype=raw,value=b\ntype=sha,priority=201";
    assert_eq!(run(&master, rules, ""), ["sha-90dd603", "a", "b"]);
    let rules = "type=raw,value=low,priority=-5\ntype=raw,value=high";
    assert_eq!(run(&master, rules, ""), ["high", "low"]);
    // enable=false drops the rule; enable may be an expression.
    let rules = "type=raw,value=a,enable=false\ntype=raw,value=b,enable=true";
    assert_eq!(run(&master, rules, ""), ["b"]);
    // prefix and suffix, with global expressions.
    let rules = "type=ref,event=branch,prefix=br-,suffix=-{{sha}}";
    assert_eq!(run(&master, rules, ""), ["br-master-90dd603"]);
    // pr's default prefix can be replaced or removed.
    let pr = ctx("pull_request", "refs/pull/7/merge");
    assert_eq!(run(&pr, "type=ref,event=pr", ""), ["pr-7"]);
    assert_eq!(run(&pr, "type=ref,event=pr,prefix=", ""), ["7"]);
    assert_eq!(run(&pr, "type=ref,event=pr,prefix=mr", ""), ["mr7"]);
    // Duplicates are dropped, first occurrence kept.
    assert_eq!(
        run(&master, "type=raw,value=master\ntype=ref,event=branch", ""),
        ["master"]
    );
}

#[test]
fn flavor_latest_prefix_suffix_onlatest() {
    let tag = push_tag("v1.2.3");
    let master = ctx("push", "refs/heads/master");
    let rules = "type=semver,pattern={{version}}\ntype=sha";
    // README "flavor input": prefix/suffix on every tag, on latest only with onlatest=true.
    assert_eq!(
        run(&tag, rules, "prefix=app-\nsuffix=-slim"),
        ["app-1.2.3-slim", "sha-90dd603-slim", "latest"]
    );
    assert_eq!(
        run(
            &tag,
            rules,
            "prefix=app-,onlatest=true\nsuffix=-slim,onlatest=true"
        ),
        ["app-1.2.3-slim", "sha-90dd603-slim", "app-latest-slim"]
    );
    // A rule's own prefix (even empty) replaces the flavor's.
    assert_eq!(
        run(
            &tag,
            "type=semver,pattern={{version}},prefix=",
            "prefix=app-"
        ),
        ["1.2.3", "latest"]
    );
    // latest=true adds it anywhere; latest=false never.
    assert_eq!(
        run(&master, "type=ref,event=branch", "latest=true"),
        ["master", "latest"]
    );
    assert_eq!(run(&tag, rules, "latest=false"), ["1.2.3", "sha-90dd603"]);
    // No tag at all: no latest either.
    assert!(run(&master, "type=ref,event=tag", "latest=true").is_empty());
    // `latest` is decided by the first rule that produces a tag (here the raw one).
    assert_eq!(
        run(
            &tag,
            "type=raw,value=x,priority=1000\ntype=semver,pattern={{version}}",
            ""
        ),
        ["x", "1.2.3"]
    );
}

#[test]
fn parse_errors_name_line_and_attribute() {
    let rows = [
        (
            "type=bogus",
            "tags line 1 (`type=bogus`): unknown type `bogus`",
        ),
        (
            "\n# c\ntype=semver",
            "tags line 3 (`type=semver`): missing `pattern` attribute",
        ),
        (
            "type=ref",
            "missing `event` attribute; add for example `event=branch`",
        ),
        (
            "type=ref,event=push",
            "`event=push` is invalid; expected `branch`, `tag` or `pr`",
        ),
        ("type=raw", "missing `value` attribute"),
        (
            "type=sha,format=medium",
            "`format=medium` is invalid; expected `short` or `long`",
        ),
        (
            "type=raw,value=a,priority=high",
            "`priority=high` is invalid; expected an integer",
        ),
        ("type=raw,value=a,enable=yes", "`enable=yes` is invalid"),
        (
            "type=match,pattern=v(\\d",
            "in `pattern`: invalid regular expression: unclosed group",
        ),
        ("type=match,pattern=x,group=one", "`group=one` is invalid"),
        (
            "type=sha,patern=x",
            "unknown attribute `patern` for type=sha; this type takes: format",
        ),
        (
            "type=raw,value=a,value=b",
            "attribute `value` is given twice",
        ),
        ("type=raw,\"value=a", "unterminated double quote"),
        ("type=raw,\"value=a\"b", "text after a closing double quote"),
        (
            "type=raw,value={{branhc}}",
            "in `value`: unknown expression `{{branhc}}`",
        ),
        (
            "type=semver,pattern={{branch}}",
            "in `pattern`: unknown expression `{{branch}}`",
        ),
        (
            "type=schedule,pattern={{date 'YYYY' tz='X/Y'}}",
            "unknown time zone `X/Y`",
        ),
    ];
    for (rules, want) in rows {
        let err = rule_error(rules);
        assert!(err.contains(want), "{rules:?}: {err}");
    }
    // An `enable` expression that renders to neither true nor false fails at evaluation.
    let rules = TagRules::parse("type=raw,value=a,enable={{branch}}").expect("rules parse");
    let err = compute_tags(&ctx("push", "refs/heads/x"), &rules, &TagOptions::default())
        .expect_err("not boolean");
    assert!(
        err.to_string().contains("`enable` evaluated to `x`"),
        "{err}"
    );
}

#[test]
fn flavor_parse_errors() {
    let rows = [
        (
            "latest=maybe",
            "flavor line 1 (`latest=maybe`): `latest=maybe` is invalid",
        ),
        (
            "onlatest=true",
            "`onlatest` applies to the `prefix=` or `suffix=` before it",
        ),
        ("prefix=a,onlatest=yes", "`onlatest=yes` is invalid"),
        (
            "\nlatest",
            "flavor line 2 (`latest`): `latest` is not key=value",
        ),
        ("colour=blue", "unknown attribute `colour` for type=flavor"),
    ];
    for (flavor, want) in rows {
        let err = Flavor::parse(flavor)
            .expect_err("invalid flavor")
            .to_string();
        assert!(err.contains(want), "{flavor:?}: {err}");
    }
}

#[test]
fn csv_quoting_and_comments() {
    let master = ctx("push", "refs/heads/master");
    // A comma inside a value needs CSV double quotes; `""` is a literal quote.
    let rules = "# comment\n\n  type=raw,\"value=a,b\"  \r\ntype=raw,\"value=x\"\"y\"";
    assert_eq!(run(&master, rules, ""), ["a-b", "x-y"]);
    let rules = r#"type=match,"pattern=(\d{1,3})$",group=1"#;
    assert_eq!(run(&push_tag("build-4521"), rules, "latest=false"), ["521"]);
    // Keys are case-insensitive and values trimmed, as in metadata-action.
    assert_eq!(run(&master, "TYPE = raw , Value = spaced ", ""), ["spaced"]);
    let parsed = TagRules::parse("\n\ntype=sha").expect("rules parse");
    assert_eq!(parsed.rules()[0].line(), 3);
    assert_eq!(parsed.rules()[0].type_name(), "sha");
    assert_eq!(parsed.rules()[0].priority(), 100);
}

#[test]
fn tag_sanitization() {
    let cases = [
        ("feature/foo-bar", Some("feature-foo-bar")),
        ("Fix/UPPER", Some("Fix-UPPER")),
        ("a  b//c", Some("a-b-c")),
        ("-.lead", Some("lead")),
        ("é", None),
        ("", None),
    ];
    for (raw, want) in cases {
        assert_eq!(sanitize_tag(raw).as_deref(), want, "{raw}");
    }
    let long = "x".repeat(200);
    assert_eq!(sanitize_tag(&long).map(|t| t.len()), Some(128));
    assert_eq!(sanitize_tag("ü-ok").as_deref(), Some("ok"));
}

#[test]
fn readme_extended_attribute_lines_parse_and_behave_as_defaults() {
    // Every "Extended attributes and default values" block of the README, verbatim.
    let master = ctx("push", "refs/heads/master");
    let rows: [(&str, &[&str]); 9] = [
        (
            "type=schedule,enable=true,priority=1000,prefix=,suffix=,pattern=nightly",
            &[],
        ),
        (
            "type=semver,enable=true,priority=900,prefix=,suffix=,pattern=,value=,match=",
            &[],
        ),
        (
            "type=pep440,enable=true,priority=900,prefix=,suffix=,pattern=,value=",
            &[],
        ),
        (
            "type=match,enable=true,priority=800,prefix=,suffix=,pattern=,group=0,value=",
            &[],
        ),
        (
            "type=edge,enable=true,priority=700,prefix=,suffix=,branch=$repo.default_branch",
            &["edge"],
        ),
        (
            "type=ref,enable=true,priority=600,prefix=,suffix=,event=branch",
            &["master"],
        ),
        (
            "type=ref,enable=true,priority=600,prefix=pr-,suffix=,event=pr",
            &[],
        ),
        (
            "type=raw,enable=true,priority=200,prefix=,suffix=,value=",
            &[],
        ),
        (
            "type=sha,enable=true,priority=100,prefix=sha-,suffix=,format=short",
            &["sha-90dd603"],
        ),
    ];
    for (rule, want) in rows {
        assert_eq!(run(&master, rule, ""), want, "{rule}");
    }
}

#[test]
fn defaults_rule_sets_parse_completely() {
    assert_eq!(TagRules::metadata_action_defaults().rules().len(), 4);
    assert_eq!(TagRules::deploy_action_defaults().rules().len(), 8);
}

#[test]
fn image_reference_parsing() {
    // (input, registry, repository, tag, digest, Display)
    let digest = format!("sha256:{}", "a".repeat(64));
    let with_digest = format!("ghcr.io/org/app:1.0@{digest}");
    let rows = [
        ("nginx", "docker.io", "library/nginx", None, None, "nginx"),
        ("name/app", "docker.io", "name/app", None, None, "name/app"),
        (
            "docker.io/library/nginx:1.25",
            "docker.io",
            "library/nginx",
            Some("1.25"),
            None,
            "nginx:1.25",
        ),
        (
            "index.docker.io/name/app",
            "docker.io",
            "name/app",
            None,
            None,
            "name/app",
        ),
        (
            "localhost/app",
            "localhost",
            "app",
            None,
            None,
            "localhost/app",
        ),
        (
            "localhost:5000/x",
            "localhost:5000",
            "x",
            None,
            None,
            "localhost:5000/x",
        ),
        (
            "127.0.0.1:5000/x/y:dev",
            "127.0.0.1:5000",
            "x/y",
            Some("dev"),
            None,
            "127.0.0.1:5000/x/y:dev",
        ),
        (
            "[::1]:5000/app",
            "[::1]:5000",
            "app",
            None,
            None,
            "[::1]:5000/app",
        ),
        (
            "ghcr.io/org/my_app__x.y-z",
            "ghcr.io",
            "org/my_app__x.y-z",
            None,
            None,
            "ghcr.io/org/my_app__x.y-z",
        ),
        (
            &with_digest,
            "ghcr.io",
            "org/app",
            Some("1.0"),
            Some(digest.as_str()),
            &with_digest,
        ),
    ];
    for (input, registry, repository, tag, digest, display) in rows {
        let image = ImageRef::parse(input).expect(input);
        assert_eq!(image.registry(), registry, "{input}");
        assert_eq!(image.repository(), repository, "{input}");
        assert_eq!(image.tag(), tag, "{input}");
        assert_eq!(image.digest(), digest, "{input}");
        assert_eq!(image.to_string(), display, "{input}");
        assert_eq!(input.parse::<ImageRef>().as_ref(), Ok(&image));
    }
    assert_eq!(
        ImageRef::parse("nginx:1").expect("valid").canonical(),
        "docker.io/library/nginx:1"
    );
    let tagged = ImageRef::parse(&format!("name/app:old@{digest}")).expect("valid");
    assert_eq!(tagged.with_tag("new").to_string(), "name/app:new");
}

#[test]
fn image_reference_errors() {
    let rows = [
        ("", "it is empty"),
        ("Name/App", "must be lower-case; use `name/app`"),
        ("Owner/app:v1", "must be lower-case; use `owner/app:v1`"),
        (
            "ghcr.io/Org/App:V1",
            "must be lower-case; use `ghcr.io/org/app:V1`",
        ),
        ("name/-app", "path component `-app` is invalid"),
        ("name/a___b", "path component `a___b` is invalid"),
        ("name//app", "path component `` is invalid"),
        ("bad_host.io/app", "registry `bad_host.io` is invalid"),
        ("host:port/app", "registry `host:port` is invalid"),
        ("name/app:-x", "tag `-x` is invalid"),
        ("name/app:a+b", "tag `a+b` is invalid"),
        ("name/app@sha256:abc", "digest `sha256:abc` is invalid"),
        ("name/app@md5:abc", "digest `md5:abc` is invalid"),
    ];
    for (input, want) in rows {
        let err = ImageRef::parse(input).expect_err(input).to_string();
        assert!(
            err.starts_with(&format!("invalid image reference `{input}`")),
            "{err}"
        );
        assert!(err.contains(want), "{input}: {err}");
    }
    let long = format!("a/{}", "b".repeat(300));
    assert!(
        ImageRef::parse(&long)
            .expect_err("too long")
            .to_string()
            .contains("limit is 255")
    );
    let lowered = ImageRef::parse_lowercased("ghcr.io/Org/App:V1").expect("lower-cased");
    assert_eq!(lowered.to_string(), "ghcr.io/org/app:V1");
}
