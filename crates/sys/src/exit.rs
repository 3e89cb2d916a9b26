//! Exit statuses of the `deploy-action` binary; each error type maps itself to one.

/// Success, nothing to report.
pub const OK: u8 = 0;
/// Lint findings at or above `--fail-on` (default: error).
pub const FINDINGS: u8 = 1;
/// The image build failed (a Dockerfile error or a failing step).
pub const BUILD_FAILED: u8 = 1;
/// Usage or I/O error.
pub const USAGE: u8 = 2;
/// A promotion gate refused.
pub const REFUSED: u8 = 3;
/// Infrastructure failure: daemon, registry, GitHub.
pub const INFRA: u8 = 4;
/// A deployment failed (`deploy`: command non-zero, service unhealthy); same value as
/// [`FINDINGS`].
pub const DEPLOY_FAILED: u8 = 1;
/// Interrupted by SIGINT or SIGTERM (128 + 2, as shells report it).
pub const INTERRUPTED: u8 = 130;

/// An error that ends the run with `code` after one line on stderr, `error: MESSAGE`; the
/// command has already rendered the cause (its subsystem's error) into the message. `main`
/// prints it, once.
#[derive(Debug)]
pub struct Failure {
    /// The exit status.
    pub code: u8,
    /// The one-line cause (and fix).
    pub message: String,
}

impl Failure {
    /// A failure with exit status `code` whose message is `cause`'s.
    pub fn new(code: u8, cause: &dyn std::fmt::Display) -> Self {
        Self {
            code,
            message: cause.to_string(),
        }
    }
}

impl std::fmt::Display for Failure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Failure {}
