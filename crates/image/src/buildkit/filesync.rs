//! The sending side of BuildKit's file transfer (`moby.filesync.v1.FileSync/DiffCopy`, the
//! fsutil protocol): the daemon asks for a directory by name (`context`, `dockerfile`) with
//! include, exclude and follow patterns in the call's metadata; this side sends a STAT packet
//! per entry in walk order (then an empty one), the daemon asks with REQ for the files whose
//! stat differs from what it kept of the previous transfer under the session's shared key, and
//! each asked file goes out as DATA packets ended by an empty one; FIN ends the exchange.
//! So a rebuild after a one-file change sends one file's bytes, not the whole context.

use std::collections::HashMap;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use bollard_buildkit_proto::fsutil::types::packet::PacketType;
use bollard_buildkit_proto::fsutil::types::{Packet, Stat};
use bollard_buildkit_proto::moby::filesync::v1::file_sync_server;
use tokio::sync::mpsc;
use tokio_stream::wrappers::ReceiverStream;
use tonic::metadata::MetadataMap;
use tonic::{Request, Response, Status, Streaming};

use crate::context::{self, BuildContext, EntryKind};
use crate::dockerignore::PatternMatcher;

/// Bytes per DATA packet (the daemon's gRPC limit is 4 MiB a message).
const CHUNK: usize = 128 * 1024;

/// Packets queued towards the daemon.
const QUEUE: usize = 64;

/// Files read and sent at the same time (fsutil's sender uses four too).
const SENDERS: usize = 4;

/// Go's `os.FileMode` bits, which fsutil's stats carry.
const GO_DIR: u32 = 1 << 31;
const GO_SYMLINK: u32 = 1 << 27;
const GO_SETUID: u32 = 1 << 23;
const GO_SETGID: u32 = 1 << 22;
const GO_STICKY: u32 = 1 << 20;

/// A directory the daemon may ask for.
#[derive(Debug, Clone)]
struct SyncDir {
    root: PathBuf,
    /// Excludes of our own (the ignore file's, for `context`), used unless the daemon sends
    /// `override-excludes: true` (BuildKit 0.8's rule).
    excludes: Vec<String>,
    /// Named in pattern errors.
    pattern_file: PathBuf,
}

/// The directories of one build: `context` and `dockerfile` (the Dockerfile's folder).
#[derive(Debug, Clone)]
pub struct FileSync {
    dirs: Arc<HashMap<String, SyncDir>>,
}

impl FileSync {
    /// Serves `context`'s directory and its Dockerfile's.
    pub fn new(context: &BuildContext) -> Self {
        let root = context.root().to_path_buf();
        let dockerfile_dir = match context.dockerfile().rsplit_once('/') {
            Some((dir, _)) => root.join(dir),
            None => root.clone(),
        };
        let pattern_file = context
            .ignore_file()
            .map(Path::to_path_buf)
            .unwrap_or_else(|| PathBuf::from(".dockerignore"));
        let dirs = HashMap::from([
            (
                "context".to_owned(),
                SyncDir {
                    root,
                    excludes: context.written_patterns().to_vec(),
                    pattern_file: pattern_file.clone(),
                },
            ),
            (
                "dockerfile".to_owned(),
                SyncDir {
                    root: dockerfile_dir,
                    excludes: Vec::new(),
                    pattern_file,
                },
            ),
        ]);
        Self {
            dirs: Arc::new(dirs),
        }
    }
}

/// The options of one transfer, from the call's metadata.
#[derive(Debug, Default, PartialEq, Eq)]
struct Options {
    dir: String,
    includes: Vec<String>,
    excludes: Vec<String>,
    follow: Vec<String>,
    override_excludes: bool,
}

impl Options {
    fn from_metadata(md: &MetadataMap) -> Self {
        let values = |key: &str| -> Vec<String> {
            let encoded = md
                .get(format!("{key}-encoded").as_str())
                .and_then(|v| v.to_str().ok())
                .is_some_and(|v| v.eq_ignore_ascii_case("true") || v == "1");
            md.get_all(key)
                .iter()
                .filter_map(|v| v.to_str().ok())
                .map(|v| if encoded { unescape(v) } else { v.to_owned() })
                .collect()
        };
        Self {
            dir: values("dir-name").into_iter().next().unwrap_or_default(),
            includes: values("include-patterns"),
            excludes: values("exclude-patterns"),
            follow: values("followpaths"),
            override_excludes: values("override-excludes").first().map(String::as_str)
                == Some("true"),
        }
    }
}

