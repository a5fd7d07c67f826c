//! Readers never see half a run: `run`, `verify` and `index` publish a whole generation in
//! one step (src/store/publish.rs). A kill at every write step leaves the previous results
//! in force (or, after the switch, the new ones) for `sql`, `snapshot` and any DuckDB client,
//! and the next writer leaves nothing behind; readers racing a writer see one run or the
//! other; a workspace from before generations is converted without a gap.

use std::collections::BTreeSet;
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};

use serde_json::Value;

use crate::util::{Ws, temporaries};

/// One answer from every table a run writes and the tables it carries over (the flags and
/// the index): each part changes with the analysis year, or with the index's uncertainty
/// analysis, so an answer mixed from two publications matches neither.
const QUERY: &str = "select
  (select count(*) from src_observations) as observations,
  (select min(analysis_year) || '/' || max(analysis_year) || '/' || count(*) from src_aligned) as aligned,
  (select min(analysis_year) || '/' || max(analysis_year) || '/' || count(*) || '/' || sum(points) from src_attainment) as attainment,
  (select min(analysis_year) || '/' || max(analysis_year) || '/' || count(*) || '/' || sum(n) from src_peer_stats) as peer_stats,
  (select min(analysis_year) || '/' || count(*) from src_percentiles) as percentiles,
  (select min(analysis_year) || '/' || count(*) from src_gaps) as gaps,
  (select min(analysis_year) || '/' || count(*) || '/' || sum(scored) from src_rollups) as rollups,
  (select min(analysis_year) || '/' || count(*) from src_trends) as trends,
  (select min(analysis_year) || '/' || count(*) from src_maturity_levels) as maturity_levels,
  (select count(*) from src_verification_flags) as flags,
  (select count(*) from src_index_scores) as index_scores,
  (select count(*) from src_index_uncertainty) as index_uncertainty";

/// The two analysis years the tests switch between.
const YEAR_A: &str = "2024";
const YEAR_B: &str = "2022";

fn ok(ws: &Ws, args: &[&str]) -> String {
    let r = ws.run(args);
    assert_eq!(r.code, 0, "{args:?}: {}{}", r.stdout, r.stderr);
    r.stdout
}

/// A workspace of generated cities, run, verified and indexed (so that a run carries the
/// flags and the index over).
fn workspace() -> Ws {
    let ws = Ws::new();
    let out = ws.dir.path().join("g");
    let o = out.to_str().unwrap();
    ok(
        &ws,
        &[
            "generate",
            "--cities",
            "12",
            "--years",
            "2018..2024",
            "--seed",
            "5",
            "--out",
            o,
        ],
    );
    ok(&ws, &["ingest", &format!("{o}/submissions.parquet")]);
    ok(&ws, &["run"]);
    ok(&ws, &["verify"]);
    ok(&ws, &["index"]);
    ws
}

/// What readers see: `sql` (CSV), `snapshot` (JSON without the run id, which differs
/// between two runs of the same inputs) and a DuckDB client opening `citybench.duckdb`.
#[derive(Debug, Clone, PartialEq)]
struct Seen {
    sql: String,
    snapshot: Value,
    client: String,
}

fn seen(ws: &Ws, city: &str) -> Seen {
    let sql = ok(ws, &["sql", QUERY, "--format", "csv"]);
    let mut snapshot: Value =
        serde_json::from_str(&ok(ws, &["snapshot", "--city", city, "--format", "json"])).unwrap();
    snapshot["run"]["run_id"] = Value::Null;
    Seen {
        sql,
        snapshot,
        client: client(ws),
    }
}

