//! Opening a file a user names (a submission, `--data`, `--framework`, `sql -f`, a workspace
//! CSV): one helper, so every command refuses the same things the same way.
//!
//! Only regular files are read. A FIFO would block `open` until a writer appears, a
//! character device such as `/dev/zero` never ends, a directory cannot be read: each is
//! refused up front, before it is opened for reading, with a message naming what was given
//! and what is expected. The file is then opened without blocking and checked again on the
//! open handle, so a path swapped for a FIFO in between cannot hang the process.

use std::fs::{File, Metadata};
use std::io::Read;
use std::path::Path;

use crate::error::{Error, IoContext, Result};

/// What `citybench ingest` accepts, for messages.
pub const SUBMISSION: &str = "a submission file (CSV, JSON, NDJSON, Parquet or XLSX)";

/// The largest text file read whole into memory (configuration, workspace CSV files, a
/// framework, an SQL file, a `--data` CSV): far above any real one, far below the memory
/// of a machine that runs citybench.
pub const MAX_TEXT_FILE: u64 = 1 << 30;

/// What kind of file system object `md` describes, when it is not a regular file.
fn kind(md: &Metadata) -> Option<&'static str> {
    let t = md.file_type();
    if t.is_file() {
        return None;
    }
    if t.is_dir() {
        return Some("a directory");
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        if t.is_fifo() {
            return Some("a named pipe (FIFO)");
        }
        if t.is_char_device() {
            return Some("a character device");
        }
        if t.is_block_device() {
            return Some("a block device");
        }
        if t.is_socket() {
            return Some("a socket");
        }
    }
    Some("not a regular file")
}

fn not_a_file(path: &Path, what: &str, kind: &str) -> Error {
    Error::input(path, format!("{kind}, not a file; give {what}"))
}

/// Check that `path` names a regular file (following symbolic links), without opening it.
/// `what` says what the command expects, e.g. [`SUBMISSION`].
pub fn check(path: &Path, what: &str) -> Result<Metadata> {
    let md = match std::fs::metadata(path) {
        Ok(md) => md,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Err(Error::input(path, format!("no such file; give {what}")));
        }
        Err(e) => return Err(Error::io(path, e)),
    };
    match kind(&md) {
        None => Ok(md),
        Some(k) => Err(not_a_file(path, what, k)),
    }
}

/// Open `path` for reading after [`check`]: never blocks, and refuses a path that turned
/// into something other than a regular file between the check and the open.
pub fn open(path: &Path, what: &str) -> Result<File> {
    check(path, what)?;
    let mut o = std::fs::OpenOptions::new();
    o.read(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        // a FIFO opened without O_NONBLOCK waits for a writer; on a regular file the flag
        // changes nothing
        o.custom_flags(libc::O_NONBLOCK);
    }
    let f = o.open(path).at(path)?;
    let md = f.metadata().at(path)?;
    match kind(&md) {
        None => Ok(f),
        Some(k) => Err(not_a_file(path, what, k)),
    }
}

/// The size of the regular file `path` (after [`check`]).
pub fn size(path: &Path, what: &str) -> Result<u64> {
    Ok(check(path, what)?.len())
}

/// Read a whole text file (UTF-8) of at most [`MAX_TEXT_FILE`] bytes.
pub fn read_text(path: &Path, what: &str) -> Result<String> {
    let bytes = read_bytes(path, what)?;
    String::from_utf8(bytes).map_err(|e| {
        let at = e.utf8_error().valid_up_to();
        Error::input(
            path,
            format!(
                "not UTF-8 text ({}); save it as UTF-8",
                crate::encoding::describe_invalid(e.as_bytes(), at)
            ),
        )
    })
}

/// Read a whole file of at most [`MAX_TEXT_FILE`] bytes.
pub fn read_bytes(path: &Path, what: &str) -> Result<Vec<u8>> {
    let f = open(path, what)?;
    let len = f.metadata().at(path)?.len();
    if len > MAX_TEXT_FILE {
        return Err(too_large(path, len, what));
    }
    let mut buf = Vec::with_capacity(len as usize);
    // the file may grow while it is read: never past the limit
    f.take(MAX_TEXT_FILE + 1).read_to_end(&mut buf).at(path)?;
    if buf.len() as u64 > MAX_TEXT_FILE {
        return Err(too_large(path, buf.len() as u64, what));
    }
    Ok(buf)
}

