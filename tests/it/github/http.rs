//! How GithubStore meets GitHub's failure answers, scripted on the fake: retries for 202, 429,
//! secondary rate limits, 5xx, hangs and resets; clear one-line errors for 401, 403, 404 and
//! 409; and the token never showing up in any of them.

use crate::harness;

use std::time::Duration;

use deploy_action_fake_github::Fault;
use deploy_action_records::{
    DeploymentRequest, DeploymentStore, GithubConfig, GithubError, GithubStore, Secret,
    StatusRequest, StatusState,
};
use harness::fake_github::{SHA, config_with_token, fast_policy, payload, start, store};

const CREATE: &str = "/repos/{owner}/{repo}/deployments";

fn request() -> DeploymentRequest {
    DeploymentRequest::new(SHA, "staging", payload(7))
}

fn create_attempts(fake: &deploy_action_fake_github::FakeGithub) -> usize {
    fake.requests()
        .iter()
        .filter(|r| r.method == "POST" && r.path.ends_with("/deployments"))
        .count()
}

#[tokio::test]
async fn accepted_202_is_retried_until_created() {
    let Some(fake) = start() else { return };
    fake.inject("POST", CREATE, 2, Fault::accepted())
        .expect("route");
    let (store, sleeper) = store(&fake);
    let d = store
        .create_deployment(&request())
        .await
        .expect("created on the third try");
    assert_eq!(d.sha, SHA);
    assert_eq!(create_attempts(&fake), 3);
    assert_eq!(sleeper.waits().len(), 2);
    assert_eq!(fake.deployments().len(), 1);
}

#[tokio::test]
async fn accepted_202_forever_gives_up_with_a_bound() {
    let Some(fake) = start() else { return };
    fake.inject("POST", CREATE, 100, Fault::accepted())
        .expect("route");
    let (store, _) = store(&fake);
    let err = store
        .create_deployment(&request())
        .await
        .expect_err("pending");
    assert!(
        matches!(err, GithubError::StillPending { attempts: 4 }),
        "{err:?}"
    );
    assert_eq!(create_attempts(&fake), 4);
}

#[tokio::test]
async fn scripted_409_names_the_failing_contexts() {
    let Some(fake) = start() else { return };
    let contexts = [
        ("ci/build", "success"),
        ("security/scan", "failure"),
        ("e2e", "pending"),
    ];
    fake.inject("POST", CREATE, 1, Fault::checks_failed(&contexts))
        .expect("route");
    let (store, _) = store(&fake);
    let err = store.create_deployment(&request()).await.expect_err("409");
    let text = err.to_string();
    assert!(text.contains("security/scan (failure)"), "{text}");
    assert!(text.contains("e2e (pending)"), "{text}");
    assert!(
        !text.contains("ci/build"),
        "green contexts are not blamed: {text}"
    );
    assert_eq!(create_attempts(&fake), 1, "409 is not retried");
}

#[tokio::test]
async fn required_contexts_are_checked_by_the_fake_like_github() {
    let Some(fake) = start() else { return };
    fake.seed_commit_status(SHA, "ci/build", "success");
    fake.seed_check_run(SHA, "lint", "completed", Some("failure"));
    let (store, _) = store(&fake);
    let mut req = request();
    req.required_contexts = vec!["ci/build".into(), "lint".into()];
    let err = store
        .create_deployment(&req)
        .await
        .expect_err("lint failed");
    assert!(
        matches!(&err, GithubError::ChecksFailed { contexts } if contexts == &["lint (failure)"]),
        "{err:?}"
    );
    req.required_contexts = vec!["ci/build".into()];
    store
        .create_deployment(&req)
        .await
        .expect("only green contexts required");
}

#[tokio::test]
async fn rate_limit_429_waits_as_told_then_succeeds() {
    let Some(fake) = start() else { return };
    fake.inject("POST", CREATE, 1, Fault::rate_limited(1))
        .expect("route");
    let (store, sleeper) = store(&fake);
    store
        .create_deployment(&request())
        .await
        .expect("created after the wait");
    assert_eq!(sleeper.waits(), vec![Duration::from_secs(1)]);
    assert_eq!(create_attempts(&fake), 2);
}

#[tokio::test]
async fn secondary_rate_limit_403_is_retried_not_blamed_on_permissions() {
    let Some(fake) = start() else { return };
    fake.inject("POST", CREATE, 1, Fault::secondary_rate_limit(3))
        .expect("route");
    let (store, sleeper) = store(&fake);
    store
        .create_deployment(&request())
        .await
        .expect("created after the wait");
    assert_eq!(sleeper.waits(), vec![Duration::from_secs(3)]);
}

