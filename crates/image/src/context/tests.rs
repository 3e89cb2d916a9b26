use std::fs;
use std::io::Read;
use std::path::Path;
use std::time::{Duration, SystemTime};

use super::*;

/// Creates `files` (`path` → contents; a trailing `/` makes a directory) under `root`.
fn fixture(root: &Path, files: &[(&str, &str)]) {
    for (path, contents) in files {
        let full = root.join(path);
        if path.ends_with('/') {
            fs::create_dir_all(&full).expect("mkdir");
            continue;
        }
        if let Some(parent) = full.parent() {
            fs::create_dir_all(parent).expect("mkdir parent");
        }
        fs::write(&full, contents).expect("write fixture file");
    }
}

#[cfg(unix)]
fn symlink(target: &str, link: &Path) {
    std::os::unix::fs::symlink(target, link).expect("symlink");
}

fn tar_entries(bytes: &[u8]) -> Vec<(String, tar::EntryType, u32, String)> {
    let mut archive = tar::Archive::new(bytes);
    let mut out = Vec::new();
    for entry in archive.entries().expect("tar entries") {
        let mut entry = entry.expect("tar entry");
        let header = entry.header().clone();
        assert_eq!(header.uid().expect("uid"), 0);
        assert_eq!(header.gid().expect("gid"), 0);
        let path = String::from_utf8_lossy(&entry.path_bytes()).into_owned();
        let mut body = String::new();
        if header.entry_type() == tar::EntryType::Symlink {
            let target = entry.link_name().expect("link").expect("has target");
            body = target.to_string_lossy().into_owned();
        } else {
            entry.read_to_string(&mut body).expect("utf-8 body");
        }
        out.push((
            path,
            header.entry_type(),
            header.mode().expect("mode"),
            body,
        ));
    }
    out
}

const IGNORE: &str = "\
# comments and blank lines are skipped