/// Go's `url.QueryUnescape` for the `-encoded` variants of the metadata.
fn unescape(text: &str) -> String {
    let hex = |b: u8| (b as char).to_digit(16);
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match (
            bytes[i],
            bytes.get(i + 1).copied(),
            bytes.get(i + 2).copied(),
        ) {
            (b'+', _, _) => out.push(b' '),
            (b'%', Some(h), Some(l)) if hex(h).is_some() && hex(l).is_some() => {
                out.push((hex(h).unwrap_or(0) * 16 + hex(l).unwrap_or(0)) as u8);
                i += 2;
            }
            (b, _, _) => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[tonic::async_trait]
impl file_sync_server::FileSync for FileSync {
    type DiffCopyStream = ReceiverStream<Result<Packet, Status>>;

    async fn diff_copy(
        &self,
        request: Request<Streaming<Packet>>,
    ) -> Result<Response<Self::DiffCopyStream>, Status> {
        let options = Options::from_metadata(request.metadata());
        let dir = self.dirs.get(&options.dir).cloned().ok_or_else(|| {
            Status::not_found(format!("no access allowed to dir {:?}", options.dir))
        })?;
        let excludes = if dir.excludes.is_empty() || options.override_excludes {
            options.excludes.clone()
        } else {
            dir.excludes.clone()
        };
        let mut includes = options.includes.clone();
        includes.extend(follow_links(&dir.root, &options.follow));
        let bad = |e: &dyn std::fmt::Display| Status::invalid_argument(e.to_string());
        let exclude = PatternMatcher::new(&excludes).map_err(|e| bad(&e))?;
        let include = if includes.is_empty() {
            None
        } else {
            Some(PatternMatcher::new(&includes).map_err(|e| bad(&e))?)
        };

        let (tx, rx) = mpsc::channel::<Result<Packet, Status>>(QUEUE);
        let files: Arc<Mutex<HashMap<u32, PathBuf>>> = Arc::default();
        let walker_tx = tx.clone();
        let walker_files = Arc::clone(&files);
        tokio::task::spawn_blocking(move || {
            let result = send_stats(&dir, include.as_ref(), &exclude, &walker_tx, &walker_files);
            if let Err(message) = result {
                let _ = walker_tx.blocking_send(Ok(Packet {
                    r#type: PacketType::PacketErr as i32,
                    data: message.into_bytes(),
                    ..Packet::default()
                }));
            }
        });
        tokio::spawn(serve_requests(request.into_inner(), tx, files));
        Ok(Response::new(ReceiverStream::new(rx)))
    }

    type TarStreamStream = ReceiverStream<Result<Packet, Status>>;

    async fn tar_stream(
        &self,
        _: Request<Streaming<Packet>>,
    ) -> Result<Response<Self::TarStreamStream>, Status> {
        Err(Status::unimplemented("tarstream: use diffcopy"))
    }
}

/// Sends a STAT for every entry, then the empty STAT that ends the listing; regular files are
/// registered under their packet id before their STAT leaves, so a REQ always finds them.
fn send_stats(
    dir: &SyncDir,
    include: Option<&PatternMatcher>,
    exclude: &PatternMatcher,
    tx: &mpsc::Sender<Result<Packet, Status>>,
    files: &Mutex<HashMap<u32, PathBuf>>,
) -> Result<(), String> {
    let mut id: u32 = 0;
    let closed = || "the daemon closed the transfer".to_owned();
    let walked = context::walk_filtered(&dir.root, include, exclude, &dir.pattern_file, |entry| {
        let stat = match stat_of(entry.abs, entry.rel, entry.kind) {
            Ok(stat) => stat,
            Err(source) => {
                return Err(context::ContextError::Unreadable {
                    path: entry.abs.to_path_buf(),
                    source,
                });
            }
        };
        if entry.kind == EntryKind::File
            && let Ok(mut map) = files.lock()
        {
            map.insert(id, entry.abs.to_path_buf());
        }
        let packet = Packet {
            r#type: PacketType::PacketStat as i32,
            stat: Some(stat),
            ..Packet::default()
        };
        id += 1;
        tx.blocking_send(Ok(packet))
            .map_err(|_| context::ContextError::Write {
                source: std::io::Error::other(closed()),
            })
    });
    walked.map_err(|e| e.to_string())?;
    tx.blocking_send(Ok(Packet {
        r#type: PacketType::PacketStat as i32,
        ..Packet::default()
    }))
    .map_err(|_| closed())
}

/// fsutil's stat of one entry: Go file mode bits, owner 0:0 (as the Docker CLI maps it), size,
/// modification time in nanoseconds, link target.
fn stat_of(abs: &Path, rel: &str, kind: EntryKind) -> std::io::Result<Stat> {
    use std::os::unix::fs::MetadataExt;
    let meta = std::fs::symlink_metadata(abs)?;
    let unix = meta.mode();
    let mut mode = unix & 0o777;
    if unix & 0o4000 != 0 {
        mode |= GO_SETUID;
    }
    if unix & 0o2000 != 0 {
        mode |= GO_SETGID;
    }
    if unix & 0o1000 != 0 {
        mode |= GO_STICKY;
    }
    let (linkname, size) = match kind {
        EntryKind::Dir => {
            mode |= GO_DIR;
            (String::new(), 0)
        }
        EntryKind::Symlink => {
            mode |= GO_SYMLINK;
            let target = std::fs::read_link(abs)?;
            (target.to_string_lossy().into_owned(), meta.len() as i64)
        }
        _ => (String::new(), meta.len() as i64),
    };
    Ok(Stat {
        path: rel.to_owned(),
        mode,
        uid: 0,
        gid: 0,
        size,
        mod_time: meta.mtime() * 1_000_000_000 + meta.mtime_nsec(),
        linkname,
        ..Stat::default()
    })
}

/// Answers the daemon's packets: file requests with the file's bytes (read by [`SENDERS`]
/// threads), FIN with FIN once every asked file is out. The daemon's packets are read as they
/// come, whatever the senders are doing: HTTP/2 servers count small frames left unread as
/// abuse, and a rebuild asks for thousands of files in tiny REQ packets.
async fn serve_requests(
    mut inbound: Streaming<Packet>,
    tx: mpsc::Sender<Result<Packet, Status>>,
    files: Arc<Mutex<HashMap<u32, PathBuf>>>,
) {
    let (queue_tx, queue_rx) = mpsc::unbounded_channel::<(u32, PathBuf)>();
    let queue = Arc::new(tokio::sync::Mutex::new(queue_rx));
    let mut senders = Vec::new();
    for _ in 0..SENDERS {
        let queue = Arc::clone(&queue);
        let tx = tx.clone();
        senders.push(tokio::spawn(async move {
            loop {
                let next = queue.lock().await.recv().await;
                let Some((id, path)) = next else { return true };
                let tx = tx.clone();
                let sent = tokio::task::spawn_blocking(move || send_file(&path, id, &tx)).await;
                if !matches!(sent, Ok(Ok(()))) {
                    return false;
                }
            }
        }));
    }
    let mut finished = false;
    while let Ok(Some(packet)) = inbound.message().await {
        match PacketType::try_from(packet.r#type) {
            Ok(PacketType::PacketReq) => {
                let path = files.lock().ok().and_then(|mut m| m.remove(&packet.id));
                let Some(path) = path else {
                    let status = Status::invalid_argument(format!("invalid file id {}", packet.id));
                    let _ = tx.send(Err(status)).await;
                    return;
                };
                if queue_tx.send((packet.id, path)).is_err() {
                    return;
                }
            }
            Ok(PacketType::PacketFin) => {
                finished = true;
                break;
            }
            Ok(PacketType::PacketErr) => return,
            _ => {}
        }
    }
    drop(queue_tx);
    let mut all_sent = true;
    for sender in senders {
        all_sent &= sender.await.unwrap_or(false);
    }
    if finished && all_sent {
        let _ = tx
            .send(Ok(Packet {
                r#type: PacketType::PacketFin as i32,
                ..Packet::default()
            }))
            .await;
    }
}

/// Sends `path` as DATA packets for `id`, then the empty DATA that ends it. A file that cannot
/// be read ends the transfer with an error the daemon reports.
fn send_file(path: &Path, id: u32, tx: &mpsc::Sender<Result<Packet, Status>>) -> Result<(), ()> {
    let data = |bytes: Vec<u8>| {
        Ok(Packet {
            r#type: PacketType::PacketData as i32,
            id,
            data: bytes,
            ..Packet::default()
        })
    };
    let mut file = match std::fs::File::open(path) {
        Ok(file) => file,
        Err(err) => {
            let status = Status::not_found(format!("cannot read {}: {err}", path.display()));
            let _ = tx.blocking_send(Err(status));
            return Err(());
        }
    };
    loop {
        let mut buf = vec![0u8; CHUNK];
        let n = match file.read(&mut buf) {
            Ok(n) => n,
            Err(err) if err.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(err) => {
                let status = Status::data_loss(format!("cannot read {}: {err}", path.display()));
                let _ = tx.blocking_send(Err(status));
                return Err(());
            }
        };
        if n == 0 {
            break;
        }
        buf.truncate(n);
        tx.blocking_send(data(buf)).map_err(|_| ())?;
    }
    tx.blocking_send(data(Vec::new())).map_err(|_| ())
}

/// fsutil's `FollowLinks`: each path, and where it (or a directory on the way) is a symlink
/// inside `root`, what it points at, as include patterns.
fn follow_links(root: &Path, paths: &[String]) -> Vec<String> {
    let mut out = Vec::new();
    for path in paths {
        let mut current = clean(path);
        for _ in 0..255 {
            if current.is_empty() || out.contains(&current) {
                break;
            }
            out.push(current.clone());
            let abs = root.join(&current);
            let Ok(target) = std::fs::read_link(&abs) else {
                break;
            };
            let joined = if target.is_absolute() {
                target.to_string_lossy().into_owned()
            } else {
                match current.rsplit_once('/') {
                    Some((parent, _)) => format!("{parent}/{}", target.to_string_lossy()),
                    None => target.to_string_lossy().into_owned(),
                }
            };
            current = clean(&joined);
        }
    }
    out
}

/// A relative, `/`-separated path without `.`, `..` or empty parts; `..` above the root
/// stops at the root (the daemon sees only the directory).
fn clean(path: &str) -> String {
    let mut parts: Vec<&str> = Vec::new();
    for part in path.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                parts.pop();
            }
            p => parts.push(p),
        }
    }
    parts.join("/")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn go_file_modes_match_fsutil() {
        let dir = tempfile::tempdir().expect("tempdir");
        let root = dir.path();
        std::fs::create_dir(root.join("d")).expect("mkdir");
        std::fs::write(root.join("f"), b"12345").expect("write");
        std::os::unix::fs::symlink("f", root.join("l")).expect("symlink");
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(root.join("f"), std::fs::Permissions::from_mode(0o4755))
            .expect("chmod");
        std::fs::set_permissions(root.join("d"), std::fs::Permissions::from_mode(0o755))
            .expect("chmod");
        let d = stat_of(&root.join("d"), "d", EntryKind::Dir).expect("stat");
        assert_eq!(d.mode, GO_DIR | 0o755);
        let f = stat_of(&root.join("f"), "f", EntryKind::File).expect("stat");
        assert_eq!((f.mode, f.size), (GO_SETUID | 0o755, 5));
        let l = stat_of(&root.join("l"), "l", EntryKind::Symlink).expect("stat");
        assert_eq!(
            (l.mode & GO_SYMLINK, l.linkname.as_str()),
            (GO_SYMLINK, "f")
        );
        assert!(f.mod_time > 1_600_000_000_000_000_000, "nanoseconds");
    }

    #[test]
    fn follow_paths_add_symlink_targets() {
        let dir = tempfile::tempdir().expect("tempdir");
        let root = dir.path();
        std::fs::create_dir(root.join("docker")).expect("mkdir");
        std::fs::write(root.join("docker/Dockerfile.real"), b"FROM x").expect("write");
        std::os::unix::fs::symlink("docker/Dockerfile.real", root.join("Dockerfile"))
            .expect("symlink");
        let got = follow_links(root, &["Dockerfile".into(), "./x/../y".into()]);
        assert_eq!(got, vec!["Dockerfile", "docker/Dockerfile.real", "y"]);
    }

    #[test]
    fn encoded_metadata_is_unescaped_as_go_does() {
        assert_eq!(unescape("a%2Fb+c%zz"), "a/b c%zz");
        assert_eq!(unescape("%C3%A9"), "é");
    }
}
