//! The workspace on disk: layout, lock, atomic writes and the batch manifest.
//!
//! ```text
//! citybench.toml            configuration
//! raw/batch=<id>/*.parquet  one immutable batch per ingested file (append-only)
//! manifest.json             batches: id, source file, SHA-256, rows read/accepted/rejected
//! rejected/<id>.csv         rejected rows with reasons
//! generations/<id>/         one publication of results: the tables, their database, records
//! derived -> generations/<id>                  the published one (see [`publish`])
//! citybench.duckdb -> derived/citybench.duckdb
//! index/<name>/             index runs kept apart (`index --name`), never published
//! runs/                     provenance of each run
//! ```
//! Every file is written to a temporary name in the same directory, fsynced, then renamed
//! ([`atomic_write`]); a batch directory is built under a temporary name and renamed into
//! place before the manifest (the commit point) is replaced; results are published by one
//! rename of the `derived` link ([`publish`]). A crash at any point leaves the previous state
//! intact; leftovers are removed by the next writer. A lock file (`.citybench.lock`, an OS
//! advisory lock) makes a second concurrent writer fail.

use std::fs::{self, File, OpenOptions};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::config::{Config, DEFAULT_TOML};
use crate::error::{Error, IoContext, Result};

pub mod publish;

/// Name of the configuration file.
pub const CONFIG_FILE: &str = "citybench.toml";
/// Name of the manifest.
pub const MANIFEST_FILE: &str = "manifest.json";
/// Name of the lock file.
pub const LOCK_FILE: &str = ".citybench.lock";
/// Prefix of temporary files and directories.
pub const TMP_PREFIX: &str = ".tmp-";
/// The database file in the workspace.
pub const DB_FILE: &str = "citybench.duckdb";
/// Prefix of the rejection files of self-assessments in `rejected/` (the clean-up after a
/// crashed writer keeps them: it removes only batch rejection files the manifest does not list).
pub const ASSESSMENTS_REJECTED_PREFIX: &str = "assessments-";

/// A workspace directory.
#[derive(Debug, Clone)]
pub struct Workspace {
    root: PathBuf,
}

impl Workspace {
    /// Open an existing workspace (it must have a `citybench.toml`).
    pub fn open(root: &Path) -> Result<Self> {
        if !root.join(CONFIG_FILE).is_file() {
            return Err(Error::input(
                root,
                format!(
                    "not a citybench workspace (no {CONFIG_FILE}); create one with `citybench init {}`",
                    root.display()
                ),
            ));
        }
        Ok(Workspace {
            root: root.to_path_buf(),
        })
    }

    /// Create (or complete) a workspace; returns it and whether the configuration was new.
    pub fn init(root: &Path) -> Result<(Self, bool)> {
        for d in ["", "raw", "rejected", "runs"] {
            let p = root.join(d);
            fs::create_dir_all(&p).at(&p)?;
        }
        let ws = Workspace {
            root: root.to_path_buf(),
        };
        let cfg = ws.config_path();
        let created = !cfg.exists();
        if created {
            atomic_write(&cfg, DEFAULT_TOML.as_bytes())?;
        }
        if !ws.manifest_path().exists() {
            ws.write_manifest(&Manifest::default())?;
        }
        Ok((ws, created))
    }

    /// Root directory.
    pub fn root(&self) -> &Path {
        &self.root
    }
    /// `citybench.toml`.
    pub fn config_path(&self) -> PathBuf {
        self.root.join(CONFIG_FILE)
    }
    /// `manifest.json`.
    pub fn manifest_path(&self) -> PathBuf {
        self.root.join(MANIFEST_FILE)
    }
    /// `raw/`.
    pub fn raw_dir(&self) -> PathBuf {
        self.root.join("raw")
    }
    /// `raw/batch=<id>/`.
    pub fn batch_dir(&self, id: &str) -> PathBuf {
        self.raw_dir().join(format!("batch={id}"))
    }
    /// `rejected/`.
    pub fn rejected_dir(&self) -> PathBuf {
        self.root.join("rejected")
    }
    /// `derived`: the published generation of results ([`publish`]).
    pub fn derived_dir(&self) -> PathBuf {
        self.root.join(publish::DERIVED_LINK)
    }
    /// `index/`: index runs kept apart from the published results (`index --name`).
    pub fn index_runs_dir(&self) -> PathBuf {
        self.root.join("index")
    }