/// The query through `ws/citybench.duckdb` (the links), as any DuckDB client opens it.
fn client(ws: &Ws) -> String {
    let con = ws.database();
    let mut st = con.prepare(QUERY).unwrap();
    let n = st.column_count();
    st.query_row([], |r| {
        (0..n)
            .map(|i| {
                r.get::<_, Option<i64>>(i)
                    .map(|v| v.map(|v| v.to_string()).unwrap_or_default())
                    .or_else(|_| r.get::<_, Option<String>>(i).map(|v| v.unwrap_or_default()))
            })
            .collect::<Result<Vec<_>, _>>()
            .map(|v| v.join(","))
    })
    .unwrap()
}

/// A city with values in both analysis years.
fn city(ws: &Ws) -> String {
    ok(
        ws,
        &[
            "sql",
            "select min(city_id) as c from src_aligned",
            "--format",
            "csv",
        ],
    )
    .lines()
    .nth(1)
    .unwrap()
    .to_string()
}

/// The step the crash hook aborted after.
fn step_name(stderr: &str, n: usize) -> String {
    let head = format!("citybench: CITYBENCH_CRASH_AFTER={n}: abort after write step {n} (");
    let at = stderr
        .find(&head)
        .unwrap_or_else(|| panic!("no crash report in {stderr}"));
    let rest = &stderr[at + head.len()..];
    rest[..rest.find(")\n").unwrap()].to_string()
}

/// Steps after the commit point: the new results are in force.
fn after_switch(step: &str) -> bool {
    matches!(step, "switch" | "runs record" | "cleanup")
}

