//! Publication: how `run`, `verify` and `index` replace the results readers see, all at once.
//!
//! ```text
//! generations/<id>/                  one publication: every derived table (the run's, the
//!                                    verification flags, the index), citybench.duckdb (views
//!                                    over these files by their own paths), run.json (the
//!                                    run's record) and generation.json
//! derived -> generations/<id>        the published generation (a relative symlink)
//! citybench.duckdb -> derived/citybench.duckdb
//! ```
//!
//! A writer (holding the workspace lock) builds a new generation beside the published one
//! ([`Publication::begin`]): the tables it computes are written there, the ones it does not
//! compute are hard links of the published generation's files ([`Publication::seed`]), and
//! its database is built there with views that name the generation's files directly, never
//! through `derived`. The commit point is one atomic rename of a new `derived` symlink over
//! the old one ([`Publication::commit`]): the files and the database switch together, so a
//! reader that resolves `derived` (or opens `citybench.duckdb`) gets the old publication or
//! the new one, whole, and a reader that opened the old database keeps reading old files.
//!
//! Nothing is ever written into a published generation. A writer killed before the switch
//! leaves the previous publication in force and an unpublished generation, which the next
//! writer removes ([`tidy`], called when it takes the lock); killed after it, the next writer
//! completes what followed the switch (the run record in `runs/`, the database link).
//!
//! Kept: the published generation and the one before it (a reader still on it keeps
//! working); older ones are removed at each commit. A reader of citybench's own commands
//! holds a shared lock on its generation while it reads ([`pin`]); a generation so held is
//! left for a later writer to remove.

use std::fs::{self, File};
use std::io;
use std::path::{Component, Path, PathBuf};
use std::sync::OnceLock;
use std::sync::atomic::{AtomicUsize, Ordering};

use serde::{Deserialize, Serialize};

use super::DB_FILE;
use super::{TMP_PREFIX, Workspace, atomic_write, commit_rename, temp_path};
use crate::error::{Error, IoContext, Result};

/// The directory of the generations.
pub const GENERATIONS_DIR: &str = "generations";
/// The published generation: a symlink to `generations/<id>`.
pub const DERIVED_LINK: &str = "derived";
/// A generation's own record.
pub const GENERATION_FILE: &str = "generation.json";
/// The record of the run whose tables a generation holds (also in `runs/<run-id>.json`).
pub const RUN_FILE: &str = "run.json";
/// The runs directory.
pub const RUNS_DIR: &str = "runs";

/// `generations/<id>/generation.json`.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct GenerationRecord {
    pub generation: String,
    /// The generation published before this one (kept while this one is published).
    pub previous: Option<String>,
    /// The command that published it: run, verify, index, or adopted (a workspace from
    /// before generations).
    pub command: String,
    pub created_at: String,
    pub engine_version: String,
}

/// What `derived` is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Published {
    /// Nothing has been published yet.
    Nothing,
    /// A directory: a workspace from before generations, converted by its next publication.
    Legacy,
    /// A link to `generations/<id>`.
    Generation(String),
}

/// What the workspace's `derived` is.
pub fn published(ws: &Workspace) -> Result<Published> {
    let link = ws.derived_dir();
    let meta = match fs::symlink_metadata(&link) {
        Ok(m) => m,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(Published::Nothing),
        Err(e) => return Err(Error::io(&link, e)),
    };
    if meta.is_dir() {
        return Ok(Published::Legacy);
    }
    if meta.file_type().is_symlink()
        && let Some(id) = generation_of(&fs::read_link(&link).at(&link)?)
    {
        return Ok(Published::Generation(id));
    }
    Err(Error::input(
        &link,
        format!(
            "is not citybench's published results (a link to {GENERATIONS_DIR}/<id>, or a directory); move it out of the workspace and run again"
        ),
    ))
}

/// `generations/<id>` -> `<id>`.
fn generation_of(target: &Path) -> Option<String> {
    let mut parts = target.components();
    match (parts.next(), parts.next(), parts.next()) {
        (Some(Component::Normal(g)), Some(Component::Normal(id)), None) if g == GENERATIONS_DIR => {
            let id = id.to_str()?;
            (!id.starts_with('.')).then(|| id.to_string())
        }
        _ => None,
    }
}

