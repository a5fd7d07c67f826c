//! What a city sees: `snapshot`, `compare` and `report` on a small hand-made workspace with
//! hand-computed figures (percentiles, quartiles, gaps, best peer), a confidential peer, a
//! neutral KPI, suppression below k, a city without data and an unknown id; the report
//! loaded in headless Chromium (skipped with a message when no browser is installed).

use serde_json::Value;

use crate::util::{GENEVA, HEADER, STAVANGER, Ws};

const ZURICH: &str = "2657896";
const BASEL: &str = "2661604";
const LAUSANNE: &str = "2659994";
const FRIBOURG: &str = "2660718";
/// A registry city without any submission.
const BERN: &str = "2661552";

/// Six Swiss and Norwegian cities on household internet access (higher is better, target
/// 100) and PM10 (lower is better, target 15); Zürich's internet value is confidential;
/// Geneva also reports a neutral KPI, a KPI without target and three years of internet.
fn workspace() -> Ws {
    let ws = Ws::new();
    let mut csv = format!("{HEADER}\n");
    let rows: [(&str, &str, i32, f64, &str, bool); 17] = [
        (GENEVA, "EC-ICT-ICT-1C", 2022, 90.0, "%", false),
        (GENEVA, "EC-ICT-ICT-1C", 2023, 93.0, "%", false),
        (GENEVA, "EC-ICT-ICT-1C", 2024, 96.0, "%", false),
        (ZURICH, "EC-ICT-ICT-1C", 2024, 99.0, "%", true),
        (BASEL, "EC-ICT-ICT-1C", 2024, 60.0, "%", false),
        (LAUSANNE, "EC-ICT-ICT-1C", 2024, 70.0, "%", false),
        (FRIBOURG, "EC-ICT-ICT-1C", 2024, 80.0, "%", false),
        (STAVANGER, "EC-ICT-ICT-1C", 2024, 90.0, "%", false),
        (GENEVA, "EN-EN-AQ-1C-pm10", 2024, 20.0, "ug/m3", false),
        (ZURICH, "EN-EN-AQ-1C-pm10", 2024, 14.0, "ug/m3", false),
        (BASEL, "EN-EN-AQ-1C-pm10", 2024, 10.0, "ug/m3", false),
        (LAUSANNE, "EN-EN-AQ-1C-pm10", 2024, 12.0, "ug/m3", false),
        (FRIBOURG, "EN-EN-AQ-1C-pm10", 2024, 18.0, "ug/m3", false),
        (STAVANGER, "EN-EN-AQ-1C-pm10", 2024, 25.0, "ug/m3", false),
        (GENEVA, "EC-P-EM-3A", 2024, 5.0, "%", false),
        (GENEVA, "EC-ICT-ICT-2C", 2024, 40.0, "%", false),
        (BASEL, "EC-ICT-ICT-2C", 2024, 30.0, "%", false),
    ];
    for (c, dp, y, v, u, conf) in rows {
        csv.push_str(&format!(
            "{c},{dp},{y},{v},{u},test,measured,false,{conf}\n"
        ));
    }
    let r = ws.ingest(&ws.file("s.csv", &csv));
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    let r = ws.run(&["run"]);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    ws
}

fn ok(ws: &Ws, args: &[&str]) -> String {
    let r = ws.run(args);
    assert_eq!(r.code, 0, "{args:?}: {}{}", r.stdout, r.stderr);
    r.stdout
}

fn json(ws: &Ws, args: &[&str]) -> Value {
    serde_json::from_str(&ok(ws, args)).unwrap()
}

fn data_point<'a>(snapshot: &'a Value, id: &str) -> &'a Value {
    for d in snapshot["dimensions"].as_array().unwrap() {
        for s in d["sub_dimensions"].as_array().unwrap() {
            for c in s["categories"].as_array().unwrap() {
                for p in c["data_points"].as_array().unwrap() {
                    if p["data_point_id"] == id {
                        return p;
                    }
                }
            }
        }
    }
    panic!("{id} not in the snapshot")
}

fn close(v: &Value, want: f64) {
    let got = v.as_f64().unwrap_or_else(|| panic!("{v} is not a number"));
    assert!((got - want).abs() < 1e-9, "{got} != {want}");
}

fn compare_row<'a>(rows: &'a Value, id: &str) -> &'a Value {
    rows.as_array()
        .unwrap()
        .iter()
        .find(|r| r["data_point_id"] == id)
        .unwrap_or_else(|| panic!("{id} not compared"))
}