    /// The configuration.
    pub fn config(&self) -> Result<Config> {
        Config::load(&self.config_path())
    }

    /// The manifest (empty when the file does not exist yet).
    pub fn manifest(&self) -> Result<Manifest> {
        let p = self.manifest_path();
        if !p.exists() {
            return Ok(Manifest::default());
        }
        let text = fs::read_to_string(&p).at(&p)?;
        serde_json::from_str(&text).map_err(|e| Error::input(&p, format!("damaged manifest: {e}")))
    }

    /// Replace the manifest atomically.
    pub fn write_manifest(&self, m: &Manifest) -> Result<()> {
        let mut text = serde_json::to_string_pretty(m).expect("manifest serialises");
        text.push('\n');
        atomic_write(&self.manifest_path(), text.as_bytes())
    }

    /// Take the workspace write lock, failing at once if another process holds it. Removes
    /// temporary leftovers of a crashed writer.
    pub fn lock(&self) -> Result<WorkspaceLock> {
        let path = self.root.join(LOCK_FILE);
        let mut file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(&path)
            .at(&path)?;
        match file.try_lock() {
            Ok(()) => {}
            Err(fs::TryLockError::WouldBlock) => {
                let mut holder = String::new();
                let _ = file.read_to_string(&mut holder);
                let holder = holder.trim();
                let holder = if holder.is_empty() {
                    String::new()
                } else {
                    format!(" ({holder})")
                };
                return Err(Error::Locked {
                    path: self.root.clone(),
                    holder,
                });
            }
            Err(fs::TryLockError::Error(e)) => return Err(Error::io(&path, e)),
        }
        file.set_len(0).at(&path)?;
        let _ = write!(
            file,
            "pid {} since {}",
            std::process::id(),
            chrono::Utc::now().format("%Y-%m-%dT%H:%M:%SZ")
        );
        let _ = file.sync_all();
        self.remove_leftovers()?;
        Ok(WorkspaceLock { _file: file })
    }

    /// Remove what a crashed writer left: temporary files and directories, batch
    /// directories or rejection files the manifest does not list (a crash between renaming
    /// them into place and replacing the manifest, the commit point), and generations that
    /// were never published ([`publish::tidy`]).
    fn remove_leftovers(&self) -> Result<()> {
        let manifest = self.manifest()?;
        let known: std::collections::HashSet<&str> =
            manifest.batches.iter().map(|b| b.id.as_str()).collect();
        if let Ok(entries) = fs::read_dir(self.raw_dir()) {
            for e in entries.flatten() {
                let name = e.file_name().to_string_lossy().into_owned();
                if let Some(id) = name.strip_prefix("batch=")
                    && !known.contains(id)
                {
                    fs::remove_dir_all(e.path()).at(e.path())?;
                }
            }
        }
        if let Ok(entries) = fs::read_dir(self.rejected_dir()) {
            for e in entries.flatten() {
                let name = e.file_name().to_string_lossy().into_owned();
                if let Some(id) = name.strip_suffix(".csv")
                    && !name.starts_with(TMP_PREFIX)
                    && !name.starts_with(ASSESSMENTS_REJECTED_PREFIX)
                    && !known.contains(id)
                {
                    fs::remove_file(e.path()).at(e.path())?;
                }
            }
        }
        let mut dirs = vec![
            self.root.clone(),
            self.raw_dir(),
            self.rejected_dir(),
            self.root.join(publish::GENERATIONS_DIR),
            self.index_runs_dir(),
        ];
        // a `derived/` directory of a workspace from before generations
        if fs::symlink_metadata(self.derived_dir()).is_ok_and(|m| m.is_dir()) {
            dirs.push(self.derived_dir());
        }
        for dir in dirs {
            let Ok(entries) = fs::read_dir(&dir) else {
                continue;
            };
            for e in entries.flatten() {
                if e.file_name().to_string_lossy().starts_with(TMP_PREFIX) {
                    let p = e.path();
                    // a link (a switch that never happened) goes, not what it leads to
                    if e.file_type().is_ok_and(|t| t.is_dir()) {
                        fs::remove_dir_all(&p).at(&p)?;
                    } else {
                        fs::remove_file(&p).at(&p)?;
                    }
                }
            }
        }
        publish::tidy(self)
    }
}

/// Held while writing; the OS releases the lock when the process ends, even on a crash.
#[derive(Debug)]
pub struct WorkspaceLock {
    _file: File,
}

