//! The confidentiality attack of METHODOLOGY section 10. Distinctive confidential values are
//! planted in a generated workspace (the maximum or the minimum of their peer groups, a
//! middle value, a yes/no answer, a city alone in its group, a group of exactly k); then
//! every published surface (the marts through `sql`, the Parquet, CSV and DuckDB exports, and
//! every other city's snapshot, compare and report) is searched for them, and the published
//! statistics are attacked by differencing (n x mean - the visible values, min and max,
//! roll-up points - the visible points). Both must find nothing. The planted cities' own
//! outputs must show their values: the positive control that proves the search can find them.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::Path;

use serde_json::Value;

use crate::util::{HEADER, Ws};

/// A planted confidential observation, its value as stored (canonical unit).
#[derive(Debug, Clone)]
struct Planted {
    city: String,
    data_point: String,
    value: f64,
}

/// Relative closeness used to call a published number a match of a secret.
fn same(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-9 * a.abs().max(b.abs()).max(1e-9)
}

/// Every number and every string in a JSON value.
fn walk(v: &Value, nums: &mut Vec<f64>, texts: &mut Vec<String>) {
    match v {
        Value::Number(n) => nums.extend(n.as_f64()),
        Value::String(s) => {
            texts.push(s.clone());
            // numbers printed as text (CSV cells, formatted values) count as numbers too
            if let Ok(x) = s.trim().parse::<f64>() {
                nums.push(x);
            }
        }
        Value::Array(a) => a.iter().for_each(|x| walk(x, nums, texts)),
        Value::Object(o) => o.values().for_each(|x| walk(x, nums, texts)),
        _ => {}
    }
}

/// How a value may be printed by a person-facing output: every rounding a formatter could
/// apply. Only values with five or more digits before the decimal point are searched as
/// text (shorter renderings such as "43.2" occur by chance).
fn renderings(v: f64) -> Vec<String> {
    let mut r = vec![
        format!("{v}"),
        format!("{v:.0}"),
        format!("{v:.1}"),
        format!("{v:.2}"),
        format!("{v:.3}"),
    ];
    r.sort();
    r.dedup();
    r
}

/// One catalogue row: (data point, direction, hard max).
fn catalogue() -> Vec<(String, String, Option<f64>)> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("datasets/catalog/u4ssc_kpis.csv");
    let mut r = csv::Reader::from_path(path).unwrap();
    let h = r.headers().unwrap().clone();
    let at = |n: &str| h.iter().position(|c| c == n).unwrap();
    let (id, dir, max) = (at("data_point_id"), at("direction"), at("hard_max"));
    r.records()
        .map(|x| {
            let x = x.unwrap();
            (
                x[id].to_string(),
                x[dir].to_string(),
                x[max].parse::<f64>().ok(),
            )
        })
        .collect()
}

/// The generated submissions as rows of fields (header first).
fn read_rows(path: &Path) -> (csv::StringRecord, Vec<csv::StringRecord>) {
    let mut r = csv::Reader::from_path(path).unwrap();
    let h = r.headers().unwrap().clone();
    (h, r.records().map(Result::unwrap).collect())
}

struct Attack {
    ws: Ws,
    planted: Vec<Planted>,
    /// Planted cities (their own outputs may show their values).
    secret_cities: BTreeSet<String>,
    /// Cities in a group with a planted city that are not planted themselves.
    bystanders: Vec<String>,
    year: i32,
}