#[test]
fn snapshot_shows_states_percentiles_trends_and_rollups() {
    let ws = workspace();
    let s = json(&ws, &["snapshot", "--city", GENEVA, "--format", "json"]);
    assert_eq!(s["schema"], "citybench.snapshot/1");
    assert_eq!(s["city"]["name"], "Geneva");
    assert_eq!(s["analysis_year"], 2024);
    assert_eq!(s["has_data"], true);
    // default grouping: the first configured one other than `all`
    assert_eq!(s["peers"]["grouping"], "population_band");
    assert_eq!(s["peers"]["group"], "100k-500k");
    let run_id = s["run"]["run_id"].as_str().unwrap();
    assert!(ws.root().join(format!("runs/{run_id}.json")).is_file());

    // 96 / 100: 95%+ band, 4 points; its band holds 96, 60, 70, 90 and Zürich's
    // confidential 99, which no statistic uses (METHODOLOGY section 10): 4 published values
    // are fewer than k = 5, so the band publishes no percentile; three years rising to 96 %
    // of target: achieved
    let p = data_point(&s, "EC-ICT-ICT-1C");
    close(&p["value"], 96.0);
    close(&p["target"], 100.0);
    close(&p["attainment"], 0.96);
    close(&p["pct_of_target"], 96.0);
    assert_eq!(p["points"], 4);
    assert_eq!(p["state"], "95%+ of target");
    assert_eq!(p["band"], "target95");
    assert_eq!(p["peer_n"], 4);
    assert!(p["percentile"].is_null(), "{p}");
    assert_eq!(p["suppressed"], true);
    assert_eq!(p["trend_status"], "achieved");
    assert_eq!(p["trend_points"], 3);
    close(&p["slope"], 3.0);
    // PM10 20 against 15 (lower is better): 15 / 20 = 0.75 -> 66-95 %, 3 points; worst but
    // one of its band (20; 14, 10, 12, 25): 1 worse -> 100 x 1.5 / 5 = 30
    let p = data_point(&s, "EN-EN-AQ-1C-pm10");
    close(&p["attainment"], 0.75);
    assert_eq!(p["state"], "66-95%");
    assert_eq!(p["points"], 3);
    close(&p["percentile"], 30.0);
    assert_eq!(p["unit_symbol"], "µg/m³");
    // a neutral KPI: no attainment, no percentile
    let p = data_point(&s, "EC-P-EM-3A");
    assert_eq!(p["state"], "neutral: not scored");
    assert_eq!(p["band"], "no_data");
    assert!(p["percentile"].is_null() && p["points"].is_null());
    // a KPI without target: the sixth state
    let p = data_point(&s, "EC-ICT-ICT-2C");
    assert_eq!(p["state"], "data reported, no target yet");
    assert_eq!(p["band"], "no_target");
    // nothing reported
    assert_eq!(data_point(&s, "EC-ICT-ICT-3C")["state"], "no data");
    // roll-ups: ICT Infrastructure scores 4 of 4 with 1 scored item of 6
    let ict = &s["dimensions"][0]["sub_dimensions"][0]["categories"][0];
    assert_eq!(ict["path"], "Economy / ICT / ICT Infrastructure");
    close(&ict["score"], 1.0);
    assert_eq!(ict["scored"], 1);
    assert_eq!(ict["items"], 6);
    assert_eq!(ict["low_coverage"], true);
    // overall: points 4 + 3 over 2 scored items -> 7 / 8
    close(&s["overall"]["score"], 0.875);
    assert_eq!(s["overall"]["scored"], 2);

    // every key of the document is described in docs/snapshot.md
    let doc =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/docs/snapshot.md")).unwrap();
    let mut keys = std::collections::BTreeSet::new();
    fn collect(v: &Value, keys: &mut std::collections::BTreeSet<String>) {
        match v {
            Value::Object(m) => {
                for (k, x) in m {
                    keys.insert(k.clone());
                    collect(x, keys);
                }
            }
            Value::Array(a) => a.iter().for_each(|x| collect(x, keys)),
            _ => {}
        }
    }
    collect(&s, &mut keys);
    for k in keys {
        assert!(
            doc.contains(&format!("`{k}`")),
            "docs/snapshot.md lacks `{k}`"
        );
    }

    // percentiles in another grouping: all six cities, five published values (Zürich's
    // confidential 99 left out) -> 100 x 4.5 / 5 = 90
    let s = json(
        &ws,
        &[
            "snapshot", "--city", GENEVA, "--peers", "all", "--format", "json",
        ],
    );
    close(&data_point(&s, "EC-ICT-ICT-1C")["percentile"], 90.0);

    // the terminal table: 100 columns, no colour when not on a terminal
    let t = ok(&ws, &["snapshot", "--city", GENEVA]);
    assert!(!t.contains('\x1b'), "{t}");
    for l in t.lines() {
        assert!(l.chars().count() <= 100, "wider than 100: {l}");
    }
    assert!(
        t.contains("overall: 87.5 % · 66-95% · coverage 2/108"),
        "{t}"
    );
    assert!(
        t.contains("    Household Internet Access") && t.contains("at 95%+"),
        "{t}"
    );
    // Markdown and the flat formats
    let md = ok(&ws, &["snapshot", "--city", GENEVA, "--format", "markdown"]);
    assert!(md.starts_with("# Snapshot: Geneva (2660646)"), "{md}");
    assert!(md.contains("## Environment") && md.contains("| EN-EN-AQ-1C-pm10 | "));
    let csv = ok(&ws, &["snapshot", "--city", GENEVA, "--format", "csv"]);
    assert_eq!(csv.lines().count(), 1 + 113, "{csv}");
    // --format html is the report page, written atomically with --out
    let page = ws.dir.path().join("geneva.html");
    let printed = ok(
        &ws,
        &[
            "snapshot",
            "--city",
            GENEVA,
            "--format",
            "html",
            "--out",
            page.to_str().unwrap(),
        ],
    );
    assert_eq!(printed, "");
    let html = std::fs::read_to_string(&page).unwrap();
    assert!(html.starts_with("<!DOCTYPE html>") && html.contains("<svg class=\"wheel\""));
}