build
!build/keep.txt
**/*.log
/secret
Dockerfile
.dockerignore
";

fn main_fixture(root: &Path) {
    fixture(
        root,
        &[
            ("Dockerfile", "FROM scratch\nCOPY . /\n"),
            (".dockerignore", IGNORE),
            ("README.md", "hello\n"),
            ("app/main.rs", "fn main() {}\n"),
            ("app/debug.log", "noise\n"),
            ("app/sub/trace.log", "noise\n"),
            ("build/out.bin", "binary\n"),
            ("build/keep.txt", "kept\n"),
            ("build/deep/x", "deep\n"),
            ("secret", "top secret\n"),
            ("sub/secret", "not excluded: the pattern is anchored\n"),
            ("emptydir/", ""),
        ],
    );
    #[cfg(unix)]
    symlink("app/main.rs", &root.join("link"));
}

#[test]
fn list_files_applies_dockerignore() {
    let dir = tempfile::tempdir().expect("tempdir");
    main_fixture(dir.path());
    let files = list_files(dir.path(), Path::new("Dockerfile")).expect("list");
    let mut expected = vec![
        ".dockerignore",
        "Dockerfile",
        "README.md",
        "app/",
        "app/main.rs",
        "app/sub/",
        "build/",
        "build/keep.txt",
        "emptydir/",
        "sub/",
        "sub/secret",
    ];
    if cfg!(unix) {
        expected.push("link");
    }
    expected.sort_unstable();
    assert_eq!(files, expected);
}

#[test]
fn pack_writes_the_listed_entries_in_walk_order() {
    let dir = tempfile::tempdir().expect("tempdir");
    main_fixture(dir.path());
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let script = dir.path().join("app/main.rs");
        fs::set_permissions(&script, fs::Permissions::from_mode(0o755)).expect("chmod");
    }
    let ctx = BuildContext::open(dir.path(), Path::new("Dockerfile")).expect("open");
    let mut tar = Vec::new();
    let stats = ctx.pack(&mut tar, &PackOptions::default()).expect("pack");
    let entries = tar_entries(&tar);
    let names: Vec<&str> = entries.iter().map(|e| e.0.as_str()).collect();
    // Depth first, names in byte order; `build/` is written just before what it re-includes.
    let mut expected = vec![
        ".dockerignore",
        "Dockerfile",
        "README.md",
        "app/",
        "app/main.rs",
        "app/sub/",
        "build/",
        "build/keep.txt",
        "emptydir/",
    ];
    if cfg!(unix) {
        expected.push("link");
    }
    expected.extend(["sub/", "sub/secret"]);
    assert_eq!(names, expected);

    let find = |name: &str| entries.iter().find(|e| e.0 == name).expect("entry present");
    assert_eq!(find("build/keep.txt").3, "kept\n");
    assert_eq!(find("app/").1, tar::EntryType::Directory);
    #[cfg(unix)]
    {
        assert_eq!(find("app/main.rs").2, 0o755);
        let link = find("link");
        assert_eq!(link.1, tar::EntryType::Symlink);
        assert_eq!(link.3, "app/main.rs");
    }

    assert_eq!(stats.files, 6);
    assert_eq!(stats.dirs, 5);
    assert_eq!(stats.symlinks, u64::from(cfg!(unix)));
    let content: usize = [
        IGNORE,
        "FROM scratch\nCOPY . /\n",
        "hello\n",
        "fn main() {}\n",
        "kept\n",
        "not excluded: the pattern is anchored\n",
    ]
    .iter()
    .map(|s| s.len())
    .sum();
    assert_eq!(stats.content_bytes, content as u64);
    assert_eq!(stats.archive_bytes, tar.len() as u64);
    assert_eq!(stats.archive_bytes % 512, 0);
    assert!(stats.context_digest.starts_with("sha256:"));
    assert_eq!(stats.context_digest.len(), "sha256:".len() + 64);
}

#[test]
fn gzip_round_trips_with_the_same_digest() {
    let dir = tempfile::tempdir().expect("tempdir");
    main_fixture(dir.path());
    let ctx = BuildContext::open(dir.path(), Path::new("Dockerfile")).expect("open");
    let mut plain = Vec::new();
    let plain_stats = ctx.pack(&mut plain, &PackOptions::default()).expect("pack");
    let mut gz = Vec::new();
    let gz_stats = ctx
        .pack(&mut gz, &PackOptions { gzip: Some(6) })
        .expect("pack gz");
    let mut unzipped = Vec::new();
    flate2::read::GzDecoder::new(gz.as_slice())
        .read_to_end(&mut unzipped)
        .expect("gunzip");
    assert_eq!(unzipped, plain);
    assert_eq!(gz_stats.archive_bytes, gz.len() as u64);
    assert_eq!(gz_stats.context_digest, plain_stats.context_digest);
}

#[test]
fn the_gate_sees_the_final_digest_and_can_withhold_the_end_of_the_archive() {
    let dir = tempfile::tempdir().expect("tempdir");
    main_fixture(dir.path());
    let ctx = BuildContext::open(dir.path(), Path::new("Dockerfile")).expect("open");
    let mut whole = Vec::new();
    let stats = ctx.pack(&mut whole, &PackOptions::default()).expect("pack");

    let mut seen = None;
    let mut gated = Vec::new();
    let gated_stats = ctx
        .pack_gated(&mut gated, &PackOptions::default(), |s| {
            seen = Some(s.context_digest.clone());
            true
        })
        .expect("pack");
    assert_eq!(seen.as_deref(), Some(stats.context_digest.as_str()));
    assert_eq!(ctx.shape_digest().expect("shape"), stats.shape_digest);
    assert_eq!(gated, whole);
    assert_eq!(gated_stats, stats);

    // Declined: every entry was written, the end-of-archive blocks were not.
    let mut withdrawn = Vec::new();
    let err = ctx
        .pack_gated(&mut withdrawn, &PackOptions::default(), |_| false)
        .expect_err("withdrawn");
    assert!(matches!(err, ContextError::Withdrawn), "{err}");
    assert!(withdrawn.len() < whole.len());
    assert_eq!(withdrawn[..], whole[..withdrawn.len()]);
    assert!(whole[withdrawn.len()..].iter().all(|&b| b == 0));
}

#[test]
fn wildcard_exception_walks_excluded_directories() {
    let dir = tempfile::tempdir().expect("tempdir");
    fixture(
        dir.path(),
        &[
            ("Dockerfile", "FROM scratch\n"),
            (
                ".dockerignore",
                "node_modules\n!node_modules/**/LICENSE\nvendor\n!**/keep\n",
            ),
            ("node_modules/LICENSE", "MIT\n"),
            ("node_modules/a/LICENSE", "MIT\n"),
            ("node_modules/a/index.js", "x\n"),
            ("node_modules/b/x.js", "x\n"),
            ("vendor/lib/keep", "k\n"),
            ("vendor/lib/drop", "d\n"),
            ("vendor/other/drop", "d\n"),
        ],
    );
    let files = list_files(dir.path(), Path::new("Dockerfile")).expect("list");
    assert_eq!(
        files,
        [
            ".dockerignore",
            "Dockerfile",
            "node_modules/",
            "node_modules/LICENSE",
            "node_modules/a/",
            "node_modules/a/LICENSE",
            "vendor/",
            "vendor/lib/",
            "vendor/lib/keep",
        ]
    );
}

