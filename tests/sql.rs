//! `citybench sql`: read-only, locked to the workspace, DuckDB's messages, every output
//! format, the example queries, the checks, and the database opened from Python.

use crate::pipeline::generated;
use crate::util::Ws;

fn demo_like() -> Ws {
    generated(120, 9)
}

#[test]
fn escapes_are_refused_each_with_its_reason() {
    let ws = demo_like();
    let passwd_target = ws.dir.path().join("out.csv");
    let cases: [(&str, &str); 8] = [
        (
            &format!("COPY (SELECT 1) TO '{}'", passwd_target.display()),
            "refused: citybench sql runs one read-only query at a time (SELECT, WITH, FROM, DESCRIBE, SHOW, SUMMARIZE); COPY statements are not allowed",
        ),
        (
            "copy stg_cities to 'derived/x.csv'",
            "COPY statements are not allowed",
        ),
        (
            "SELECT * FROM read_csv('/etc/passwd')",
            "Permission Error: Cannot access file \"/etc/passwd\" - file system operations are disabled by configuration",
        ),
        (
            "ATTACH '/tmp/other.duckdb' AS o",
            "ATTACH statements are not allowed",
        ),
        ("INSTALL httpfs", "INSTALL statements are not allowed"),
        ("LOAD httpfs", "LOAD statements are not allowed"),
        (
            "SET enable_external_access = true",
            "SET statements are not allowed",
        ),
        (
            "SELECT 1; COPY (SELECT 1) TO '/tmp/x.csv'",
            "refused: citybench sql runs one read-only query at a time (SELECT, WITH, FROM, DESCRIBE, SHOW, SUMMARIZE); this input holds 2 statements (SELECT, COPY) separated by ';': run them one by one",
        ),
    ];
    for (sql, expected) in cases {
        let r = ws.run(&["sql", sql]);
        assert_eq!(r.code, 2, "{sql}: {}", r.stdout);
        assert!(r.stderr.starts_with("error: "), "{sql}: {}", r.stderr);
        assert!(r.stderr.contains(expected), "{sql}:\n{}", r.stderr);
        assert!(r.stdout.is_empty(), "{sql}: {}", r.stdout);
    }
    assert!(!passwd_target.exists());
    assert!(!ws.root().join("derived/x.csv").exists());
    // a table function reading a system file inside a valid SELECT is refused by DuckDB
    let r = ws.run(&["sql", "select * from read_text('/etc/hostname')"]);
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("Permission Error"), "{}", r.stderr);
    // the workspace's own files may be read
    let r = ws.run(&[
        "sql",
        &format!(
            "select count(*) as n from read_parquet('{}/derived/catalog.parquet')",
            ws.root().display()
        ),
        "--format",
        "csv",
    ]);
    assert_eq!(r.stdout, "n\n113\n", "{}", r.stderr);
}

#[test]
fn malformed_sql_shows_duckdb_message_and_exits_2() {
    let ws = demo_like();
    // DuckDB's message in terms of the user's own text: its line and caret, never the
    // `SELECT * FROM query('...')` wrapper citybench runs it in
    let r = ws.run(&["sql", "selec 1"]);
    assert_eq!(r.code, 2);
    assert_eq!(
        r.stderr,
        "error: Parser Error: syntax error at or near \"selec\"\n\nLINE 1: selec 1\n        ^^^^^\n"
    );
    let r = ws.run(&["sql", "select city_id,\n nope from city_scorecard"]);
    assert_eq!(r.code, 2);
    assert_eq!(
        r.stderr,
        "error: Binder Error: Referenced column \"nope\" not found in FROM clause!\nCandidate bindings: \"continent\", \"source_year\", \"confidential\", \"attainment_pct\", \"gap_target_pct\"\n\nLINE 2:  nope from city_scorecard\n         ^^^^\n"
    );
    // a long line DuckDB cuts to a window: the window of the user's line, not the wrapper's
    let r = ws.run(&[
        "sql",
        "select data_point_id, kpi_name, data_point from stg_catalog where data_point <> '' limit 3",
    ]);
    assert_eq!(r.code, 2);
    assert_eq!(
        r.stderr,
        "error: Binder Error: Referenced column \"data_point\" not found in FROM clause!\nCandidate bindings: \"data_point_id\", \"catalog_position\", \"direction\", \"category\", \"kpi_name\"\n\nLINE 1: ... data_point_id, kpi_name, data_point from stg_catalog where data_point <> '' limit 3\n                                                                       ^^^^^^^^^^\n"
    );
    // a message without a position in the text stays as DuckDB wrote it
    let r = ws.run(&["sql", "select 'a'::int as x"]);
    assert_eq!(r.code, 2);
    assert_eq!(
        r.stderr,
        "error: Conversion Error: Could not convert string 'a' to INT32\n"
    );
    let ws2 = Ws::new();
    let r = ws2.run(&["sql", "select 1"]);
    assert_eq!(r.code, 2);
    assert_eq!(
        r.stderr,
        format!(
            "error: {}/citybench.duckdb does not exist yet; run `citybench -w {} run` first\n",
            ws2.root().display(),
            ws2.root().display()
        )
    );
}