#[test]
fn compare_with_the_peer_group_never_names_a_confidential_peer() {
    let ws = workspace();
    let rows = json(
        &ws,
        &[
            "compare", "--city", GENEVA, "--peers", "all", "--format", "json",
        ],
    );
    // the published values 96, 90, 80, 70, 60 (Zürich's confidential 99 is in no
    // statistic): type-7 quartiles
    let r = compare_row(&rows, "EC-ICT-ICT-1C");
    assert_eq!(r["peer_n"], 5);
    close(&r["median"], 80.0);
    close(&r["p25"], 70.0);
    close(&r["p75"], 90.0);
    close(&r["percentile"], 90.0);
    close(&r["gap_median"], -16.0);
    close(&r["gap_median_pct"], -20.0);
    close(&r["leaders"], 90.0);
    close(&r["gap_leaders"], -6.0);
    // Zürich's 99 is best but confidential: the best peer named is Stavanger's 90
    assert_eq!(r["best_peer"], "Stavanger (3137115)");
    close(&r["best_peer_value"], 90.0);
    // PM10 (lower is better): 10, 12, 14, 18, 20, 25 -> median 16, p25 12.5, leaders p25;
    // Geneva's 20 is a shortfall of 4 to the median and 7.5 to the leaders
    let r = compare_row(&rows, "EN-EN-AQ-1C-pm10");
    close(&r["median"], 16.0);
    close(&r["gap_median"], 4.0);
    close(&r["gap_median_pct"], 25.0);
    close(&r["leaders"], 12.5);
    close(&r["gap_leaders"], 7.5);
    assert_eq!(r["best_peer"], "Basel (2661604)");
    // largest relative shortfall first
    assert_eq!(rows[0]["data_point_id"], "EN-EN-AQ-1C-pm10");
    let all = ok(
        &ws,
        &[
            "compare", "--city", GENEVA, "--peers", "all", "--format", "csv",
        ],
    );
    assert!(!all.contains("Zürich") && !all.contains(ZURICH), "{all}");
    assert!(!all.contains(",99"), "{all}");

    // --dimension keeps one dimension, case-insensitively
    let env = json(
        &ws,
        &[
            "compare",
            "--city",
            GENEVA,
            "--peers",
            "all",
            "--dimension",
            "environment",
            "--format",
            "json",
        ],
    );
    assert!(
        env.as_array()
            .unwrap()
            .iter()
            .all(|r| r["dimension"] == "Environment")
    );
    let r = ws.run(&["compare", "--city", GENEVA, "--dimension", "Economics"]);
    assert_eq!(r.code, 2);
    assert_eq!(
        r.stderr.trim(),
        "error: unknown dimension 'Economics': expected one of Economy, Environment, Society and Culture"
    );
    // the terminal view names data points, rounds for reading and shows unit symbols; the
    // id is in the data formats
    let t = ok(&ws, &["compare", "--city", GENEVA, "--peers", "all"]);
    let mut lines = t.lines();
    assert_eq!(
        lines.next(),
        Some(
            "data point                                                             value  unit        median  p25-p75     pctl  gap to median  gap to leaders  n  best peer"
        ),
        "{t}"
    );
    assert_eq!(
        lines.nth(1),
        Some(
            "Air Pollution: PM10                                                    20     µg/m³       16      12.5–19.5   25    +4 (25%)       +7.5 (60%)      6  Basel (2661604)"
        ),
        "{t}"
    );
    assert!(
        !t.contains("EN-EN-AQ-1C-pm10") && !t.contains("EC-ICT-ICT-1C"),
        "{t}"
    );
    let md = ok(
        &ws,
        &[
            "compare", "--city", GENEVA, "--peers", "all", "--format", "markdown",
        ],
    );
    assert!(
        md.starts_with("| data point | value | unit | median | p25-p75 | pctl | gap to median | gap to leaders | n | best peer |\n|---|---|---|---|---|---|---|---|---|---|\n| Air Pollution: PM10 | 20 | µg/m³ | 16 | 12.5–19.5 | 25 | +4 (25%) | +7.5 (60%) | 6 | Basel (2661604) |\n"),
        "{md}"
    );
    assert!(
        all.starts_with("data_point_id,kpi_name,dimension,"),
        "{all}"
    );
    assert!(
        all.contains("\nEN-EN-AQ-1C-pm10,Air Pollution: PM10,Environment,"),
        "{all}"
    );
}