#[tokio::test]
async fn primary_rate_limit_waits_until_the_reset_time() {
    let Some(fake) = start() else { return };
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("clock after 1970")
        .as_secs();
    fake.inject("POST", CREATE, 1, Fault::primary_rate_limit(now + 5))
        .expect("route");
    let (store, sleeper) = store(&fake);
    store
        .create_deployment(&request())
        .await
        .expect("created after the reset");
    let waits = sleeper.waits();
    assert_eq!(waits.len(), 1);
    // Reset is 5 s after `now`, read before the request; one second is added for rounding.
    assert!(
        waits[0] >= Duration::from_secs(4) && waits[0] <= Duration::from_secs(6),
        "{waits:?}"
    );
}

#[tokio::test]
async fn a_rate_limit_wait_beyond_the_maximum_fails_at_once() {
    let Some(fake) = start() else { return };
    fake.inject("POST", CREATE, 1, Fault::rate_limited(3600))
        .expect("route");
    let (store, sleeper) = store(&fake);
    let err = store
        .create_deployment(&request())
        .await
        .expect_err("too long");
    assert!(
        matches!(
            err,
            GithubError::RateLimitWaitTooLong {
                wait_secs: 3600,
                max_secs: 30,
                ..
            }
        ),
        "{err:?}"
    );
    assert!(sleeper.waits().is_empty());
}

#[tokio::test]
async fn server_error_502_is_retried_then_succeeds() {
    let Some(fake) = start() else { return };
    fake.inject("POST", CREATE, 2, Fault::server_error(502))
        .expect("route");
    let (store, sleeper) = store(&fake);
    store
        .create_deployment(&request())
        .await
        .expect("created on the third try");
    assert_eq!(create_attempts(&fake), 3);
    assert_eq!(
        sleeper.waits(),
        vec![Duration::from_millis(10), Duration::from_millis(20)]
    );
}

#[tokio::test]
async fn server_errors_on_every_attempt_stop_at_the_bound() {
    let Some(fake) = start() else { return };
    fake.inject("POST", CREATE, 100, Fault::server_error(503))
        .expect("route");
    let (store, _) = store(&fake);
    let err = store.create_deployment(&request()).await.expect_err("503");
    assert!(
        matches!(
            err,
            GithubError::ServerError {
                status: 503,
                attempts: 4,
                ..
            }
        ),
        "{err:?}"
    );
    assert_eq!(create_attempts(&fake), 4);
}

#[tokio::test]
async fn a_reset_connection_is_retried() {
    let Some(fake) = start() else { return };
    fake.inject("POST", CREATE, 1, Fault::Reset).expect("route");
    let (store, _) = store(&fake);
    store
        .create_deployment(&request())
        .await
        .expect("created after the reset");
    assert_eq!(create_attempts(&fake), 2);
    assert_eq!(fake.deployments().len(), 1);
}

#[tokio::test]
async fn a_hang_beyond_the_timeout_is_cut_and_retried() {
    let Some(fake) = start() else { return };
    fake.inject("POST", CREATE, 1, Fault::Hang(Duration::from_secs(60)))
        .expect("route");
    let (mut config, _) = config_with_token(&fake, fake.token());
    config.retry.request_timeout = Duration::from_millis(300);
    let store = GithubStore::new(config).expect("config");
    store
        .create_deployment(&request())
        .await
        .expect("created on the second try");
    assert_eq!(create_attempts(&fake), 2);
}

#[tokio::test]
async fn hangs_on_every_attempt_end_in_a_timeout_error() {
    let Some(fake) = start() else { return };
    fake.inject("GET", CREATE, 10, Fault::Hang(Duration::from_secs(60)))
        .expect("route");
    let (mut config, _) = config_with_token(&fake, fake.token());
    config.retry.request_timeout = Duration::from_millis(200);
    config.retry.max_attempts = 2;
    let store = GithubStore::new(config).expect("config");
    let err = store.history("staging", None).await.expect_err("timeout");
    assert!(
        matches!(err, GithubError::Timeout { attempts: 2, .. }),
        "{err:?}"
    );
    assert!(
        err.to_string().contains("raise the request timeout"),
        "{err}"
    );
}

#[tokio::test]
async fn a_bad_token_says_invalid_or_expired() {
    let Some(fake) = start() else { return };
    let (config, sleeper) = config_with_token(&fake, "ghp_wrong");
    let store = GithubStore::new(config).expect("config");
    let err = store.create_deployment(&request()).await.expect_err("401");
    assert!(matches!(err, GithubError::Unauthorized { .. }), "{err:?}");
    assert!(
        err.to_string().contains("token invalid or expired"),
        "{err}"
    );
    assert!(sleeper.waits().is_empty(), "401 is not retried");
    assert_eq!(fake.deployments().len(), 0);
}

#[tokio::test]
async fn forbidden_names_the_missing_permission() {
    let Some(fake) = start() else { return };
    fake.inject(
        "POST",
        CREATE,
        1,
        Fault::status(403, "Resource not accessible by integration"),
    )
    .expect("route");
    let (store, _) = store(&fake);
    let err = store.create_deployment(&request()).await.expect_err("403");
    let text = err.to_string();
    assert!(text.contains("deployments: write"), "{text}");
    assert!(text.contains("octo-org/app"), "{text}");
    assert_eq!(create_attempts(&fake), 1, "a plain 403 is not retried");
}