/// Generate 80 cities, plant the confidential values in a second batch, add a custom
/// grouping with a single-city group and a group of exactly k, run everything.
fn setup() -> Attack {
    let ws = Ws::new();
    let gen_dir = ws.dir.path().join("gen");
    let g = ws.run(&[
        "generate",
        "--cities",
        "80",
        "--years",
        "2019..2024",
        "--seed",
        "11",
        "--select",
        "sample",
        "--format",
        "csv",
        "--out",
        gen_dir.to_str().unwrap(),
    ]);
    assert_eq!(g.code, 0, "{}", g.stderr);
    let generated = gen_dir.join("submissions.csv");
    let (h, rows) = read_rows(&generated);
    let at = |n: &str| h.iter().position(|c| c == n).unwrap();
    let (ci, pi, yi, vi, ui) = (
        at("city_id"),
        at("data_point_id"),
        at("year"),
        at("value"),
        at("unit"),
    );
    let year = rows
        .iter()
        .map(|r| r[yi].parse::<i32>().unwrap())
        .max()
        .unwrap();
    // per data point: (city, value, unit) of the analysis year
    let mut latest: BTreeMap<String, Vec<(String, f64, String)>> = BTreeMap::new();
    for r in rows
        .iter()
        .filter(|r| r[yi].parse::<i32>().unwrap() == year)
    {
        let v = match &r[vi] {
            "yes" | "true" => Ok(1.0),
            "no" | "false" => Ok(0.0),
            other => other.parse::<f64>(),
        };
        if let Ok(v) = v {
            latest.entry(r[pi].to_string()).or_default().push((
                r[ci].to_string(),
                v,
                r[ui].to_string(),
            ));
        }
    }
    let cities: BTreeSet<String> = rows.iter().map(|r| r[ci].to_string()).collect();
    let cat = catalogue();
    // data points to plant in: uncapped higher- and lower-is-better quantities, capped
    // percentages, one yes/no answer; each reported by at least 30 cities
    let pick = |dir: &str, capped: Option<f64>, n: usize| -> Vec<String> {
        cat.iter()
            .filter(|(id, d, max)| {
                d == dir && *max == capped && latest.get(id).is_some_and(|v| v.len() >= 30)
            })
            .take(n)
            .map(|(id, _, _)| id.clone())
            .collect()
    };
    let mut targets = pick("higher_better", None, 3);
    targets.extend(pick("lower_better", None, 2));
    targets.extend(pick("higher_better", Some(100.0), 1));
    targets.extend(pick("lower_better", Some(100.0), 1));
    let boolean = pick("higher_better", Some(1.0), 1);
    assert_eq!(
        targets.len(),
        7,
        "the catalogue has the data points the attack needs"
    );
    assert_eq!(boolean.len(), 1);

    let mut lines = vec![HEADER.to_string()];
    let mut planted_keys = Vec::new();
    let mut secret_cities = BTreeSet::new();
    let mut tiny = 0.0;
    let mut plant = |city: &str, dp: &str, value: String, unit: &str, lines: &mut Vec<String>| {
        lines.push(format!(
            "{city},{dp},{year},{value},{unit},planted for the attack,measured,true,true"
        ));
        planted_keys.push((city.to_string(), dp.to_string()));
    };
    for (t, dp) in targets.iter().enumerate() {
        let reported = &latest[dp];
        // the canonical spelling is the one most rows use (the generator varies 10 %)
        let mut counts: HashMap<&str, usize> = HashMap::new();
        for (_, _, u) in reported {
            *counts.entry(u.as_str()).or_default() += 1;
        }
        let unit = counts
            .iter()
            .max_by_key(|(u, n)| (**n, *u))
            .unwrap()
            .0
            .to_string();
        let mut vals: Vec<(String, f64)> = reported
            .iter()
            .filter(|(_, _, u)| *u == unit)
            .map(|(c, v, _)| (c.clone(), *v))
            .collect();
        vals.sort_by(|a, b| a.1.total_cmp(&b.1));
        let (lo, hi) = (vals[0].1, vals[vals.len() - 1].1);
        let capped = cat.iter().find(|c| &c.0 == dp).unwrap().2;
        // three cities: one becomes the maximum, one the minimum, one a middle value
        let chosen = [&vals[3].0, &vals[vals.len() - 4].0, &vals[vals.len() / 2].0];
        for (j, city) in chosen.iter().enumerate() {
            tiny += 1.0;
            let frac = 0.000_173_9 * tiny;
            let v = match (j, capped) {
                (0, None) => hi * 1.7 + 12_345.678 + frac,
                (0, Some(m)) => hi + (m - hi) * 0.5 - frac,
                (1, _) => lo * 0.37 + frac,
                _ => vals[vals.len() / 2].1 + frac,
            };
            plant(city, dp, format!("{v}"), &unit, &mut lines);
            secret_cities.insert(city.to_string());
            let _ = t;
        }
    }
    // a yes/no answer: its U4SSC state or points would give it back
    let bool_city = latest[&boolean[0]][5].0.clone();
    let bool_unit = latest[&boolean[0]][5].2.clone();
    plant(
        &bool_city,
        &boolean[0],
        "yes".into(),
        &bool_unit,
        &mut lines,
    );
    secret_cities.insert(bool_city);

    // a custom grouping: one planted city alone ("solo"), a group of exactly k = 5 with one
    // planted city ("five"), everyone else ("rest")
    let solo = planted_keys[0].0.clone();
    let five_secret = planted_keys[3].0.clone();
    let others: Vec<&String> = cities
        .iter()
        .filter(|c| !secret_cities.contains(*c))
        .collect();
    let mut attrs = vec!["city_id,secret_club".to_string()];
    for c in &cities {
        let g = if *c == solo {
            "solo"
        } else if *c == five_secret || others[..4].contains(&c) {
            "five"
        } else {
            "rest"
        };
        attrs.push(format!("{c},{g}"));
    }
    std::fs::write(ws.root().join("attributes.csv"), attrs.join("\n") + "\n").unwrap();
    let cfg = ws.root().join("citybench.toml");
    let text = std::fs::read_to_string(&cfg).unwrap().replace(
        r#"groupings = ["all", "population_band", "economy", "continent", "un_region"]"#,
        r#"groupings = ["all", "population_band", "economy", "continent", "un_region", "secret_club"]"#,
    );
    // the extended index diagnostics (per-unit values among them) are attacked as well
    let text = text.replace("extended = false", "extended = true");
    std::fs::write(&cfg, text).unwrap();

    let planted_file = ws.file("planted.csv", lines.join("\n") + "\n");
    for f in [&generated, &planted_file] {
        let r = ws.ingest(f);
        assert!(r.code == 0 || r.code == 1, "{}", r.stderr);
    }
    // every planted row was accepted (the last batch has no rejection)
    let m = ws.manifest();
    let last = m["batches"].as_array().unwrap().last().unwrap();
    assert_eq!(
        last["rows_accepted"].as_u64(),
        Some(planted_keys.len() as u64),
        "{last}"
    );
    for args in [vec!["run"], vec!["verify"], vec!["index"]] {
        let r = ws.run(&args);
        assert_eq!(r.code, 0, "{args:?}: {}\n{}", r.stdout, r.stderr);
    }
    // the values as stored, read from the custodian's own view
    let stored = ws.run(&[
        "sql",
        "select city_id, data_point_id, value from stg_aligned where confidential",
        "--format",
        "json",
    ]);
    assert_eq!(stored.code, 0, "{}", stored.stderr);
    let stored: Vec<Value> = serde_json::from_str(&stored.stdout).unwrap();
    let planted: Vec<Planted> = planted_keys
        .iter()
        .map(|(c, p)| {
            let v = stored
                .iter()
                .find(|r| r["city_id"] == c.as_str() && r["data_point_id"] == p.as_str())
                .unwrap_or_else(|| panic!("{c} {p} is stored as confidential"));
            Planted {
                city: c.clone(),
                data_point: p.clone(),
                value: v["value"].as_f64().unwrap(),
            }
        })
        .collect();
    // bystanders: cities of the planted cities' continent that are not planted
    let bystanders: Vec<String> = others.iter().take(6).map(|c| c.to_string()).collect();
    Attack {
        ws,
        planted,
        secret_cities,
        bystanders,
        year,
    }
}