#[test]
fn compare_with_chosen_cities_leaves_confidential_values_out() {
    let ws = workspace();
    let with = format!("{ZURICH},{BASEL},{LAUSANNE}");
    let rows = json(
        &ws,
        &[
            "compare", "--city", GENEVA, "--with", &with, "--format", "json",
        ],
    );
    // Zürich's confidential 99 is left out: Geneva 96, Basel 60, Lausanne 70
    let r = compare_row(&rows, "EC-ICT-ICT-1C");
    assert_eq!(r["peer_n"], 3);
    close(&r["median"], 70.0);
    close(&r["p25"], 65.0);
    close(&r["p75"], 83.0);
    close(&r["percentile"], 100.0 * 2.5 / 3.0);
    assert_eq!(r["best_peer"], "Lausanne (2659994)");
    assert_eq!(r["peer_group"], "chosen cities");
    // Zürich's PM10 is not confidential: 20, 14, 10, 12
    let r = compare_row(&rows, "EN-EN-AQ-1C-pm10");
    assert_eq!(r["peer_n"], 4);
    close(&r["median"], 13.0);
    assert_eq!(r["best_peer"], "Basel (2661604)");
    let text = ok(
        &ws,
        &[
            "compare", "--city", GENEVA, "--with", &with, "--format", "csv",
        ],
    );
    assert!(!text.contains(",99"), "{text}");
    // an unknown id in the list
    let r = ws.run(&["compare", "--city", GENEVA, "--with", "2661604,26615520"]);
    assert_eq!(r.code, 2);
    assert_eq!(
        r.stderr.trim(),
        "error: unknown city id '26615520'; did you mean 2661552 (Bern, CH)? (`citybench cities --search NAME` finds ids)"
    );
}

#[test]
fn groups_below_k_are_suppressed_everywhere() {
    let ws = workspace();
    let cfg = ws.root().join("citybench.toml");
    let t = std::fs::read_to_string(&cfg).unwrap();
    assert!(t.contains("\nk = 5\n"));
    std::fs::write(&cfg, t.replace("\nk = 5\n", "\nk = 7\n")).unwrap();
    ok(&ws, &["run"]);
    let s = json(&ws, &["snapshot", "--city", GENEVA, "--format", "json"]);
    let p = data_point(&s, "EC-ICT-ICT-1C");
    assert_eq!(p["suppressed"], true);
    assert!(p["percentile"].is_null());
    assert_eq!(s["peers"]["k"], 7);
    let t = ok(&ws, &["snapshot", "--city", GENEVA]);
    assert!(t.contains("sup = group below k"), "{t}");
    let rows = json(&ws, &["compare", "--city", GENEVA, "--format", "json"]);
    let r = compare_row(&rows, "EC-ICT-ICT-1C");
    assert_eq!(r["suppressed"], true);
    assert!(r["median"].is_null() && r["percentile"].is_null() && r["best_peer"].is_null());
    let out = ws.dir.path().join("rep");
    ok(
        &ws,
        &["report", "--city", GENEVA, "--out", out.to_str().unwrap()],
    );
    let html = std::fs::read_to_string(out.join(format!("report-{GENEVA}-2024.html"))).unwrap();
    assert!(html.contains("below k: not shown"));
}

