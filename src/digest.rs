//! File digests: the SHA-256 of a file on disk ([`sha256_file`]) and of a file as it is
//! written ([`HashingWriter`]), both in lowercase hex. A ground-floor leaf: ingest,
//! the pipeline, the index and the self-assessments hash their files with it.

use std::io::Read;
use std::path::Path;

use sha2::{Digest, Sha256};

use crate::error::{IoContext, Result};

/// SHA-256 (hex) and size of a file, streamed.
pub fn sha256_file(path: &Path) -> Result<(String, u64)> {
    let mut h = FileHasher::open(path)?;
    while h.step()? {}
    Ok(h.finish())
}

/// The SHA-256 of a file computed a block at a time, so one thread can start it and
/// another finish it (ingest hashes a submission on a thread of low priority while reading
/// it, and the reading thread finishes what is left when it is done).
pub struct FileHasher {
    path: std::path::PathBuf,
    file: std::fs::File,
    hasher: Sha256,
    buf: Vec<u8>,
    bytes: u64,
}

impl FileHasher {
    /// A hasher of the regular file `path`, at its start.
    pub fn open(path: &Path) -> Result<Self> {
        Ok(FileHasher {
            path: path.to_path_buf(),
            file: crate::input::open(path, "a regular file")?,
            hasher: Sha256::new(),
            buf: vec![0u8; 1 << 20],
            bytes: 0,
        })
    }

    /// Hash the next block (up to 1 MiB); false at the end of the file.
    pub fn step(&mut self) -> Result<bool> {
        let k = self.file.read(&mut self.buf).at(&self.path)?;
        self.hasher.update(&self.buf[..k]);
        self.bytes += k as u64;
        Ok(k > 0)
    }

    /// The hex digest and the bytes hashed.
    pub fn finish(self) -> (String, u64) {
        (hex(&self.hasher.finalize()), self.bytes)
    }
}

fn hex(digest: &[u8]) -> String {
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

/// A writer that computes the SHA-256 of what passes through it, so a file written once
/// need not be read back to be hashed ([`sha256_file`] gives the same digest).
pub struct HashingWriter<W> {
    inner: W,
    hasher: Sha256,
}

impl<W: std::io::Write> HashingWriter<W> {
    pub fn new(inner: W) -> Self {
        HashingWriter {
            inner,
            hasher: Sha256::new(),
        }
    }

    /// The inner writer and the hex digest of everything written.
    pub fn finish(self) -> (W, String) {
        (self.inner, hex(&self.hasher.finalize()))
    }
}

impl<W: std::io::Write> std::io::Write for HashingWriter<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.hasher.update(&buf[..n]);
        Ok(n)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.inner.flush()
    }
}