/// The rule for a file a command writes where the user names it (`--out FILE`): it is
/// written only where nothing is, or with `--force` (docs/methodology.md, "Files citybench
/// writes"). A directory is never replaced by a file.
pub fn refuse_existing(path: &Path, force: bool) -> Result<()> {
    match fs::symlink_metadata(path) {
        Err(_) => Ok(()),
        Ok(m) if m.is_dir() => Err(Error::Usage(format!(
            "{} is a directory; name a file",
            path.display()
        ))),
        Ok(_) if force => Ok(()),
        Ok(_) => Err(Error::Usage(format!(
            "{} exists; pass --force to replace it",
            path.display()
        ))),
    }
}

/// The rule for a file citybench names itself in a directory the user names (`report --out
/// DIR`, `man --out DIR`): one already there is replaced when `own` recognises it as
/// citybench's earlier output of that kind (`what`), which holds nothing anyone typed;
/// anything else only with `--force`.
pub fn refuse_foreign(
    path: &Path,
    force: bool,
    what: &str,
    own: impl Fn(&[u8]) -> bool,
) -> Result<()> {
    let Ok(meta) = fs::symlink_metadata(path) else {
        return Ok(());
    };
    if meta.is_dir() {
        return Err(Error::Usage(format!(
            "{} is a directory; move it away to write {what} there",
            path.display()
        )));
    }
    if force || (meta.is_file() && own(&fs::read(path).at(path)?)) {
        return Ok(());
    }
    Err(Error::Usage(format!(
        "{} exists and is not {what} citybench wrote; pass --force to replace it",
        path.display()
    )))
}

/// [`refuse_existing`] for an optional `--out`.
pub fn refuse_existing_out(out: Option<&Path>, force: bool) -> Result<()> {
    out.map_or(Ok(()), |p| refuse_existing(p, force))
}

/// A temporary path beside `path` (same directory, so rename is atomic).
pub fn temp_path(path: &Path) -> PathBuf {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    path.with_file_name(format!("{TMP_PREFIX}{}-{name}", std::process::id()))
}

/// Write `bytes` to `path` atomically: temp file in the same directory, fsync, rename,
/// fsync the directory.
pub fn atomic_write(path: &Path, bytes: &[u8]) -> Result<()> {
    let tmp = temp_path(path);
    {
        let mut f = File::create(&tmp).at(&tmp)?;
        f.write_all(bytes).at(&tmp)?;
        f.sync_all().at(&tmp)?;
    }
    commit_rename(&tmp, path)
}

/// Start writing `file`'s dirty pages to disk without waiting (Linux `sync_file_range`;
/// elsewhere nothing): a large file written in parts is on its way while the rest is
/// computed, so its final fsync waits for the last part only (a raw batch of 218 MB:
/// 70 ms of fsync at the end of an ingest). Advisory: durability still comes from fsync.
pub fn start_writeback(file: &File) {
    #[cfg(target_os = "linux")]
    {
        use std::os::fd::AsRawFd;
        // SAFETY: the descriptor is open for the call; a failure only leaves the pages to
        // the final fsync
        unsafe {
            libc::sync_file_range(file.as_raw_fd(), 0, 0, libc::SYNC_FILE_RANGE_WRITE);
        }
    }
    #[cfg(not(target_os = "linux"))]
    let _ = file;
}

/// Rename `tmp` onto `path` and fsync the parent directory.
pub fn commit_rename(tmp: &Path, path: &Path) -> Result<()> {
    fs::rename(tmp, path).at(path)?;
    if let Some(parent) = path.parent()
        && let Ok(d) = File::open(parent)
    {
        let _ = d.sync_all();
    }
    Ok(())
}

/// The file of a batch holding its "not reported" statements (schema
/// [`crate::schema::not_reported`]), relative to the batch directory: in a subdirectory, so
/// that `raw/*/*.parquet` still means the observation parts and nothing else.
pub const NOT_REPORTED_FILE: &str = "statements/not-reported.parquet";

/// The batch manifest.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct Manifest {
    /// Format version of this file.
    pub format_version: u32,
    /// Batches in ingest order.
    pub batches: Vec<BatchRecord>,
}

