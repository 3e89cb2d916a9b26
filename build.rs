//! Links the `deploy-action` executable at a fixed address (`-no-pie`) on Linux.
//!
//! A position-independent executable has its pointer tables (`.data.rel.ro`: vtables, tables of
//! `&str`, about 1.6 MB here) relocated at every start: 65,000 relocations that write, and so
//! copy, some 400 pages before `main` runs. That was a third of a one-file `lint` run, the
//! pre-commit case (`--version`: 668 page faults, 3.3 ms; at a fixed address: 250 and 2.3 ms).
//! The code is still compiled position-independent; only the link differs, and only for the
//! binaries (not the tests or the libraries). The shared libraries, heap and stack stay at
//! random addresses; the executable's own image does not, as with Go's default builds
//! (actionlint, the Docker CLI).
fn main() {
    if std::env::var("CARGO_CFG_TARGET_OS").as_deref() == Ok("linux") {
        println!("cargo:rustc-link-arg-bins=-no-pie");
    }
    println!("cargo:rerun-if-changed=build.rs");
}
