//! The library's typed error, with the context a user needs to act: the path, and where it
//! applies the line, field or city.

use std::path::{Path, PathBuf};

/// Result alias used across the library.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Everything that can stop a citybench operation. Row-level problems in a submission are
/// not errors: they are [`crate::ingest::Rejection`]s, written to the rejection file.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// Reading or writing a file failed.
    #[error("{}: {source}", path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// A whole input file cannot be used (empty, wrong format, missing columns, ...).
    #[error("{}: {message}", path.display())]
    Input { path: PathBuf, message: String },
    /// A data file shipped with or loaded into citybench (catalogue, registry, units) is
    /// malformed; `line` is the 1-based line of the offending row (header = line 1).
    #[error("{}:{line}: {message}", path.display())]
    Data {
        path: PathBuf,
        line: u64,
        message: String,
    },
    /// The command line asked for something impossible.
    #[error("{0}")]
    Usage(String),
    /// The workspace configuration is invalid.
    #[error("{}: {message}", path.display())]
    Config { path: PathBuf, message: String },
    /// Another process holds the workspace lock.
    #[error(
        "workspace {} is locked by another citybench process{holder}; wait for it to finish (the lock is released when that process exits)",
        path.display()
    )]
    Locked { path: PathBuf, holder: String },
    /// Polars failed on a file.
    #[error("{}: {source}", path.display())]
    Polars {
        path: PathBuf,
        #[source]
        source: polars::error::PolarsError,
    },
    /// An SQL query failed or was refused (DuckDB's message).
    #[error("{0}")]
    Sql(String),
    /// DuckDB failed.
    #[error("DuckDB: {0}")]
    Duckdb(#[from] duckdb::Error),
}

impl Error {
    /// An I/O error on `path`.
    pub fn io(path: impl AsRef<Path>, source: std::io::Error) -> Self {
        Error::Io {
            path: path.as_ref().to_path_buf(),
            source,
        }
    }

    /// A whole-file input problem on `path`.
    pub fn input(path: impl AsRef<Path>, message: impl Into<String>) -> Self {
        Error::Input {
            path: path.as_ref().to_path_buf(),
            message: message.into(),
        }
    }

    /// A malformed row in a data file.
    pub fn data(path: impl AsRef<Path>, line: u64, message: impl Into<String>) -> Self {
        Error::Data {
            path: path.as_ref().to_path_buf(),
            line,
            message: message.into(),
        }
    }

    /// A Polars error on `path`.
    pub fn polars(path: impl AsRef<Path>, source: polars::error::PolarsError) -> Self {
        Error::Polars {
            path: path.as_ref().to_path_buf(),
            source,
        }
    }
}

/// Attach a path to `std::io::Result`s.
pub trait IoContext<T> {
    /// Map an I/O error to [`Error::Io`] naming `path`.
    fn at(self, path: impl AsRef<Path>) -> Result<T>;
}

impl<T> IoContext<T> for std::io::Result<T> {
    fn at(self, path: impl AsRef<Path>) -> Result<T> {
        self.map_err(|e| Error::io(path, e))
    }
}