#[test]
fn dockerfile_specific_ignore_file_wins_and_dockerfile_is_kept() {
    let dir = tempfile::tempdir().expect("tempdir");
    fixture(
        dir.path(),
        &[
            ("docker/app.Dockerfile", "FROM scratch\n"),
            ("docker/app.Dockerfile.dockerignore", "docker\n*.md\n"),
            ("docker/other", "o\n"),
            (".dockerignore", "src\n"),
            ("README.md", "r\n"),
            ("src/lib.rs", "l\n"),
        ],
    );
    let ctx = BuildContext::open(dir.path(), Path::new("./docker/../docker/app.Dockerfile"))
        .expect("open");
    assert_eq!(ctx.dockerfile(), "docker/app.Dockerfile");
    assert_eq!(
        ctx.ignore_file(),
        Some(
            dir.path()
                .join("docker/app.Dockerfile.dockerignore")
                .as_path()
        )
    );
    assert_eq!(
        ctx.list_files().expect("list"),
        [
            ".dockerignore",
            "docker/",
            "docker/app.Dockerfile",
            "src/",
            "src/lib.rs"
        ]
    );
    // An absolute Dockerfile path inside the context means the same file.
    let abs = BuildContext::open(dir.path(), &dir.path().join("docker/app.Dockerfile"))
        .expect("open absolute");
    assert_eq!(abs.dockerfile(), "docker/app.Dockerfile");
}

#[test]
fn digest_ignores_mtimes_and_location_but_not_content_or_mode() {
    let a = tempfile::tempdir().expect("tempdir");
    let b = tempfile::tempdir().expect("tempdir");
    main_fixture(a.path());
    main_fixture(b.path());
    let digest = |root: &Path| {
        BuildContext::open(root, Path::new("Dockerfile"))
            .expect("open")
            .digest()
            .expect("digest")
    };
    let original = digest(a.path());
    assert_eq!(original, digest(b.path()), "same files elsewhere");

    let old = SystemTime::UNIX_EPOCH + Duration::from_secs(1_000_000_000);
    for path in ["README.md", "app/main.rs", "build/keep.txt"] {
        let file = fs::File::options()
            .write(true)
            .open(a.path().join(path))
            .expect("open");
        file.set_modified(old).expect("set mtime");
    }
    assert_eq!(original, digest(a.path()), "mtimes do not count");

    fs::write(a.path().join("secret"), "changed but excluded").expect("write");
    assert_eq!(original, digest(a.path()), "excluded files do not count");

    fs::write(a.path().join("README.md"), "hellO\n").expect("write");
    let changed = digest(a.path());
    assert_ne!(original, changed, "content counts");

    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let readme = a.path().join("README.md");
        fs::set_permissions(&readme, fs::Permissions::from_mode(0o600)).expect("chmod");
        assert_ne!(changed, digest(a.path()), "permission bits count");
    }
}

#[cfg(unix)]
#[test]
fn sockets_are_skipped_and_counted() {
    let dir = tempfile::tempdir().expect("tempdir");
    fixture(dir.path(), &[("Dockerfile", "FROM scratch\n")]);
    let _listener =
        std::os::unix::net::UnixListener::bind(dir.path().join("daemon.sock")).expect("bind");
    let ctx = BuildContext::open(dir.path(), Path::new("Dockerfile")).expect("open");
    assert_eq!(ctx.list_files().expect("list"), ["Dockerfile"]);
    let stats = ctx
        .pack(std::io::sink(), &PackOptions::default())
        .expect("pack");
    assert_eq!((stats.files, stats.skipped_special), (1, 1));
}

#[test]
fn long_paths_survive() {
    let dir = tempfile::tempdir().expect("tempdir");
    let long = format!("{}/{}.txt", "d".repeat(120), "f".repeat(150));
    fixture(
        dir.path(),
        &[("Dockerfile", "FROM scratch\n"), (&long, "x")],
    );
    let mut tar = Vec::new();
    pack(
        dir.path(),
        Path::new("Dockerfile"),
        &mut tar,
        &PackOptions::default(),
    )
    .expect("pack");
    let names: Vec<String> = tar_entries(&tar).into_iter().map(|e| e.0).collect();
    assert!(names.contains(&long), "{names:?}");
}

