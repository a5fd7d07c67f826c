//! The one thing every fuzz target does: write the input to a file named like a submission
//! (the readers take paths, as `citybench ingest` does), detect its format from the first
//! bytes, read every row and run the row checks on it, as ingest does without a workspace.
//!
//! Errors are the expected outcome for most inputs; a crash is a panic that escapes, an
//! abort (allocation failure), a timeout or memory beyond libFuzzer's `-rss_limit_mb`.

use std::path::PathBuf;
use std::sync::OnceLock;

use citybench::catalog::{Catalog, UnitRegistry};
use citybench::ingest::read::{ReadOptions, detect_format, read_rows};
use citybench::ingest::Validator;
use citybench::registry::Registry;

struct Context {
    units: UnitRegistry,
    catalog: Catalog,
    registry: Registry,
}

fn context() -> &'static Context {
    static CTX: OnceLock<Context> = OnceLock::new();
    CTX.get_or_init(|| {
        let units = UnitRegistry::embedded().expect("embedded units");
        let catalog = Catalog::embedded(&units).expect("embedded catalogue");
        let registry = Registry::embedded().expect("embedded registry");
        Context {
            units,
            catalog,
            registry,
        }
    })
}

/// A file per process (libFuzzer may run several): in /dev/shm when it exists.
fn scratch(ext: &str) -> PathBuf {
    let dir = if std::path::Path::new("/dev/shm").is_dir() {
        PathBuf::from("/dev/shm")
    } else {
        std::env::temp_dir()
    };
    dir.join(format!("citybench-fuzz-{}.{ext}", std::process::id()))
}

/// Read `data` as a submission file with extension `ext` (csv, json, ndjson, parquet,
/// xlsx); returns the rows read, or None when the file is refused as a whole.
pub fn run(ext: &str, data: &[u8]) -> Option<u64> {
    let ctx = context();
    let path = scratch(ext);
    std::fs::write(&path, data).expect("write the scratch file");
    let format = detect_format(&path).ok()?;
    citybench::ingest::read::check_first_line(&path, format).ok()?;
    let mut validator = Validator::new(&ctx.catalog, &ctx.units, &ctx.registry, 1990, 2100);
    let mut rows = 0u64;
    let r = read_rows(
        &path,
        format,
        &ReadOptions::default(),
        &ctx.catalog,
        &mut |row| {
            rows += 1;
            let _ = validator.check(row);
            Ok(())
        },
    );
    r.ok().map(|_| rows)
}