fn too_large(path: &Path, len: u64, what: &str) -> Error {
    Error::input(
        path,
        format!(
            "the file is {} bytes, more than the {} read whole into memory; give {what}",
            len,
            crate::input::bytes(MAX_TEXT_FILE)
        ),
    )
}

/// Sections running under [`catch_panic`]: while any runs, the panic hook stays quiet.
static QUIET: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
static HOOK: std::sync::Once = std::sync::Once::new();

/// Run `f` (a decoder working on untrusted bytes) and turn a panic into `Err(message)`.
///
/// Panics in the decoder's worker threads (rayon) reach the caller too. While a guarded
/// section runs, the panic hook prints nothing (the caller reports the error in its own
/// words); otherwise the previous hook runs as before. An allocation failure aborts the
/// process whatever is done here: the checks before decoding must prevent it.
pub fn catch_panic<T>(f: impl FnOnce() -> T) -> std::result::Result<T, String> {
    use std::sync::atomic::Ordering;
    HOOK.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            if QUIET.load(Ordering::SeqCst) == 0 {
                previous(info);
            }
        }));
    });
    QUIET.fetch_add(1, Ordering::SeqCst);
    let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(f));
    QUIET.fetch_sub(1, Ordering::SeqCst);
    r.map_err(|payload| {
        payload
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| payload.downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "a panic without a message".to_string())
    })
}

/// A byte count for messages: `1 MiB`, `64 KiB`, `1 GiB`, or plain bytes.
pub fn bytes(n: u64) -> String {
    const UNITS: [(u64, &str); 3] = [(1 << 30, "GiB"), (1 << 20, "MiB"), (1 << 10, "KiB")];
    for (size, name) in UNITS {
        if n >= size && n.is_multiple_of(size) {
            return format!("{} {name}", n / size);
        }
    }
    format!("{n} bytes")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn panics_become_errors() {
        assert_eq!(catch_panic(|| 7), Ok(7));
        let r: std::result::Result<(), String> = catch_panic(|| panic!("index {} out of range", 9));
        assert_eq!(r, Err("index 9 out of range".to_string()));
    }

    /// A workspace file (targets.csv, citybench.toml, ...) that is not UTF-8: the whole
    /// message names the byte, where it is and what it would be in Latin-1.
    #[test]
    fn a_text_file_that_is_not_utf8_is_named_exactly() {
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join("targets.csv");
        std::fs::write(&p, b"data_point_id,target\ncaf\xe9,1\n").unwrap();
        let e = read_text(&p, "a CSV file").unwrap_err().to_string();
        assert_eq!(
            e,
            format!(
                "{}: not UTF-8 text (byte 0xE9 at byte offset 24, line 2: '\u{e9}' if the file is Latin-1/Windows-1252); save it as UTF-8",
                p.display()
            )
        );
    }

    #[test]
    fn byte_counts() {
        assert_eq!(bytes(1 << 20), "1 MiB");
        assert_eq!(bytes(64 << 10), "64 KiB");
        assert_eq!(bytes(1 << 30), "1 GiB");
        assert_eq!(bytes(1000), "1000 bytes");
    }

    #[test]
    fn devices_and_directories_are_named() {
        let e = check(Path::new("/dev/null"), SUBMISSION).unwrap_err();
        assert_eq!(
            e.to_string(),
            "/dev/null: a character device, not a file; give a submission file (CSV, JSON, NDJSON, Parquet or XLSX)"
        );
        let e = check(Path::new("/"), "an SQL file").unwrap_err();
        assert_eq!(
            e.to_string(),
            "/: a directory, not a file; give an SQL file"
        );
        let e = open(Path::new("/no/such/file.csv"), SUBMISSION).unwrap_err();
        assert_eq!(
            e.to_string(),
            "/no/such/file.csv: no such file; give a submission file (CSV, JSON, NDJSON, Parquet or XLSX)"
        );
    }
}
