//! Starts the in-process fake GitHub (feature `fake-github`) for tests and builds stores that
//! talk to it with fast, recorded retries.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use deploy_action_fake_github::{FakeConfig, FakeGithub};
use deploy_action_records::{
    DeploymentPayload, GithubConfig, GithubStore, RetryPolicy, Secret, Sleeper,
};

/// A full commit SHA the fake accepts as a ref.
pub const SHA: &str = "0123456789abcdef0123456789abcdef01234567";

/// The fake, started on the OpenAPI description in `../shared`; `None` (skip) when `../shared`
/// is absent outside CI.
pub fn start() -> Option<FakeGithub> {
    let spec = super::shared()?.join("github-api/openapi-subset.json");
    Some(FakeGithub::start(FakeConfig::new(spec)).expect("fake GitHub starts"))
}

/// Records the waits it is asked for and returns at once, so retry tests take no time and can
/// check that `Retry-After` was honoured.
#[derive(Debug, Default)]
pub struct RecordingSleeper {
    waits: Mutex<Vec<Duration>>,
}

impl RecordingSleeper {
    /// The waits asked for so far.
    pub fn waits(&self) -> Vec<Duration> {
        self.waits.lock().expect("sleeper lock").clone()
    }
}

impl Sleeper for RecordingSleeper {
    fn sleep(
        &self,
        duration: Duration,
    ) -> std::pin::Pin<Box<dyn std::future::Future<Output = ()> + Send + '_>> {
        self.waits.lock().expect("sleeper lock").push(duration);
        Box::pin(async {})
    }
}

/// A retry policy for tests: 4 attempts, short back-off, 30 s longest wait, 2 s timeout.
pub fn fast_policy() -> RetryPolicy {
    RetryPolicy {
        max_attempts: 4,
        base_delay: Duration::from_millis(10),
        max_delay: Duration::from_secs(30),
        request_timeout: Duration::from_secs(2),
    }
}

/// The configuration of a store on the fake, with `token`.
pub fn config_with_token(fake: &FakeGithub, token: &str) -> (GithubConfig, Arc<RecordingSleeper>) {
    let sleeper = Arc::new(RecordingSleeper::default());
    let mut config = GithubConfig::new(
        &fake.api_url(),
        fake.owner(),
        fake.repo(),
        Secret::new(token.to_owned()),
    );
    config.retry = fast_policy();
    config.sleeper = sleeper.clone();
    (config, sleeper)
}

/// A store on the fake with the right token.
pub fn store(fake: &FakeGithub) -> (GithubStore, Arc<RecordingSleeper>) {
    let (config, sleeper) = config_with_token(fake, fake.token());
    (GithubStore::new(config).expect("valid config"), sleeper)
}

/// A payload for image digest number `n`.
pub fn payload(n: u32) -> DeploymentPayload {
    DeploymentPayload {
        image: "ghcr.io/octo-org/app".into(),
        digest: format!("sha256:{n:064x}"),
        tags: vec![format!("v1.0.{n}")],
        run_url: Some(format!("https://github.com/octo-org/app/actions/runs/{n}")),
        artifacts: Vec::new(),
    }
}
