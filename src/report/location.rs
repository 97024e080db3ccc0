//! Where a JUnit testcase or a CI annotation points: a spec file as CI tools read it, and
//! a line (and column) in it.
//!
//! CI tools (GitLab's test reports, JUnit actions, GitHub's `::error file=…` annotations)
//! resolve a `file` relative to the repository's root. Spec positions ([`Span`]) show a
//! file relative to the working directory when it is inside it (`specs/contacts/get.yaml`
//! for `cargo test`, whose working directory is the crate's), else as an absolute path.
//! [`CiPaths`] turns either into a path relative to the repository holding the working
//! directory (the nearest folder up from it with a `.git`), with `/` between its parts; a
//! file outside that repository, or with no repository at all, keeps the path it has,
//! without a leading `./`.

use std::path::{Component, Path, PathBuf};

use crate::source::{Pos, Span};

/// A spec file and, when known, the position in it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Place {
    /// As [`Span::file`] shows it: relative to the working directory when inside it.
    pub file: String,
    pub pos: Option<Pos>,
}

impl Place {
    /// The place of a span; `None` for a span that names no file.
    pub fn of_span(span: &Span) -> Option<Place> {
        if span.file.is_empty() {
            return None;
        }
        Some(Place {
            file: span.file.to_string(),
            pos: Some(span.pos).filter(|p| p.line > 0),
        })
    }
}

/// Turns the files of spans into paths relative to the repository.
#[derive(Clone, Debug, Default)]
pub struct CiPaths {
    cwd: Option<PathBuf>,
    repository: Option<PathBuf>,
}

impl CiPaths {
    /// For the process's working directory and the repository that holds it.
    pub fn here() -> CiPaths {
        let cwd = std::env::current_dir().ok();
        let repository = cwd.as_deref().and_then(repository_of);
        CiPaths { cwd, repository }
    }

    /// For a given working directory and repository root.
    #[cfg(test)]
    pub fn new(cwd: Option<PathBuf>, repository: Option<PathBuf>) -> CiPaths {
        CiPaths { cwd, repository }
    }

    /// `file` relative to the repository, `/`-separated.
    pub fn path(&self, file: &str) -> String {
        repository_relative(file, self.cwd.as_deref(), self.repository.as_deref())
    }
}

/// The nearest folder from `dir` up that holds a `.git` (a folder, or a file in a
/// worktree).
fn repository_of(dir: &Path) -> Option<PathBuf> {
    dir.ancestors()
        .find(|d| d.join(".git").exists())
        .map(Path::to_path_buf)
}

/// `file` (relative to `cwd`, or absolute) relative to `repository`, its parts joined by
/// `/`; a file outside it, or without a repository, as it is, less any leading `./`.
pub fn repository_relative(file: &str, cwd: Option<&Path>, repository: Option<&Path>) -> String {
    let path = Path::new(file);
    let absolute = match cwd {
        Some(cwd) if path.is_relative() => cwd.join(path),
        _ => path.to_path_buf(),
    };
    let inside = repository.and_then(|repository| absolute.strip_prefix(repository).ok());
    match inside {
        Some(relative) if is_plain(relative) => slashed(relative),
        _ => {
            let mut rest = file;
            while let Some(stripped) = rest.strip_prefix("./") {
                rest = stripped;
            }
            rest.to_string()
        }
    }
}

/// A relative path of plain names (no `.`, `..` or root): one a CI tool can resolve.
fn is_plain(path: &Path) -> bool {
    path.components().next().is_some()
        && path.components().all(|c| matches!(c, Component::Normal(_)))
}

fn slashed(path: &Path) -> String {
    path.components()
        .map(|c| c.as_os_str().to_string_lossy())
        .collect::<Vec<_>>()
        .join("/")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn relative(file: &str, cwd: &str, repository: Option<&str>) -> String {
        repository_relative(file, Some(Path::new(cwd)), repository.map(Path::new))
    }

    #[test]
    fn paths_are_relative_to_the_repository() {
        // `cargo test` in a crate at the repository's root.
        assert_eq!(
            relative("specs/contacts/delete.yaml", "/repo", Some("/repo")),
            "specs/contacts/delete.yaml"
        );
        // A crate in a folder of the repository.
        assert_eq!(
            relative("specs/contacts/delete.yaml", "/repo/api", Some("/repo")),
            "api/specs/contacts/delete.yaml"
        );
        // An absolute path, shown so because the working directory is elsewhere.
        assert_eq!(
            relative("/repo/specs/get.yaml", "/tmp", Some("/repo")),
            "specs/get.yaml"
        );
        assert_eq!(
            relative("./specs/get.yaml", "/repo", Some("/repo")),
            "specs/get.yaml"
        );
    }

    #[test]
    fn paths_outside_a_repository_stay_as_they_are() {
        assert_eq!(
            relative("/tmp/x/specs/a.yaml", "/repo", Some("/repo")),
            "/tmp/x/specs/a.yaml"
        );
        assert_eq!(relative("./specs/a.yaml", "/tmp", None), "specs/a.yaml");
        assert_eq!(
            relative("../specs/a.yaml", "/repo/api", Some("/repo/api")),
            "../specs/a.yaml"
        );
    }

    #[test]
    fn this_crate_is_found_in_its_repository() {
        let paths = CiPaths::here();
        // `cargo test` runs in the crate's folder; with or without a `.git` above it, the
        // shipped specs read as they do on the terminal when the crate is the repository.
        let shown = paths.path("specs/contacts/delete.yaml");
        assert!(shown.ends_with("specs/contacts/delete.yaml"), "{shown}");
        assert!(!shown.starts_with('/'), "{shown}");
    }

    #[test]
    fn a_span_without_a_file_has_no_place() {
        assert_eq!(Place::of_span(&Span::default()), None);
        let span = Span {
            file: "specs/a.yaml".into(),
            pos: Pos { line: 3, col: 5 },
        };
        assert_eq!(
            Place::of_span(&span),
            Some(Place {
                file: "specs/a.yaml".into(),
                pos: Some(Pos { line: 3, col: 5 })
            })
        );
    }
}
