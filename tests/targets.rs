//! `citybench targets`: the targets and benchmarks in force on a small workspace (a city
//! override, a group override, benchmarks with exact values, a confidential value left out,
//! a data point with too few values), the listing for a city agreeing with what `run`
//! scored, `set` and `unset` round trips that the next run uses, every refusal with its
//! exact message (the file unchanged), the file's other bytes kept, the table's width and
//! the other formats; `catalog --long` with the default targets.

use std::collections::HashMap;
use std::path::PathBuf;

use crate::util::{GENEVA, HEADER, STAVANGER, Ws, temporaries};

const ZURICH: &str = "2657896";
const BASEL: &str = "2661604";
const LAUSANNE: &str = "2659994";
const FRIBOURG: &str = "2660718";
const NAIROBI: &str = "184745";
/// Six European cities and one African, in this order.
const CITIES: [&str; 7] = [
    GENEVA, ZURICH, BASEL, LAUSANNE, FRIBOURG, STAVANGER, NAIROBI,
];

/// Submissions for 2024:
/// - EC-ICT-ICT-1C (default target 100): 90, 91, ... 96;
/// - EC-ICT-ICT-2C (higher is better, no default target): 10, 20, ... 70 -> benchmark =
///   mean of the 5 best = (70 + 60 + 50 + 40 + 30) / 5 = 50, on 7 values;
/// - EC-I-WS-3C (lower is better, no default target): 12, 8, 20, 15, 30, 5 (Stavanger,
///   confidential), 40 -> benchmark = mean of the 5 lowest published = (8 + 12 + 15 + 20 +
///   30) / 5 = 17, on 6 values;
/// - EC-ICT-ICT-3C (no default target): four cities only -> no benchmark (5 needed).
fn workspace() -> Ws {
    let ws = Ws::new();
    let loss = [12, 8, 20, 15, 30, 5, 40];
    let mut csv = format!("{HEADER}\n");
    for (i, c) in CITIES.iter().enumerate() {
        csv.push_str(&format!(
            "{c},EC-ICT-ICT-1C,2024,{},%,src,measured,false,false\n",
            90 + i
        ));
        csv.push_str(&format!(
            "{c},EC-ICT-ICT-2C,2024,{},%,src,measured,false,false\n",
            10 * (i + 1)
        ));
        csv.push_str(&format!(
            "{c},EC-I-WS-3C,2024,{},%,src,measured,false,{}\n",
            loss[i],
            *c == STAVANGER
        ));
        if i < 4 {
            csv.push_str(&format!(
                "{c},EC-ICT-ICT-3C,2024,{},per 100 000 inhabitants,src,measured,false,false\n",
                1000 * (i + 1)
            ));
        }
    }
    let r = ws.ingest(&ws.file("s.csv", &csv));
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    ws
}

fn targets_file(ws: &Ws) -> PathBuf {
    ws.root().join("targets.csv")
}

/// Run and expect success.
fn ok(ws: &Ws, args: &[&str]) -> String {
    let r = ws.run(args);
    assert_eq!(r.code, 0, "{args:?}\n{}{}", r.stdout, r.stderr);
    r.stdout
}

/// CSV text -> rows of (column -> cell).
fn records(text: &str) -> Vec<HashMap<String, String>> {
    let mut rdr = csv::Reader::from_reader(text.as_bytes());
    let h: Vec<String> = rdr.headers().unwrap().iter().map(str::to_string).collect();
    rdr.records()
        .map(|r| {
            let r = r.unwrap();
            h.iter()
                .cloned()
                .zip(r.iter().map(str::to_string))
                .collect()
        })
        .collect()
}

/// The listing as CSV records.
fn listing(ws: &Ws, extra: &[&str]) -> Vec<HashMap<String, String>> {
    let mut args = vec!["targets", "--format", "csv"];
    args.extend_from_slice(extra);
    records(&ok(ws, &args))
}

/// The fields that matter of one listing row, in one line.
fn line(r: &HashMap<String, String>) -> String {
    [
        "data_point_id",
        "reference_kind",
        "target_scope",
        "applies_to",
        "target",
        "worst",
        "tolerance",
        "target_year",
        "benchmark_n",
        "target_source",
        "defined_in",
    ]
    .iter()
    .map(|k| r[*k].as_str())
    .collect::<Vec<_>>()
    .join("|")
}

fn lines_of(rows: &[HashMap<String, String>], dp: &str) -> Vec<String> {
    rows.iter()
        .filter(|r| r["data_point_id"] == dp)
        .map(line)
        .collect()
}

const BENCH_2C: &str = "benchmark: the mean of the 5 best performers of 7 cities with a published value in 2024 (computed each run; confidential values left out; not a normative target)";
const BENCH_3C: &str = "benchmark: the mean of the 5 best performers of 6 cities with a published value in 2024 (computed each run; confidential values left out; not a normative target)";

