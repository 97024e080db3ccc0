//! What a live run creates, written down the moment it is created.
//!
//! Each record a scenario creates gets a line in `reports/created/<run id>.jsonl` with the
//! request that removes it, before anything else happens; a second line marks it removed.
//! So even a run that is killed outright leaves an exact list of what may be left over,
//! and `leadlex-conformance cleanup <run id>` removes those records (and nothing else).
//! The ledger is an operational record, not a report: it holds the real ids (captures
//! marked secret included, as removing them needs them), is readable by its owner only, and
//! is not published or scanned by the leak check.

use std::fs::{File, OpenOptions};
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use serde::{Deserialize, Serialize};

/// One line of a ledger.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct Entry {
    /// `created` or `removed`.
    pub event: String,
    pub trial: String,
    pub method: String,
    pub url: String,
    /// The environment variable holding the key that removes it.
    pub key_variable: Option<String>,
    pub at: String,
}

/// A ledger that could not be opened or read.
#[derive(Debug, thiserror::Error)]
pub enum LedgerError {
    #[error("cannot create {}: {source}", .path.display())]
    Directory {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("cannot open {}: {source}", .path.display())]
    Open {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("cannot read {}: {source}", .path.display())]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{}:{line}: not a ledger line: {source}", .path.display())]
    Line {
        path: PathBuf,
        line: usize,
        source: serde_json::Error,
    },
}

pub struct Ledger {
    path: PathBuf,
    file: Mutex<File>,
}

impl Ledger {
    /// Opens (creating) the ledger of `run_id` in `dir`.
    pub fn open(dir: &Path, run_id: &str) -> Result<Ledger, LedgerError> {
        std::fs::create_dir_all(dir).map_err(|source| LedgerError::Directory {
            path: dir.to_path_buf(),
            source,
        })?;
        let path = path_of(dir, run_id);
        let mut options = OpenOptions::new();
        options.create(true).append(true).read(true);
        // The ledger holds real ids (secret captures included): readable by its owner only.
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
        let mut file = options.open(&path).map_err(|source| LedgerError::Open {
            path: path.clone(),
            source,
        })?;
        // A ledger whose last line lacks its newline (edited by hand, or cut short) must
        // not swallow the next entry.
        if ends_without_newline(&mut file) {
            let _ = writeln!(file);
        }
        Ok(Ledger {
            path,
            file: Mutex::new(file),
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Records a record as created, with the request that removes it. Written and flushed
    /// at once, so the line survives whatever happens next.
    pub fn created(&self, trial: &str, method: &str, url: &str, key_variable: Option<&str>) {
        self.write(entry("created", trial, method, url, key_variable));
    }

    pub fn removed(&self, trial: &str, method: &str, url: &str) {
        self.write(entry("removed", trial, method, url, None));
    }

    fn write(&self, entry: Entry) {
        let mut file = self.file.lock().unwrap_or_else(|p| p.into_inner());
        if let Ok(line) = serde_json::to_string(&entry) {
            let _ = writeln!(file, "{line}").and_then(|()| file.flush());
        }
    }
}

fn ends_without_newline(file: &mut File) -> bool {
    use std::io::{Read, Seek, SeekFrom};
    let mut last = [0u8; 1];
    file.seek(SeekFrom::End(-1)).is_ok() && file.read_exact(&mut last).is_ok() && last[0] != b'\n'
}

fn entry(event: &str, trial: &str, method: &str, url: &str, key_variable: Option<&str>) -> Entry {
    Entry {
        event: event.to_string(),
        trial: trial.to_string(),
        method: method.to_string(),
        url: url.to_string(),
        key_variable: key_variable.map(str::to_string),
        at: chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
    }
}

/// Whether a removal request's answer means the record is gone: 2xx, or 404 when it was
/// already gone.
pub fn gone(status: u16) -> bool {
    (200..300).contains(&status) || status == 404
}

pub fn path_of(dir: &Path, run_id: &str) -> PathBuf {
    dir.join(format!("{run_id}.jsonl"))
}

/// The records of a ledger file that were created and not marked removed, in order.
pub fn pending(path: &Path) -> Result<Vec<Entry>, LedgerError> {
    let unreadable = |source| LedgerError::Read {
        path: path.to_path_buf(),
        source,
    };
    let file = File::open(path).map_err(unreadable)?;
    let mut entries: Vec<Entry> = Vec::new();
    for (number, line) in BufReader::new(file).lines().enumerate() {
        let line = line.map_err(unreadable)?;
        if line.trim().is_empty() {
            continue;
        }
        let entry: Entry = serde_json::from_str(&line).map_err(|source| LedgerError::Line {
            path: path.to_path_buf(),
            line: number + 1,
            source,
        })?;
        match entry.event.as_str() {
            "removed" => entries.retain(|e| !(e.method == entry.method && e.url == entry.url)),
            _ => entries.push(entry),
        }
    }
    Ok(entries)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pending_is_what_was_created_and_not_removed() {
        let dir = tempfile::tempdir().unwrap();
        let ledger = Ledger::open(dir.path(), "run-1").unwrap();
        ledger.created(
            "t1",
            "DELETE",
            "https://gw/v1/contacts/a",
            Some("LEADLEX_API_KEY"),
        );
        ledger.created(
            "t2",
            "DELETE",
            "https://gw/v1/contacts/b",
            Some("LEADLEX_API_KEY"),
        );
        ledger.removed("t1", "DELETE", "https://gw/v1/contacts/a");
        let left = pending(&path_of(dir.path(), "run-1")).unwrap();
        assert_eq!(left.len(), 1);
        assert_eq!(left[0].url, "https://gw/v1/contacts/b");
        assert_eq!(left[0].key_variable.as_deref(), Some("LEADLEX_API_KEY"));
    }
}