/// The absolute workspace root (not resolved through symlinks: the paths in the database
/// and the reader's allowed directory are built from the same root).
pub fn absolute_root(ws: &Workspace) -> Result<PathBuf> {
    std::path::absolute(ws.root()).at(ws.root())
}

// ---------------------------------------------------------------------------------------
// Test hooks

struct Hooks {
    crash: Option<usize>,
    fail: Option<usize>,
}

static HOOKS: OnceLock<Hooks> = OnceLock::new();
static STEPS: AtomicUsize = AtomicUsize::new(0);

fn env_step(name: &str) -> Option<usize> {
    std::env::var(name).ok().and_then(|v| v.trim().parse().ok())
}

/// Count one write step of a publication (a table file, the seeded links, the database, a
/// record, the switch, the cleanup). For the tests: with `CITYBENCH_CRASH_AFTER=n` the
/// process aborts after the n-th step (as `kill -9` would stop it), with
/// `CITYBENCH_FAIL_AFTER=n` the n-th step fails with an error. Without them this does
/// nothing.
pub fn step(what: &str) -> Result<()> {
    let hooks = HOOKS.get_or_init(|| Hooks {
        crash: env_step("CITYBENCH_CRASH_AFTER"),
        fail: env_step("CITYBENCH_FAIL_AFTER"),
    });
    if hooks.crash.is_none() && hooks.fail.is_none() {
        return Ok(());
    }
    let n = STEPS.fetch_add(1, Ordering::SeqCst) + 1;
    if hooks.crash == Some(n) {
        eprintln!("citybench: CITYBENCH_CRASH_AFTER={n}: abort after write step {n} ({what})");
        std::process::abort();
    }
    if hooks.fail == Some(n) {
        return Err(Error::io(
            what,
            io::Error::other(format!(
                "write step {n} failed (CITYBENCH_FAIL_AFTER={n}, a test hook)"
            )),
        ));
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------
// Writers

/// Builds the database of a generation directory from its tables (the warehouse's
/// `build_in`, handed down so that the store does not import the warehouse above it).
pub type BuildDatabase = fn(&Path) -> Result<()>;

/// Convert a workspace from before generations ([`adopt`]), building the adopted
/// generation's database with `build_database`; nothing to do for any other workspace.
pub fn adopt_legacy(ws: &Workspace, build_database: BuildDatabase) -> Result<()> {
    if published(ws)? == Published::Legacy {
        adopt(ws, &absolute_root(ws)?, Some(build_database))?;
    }
    Ok(())
}

/// A generation being built; removed again unless committed.
#[derive(Debug)]
pub struct Publication {
    root: PathBuf,
    id: String,
    dir: PathBuf,
    previous: Option<String>,
    command: &'static str,
    committed: bool,
}

impl Publication {
    /// Start a generation beside the published one (the caller holds the workspace lock).
    /// A workspace from before generations is converted first ([`adopt`]), without a
    /// database of its own unless [`adopt_legacy`] converted it already (the commands start
    /// their generations through `crate::warehouse::begin_publication`, which does).
    pub fn begin(ws: &Workspace, command: &'static str) -> Result<Self> {
        let root = absolute_root(ws)?;
        if published(ws)? == Published::Legacy {
            adopt(ws, &root, None)?;
        }
        let previous = match published(ws)? {
            Published::Generation(id) => Some(id),
            _ => None,
        };
        let (id, dir) = new_generation(&root, command)?;
        Ok(Publication {
            root,
            id,
            dir,
            previous,
            command,
            committed: false,
        })
    }

    /// The generation's id.
    pub fn id(&self) -> &str {
        &self.id
    }

    /// The generation's directory (absolute): write the tables here.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Whether the published generation has a database (then this one gets one too).
    pub fn previous_has_database(&self) -> bool {
        self.previous.as_ref().is_some_and(|p| {
            self.root
                .join(GENERATIONS_DIR)
                .join(p)
                .join(DB_FILE)
                .is_file()
        })
    }

    /// Hard-link every file of the published generation into this one, except those
    /// `replaced` (the tables this command writes) and the generation's own database and
    /// record. Returns how many were linked.
    pub fn seed(&self, replaced: impl Fn(&str) -> bool) -> Result<usize> {
        let Some(prev) = &self.previous else {
            return Ok(0);
        };
        let from = self.root.join(GENERATIONS_DIR).join(prev);
        if !from.is_dir() {
            // `derived` leads nowhere (the generation was deleted by hand): nothing to carry
            return Ok(0);
        }
        let n = link_files(&from, &self.dir, |name| {
            !replaced(name) && name != DB_FILE && name != GENERATION_FILE
        })?;
        step("seed")?;
        Ok(n)
    }

    /// Publish the generation: its record, then the switch of `derived` (the commit point),
    /// the database link, the run record in `runs/`, and the removal of generations older
    /// than the previous one.
    pub fn commit(mut self) -> Result<()> {
        let record = GenerationRecord {
            generation: self.id.clone(),
            previous: self.previous.clone(),
            command: self.command.to_string(),
            created_at: chrono::Utc::now().to_rfc3339(),
            engine_version: env!("CARGO_PKG_VERSION").to_string(),
        };
        write_record(&self.dir, &record)?;
        step(GENERATION_FILE)?;
        sync_dir(&self.dir);
        // a new workspace gets the database link now (it resolves once `derived` does)
        link_database(&self.root)?;
        switch(&self.root, &self.id)?;
        self.committed = true;
        step("switch")?;
        finish(&self.root)?;
        let keep: Vec<&str> = std::iter::once(self.id.as_str())
            .chain(self.previous.as_deref())
            .collect();
        remove_generations(&self.root, &keep)?;
        step("cleanup")
    }
}

impl Drop for Publication {
    fn drop(&mut self) {
        if !self.committed {
            let _ = fs::remove_dir_all(&self.dir);
        }
    }
}

/// A new, empty `generations/<seq>-<command>` (the next sequence number).
fn new_generation(root: &Path, command: &str) -> Result<(String, PathBuf)> {
    let gens = root.join(GENERATIONS_DIR);
    fs::create_dir_all(&gens).at(&gens)?;
    let mut last = 0u64;
    for e in fs::read_dir(&gens).at(&gens)?.flatten() {
        let name = e.file_name().to_string_lossy().into_owned();
        if let Some(n) = name.split('-').next().and_then(|s| s.parse::<u64>().ok()) {
            last = last.max(n);
        }
    }
    let id = format!("{:06}-{command}", last + 1);
    let dir = gens.join(&id);
    fs::create_dir(&dir).at(&dir)?;
    Ok((id, dir))
}

fn write_record(dir: &Path, record: &GenerationRecord) -> Result<()> {
    let mut json = serde_json::to_vec_pretty(record).expect("the record serialises");
    json.push(b'\n');
    atomic_write(&dir.join(GENERATION_FILE), &json)
}

fn read_record(dir: &Path) -> Option<GenerationRecord> {
    let text = fs::read(dir.join(GENERATION_FILE)).ok()?;
    serde_json::from_slice(&text).ok()
}

/// Hard-link the regular files of `from` that `keep` accepts into `to` (a copy where the
/// file system has no hard links).
fn link_files(from: &Path, to: &Path, keep: impl Fn(&str) -> bool) -> Result<usize> {
    let mut n = 0;
    for e in fs::read_dir(from).at(from)? {
        let e = e.at(from)?;
        let name = e.file_name().to_string_lossy().into_owned();
        if name.starts_with(TMP_PREFIX) || !keep(&name) || !e.file_type().at(e.path())?.is_file() {
            continue;
        }
        let dst = to.join(&name);
        if fs::hard_link(e.path(), &dst).is_err() {
            fs::copy(e.path(), &dst).at(&dst)?;
        }
        n += 1;
    }
    Ok(n)
}

fn sync_dir(dir: &Path) {
    if let Ok(d) = File::open(dir) {
        let _ = d.sync_all();
    }
}

/// A symbolic link (`dir`: whether it leads to a directory, which Windows distinguishes).
#[cfg(unix)]
fn symlink(target: &Path, link: &Path, _dir: bool) -> Result<()> {
    std::os::unix::fs::symlink(target, link).at(link)
}

/// A symbolic link (`dir`: whether it leads to a directory, which Windows distinguishes).
#[cfg(windows)]
fn symlink(target: &Path, link: &Path, dir: bool) -> Result<()> {
    if dir {
        std::os::windows::fs::symlink_dir(target, link).at(link)
    } else {
        std::os::windows::fs::symlink_file(target, link).at(link)
    }
}

/// The commit point: a new `derived` link renamed over the old one.
fn switch(root: &Path, id: &str) -> Result<()> {
    let link = root.join(DERIVED_LINK);
    let tmp = temp_path(&link);
    let _ = fs::remove_file(&tmp);
    symlink(&Path::new(GENERATIONS_DIR).join(id), &tmp, true)?;
    commit_rename(&tmp, &link)
}

/// Make `citybench.duckdb` the link `derived/citybench.duckdb`. Where the name is free the
/// link is made at once (until a generation with a database is published it leads nowhere,
/// which reads as "no database yet"); a file there (a workspace from before generations) is
/// replaced only once the link leads to a database, so a reader always finds one.
fn link_database(root: &Path) -> Result<()> {
    let path = root.join(DB_FILE);
    let target = Path::new(DERIVED_LINK).join(DB_FILE);
    match fs::symlink_metadata(&path) {
        Ok(m) if m.file_type().is_symlink() && fs::read_link(&path).at(&path)? == target => {
            return Ok(());
        }
        Ok(_) if !root.join(&target).is_file() => return Ok(()),
        Ok(_) => {}
        Err(e) if e.kind() == io::ErrorKind::NotFound => {}
        Err(e) => return Err(Error::io(&path, e)),
    }
    let tmp = temp_path(&path);
    let _ = fs::remove_file(&tmp);
    symlink(&target, &tmp, false)?;
    commit_rename(&tmp, &path)
}

/// What follows the switch: the database link and `runs/<run-id>.json`. Repeated by the
/// next writer when a writer was killed in between.
fn finish(root: &Path) -> Result<()> {
    link_database(root)?;
    let src = root.join(DERIVED_LINK).join(RUN_FILE);
    let Ok(bytes) = fs::read(&src) else {
        return Ok(());
    };
    let run_id = serde_json::from_slice::<serde_json::Value>(&bytes)
        .ok()
        .and_then(|v| v.get("run_id").and_then(|r| r.as_str()).map(String::from));
    let Some(run_id) =
        run_id.filter(|r| !r.is_empty() && !r.starts_with('.') && !r.contains(['/', '\\']))
    else {
        return Ok(());
    };
    let runs = root.join(RUNS_DIR);
    let dst = runs.join(format!("{run_id}.json"));
    if dst.exists() {
        return Ok(());
    }
    fs::create_dir_all(&runs).at(&runs)?;
    atomic_write(&dst, &bytes)?;
    step("runs record")
}

/// Remove every generation but `keep`; one a reader holds stays for a later writer.
fn remove_generations(root: &Path, keep: &[&str]) -> Result<()> {
    let gens = root.join(GENERATIONS_DIR);
    let Ok(entries) = fs::read_dir(&gens) else {
        return Ok(());
    };
    for e in entries.flatten() {
        let name = e.file_name().to_string_lossy().into_owned();
        if keep.contains(&name.as_str()) || !e.file_type().is_ok_and(|t| t.is_dir()) {
            continue;
        }
        remove_generation(&e.path())?;
    }
    Ok(())
}

/// Remove a generation unless a reader holds it; returns whether it was removed.
fn remove_generation(dir: &Path) -> Result<bool> {
    let f = match File::open(dir) {
        Ok(f) => f,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(true),
        Err(e) => return Err(Error::io(dir, e)),
    };
    match f.try_lock() {
        Ok(()) => {}
        Err(fs::TryLockError::WouldBlock) => return Ok(false),
        Err(fs::TryLockError::Error(e)) => return Err(Error::io(dir, e)),
    }
    // the record first: a reader that waited for the lock sees the generation is gone
    let _ = fs::remove_file(dir.join(GENERATION_FILE));
    fs::remove_dir_all(dir).at(dir)?;
    Ok(true)
}

/// What the next writer does on taking the lock: remove generations that were never
/// published (a killed writer) or are older than the previous one, and complete a
/// publication that was killed after its switch.
pub fn tidy(ws: &Workspace) -> Result<()> {
    let root = absolute_root(ws)?;
    // a `derived` that is not citybench's is reported by the next publication, not here
    // (ingest does not need it)
    let Ok(state) = published(ws) else {
        return Ok(());
    };
    let keep: Vec<String> = match &state {
        Published::Generation(id) => {
            let prev = read_record(&root.join(GENERATIONS_DIR).join(id)).and_then(|r| r.previous);
            std::iter::once(id.clone()).chain(prev).collect()
        }
        Published::Nothing | Published::Legacy => Vec::new(),
    };
    let keep: Vec<&str> = keep.iter().map(String::as_str).collect();
    remove_generations(&root, &keep)?;
    if matches!(state, Published::Generation(_)) {
        finish(&root)?;
    }
    Ok(())
}

/// Convert a workspace from before generations (`derived/` a directory, `citybench.duckdb`
/// a file whose views read `derived/<table>.parquet`) into a first generation holding the
/// same files, without a moment where a reader finds nothing:
///
/// 1. `generations/<id>/`: hard links of the files of `derived/`, a database over them and
///    the newest run record;
/// 2. `derived` (the directory) and a link to the new generation exchange names in one
///    step (Linux `renameat2(RENAME_EXCHANGE)`); the old database's views now read the
///    same files (the same inodes) through the link;
/// 3. `citybench.duckdb` is replaced by its link; the old directory is removed.
///
/// Where the file system cannot exchange names, step 2 is two renames and `derived` is
/// missing for the moment between them.
fn adopt(ws: &Workspace, root: &Path, build_database: Option<BuildDatabase>) -> Result<()> {
    let derived = root.join(DERIVED_LINK);
    let has_files = fs::read_dir(&derived)
        .at(&derived)?
        .flatten()
        .any(|e| !e.file_name().to_string_lossy().starts_with(TMP_PREFIX));
    if !has_files && !root.join(DB_FILE).exists() {
        // nothing was published (an empty directory from `init`)
        if fs::remove_dir(&derived).is_ok() {
            return Ok(());
        }
    }
    let (id, dir) = new_generation(root, "adopted")?;
    let mut guard = RemoveUnlessKept(Some(dir.clone()));
    link_files(&derived, &dir, |name| {
        name != DB_FILE && name != GENERATION_FILE && name != RUN_FILE
    })?;
    step("adopt: files")?;
    let complete = crate::schema::derived::TABLES
        .iter()
        .all(|(t, _)| dir.join(format!("{t}.parquet")).is_file());
    if complete
        && let Some(build) = build_database
        && let Err(e) = build(&dir)
    {
        // tables of an older version the views no longer fit: the old database stays in
        // place until the next publication brings a database
        let _ = fs::remove_file(dir.join(DB_FILE));
        eprintln!(
            "note: the earlier results in {} get no database of their own ({e}); the next publication brings one",
            derived.display()
        );
    }
    step("adopt: database")?;
    if complete && let Some(run) = newest_run_record(ws) {
        fs::copy(&run, dir.join(RUN_FILE)).at(&run)?;
    }
    write_record(
        &dir,
        &GenerationRecord {
            generation: id.clone(),
            previous: None,
            command: "adopted".into(),
            created_at: chrono::Utc::now().to_rfc3339(),
            engine_version: env!("CARGO_PKG_VERSION").to_string(),
        },
    )?;
    sync_dir(&dir);
    link_database(root)?;
    let old = swap_in_link(&derived, &Path::new(GENERATIONS_DIR).join(&id))?;
    guard.0 = None;
    step("adopt: switch")?;
    link_database(root)?;
    step("adopt: database link")?;
    if let Some(old) = old {
        fs::remove_dir_all(&old).at(&old)?;
    }
    step("adopt: cleanup")
}

struct RemoveUnlessKept(Option<PathBuf>);

impl Drop for RemoveUnlessKept {
    fn drop(&mut self) {
        if let Some(d) = &self.0 {
            let _ = fs::remove_dir_all(d);
        }
    }
}

/// The newest `runs/<run-id>.json` (run ids start with their UTC time).
fn newest_run_record(ws: &Workspace) -> Option<PathBuf> {
    let dir = ws.root().join(RUNS_DIR);
    let mut names: Vec<String> = fs::read_dir(&dir)
        .ok()?
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".json") && !n.starts_with(TMP_PREFIX))
        .collect();
    names.sort();
    names.pop().map(|n| dir.join(n))
}

