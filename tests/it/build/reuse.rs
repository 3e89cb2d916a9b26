//! How `deploy-action build --builder classic` reads its context: once, streamed to the daemon,
//! when no image with the context's shape exists; digest first when one does, so that an
//! unchanged context is reused without uploading it, and a changed one of the same shape is
//! still built. (BuildKit always takes the digest first, from the stat cache: build_buildkit.rs.)

use crate::harness;

use harness::docker::{self, ActionsFiles};

const DIGEST_FIRST: &str = "reading the context for its digest";

#[test]
fn the_context_is_streamed_once_unless_an_image_of_its_shape_exists() {
    let Some(env) = docker::env() else { return };
    let dir = tempfile::tempdir().expect("tempdir");
    let df = format!(
        "FROM {}\nCOPY nonce.txt /nonce.txt\nRUN cat /nonce.txt\n",
        env.base_image
    );
    std::fs::write(dir.path().join("Dockerfile"), df).expect("Dockerfile");
    let first_nonce = docker::nonce();
    std::fs::write(dir.path().join("nonce.txt"), &first_nonce).expect("nonce");
    // A name no earlier run had, so that no image on the daemon has this context's shape.
    std::fs::write(dir.path().join(format!("shape-{first_nonce}")), "").expect("marker");
    let image = format!("{}/build-tests/reads-{}", env.registry, &first_nonce[..8]);
    let run = || {
        let files = ActionsFiles::new();
        let out = docker::build_cmd(&env, dir.path(), &docker::fake_sha(), &files)
            .args([
                "--image",
                &image,
                "--format",
                "json",
                "--builder",
                "classic",
            ])
            .output()
            .expect("run");
        let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
        (docker::json_result(&out), stderr)
    };

    // New content: nothing to reuse, one streaming pass.
    let (first, log) = run();
    assert_eq!(first["reused"], false);
    assert!(!log.contains(DIGEST_FIRST), "{log}");
    assert!(log.contains("Step 1/"), "{log}");

    // Same content: digest first, reused, nothing uploaded or built.
    let (second, log) = run();
    assert_eq!(second["reused"], true, "{log}");
    assert!(log.contains(DIGEST_FIRST), "{log}");
    assert!(!log.contains("Step 1/"), "{log}");
    assert_eq!(second["image_id"], first["image_id"]);

    // Same shape (same size), other content: digest first, then a real build of the new file.
    let other_nonce = docker::nonce();
    assert_eq!(other_nonce.len(), first_nonce.len());
    std::fs::write(dir.path().join("nonce.txt"), &other_nonce).expect("nonce");
    let (third, log) = run();
    assert_eq!(third["reused"], false, "{log}");
    assert!(log.contains(DIGEST_FIRST), "{log}");
    assert_ne!(third["context_digest"], first["context_digest"]);
    let id = third["image_id"].as_str().expect("image_id");
    assert_eq!(docker::run_in(&env, id, "cat /nonce.txt"), other_nonce);
    let labels = docker::labels(&env, id);
    assert_eq!(
        labels
            .get("dev.deploy-action.context-digest")
            .map(String::as_str),
        third["context_digest"].as_str()
    );
}
