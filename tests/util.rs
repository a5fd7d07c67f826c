//! Test helpers: an isolated workspace per test and a runner for the real binary.

use std::path::{Path, PathBuf};

use assert_cmd::Command;

/// Output of one command.
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

/// An initialised workspace in a temporary directory.
pub struct Ws {
    pub dir: tempfile::TempDir,
}

impl Ws {
    pub fn new() -> Self {
        let w = Ws {
            dir: tempfile::tempdir().unwrap(),
        };
        let r = w.run(&["init", w.root().to_str().unwrap()]);
        assert_eq!(r.code, 0, "{}", r.stderr);
        w
    }

    pub fn root(&self) -> PathBuf {
        self.dir.path().join("ws")
    }

    /// Write a file next to the workspace and return its path.
    pub fn file(&self, name: &str, content: impl AsRef<[u8]>) -> PathBuf {
        let p = self.dir.path().join(name);
        std::fs::write(&p, content).unwrap();
        p
    }

    /// `citybench generate` of `cities` cities over `years` (e.g. `2015..2024`) with `seed`
    /// into `<dir>/<name>`, that submission ingested; both must succeed.
    pub fn generate_and_ingest(&self, name: &str, cities: u32, years: &str, seed: u32) {
        let out = self.dir.path().join(name);
        let r = self.run(&[
            "generate",
            "--cities",
            &cities.to_string(),
            "--years",
            years,
            "--seed",
            &seed.to_string(),
            "--out",
            out.to_str().unwrap(),
        ]);
        assert_eq!(r.code, 0, "{}", r.stderr);
        let r = self.ingest(&out.join("submissions.parquet"));
        assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    }

    /// Run citybench with `-w <root>` and `--quiet`.
    pub fn run(&self, args: &[&str]) -> Run {
        self.run_env(&[], args)
    }

    /// [`Ws::run`] with environment variables set (the publication's test hooks); a
    /// process ended by a signal (the crash hook aborts) has code -1.
    pub fn run_env(&self, env: &[(&str, &str)], args: &[&str]) -> Run {
        let mut c = Command::cargo_bin("citybench").unwrap();
        c.arg("-w").arg(self.root()).arg("--quiet").args(args);
        c.env_remove("CITYBENCH_WORKSPACE");
        c.env_remove("CITYBENCH_CRASH_AFTER");
        c.env_remove("CITYBENCH_FAIL_AFTER");
        for (k, v) in env {
            c.env(k, v);
        }
        let o = c.output().unwrap();
        Run {
            code: o.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&o.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&o.stderr).into_owned(),
        }
    }

    /// Ingest one file.
    pub fn ingest(&self, path: &Path) -> Run {
        self.run(&["ingest", path.to_str().unwrap()])
    }

    /// The manifest as JSON.
    pub fn manifest(&self) -> serde_json::Value {
        serde_json::from_str(&std::fs::read_to_string(self.root().join("manifest.json")).unwrap())
            .unwrap()
    }

    /// Rejected rows of the last batch: (line, field, reason).
    pub fn rejections(&self) -> Vec<(u64, String, String)> {
        let m = self.manifest();
        let b = m["batches"].as_array().unwrap().last().unwrap().clone();
        let Some(f) = b["rejected_file"].as_str() else {
            return vec![];
        };
        let mut r = csv::Reader::from_path(self.root().join(f)).unwrap();
        r.records()
            .map(|x| {
                let x = x.unwrap();
                (x[1].parse().unwrap(), x[2].to_string(), x[3].to_string())
            })
            .collect()
    }

    /// The workspace's `citybench.duckdb`, read-only, as any DuckDB client opens it.
    pub fn database(&self) -> duckdb::Connection {
        duckdb::Connection::open_with_flags(
            self.root().join("citybench.duckdb"),
            duckdb::Config::default()
                .access_mode(duckdb::AccessMode::ReadOnly)
                .unwrap(),
        )
        .unwrap()
    }

    /// Count rows of the last batch with DuckDB (an independent reader of the Parquet).
    pub fn accepted_rows_duckdb(&self) -> i64 {
        let m = self.manifest();
        let b = m["batches"].as_array().unwrap().last().unwrap().clone();
        let parts = b["parts"].as_array().unwrap();
        if parts.is_empty() {
            return 0;
        }
        let p = self.root().join(parts[0].as_str().unwrap());
        let con = duckdb::Connection::open_in_memory().unwrap();
        con.query_row(
            &format!("select count(*) from read_parquet('{}')", p.display()),
            [],
            |r| r.get(0),
        )
        .unwrap()
    }
}

/// The standard header of the long submission format.
pub const HEADER: &str =
    "city_id,data_point_id,year,value,unit,source,quality,verified,confidential";

/// Geneva's GeoNames id.
pub const GENEVA: &str = "2660646";
/// Stavanger's GeoNames id.
pub const STAVANGER: &str = "3137115";

/// Latest accepted year.
pub fn year_max() -> i32 {
    citybench::ingest::current_year() + 1
}

/// Run `script` with python3 from `/` and return its stdout; None (with a "skipped" line)
/// when python3 cannot import `modules` (`.ci/run` installs them, see notebooks/).
pub fn python(modules: &str, script: &str) -> Option<String> {
    let probe = std::process::Command::new("python3")
        .args(["-c", &format!("import {modules}")])
        .output();
    if !probe.is_ok_and(|o| o.status.success()) {
        eprintln!("skipped: python3 with {modules} is not available (.ci/run installs it)");
        return None;
    }
    let o = std::process::Command::new("python3")
        .args(["-c", script])
        .current_dir("/")
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    Some(String::from_utf8_lossy(&o.stdout).into_owned())
}

/// Every entry under `dir` (its subdirectories included) named as a temporary (`.tmp-`):
/// what a command staged and did not commit or remove.
pub fn temporaries(dir: &Path) -> Vec<PathBuf> {
    let mut found = Vec::new();
    let mut dirs = vec![dir.to_path_buf()];
    while let Some(d) = dirs.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let e = e.unwrap();
            if e.file_name().to_string_lossy().starts_with(".tmp-") {
                found.push(e.path());
            }
            if e.file_type().unwrap().is_dir() {
                dirs.push(e.path());
            }
        }
    }
    found.sort();
    found
}
