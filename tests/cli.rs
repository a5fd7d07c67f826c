//! The command-line surface: init, catalog, units, demo, usage errors.

use assert_cmd::Command;

use crate::util::Ws;

fn citybench(args: &[&str]) -> (i32, String, String) {
    let o = Command::cargo_bin("citybench")
        .unwrap()
        .args(args)
        .env_remove("CITYBENCH_WORKSPACE")
        .output()
        .unwrap();
    (
        o.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&o.stdout).into_owned(),
        String::from_utf8_lossy(&o.stderr).into_owned(),
    )
}

#[test]
fn init_writes_a_commented_config_and_is_idempotent() {
    let ws = Ws::new();
    let cfg = std::fs::read_to_string(ws.root().join("citybench.toml")).unwrap();
    assert_eq!(cfg, citybench::config::DEFAULT_TOML);
    let r = ws.run(&["init", ws.root().to_str().unwrap()]);
    assert_eq!(r.code, 0);
    assert_eq!(
        r.stdout,
        format!(
            "{} is already a workspace; its citybench.toml was left unchanged\n",
            ws.root().display()
        )
    );
}

#[test]
fn ingest_outside_a_workspace_says_how_to_make_one() {
    let d = tempfile::tempdir().unwrap();
    let ws = d.path().join("nope");
    let f = d.path().join("x.csv");
    std::fs::write(&f, "a\n").unwrap();
    let (code, _, err) = citybench(&["-w", ws.to_str().unwrap(), "ingest", f.to_str().unwrap()]);
    assert_eq!(code, 2);
    assert_eq!(
        err,
        format!(
            "error: {}: not a citybench workspace (no citybench.toml); create one with `citybench init {}`\n",
            ws.display(),
            ws.display()
        )
    );
}

#[test]
fn catalog_lists_and_filters() {
    let (code, out, _) = citybench(&["catalog", "--format", "csv"]);
    assert_eq!(code, 0);
    assert_eq!(out.lines().count(), 114, "header + 113 data points");
    // --out writes the same text to the file, nothing to standard output
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("catalog.csv");
    let (code, to_stdout, _) = citybench(&[
        "catalog",
        "--format",
        "csv",
        "--out",
        file.to_str().unwrap(),
    ]);
    assert_eq!(code, 0);
    assert_eq!(to_stdout, "");
    assert_eq!(std::fs::read_to_string(&file).unwrap(), out);
    assert!(out.starts_with(
        "data_point_id,name,dimension,category,tier,canonical_unit,direction,direction_source\n"
    ));
    let (_, out, _) = citybench(&[
        "catalog",
        "--dimension",
        "environment",
        "--tier",
        "core",
        "--format",
        "ndjson",
    ]);
    let rows: Vec<serde_json::Value> = out
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert!(!rows.is_empty());
    assert!(
        rows.iter()
            .all(|r| r["dimension"] == "Environment" && r["tier"] == "core")
    );
    let (_, out, _) = citybench(&[
        "catalog",
        "--category",
        "Air Quality",
        "--format",
        "markdown",
    ]);
    assert!(out.contains("| EN-EN-AQ-1C-pm25 | Air Pollution: PM2.5 | Environment | Air Quality | core | ug_per_m3 | lower_better | inferred |"), "{out}");
}