/// Put a link to `target` at `path`, where a directory is, in one step; returns where the
/// directory went (a temporary name beside it).
fn swap_in_link(path: &Path, target: &Path) -> Result<Option<PathBuf>> {
    let tmp = temp_path(path);
    let _ = fs::remove_file(&tmp);
    symlink(target, &tmp, true)?;
    swap(&tmp, path)
}

/// Move `new` to `path`. When `path` exists it ends up at a temporary name, which is
/// returned: exchanged in one step where the file system can (Linux), else moved aside
/// first (then `path` is missing for a moment).
pub fn swap(new: &Path, path: &Path) -> Result<Option<PathBuf>> {
    if fs::symlink_metadata(path).is_err() {
        commit_rename(new, path)?;
        return Ok(None);
    }
    #[cfg(target_os = "linux")]
    if exchange(new, path).is_ok() {
        sync_dir(path.parent().unwrap_or(Path::new(".")));
        return Ok(Some(new.to_path_buf()));
    }
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let aside = temp_path(&path.with_file_name(format!("{name}.old")));
    fs::rename(path, &aside).at(path)?;
    commit_rename(new, path)?;
    Ok(Some(aside))
}

/// `renameat2(a, b, RENAME_EXCHANGE)`: the two names swap atomically.
#[cfg(target_os = "linux")]
fn exchange(a: &Path, b: &Path) -> io::Result<()> {
    use std::ffi::CString;
    use std::os::unix::ffi::OsStrExt;
    let a = CString::new(a.as_os_str().as_bytes())?;
    let b = CString::new(b.as_os_str().as_bytes())?;
    // SAFETY: both arguments are NUL-terminated paths that live across the call.
    let r = unsafe {
        libc::renameat2(
            libc::AT_FDCWD,
            a.as_ptr(),
            libc::AT_FDCWD,
            b.as_ptr(),
            libc::RENAME_EXCHANGE,
        )
    };
    if r == 0 {
        Ok(())
    } else {
        Err(io::Error::last_os_error())
    }
}

