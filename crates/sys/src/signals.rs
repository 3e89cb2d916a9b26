//! SIGINT and SIGTERM, watched once per run: every step can wait for them.

use tokio::sync::watch;

/// Watches SIGINT and SIGTERM; every clone can wait for the signal's name.
#[derive(Clone, Debug)]
pub struct Interrupt(watch::Receiver<Option<String>>);

impl Interrupt {
    /// Starts listening (inside a Tokio runtime).
    pub fn listen() -> std::io::Result<Self> {
        use tokio::signal::unix::{SignalKind, signal};
        let mut term = signal(SignalKind::terminate())?;
        let mut int = signal(SignalKind::interrupt())?;
        let (tx, rx) = watch::channel(None);
        tokio::spawn(async move {
            let name = tokio::select! {
                _ = term.recv() => "SIGTERM",
                _ = int.recv() => "SIGINT",
            };
            let _ = tx.send(Some(name.to_owned()));
        });
        Ok(Self(rx))
    }

    /// Resolves to the signal's name once one arrives.
    pub fn wait(&self) -> impl std::future::Future<Output = String> + Send + 'static {
        let mut rx = self.0.clone();
        async move {
            loop {
                if let Some(name) = rx.borrow().clone() {
                    return name;
                }
                if rx.changed().await.is_err() {
                    // The listener is gone: no signal will come.
                    std::future::pending::<()>().await;
                }
            }
        }
    }

    /// The signal that arrived, if any.
    pub fn fired(&self) -> Option<String> {
        self.0.borrow().clone()
    }
}