/// The distinctive secrets among `planted` (a yes/no answer is not distinctive as a
/// number).
fn distinctive<'a>(planted: impl IntoIterator<Item = &'a Planted>) -> Vec<&'a Planted> {
    planted
        .into_iter()
        .filter(|p| p.value != 0.0 && p.value != 1.0)
        .collect()
}

/// Fail when `nums` or `texts` (from `surface`) hold one of `secrets`.
fn assert_absent(secrets: &[&Planted], surface: &str, nums: &[f64], texts: &[String]) {
    for p in secrets {
        if let Some(x) = nums.iter().find(|x| same(**x, p.value)) {
            panic!("{surface}: {x} is {p:?}");
        }
        if p.value.abs() >= 10_000.0 {
            for r in renderings(p.value) {
                if let Some(t) = texts.iter().find(|t| t.contains(&r)) {
                    panic!("{surface}: '{r}' of {p:?} in '{t}'");
                }
            }
        }
    }
}

impl Attack {
    fn sql_json(&self, query: &str) -> Vec<Value> {
        let r = self.ws.run(&["sql", query, "--format", "json"]);
        assert_eq!(r.code, 0, "{query}: {}", r.stderr);
        serde_json::from_str(&r.stdout).unwrap()
    }
}

const MARTS: [&str; 19] = [
    "city_scorecard",
    "peer_benchmarks",
    "kpi_gaps",
    "kpi_trends",
    "category_rollups",
    "maturity_levels",
    "maturity_distribution",
    "verification_flags",
    "index_scores",
    "index_ranks",
    "index_uncertainty",
    "index_sensitivity",
    "index_diagnostics",
    "index_screening",
    "index_correlations",
    "index_aggregates",
    "index_denominator_correlations",
    "index_unit_diagnostics",
    "index_strengths",
];

