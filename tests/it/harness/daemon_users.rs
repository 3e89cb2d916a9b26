//! Who uses the shared test daemon from this process, so that emptying its BuildKit cache
//! (`docker::prune_build_cache`) never races a build: dockerd 20.10 dereferences a nil cache
//! record (and dies) when a prune of everything removes what a running build is resolving.
//! One test binary runs every daemon test on two threads, so that pair can meet.
//!
//! A test thread becomes a user the first time it finds the daemon and stays one until it ends
//! (a thread-local token). A prune waits until its own thread is the only user and holds new
//! users back until the test drops its guard (its builds on the emptied cache included: two
//! builds resolving the same base image just after a prune crashed it too); both waits have a
//! deadline.

use std::cell::RefCell;
use std::sync::{Condvar, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

/// How long a prune waits for the other users to finish, or a user for a prune.
const DEADLINE: Duration = Duration::from_secs(600);

#[derive(Default)]
struct Users {
    /// Test threads holding a token.
    active: usize,
    /// A prune is waiting or running: no new users.
    pruning: bool,
}

static USERS: Mutex<Users> = Mutex::new(Users {
    active: 0,
    pruning: false,
});
static CHANGED: Condvar = Condvar::new();

fn users() -> MutexGuard<'static, Users> {
    USERS.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Waits on [`CHANGED`] while `blocked` holds, failing the test past [`DEADLINE`].
fn wait_while(
    mut guard: MutexGuard<'static, Users>,
    what: &str,
    blocked: impl Fn(&Users) -> bool,
) -> MutexGuard<'static, Users> {
    let started = Instant::now();
    while blocked(&guard) {
        let left = DEADLINE.checked_sub(started.elapsed()).unwrap_or_else(|| {
            panic!("{what}: still waiting after {DEADLINE:?}");
        });
        guard = CHANGED
            .wait_timeout(guard, left)
            .unwrap_or_else(PoisonError::into_inner)
            .0;
    }
    guard
}

/// Released when its thread ends.
struct Token;

impl Drop for Token {
    fn drop(&mut self) {
        users().active -= 1;
        CHANGED.notify_all();
    }
}

thread_local! {
    static TOKEN: RefCell<Option<Token>> = const { RefCell::new(None) };
}

/// Makes this thread a daemon user (once), after any prune under way.
pub fn enter() {
    TOKEN.with(|t| {
        if t.borrow().is_some() {
            return;
        }
        let mut g = wait_while(users(), "a build-cache prune to finish", |u| u.pruning);
        g.active += 1;
        *t.borrow_mut() = Some(Token);
    });
}

/// This thread alone uses the daemon while it is held; other users wait.
#[must_use = "the daemon is this test's alone only while the guard lives"]
pub struct Alone(());

impl Drop for Alone {
    fn drop(&mut self) {
        users().pruning = false;
        CHANGED.notify_all();
    }
}

/// Waits until this thread is the only user and holds new users back until the guard drops.
pub fn alone() -> Alone {
    enter();
    let mut g = wait_while(users(), "another prune", |u| u.pruning);
    g.pruning = true;
    let g = wait_while(g, "the other daemon tests to finish before a prune", |u| {
        u.active > 1
    });
    drop(g);
    Alone(())
}