// ---------------------------------------------------------------------------------------
// Readers

/// The publication a reader reads: `derived` resolved once, its database, and a shared
/// lock on the generation so that no writer removes it meanwhile.
#[derive(Debug)]
pub struct Pinned {
    dir: PathBuf,
    database: PathBuf,
    generation: Option<String>,
    _lock: Option<File>,
}

impl Pinned {
    /// The directory of the tables (a generation, or `derived/` of an older workspace).
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The database of these tables.
    pub fn database(&self) -> &Path {
        &self.database
    }

    /// The record of the run the tables come from: the generation's `run.json`; `None` for
    /// a workspace from before generations (its newest `runs/` record).
    pub fn run_record(&self) -> Option<PathBuf> {
        self.generation.as_ref().map(|_| self.dir.join(RUN_FILE))
    }

    /// An unpublished generation read by the writer that builds it.
    pub fn unpublished(dir: &Path) -> Self {
        Pinned {
            dir: dir.to_path_buf(),
            database: dir.join(DB_FILE),
            generation: None,
            _lock: None,
        }
    }
}

/// Resolve and hold the published generation for reading.
pub fn pin(ws: &Workspace) -> Result<Pinned> {
    let root = absolute_root(ws)?;
    let unlocked = |dir: PathBuf, database: PathBuf, generation: Option<String>| Pinned {
        dir,
        database,
        generation,
        _lock: None,
    };
    for _ in 0..16 {
        let id = match published(ws)? {
            Published::Generation(id) => id,
            Published::Nothing | Published::Legacy => {
                return Ok(unlocked(root.join(DERIVED_LINK), root.join(DB_FILE), None));
            }
        };
        let dir = root.join(GENERATIONS_DIR).join(&id);
        let f = match File::open(&dir) {
            Ok(f) => f,
            // removed meanwhile: `derived` has moved on
            Err(e) if e.kind() == io::ErrorKind::NotFound => {
                if published(ws)? == Published::Generation(id.clone()) {
                    // a link to nothing: the callers report the missing files
                    return Ok(unlocked(dir.clone(), dir.join(DB_FILE), Some(id)));
                }
                continue;
            }
            Err(e) => return Err(Error::io(&dir, e)),
        };
        f.lock_shared().at(&dir)?;
        if dir.join(GENERATION_FILE).is_file() {
            return Ok(Pinned {
                database: dir.join(DB_FILE),
                dir,
                generation: Some(id),
                _lock: Some(f),
            });
        }
    }
    Err(Error::Usage(format!(
        "the results in {} changed 16 times while being opened; try again",
        ws.root().display()
    )))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generation_links_are_recognised() {
        assert_eq!(
            generation_of(Path::new("generations/000003-run")),
            Some("000003-run".to_string())
        );
        for bad in [
            "generations",
            "generations/.tmp-1",
            "/abs/generations/000001-run",
            "generations/a/b",
            "elsewhere/000001-run",
            "../generations/000001-run",
        ] {
            assert_eq!(generation_of(Path::new(bad)), None, "{bad}");
        }
    }

    fn files(dir: &Path) -> Vec<String> {
        let mut v: Vec<String> = fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        v.sort();
        v
    }

    #[test]
    fn a_publication_switches_seeds_keeps_two_and_removes_the_unpublished() {
        let d = tempfile::tempdir().unwrap();
        let (ws, _) = Workspace::init(&d.path().join("ws")).unwrap();
        assert_eq!(published(&ws).unwrap(), Published::Nothing);
        let p = Publication::begin(&ws, "verify").unwrap();
        fs::write(p.dir().join("verification_flags.parquet"), b"flags 1").unwrap();
        assert_eq!(p.seed(|_| false).unwrap(), 0);
        p.commit().unwrap();
        assert_eq!(
            published(&ws).unwrap(),
            Published::Generation("000001-verify".into())
        );
        let read = |name: &str| fs::read_to_string(ws.derived_dir().join(name)).unwrap();
        assert_eq!(read("verification_flags.parquet"), "flags 1");
        // the next one keeps what it does not replace (the same inode), replaces the rest
        let p = Publication::begin(&ws, "index").unwrap();
        assert_eq!(p.seed(|n| n.starts_with("index_")).unwrap(), 1);
        fs::write(p.dir().join("index_scores.parquet"), b"scores").unwrap();
        // nothing of it is visible before the commit
        assert!(!ws.derived_dir().join("index_scores.parquet").exists());
        p.commit().unwrap();
        assert_eq!(read("index_scores.parquet"), "scores");
        assert_eq!(read("verification_flags.parquet"), "flags 1");
        // a third: the first is removed, the previous one stays
        let p = Publication::begin(&ws, "verify").unwrap();
        p.seed(|n| n == "verification_flags.parquet").unwrap();
        fs::write(p.dir().join("verification_flags.parquet"), b"flags 2").unwrap();
        p.commit().unwrap();
        let gens = ws.root().join(GENERATIONS_DIR);
        assert_eq!(files(&gens), ["000002-index", "000003-verify"]);
        assert_eq!(read("verification_flags.parquet"), "flags 2");
        assert_eq!(
            read_record(&gens.join("000003-verify")).unwrap().previous,
            Some("000002-index".into())
        );
        // dropped without a commit: gone at once; left by a crash: gone at the next lock
        drop(Publication::begin(&ws, "run").unwrap());
        assert_eq!(files(&gens), ["000002-index", "000003-verify"]);
        fs::create_dir(gens.join("000009-run")).unwrap();
        drop(ws.lock().unwrap());
        assert_eq!(files(&gens), ["000002-index", "000003-verify"]);
    }

    #[test]
    fn a_generation_a_reader_holds_is_not_removed() {
        let d = tempfile::tempdir().unwrap();
        let (ws, _) = Workspace::init(&d.path().join("ws")).unwrap();
        for _ in 0..2 {
            let p = Publication::begin(&ws, "verify").unwrap();
            p.commit().unwrap();
        }
        let pinned = pin(&ws).unwrap();
        assert!(pinned.dir().ends_with("generations/000002-verify"));
        for _ in 0..2 {
            Publication::begin(&ws, "verify").unwrap().commit().unwrap();
        }
        let gens = ws.root().join(GENERATIONS_DIR);
        assert_eq!(
            files(&gens),
            ["000002-verify", "000003-verify", "000004-verify"]
        );
        drop(pinned);
        Publication::begin(&ws, "verify").unwrap().commit().unwrap();
        assert_eq!(files(&gens), ["000004-verify", "000005-verify"]);
    }

    #[test]
    fn a_legacy_derived_directory_is_adopted_with_its_files() {
        let d = tempfile::tempdir().unwrap();
        let (ws, _) = Workspace::init(&d.path().join("ws")).unwrap();
        fs::create_dir_all(ws.derived_dir()).unwrap();
        fs::write(ws.derived_dir().join("verification_flags.parquet"), b"old").unwrap();
        assert_eq!(published(&ws).unwrap(), Published::Legacy);
        let p = Publication::begin(&ws, "verify").unwrap();
        assert_eq!(
            published(&ws).unwrap(),
            Published::Generation("000001-adopted".into())
        );
        assert_eq!(
            fs::read_to_string(ws.derived_dir().join("verification_flags.parquet")).unwrap(),
            "old"
        );
        drop(p);
        // nothing left beside the workspace's own entries
        let mut names = files(ws.root());
        names.retain(|n| n != LOCK_FILE_NAME);
        assert_eq!(
            names,
            [
                "citybench.duckdb",
                "citybench.toml",
                "derived",
                "generations",
                "manifest.json",
                "raw",
                "rejected",
                "runs"
            ]
        );
        // an empty directory (from `init` of an older version) is simply replaced
        let d2 = tempfile::tempdir().unwrap();
        let (ws2, _) = Workspace::init(&d2.path().join("ws")).unwrap();
        fs::create_dir_all(ws2.derived_dir()).unwrap();
        Publication::begin(&ws2, "verify")
            .unwrap()
            .commit()
            .unwrap();
        assert_eq!(files(&ws2.root().join(GENERATIONS_DIR)), ["000001-verify"]);
    }

    const LOCK_FILE_NAME: &str = super::super::LOCK_FILE;

    #[test]
    fn a_derived_file_is_refused_with_what_to_do() {
        let d = tempfile::tempdir().unwrap();
        let (ws, _) = Workspace::init(&d.path().join("ws")).unwrap();
        fs::write(ws.derived_dir(), b"mine").unwrap();
        let e = Publication::begin(&ws, "run").unwrap_err().to_string();
        assert_eq!(
            e,
            format!(
                "{}: is not citybench's published results (a link to generations/<id>, or a directory); move it out of the workspace and run again",
                ws.derived_dir().display()
            )
        );
        assert_eq!(fs::read(ws.derived_dir()).unwrap(), b"mine");
    }
}