#[test]
fn unknown_city_city_without_data_and_bad_options() {
    let ws = workspace();
    let r = ws.run(&["snapshot", "--city", "266064"]);
    assert_eq!(r.code, 2);
    assert_eq!(
        r.stderr.trim(),
        "error: unknown city id '266064'; did you mean 268064 (Sidon, LB)? (`citybench cities --search NAME` finds ids)"
    );
    // a name that is no registry name: the unknown-id message (a unique name is accepted:
    // a_city_by_its_unique_name_everywhere)
    let r = ws.run(&["report", "--city", "Genevva", "--out", "x"]);
    assert_eq!(r.code, 2);
    assert_eq!(
        r.stderr,
        "error: unknown city id 'Genevva' (`citybench cities --search NAME` finds ids)\n"
    );
    // a registry city without data: a snapshot that says so
    let t = ok(&ws, &["snapshot", "--city", BERN]);
    assert!(
        t.contains("Bern (2661552) has no data for analysis year 2024 (values from 2022..2024): nothing to score."),
        "{t}"
    );
    let s = json(&ws, &["snapshot", "--city", BERN, "--format", "json"]);
    assert_eq!(s["has_data"], false);
    assert_eq!(s["dimensions"], Value::Array(vec![]));
    let r = ws.run(&["compare", "--city", BERN]);
    assert_eq!(r.code, 0);
    assert!(
        r.stderr
            .contains("Bern (2661552) has no data for analysis year 2024: nothing to compare.")
    );
    let out = ws.dir.path().join("rep");
    ok(
        &ws,
        &["report", "--city", BERN, "--out", out.to_str().unwrap()],
    );
    let html = std::fs::read_to_string(out.join(format!("report-{BERN}-2024.html"))).unwrap();
    assert!(html.contains("has no data for analysis year 2024"));
    // an unknown grouping, another year
    let r = ws.run(&["snapshot", "--city", GENEVA, "--peers", "continnent"]);
    assert_eq!(r.code, 2);
    assert_eq!(
        r.stderr.trim(),
        "error: unknown grouping 'continnent': the last run computed all, population_band, economy, continent, un_region; did you mean 'continent'? (set [peers] groupings in citybench.toml and re-run)"
    );
    let r = ws.run(&["snapshot", "--city", GENEVA, "--year", "2020"]);
    assert_eq!(r.code, 2);
    let w = ws.root().display().to_string();
    assert_eq!(
        r.stderr.trim(),
        format!(
            "error: the results in {w} are for analysis year 2024; run `citybench -w {w} run --year 2020` first"
        )
    );
    // the run record is the one published with the database, not the newest in runs/
    let newer = ws.root().join("runs/99999999T000000.000Z-bogus.json");
    std::fs::write(&newer, "{}").unwrap();
    let r = ws.run(&["snapshot", "--city", GENEVA]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    std::fs::remove_file(&newer).unwrap();
    // a run record that is not one: named, with what is missing (written as a new file:
    // the published one may be shared, as a hard link, with the previous generation)
    let generation = std::fs::canonicalize(ws.root().join("derived")).unwrap();
    let record = generation.join("run.json");
    std::fs::remove_file(&record).unwrap();
    std::fs::write(&record, "{}").unwrap();
    let r = ws.run(&["snapshot", "--city", GENEVA]);
    assert_eq!(r.code, 2);
    let shown = ws
        .root()
        .join("generations")
        .join(generation.file_name().unwrap())
        .join("run.json");
    assert_eq!(
        r.stderr.trim(),
        format!(
            "error: {}: not a citybench run record: no run_id",
            shown.display()
        )
    );
    // the database without its run record
    std::fs::remove_file(&record).unwrap();
    let r = ws.run(&["snapshot", "--city", GENEVA]);
    assert_eq!(r.code, 2);
    assert_eq!(
        r.stderr.trim(),
        format!("error: {w} has no results yet; run `citybench -w {w} run` first")
    );
    // before any run
    let fresh = Ws::new();
    let r = fresh.run(&["snapshot", "--city", GENEVA]);
    assert_eq!(r.code, 2);
    let w = fresh.root().display().to_string();
    assert_eq!(
        r.stderr.trim(),
        format!("error: {w}/citybench.duckdb does not exist yet; run `citybench -w {w} run` first")
    );
}

/// Every `--city` takes a name unique in the registry (any case, name or ASCII name) as
/// its id; a name several cities share is a usage error listing them.
#[test]
fn a_city_by_its_unique_name_everywhere() {
    let ws = workspace();
    let same = |by_name: &[&str], by_id: &[&str]| {
        let (a, b) = (ws.run(by_name), ws.run(by_id));
        assert_eq!(
            (a.code, b.code),
            (0, 0),
            "{by_name:?}: {}{}",
            a.stderr,
            b.stderr
        );
        assert!(a.stdout == b.stdout, "{by_name:?}: not as by id");
        // about Lausanne (a csv of rows about one city may name neither)
        let about = a.stdout.contains(LAUSANNE) || a.stdout.contains("Lausanne");
        assert!(
            about || by_name.contains(&"csv"),
            "{by_name:?}: not about Lausanne"
        );
    };
    ok(&ws, &["verify"]);
    for cmd in [
        &["snapshot", "--format", "json"][..],
        &["compare", "--format", "csv"],
        &["maturity", "--format", "csv"],
        &["verify"],
        &["targets", "--format", "csv"],
    ] {
        for name in ["Lausanne", "lausanne", " LAUSANNE "] {
            let mut by_name = cmd.to_vec();
            by_name.extend(["--city", name]);
            let mut by_id = cmd.to_vec();
            by_id.extend(["--city", LAUSANNE]);
            same(&by_name, &by_id);
        }
    }
    // the ASCII name works as well (Zürich, Zurich)
    let (a, b) = (
        ws.run(&["snapshot", "--city", "zurich", "--format", "json"]),
        ws.run(&["snapshot", "--city", ZURICH, "--format", "json"]),
    );
    assert_eq!((a.code, b.code), (0, 0), "{}{}", a.stderr, b.stderr);
    assert!(a.stdout == b.stdout, "zurich: not as {ZURICH}");
    // report and template name their files by the id
    let out = ws.dir.path().join("rep");
    ok(
        &ws,
        &[
            "report",
            "--city",
            "Lausanne",
            "--out",
            out.to_str().unwrap(),
        ],
    );
    assert!(out.join(format!("report-{LAUSANNE}-2024.html")).exists());
    let x = ws.dir.path().join("g.xlsx");
    let t = ok(
        &ws,
        &[
            "template",
            "--city",
            "Lausanne",
            "--out",
            x.to_str().unwrap(),
        ],
    );
    assert!(t.contains(&format!(" for Lausanne ({LAUSANNE}), ")), "{t}");
    // targets set and unset keep the id in targets.csv
    ok(
        &ws,
        &[
            "targets",
            "set",
            "--data-point",
            "EC-ICT-ICT-2C",
            "--value",
            "80",
            "--source",
            "plan",
            "--city",
            "lausanne",
        ],
    );
    let file = std::fs::read_to_string(ws.root().join("targets.csv")).unwrap();
    assert!(
        file.contains(&format!("\nEC-ICT-ICT-2C,80,,,,plan,{LAUSANNE},,\n")),
        "{file}"
    );
    ok(
        &ws,
        &[
            "targets",
            "unset",
            "--data-point",
            "EC-ICT-ICT-2C",
            "--city",
            "Lausanne",
        ],
    );
    let file = std::fs::read_to_string(ws.root().join("targets.csv")).unwrap();
    assert!(!file.contains(LAUSANNE), "{file}");
    // Geneva is also a town in the US: the id is needed
    let r = ws.run(&["snapshot", "--city", "Geneva"]);
    assert_eq!(r.code, 2);
    assert_eq!(
        r.stderr,
        "error: 'Geneva' names 2 cities; pass the id of the one you mean:
  2660646  Geneva, CH, population 201741
  4893591  Geneva, US, population 21806
"
    );
    // a name eight registry cities share: each command lists them, most populous first
    let springfield = "error: 'Springfield' names 8 cities; pass the id of the one you mean:
  4409896  Springfield, US, population 170188
  4951788  Springfield, US, population 154341
  4250542  Springfield, US, population 114394
  5754005  Springfield, US, population 60870
  4525353  Springfield, US, population 59680
  4787117  Springfield, US, population 30484
  4561407  Springfield, US, population 23363
  4659557  Springfield, US, population 16808
";
    for cmd in [
        &["snapshot"][..],
        &["compare"],
        &["report", "--out", "x"],
        &["maturity"],
        &["verify"],
        &["targets"],
        &["template", "--out", "s.xlsx"],
        &["targets", "unset", "--data-point", "EC-ICT-ICT-2C"],
    ] {
        let mut args = cmd.to_vec();
        args.extend(["--city", "Springfield"]);
        let r = ws.run(&args);
        assert_eq!((r.code, r.stderr.as_str()), (2, springfield), "{args:?}");
    }
}

/// A browser on this machine (`CHROMIUM` or a usual name), if any.
fn chromium() -> Option<String> {
    let mut names = vec![];
    if let Ok(c) = std::env::var("CHROMIUM") {
        names.push(c);
    }
    names.extend(
        [
            "chromium",
            "chromium-browser",
            "google-chrome",
            "google-chrome-stable",
        ]
        .map(String::from),
    );
    names.into_iter().find(|n| {
        std::process::Command::new(n)
            .arg("--version")
            .output()
            .is_ok_and(|o| o.status.success())
    })
}

fn headless(browser: &str, args: &[&str], page: &std::path::Path) -> std::process::Output {
    std::process::Command::new(browser)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-dev-shm-usage",
            "--no-first-run",
            "--enable-logging=stderr",
            "--v=0",
        ])
        .args(args)
        .arg(format!("file://{}", page.display()))
        .output()
        .unwrap()
}