#[test]
fn output_formats_files_and_the_prompt() {
    let ws = demo_like();
    let q = "select data_point_id, direction from stg_catalog order by data_point_id limit 2";
    let csv = ws.run(&["sql", q, "--format", "csv"]).stdout;
    assert_eq!(
        csv,
        "data_point_id,direction\nEC-I-B-1A,higher_better\nEC-I-B-2A,higher_better\n"
    );
    let json = ws.run(&["sql", q, "--format", "json"]).stdout;
    let v: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(v[0]["data_point_id"], "EC-I-B-1A");
    let nd = ws.run(&["sql", q, "--format", "ndjson"]).stdout;
    assert_eq!(nd.lines().count(), 2);
    let md = ws.run(&["sql", q, "--format", "markdown"]).stdout;
    assert!(md.starts_with("| data_point_id | direction |"), "{md}");
    let table = ws.run(&["sql", q]).stdout;
    assert!(table.contains("EC-I-B-2A"), "{table}");
    let out = ws.dir.path().join("q.parquet");
    let r = ws.run(&[
        "sql",
        q,
        "--format",
        "parquet",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let con = duckdb::Connection::open_in_memory().unwrap();
    let n: i64 = con
        .query_row(
            &format!("select count(*) from read_parquet('{}')", out.display()),
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(n, 2);
    let r = ws.run(&["sql", q, "--format", "parquet"]);
    assert_eq!(r.code, 2);
    assert_eq!(
        r.stderr,
        "error: --format parquet writes a file: give --out FILE.parquet\n"
    );
    // -f FILE, and the prompt reading statements ended by ';' from standard input
    let f = ws.file("q.sql", format!("-- two rows\n{q};\n"));
    let r = ws.run(&["sql", "-f", f.to_str().unwrap(), "--format", "csv"]);
    assert_eq!(r.stdout, csv);
    let mut c = assert_cmd::Command::cargo_bin("citybench").unwrap();
    let o = c
        .arg("-w")
        .arg(ws.root())
        .args(["sql", "--format", "csv"])
        .write_stdin(format!(
            "{q};\nselect 40 +\n 2 as x;\n.quit\nselect 'never';\n"
        ))
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(0));
    assert_eq!(String::from_utf8_lossy(&o.stdout), format!("{csv}x\n42\n"));
}

/// Run the prompt (`sql --format csv`) on `stdin`: (exit code, stdout, stderr).
fn prompt(ws: &Ws, stdin: &str) -> (Option<i32>, String, String) {
    let o = assert_cmd::Command::cargo_bin("citybench")
        .unwrap()
        .arg("-w")
        .arg(ws.root())
        .args(["sql", "--format", "csv"])
        .write_stdin(stdin.to_string())
        .output()
        .unwrap();
    (
        o.status.code(),
        String::from_utf8_lossy(&o.stdout).into_owned(),
        String::from_utf8_lossy(&o.stderr).into_owned(),
    )
}

const HELP: &str = ".help     this list
.tables   the views and tables to query
.clear    discard the unfinished statement
.quit     exit (also .exit and Ctrl-D; an unfinished statement is not run)
End a statement with ';' to run it; it may span lines.
";

#[test]
fn the_prompt_knows_its_dot_commands_even_inside_a_statement() {
    let ws = demo_like();
    // .help lists the commands; the .quit after it quits (was: swallowed as SQL)
    let r = prompt(&ws, ".help\n.quit\nselect 'never';\n");
    assert_eq!(r, (Some(0), HELP.to_string(), String::new()));
    // typed while a statement is pending: .help answers and the statement goes on; .quit
    // quits without running the unfinished one
    let r = prompt(
        &ws,
        "select 40 +\n.help\n 2 as x;\nselect 'unfinished'\n.exit\nselect 'never';\n",
    );
    assert_eq!(
        r,
        (
            Some(0),
            format!("{HELP}x\n42\n"),
            "(the unfinished statement was not run)\n".to_string()
        )
    );
    // .clear drops a pending statement; .tables lists the views
    let r = prompt(&ws, "select nope\n.clear\nselect 1 as y;\n.tables\n");
    assert_eq!(r.0, Some(0), "{}", r.2);
    assert!(r.1.starts_with("y\n1\nname\n"), "{}", r.1);
    assert!(r.1.contains("\ncity_scorecard\n"), "{}", r.1);
    // an unknown command or arguments are errors (exit 2 once the input ends)
    let r = prompt(&ws, ".schema city_scorecard\n.quit now\nselect 3 as z;\n");
    assert_eq!(
        r,
        (
            Some(2),
            "z\n3\n".to_string(),
            "error: unknown command .schema; .help lists the commands (.help, .tables, .clear, .quit)\n\
             error: .quit takes no arguments\n\
             error: one or more queries failed (messages above)\n"
                .to_string()
        )
    );
}

#[test]
fn every_example_runs_and_every_check_is_empty() {
    let ws = demo_like();
    // every example built into the binary runs by name, as from its file in the checkout
    for (name, file, _) in citybench::warehouse::EXAMPLES {
        let r = ws.run(&["sql", "--example", name, "--format", "csv"]);
        assert_eq!(r.code, 0, "{name}: {}", r.stderr);
        assert!(r.stdout.lines().count() >= 1, "{name}");
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/").to_string() + file;
        let from_file = ws.run(&["sql", "-f", &path, "--format", "csv"]);
        assert_eq!(from_file.stdout, r.stdout, "{name}");
    }
    for (name, file, _) in citybench::warehouse::CHECKS {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/").to_string() + file;
        let r = ws.run(&["sql", "-f", &path, "--format", "csv"]);
        assert_eq!(r.code, 0, "{name}: {}", r.stderr);
        assert_eq!(
            r.stdout.lines().count(),
            1,
            "{name} returned rows:\n{}",
            r.stdout
        );
    }
}

#[test]
fn the_examples_are_built_in_and_listed() {
    // every file of queries/examples/ is built in
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/queries/examples");
    let mut files: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|f| f.ends_with(".sql"))
        .collect();
    files.sort();
    let mut built_in: Vec<String> = citybench::warehouse::EXAMPLES
        .iter()
        .map(|(name, _, _)| format!("{name}.sql"))
        .collect();
    built_in.sort();
    assert_eq!(files, built_in);
    // the listing needs no workspace
    let ws = Ws::new();
    let r = ws.run(&["sql", "--examples"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(
        r.stdout,
        "Example queries (run one: citybench sql --example NAME; their SQL is in queries/examples/):
  distribution_by_population_band  How is one KPI distributed in each U4SSC population band (< 100k, 100k-500k, 500k-1M, >= 1M)?
  europe_median_misses_target      On which KPIs does the median European city miss the default (U4SSC) target?
  index_leaders_by_continent       The three best-ranked cities of each continent on the composite index, with their overall rank.
  index_rank_intervals             The top 20 of the composite index with their rank intervals: which places are solid and which hinge on the weights and methods (run `citybench index --uncertainty 1000` first; without it the interval columns are empty).
  kpi_maturity_by_continent        How mature are cities' KPI performances (ITU-T Y.4904) on each continent?
  low_coverage_dimensions          Which cities have a dimension (Economy, Environment, Society and Culture) whose roll-up covers less than half of its scorable items?
  peers_beating_me_on_water_loss   Which cities of my peer group (same population band) do better than me on water supply loss (EC-I-WS-3C, lower is better)?
  staircase_violations             Which self-assessments break the EU-China white paper's staircase principles?
  top_cities_overall               The 20 best cities by overall U4SSC roll-up score, among cities whose overall coverage (scored / non-neutral items) reaches a minimum; ties by city name.
  verification_worklist            Which cities should a verifier look at first?
  worsening_trends_by_continent    Per continent, what share of the KPI trends that can be judged against a target are moving away from it (status 'worsening')?
"
    );
    // an unknown name is refused before the workspace is opened
    let r = ws.run(&["sql", "--example", "nope"]);
    assert_eq!(r.code, 2);
    assert_eq!(
        r.stderr,
        "error: unknown example 'nope'; `citybench sql --examples` lists them\n"
    );
    let r = ws.run(&["sql", "--example", "top_cities_overall", "select 1"]);
    assert_eq!(r.code, 2);
    assert!(
        r.stderr
            .contains("the argument '--example <NAME>' cannot be used with '[QUERY]'"),
        "{}",
        r.stderr
    );
}

#[test]
fn a_check_fails_the_run_when_the_data_breaks_it() {
    // the check SQL is real: a percentile of 150 is caught
    let ws = demo_like();
    let con = duckdb::Connection::open_in_memory().unwrap();
    let sql = citybench::warehouse::CHECKS
        .iter()
        .find(|c| c.0 == "assert_percentile_range")
        .unwrap()
        .2;
    con.execute_batch(&format!(
        "create view stg_percentiles as select * replace (150.0 as percentile) from (
             select analysis_year, grouping, \"group\" as peer_group, city_id, data_point_id, value, n,
                    percentile, suppressed, confidential
             from read_parquet('{}/derived/percentiles.parquet') where percentile is not null limit 3)",
        ws.root().display()
    ))
    .unwrap();
    let n: i64 = con
        .query_row(
            &format!(
                "select count(*) from ({})",
                citybench::warehouse::strip_statement(sql)
            ),
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(n, 3);
}

#[test]
fn the_database_opens_from_python_in_another_directory() {
    let ws = demo_like();
    let script = format!(
        "import duckdb\n\
         c = duckdb.connect('{}', read_only=True)\n\
         print(c.execute(\"select count(*) from city_scorecard\").fetchone()[0])\n\
         print(c.execute(\"select count(*) from peer_benchmarks where not suppressed\").fetchone()[0] > 0)\n",
        ws.root().join("citybench.duckdb").display()
    );
    let Some(out) = crate::util::python("duckdb", &script) else {
        return;
    };
    let mut lines = out.lines();
    let n: i64 = lines.next().unwrap().parse().unwrap();
    assert!(n > 10_000, "{n}");
    assert_eq!(lines.next(), Some("True"));
}