#[tokio::test]
async fn a_wrong_repository_is_a_404_that_says_so() {
    let Some(fake) = start() else { return };
    let (mut config, _) = config_with_token(&fake, fake.token());
    config.repo = "no-such-repo".into();
    let store = GithubStore::new(config).expect("config");
    let err = store
        .latest_successful("production")
        .await
        .expect_err("404");
    let text = err.to_string();
    assert!(matches!(err, GithubError::NotFound { .. }), "{err:?}");
    assert!(
        text.contains("octo-org/no-such-repo") && text.contains("deployments: read"),
        "{text}"
    );
    assert!(!text.contains('\n'), "one line: {text}");
}

#[tokio::test]
async fn an_unreachable_server_is_a_connection_error_after_retries() {
    // A socket bound but not listening holds the port, and connections to it are refused.
    let socket = tokio::net::TcpSocket::new_v4().expect("socket");
    socket
        .bind("127.0.0.1:0".parse().expect("addr"))
        .expect("bind");
    let port = socket.local_addr().expect("bound").port();
    let mut config = GithubConfig::new(
        &format!("http://127.0.0.1:{port}"),
        "octo-org",
        "app",
        Secret::new("ghp_x".into()),
    );
    config.retry = fast_policy();
    let sleeper = std::sync::Arc::new(harness::fake_github::RecordingSleeper::default());
    config.sleeper = sleeper.clone();
    let store = GithubStore::new(config).expect("config");
    let err = store.history("staging", None).await.expect_err("refused");
    assert!(
        matches!(err, GithubError::Connection { attempts: 4, .. }),
        "{err:?}"
    );
    assert_eq!(sleeper.waits().len(), 3);
}

#[test]
fn bad_configuration_is_rejected_before_any_request() {
    let bad_url = GithubConfig::new("not a url", "o", "r", Secret::new("t".into()));
    assert!(matches!(
        GithubStore::new(bad_url),
        Err(GithubError::BadConfig { .. })
    ));
    let bad_repo = GithubConfig::new(
        "https://api.github.com",
        "o",
        "a/b",
        Secret::new("t".into()),
    );
    let err = GithubStore::new(bad_repo).expect_err("slash in name");
    assert!(err.to_string().contains("GITHUB_REPOSITORY"), "{err}");
}

/// Every failure path, with a canary token: the token must not reach Display or Debug of the
/// error, nor Debug of the store.
#[tokio::test]
async fn the_token_never_appears_in_errors() {
    let Some(fake) = start() else { return };
    const CANARY: &str = "ghp_CANARY_6c1f0e2d9b8a";
    let mut errors: Vec<GithubError> = Vec::new();

    // 401: the canary is not the fake's token.
    let (config, _) = config_with_token(&fake, CANARY);
    let store = GithubStore::new(config).expect("config");
    assert!(!format!("{store:?}").contains(CANARY));
    errors.push(store.create_deployment(&request()).await.expect_err("401"));

    // Every other failure, from a fake that accepts the canary as its token.
    let spec = harness::shared()
        .expect("shared present since the first fake started")
        .join("github-api/openapi-subset.json");
    let mut fake_config = deploy_action_fake_github::FakeConfig::new(spec);
    fake_config.token = CANARY.into();
    let fake = deploy_action_fake_github::FakeGithub::start(fake_config).expect("fake");
    let (mut config, _) = config_with_token(&fake, CANARY);
    config.retry.request_timeout = Duration::from_millis(200);
    config.retry.max_attempts = 2;
    let store = GithubStore::new(config).expect("config");
    // (fault, how many requests it takes: retried faults meet both attempts)
    let faults = [
        (
            Fault::status(403, "Resource not accessible by integration"),
            1,
        ),
        (Fault::checks_failed(&[("ci", "failure")]), 1),
        (Fault::status(409, "Merge conflict"), 1),
        (Fault::status(422, "Validation Failed"), 1),
        (Fault::status(418, "teapot"), 1),
        (Fault::server_error(500), 2),
        (Fault::rate_limited(100_000), 1),
        (Fault::Hang(Duration::from_secs(30)), 2),
        (Fault::Reset, 2),
    ];
    for (fault, times) in faults {
        fake.inject("POST", CREATE, times, fault).expect("route");
        errors.push(
            store
                .create_deployment(&request())
                .await
                .expect_err("fault"),
        );
    }
    errors.push(
        store
            .post_status(999, &StatusRequest::new(StatusState::Success, "x"))
            .await
            .expect_err("404"),
    );
    assert_eq!(errors.len(), 11);
    for err in &errors {
        let shown = format!("{err} {err:?}");
        assert!(!shown.contains(CANARY), "token leaked: {shown}");
        assert!(!err.to_string().contains('\n'), "one line: {err}");
    }
}