#[test]
fn listing_before_and_after_a_run_with_overrides_and_exact_benchmarks() {
    let ws = workspace();
    // before any run: defaults, benchmarks to come
    let r = ws.run(&[
        "targets",
        "--format",
        "csv",
        "--data-point",
        "EC-ICT-ICT-2C",
    ]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(
        r.stderr,
        format!(
            "note: nothing has run in {} yet: benchmarks appear after `citybench run`\n",
            ws.root().display()
        )
    );
    assert_eq!(
        lines_of(&records(&r.stdout), "EC-ICT-ICT-2C"),
        [
            "EC-ICT-ICT-2C|benchmark|benchmark|all cities without a target||||||benchmark: computed by `citybench run` from the published values; nothing has run yet|"
        ]
    );
    // overrides: Geneva's own, Europe's, written with `set`
    ok(
        &ws,
        &[
            "targets",
            "set",
            "--data-point",
            "EC-ICT-ICT-2C",
            "--value",
            "80",
            "--year",
            "2030",
            "--source",
            "Geneva digital plan, 2030",
            "--city",
            GENEVA,
        ],
    );
    ok(
        &ws,
        &[
            "targets",
            "set",
            "--data-point",
            "EC-ICT-ICT-2C",
            "--value",
            "65",
            "--source",
            "European broadband goal",
            "--grouping",
            "continent",
            "--group",
            "Europe",
        ],
    );
    ok(&ws, &["run"]);
    let all = listing(&ws, &[]);
    // one row per data point, plus the two overrides
    assert_eq!(all.len(), 113 + 2);
    let run_id = {
        let v = &all
            .iter()
            .find(|r| r["reference_kind"] == "benchmark")
            .unwrap()["defined_in"];
        v.strip_prefix("run ").unwrap().to_string()
    };
    assert_eq!(
        lines_of(&all, "EC-ICT-ICT-2C"),
        [
            format!("EC-ICT-ICT-2C|benchmark|benchmark|all cities without a target|50.0|||2024|7|{BENCH_2C}|run {run_id}"),
            "EC-ICT-ICT-2C|target|city|2660646 (Geneva, CH)|80.0|||2030||Geneva digital plan, 2030|targets.csv:2".to_string(),
            "EC-ICT-ICT-2C|target|group|continent = Europe|65.0|||||European broadband goal|targets.csv:3".to_string(),
        ]
    );
    assert_eq!(
        lines_of(&all, "EC-I-WS-3C"),
        [format!(
            "EC-I-WS-3C|benchmark|benchmark|all cities without a target|17.0|||2024|6|{BENCH_3C}|run {run_id}"
        )]
    );
    assert_eq!(
        lines_of(&all, "EC-ICT-ICT-3C"),
        [
            "EC-ICT-ICT-3C|none||||||||no target, and no benchmark in the last run (one needs published values of at least 5 cities in 2024)|"
        ]
    );
    assert_eq!(
        lines_of(&all, "EC-ICT-ICT-1C"),
        [
            "EC-ICT-ICT-1C|target|default|all cities|100.0|0.0||2030||ITU/UN Envoy on Technology Universal Meaningful Connectivity (UMC) targets for 2030: 100% of households connected to the Internet|embedded"
        ]
    );
    assert_eq!(
        lines_of(&all, "SC-SH-SI-1C"),
        [
            "SC-SH-SI-1C|target|default|all cities|1.0||0.5|2030||SDG 8.5: equal pay for work of equal value by 2030 (parity ratio = 1); tolerance 0.5 = METHODOLOGY.md section 6 default|embedded"
        ]
    );
    assert_eq!(
        lines_of(&all, "EC-P-EM-3A"),
        ["EC-P-EM-3A|none||||||||neutral: not scored|"]
    );
    // for a city: its own target, its group's, the benchmark
    let one = |city: &str| {
        let rows = listing(&ws, &["--city", city, "--data-point", "EC-ICT-ICT-2C"]);
        assert_eq!(rows.len(), 1);
        line(&rows[0])
    };
    assert_eq!(
        one(GENEVA),
        "EC-ICT-ICT-2C|target|city|2660646 (Geneva, CH)|80.0|||2030||Geneva digital plan, 2030|targets.csv:2"
    );
    assert_eq!(
        one(ZURICH),
        "EC-ICT-ICT-2C|target|group|continent = Europe|65.0|||||European broadband goal|targets.csv:3"
    );
    assert_eq!(
        one(NAIROBI),
        format!(
            "EC-ICT-ICT-2C|benchmark|benchmark|all cities without a target|50.0|||2024|7|{BENCH_2C}|run {run_id}"
        )
    );
    // filters
    let kinds = |extra: &[&str]| {
        let rows = listing(&ws, extra);
        let n = |k: &str| rows.iter().filter(|r| r["reference_kind"] == k).count();
        (n("target"), n("benchmark"), n("none"))
    };
    // 36 default targets + 2 overrides; benchmarks where 5+ cities published (2 data points);
    // none for the 5 neutral data points and the other 70 without enough values
    assert_eq!(kinds(&[]), (38, 2, 75));
    assert_eq!(kinds(&["--kind", "benchmark"]), (0, 2, 0));
    assert_eq!(kinds(&["--city", GENEVA]), (37, 1, 75));
    assert_eq!(kinds(&["--city", NAIROBI]), (36, 2, 75));
    let env = listing(&ws, &["--dimension", "environment"]);
    assert!(!env.is_empty() && env.iter().all(|r| r["dimension"] == "Environment"));
    // the listing for each city agrees with what the run scored it against
    for city in CITIES {
        let mine: HashMap<String, HashMap<String, String>> = listing(&ws, &["--city", city])
            .into_iter()
            .map(|r| (r["data_point_id"].clone(), r))
            .collect();
        let scored = records(&ok(
            &ws,
            &[
                "sql",
                &format!(
                    "select data_point_id, coalesce(reference_kind, 'none') as kind, target_scope, target, target_year, target_source, benchmark_n from stg_attainment where city_id = '{city}'"
                ),
                "--format",
                "csv",
            ],
        ));
        assert_eq!(scored.len(), 113);
        for s in scored {
            let m = &mine[&s["data_point_id"]];
            let num = |x: &str| x.parse::<f64>().ok();
            assert_eq!(
                (
                    m["reference_kind"].as_str(),
                    m["target_scope"].as_str(),
                    num(&m["target"]),
                    m["target_year"].as_str(),
                    m["benchmark_n"].as_str()
                ),
                (
                    s["kind"].as_str(),
                    s["target_scope"].as_str(),
                    num(&s["target"]),
                    s["target_year"].as_str(),
                    s["benchmark_n"].as_str()
                ),
                "{city} {}",
                s["data_point_id"]
            );
            if m["reference_kind"] != "none" {
                assert_eq!(m["target_source"], s["target_source"]);
            }
        }
    }
    // a change after the run is named
    ok(
        &ws,
        &[
            "targets",
            "set",
            "--data-point",
            "EC-I-WS-3C",
            "--value",
            "10",
            "--source",
            "s",
            "--city",
            NAIROBI,
        ],
    );
    let r = ws.run(&["targets", "--kind", "none", "--format", "csv"]);
    assert_eq!(
        r.stderr,
        format!(
            "note: {} changed after the last run ({run_id}); `citybench run` applies it (the published results use the targets of that run)\n",
            targets_file(&ws).display()
        )
    );
    ok(&ws, &["run"]);
    assert_eq!(ws.run(&["targets"]).stderr, "");
}

#[test]
fn the_table_fits_100_columns_and_lists_every_source_in_full() {
    let ws = workspace();
    ok(&ws, &["run"]);
    ok(
        &ws,
        &[
            "targets",
            "set",
            "--data-point",
            "EC-ICT-ICT-2C",
            "--value",
            "80",
            "--year",
            "2030",
            "--source",
            "Geneva digital plan, 2030",
            "--city",
            GENEVA,
        ],
    );
    // a group with a long name: the table still fits, the group is in the note in full
    ok(
        &ws,
        &[
            "targets",
            "set",
            "--data-point",
            "EC-ICT-ICT-5C",
            "--value",
            "400",
            "--source",
            "Western European WiFi pact",
            "--grouping",
            "un_region",
            "--group",
            "Western Europe",
        ],
    );
    for extra in [vec![], vec!["--city", GENEVA]] {
        let mut args = vec!["targets"];
        args.extend(extra.iter());
        let out = ok(&ws, &args);
        for l in out.lines() {
            assert!(l.chars().count() <= 100, "{} > 100: {l}", l.chars().count());
        }
        // every source in full, once, in the notes (lines joined)
        let notes: String = out
            .split("\nsources:\n")
            .nth(1)
            .unwrap()
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ");
        assert!(notes.contains("[1] ITU/UN Envoy on Technology Universal Meaningful Connectivity (UMC) targets for 2030: 100% of households connected to the Internet"), "{notes}");
        assert!(notes.contains("benchmark: the mean of the 5 best performers of the n cities with a published value in 2024 (computed each run; confidential values left out; not a normative target)"), "{notes}");
        assert!(
            notes.contains("2660646 (Geneva, CH): Geneva digital plan, 2030"),
            "{notes}"
        );
        assert!(
            notes.contains("un_region = Western Europe: Western European WiFi pact"),
            "{notes}"
        );
    }
    // every override: its row names whom it is for under its data point's default row
    let out = ok(&ws, &["targets", "--data-point", "EC-ICT-ICT-5C"]);
    let rows: Vec<Vec<&str>> = out
        .lines()
        .filter(|l| l.starts_with("EC-ICT-ICT-5C "))
        .map(|l| {
            l.split("  ")
                .map(str::trim)
                .filter(|c| !c.is_empty())
                .collect()
        })
        .collect();
    assert_eq!(rows.len(), 2, "{out}");
    assert_eq!(
        rows[0][1..3],
        ["Availability of WIFI in Public Areas", "none"]
    );
    assert_eq!(
        rows[1][1..],
        [
            "↳ un_region = Western Europe",
            "group target",
            "400 count",
            "[2]"
        ]
    );
    let out = ok(
        &ws,
        &["targets", "--city", GENEVA, "--dimension", "economy"],
    );
    let lines: Vec<&str> = out.lines().collect();
    let rows = listing(&ws, &["--city", GENEVA, "--dimension", "economy"]);
    let n = |k: &str| rows.iter().filter(|r| r["reference_kind"] == k).count();
    assert_eq!((n("benchmark"), rows.len()), (1, 55));
    assert_eq!(
        lines[0],
        format!(
            "Targets and benchmarks in force for 2660646 (Geneva, CH): {} target, 1 benchmark, {} none",
            n("target"),
            n("none")
        )
    );
    assert!(
        lines[1].starts_with("targets: the embedded defaults and "),
        "{out}"
    );
    let row = |id: &str| {
        lines
            .iter()
            .find(|l| l.starts_with(&format!("{id} ")))
            .unwrap()
            .split("  ")
            .map(str::trim)
            .filter(|c| !c.is_empty())
            .collect::<Vec<_>>()
    };
    assert_eq!(
        row("EC-ICT-ICT-1C")[2..],
        ["default target", "100 %", "0", "2030", "[1]"]
    );
    assert_eq!(
        row("EC-ICT-ICT-2C")[2..],
        ["city target", "80 %", "2030", "[2]"]
    );
    let bench = row("EC-I-WS-3C");
    assert_eq!(bench[2..5], ["benchmark n=6", "17 %", "2024"]);
    assert!(bench[5].starts_with('[') && bench.len() == 6, "{bench:?}");
}

#[test]
fn every_format_and_the_out_rule() {
    let ws = workspace();
    ok(&ws, &["run"]);
    let j: serde_json::Value = serde_json::from_str(&ok(
        &ws,
        &["targets", "--format", "json", "--kind", "benchmark"],
    ))
    .unwrap();
    assert_eq!(j.as_array().unwrap().len(), 2);
    assert_eq!(j[0]["data_point_id"], "EC-ICT-ICT-2C");
    assert_eq!(j[0]["target"], 50.0);
    assert_eq!(j[0]["benchmark_n"], 7);
    assert_eq!(j[0]["worst"], serde_json::Value::Null);
    let nd = ok(&ws, &["targets", "--format", "ndjson"]);
    assert_eq!(nd.lines().count(), 113);
    let md = ok(
        &ws,
        &[
            "targets",
            "--format",
            "markdown",
            "--data-point",
            "EC-I-WS-3C",
        ],
    );
    assert!(md.starts_with("| data_point_id | name | dimension | direction | unit | reference_kind | target_scope | applies_to | target | worst | tolerance | target_year | target_source | benchmark_n | defined_in |\n"), "{md}");
    let html = ok(&ws, &["targets", "--format", "html"]);
    assert!(html.starts_with("<!DOCTYPE html>"));
    let pq = ws.dir.path().join("t.parquet");
    ok(
        &ws,
        &[
            "targets",
            "--format",
            "parquet",
            "--out",
            pq.to_str().unwrap(),
        ],
    );
    let n: i64 = duckdb::Connection::open_in_memory()
        .unwrap()
        .query_row(
            &format!(
                "select count(*) from read_parquet('{}') where reference_kind = 'target'",
                pq.display()
            ),
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(n, 36);
    let r = ws.run(&[
        "targets",
        "--format",
        "parquet",
        "--out",
        pq.to_str().unwrap(),
    ]);
    assert_eq!(r.code, 2);
    assert_eq!(
        r.stderr,
        format!(
            "error: {} exists; pass --force to replace it\n",
            pq.display()
        )
    );
    let r = ws.run(&["targets", "--format", "duckdb"]);
    assert_eq!(r.code, 2);
    // without a workspace: the embedded defaults
    let d = tempfile::tempdir().unwrap();
    let none = d.path().join("nowhere");
    let o = assert_cmd::Command::cargo_bin("citybench")
        .unwrap()
        .args([
            "-w",
            none.to_str().unwrap(),
            "targets",
            "--kind",
            "target",
            "--format",
            "csv",
        ])
        .env_remove("CITYBENCH_WORKSPACE")
        .output()
        .unwrap();
    assert!(o.status.success());
    assert_eq!(
        String::from_utf8_lossy(&o.stderr),
        format!(
            "note: {} is not a workspace (no citybench.toml): the embedded default targets; benchmarks appear after `citybench run` in a workspace\n",
            none.display()
        )
    );
    assert_eq!(records(&String::from_utf8_lossy(&o.stdout)).len(), 36);
    // bad filters
    let r = ws.run(&["targets", "--data-point", "EC-ICT-ICT-2X"]);
    assert_eq!(
        r.stderr,
        "error: unknown data point 'EC-ICT-ICT-2X'; did you mean 'EC-ICT-ICT-2C'?\n"
    );
    // a name is accepted when unique; Geneva is also a town in the US
    let r = ws.run(&["targets", "--city", "Geneva"]);
    assert_eq!(
        r.stderr,
        "error: 'Geneva' names 2 cities; pass the id of the one you mean:\n  2660646  Geneva, CH, population 201741\n  4893591  Geneva, US, population 21806\n"
    );
    let r = ws.run(&["targets", "--city", "Genevva"]);
    assert_eq!(
        r.stderr,
        "error: unknown city id 'Genevva' (`citybench cities --search NAME` finds ids)\n"
    );
    let r = ws.run(&["targets", "--dimension", "Economie"]);
    assert_eq!(r.code, 0);
    assert_eq!(
        r.stderr,
        "no reference matches the filters (dimensions: Economy, Environment, Society and Culture)\n"
    );
}

/// (column, value) of the attainment of `city` for `dp` in the published run.
fn scored(ws: &Ws, city: &str, dp: &str) -> String {
    ok(
        ws,
        &[
            "sql",
            &format!(
                "select target, target_scope, reference_kind, target_source, attainment from stg_attainment where city_id = '{city}' and data_point_id = '{dp}'"
            ),
            "--format",
            "csv",
        ],
    )
    .lines()
    .nth(1)
    .unwrap()
    .to_string()
}

#[test]
fn set_and_unset_round_trip_through_run() {
    let ws = workspace();
    ok(&ws, &["run"]);
    assert_eq!(
        scored(&ws, ZURICH, "EC-ICT-ICT-2C"),
        format!("50.0,benchmark,benchmark,{BENCH_2C},0.4")
    );
    let out = ok(
        &ws,
        &[
            "targets",
            "set",
            "--data-point",
            "EC-ICT-ICT-2C",
            "--value",
            "40",
            "--year",
            "2030",
            "--source",
            "Zurich plan",
            "--city",
            ZURICH,
        ],
    );
    let f = targets_file(&ws);
    assert_eq!(
        out,
        format!(
            "created {p}\n{p}:2: the city target of EC-ICT-ICT-2C for 2657896 (Zürich, CH) is now 40 (2030; source: Zurich plan)\n`citybench -w {w} run` applies it; until then the published results use the previous targets.\n",
            p = f.display(),
            w = ws.root().display()
        )
    );
    assert_eq!(
        std::fs::read_to_string(&f).unwrap(),
        "data_point_id,target,worst,tolerance,target_year,source,city_id,grouping,group\nEC-ICT-ICT-2C,40,,,2030,Zurich plan,2657896,,\n"
    );
    // not yet applied
    assert!(scored(&ws, ZURICH, "EC-ICT-ICT-2C").starts_with("50.0,benchmark"));
    ok(&ws, &["run"]);
    // 20 / 40
    assert_eq!(
        scored(&ws, ZURICH, "EC-ICT-ICT-2C"),
        "40.0,city,target,Zurich plan,0.5"
    );
    // replace: the same line, new values
    let out = ok(
        &ws,
        &[
            "targets",
            "set",
            "--data-point",
            "EC-ICT-ICT-2C",
            "--value",
            "25",
            "--worst",
            "0",
            "--source",
            "Zurich plan, revised",
            "--city",
            ZURICH,
            "--replace",
        ],
    );
    assert!(
        out.contains(&format!(
            "{}:2: the city target of EC-ICT-ICT-2C for 2657896 (Zürich, CH) is now 25 (worst 0; source: Zurich plan, revised)\n  (it was 40 (2030; source: Zurich plan))\n",
            f.display()
        )),
        "{out}"
    );
    // a workspace default and a group target for a lower-is-better data point
    ok(
        &ws,
        &[
            "targets",
            "set",
            "--data-point",
            "EC-I-WS-3C",
            "--value",
            "10",
            "--source",
            "national water strategy",
        ],
    );
    let r = ws.run(&[
        "targets",
        "set",
        "--data-point",
        "EC-I-WS-3C",
        "--value",
        "25",
        "--source",
        "AU water",
        "--grouping",
        "continent",
        "--group",
        "Afirca",
    ]);
    assert_eq!(r.code, 0);
    assert_eq!(
        r.stderr,
        "note: no city is in continent = Afirca, so this target applies to no city; did you mean 'Africa'?\n"
    );
    ok(
        &ws,
        &[
            "targets",
            "unset",
            "--data-point",
            "EC-I-WS-3C",
            "--grouping",
            "continent",
            "--group",
            "Afirca",
        ],
    );
    ok(
        &ws,
        &[
            "targets",
            "set",
            "--data-point",
            "EC-I-WS-3C",
            "--value",
            "20",
            "--source",
            "AU water",
            "--grouping",
            "continent",
            "--group",
            "Africa",
        ],
    );
    assert_eq!(
        std::fs::read_to_string(&f).unwrap(),
        "data_point_id,target,worst,tolerance,target_year,source,city_id,grouping,group\n\
         EC-ICT-ICT-2C,25,0,,,\"Zurich plan, revised\",2657896,,\n\
         EC-I-WS-3C,10,,,,national water strategy,,,\n\
         EC-I-WS-3C,20,,,,AU water,,continent,Africa\n"
    );
    ok(&ws, &["run"]);
    assert_eq!(
        scored(&ws, ZURICH, "EC-ICT-ICT-2C"),
        "25.0,city,target,\"Zurich plan, revised\",0.8"
    );
    // Basel: 10 / 20 (default); Nairobi: 20 / 40 (group)
    assert_eq!(
        scored(&ws, BASEL, "EC-I-WS-3C"),
        "10.0,default,target,national water strategy,0.5"
    );
    assert_eq!(
        scored(&ws, NAIROBI, "EC-I-WS-3C"),
        "20.0,group,target,AU water,0.5"
    );
    // unset the city target: the benchmark again, and what applies now is said
    let out = ok(
        &ws,
        &[
            "targets",
            "unset",
            "--data-point",
            "EC-ICT-ICT-2C",
            "--city",
            ZURICH,
        ],
    );
    let run_id = listing(&ws, &["--kind", "benchmark"])[0]["defined_in"].clone();
    assert_eq!(
        out,
        format!(
            "{p}: removed the city target of EC-ICT-ICT-2C for 2657896 (Zürich, CH) (line 2: 25 (worst 0; source: Zurich plan, revised))\nnow in force for 2657896 (Zürich, CH): benchmark 50 pct (n = 7, {run_id})\n`citybench -w {w} run` applies it; until then the published results use the previous targets.\n",
            p = f.display(),
            w = ws.root().display()
        )
    );
    let out = ok(&ws, &["targets", "unset", "--data-point", "EC-I-WS-3C"]);
    assert!(
        out.contains("\nnow in force for all cities: benchmark 17 pct (n = 6, run "),
        "{out}"
    );
    assert_eq!(
        std::fs::read_to_string(&f).unwrap(),
        "data_point_id,target,worst,tolerance,target_year,source,city_id,grouping,group\n\
         EC-I-WS-3C,20,,,,AU water,,continent,Africa\n"
    );
    ok(&ws, &["run"]);
    assert!(scored(&ws, ZURICH, "EC-ICT-ICT-2C").starts_with("50.0,benchmark,benchmark,"));
    assert!(scored(&ws, BASEL, "EC-I-WS-3C").starts_with("17.0,benchmark,benchmark,"));
    assert_eq!(
        scored(&ws, NAIROBI, "EC-I-WS-3C"),
        "20.0,group,target,AU water,0.5"
    );
}

/// A hand-written file: a byte-order mark, CRLF line ends, a blank line, a quoted source
/// with a comma and a line break, no `city_id` column, no line end at the end.
const HAND: &str = "\u{feff}data_point_id,target,worst,tolerance,target_year,source\r\n\
EC-ICT-ICT-2C,70,,,2030,\"Plan, part 1\r\nsee annex\"\r\n\
\r\n\
EC-I-WS-3C,15,40,,,  national plan  ";

#[test]
fn edits_keep_every_other_byte_of_the_file() {
    let ws = workspace();
    let f = targets_file(&ws);
    std::fs::write(&f, HAND).unwrap();
    // a city target needs the city_id column: added to the header, empty on the other rows
    let out = ok(
        &ws,
        &[
            "targets",
            "set",
            "--data-point",
            "EC-ICT-ICT-2C",
            "--value",
            "85",
            "--source",
            "Geneva \"Smart\" plan",
            "--city",
            GENEVA,
        ],
    );
    assert!(
        out.starts_with(&format!(
            "added the column(s) city_id to {}, empty on its other rows\n",
            f.display()
        )),
        "{out}"
    );
    let after_set = "\u{feff}data_point_id,target,worst,tolerance,target_year,source,city_id\r\n\
EC-ICT-ICT-2C,70,,,2030,\"Plan, part 1\r\nsee annex\",\r\n\
\r\n\
EC-I-WS-3C,15,40,,,  national plan  ,\r\n\
EC-ICT-ICT-2C,85,,,,\"Geneva \"\"Smart\"\" plan\",2660646\r\n";
    assert_eq!(std::fs::read_to_string(&f).unwrap(), after_set);
    // replacing the multi-line row touches that row only, its line end kept
    ok(
        &ws,
        &[
            "targets",
            "set",
            "--data-point",
            "EC-ICT-ICT-2C",
            "--value",
            "75",
            "--source",
            "Plan 2",
            "--replace",
        ],
    );
    let after_replace = "\u{feff}data_point_id,target,worst,tolerance,target_year,source,city_id\r\n\
EC-ICT-ICT-2C,75,,,,Plan 2,\r\n\
\r\n\
EC-I-WS-3C,15,40,,,  national plan  ,\r\n\
EC-ICT-ICT-2C,85,,,,\"Geneva \"\"Smart\"\" plan\",2660646\r\n";
    assert_eq!(std::fs::read_to_string(&f).unwrap(), after_replace);
    // a group target adds grouping and group
    ok(
        &ws,
        &[
            "targets",
            "set",
            "--data-point",
            "EC-I-WS-3C",
            "--value",
            "12",
            "--source",
            "EU",
            "--grouping",
            "continent",
            "--group",
            "Europe",
        ],
    );
    let after_group = "\u{feff}data_point_id,target,worst,tolerance,target_year,source,city_id,grouping,group\r\n\
EC-ICT-ICT-2C,75,,,,Plan 2,,,\r\n\
\r\n\
EC-I-WS-3C,15,40,,,  national plan  ,,,\r\n\
EC-ICT-ICT-2C,85,,,,\"Geneva \"\"Smart\"\" plan\",2660646,,\r\n\
EC-I-WS-3C,12,,,,EU,,continent,Europe\r\n";
    assert_eq!(std::fs::read_to_string(&f).unwrap(), after_group);
    // unset removes one row with its line end
    ok(&ws, &["targets", "unset", "--data-point", "EC-I-WS-3C"]);
    let after_unset = "\u{feff}data_point_id,target,worst,tolerance,target_year,source,city_id,grouping,group\r\n\
EC-ICT-ICT-2C,75,,,,Plan 2,,,\r\n\
\r\n\
EC-ICT-ICT-2C,85,,,,\"Geneva \"\"Smart\"\" plan\",2660646,,\r\n\
EC-I-WS-3C,12,,,,EU,,continent,Europe\r\n";
    assert_eq!(std::fs::read_to_string(&f).unwrap(), after_unset);
    // and `run` reads the result as it reads any targets file
    ok(&ws, &["run"]);
    assert_eq!(
        scored(&ws, GENEVA, "EC-ICT-ICT-2C"),
        "85.0,city,target,\"Geneva \"\"Smart\"\" plan\",0.11764705882352941"
    );
    // no temporary file left behind
    let names = temporaries(&ws.root());
    assert!(names.is_empty(), "{names:?}");
}

#[test]
fn every_refusal_names_its_reason_and_leaves_the_file_unchanged() {
    let ws = workspace();
    let f = targets_file(&ws);
    let before = "data_point_id,target,worst,tolerance,target_year,source,city_id\nEC-ICT-ICT-2C,80,,,2030,City plan,2660646\n";
    std::fs::write(&f, before).unwrap();
    let p = f.display().to_string();
    fn set<'a>(extra: &[&'a str]) -> Vec<&'a str> {
        let mut args = vec!["targets", "set"];
        args.extend_from_slice(extra);
        args
    }
    let cases: Vec<(Vec<&str>, String)> = vec![
        (
            set(&["--data-point", "EC-ICT-ICT-2X", "--value", "80", "--source", "x"]),
            "--data-point: unknown data point 'EC-ICT-ICT-2X'; did you mean 'EC-ICT-ICT-2C'?".into(),
        ),
        (
            set(&["--data-point", "EC-ICT-ICT-2C", "--value", "80", "--source", "x", "--city", "26606460"]),
            "--city: unknown city '26606460'; did you mean 2660646 (Geneva, CH)?".into(),
        ),
        (
            set(&["--data-point", "EC-ICT-ICT-2C", "--value", "80", "--source", "x", "--city", "Geneva"]),
            "'Geneva' names 2 cities; pass the id of the one you mean:\n  2660646  Geneva, CH, population 201741\n  4893591  Geneva, US, population 21806".into(),
        ),
        (
            set(&["--data-point", "EC-ICT-ICT-2C", "--value", "80", "--source", "x", "--grouping", "continet", "--group", "Europe"]),
            "--grouping: 'continet' is not a configured grouping; configured: all, population_band, economy, continent, un_region".into(),
        ),
        (
            set(&["--data-point", "EC-P-EM-3A", "--value", "5", "--source", "x"]),
            "--value: EC-P-EM-3A is neutral (no better direction); neutral data points take no target".into(),
        ),
        (
            set(&["--data-point", "SC-SH-SI-1C", "--value", "1", "--source", "x"]),
            "--tolerance: SC-SH-SI-1C is a target band and needs a tolerance > 0 (attainment = 1 - |value - target| / tolerance)".into(),
        ),
        (
            set(&["--data-point", "SC-SH-SI-1C", "--value", "1", "--tolerance", "0", "--source", "x"]),
            "--tolerance: SC-SH-SI-1C is a target band and needs a tolerance > 0 (attainment = 1 - |value - target| / tolerance)".into(),
        ),
        (
            set(&["--data-point", "EC-ICT-ICT-2C", "--value", "80", "--tolerance", "-1", "--source", "x"]),
            "--tolerance: must be > 0 (got -1)".into(),
        ),
        (
            set(&["--data-point", "EC-ICT-ICT-2C", "--value", "80", "--tolerance", "5", "--source", "x"]),
            "--tolerance: EC-ICT-ICT-2C is higher_better; a tolerance applies only to a target band".into(),
        ),
        (
            set(&["--data-point", "SC-SH-SI-1C", "--value", "1", "--tolerance", "0.5", "--worst", "0", "--source", "x"]),
            "--worst: SC-SH-SI-1C is a target band, scored by its tolerance; it takes no worst goalpost".into(),
        ),
        (
            set(&["--data-point", "EC-ICT-ICT-2C", "--value", "inf", "--source", "x"]),
            "--value: 'inf' is not a number; write a plain decimal such as 0.5 or 100".into(),
        ),
        (
            set(&["--data-point", "EC-ICT-ICT-2C", "--value", "NaN", "--source", "x"]),
            "--value: 'NaN' is not a number; write a plain decimal such as 0.5 or 100".into(),
        ),
        (
            set(&["--data-point", "EC-ICT-ICT-2C", "--value", "1e999", "--source", "x"]),
            "--value: '1e999' is not a number; write a plain decimal such as 0.5 or 100".into(),
        ),
        (
            set(&["--data-point", "EC-ICT-ICT-2C", "--value", "80%", "--source", "x"]),
            "--value: '80%' is not a number; write a plain decimal such as 0.5 or 100".into(),
        ),
        (
            set(&["--data-point", "EC-ICT-ICT-2C", "--value", "", "--source", "x"]),
            "--value: empty; an override must give a target value".into(),
        ),
        (
            set(&["--data-point", "EC-ICT-ICT-2C", "--value", "120", "--source", "x"]),
            "--value: 120 is outside the values EC-ICT-ICT-2C can take (0..100 pct)".into(),
        ),
        (
            set(&["--data-point", "EC-ICT-ICT-2C", "--value", "-1", "--source", "x"]),
            "--value: -1 is outside the values EC-ICT-ICT-2C can take (0..100 pct)".into(),
        ),
        (
            set(&["--data-point", "EC-ICT-ICT-3C", "--value", "-1", "--source", "x"]),
            "--value: -1 is outside the values EC-ICT-ICT-3C can take (0.. per_100k_pop)".into(),
        ),
        (
            set(&["--data-point", "EC-ICT-ICT-2C", "--value", "80", "--worst", "101", "--source", "x"]),
            "--worst: 101 is outside the values EC-ICT-ICT-2C can take (0..100 pct)".into(),
        ),
        (
            set(&["--data-point", "EC-ICT-ICT-2C", "--value", "80", "--worst", "90", "--source", "x"]),
            "--worst: EC-ICT-ICT-2C is higher_better, so the worst goalpost lies below the target (got worst 90, target 80)".into(),
        ),
        (
            set(&["--data-point", "EC-I-WS-3C", "--value", "10", "--worst", "5", "--source", "x"]),
            "--worst: EC-I-WS-3C is lower_better, so the worst goalpost lies above the target (got worst 5, target 10)".into(),
        ),
        (
            set(&["--data-point", "EC-ICT-ICT-2C", "--value", "80"]),
            "--source: missing; a target names its source (a document, article or table, e.g. \"City plan 2030\")".into(),
        ),
        (
            set(&["--data-point", "EC-ICT-ICT-2C", "--value", "80", "--source", "  "]),
            "--source: missing; a target names its source (a document, article or table, e.g. \"City plan 2030\")".into(),
        ),
        (
            set(&["--data-point", "EC-ICT-ICT-2C", "--value", "80", "--source", "x", "--year", "2030x"]),
            "--year: '2030x' is not a year; write e.g. 2030".into(),
        ),
        (
            set(&["--data-point", "EC-ICT-ICT-2C", "--value", "70", "--source", "x", "--city", GENEVA]),
            format!("{p}:2 already has the city target of EC-ICT-ICT-2C for 2660646 (Geneva, CH): 80 (2030; source: City plan); pass --replace to change it"),
        ),
        (
            vec!["targets", "unset", "--data-point", "EC-ICT-ICT-2C", "--city", ZURICH],
            format!("{p} has no row for the city target of EC-ICT-ICT-2C for 2657896 (Zürich, CH); nothing to unset"),
        ),
        (
            vec!["targets", "unset", "--data-point", "EC-ICT-ICT-2C"],
            format!("{p} has no row for the workspace default target of EC-ICT-ICT-2C; nothing to unset"),
        ),
        (
            vec!["targets", "unset", "--data-point", "EC-ICT-ICT-2C", "--grouping", "continent", "--group", "Europe"],
            format!("{p} has no row for the group target of EC-ICT-ICT-2C for continent = Europe; nothing to unset"),
        ),
        (
            vec!["targets", "unset", "--data-point", "EC-ICT-ICT-2X"],
            "--data-point: unknown data point 'EC-ICT-ICT-2X'; did you mean 'EC-ICT-ICT-2C'?".into(),
        ),
        (
            vec!["targets", "unset", "--data-point", "EC-ICT-ICT-2C", "--city", "nowhere"],
            "--city: unknown city 'nowhere'".into(),
        ),
        (
            vec!["targets", "unset", "--data-point", "EC-ICT-ICT-2C", "--grouping", "economy x", "--group", "x"],
            "--grouping: 'economy x' is not a configured grouping; configured: all, population_band, economy, continent, un_region".into(),
        ),
    ];
    for (args, message) in &cases {
        let r = ws.run(args);
        assert_eq!(r.code, 2, "{args:?}: {}{}", r.stdout, r.stderr);
        assert_eq!(r.stderr, format!("error: {message}\n"), "{args:?}");
        assert_eq!(r.stdout, "", "{args:?}");
        assert_eq!(std::fs::read_to_string(&f).unwrap(), before, "{args:?}");
    }
    // the command line's own refusals (clap): a city and a group, half a group
    let clap = [
        (
            set(&[
                "--data-point",
                "EC-ICT-ICT-2C",
                "--value",
                "80",
                "--source",
                "x",
                "--city",
                GENEVA,
                "--grouping",
                "continent",
                "--group",
                "Europe",
            ]),
            "error: the argument '--city <CITY>' cannot be used with:",
        ),
        (
            set(&[
                "--data-point",
                "EC-ICT-ICT-2C",
                "--value",
                "80",
                "--source",
                "x",
                "--grouping",
                "continent",
            ]),
            "error: the following required arguments were not provided:",
        ),
        (
            vec![
                "targets",
                "--city",
                GENEVA,
                "set",
                "--data-point",
                "EC-ICT-ICT-2C",
                "--value",
                "8",
            ],
            "error: the subcommand 'set' cannot be used with '--city <CITY>'",
        ),
    ];
    for (args, first) in clap {
        let r = ws.run(&args);
        assert_eq!(r.code, 2, "{args:?}");
        assert_eq!(r.stderr.lines().next(), Some(first), "{}", r.stderr);
        assert_eq!(std::fs::read_to_string(&f).unwrap(), before);
    }
    // a broken file is named, line and reason, and not touched
    let broken =
        "data_point_id,target,worst,tolerance,target_year,source\nEC-ICT-ICT-2C,95%,,,,x\n";
    std::fs::write(&f, broken).unwrap();
    let r = ws.run(&set(&[
        "--data-point",
        "EC-I-WS-3C",
        "--value",
        "10",
        "--source",
        "x",
    ]));
    assert_eq!(
        r.stderr,
        format!(
            "error: {p}:2: target: '95%' is not a number; write a plain decimal such as 0.5 or 100\n"
        )
    );
    assert_eq!(std::fs::read_to_string(&f).unwrap(), broken);
    // unset without a file
    std::fs::remove_file(&f).unwrap();
    let r = ws.run(&["targets", "unset", "--data-point", "EC-ICT-ICT-2C"]);
    assert_eq!(
        r.stderr,
        format!(
            "error: {p} does not exist or is empty: the workspace has no targets of its own to unset\n"
        )
    );
    assert!(!f.exists());
    // another writer holds the lock
    let held = citybench::store::Workspace::open(&ws.root()).unwrap();
    let lock = held.lock().unwrap();
    let r = ws.run(&set(&[
        "--data-point",
        "EC-I-WS-3C",
        "--value",
        "10",
        "--source",
        "x",
    ]));
    assert_eq!(r.code, 2);
    assert!(
        r.stderr.starts_with(&format!(
            "error: workspace {} is locked by another citybench process (pid ",
            ws.root().display()
        )),
        "{}",
        r.stderr
    );
    assert!(!f.exists());
    drop(lock);
    // outside a workspace
    let d = tempfile::tempdir().unwrap();
    let none = d.path().join("nowhere");
    let o = assert_cmd::Command::cargo_bin("citybench")
        .unwrap()
        .args([
            "-w",
            none.to_str().unwrap(),
            "targets",
            "set",
            "--data-point",
            "EC-ICT-ICT-2C",
            "--value",
            "80",
            "--source",
            "x",
        ])
        .env_remove("CITYBENCH_WORKSPACE")
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    assert_eq!(
        String::from_utf8_lossy(&o.stderr),
        format!(
            "error: {}: not a citybench workspace (no citybench.toml); create one with `citybench init {}`\n",
            none.display(),
            none.display()
        )
    );
}

