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
//!
//! The same holds across processes (CI runs the `act::` tests in a second test process beside
//! this one, on the same daemon): a process with users holds a shared `flock` on a file named
//! after the daemon, and a prune upgrades it to an exclusive one, so that it waits for the other
//! processes' users to finish and holds theirs back.

use std::cell::RefCell;
use std::fs::File;
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
    /// The daemon's lock file, locked shared while `active > 0` (exclusive during a prune).
    lock: Option<File>,
}

static USERS: Mutex<Users> = Mutex::new(Users {
    active: 0,
    pruning: false,
    lock: None,
});

/// The lock file of the daemon at `host`, shared by every test process that uses it.
fn lock_file(host: &str) -> File {
    let name: String = host
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
        .collect();
    let path = std::env::temp_dir().join(format!("deploy-action-daemon-users-{name}.lock"));
    File::options()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&path)
        .unwrap_or_else(|e| panic!("cannot open {}: {e}", path.display()))
}

/// Takes `lock` shared (or exclusive), waiting for other processes up to [`DEADLINE`]. The
/// wait blocks in the kernel (on a second handle of the same open file, on a helper thread) so
/// that it wakes the moment the other process lets go: the `act::` tests leave gaps of
/// milliseconds between tests, which polling would miss.
fn flock(lock: &File, exclusive: bool, what: &str) {
    let handle = lock
        .try_clone()
        .unwrap_or_else(|e| panic!("cannot lock the daemon's lock file: {e}"));
    let (done, locked) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let r = if exclusive {
            handle.lock()
        } else {
            handle.lock_shared()
        };
        let _ = done.send(r);
    });
    match locked.recv_timeout(DEADLINE) {
        Ok(Ok(())) => {}
        Ok(Err(e)) => panic!("cannot lock the daemon's lock file: {e}"),
        Err(_) => panic!("{what} (another test process): still waiting after {DEADLINE:?}"),
    }
}

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
        let mut g = users();
        g.active -= 1;
        if g.active == 0
            && let Some(lock) = &g.lock
        {
            // Closing would release it too, but the file stays open for the next user.
            let _ = lock.unlock();
        }
        drop(g);
        CHANGED.notify_all();
    }
}

thread_local! {
    static TOKEN: RefCell<Option<Token>> = const { RefCell::new(None) };
}

/// Makes this thread a user (once) of the daemon at `host`, after any prune under way.
pub fn enter(host: &str) {
    TOKEN.with(|t| {
        if t.borrow().is_some() {
            return;
        }
        let mut g = wait_while(users(), "a build-cache prune to finish", |u| u.pruning);
        if g.active == 0 {
            let lock = g.lock.get_or_insert_with(|| lock_file(host));
            flock(lock, false, "a build-cache prune to finish");
        }
        g.active += 1;
        *t.borrow_mut() = Some(Token);
    });
}

/// This thread alone uses the daemon while it is held; other users wait.
#[must_use = "the daemon is this test's alone only while the guard lives"]
pub struct Alone(());

impl Drop for Alone {
    fn drop(&mut self) {
        let mut g = users();
        g.pruning = false;
        if let Some(lock) = &g.lock {
            // Back to shared: this thread is still a user.
            flock(lock, false, "the lock after a prune");
        }
        drop(g);
        CHANGED.notify_all();
    }
}

/// Waits until this thread is the only user of the daemon at `host`, in this process and in
/// any other, and holds new users back until the guard drops.
pub fn alone(host: &str) -> Alone {
    enter(host);
    let mut g = wait_while(users(), "another prune", |u| u.pruning);
    g.pruning = true;
    let g = wait_while(g, "the other daemon tests to finish before a prune", |u| {
        u.active > 1
    });
    if let Some(lock) = &g.lock {
        // Waits for the other processes' users to finish; they wait for this one in `enter`.
        flock(
            lock,
            true,
            "the other test processes to finish before a prune",
        );
    }
    drop(g);
    Alone(())
}