#[test]
fn user_framework_replaces_the_catalogue() {
    let d = tempfile::tempdir().unwrap();
    let f = d.path().join("fw.csv");
    std::fs::write(&f, "data_point_id,name,dimension,canonical_unit,direction\nX1,Trees,Green,count,higher_better\n").unwrap();
    let (code, out, err) = citybench(&[
        "--catalog",
        f.to_str().unwrap(),
        "catalog",
        "--format",
        "csv",
    ]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(
        out,
        "data_point_id,name,dimension,category,tier,canonical_unit,direction,direction_source\nX1,Trees,Green,,,count,higher_better,\n"
    );
}

#[test]
fn units_for_a_data_point() {
    let (code, out, _) = citybench(&[
        "units",
        "--data-point",
        "EN-EN-AQ-1C-so2",
        "--format",
        "csv",
    ]);
    assert_eq!(code, 0);
    assert!(
        out.contains("ug_per_m3,ppb,2.62,false,EN-EN-AQ-1C-so2,x2.62 (ppb -> ug/m3)\n"),
        "{out}"
    );
    let (code, _, err) = citybench(&["units", "--data-point", "EN-EN-AQ-1C-s02"]);
    assert_eq!(code, 2);
    assert_eq!(
        err,
        "error: unknown data point 'EN-EN-AQ-1C-s02'; did you mean 'EN-EN-AQ-1C-so2'?\n"
    );
}

#[test]
fn generate_usage_errors_exit_2() {
    let d = tempfile::tempdir().unwrap();
    let out = d.path().to_str().unwrap();
    let (code, _, err) = citybench(&[
        "generate",
        "--cities",
        "0",
        "--years",
        "2020..2021",
        "--seed",
        "1",
        "--out",
        out,
    ]);
    assert_eq!(
        (code, err.as_str()),
        (2, "error: --cities must be at least 1\n")
    );
    let (code, _, err) = citybench(&[
        "generate",
        "--cities",
        "3",
        "--years",
        "2024..2020",
        "--seed",
        "1",
        "--out",
        out,
    ]);
    assert_eq!(code, 2);
    assert!(err.contains("invalid value '2024..2020' for '--years <YEARS>': 2024..2020 is inverted; write FROM..TO with FROM <= TO"), "{err}");
    let (code, _, err) = citybench(&[
        "generate",
        "--cities",
        "3",
        "--years",
        "2020..2021",
        "--seed",
        "abc",
        "--out",
        out,
    ]);
    assert_eq!(code, 2);
    assert!(
        err.contains("invalid value 'abc' for '--seed <SEED>'"),
        "{err}"
    );
}

#[test]
fn demo_builds_a_workspace_from_the_embedded_sample() {
    let d = tempfile::tempdir().unwrap();
    let dir = d.path().join("demo");
    // an explicit -w is the demo's directory (no new directory under /tmp)
    let (code, out, err) = citybench(&["--quiet", "-w", dir.to_str().unwrap(), "demo"]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(
        out.contains(&format!("workspace: {}\n", dir.display())),
        "{out}"
    );
    assert!(out.contains("rows read"), "{out}");
    let m: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("manifest.json")).unwrap()).unwrap();
    let b = &m["batches"][0];
    assert!(b["rows_accepted"].as_u64().unwrap() > 250_000);
    assert_eq!(b["rows_rejected"], 0);
    // the pipeline ran: derived tables, the database, passing checks, and a query to try
    let checks = format!("checks: {} passed", citybench::warehouse::CHECKS.len());
    assert!(out.contains(&checks), "{out}");
    // the sample self-assessments were ingested and the demo points at maturity and verify
    assert!(
        out.contains("sample-assessments.csv -> assessments.parquet: 820 synthetic self-assessment rows (EU-China framework, ITU-T Y.4904), 0 rejected"),
        "{out}"
    );
    assert!(out.contains(" maturity --city "), "{out}");
    assert!(out.contains(" verify --city "), "{out}");
    assert!(dir.join("derived/percentiles.parquet").exists());
    assert!(dir.join("citybench.duckdb").exists());
    let line = out
        .lines()
        .find(|l| l.contains("from city_scorecard where city_id"))
        .expect("a query to try");
    let query = line.split('"').nth(1).unwrap();
    let (code, rows, err) =
        citybench(&["-w", dir.to_str().unwrap(), "sql", query, "--format", "csv"]);
    assert_eq!(code, 0, "{err}");
    assert!(rows.lines().count() > 20, "{rows}");
    // the suggested snapshot and report work on the sample
    let line = out
        .lines()
        .find(|l| l.contains(" snapshot --city "))
        .expect("a snapshot to try");
    let city = line
        .split("--city ")
        .nth(1)
        .unwrap()
        .split_whitespace()
        .next()
        .unwrap();
    let w = dir.to_str().unwrap();
    let (code, snap, err) = citybench(&["-w", w, "snapshot", "--city", city]);
    assert_eq!(code, 0, "{err}");
    assert!(
        snap.contains("overall: ") && snap.contains("ECONOMY: "),
        "{snap}"
    );
    // the featured city has a published peer group (n >= [peers] k = 5) on every data point
    // in every configured grouping: no row of a suggested comparison is suppressed
    // (issue 20: the featured city was alone in its continent)
    for grouping in [
        "all",
        "population_band",
        "economy",
        "continent",
        "un_region",
    ] {
        let (code, json, err) = citybench(&[
            "-w", w, "compare", "--city", city, "--peers", grouping, "--format", "json",
        ]);
        assert_eq!(code, 0, "{grouping}: {err}");
        let rows: Vec<serde_json::Value> = serde_json::from_str(&json).unwrap();
        assert!(rows.len() > 100, "{grouping}: {} rows", rows.len());
        for r in &rows {
            if citybench::generate::NOT_GENERATED.contains(&r["data_point_id"].as_str().unwrap()) {
                // a data point the sample does not hold
                assert!(r["peer_n"].is_null(), "{grouping}: {r}");
                continue;
            }
            assert_eq!(r["suppressed"], false, "{grouping}: {r}");
            assert!(r["peer_n"].as_u64().unwrap() >= 5, "{grouping}: {r}");
        }
    }
    let reports = d.path().join("reports");
    let (code, path, err) = citybench(&[
        "-w",
        w,
        "report",
        "--city",
        city,
        "--out",
        reports.to_str().unwrap(),
    ]);
    assert_eq!(code, 0, "{err}");
    assert!(std::path::Path::new(path.trim()).is_file(), "{path}");
    // the suggested template: the city's sample values pre-filled as reported (alternative
    // spellings, yes/no values) ingest back without a rejection
    let xlsx = d.path().join("t.xlsx");
    let (code, said, err) = citybench(&[
        "-w",
        w,
        "template",
        "--city",
        city,
        "--out",
        xlsx.to_str().unwrap(),
    ]);
    assert_eq!(code, 0, "{err}");
    let prefilled: u64 = said
        .split(" data points (")
        .nth(1)
        .and_then(|x| x.split_whitespace().next())
        .unwrap()
        .parse()
        .unwrap();
    assert!(prefilled > 100, "{said}");
    let (code, ing, err) = citybench(&["-w", w, "ingest", xlsx.to_str().unwrap()]);
    assert_eq!(code, 0, "{ing}{err}");
    assert!(
        ing.contains(&format!(
            "{prefilled} rows read, {prefilled} accepted, 0 rejected"
        )),
        "{ing}"
    );
    assert!(out.contains(" export --out "), "{out}");
    // a second demo into the same (now non-empty) directory is refused, by --dir, -w or
    // CITYBENCH_WORKSPACE alike
    let refused = format!(
        "error: {} is not empty; give a new or empty directory for the demo workspace\n",
        dir.display()
    );
    let (code, _, err) = citybench(&["demo", "--dir", dir.to_str().unwrap()]);
    assert_eq!((code, err.as_str()), (2, refused.as_str()));
    let (code, _, err) = citybench(&["-w", dir.to_str().unwrap(), "demo"]);
    assert_eq!((code, err.as_str()), (2, refused.as_str()));
    let o = Command::cargo_bin("citybench")
        .unwrap()
        .args(["demo"])
        .env("CITYBENCH_WORKSPACE", &dir)
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    assert_eq!(String::from_utf8_lossy(&o.stderr), refused);
}