fn names(dir: &Path) -> BTreeSet<String> {
    std::fs::read_dir(dir)
        .map(|rd| {
            rd.map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default()
}

/// Nothing left behind: no temporary entry, the published generation and the previous
/// one only, the database link in place, a run record for every published run.
fn assert_tidy(ws: &Ws, runs: usize) {
    let root = ws.root();
    let tmp = temporaries(&root);
    assert!(tmp.is_empty(), "leftovers: {tmp:?}");
    let current = std::fs::read_link(root.join("derived")).unwrap();
    let gens = names(&root.join("generations"));
    assert_eq!(gens.len(), 2, "{gens:?}");
    assert!(current.starts_with("generations"));
    assert!(gens.contains(&current.file_name().unwrap().to_string_lossy().into_owned()));
    assert_eq!(
        std::fs::read_link(root.join("citybench.duckdb")).unwrap(),
        Path::new("derived/citybench.duckdb")
    );
    if runs > 0 {
        assert_eq!(names(&root.join("runs")).len(), runs);
    }
}

/// Kill `to_b` after each of its write steps in turn, starting from the results of
/// `to_a`: after each kill, every reader answers exactly from the results of `to_a` (or of
/// `to_b` once the switch happened), and `to_a` then runs and leaves nothing behind.
/// Returns the number of write steps.
fn kill_at_every_step(ws: &Ws, to_a: &[&str], to_b: &[&str], counts_runs: bool) -> usize {
    let city = city(ws);
    ok(ws, to_b);
    let b = seen(ws, &city);
    ok(ws, to_a);
    let a = seen(ws, &city);
    assert_ne!(a.sql, b.sql);
    assert_ne!(a.client, b.client);
    let mut runs = names(&ws.root().join("runs")).len();
    let mut published_kills = 0;
    for n in 1.. {
        let r = ws.run_env(&[("CITYBENCH_CRASH_AFTER", &n.to_string())], to_b);
        if r.code == 0 {
            // n is past the last step: the command completed
            assert!(published_kills >= 2, "{published_kills}");
            return n - 1;
        }
        assert_eq!(r.code, -1, "{to_b:?} at {n}: {}{}", r.stdout, r.stderr);
        let step = step_name(&r.stderr, n);
        let want = if after_switch(&step) {
            published_kills += 1;
            runs += usize::from(counts_runs);
            &b
        } else {
            &a
        };
        assert_eq!(&seen(ws, &city), want, "killed after step {n} ({step})");
        // the next writer cleans up, completes and leaves nothing behind
        ok(ws, to_a);
        runs += usize::from(counts_runs);
        assert_tidy(ws, if counts_runs { runs } else { 0 });
        assert_eq!(
            client(ws),
            a.client,
            "after step {n} ({step}) and a new run"
        );
    }
    unreachable!()
}

#[test]
fn a_run_killed_at_any_write_step_leaves_the_previous_run_in_force() {
    let ws = workspace();
    let steps = kill_at_every_step(
        &ws,
        &["run", "--year", YEAR_A],
        &["run", "--year", YEAR_B],
        true,
    );
    // the seeded links, the 13 tables, the database, the run record, the generation's
    // record, the switch, runs/<run-id>.json, the cleanup
    assert_eq!(steps, citybench::schema::derived::TABLES.len() + 7);
}

#[test]
fn an_index_killed_at_any_write_step_leaves_the_previous_index_in_force() {
    let ws = workspace();
    let steps = kill_at_every_step(
        &ws,
        &["index"],
        &["index", "--uncertainty", "20", "--seed", "3"],
        false,
    );
    // the seeded links, 5 tables, the manifest, the database, the generation's record,
    // the switch, the cleanup
    assert_eq!(steps, 11);
}

#[test]
fn readers_racing_a_writer_see_one_run_or_the_other() {
    let ws = workspace();
    ok(&ws, &["run", "--year", YEAR_B]);
    let b = (ok(&ws, &["sql", QUERY, "--format", "csv"]), client(&ws));
    ok(&ws, &["run", "--year", YEAR_A]);
    let a = (ok(&ws, &["sql", QUERY, "--format", "csv"]), client(&ws));
    assert_ne!(a, b);
    let done = AtomicBool::new(false);
    let (sql_reads, client_reads) = std::thread::scope(|s| {
        let writer = s.spawn(|| {
            for i in 0..6 {
                let year = if i % 2 == 0 { YEAR_B } else { YEAR_A };
                let r = ws.run(&["run", "--year", year]);
                assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
            }
            done.store(true, Ordering::SeqCst);
        });
        // `citybench sql`, a process per query
        let sql = s.spawn(|| {
            let mut reads = 0;
            loop {
                let last = done.load(Ordering::SeqCst);
                let r = ws.run(&["sql", QUERY, "--format", "csv"]);
                assert_eq!(r.code, 0, "read {reads}: {}", r.stderr);
                assert!(
                    r.stdout == a.0 || r.stdout == b.0,
                    "read {reads} mixes two runs:\n{}",
                    r.stdout
                );
                reads += 1;
                if last {
                    return reads;
                }
            }
        });
        // a DuckDB client opening citybench.duckdb through the links
        let client_reads = {
            let mut reads = 0;
            loop {
                let last = done.load(Ordering::SeqCst);
                let got = client(&ws);
                assert!(
                    got == a.1 || got == b.1,
                    "client read {reads} mixes two runs: {got}"
                );
                reads += 1;
                if last {
                    break reads;
                }
            }
        };
        writer.join().unwrap();
        (sql.join().unwrap(), client_reads)
    });
    assert!(sql_reads >= 2 && client_reads >= 2);
    // a generation a reader held at a commit is removed by the next writer
    ok(&ws, &["run", "--year", YEAR_A]);
    assert_tidy(&ws, 0);
}

/// Turn the workspace back into the layout before generations: a `derived/` directory
/// holding `files`, and a `citybench.duckdb` file whose views read `derived/<table>.parquet`
/// (what `run` built then).
fn make_legacy(ws: &Ws, files: &Path) {
    let root = ws.root();
    if std::fs::remove_file(root.join("derived")).is_err() {
        let _ = std::fs::remove_dir_all(root.join("derived"));
    }
    let _ = std::fs::remove_file(root.join("citybench.duckdb"));
    let _ = std::fs::remove_dir_all(root.join("generations"));
    let derived = root.join("derived");
    std::fs::create_dir(&derived).unwrap();
    for f in std::fs::read_dir(files).unwrap() {
        let f = f.unwrap();
        std::fs::copy(f.path(), derived.join(f.file_name())).unwrap();
    }
    let con = duckdb::Connection::open(root.join("citybench.duckdb")).unwrap();
    let view = |name: &str| {
        format!(
            "select * from read_parquet('{}')",
            derived.join(format!("{name}.parquet")).display()
        )
    };
    for (name, _) in citybench::schema::derived::TABLES {
        con.execute_batch(&format!("create view src_{name} as {}", view(name)))
            .unwrap();
    }
    for (name, empty) in citybench::warehouse::OPTIONAL_SOURCES {
        let select = if derived.join(format!("{name}.parquet")).exists() {
            view(name)
        } else {
            empty.to_string()
        };
        con.execute_batch(&format!("create view src_{name} as {select}"))
            .unwrap();
    }
    for (name, _, sql) in citybench::warehouse::MODELS {
        con.execute_batch(&format!(
            "create view {name} as\n{}",
            citybench::warehouse::strip_statement(sql)
        ))
        .unwrap();
    }
    con.execute_batch("checkpoint").unwrap();
}

#[test]
fn a_workspace_from_before_generations_is_converted_without_a_gap() {
    let ws = workspace();
    let city = city(&ws);
    ok(&ws, &["run", "--year", YEAR_B]);
    let b = seen(&ws, &city);
    ok(&ws, &["run", "--year", YEAR_A]);
    let a = seen(&ws, &city);
    // the tables of A, as an older citybench left them in derived/
    let saved = ws.dir.path().join("saved");
    std::fs::create_dir(&saved).unwrap();
    let current = std::fs::canonicalize(ws.root().join("derived")).unwrap();
    for f in std::fs::read_dir(&current).unwrap() {
        let f = f.unwrap();
        let name = f.file_name().to_string_lossy().into_owned();
        if name.ends_with(".parquet") || name == "index_manifest.json" {
            std::fs::copy(f.path(), saved.join(&name)).unwrap();
        }
    }
    make_legacy(&ws, &saved);
    assert_eq!(seen(&ws, &city), a, "the older layout reads as before");
    // a kill after each step of the conversion: the results of A, for every reader
    let mut adopted = vec![];
    for n in 1.. {
        make_legacy(&ws, &saved);
        let r = ws.run_env(
            &[("CITYBENCH_CRASH_AFTER", &n.to_string())],
            &["run", "--year", YEAR_B],
        );
        assert_eq!(r.code, -1, "{}{}", r.stdout, r.stderr);
        let step = step_name(&r.stderr, n);
        if !step.starts_with("adopt: ") {
            break;
        }
        assert_eq!(seen(&ws, &city), a, "killed after step {n} ({step})");
        adopted.push(step);
        // the next run converts what is left and publishes
        ok(&ws, &["run", "--year", YEAR_B]);
        assert_tidy(&ws, 0);
        assert_eq!(seen(&ws, &city), b, "after step {n} and a new run");
        // the newest run record is A's again (the older layout reads its run from runs/)
        ok(&ws, &["run", "--year", YEAR_A]);
    }
    assert_eq!(
        adopted,
        [
            "adopt: files",
            "adopt: database",
            "adopt: switch",
            "adopt: database link",
            "adopt: cleanup"
        ]
    );
    // converted by a run: the earlier results are the previous generation, then replaced
    make_legacy(&ws, &saved);
    ok(&ws, &["run", "--year", YEAR_B]);
    assert_tidy(&ws, 0);
    let gens = names(&ws.root().join("generations"));
    assert!(gens.iter().any(|g| g.ends_with("-adopted")), "{gens:?}");
    assert_eq!(seen(&ws, &city), b);
}

#[test]
fn verify_and_index_publish_with_the_other_tables_linked_not_copied() {
    use std::os::unix::fs::MetadataExt;
    let ws = workspace();
    let inode = |dir: &Path, f: &str| std::fs::metadata(dir.join(f)).unwrap().ino();
    let before = std::fs::canonicalize(ws.root().join("derived")).unwrap();
    ok(&ws, &["verify"]);
    let after = std::fs::canonicalize(ws.root().join("derived")).unwrap();
    assert_ne!(before, after);
    for t in [
        "observations.parquet",
        "aligned.parquet",
        "index_scores.parquet",
        "run.json",
    ] {
        assert_eq!(inode(&before, t), inode(&after, t), "{t}");
    }
    assert_ne!(
        inode(&before, "verification_flags.parquet"),
        inode(&after, "verification_flags.parquet")
    );
    assert_ne!(
        inode(&before, "citybench.duckdb"),
        inode(&after, "citybench.duckdb")
    );
    // the published generation names its predecessor
    let record: Value =
        serde_json::from_slice(&std::fs::read(after.join("generation.json")).unwrap()).unwrap();
    assert_eq!(record["command"], "verify");
    assert_eq!(
        record["previous"].as_str().unwrap(),
        before.file_name().unwrap().to_string_lossy()
    );
    // a run's record names the generation that published it
    ok(&ws, &["run"]);
    let current = std::fs::read_link(ws.root().join("derived")).unwrap();
    let run: Value =
        serde_json::from_slice(&std::fs::read(ws.root().join("derived/run.json")).unwrap())
            .unwrap();
    assert_eq!(
        Path::new("generations").join(run["generation"].as_str().unwrap()),
        current
    );
    let copy = ws
        .root()
        .join("runs")
        .join(format!("{}.json", run["run_id"].as_str().unwrap()));
    assert_eq!(
        std::fs::read(copy).unwrap(),
        std::fs::read(ws.root().join("derived/run.json")).unwrap()
    );
}

#[test]
fn duckdb_polars_and_python_read_through_the_links() {
    use polars::prelude::*;
    let ws = workspace();
    let root = ws.root();
    // DuckDB: the database link, and a glob over the derived link
    let con = ws.database();
    let n: i64 = con
        .query_row("select count(*) from city_scorecard", [], |r| r.get(0))
        .unwrap();
    assert!(n > 0);
    let files: i64 = duckdb::Connection::open_in_memory()
        .unwrap()
        .query_row(
            &format!(
                "select count(distinct filename) from read_parquet('{}/derived/*.parquet', filename = true)",
                root.display()
            ),
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert!(files as usize >= citybench::schema::derived::TABLES.len());
    // Polars through the derived link
    let aligned = LazyFrame::scan_parquet(
        PlRefPath::new(
            root.join("derived/aligned.parquet")
                .to_string_lossy()
                .as_ref(),
        ),
        ScanArgsParquet::default(),
    )
    .unwrap()
    .collect()
    .unwrap();
    assert!(aligned.height() > 0);
    // `sql` may read the derived tables through the link (its allowed directory)
    let r = ok(
        &ws,
        &[
            "sql",
            &format!(
                "select count(*) > 0 as ok from read_parquet('{}/derived/aligned.parquet')",
                root.display()
            ),
            "--format",
            "csv",
        ],
    );
    assert_eq!(r, "ok\ntrue\n");
    // Python duckdb and Polars, when installed (CI)
    let script = format!(
        "import duckdb, polars as pl\n\
         con = duckdb.connect('{r}/citybench.duckdb', read_only=True)\n\
         print(con.execute('select count(*) from city_scorecard').fetchone()[0] > 0)\n\
         print(pl.read_parquet('{r}/derived/aligned.parquet').height > 0)\n\
         print(pl.scan_parquet('{r}/derived/aligned*.parquet').collect().height > 0)",
        r = root.display()
    );
    if let Some(out) = crate::util::python("duckdb, polars", &script) {
        assert_eq!(out, "True\nTrue\nTrue\n");
    }
}
