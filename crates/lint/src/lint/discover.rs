//! Which files `lint` reads: workflows under `.github/workflows/`, `action.y{a,}ml` anywhere,
//! and promotion policies (`.github/promotion.yml`).

use std::path::{Path, PathBuf};

/// Directories never descended into when searching for action metadata.
const SKIP_DIRS: &[&str] = &[".git", "node_modules", "target", "vendor", ".venv", "venv"];

/// Finds the repository root: the nearest ancestor with `.git` or `.github`, else `start`.
pub fn repo_root(start: &Path) -> PathBuf {
    let mut dir = Some(start);
    while let Some(d) = dir {
        if d.join(".git").exists() || d.join(".github").is_dir() {
            return d.to_path_buf();
        }
        dir = d.parent();
    }
    start.to_path_buf()
}

/// The repository a linted file belongs to, for resolving its local actions and reusable
/// workflows (`uses: ./...`), as GitHub does from the checkout the file is in:
/// - the folder above `.github/workflows/` for a workflow there;
/// - else the nearest ancestor of the file holding `.git` or a `.github` directory;
/// - else `fallback` (the repository of the current directory).
///
/// `file` should be absolute (or relative to the directory `fallback` was found from).
pub fn project_root_of(file: &Path, fallback: &Path) -> PathBuf {
    let dir = file.parent().unwrap_or(Path::new(""));
    if dir.file_name().is_some_and(|n| n == "workflows")
        && let Some(github) = dir.parent()
        && github.file_name().is_some_and(|n| n == ".github")
    {
        return github.parent().map_or_else(PathBuf::new, Path::to_path_buf);
    }
    let mut cur = Some(dir);
    while let Some(d) = cur {
        if d.as_os_str().is_empty() {
            break;
        }
        if d.join(".git").exists() || d.join(".github").is_dir() {
            return d.to_path_buf();
        }
        cur = d.parent();
    }
    fallback.to_path_buf()
}

/// True for a file name of action metadata.
pub fn is_action_file(name: &str) -> bool {
    name == "action.yml" || name == "action.yaml"
}

/// True for the path of a promotion policy: `promotion.y{a,}ml` directly in a `.github`
/// directory.
pub fn is_policy_path(path: &str) -> bool {
    let path = path.replace('\\', "/");
    path == ".github/promotion.yml"
        || path == ".github/promotion.yaml"
        || path.ends_with("/.github/promotion.yml")
        || path.ends_with("/.github/promotion.yaml")
}

/// The policy files a workflow names with `--policy PATH` (or `--policy=PATH`), e.g. in the
/// `args:` of a deploy-action step; paths with expressions (`${{ }}`) are skipped.
pub fn policies_named_in(workflow: &str) -> Vec<String> {
    static RE: std::sync::OnceLock<Option<regex::Regex>> = std::sync::OnceLock::new();
    let Some(re) = RE
        .get_or_init(|| regex::Regex::new(r#"--policy[= ]+["']?([A-Za-z0-9_./-]+\.ya?ml)"#).ok())
        .as_ref()
    else {
        return Vec::new();
    };
    let mut out: Vec<String> = re
        .captures_iter(workflow)
        .filter_map(|c| {
            c.get(1)
                .map(|m| m.as_str().trim_start_matches("./").to_owned())
        })
        .collect();
    out.sort();
    out.dedup();
    out
}

fn is_yaml(name: &str) -> bool {
    name.ends_with(".yml") || name.ends_with(".yaml")
}

/// Lists the files to lint below `dir`: every workflow in any `.github/workflows/` directory
/// (not recursive, as GitHub reads them) and every action metadata file. Sorted.
pub fn files_under(dir: &Path) -> std::io::Result<Vec<PathBuf>> {
    let mut out = Vec::new();
    walk(dir, &mut out, 0)?;
    // A directory that *is* a workflows folder, or holds workflows directly.
    if dir.file_name().is_some_and(|n| n == "workflows") {
        for entry in std::fs::read_dir(dir)? {
            let p = entry?.path();
            if p.is_file() && p.file_name().and_then(|n| n.to_str()).is_some_and(is_yaml) {
                out.push(p);
            }
        }
    }
    out.sort();
    out.dedup();
    Ok(out)
}

fn walk(dir: &Path, out: &mut Vec<PathBuf>, depth: usize) -> std::io::Result<()> {
    if depth > 32 {
        return Ok(());
    }
    let mut entries: Vec<_> = std::fs::read_dir(dir)?.filter_map(Result::ok).collect();
    entries.sort_by_key(|e| e.file_name());
    for entry in entries {
        let path = entry.path();
        let name = entry.file_name();
        let Some(name) = name.to_str() else { continue };
        let ft = entry.file_type()?;
        if ft.is_dir() {
            if SKIP_DIRS.contains(&name) {
                continue;
            }
            if name == "workflows" && dir.file_name().is_some_and(|n| n == ".github") {
                for wf in std::fs::read_dir(&path)? {
                    let p = wf?.path();
                    if p.is_file() && p.file_name().and_then(|n| n.to_str()).is_some_and(is_yaml) {
                        out.push(p);
                    }
                }
            }
            walk(&path, out, depth + 1)?;
        } else if ft.is_file() && (is_action_file(name) || is_policy_path(&path.to_string_lossy()))
        {
            out.push(path);
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn project_root_is_the_files_own_repository() {
        let tmp = tempfile::tempdir().expect("tempdir");
        let base = tmp.path();
        let fallback = base.join("elsewhere");
        // A workflow: the folder above `.github/workflows`, even without `.git`.
        let wf = base.join("a/repo/.github/workflows/ci.yml");
        assert_eq!(project_root_of(&wf, &fallback), base.join("a/repo"));
        // An action: the nearest folder with `.git` (or `.github`).
        std::fs::create_dir_all(base.join("b/.git")).expect("mkdir");
        std::fs::create_dir_all(base.join("b/x/y")).expect("mkdir");
        let action = base.join("b/x/y/action.yml");
        assert_eq!(project_root_of(&action, &fallback), base.join("b"));
        std::fs::create_dir_all(base.join("c/.github")).expect("mkdir");
        assert_eq!(
            project_root_of(&base.join("c/action.yml"), &fallback),
            base.join("c")
        );
        // Nothing around it: the fallback.
        std::fs::create_dir_all(base.join("d")).expect("mkdir");
        let lone = base.join("d/action.yml");
        let found = project_root_of(&lone, &fallback);
        assert!(
            found == fallback || !found.starts_with(base.join("d")),
            "{found:?}"
        );
        // A relative workflow path.
        assert_eq!(
            project_root_of(Path::new("r/.github/workflows/x.yml"), &fallback),
            Path::new("r")
        );
        assert_eq!(
            project_root_of(Path::new(".github/workflows/x.yml"), &fallback),
            Path::new("")
        );
    }

    #[test]
    fn policies_named_by_workflows() {
        let wf = "args: >-\n  --from staging --policy deploy/promotion.yml --image x\n  run: x --policy=./p.yaml\n  --policy ${{ inputs.p }}\n";
        assert_eq!(policies_named_in(wf), ["deploy/promotion.yml", "p.yaml"]);
        assert!(is_policy_path("a/.github/promotion.yml"));
        assert!(!is_policy_path("a/.github/workflows/promotion.yml"));
    }
}