#[test]
fn errors_are_clear() {
    let dir = tempfile::tempdir().expect("tempdir");
    fixture(
        dir.path(),
        &[("Dockerfile", "FROM scratch\n"), ("file", "x")],
    );
    let err = |ctx: &Path, df: &str| {
        BuildContext::open(ctx, Path::new(df))
            .expect_err("should fail")
            .to_string()
    };
    let missing = dir.path().join("nope");
    assert!(err(&missing, "Dockerfile").contains("does not exist"));
    assert!(err(&dir.path().join("file"), "Dockerfile").contains("is not a directory"));
    assert!(err(dir.path(), "Dockerfile.dev").contains("not found in build context"));
    assert!(err(dir.path(), ".").contains("not found in build context"));
    assert!(err(dir.path(), "../Dockerfile").contains("outside build context"));

    fs::write(dir.path().join(".dockerignore"), "ok\n!\n").expect("write");
    let message = err(dir.path(), "Dockerfile");
    assert!(message.contains("invalid ignore file"), "{message}");
}

#[test]
fn bad_pattern_surfaces_when_the_walk_reaches_it() {
    let dir = tempfile::tempdir().expect("tempdir");
    fixture(
        dir.path(),
        &[
            ("Dockerfile", "FROM scratch\n"),
            (".dockerignore", "x*[z-a]\n"),
            ("file", "x"),
        ],
    );
    let err = list_files(dir.path(), Path::new("Dockerfile")).expect_err("bad range");
    assert!(matches!(
        err,
        ContextError::Ignore {
            source: PatternError::Bad { .. },
            ..
        }
    ));
}

#[cfg(unix)]
#[test]
fn unreadable_file_is_reported() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().expect("tempdir");
    fixture(
        dir.path(),
        &[("Dockerfile", "FROM scratch\n"), ("locked", "x")],
    );
    let locked = dir.path().join("locked");
    fs::set_permissions(&locked, fs::Permissions::from_mode(0o000)).expect("chmod");
    if fs::read(&locked).is_ok() {
        // Running as root: permissions do not stop reads, nothing to test.
        return;
    }
    let err = pack(
        dir.path(),
        Path::new("Dockerfile"),
        std::io::sink(),
        &PackOptions::default(),
    )
    .expect_err("unreadable");
    assert!(matches!(err, ContextError::Unreadable { .. }), "{err}");
}

#[test]
fn the_parallel_digest_and_the_stat_cache_agree_with_packing() {
    let dir = tempfile::tempdir().expect("tempdir");
    main_fixture(dir.path());
    // Old enough for the stat cache to remember.
    let old = SystemTime::now() - Duration::from_secs(3600);
    for path in ["README.md", "app/main.rs", "build/keep.txt"] {
        let file = fs::File::options()
            .write(true)
            .open(dir.path().join(path))
            .expect("open");
        file.set_modified(old).expect("set mtime");
    }
    let ctx = BuildContext::open(dir.path(), Path::new("Dockerfile")).expect("open");
    let packed = ctx
        .pack(std::io::sink(), &PackOptions::default())
        .expect("pack");
    let cache = tempfile::tempdir().expect("cache dir");
    for (threads, cache_dir) in [
        (1, None),
        (4, None),
        (2, Some(cache.path())),
        (2, Some(cache.path())),
    ] {
        let stats = ctx.digest_stats(threads, cache_dir).expect("digest");
        assert_eq!(
            stats.context_digest, packed.context_digest,
            "{threads} threads"
        );
        assert_eq!(stats.shape_digest, packed.shape_digest);
        assert_eq!(
            (stats.files, stats.dirs, stats.symlinks, stats.content_bytes),
            (
                packed.files,
                packed.dirs,
                packed.symlinks,
                packed.content_bytes
            )
        );
    }
    assert_eq!(
        fs::read_dir(cache.path()).expect("cache written").count(),
        1,
        "one cache file for the context"
    );
    // A changed file changes the digest even with the cache.
    fs::write(dir.path().join("app/main.rs"), "fn main() { changed() }").expect("write");
    let changed = ctx.digest_stats(2, Some(cache.path())).expect("digest");
    assert_ne!(changed.context_digest, packed.context_digest);
    let repacked = ctx
        .pack(std::io::sink(), &PackOptions::default())
        .expect("pack");
    assert_eq!(changed.context_digest, repacked.context_digest);
}