/// One ingested file.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct BatchRecord {
    /// Batch id: a sequence number and the first 12 hex digits of the file's SHA-256.
    pub id: String,
    /// The path as given on the command line.
    pub source_file: String,
    /// SHA-256 of the file's bytes.
    pub sha256: String,
    pub size_bytes: u64,
    /// csv, json, ndjson or parquet.
    pub format: String,
    pub rows_read: u64,
    pub rows_accepted: u64,
    pub rows_rejected: u64,
    /// Rows stating "not reported" / "not verified" instead of a value (rows read =
    /// accepted + not reported + rejected). Absent in manifests written before it existed.
    #[serde(default)]
    pub rows_not_reported: u64,
    /// Relative paths of the batch's Parquet files of observations.
    pub parts: Vec<String>,
    /// Relative path of the batch's statements file ([`NOT_REPORTED_FILE`]), when it has
    /// statements.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub not_reported_file: Option<String>,
    /// Relative path of the rejection file, when rows were rejected.
    pub rejected_file: Option<String>,
    /// Columns present in the file that citybench does not read.
    pub ignored_columns: Vec<String>,
    /// The catalogue the rows were validated against.
    pub catalog: String,
    /// UTC time of the ingest (RFC 3339).
    pub ingested_at: String,
    pub engine_version: String,
    /// True when a byte-identical earlier batch was re-ingested with `--force`.
    pub forced: bool,
}

impl Manifest {
    /// The next batch sequence number.
    pub fn next_seq(&self) -> usize {
        self.batches.len() + 1
    }

    /// An earlier batch with the same content hash.
    pub fn find_sha(&self, sha: &str) -> Option<&BatchRecord> {
        self.batches.iter().find(|b| b.sha256 == sha)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn init_open_lock() {
        let d = tempfile::tempdir().unwrap();
        let root = d.path().join("ws");
        assert!(Workspace::open(&root).is_err());
        let (ws, created) = Workspace::init(&root).unwrap();
        assert!(created);
        let (_, again) = Workspace::init(&root).unwrap();
        assert!(!again);
        assert_eq!(ws.manifest().unwrap(), Manifest::default());
        let lock = ws.lock().unwrap();
        let second = Workspace::open(&root).unwrap();
        // a second handle in the same process uses a new open file description: flock
        // semantics make it conflict like another process would
        let e = second.lock().unwrap_err().to_string();
        assert!(
            e.starts_with(&format!(
                "workspace {} is locked by another citybench process (pid ",
                root.display()
            )),
            "{e}"
        );
        drop(lock);
        second.lock().unwrap();
    }

    #[test]
    fn atomic_write_replaces_and_leaves_no_temp() {
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join("f.txt");
        atomic_write(&p, b"one").unwrap();
        atomic_write(&p, b"two").unwrap();
        assert_eq!(fs::read_to_string(&p).unwrap(), "two");
        let names: Vec<_> = fs::read_dir(d.path())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names.len(), 1);
    }

    #[test]
    fn leftovers_of_a_crash_are_removed_by_the_next_writer() {
        let d = tempfile::tempdir().unwrap();
        let (ws, _) = Workspace::init(d.path()).unwrap();
        let junk = ws.raw_dir().join(format!("{TMP_PREFIX}batch=000001-abc"));
        fs::create_dir_all(&junk).unwrap();
        // a batch renamed into place whose manifest update never happened
        let orphan = ws.batch_dir("000001-abc");
        fs::create_dir_all(&orphan).unwrap();
        fs::write(orphan.join("part-0.parquet"), b"x").unwrap();
        let orphan_rej = ws.rejected_dir().join("000001-abc.csv");
        fs::write(&orphan_rej, b"x").unwrap();
        // a committed batch stays
        let mut m = ws.manifest().unwrap();
        m.batches.push(BatchRecord {
            id: "000002-def".into(),
            source_file: "f.csv".into(),
            sha256: "def".into(),
            size_bytes: 1,
            format: "csv".into(),
            rows_read: 1,
            rows_accepted: 1,
            rows_rejected: 0,
            rows_not_reported: 0,
            parts: vec!["raw/batch=000002-def/part-0.parquet".into()],
            not_reported_file: None,
            rejected_file: None,
            ignored_columns: vec![],
            catalog: "c".into(),
            ingested_at: "t".into(),
            engine_version: "v".into(),
            forced: false,
        });
        ws.write_manifest(&m).unwrap();
        let kept = ws.batch_dir("000002-def");
        fs::create_dir_all(&kept).unwrap();
        let _l = ws.lock().unwrap();
        assert!(!junk.exists());
        assert!(!orphan.exists());
        assert!(!orphan_rej.exists());
        assert!(kept.exists());
    }
}