/// Every cell of a table read by DuckDB, as numbers and texts.
fn duck_cells(
    con: &duckdb::Connection,
    select: &str,
    nums: &mut Vec<f64>,
    texts: &mut Vec<String>,
) {
    let mut st = con.prepare(select).unwrap();
    let mut rows = st.query([]).unwrap();
    while let Some(row) = rows.next().unwrap() {
        let n = row.as_ref().column_count();
        for i in 0..n {
            use duckdb::types::ValueRef as V;
            match row.get_ref(i).unwrap() {
                V::Double(x) => nums.push(x),
                V::Float(x) => nums.push(x as f64),
                V::BigInt(x) => nums.push(x as f64),
                V::Int(x) => nums.push(x as f64),
                V::Text(b) => {
                    let s = String::from_utf8_lossy(b).into_owned();
                    if let Ok(x) = s.trim().parse::<f64>() {
                        nums.push(x);
                    }
                    texts.push(s);
                }
                _ => {}
            }
        }
    }
}

#[test]
fn confidential_values_cannot_be_read_or_recovered_from_anything_published() {
    let a = setup();
    let ws = &a.ws;
    assert!(a.planted.len() >= 22, "{}", a.planted.len());
    let secrets = distinctive(&a.planted);

    // 0. the boundary is in the database: every view says its audience
    let views = a.sql_json("select view_name, comment from duckdb_views() where not internal");
    assert!(views.len() > 40, "{views:?}");
    for v in &views {
        let name = v["view_name"].as_str().unwrap();
        let want = if name.starts_with("src_") || name.starts_with("stg_") {
            citybench::warehouse::CUSTODIAN_COMMENT
        } else {
            assert!(
                MARTS.contains(&name),
                "{name} is neither staging nor a mart"
            );
            citybench::warehouse::PUBLISHED_COMMENT
        };
        assert_eq!(v["comment"], want, "{name}");
    }

    // 1. every mart, every cell
    for m in MARTS {
        let rows = a.sql_json(&format!("FROM {m}"));
        let (mut nums, mut texts) = (vec![], vec![]);
        rows.iter().for_each(|r| walk(r, &mut nums, &mut texts));
        assert_absent(&secrets, &format!("mart {m}"), &nums, &texts);
    }

    // 2. the exports: Parquet, CSV and the publishable DuckDB database
    let out = ws.dir.path();
    for (dir, format) in [("x-parquet", "parquet"), ("x-csv", "csv")] {
        let d = out.join(dir);
        let r = ws.run(&["export", "--out", d.to_str().unwrap(), "--format", format]);
        assert_eq!(r.code, 0, "{}", r.stderr);
        let con = duckdb::Connection::open_in_memory().unwrap();
        for m in MARTS {
            let (mut nums, mut texts) = (vec![], vec![]);
            let glob = d.join(m).join(format!("**/*.{format}"));
            let reader = if format == "csv" {
                "read_csv"
            } else {
                "read_parquet"
            };
            duck_cells(
                &con,
                &format!(
                    "SELECT * FROM {reader}('{}', hive_partitioning = true)",
                    glob.display()
                ),
                &mut nums,
                &mut texts,
            );
            assert_absent(&secrets, &format!("export {format} {m}"), &nums, &texts);
        }
    }
    let db = out.join("published.duckdb");
    let r = ws.run(&[
        "export",
        "--out",
        db.to_str().unwrap(),
        "--format",
        "duckdb",
    ]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let con = duckdb::Connection::open(&db).unwrap();
    let tables: Vec<(String, String)> = con
        .prepare("SELECT table_name, table_type FROM information_schema.tables ORDER BY 1")
        .unwrap()
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    // the published surface only: the marts as tables, nothing that reads the workspace
    for (t, kind) in &tables {
        assert!(
            MARTS.contains(&t.as_str()) || t == "_publication",
            "{t} in the publishable database"
        );
        assert_eq!(kind, "BASE TABLE", "{t}");
    }
    for m in MARTS {
        let (mut nums, mut texts) = (vec![], vec![]);
        duck_cells(&con, &format!("FROM {m}"), &mut nums, &mut texts);
        assert_absent(&secrets, &format!("published.duckdb {m}"), &nums, &texts);
    }
    drop(con);
    let bytes = std::fs::read(&db).unwrap();
    let hay = String::from_utf8_lossy(&bytes);
    assert!(
        !hay.contains(&ws.root().display().to_string()),
        "the publishable database names the workspace's files"
    );

    // 3. other cities' outputs, in every format: three bystanders in the planted cities'
    // groups and three planted cities (whose outputs must not show the others' secrets)
    let groupings = ["all", "continent", "secret_club"];
    let secret_list: Vec<&String> = a.secret_cities.iter().collect();
    for city in a
        .bystanders
        .iter()
        .take(3)
        .chain(secret_list.iter().copied().take(3))
    {
        let mine: Vec<&Planted> = a.planted.iter().filter(|p| &p.city == city).collect();
        let mut outputs: Vec<(String, String)> = Vec::new();
        for f in ["json", "markdown", "csv", "table"] {
            let r = ws.run(&["snapshot", "--city", city, "--format", f]);
            assert_eq!(r.code, 0, "{}", r.stderr);
            outputs.push((format!("snapshot {f}"), r.stdout));
        }
        for g in groupings {
            let r = ws.run(&["compare", "--city", city, "--peers", g, "--format", "json"]);
            assert_eq!(r.code, 0, "{g}: {}", r.stderr);
            outputs.push((format!("compare {g}"), r.stdout));
        }
        // compare with chosen cities: every planted city is chosen
        let with: Vec<&str> = a.secret_cities.iter().map(String::as_str).collect();
        let r = ws.run(&[
            "compare",
            "--city",
            city,
            "--with",
            &with.join(","),
            "--format",
            "json",
        ]);
        assert_eq!(r.code, 0, "{}", r.stderr);
        outputs.push(("compare --with".into(), r.stdout));
        let rep = out.join(format!("report-{city}"));
        let r = ws.run(&["report", "--city", city, "--out", rep.to_str().unwrap()]);
        assert_eq!(r.code, 0, "{}", r.stderr);
        let html = rep.join(format!("report-{city}-{}.html", a.year));
        outputs.push(("report".into(), std::fs::read_to_string(&html).unwrap()));
        let r = ws.run(&["maturity", "--city", city, "--format", "json"]);
        assert_eq!(r.code, 0, "{}", r.stderr);
        outputs.push(("maturity".into(), r.stdout));

        let (mut nums, mut texts) = (vec![], vec![]);
        for (_, text) in &outputs {
            match serde_json::from_str::<Value>(text) {
                Ok(v) => walk(&v, &mut nums, &mut texts),
                Err(_) => {
                    texts.push(text.clone());
                    for w in text
                        .split(|c: char| !(c.is_ascii_digit() || c == '.' || c == '-' || c == 'e'))
                    {
                        if let Ok(x) = w.parse::<f64>() {
                            nums.push(x);
                        }
                    }
                }
            }
        }
        // a city's own values may be in its own outputs, nobody else's
        let others = distinctive(a.planted.iter().filter(|p| &p.city != city));
        assert_absent(&others, &format!("outputs for {city}"), &nums, &texts);
        for p in distinctive(mine) {
            assert!(
                nums.iter().any(|x| same(*x, p.value)),
                "positive control: {p:?} is in its own city's outputs"
            );
        }
    }
    // the positive control for every planted value: its own city's snapshot shows it
    for city in &secret_list {
        let r = ws.run(&["snapshot", "--city", city, "--format", "json"]);
        assert_eq!(r.code, 0, "{}", r.stderr);
        let (mut nums, mut texts) = (vec![], vec![]);
        walk(
            &serde_json::from_str(&r.stdout).unwrap(),
            &mut nums,
            &mut texts,
        );
        for p in distinctive(a.planted.iter().filter(|p| &&p.city == city)) {
            assert!(
                nums.iter().any(|x| same(*x, p.value)),
                "{p:?} in its own snapshot"
            );
        }
    }

    // 4. differencing against the visible values: every published peer statistic is a
    // function of the published values alone, so n x mean - the visible values is 0
    let bench = a.sql_json(
        "select grouping, peer_group, data_point_id, n, n_confidential, suppressed, min, max, mean, median from peer_benchmarks",
    );
    let visible = a.sql_json(
        "select grouping, peer_group, data_point_id, city_id, value from kpi_gaps where value is not null",
    );
    let mut by_group: HashMap<(String, String, String), Vec<f64>> = HashMap::new();
    for v in &visible {
        by_group
            .entry((
                v["grouping"].as_str().unwrap().into(),
                v["peer_group"].as_str().unwrap().into(),
                v["data_point_id"].as_str().unwrap().into(),
            ))
            .or_default()
            .push(v["value"].as_f64().unwrap());
    }
    let (mut checked, mut left_out) = (0, 0);
    for b in &bench {
        let key = (
            b["grouping"].as_str().unwrap().to_string(),
            b["peer_group"].as_str().unwrap().to_string(),
            b["data_point_id"].as_str().unwrap().to_string(),
        );
        let mut vals = by_group.get(&key).cloned().unwrap_or_default();
        vals.sort_by(f64::total_cmp);
        let n = b["n"].as_u64().unwrap() as usize;
        assert_eq!(n, vals.len(), "{key:?}: n counts the published values");
        left_out += b["n_confidential"].as_u64().unwrap();
        if b["suppressed"].as_bool().unwrap() {
            assert!(
                b["mean"].is_null() && b["min"].is_null() && b["max"].is_null(),
                "{key:?}"
            );
            continue;
        }
        checked += 1;
        let mean = b["mean"].as_f64().unwrap();
        assert_eq!(b["min"].as_f64(), Some(vals[0]), "{key:?}");
        assert_eq!(b["max"].as_f64(), Some(vals[n - 1]), "{key:?}");
        let sum: f64 = vals.iter().sum();
        let residual = n as f64 * mean - sum;
        assert!(
            residual.abs() <= 1e-9 * sum.abs().max(1.0),
            "{key:?}: {residual}"
        );
        for p in a.planted.iter().filter(|p| p.data_point == key.2) {
            for k in [n, n + 1, n + b["n_confidential"].as_u64().unwrap() as usize] {
                let guess = k as f64 * mean - sum;
                assert!(
                    !same(guess, p.value),
                    "{key:?}: {k} x mean - visible = {p:?}"
                );
            }
        }
    }
    assert!(checked > 100 && left_out > 0, "{checked} {left_out}");
    // the single-city group and the group of exactly k publish nothing
    for g in ["solo", "five"] {
        let rows = a.sql_json(&format!(
            "select distinct suppressed from peer_benchmarks where grouping = 'secret_club' and peer_group = '{g}' and n_confidential > 0"
        ));
        assert_eq!(rows, vec![serde_json::json!({"suppressed": true})], "{g}");
    }

    // 5. roll-ups: a published score's points are the visible items' points (nothing to
    // difference), and nothing derived from a confidential value alone is published
    let diff = a.sql_json(
        "with items as (
             select city_id, dimension || ' / ' || sub_dimension || ' / ' || category as path,
                    coalesce(sum(points), 0) as points
             from city_scorecard group by all)
         select r.city_id, r.path, r.points, i.points as visible
         from category_rollups r join items i using (city_id, path)
         where r.level = 'category' and r.points is distinct from i.points",
    );
    assert_eq!(diff, Vec::<Value>::new());
    for (mart, cols) in [
        (
            "city_scorecard",
            "value, attainment_pct, points, state, gap_target, percentile_all",
        ),
        (
            "kpi_gaps",
            "value, gap_target, gap_median, gap_leaders, percentile",
        ),
        (
            "kpi_trends",
            "latest_value, slope, cagr_pct, status, years_to_target, projected_value",
        ),
        (
            "maturity_levels",
            "value, maturity_level, level_name, next_level, next_target, gap_next",
        ),
    ] {
        let nonnull = cols
            .split(", ")
            .map(|c| format!("{c} is not null"))
            .collect::<Vec<_>>()
            .join(" or ");
        let rows = a.sql_json(&format!(
            "select count(*) as n from {mart} where confidential and ({nonnull})"
        ));
        assert_eq!(rows[0]["n"], 0, "{mart}");
    }
    // the yes/no answer: not in any published row of its city and data point
    let b = a.planted.iter().find(|p| p.value == 1.0).unwrap();
    let rows = a.sql_json(&format!(
        "select points, state from city_scorecard where city_id = '{}' and data_point_id = '{}'",
        b.city, b.data_point
    ));
    assert_eq!(
        rows,
        vec![serde_json::json!({"points": null, "state": null})]
    );
    // no published flag rests on a confidential value
    let rows = a.sql_json(
        "select (select count(*) from verification_flags) as published,
                (select count(*) from stg_verification_flags where not confidential) as public,
                (select count(*) from stg_verification_flags where confidential) as withheld",
    );
    assert_eq!(rows[0]["published"], rows[0]["public"]);
    assert!(rows[0]["withheld"].as_u64().unwrap() > 0, "{rows:?}");
}

/// A custodian index (`include_confidential = true`) rests on confidential values in its
/// normalisation bounds and aggregates: its marts are empty and so is its export.
#[test]
fn a_custodian_index_is_not_published() {
    let a = setup();
    let cfg = a.ws.root().join("citybench.toml");
    let text = std::fs::read_to_string(&cfg).unwrap().replace(
        "include_confidential = false",
        "include_confidential = true",
    );
    std::fs::write(&cfg, text).unwrap();
    let r = a.ws.run(&["index"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    for m in [
        "index_scores",
        "index_ranks",
        "index_diagnostics",
        "index_screening",
        "index_correlations",
        "index_aggregates",
        "index_unit_diagnostics",
        "index_strengths",
    ] {
        assert_eq!(
            a.sql_json(&format!("select count(*) as n from {m}"))[0]["n"],
            0,
            "{m}"
        );
    }
    // the custodian still has it
    let rows = a.sql_json("select count(*) as n from stg_index_scores");
    assert!(rows[0]["n"].as_u64().unwrap() > 0);
    let rows = a.sql_json("select count(*) as n from stg_index_strengths");
    assert!(rows[0]["n"].as_u64().unwrap() > 0);
}