#[test]
fn catalog_long_shows_the_default_targets() {
    let ws = Ws::new();
    let rows = records(&ok(&ws, &["catalog", "--long", "--format", "csv"]));
    assert_eq!(rows.len(), 113);
    let get = |id: &str| rows.iter().find(|r| r["data_point_id"] == id).unwrap();
    let r = get("EC-ICT-ICT-1C");
    assert_eq!(
        (
            r["default_target"].as_str(),
            r["default_target_year"].as_str(),
            r["default_target_source"].as_str()
        ),
        (
            "100.0",
            "2030",
            "ITU/UN Envoy on Technology Universal Meaningful Connectivity (UMC) targets for 2030: 100% of households connected to the Internet"
        )
    );
    let r = get("EC-ICT-ICT-2C");
    assert_eq!(
        (
            r["default_target"].as_str(),
            r["default_target_year"].as_str(),
            r["default_target_source"].as_str()
        ),
        ("", "", "")
    );
    assert_eq!(
        rows.iter()
            .filter(|r| !r["default_target"].is_empty())
            .count(),
        36
    );
    // the short listing is unchanged
    let short = ok(&ws, &["catalog", "--format", "csv"]);
    assert!(short.starts_with(
        "data_point_id,name,dimension,category,tier,canonical_unit,direction,direction_source\n"
    ));
}