#[test]
fn demo_refuses_different_dir_and_workspace() {
    let d = tempfile::tempdir().unwrap();
    let (a, b) = (d.path().join("a"), d.path().join("b"));
    let (code, out, err) = citybench(&[
        "-w",
        a.to_str().unwrap(),
        "demo",
        "--dir",
        b.to_str().unwrap(),
    ]);
    assert_eq!((code, out.as_str()), (2, ""));
    assert_eq!(
        err,
        format!(
            "error: --dir {} and the workspace {} (-w/--workspace or CITYBENCH_WORKSPACE) differ; give one of them for the demo workspace\n",
            b.display(),
            a.display()
        )
    );
    assert!(!a.exists() && !b.exists(), "nothing created");
}

#[test]
fn cities_search_that_finds_nothing_says_why_and_how_to_add_a_place() {
    // outside a workspace: the embedded registry; exit 0 (an empty result is no error)
    let d = tempfile::tempdir().unwrap();
    let none = d.path().join("none");
    let (code, out, err) =
        citybench(&["-w", none.to_str().unwrap(), "cities", "--search", "Karmøy"]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(out.lines().count(), 2, "header and rule only: {out}");
    assert_eq!(
        err,
        "no city matches --search 'Karmøy'
  the registry is the GeoNames places of 15 000+ inhabitants (33961 cities), plus a workspace's cities.csv (-w DIR)
  a smaller place or a municipality: add it to the workspace's cities.csv, in the registry's columns (datasets/registry/README.md, \"Cities not in this file\")
  nearest names: Karamay (1529401, CN)
"
    );
    // in a workspace, with a country: the nearest names of that country; csv stays clean
    let ws = Ws::new();
    let r = ws.run(&[
        "cities",
        "--search",
        "Stavangr",
        "--country",
        "NO",
        "--format",
        "csv",
    ]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(
        r.stdout,
        "city_id,name,country_iso2,continent,un_region,economy,population,population_year,population_band\n"
    );
    assert_eq!(
        r.stderr,
        "no city matches --search 'Stavangr' in country NO
  the registry is the GeoNames places of 15 000+ inhabitants (33961 cities), plus 0 added by the workspace's cities.csv
  a smaller place or a municipality: add it to the workspace's cities.csv, in the registry's columns (datasets/registry/README.md, \"Cities not in this file\")
  nearest names: Stavanger (3137115, NO)
"
    );
    // nothing near: no nearest names line
    let r = ws.run(&["cities", "--search", "Qxzqxzq"]);
    assert_eq!(r.code, 0);
    assert!(
        r.stderr.starts_with("no city matches --search 'Qxzqxzq'\n"),
        "{}",
        r.stderr
    );
    assert!(!r.stderr.contains("nearest"), "{}", r.stderr);
    // a search that finds something prints no hint
    let r = ws.run(&["cities", "--search", "Stavanger"]);
    assert_eq!((r.code, r.stderr.as_str()), (0, ""));
}

#[test]
fn cities_search_and_workspace_additions() {
    let ws = Ws::new();
    std::fs::write(
        ws.root().join("cities.csv"),
        "city_id,name,ascii_name,country_iso2,country_iso3,continent,un_region,economy,population,population_year,latitude,longitude\n\
         karmoy,Karmøy,Karmoy,NO,NOR,Europe,Northern Europe,developed,42903,2023,59.28,5.3\n",
    )
    .unwrap();
    std::fs::write(
        ws.root().join("attributes.csv"),
        "city_id,climate_zone\nkarmoy,Cfb\nghost,Dfb\n",
    )
    .unwrap();
    let r = ws.run(&[
        "cities",
        "--search",
        "karmoy",
        "--attributes",
        "--format",
        "csv",
    ]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(
        r.stdout,
        "city_id,name,country_iso2,continent,un_region,economy,population,population_year,population_band,climate_zone\n\
         karmoy,Karmøy,NO,Europe,Northern Europe,developed,42903,2023,<100k,Cfb\n"
    );
    assert!(
        r.stderr
            .contains("attributes.csv:3: city_id: unknown city_id 'ghost'"),
        "{}",
        r.stderr
    );
    // a search that misses counts the workspace's additions and offers them as near names
    let r = ws.run(&["cities", "--search", "Karmoyy", "--country", "no"]);
    assert_eq!(r.code, 0);
    assert!(
        r.stderr
            .contains("(33961 cities), plus 1 added by the workspace's cities.csv\n"),
        "{}",
        r.stderr
    );
    assert!(
        r.stderr
            .ends_with("\n  nearest names: Karmøy (karmoy, NO)\n"),
        "{}",
        r.stderr
    );
    // the added city's submissions are accepted
    let f = ws.file(
        "k.csv",
        format!(
            "{}\nkarmoy,EC-ICT-ICT-1C,2023,91,%,SSB,measured,true,false\n",
            crate::util::HEADER
        ),
    );
    assert_eq!(ws.ingest(&f).code, 0);
}

#[test]
fn cities_match_reports_every_row_with_method_status_and_candidates() {
    let d = tempfile::tempdir().unwrap();
    let f = d.path().join("t.csv");
    std::fs::write(
        &f,
        "Country,City_Name,population\n\
         NOR,Stavanger,1\n\
         ch,Genf,2\n\
         Switzerland,City of Geneva,3\n\
         PH,Talisay,4\n\
         NO,Stavangr,5\n\
         XX,Oslo,6\n\
         NOR,,7\n",
    )
    .unwrap();
    let (code, out, err) =
        citybench(&["cities", "--match", f.to_str().unwrap(), "--format", "csv"]);
    assert_eq!(code, 1, "{err}");
    assert_eq!(
        out,
        "line,country,name,city_id,registry_name,country_iso2,method,status,candidates,reason\n\
         2,NOR,Stavanger,3137115,Stavanger,NO,exact,matched,,\n\
         3,ch,Genf,2660646,Geneva,CH,alternate,matched,,\n\
         4,Switzerland,City of Geneva,2660646,Geneva,CH,affix,matched,,\n\
         5,PH,Talisay,,,PH,exact,ambiguous,1683881 Talisay (pop 133148); 1683877 Talisay (pop 109204); 1683860 Talisay (pop 24969),3 cities in PH (Philippines) fit 'Talisay' (exact match); none is picked\n\
         6,NO,Stavangr,,,NO,,unmatched,3137115 Stavanger (pop 151669),no city named 'Stavangr' in NO (Norway)\n\
         7,XX,Oslo,,,,,unmatched,,unknown country 'XX'; give an ISO 3166 alpha-2 or alpha-3 code or a country name\n\
         8,NOR,,,,NO,,unmatched,,no city name given\n"
    );
    assert_eq!(
        err,
        format!(
            "{}: 7 rows, 3 matched, 1 ambiguous, 3 unmatched\n",
            f.display()
        )
    );
    // named columns; JSON carries the same fields
    let g = d.path().join("g.csv");
    std::fs::write(&g, "land,stad\nNO,Stavanger\n").unwrap();
    let (code, out, err) = citybench(&[
        "--quiet",
        "cities",
        "--match",
        g.to_str().unwrap(),
        "--country-column",
        "LAND",
        "--name-column",
        "stad",
        "--format",
        "json",
    ]);
    assert_eq!((code, err.as_str()), (0, ""));
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v[0]["city_id"], "3137115");
    assert_eq!(v[0]["method"], "exact");
    assert_eq!(v[0]["line"], 2);
    assert_eq!(v[0]["candidates"], serde_json::Value::Null);
}

#[test]
fn cities_match_rejections_are_exact() {
    let d = tempfile::tempdir().unwrap();
    const GIVE: &str = "give a CSV file with a header row and one city per row (a country column and a city name column)";
    let missing = d.path().join("nope.csv");
    let (code, _, err) = citybench(&["cities", "--match", missing.to_str().unwrap()]);
    assert_eq!(code, 2);
    assert_eq!(
        err,
        format!("error: {}: no such file; {GIVE}\n", missing.display())
    );
    let f = d.path().join("t.csv");
    std::fs::write(&f, "iso3c,town_name\nNOR,Stavanger\n").unwrap();
    let (code, _, err) = citybench(&["cities", "--match", f.to_str().unwrap()]);
    assert_eq!(code, 2);
    assert_eq!(
        err,
        format!(
            "error: {}: no city name column (looked for city_name, city, name, municipality); name it with --name-column; the header has: iso3c, town_name\n",
            f.display()
        )
    );
    let (code, _, err) = citybench(&[
        "cities",
        "--match",
        f.to_str().unwrap(),
        "--name-column",
        "stad",
    ]);
    assert_eq!(code, 2);
    assert_eq!(
        err,
        format!(
            "error: {}: no column 'stad' (--name-column); the header has: iso3c, town_name\n",
            f.display()
        )
    );
    std::fs::write(&f, "nation,city\nNOR,Stavanger\n").unwrap();
    let (code, _, err) = citybench(&["cities", "--match", f.to_str().unwrap()]);
    assert_eq!(code, 2);
    assert_eq!(
        err,
        format!(
            "error: {}: no country column (looked for country_iso2, country_iso3, iso2, iso3, iso3c, country_code, country, country_name); name it with --country-column; the header has: nation, city\n",
            f.display()
        )
    );
    std::fs::write(&f, "city,name\nNOR,Stavanger\n").unwrap();
    let (code, _, err) = citybench(&[
        "cities",
        "--match",
        f.to_str().unwrap(),
        "--country-column",
        "city",
    ]);
    assert_eq!(code, 2);
    assert_eq!(
        err,
        format!(
            "error: {}: the country and the city name are both read from column 'city'; give --country-column and --name-column\n",
            f.display()
        )
    );
    std::fs::write(&f, b"iso3c,city\nNOR,Troms\xf8\n").unwrap();
    let (code, _, err) = citybench(&["cities", "--match", f.to_str().unwrap()]);
    assert_eq!(code, 2);
    assert_eq!(
        err,
        format!(
            "error: {}: not UTF-8 text (byte 0xF8 at byte offset 20, line 2: '\u{f8}' if the file is Latin-1/Windows-1252); save it as UTF-8\n",
            f.display()
        )
    );
}

#[test]
fn demo_real_ingests_what_a_waste_and_shows_a_hand_checked_value() {
    // the committed match table is what the engine's matcher gives for the (corrected) names
    // in a workspace holding the dataset's additions as its cities.csv (the build passes
    // --most-populous 10, datasets/real/README.md); the build appends four columns
    let matches = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/datasets/real/what_a_waste_2_matches.csv"
    );
    let committed = std::fs::read_to_string(matches).unwrap();
    let ws = tempfile::tempdir().unwrap();
    let wsp = ws.path().join("ws");
    let wsd = wsp.to_str().unwrap();
    let (code, _, err) = citybench(&["--quiet", "init", wsd]);
    assert_eq!(code, 0, "{err}");
    std::fs::write(wsp.join("cities.csv"), citybench::sample::REAL_CITIES_CSV).unwrap();
    let (code, out, err) = citybench(&[
        "-w",
        wsd,
        "cities",
        "--match",
        matches,
        "--country-column",
        "country",
        "--name-column",
        "name",
        "--most-populous",
        "10",
        "--format",
        "csv",
    ]);
    assert_eq!(code, 1, "{err}");
    assert_eq!(
        err,
        format!("{matches}: 367 rows, 354 matched, 0 ambiguous, 13 unmatched\n")
    );
    let mut rdr = csv::Reader::from_reader(committed.as_bytes());
    let header: Vec<String> = rdr.headers().unwrap().iter().map(String::from).collect();
    let extra = ["source_iso3c", "source_name", "correction", "city_from"];
    assert_eq!(header[header.len() - 4..], extra);
    let rows: Vec<Vec<String>> = rdr
        .records()
        .map(|r| r.unwrap().iter().map(String::from).collect())
        .collect();
    let mut w = csv::WriterBuilder::new()
        .terminator(csv::Terminator::Any(b'\n'))
        .from_writer(vec![]);
    w.write_record(&header[..header.len() - 4]).unwrap();
    for r in &rows {
        w.write_record(&r[..r.len() - 4]).unwrap();
    }
    assert_eq!(out, String::from_utf8(w.into_inner().unwrap()).unwrap());
    // 344 registry cities (9 of them after a source correction), 10 workspace additions
    // (2 after a correction), every correction and addition said so in the table
    fn from(r: &[String]) -> &str {
        &r[r.len() - 1]
    }
    let corrected = |r: &Vec<String>| !r[r.len() - 2].is_empty();
    let addition = "workspace addition (GeoNames place below the registry's 15 000)";
    let count = |f: &dyn Fn(&Vec<String>) -> bool| rows.iter().filter(|r| f(r)).count();
    assert_eq!(count(&|r| from(r) == "registry" && !corrected(r)), 335);
    assert_eq!(count(&|r| from(r) == "registry" && corrected(r)), 9);
    assert_eq!(count(&|r| from(r) == addition && !corrected(r)), 8);
    assert_eq!(count(&|r| from(r) == addition && corrected(r)), 2);
    assert_eq!(count(&|r| from(r).is_empty() && corrected(r)), 0);
    assert_eq!(
        citybench::sample::REAL_CITIES_CSV.lines().count() - 1,
        10,
        "one addition per matched place"
    );
    // the wrong-country correction, by hand: the source's Labe under GNQ is Labé, Guinea
    let labe = rows.iter().find(|r| r[0] == "119").unwrap();
    assert_eq!(
        labe[..8],
        [
            "119", "GIN", "Labe", "2418362", "Labé", "GN", "ascii", "matched"
        ]
    );
    assert_eq!(labe[10..12], ["GNQ", "Labe"]);
    assert!(labe[12].starts_with("wrong country in source: Labé is a city of Guinea"));
    assert_eq!(from(labe), "registry");
    // an addition, by hand: Kotor, GeoNames 3197538, 5 345 inhabitants
    let kotor = rows.iter().find(|r| r[0] == "240").unwrap();
    assert_eq!(
        kotor[..8],
        [
            "240", "MNE", "Kotor", "3197538", "Kotor", "ME", "exact", "matched"
        ]
    );
    assert_eq!(from(kotor), addition);
    assert!(
        citybench::sample::REAL_CITIES_CSV.contains(
            "\n3197538,Kotor,Kotor,ME,MNE,Europe,Southern Europe,in_transition,5345,2025,"
        )
    );
    // and one in a country with no registry city: Funafuti, Tuvalu
    let funafuti = rows.iter().find(|r| r[0] == "332").unwrap();
    assert_eq!(
        funafuti[..8],
        [
            "332", "TUV", "Funafuti", "2110394", "Funafuti", "TV", "exact", "matched"
        ]
    );
    assert_eq!(from(funafuti), addition);
    // the demo ingests every row of the embedded dataset and prints the attribution
    let rows = citybench::sample::REAL_CSV.lines().count() - 1;
    assert_eq!(rows, 582);
    let d = tempfile::tempdir().unwrap();
    let dir = d.path().join("real");
    let w = dir.to_str().unwrap();
    let (code, out, err) = citybench(&["--quiet", "demo", "--real", "--dir", w]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(
        out.contains(&format!(
            "source: {}\n",
            citybench::sample::REAL_ATTRIBUTION
        )),
        "{out}"
    );
    assert!(citybench::sample::REAL_ATTRIBUTION.contains("Licence: CC BY 4.0"));
    assert!(
        out.contains("\ncities.csv: 10 workspace additions (GeoNames places below the registry's 15 000 that What a Waste names)\n"),
        "{out}"
    );
    assert!(
        out.contains("what_a_waste_2.csv -> batch 000001-")
            && out.contains(": 582 rows read, 582 accepted, 0 rejected\n"),
        "{out}"
    );
    assert!(
        out.contains(&format!(
            "citybench -w {w} snapshot --city 2643743          # London: solid waste collection and treatment, with unit and year"
        )),
        "{out}"
    );
    let line = out
        .lines()
        .find(|l| l.contains("where city_id = '2643743'"))
        .expect("a query on the featured city");
    let query = line.split('"').nth(1).unwrap();
    let (code, rows, err) = citybench(&["-w", w, "sql", query, "--format", "csv"]);
    assert_eq!(code, 0, "{err}");
    assert!(rows.contains("Solid Waste Treatment: Recycled,"), "{rows}");
    // Oslo, by hand: What a Waste's waste_treatment_incineration_percent = 57.85, the
    // codebook dates Oslo's total MSW 2013; the submission row, the canonical unit (pct,
    // factor 1) and the snapshot agree
    assert!(
        citybench::sample::REAL_CSV.contains("\n3143244,EN-EN-WA-1C-incinerated,2013,57.85,%,"),
        "the Oslo row"
    );
    let (code, snap, err) =
        citybench(&["-w", w, "snapshot", "--city", "3143244", "--format", "json"]);
    assert_eq!(code, 0, "{err}");
    let v: serde_json::Value = serde_json::from_str(&snap).unwrap();
    let p = v["dimensions"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|d| d["sub_dimensions"].as_array().unwrap())
        .flat_map(|s| s["categories"].as_array().unwrap())
        .flat_map(|c| c["data_points"].as_array().unwrap())
        .find(|p| p["data_point_id"] == "EN-EN-WA-1C-incinerated")
        .unwrap();
    assert_eq!(p["value"], 57.85);
    assert_eq!(p["unit"], "pct");
    assert_eq!(p["unit_symbol"], "%");
    assert_eq!(p["source_year"], 2013);
    let (code, snap, err) = citybench(&["-w", w, "snapshot", "--city", "3143244"]);
    assert_eq!(code, 0, "{err}");
    assert!(
        snap.lines()
            .any(|l| l.contains(" 57.85  %           2013 ")),
        "{snap}"
    );
    // the demo workspace holds the additions as its cities.csv, so an added place is a city
    // of the run: Kotor's landfill share (What a Waste's controlled landfill 59.98, 2013)
    assert_eq!(
        std::fs::read_to_string(dir.join("cities.csv")).unwrap(),
        citybench::sample::REAL_CITIES_CSV
    );
    assert!(
        citybench::sample::REAL_CSV.contains("\n3197538,EN-EN-WA-1C-landfill,2013,59.98,%,"),
        "the Kotor row"
    );
    let (code, snap, err) = citybench(&["-w", w, "snapshot", "--city", "3197538"]);
    assert_eq!(code, 0, "{err}");
    assert!(
        snap.starts_with("Kotor (3197538) · MNE · Europe · population <100k\n"),
        "{snap}"
    );
    assert!(
        snap.lines()
            .any(|l| l.contains(" 59.98  %           2013 ")),
        "{snap}"
    );
}

/// The `docs/NAME.md` paths in `text` (letters, digits, `_`, `-`, `/` before `.md`).
fn docs_paths(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = text;
    while let Some(i) = rest.find("docs/") {
        let tail = &rest[i..];
        let len = tail
            .find(|c: char| !(c.is_ascii_alphanumeric() || "_-/.".contains(c)))
            .unwrap_or(tail.len());
        let path = tail[..len].trim_end_matches('.');
        if path.ends_with(".md") {
            out.push(path.to_owned());
        }
        rest = &tail[5..];
    }
    out
}

fn rust_sources(dir: &std::path::Path, out: &mut Vec<std::path::PathBuf>) {
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            rust_sources(&p, out);
        } else if p.extension().is_some_and(|x| x == "rs") {
            out.push(p);
        }
    }
}

#[test]
fn every_docs_path_the_sources_name_exists() {
    // the config `init` writes names the methodology by its real (lower-case) file name
    assert_eq!(
        docs_paths(citybench::config::DEFAULT_TOML),
        ["docs/methodology.md"]
    );
    assert_eq!(
        docs_paths("see docs/METHODOLOGY.md, docs/x-y.md. and docs/ alone"),
        ["docs/METHODOLOGY.md", "docs/x-y.md"]
    );
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files = Vec::new();
    rust_sources(&root.join("src"), &mut files);
    let mut named = 0;
    for f in files {
        let text = std::fs::read_to_string(&f).unwrap();
        for p in docs_paths(&text) {
            named += 1;
            // exact case: the file system may not care, a Linux checkout does
            let (dir, name) = p.rsplit_once('/').unwrap();
            let found = std::fs::read_dir(root.join(dir))
                .map(|d| d.filter_map(|e| e.ok()).any(|e| e.file_name() == name))
                .unwrap_or(false);
            assert!(found, "{} names {p}, which does not exist", f.display());
        }
    }
    assert!(named > 3, "{named} docs paths found in src/");
}
