//! Helpers of the promotion tests without Docker: tiny HTTP servers, a staging record in the
//! local ledger, `promote` with a policy, and readers of its results.

use std::io::{Read, Write};
use std::net::TcpListener;
use std::path::Path;
use std::sync::{Arc, Mutex};

use crate::harness::bin;

pub const SHA: &str = "0123456789abcdef0123456789abcdef01234567";
pub const DIGEST: &str = "sha256:3333333333333333333333333333333333333333333333333333333333333333";

/// A tiny HTTP server answering every request with `status` and `body`; records request paths.
pub fn serve(status: u16, body: &'static str) -> (String, Arc<Mutex<Vec<String>>>) {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = listener.local_addr().expect("addr");
    let seen = Arc::new(Mutex::new(Vec::new()));
    let log = seen.clone();
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            let log = log.clone();
            std::thread::spawn(move || {
                let mut stream = stream;
                let mut buf = vec![0u8; 4096];
                let n = stream.read(&mut buf).unwrap_or(0);
                let head = String::from_utf8_lossy(&buf[..n]).into_owned();
                let path = head.split_whitespace().nth(1).unwrap_or("").to_owned();
                log.lock().expect("log").push(path);
                let _ = write!(
                    stream,
                    "HTTP/1.1 {status} X\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                    body.len()
                );
            });
        }
    });
    (format!("http://{addr}"), seen)
}

/// A listener that accepts connections and never answers.
pub fn black_hole() -> String {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = listener.local_addr().expect("addr");
    std::thread::spawn(move || {
        let mut held = Vec::new();
        for s in listener.incoming().flatten() {
            held.push(s);
        }
    });
    format!("http://{addr}")
}

/// Records a successful staging deployment of SHA with `image` in the ledger of `dir`.
pub fn staging(dir: &Path, image: &str) {
    let out = bin()
        .current_dir(dir)
        .args(["deploy", "-e", "staging", "--image", image, "--sha", SHA])
        .output()
        .expect("deploy");
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

pub fn promote(dir: &Path, policy: &str, image: &str) -> std::process::Output {
    std::fs::write(dir.join("promotion.yml"), policy).expect("policy");
    bin()
        .current_dir(dir)
        .args([
            "promote",
            "--policy",
            "promotion.yml",
            "--sha",
            SHA,
            "--image",
            image,
            "--format",
            "json",
        ])
        .output()
        .expect("promote")
}

pub fn decision(out: &std::process::Output) -> serde_json::Value {
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "{e}: {}\n{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    })
}

pub fn production_states(dir: &Path) -> Vec<String> {
    let out = bin()
        .current_dir(dir)
        .args(["history", "production", "--format", "json"])
        .output()
        .expect("history");
    let h: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    h["deployments"]
        .as_array()
        .expect("rows")
        .iter()
        .map(|r| r["state"].as_str().unwrap_or("").to_owned())
        .collect()
}

/// The last stderr line that says why, which must be one line.
pub fn reason_line(out: &std::process::Output) -> String {
    let err = String::from_utf8_lossy(&out.stderr);
    let line = err
        .lines()
        .rev()
        .find(|l| !l.trim().is_empty())
        .unwrap_or("")
        .to_owned();
    assert!(!line.contains("panicked"), "{err}");
    line
}

pub const HEAD: &str =
    "from: staging\nto: production\ngates:\n  deployed: true\n  same_digest: true\n";
