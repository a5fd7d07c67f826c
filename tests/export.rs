//! `citybench export`: the marts as a hive-partitioned dataset read back by DuckDB (and by
//! pyarrow/Python duckdb when available), byte-identical re-exports, table selection, CSV,
//! and the refusals; `completions`, `man` and `--version`.

use std::path::Path;

use crate::pipeline::generated;
use crate::util::Ws;

fn schema(dir: &Path) -> serde_json::Value {
    serde_json::from_str(&std::fs::read_to_string(dir.join("_schema.json")).unwrap()).unwrap()
}

/// Every file under `dir` (relative path, bytes), sorted.
fn tree(dir: &Path) -> Vec<(String, Vec<u8>)> {
    fn walk(base: &Path, d: &Path, out: &mut Vec<(String, Vec<u8>)>) {
        for e in std::fs::read_dir(d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                walk(base, &p, out);
            } else {
                let rel = p.strip_prefix(base).unwrap().to_string_lossy().into_owned();
                out.push((rel, std::fs::read(&p).unwrap()));
            }
        }
    }
    let mut out = Vec::new();
    walk(dir, dir, &mut out);
    out.sort();
    out
}

#[test]
fn the_export_reads_back_as_the_marts() {
    let ws = generated(80, 21);
    let out = ws.dir.path().join("export");
    let r = ws.run(&["export", "--out", out.to_str().unwrap()]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let m = schema(&out);
    let tables = m["tables"].as_array().unwrap();
    let marts = citybench::warehouse::export::exportable();
    assert_eq!(tables.len(), marts.len());
    assert_eq!(m["format"], "parquet");
    let db = ws.database();
    let reader = duckdb::Connection::open_in_memory().unwrap();
    for t in tables {
        let name = t["name"].as_str().unwrap();
        let rows = t["rows"].as_u64().unwrap();
        let in_view: i64 = db
            .query_row(&format!("SELECT count(*) FROM {name}"), [], |r| r.get(0))
            .unwrap();
        assert_eq!(rows as i64, in_view, "{name}");
        // an independent reader of the files, with hive partitioning
        let glob = out.join(name).join("**").join("*.parquet");
        let back: i64 = reader
            .query_row(
                &format!(
                    "SELECT count(*) FROM read_parquet('{}', hive_partitioning = true)",
                    glob.display()
                ),
                [],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(back, in_view, "{name}");
        // the same columns as the view, partition column included
        let mut st = reader
            .prepare(&format!(
                "DESCRIBE SELECT * FROM read_parquet('{}', hive_partitioning = true)",
                glob.display()
            ))
            .unwrap();
        let mut cols: Vec<String> = st
            .query_map([], |r| r.get(0))
            .unwrap()
            .map(Result::unwrap)
            .collect();
        let mut want: Vec<String> = t["columns"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["name"].as_str().unwrap().to_string())
            .collect();
        cols.sort();
        want.sort();
        assert_eq!(cols, want, "{name}");
        for f in t["files"].as_array().unwrap() {
            assert!(out.join(f.as_str().unwrap()).is_file(), "{f}");
        }
        if rows > 0 && want.iter().any(|c| c == "analysis_year") {
            assert_eq!(t["partition_by"], serde_json::json!(["analysis_year"]));
            assert!(
                t["files"][0]
                    .as_str()
                    .unwrap()
                    .starts_with(&format!("{name}/analysis_year=2024/")),
                "{t}"
            );
        }
    }
    // confidential values stay withheld, as in the views
    let withheld: (i64, i64) = reader
        .query_row(
            &format!(
                "SELECT count(*) FILTER (WHERE confidential), count(*) FILTER (WHERE confidential AND value IS NOT NULL) FROM read_parquet('{}', hive_partitioning = true)",
                out.join("city_scorecard/**/*.parquet").display()
            ),
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap();
    assert!(withheld.0 > 0, "the generated data has confidential values");
    assert_eq!(withheld.1, 0);

    // an earlier export is replaced whole, so one holding a file the export did not write
    // is refused (the file would be lost)
    std::fs::write(out.join("stray.txt"), "left over").unwrap();
    let r = ws.run(&["export", "--out", out.to_str().unwrap()]);
    assert_eq!(r.code, 2, "{}", r.stdout);
    assert_eq!(
        r.stderr,
        format!(
            "error: --out {} holds an earlier export and also stray.txt, which the export did not write; an export is replaced whole, so move stray.txt out or choose another directory\n",
            out.display()
        )
    );
    assert_eq!(
        std::fs::read_to_string(out.join("stray.txt")).unwrap(),
        "left over"
    );
    std::fs::remove_file(out.join("stray.txt")).unwrap();
    // the same workspace exports the same bytes
    let first = tree(&out);
    let r = ws.run(&["export", "--out", out.to_str().unwrap()]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let second = tree(&out);
    assert_eq!(first.len(), second.len());
    for (a, b) in first.iter().zip(&second) {
        assert_eq!(a.0, b.0);
        assert!(a.1 == b.1, "{} differs between two exports", a.0);
    }

    python_reads(&out);
}

/// pyarrow and Python duckdb read the export as is (skipped without them).
fn python_reads(out: &Path) {
    let script = format!(
        r#"import json, pyarrow.dataset as ds, duckdb
root = {root:?}
m = json.load(open(root + "/_schema.json"))
for t in m["tables"]:
    d = ds.dataset(root + "/" + t["path"], format="parquet", partitioning="hive")
    tb = d.to_table()
    assert tb.num_rows == t["rows"], (t["name"], tb.num_rows, t["rows"])
    assert sorted(tb.column_names) == sorted(c["name"] for c in t["columns"]), t["name"]
n = duckdb.sql("SELECT count(*) FROM read_parquet('" + root + "/kpi_gaps/**/*.parquet', hive_partitioning = true)").fetchall()[0][0]
print(len(m["tables"]), n)
"#,
        root = out.display().to_string()
    );
    let Some(text) = crate::util::python("pyarrow, duckdb", &script) else {
        return;
    };
    let n: Vec<u64> = text
        .split_whitespace()
        .map(|x| x.parse().unwrap())
        .collect();
    assert_eq!(
        n[0],
        citybench::warehouse::export::exportable().len() as u64
    );
    assert!(n[1] > 0);
}

#[test]
fn csv_exports_chosen_tables_and_refusals() {
    let ws = generated(40, 22);
    let out = ws.dir.path().join("csv");
    let r = ws.run(&[
        "export",
        "--out",
        out.to_str().unwrap(),
        "--format",
        "csv",
        "--tables",
        "kpi_trends,city_scorecard",
    ]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let m = schema(&out);
    let names: Vec<&str> = m["tables"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["name"].as_str().unwrap())
        .collect();
    // model order, whatever the order asked
    assert_eq!(names, ["city_scorecard", "kpi_trends"]);
    assert_eq!(m["format"], "csv");
    let f = out.join("city_scorecard/analysis_year=2024/data_0.csv");
    let text = std::fs::read_to_string(&f).unwrap();
    assert!(text.starts_with("city_id,city_name,"), "{}", &text[..80]);
    let con = duckdb::Connection::open_in_memory().unwrap();
    let n: i64 = con
        .query_row(
            &format!(
                "SELECT count(*) FROM read_csv('{}/**/*.csv', hive_partitioning = true)",
                out.join("city_scorecard").display()
            ),
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(n as u64, m["tables"][0]["rows"].as_u64().unwrap());

    let r = ws.run(&["export", "--out", "x", "--tables", "scorecard"]);
    assert_eq!(r.code, 2);
    assert_eq!(
        r.stderr,
        format!(
            "error: unknown table 'scorecard' for --tables; valid: {}\n",
            citybench::warehouse::export::exportable().join(", ")
        )
    );
    let r = ws.run(&["export", "--out", "x", "--format", "json"]);
    assert_eq!(r.code, 2);
    assert_eq!(
        r.stderr,
        "error: --format json: an export is a dataset of parquet or csv files, or a duckdb database\n"
    );
    let busy = ws.dir.path().join("busy");
    std::fs::create_dir_all(&busy).unwrap();
    std::fs::write(busy.join("notes.txt"), "mine").unwrap();
    let r = ws.run(&["export", "--out", busy.to_str().unwrap()]);
    assert_eq!(r.code, 2);
    assert_eq!(
        r.stderr,
        format!(
            "error: --out {} is a directory that is neither empty nor an earlier citybench export (no _schema.json); choose another directory\n",
            busy.display()
        )
    );
    assert_eq!(
        std::fs::read_to_string(busy.join("notes.txt")).unwrap(),
        "mine"
    );
    let file = ws.file("a-file", "x");
    let r = ws.run(&["export", "--out", file.to_str().unwrap()]);
    assert_eq!(r.code, 2);
    assert_eq!(
        r.stderr,
        format!(
            "error: --out {} is a file; name a directory\n",
            file.display()
        )
    );

    // the publishable database never replaces a file
    let r = ws.run(&[
        "export",
        "--out",
        file.to_str().unwrap(),
        "--format",
        "duckdb",
    ]);
    assert_eq!(r.code, 2);
    assert_eq!(
        r.stderr,
        format!(
            "error: --out {} exists; citybench does not replace it: remove it or choose another file name\n",
            file.display()
        )
    );
    assert_eq!(std::fs::read_to_string(&file).unwrap(), "x");
    // --format duckdb belongs to export
    let r = ws.run(&["sql", "select 1", "--format", "duckdb"]);
    assert_eq!(r.code, 2);
    assert_eq!(
        r.stderr,
        "error: --format duckdb writes the publishable database of `citybench export`; choose table, csv, json, ndjson, markdown, parquet or html here\n"
    );

    let fresh = Ws::new();
    let r = fresh.run(&["export", "--out", "y"]);
    assert_eq!(r.code, 2);
    assert_eq!(
        r.stderr,
        format!(
            "error: {} does not exist yet; run `citybench -w {} run` first\n",
            std::path::absolute(fresh.root())
                .unwrap()
                .join("citybench.duckdb")
                .display(),
            fresh.root().display()
        )
    );
}

/// `export --format duckdb`: the marts as tables of one database, with `_publication`, and
/// nothing that reads the workspace (the confidentiality attack searches its values).
#[test]
fn the_publishable_database_holds_the_marts_as_tables_only() {
    let ws = generated(40, 22);
    let db = ws.dir.path().join("pub/published.duckdb");
    let r = ws.run(&[
        "export",
        "--out",
        db.to_str().unwrap(),
        "--format",
        "duckdb",
        "--tables",
        "peer_benchmarks,city_scorecard",
    ]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(
        r.stdout
            .starts_with(&format!("{}: 2 tables, ", db.display())),
        "{}",
        r.stdout
    );
    let con = duckdb::Connection::open(&db).unwrap();
    let tables: Vec<(String, String)> = con
        .prepare("SELECT table_name, table_type FROM information_schema.tables ORDER BY 1")
        .unwrap()
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    let base = |t: &str| (t.to_string(), "BASE TABLE".to_string());
    assert_eq!(
        tables,
        [
            base("_publication"),
            base("city_scorecard"),
            base("peer_benchmarks")
        ]
    );
    // the same rows as the workspace's mart
    let ours: i64 = ws
        .database()
        .query_row("SELECT count(*) FROM city_scorecard", [], |r| r.get(0))
        .unwrap();
    let (theirs, listed): (i64, i64) = con
        .query_row(
            "SELECT (SELECT count(*) FROM city_scorecard), (SELECT row_count FROM _publication WHERE table_name = 'city_scorecard')",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap();
    assert_eq!((theirs, listed), (ours, ours));
}

#[test]
fn completions_for_every_shell() {
    let ws = Ws::new();
    for (shell, marker) in [
        ("bash", "_citybench()"),
        ("zsh", "#compdef citybench"),
        ("fish", "complete -c citybench"),
        ("powershell", "Register-ArgumentCompleter"),
        ("elvish", "edit:completion:arg-completer[citybench]"),
    ] {
        let r = ws.run(&["completions", shell]);
        assert_eq!(r.code, 0, "{shell}: {}", r.stderr);
        assert!(r.stdout.contains(marker), "{shell}");
        for sub in ["template", "export", "ingest", "index"] {
            assert!(r.stdout.contains(sub), "{shell} lacks {sub}");
        }
    }
    // bash loads the script and registers the function
    let r = ws.run(&["completions", "bash"]);
    let script = ws.file("citybench.bash", &r.stdout);
    let o = std::process::Command::new("bash")
        .args([
            "-c",
            &format!("source {} && complete -p citybench", script.display()),
        ])
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(String::from_utf8_lossy(&o.stdout).contains("-F _citybench"));
    let r = ws.run(&["completions", "tcsh"]);
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("invalid value 'tcsh'"), "{}", r.stderr);
}

#[test]
fn man_pages_match_the_committed_copies() {
    let ws = Ws::new();
    let r = ws.run(&["man"]);
    assert_eq!(r.code, 0);
    assert!(
        r.stdout.starts_with(".ie \\n(.g .ds Aq \\(aq"),
        "{}",
        &r.stdout[..60]
    );
    assert!(r.stdout.contains(".TH citybench 1"), "{}", &r.stdout[..300]);
    let dir = ws.dir.path().join("man");
    let r = ws.run(&["man", "--out", dir.to_str().unwrap()]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let pages = citybench::cli::man::pages().unwrap();
    assert!(pages.iter().any(|p| p.0 == "citybench-template.1"));
    let committed = Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/man");
    for (name, text) in &pages {
        assert_eq!(&std::fs::read(dir.join(name)).unwrap(), text, "{name}");
        let old = std::fs::read(committed.join(name)).unwrap_or_default();
        assert!(
            &old == text,
            "docs/man/{name} is stale: regenerate with `cargo run --release -- man --out docs/man`"
        );
    }
    let n = std::fs::read_dir(&committed).unwrap().count();
    assert_eq!(n, pages.len(), "docs/man has pages of removed commands");
}

#[test]
fn version_names_the_catalogue() {
    let ws = Ws::new();
    let r = ws.run(&["--version"]);
    assert_eq!(r.code, 0);
    assert_eq!(
        r.stdout,
        format!(
            "citybench {} (catalogue u4ssc-y4903-r2: U4SSC KPIs, ITU-T Y.4903, 113 data points)\n",
            env!("CARGO_PKG_VERSION")
        )
    );
}

#[test]
fn notebooks_are_stored_without_outputs() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("notebooks");
    let mut n = 0;
    for e in std::fs::read_dir(&dir).unwrap() {
        let p = e.unwrap().path();
        if p.extension().is_none_or(|x| x != "ipynb") {
            continue;
        }
        n += 1;
        let nb: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(&p).unwrap()).unwrap();
        for cell in nb["cells"].as_array().unwrap() {
            if cell["cell_type"] == "code" {
                assert_eq!(cell["outputs"], serde_json::json!([]), "{}", p.display());
                assert!(cell["execution_count"].is_null(), "{}", p.display());
            }
        }
    }
    assert!(n >= 3, "{n} notebooks");
}