#[test]
fn report_is_self_contained_and_renders_in_a_browser() {
    let ws = workspace();
    let out = ws.dir.path().join("reports");
    let printed = ok(
        &ws,
        &["report", "--city", GENEVA, "--out", out.to_str().unwrap()],
    );
    let page = out.join(format!("report-{GENEVA}-2024.html"));
    assert_eq!(printed.trim(), page.display().to_string());
    let html = std::fs::read_to_string(&page).unwrap();
    // self-contained: nothing fetched, no script
    for bad in ["<script", "<link", " src=", "@import", "https://"] {
        assert!(!html.contains(bad), "the report contains {bad}");
    }
    // url() only for the page's own patterns (the benchmark hatch), never a resource
    assert!(
        html.match_indices("url(")
            .all(|(i, _)| html[i..].starts_with("url(#")),
        "the report references a resource by url()"
    );
    // one wheel segment per category of the catalogue, those with data in their band;
    // a legend with all six states; text alternatives; the run in the footnote
    let s = json(&ws, &["snapshot", "--city", GENEVA, "--format", "json"]);
    let (mut categories, mut with_data) = (0, 0);
    for d in s["dimensions"].as_array().unwrap() {
        for sd in d["sub_dimensions"].as_array().unwrap() {
            for c in sd["categories"].as_array().unwrap() {
                categories += 1;
                let ps = c["data_points"].as_array().unwrap();
                with_data += usize::from(ps.iter().any(|p| !p["value"].is_null()));
            }
        }
    }
    assert_eq!(
        with_data, 3,
        "ICT Infrastructure, Employment, Air Quality: {s}"
    );
    assert_eq!(
        html.matches("class=\"segment category\"").count(),
        categories
    );
    assert_eq!(html.matches("data-has-data=\"true\"").count(), with_data);
    assert_eq!(html.matches("class=\"segment data-point\"").count(), 113);
    for legend in [
        "95%+ of target",
        "66-95% of target",
        "33-66% of target",
        "less than 33% of target",
        "no data or no target",
        "data reported, no target yet",
    ] {
        assert!(html.contains(&format!("</svg> {legend}</li>")), "{legend}");
    }
    assert!(html.contains("role=\"img\" aria-labelledby=\"wheel-title wheel-desc\""));
    assert!(html.contains(s["run"]["run_id"].as_str().unwrap()));
    assert!(html.contains(s["run"]["config_sha256"].as_str().unwrap()));
    assert!(html.contains("@page { size: A4;"));
    // a sparkline for the one KPI with 3 years, a strip per category with a drawable value
    assert_eq!(html.matches("class=\"spark\"").count(), 1);
    // household Internet: 4 published values in Geneva's band (Zürich's 99 is
    // confidential) are fewer than k, so no strip, and the note says why
    assert!(!html.contains("data-data-point=\"EC-ICT-ICT-1C\""));
    assert!(html.contains("peer group of 4 below k: not shown (1 confidential value left out)"));
    assert!(html.contains("data-data-point=\"EN-EN-AQ-1C-pm10\""));
    // the strip headings name the whole path, so none repeats
    let heads: Vec<&str> = html
        .split("<h3>")
        .skip(1)
        .map(|h| h.split("</h3>").next().unwrap())
        .collect();
    let unique: std::collections::BTreeSet<&&str> = heads.iter().collect();
    assert_eq!(unique.len(), heads.len(), "{heads:?}");
    assert!(
        heads.contains(&"Economy / ICT / ICT Infrastructure"),
        "{heads:?}"
    );
    // the wheel's middle ring is keyed: category 1 on the ring and in the table beside it
    assert!(
        html.contains(
            "<tr><td class=\"num\">1</td><td>&emsp;Economy / ICT / ICT Infrastructure</td>"
        )
    );
    assert!(html.contains("class=\"ring-key\" text-anchor=\"middle\" dominant-baseline=\"middle\" aria-hidden=\"true\">1</text>"));
    // beside the strip, its figures: Geneva's 20 and the median of its band's 20, 14, 10,
    // 12, 25; the legend fits the strip (it was cut at "target ·")
    assert!(
        html.contains("<tspan class=\"strip-value\">20 µg/m³</tspan>"),
        "{html}"
    );
    assert!(html.contains(">median 14</tspan>"));
    assert!(html.contains(
        "<text x=\"0\" y=\"14\" class=\"axis-note\">worse ← → better · line: peers' range · box: middle half · bar: median · ● Geneva · ┆ target</text>"
    ));

    let Some(browser) = chromium() else {
        eprintln!(
            "SKIPPED the browser part of report_is_self_contained_and_renders_in_a_browser: no chromium found (install Debian's `chromium`, or set CHROMIUM=/path/to/chrome)"
        );
        return;
    };
    // a copy of the page with a probe: errors during load, and what the browser drew
    let probe_head = "<script>window.__errors=[];addEventListener('error',e=>__errors.push(String(e.message||(e.target&&(e.target.src||e.target.href)))),true);</script>";
    let probe_tail = "<script>const segs=[...document.querySelectorAll('svg.wheel path.segment.category')];document.body.setAttribute('data-probe',JSON.stringify({categories:segs.length,drawn:segs.filter(s=>{const b=s.getBBox();return b.width>0&&b.height>0}).length,with_data:segs.filter(s=>s.dataset.hasData==='true').length,wheels:document.querySelectorAll('svg.wheel').length,errors:__errors}));</script>";
    let probed = html
        .replacen("<head>", &format!("<head>{probe_head}"), 1)
        .replacen("</body>", &format!("{probe_tail}</body>"), 1);
    let probe_page = ws.dir.path().join("probe.html");
    std::fs::write(&probe_page, probed).unwrap();
    let o = headless(&browser, &["--dump-dom"], &probe_page);
    let dom = String::from_utf8_lossy(&o.stdout);
    let start = dom
        .find("data-probe=\"")
        .unwrap_or_else(|| panic!("no probe result: {}", String::from_utf8_lossy(&o.stderr)))
        + "data-probe=\"".len();
    let end = start + dom[start..].find('"').unwrap();
    let probe: Value = serde_json::from_str(&dom[start..end].replace("&quot;", "\"")).unwrap();
    assert_eq!(probe["wheels"], 1, "{probe}");
    assert_eq!(probe["categories"], categories, "{probe}");
    assert_eq!(
        probe["drawn"], categories,
        "every segment has an area: {probe}"
    );
    assert_eq!(probe["with_data"], with_data, "{probe}");
    assert_eq!(probe["errors"], Value::Array(vec![]), "{probe}");

    // the report itself: no console message at all, a screenshot, A4 pages when printed
    let shot = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("report-screenshot.png");
    let _ = std::fs::remove_file(&shot);
    let o = headless(
        &browser,
        &[
            &format!("--screenshot={}", shot.display()),
            "--window-size=1000,2600",
        ],
        &page,
    );
    let log = String::from_utf8_lossy(&o.stderr);
    assert!(!log.contains(":CONSOLE"), "console output: {log}");
    let png = std::fs::read(&shot).unwrap();
    assert!(
        png.starts_with(b"\x89PNG") && png.len() > 10_000,
        "{}",
        png.len()
    );
    eprintln!("report screenshot: {}", shot.display());
    let pdf = ws.dir.path().join("report.pdf");
    let o = headless(
        &browser,
        &[
            &format!("--print-to-pdf={}", pdf.display()),
            "--no-pdf-header-footer",
        ],
        &page,
    );
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let pdf = std::fs::read(&pdf).unwrap();
    let text = String::from_utf8_lossy(&pdf);
    let boxes: Vec<&str> = text
        .match_indices("/MediaBox [")
        .map(|(i, _)| &text[i..i + 40])
        .collect();
    assert!(!boxes.is_empty());
    for b in boxes {
        // A4 = 595.28 x 841.89 pt; Chromium writes 594.96 x 841.92
        let nums: Vec<f64> = b["/MediaBox [".len()..]
            .split(']')
            .next()
            .unwrap()
            .split_whitespace()
            .map(|x| x.parse().unwrap())
            .collect();
        assert!(
            (nums[2] - 595.28).abs() < 1.0 && (nums[3] - 841.89).abs() < 1.0,
            "{b}"
        );
    }
}
