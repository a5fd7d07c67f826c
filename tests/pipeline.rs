//! `citybench run`: Polars results cross-checked against an independent DuckDB SQL
//! computation on generated data, determinism, targets overrides and configuration errors.

use polars::prelude::*;

use crate::util::{GENEVA, HEADER, STAVANGER, Ws};

/// A workspace with `cities` generated cities (2015..2024), ingested and run.
pub fn generated(cities: u32, seed: u32) -> Ws {
    let ws = Ws::new();
    ws.generate_and_ingest("g", cities, "2015..2024", seed);
    let r = ws.run(&["run"]);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    let checks = format!("checks: {} passed", citybench::warehouse::CHECKS.len());
    assert!(r.stdout.contains(&checks), "{}", r.stdout);
    ws
}

fn duck(ws: &Ws) -> duckdb::Connection {
    let con = duckdb::Connection::open_in_memory().unwrap();
    for t in [
        "catalog",
        "cities",
        "observations",
        "aligned",
        "attainment",
        "peer_stats",
        "percentiles",
        "rollups",
        "rollups_published",
        "trends",
        "gaps",
    ] {
        con.execute_batch(&format!(
            "create view {t} as select * from read_parquet('{}/derived/{t}.parquet')",
            ws.root().display()
        ))
        .unwrap();
    }
    con
}

/// (rows compared, rows that disagree) of a query returning those two counts.
fn counts(con: &duckdb::Connection, sql: &str) -> (i64, i64) {
    con.query_row(sql, [], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap_or_else(|e| panic!("{e}\n{sql}"))
}

/// `a` and `b` equal to 1e-9 (relative for large magnitudes), nulls equal to nulls.
fn differ(a: &str, b: &str) -> String {
    format!("(({a} is null) <> ({b} is null) or abs({a} - {b}) > 1e-9 * greatest(1, abs({b})))")
}

#[test]
fn duckdb_recomputes_alignment_peers_percentiles_attainment_rollups_and_trends() {
    let ws = generated(300, 5);
    let con = duck(&ws);
    let year: i32 = con
        .query_row("select max(year) from observations", [], |r| r.get(0))
        .unwrap();
    // alignment from the raw batch, independently: latest year in [Y - 2, Y]
    con.execute_batch(&format!(
        "create table my_aligned as
         select city_id, data_point_id, arg_max(value, year) as value, max(year) as source_year,
                arg_max(confidential, year) as confidential
         from read_parquet('{}/raw/*/*.parquet')
         where year between {year} - 2 and {year}
         group by all",
        ws.root().display()
    ))
    .unwrap();
    let (n, bad) = counts(
        &con,
        &format!(
            "select count(*), count(*) filter (where a.city_id is null or m.city_id is null or {} or a.source_year <> m.source_year)
             from aligned a full join my_aligned m using (city_id, data_point_id)",
            differ("a.value", "m.value")
        ),
    );
    assert!(n > 10_000, "{n}");
    assert_eq!(bad, 0, "aligned rows differ");

    // memberships from the cities table, independently of the engine
    con.execute_batch(
        "create table groups as
         select city_id, 'all' as grouping, 'all' as grp from cities union all
         select city_id, 'population_band', population_band from cities where population is not null union all
         select city_id, 'economy', economy from cities where economy <> '' union all
         select city_id, 'continent', continent from cities where continent <> '' union all
         select city_id, 'un_region', un_region from cities where un_region <> '';
         create table g as
         select g.grouping, g.grp, m.city_id, m.data_point_id, m.value, m.confidential, c.direction,
                a.target
         from my_aligned m join groups g using (city_id) join catalog c using (data_point_id)
         join attainment a using (city_id, data_point_id);",
    )
    .unwrap();
    let stats = [
        ("min", "min(value)"),
        ("p10", "quantile_cont(value, 0.10)"),
        ("p25", "quantile_cont(value, 0.25)"),
        ("median", "quantile_cont(value, 0.5)"),
        ("p75", "quantile_cont(value, 0.75)"),
        ("p90", "quantile_cont(value, 0.90)"),
        ("max", "max(value)"),
        ("mean", "avg(value)"),
        ("sd", "stddev_samp(value)"),
    ];
    // over the values that are not confidential (METHODOLOGY section 10)
    let select: Vec<String> = stats
        .iter()
        .map(|(n, e)| {
            format!(
                "case when count(*) filter (where not confidential) >= 5 then {e} filter (where not confidential) end as {n}"
            )
        })
        .collect();
    let cmp: Vec<String> = stats
        .iter()
        .map(|(n, _)| differ(&format!("p.{n}"), &format!("s.{n}")))
        .collect();
    let (n, bad) = counts(
        &con,
        &format!(
            "with s as (select grouping, grp, data_point_id,
                               count(*) filter (where not confidential) as n,
                               count(*) filter (where confidential) as n_confidential, {}
                        from g group by all)
             select count(*), count(*) filter (where p.n is null or s.n is null or p.n <> s.n
                 or p.n_confidential <> s.n_confidential
                 or p.suppressed <> (s.n < 5) or {})
             from peer_stats p full join s
               on p.grouping = s.grouping and p.\"group\" = s.grp and p.data_point_id = s.data_point_id",
            select.join(", "),
            cmp.join(" or ")
        ),
    );
    assert!(n > 1_000, "{n}");
    assert_eq!(bad, 0, "peer statistics differ");
    let (n, _) = counts(
        &con,
        "select count(*) filter (where n_confidential > 0 and not suppressed), 0 from peer_stats",
    );
    assert!(
        n > 100,
        "{n} published statistics left confidential values out"
    );

    // percentiles among the published scores: B strictly worse, T tied (the city included),
    // N with a score; a confidential value is placed against them (T and N + 1)
    let (n, bad) = counts(
        &con,
        &format!(
            "with sc as (
                 select *, case direction when 'higher_better' then value
                                          when 'lower_better' then -value
                                          when 'target_band' then -abs(value - target) end as score
                 from g),
             pub as (select * from sc where not confidential),
             big as (select grouping, grp, data_point_id, count(score) as big_n from pub group by all),
             r as (
                 select *,
                        rank() over (partition by grouping, grp, data_point_id order by score) - 1 as b,
                        count(*) over (partition by grouping, grp, data_point_id, score) as t
                 from pub),
             secret as (
                 select x.grouping, x.grp, x.city_id, x.data_point_id, x.score,
                        count(p.score) filter (where p.score < x.score) as b,
                        count(p.score) filter (where p.score = x.score) + 1 as t
                 from sc x left join pub p using (grouping, grp, data_point_id)
                 where x.confidential
                 group by all),
             mine as (
                 select grouping, grp, city_id, data_point_id,
                        case when score is not null and big_n >= 5 then 100.0 * (b + t / 2.0) / big_n end as pct
                 from r left join big using (grouping, grp, data_point_id)
                 union all
                 select grouping, grp, city_id, data_point_id,
                        case when score is not null and big_n >= 5 then 100.0 * (b + t / 2.0) / (big_n + 1) end
                 from secret left join big using (grouping, grp, data_point_id))
             select count(*), count(*) filter (where p.city_id is null or m.city_id is null or {})
             from percentiles p full join mine m
               on p.grouping = m.grouping and p.\"group\" = m.grp and p.city_id = m.city_id
              and p.data_point_id = m.data_point_id",
            differ("p.percentile", "m.pct")
        ),
    );
    assert!(n > 50_000, "{n}");
    assert_eq!(bad, 0, "percentiles differ");

    // attainment and points from value and the resolved target
    let (n, bad) = counts(
        &con,
        &format!(
            "with a as (
                 select *,
                   case when value is null or method is null then null
                        when method = 'band' then greatest(0, 1 - abs(value - target) / tolerance)
                        when method = 'bounded' then
                             case when worst is null or worst = target then null
                                  else greatest(0, least(1, (value - worst) / (target - worst))) end
                        when direction = 'lower_better' then case when value = 0 then 1 else target / value end
                        else value / target end as my_a
                 from attainment),
             p as (
                 select *, case when my_a is null then null
                                when (case when my_a > 1 then 1 else my_a end) >= 0.95 - 1e-9 then 4
                                when (case when my_a > 1 then 1 else my_a end) >= 0.66 - 1e-9 then 3
                                when (case when my_a > 1 then 1 else my_a end) >= 0.33 - 1e-9 then 2
                                else 1 end as my_points
                 from a)
             select count(*) filter (where my_points is not null),
                    count(*) filter (where {} or (points is distinct from my_points))
             from p",
            differ("attainment", "my_a")
        ),
    );
    assert!(n > 1_000, "{n}");
    assert_eq!(bad, 0, "attainment differs");
    // default targets are the catalogue's targets.csv
    let targets = concat!(env!("CARGO_MANIFEST_DIR"), "/datasets/catalog/targets.csv");
    let (n, bad) = counts(
        &con,
        &format!(
            "select count(*), count(*) filter (where a.target <> t.target)
             from attainment a join read_csv('{targets}', header = true) t using (data_point_id)
             where t.target is not null"
        ),
    );
    assert!(n > 1_000);
    assert_eq!(bad, 0, "targets differ from targets.csv");
    // benchmarks where targets.csv has none: the mean of the 5 best published values of
    // the analysis year (direction-adjusted), from at least 5; none for target bands
    let (n, bad) = counts(
        &con,
        &format!(
            "with v as (
                 select m.data_point_id, c.direction, m.value,
                        row_number() over (partition by m.data_point_id
                            order by case c.direction when 'lower_better' then m.value else -m.value end) as r,
                        count(*) over (partition by m.data_point_id) as n
                 from my_aligned m join catalog c using (data_point_id)
                 where not m.confidential and c.direction in ('higher_better', 'lower_better')),
             b as (select data_point_id, avg(value) filter (where r <= 5) as benchmark, max(n) as n
                   from v group by all having max(n) >= 5),
             t as (select * from read_csv('{targets}', header = true) where target is null),
             a as (select data_point_id, target, benchmark_n from attainment
                   where reference_kind = 'benchmark')
             select count(*), count(*) filter (where b.data_point_id is null or {} or a.benchmark_n <> b.n)
             from a join t using (data_point_id) left join b using (data_point_id)",
            differ("a.target", "b.benchmark")
        ),
    );
    assert!(n > 10_000, "{n} rows scored against a benchmark");
    assert_eq!(bad, 0, "benchmarks differ");

    // roll-ups from the points
    let (n, bad) = counts(
        &con,
        &format!(
            "with c as (
                 select city_id, dimension, count(*) filter (where direction <> 'neutral') as items,
                        count(points) as scored, sum(points) as pts
                 from attainment group by all),
             mine as (select *, case when scored > 0 then pts / (4.0 * scored) end as score,
                             case when items > 0 then scored / items end as cov from c)
             select count(*), count(*) filter (where r.city_id is null or {} or {} or r.items <> m.items)
             from rollups r join mine m on r.city_id = m.city_id and r.path = m.dimension
             where r.level = 'dimension'",
            differ("r.rollup_score", "m.score"),
            differ("r.coverage", "m.cov")
        ),
    );
    assert!(n >= 300, "{n}");
    assert_eq!(bad, 0, "rollups differ");
    // the published roll-ups: the points of confidential values left unscored
    let (n, bad) = counts(
        &con,
        &format!(
            "with c as (
                 select city_id, dimension, count(*) filter (where direction <> 'neutral') as items,
                        count(points) filter (where not coalesce(confidential, false)) as scored,
                        sum(points) filter (where not coalesce(confidential, false)) as pts,
                        count(*) filter (where direction <> 'neutral' and coalesce(confidential, false)) as hidden
                 from attainment group by all),
             mine as (select *, case when scored > 0 then pts / (4.0 * scored) end as score,
                             case when items > 0 then scored / items end as cov from c)
             select count(*) filter (where m.hidden > 0),
                    count(*) filter (where r.city_id is null or {} or {} or r.items <> m.items
                                     or r.confidential_items <> m.hidden)
             from rollups_published r join mine m on r.city_id = m.city_id and r.path = m.dimension
             where r.level = 'dimension'",
            differ("r.rollup_score", "m.score"),
            differ("r.coverage", "m.cov")
        ),
    );
    assert!(
        n >= 100,
        "{n} published roll-ups left a confidential item out"
    );
    assert_eq!(bad, 0, "published rollups differ");

    // trend slopes: DuckDB's regr_slope over the same observations
    let (n, bad) = counts(
        &con,
        &format!(
            "with o as (select city_id, data_point_id, regr_slope(value, year) as s, count(*) as n,
                               max(value) - min(value) as range
                        from observations where year <= {year} group by all)
             select count(*), count(*) filter (where {})
             from trends t join o using (city_id, data_point_id)
             where o.n >= 2 and o.range > 0",
            "abs(t.slope - o.s) > 1e-9 * greatest(1, abs(o.s))"
        ),
    );
    assert!(n > 10_000, "{n}");
    assert_eq!(bad, 0, "trend slopes differ");

    // the grain of the two largest tables (left out of assert_unique_keys for speed)
    for t in ["percentiles", "gaps"] {
        let (rows, keys) = counts(
            &con,
            &format!(
                "select count(*), count(distinct (analysis_year, city_id, data_point_id, \"grouping\")) from {t}"
            ),
        );
        assert!(rows > 10_000, "{t}: {rows}");
        assert_eq!(
            rows, keys,
            "{t} has duplicate (city, data point, grouping) keys"
        );
    }
    // the city_scorecard mart's grain: its joins must not fan out (implied by the grains
    // assert_unique_keys checks and by run's membership check, so left out of it for speed)
    let db = ws.database();
    let (rows, keys) = counts(
        &db,
        "select count(*), count(distinct (analysis_year, city_id, data_point_id)) from city_scorecard",
    );
    assert!(rows > 10_000, "city_scorecard: {rows}");
    assert_eq!(
        rows, keys,
        "city_scorecard has duplicate (city, data point) keys"
    );
}

#[test]
fn same_inputs_give_byte_identical_outputs() {
    let ws = generated(60, 3);
    let first = ws.run(&["sql", "select 1"]); // the database opens read-only
    assert_eq!(first.code, 0, "{}", first.stderr);
    let runs = |ws: &Ws| -> Vec<serde_json::Value> {
        let mut v: Vec<_> = std::fs::read_dir(ws.root().join("runs"))
            .unwrap()
            .map(|e| e.unwrap().path())
            .collect();
        v.sort();
        v.iter()
            .map(|p| serde_json::from_str(&std::fs::read_to_string(p).unwrap()).unwrap())
            .collect()
    };
    std::thread::sleep(std::time::Duration::from_millis(5));
    let r = ws.run(&["run"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let rs = runs(&ws);
    assert_eq!(rs.len(), 2);
    assert_eq!(rs[0]["outputs"], rs[1]["outputs"]);
    assert_eq!(rs[0]["config_sha256"], rs[1]["config_sha256"]);
    assert_eq!(
        rs[0]["outputs"].as_array().unwrap().len(),
        citybench::schema::derived::TABLES.len()
    );
    // the digests recorded while writing are the files' own
    for o in rs[1]["outputs"].as_array().unwrap() {
        let path = ws.root().join(o["path"].as_str().unwrap());
        let (sha, _) = citybench::digest::sha256_file(&path).unwrap();
        assert_eq!(o["sha256"].as_str().unwrap(), sha, "{}", path.display());
    }
}

#[test]
fn a_later_batch_supersedes_and_workspace_targets_override() {
    use crate::util::{GENEVA, HEADER};
    let ws = Ws::new();
    // five cities so that peer statistics are published
    let cities = [GENEVA, "2657896", "2661604", "2659994", "2660718"];
    let mut a = format!("{HEADER}\n");
    for (i, c) in cities.iter().enumerate() {
        a.push_str(&format!(
            "{c},EC-ICT-ICT-1C,2024,{},%,src,measured,false,false\n",
            50 + i * 10
        ));
    }
    let r = ws.ingest(&ws.file("a.csv", &a));
    assert_eq!(r.code, 0, "{}", r.stderr);
    let b = format!("{HEADER}\n{GENEVA},EC-ICT-ICT-1C,2024,96,%,src,measured,false,false\n");
    let r = ws.ingest(&ws.file("b.csv", &b));
    assert_eq!(r.code, 0, "{}", r.stderr);
    std::fs::write(
        ws.root().join("targets.csv"),
        "data_point_id,target,worst,tolerance,target_year,source,city_id\n\
         EC-ICT-ICT-1C,80,,,2030,city plan,2657896\n",
    )
    .unwrap();
    let r = ws.run(&["run"]);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    let q = |sql: &str| {
        let r = ws.run(&["sql", sql, "--format", "csv"]);
        assert_eq!(r.code, 0, "{}", r.stderr);
        r.stdout
    };
    // Geneva: the second batch's 96 wins over 50; target 100 (default) -> 95%+ band
    assert_eq!(
        q(&format!(
            "select value, target, points, target_scope from stg_attainment where city_id = '{GENEVA}' and data_point_id = 'EC-ICT-ICT-1C'"
        )),
        "value,target,points,target_scope\n96.0,100.0,4,default\n"
    );
    // the city override: 60 / 80 = 0.75 -> 3 points
    assert_eq!(
        q(
            "select value, target, attainment, points, target_scope, target_source from stg_attainment where city_id = '2657896' and data_point_id = 'EC-ICT-ICT-1C'"
        ),
        "value,target,attainment,points,target_scope,target_source\n60.0,80.0,0.75,3,city,city plan\n"
    );
    // five values 96, 60, 70, 80, 90: Geneva is the unique best of 5 -> 90
    assert_eq!(
        q(&format!(
            "select n, percentile from stg_percentiles where city_id = '{GENEVA}' and grouping = 'all' and data_point_id = 'EC-ICT-ICT-1C'"
        )),
        "n,percentile\n5,90.0\n"
    );
}

#[test]
fn bad_targets_file_and_unknown_grouping_are_clear_errors() {
    let ws = generated(20, 1);
    let t = ws.root().join("targets.csv");
    std::fs::write(
        &t,
        "data_point_id,target,worst,tolerance,target_year,source\nEC-ICT-ICT-1X,100,,,,x\n",
    )
    .unwrap();
    let r = ws.run(&["run"]);
    assert_eq!(r.code, 2);
    assert_eq!(
        r.stderr,
        format!(
            "error: {}:2: data_point_id: unknown data point 'EC-ICT-ICT-1X'; did you mean 'EC-ICT-ICT-1C'?\n",
            t.display()
        )
    );
    std::fs::write(
        &t,
        "data_point_id,target,worst,tolerance,target_year,source\nSC-SH-SI-1C,1,,,,parity\n",
    )
    .unwrap();
    let r = ws.run(&["run"]);
    assert_eq!(
        r.stderr,
        format!(
            "error: {}:2: tolerance: SC-SH-SI-1C is a target band and needs a tolerance > 0 (attainment = 1 - |value - target| / tolerance)\n",
            t.display()
        )
    );
    std::fs::remove_file(&t).unwrap();
    let cfg = ws.root().join("citybench.toml");
    std::fs::write(&cfg, "[peers]\ngroupings = [\"all\", \"continet\"]\n").unwrap();
    let r = ws.run(&["run"]);
    assert_eq!(r.code, 2);
    assert_eq!(
        r.stderr,
        format!(
            "error: {}: peers.groupings: unknown grouping 'continet' (did you mean 'continent'?); valid groupings: all, population_band, economy, continent, un_region, country_iso2, country_iso3, or combinations such as \"population_band x economy\"\n",
            cfg.display()
        )
    );
    // a combination grouping works and is published
    std::fs::write(
        &cfg,
        "[peers]\ngroupings = [\"all\", \"population_band x economy\"]\n",
    )
    .unwrap();
    let r = ws.run(&["run"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let r = ws.run(&[
        "sql",
        "select count(*) as n from stg_peer_stats where grouping = 'population_band x economy' and peer_group like '% x %'",
        "--format",
        "csv",
    ]);
    assert_ne!(r.stdout, "n\n0\n", "{}", r.stderr);
}

#[test]
fn run_without_batches_says_what_to_do() {
    let ws = Ws::new();
    let r = ws.run(&["run"]);
    assert_eq!(r.code, 2);
    assert_eq!(
        r.stderr,
        format!(
            "error: {} has no batches; ingest a submission file first (citybench ingest FILE)\n",
            ws.root().display()
        )
    );
}

#[test]
fn a_failed_write_stops_the_run_with_the_error() {
    // the two background writers: the first write error ends the run (no wait on a full
    // channel); the run's unpublished generation is removed and the earlier results stay
    let ws = generated(30, 31);
    let before = std::fs::read_link(ws.root().join("derived")).unwrap();
    let generations = || {
        let mut v: Vec<String> = std::fs::read_dir(ws.root().join("generations"))
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        v.sort();
        v
    };
    let kept = generations();
    // step 1 is the seeded links, step 3 the second table file written
    let r = ws.run_env(&[("CITYBENCH_FAIL_AFTER", "3")], &["run"]);
    assert_eq!(r.code, 2, "{}", r.stdout);
    assert!(
        r.stderr.starts_with("error: derived/")
            && r.stderr
                .ends_with(".parquet: write step 3 failed (CITYBENCH_FAIL_AFTER=3, a test hook)\n"),
        "{}",
        r.stderr
    );
    assert_eq!(
        std::fs::read_link(ws.root().join("derived")).unwrap(),
        before
    );
    assert_eq!(generations(), kept);
    // a `derived` that is not citybench's is left alone, with what to do
    let derived = ws.root().join("derived");
    std::fs::remove_file(&derived).unwrap();
    std::fs::write(&derived, "not a directory").unwrap();
    let r = ws.run(&["run"]);
    assert_eq!(r.code, 2, "{}", r.stdout);
    assert_eq!(
        r.stderr,
        format!(
            "error: {}: is not citybench's published results (a link to generations/<id>, or a directory); move it out of the workspace and run again\n",
            derived.display()
        )
    );
    assert_eq!(
        std::fs::read_to_string(&derived).unwrap(),
        "not a directory"
    );
}

/// A workspace with two generated batches ingested (not run) and its keys.
fn two_batches() -> (
    Ws,
    citybench::store::Workspace,
    citybench::pipeline::keys::Keys,
) {
    let ws = Ws::new();
    for seed in [5, 6] {
        ws.generate_and_ingest(&format!("g{seed}"), 12, "2019..2024", seed);
    }
    let w = citybench::store::Workspace::open(&ws.root()).unwrap();
    let units = citybench::catalog::UnitRegistry::embedded().unwrap();
    let catalog = citybench::catalog::Catalog::embedded(&units).unwrap();
    let registry = citybench::registry::Registry::for_workspace(&ws.root()).unwrap();
    let keys = citybench::pipeline::keys::Keys::for_inputs(&registry, &catalog).unwrap();
    (ws, w, keys)
}

/// The raw batches as Polars' scan reads them (ids as text), encoded by the normalise
/// stage: the independent reading `pipeline::raw` must agree with.
fn scanned(w: &citybench::store::Workspace, keys: &citybench::pipeline::keys::Keys) -> DataFrame {
    let (raw, _) = citybench::pipeline::scan_raw(w).unwrap();
    citybench::pipeline::normalise::normalise(raw, keys)
        .collect()
        .unwrap()
}

/// Decoding the raw batches' pages with the ids translated per dictionary entry gives the
/// frame Polars' scan and the per-row encoding give: every row, both batches in manifest
/// order, the batch position on each row.
#[test]
fn raw_batches_read_by_pages_equal_polars_scan() {
    let (_ws, w, keys) = two_batches();
    let read = citybench::pipeline::raw::read_keyed(&w, &keys).unwrap();
    let scanned = scanned(&w, &keys);
    assert!(read.height() > 0);
    assert_eq!(read.schema(), scanned.schema());
    assert!(read.equals_missing(&scanned), "{read}\n{scanned}");
    let seqs = read
        .column("batch_seq")
        .unwrap()
        .as_materialized_series()
        .unique()
        .unwrap();
    assert_eq!(seqs.len(), 2);
}

/// The observations built in their order (`read_observations`: keys decoded and ordered
/// first, the other columns written to their rows' places) equal those of reading every
/// row and then ordering them (`observations` over `read_keyed`): the same rows, values,
/// types, batch positions and series. Checked on two batches whose keys overlap (the second
/// a resubmission of some years, which must win), on one batch, and on a batch with a part
/// of another layout (read the old way).
#[test]
fn observations_read_in_order_equal_those_read_then_ordered() {
    let ws = Ws::new();
    let same = |w: &citybench::store::Workspace, keys: &citybench::pipeline::keys::Keys| {
        let ordered = citybench::pipeline::raw::read_observations(w, keys).unwrap();
        let read = citybench::pipeline::raw::read_keyed(w, keys).unwrap();
        let expected = citybench::pipeline::observations(read.lazy(), keys).unwrap();
        assert!(ordered.height() > 0);
        assert_eq!(ordered.schema(), expected.schema());
        assert!(ordered.equals_missing(&expected), "{ordered}\n{expected}");
        ordered
    };
    let units = citybench::catalog::UnitRegistry::embedded().unwrap();
    let catalog = citybench::catalog::Catalog::embedded(&units).unwrap();
    // the workspace as `run` opens it, with its keys
    let opened = |ws: &Ws| {
        let registry = citybench::registry::Registry::for_workspace(&ws.root()).unwrap();
        (
            citybench::store::Workspace::open(&ws.root()).unwrap(),
            citybench::pipeline::keys::Keys::for_inputs(&registry, &catalog).unwrap(),
        )
    };
    let mut rows = Vec::new();
    for (i, years) in ["2015..2024", "2021..2026"].iter().enumerate() {
        ws.generate_and_ingest(&format!("g{i}"), 9, years, 11);
        let (w, keys) = opened(&ws);
        let o = same(&w, &keys);
        rows.push(o.height());
        if i == 1 {
            // the years 2021..2024 of the first batch were submitted again: the second wins
            let seq = |year: i32| {
                let s = o
                    .clone()
                    .lazy()
                    .filter(col("year").eq(lit(year)))
                    .select([col("batch_seq").unique()])
                    .collect()
                    .unwrap();
                s.column("batch_seq")
                    .unwrap()
                    .u32()
                    .unwrap()
                    .into_no_null_iter()
                    .collect::<Vec<u32>>()
            };
            assert_eq!(seq(2018), vec![0]);
            assert_eq!(seq(2022), vec![1]);
            assert_eq!(seq(2026), vec![1]);
        }
    }
    assert!(rows[1] > rows[0], "{rows:?}");

    // the first batch's part rewritten with its ids as text: read the old way, same rows
    let m = ws.manifest();
    let part = ws
        .root()
        .join(m["batches"][0]["parts"][0].as_str().unwrap());
    ids_as_text(&part);
    let (w, keys) = opened(&ws);
    assert_eq!(same(&w, &keys).height(), rows[1]);

    // one batch already in key order (kept in place)
    let ws = Ws::new();
    let csv = [
        format!("{GENEVA},EC-ICT-ICT-1C,2022,50,%,s,measured,true,false"),
        format!("{GENEVA},EC-ICT-ICT-1C,2023,57,%,s,,,"),
        format!("{GENEVA},EC-ICT-ICT-2C,2023,40,%,s,survey_extrapolated,false,true"),
        format!("{STAVANGER},EC-ICT-ICT-1C,2023,60,%,s,measured,,false"),
    ];
    let file = ws.dir.path().join("sorted.csv");
    std::fs::write(&file, format!("{HEADER}\n{}\n", csv.join("\n"))).unwrap();
    let r = ws.ingest(&file);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    let (w, keys) = opened(&ws);
    let o = same(&w, &keys);
    assert_eq!(o.height(), 4);
    let values: Vec<f64> = o
        .column("value")
        .unwrap()
        .f64()
        .unwrap()
        .into_no_null_iter()
        .collect();
    assert_eq!(values, [50.0, 57.0, 40.0, 60.0]);
    let flags = o.column("confidential").unwrap().bool().unwrap().clone();
    let confidential: Vec<Option<bool>> = (0..4).map(|i| flags.get(i)).collect();
    assert_eq!(
        confidential,
        [Some(false), Some(false), Some(true), Some(false)]
    );
}

/// The raw part at `part` rewritten by Polars' writer with its dictionary-encoded columns
/// as plain text: not the layout ingest writes.
fn ids_as_text(part: &std::path::Path) {
    let mut df = ParquetReader::new(std::fs::File::open(part).unwrap())
        .finish()
        .unwrap();
    for c in ["city_id", "data_point_id", "quality"] {
        df.apply(c, |s| s.cast(&DataType::String).unwrap()).unwrap();
    }
    ParquetWriter::new(std::fs::File::create(part).unwrap())
        .finish(&mut df)
        .unwrap();
}

/// A part whose ids are stored as plain text (not as ingest writes them) is read through
/// Polars' scan, with the same result; an id outside the run's registry is an error naming
/// it, in the same words as the per-row encoder's.
#[test]
fn raw_part_of_another_layout_and_an_unknown_id() {
    let (ws, w, keys) = two_batches();
    let before = citybench::pipeline::raw::read_keyed(&w, &keys).unwrap();
    let m = ws.manifest();
    // the first batch: its rows must still come first
    let part = ws
        .root()
        .join(m["batches"][0]["parts"][0].as_str().unwrap());
    ids_as_text(&part);
    let after = citybench::pipeline::raw::read_keyed(&w, &keys).unwrap();
    assert!(after.equals_missing(&before), "{after}\n{before}");

    let first = before
        .column("city_id")
        .unwrap()
        .as_materialized_series()
        .cast(&DataType::String)
        .unwrap();
    let first = first.str().unwrap().get(0).unwrap().to_string();
    let units = citybench::catalog::UnitRegistry::embedded().unwrap();
    let catalog = citybench::catalog::Catalog::embedded(&units).unwrap();
    let registry = citybench::registry::Registry::for_workspace(&ws.root()).unwrap();
    let others: Vec<&str> = registry
        .cities()
        .iter()
        .map(|c| c.city_id.as_str())
        .filter(|c| *c != first)
        .collect();
    let dps: Vec<&str> = catalog
        .data_points()
        .iter()
        .map(|p| p.data_point_id.as_str())
        .collect();
    let without = citybench::pipeline::keys::Keys::new(others, dps).unwrap();
    let err = citybench::pipeline::raw::read_keyed(&w, &without)
        .err()
        .unwrap()
        .to_string();
    assert!(
        err.contains(&format!(
            "city id '{first}' is not in the registry or catalogue of this run \
             (was a city removed from cities.csv, or the data ingested with another --catalog?)"
        )),
        "{err}"
    );
}

/// A raw batch whose footer names column chunks beyond the end of the file (the middle of
/// the file lost) is refused with the part, the column, the row group and the byte range.
#[test]
fn raw_part_cut_short_is_named_with_the_column_outside_it() {
    let (ws, w, keys) = two_batches();
    let m = ws.manifest();
    let part = ws
        .root()
        .join(m["batches"][0]["parts"][0].as_str().unwrap());
    let bytes = std::fs::read(&part).unwrap();
    // the footer: its length (4 bytes, little-endian) and "PAR1" end the file
    let n = bytes.len();
    let footer = u32::from_le_bytes(bytes[n - 8..n - 4].try_into().unwrap()) as usize + 8;
    let cut = [&bytes[..4], &bytes[n - footer..]].concat();
    std::fs::write(&part, &cut).unwrap();
    let meta = polars_parquet::read::read_metadata(&mut std::io::Cursor::new(&cut)).unwrap();
    // the first chunk read beyond the end: row group by row group, in the reader's column
    // order (the chunks before it lie inside what is left, over other bytes)
    let read = [
        "city_id",
        "data_point_id",
        "year",
        "value",
        "quality",
        "verified",
        "confidential",
    ];
    let (rg, column, range) = meta
        .row_groups
        .iter()
        .enumerate()
        .flat_map(|(rg, g)| {
            read.iter().map(move |c| {
                let range = g
                    .columns_under_root_iter(c)
                    .unwrap()
                    .next()
                    .unwrap()
                    .byte_range();
                (rg, *c, range)
            })
        })
        .find(|(_, _, range)| range.end > cut.len() as u64)
        .expect("a chunk beyond the cut");
    let err = citybench::pipeline::raw::read_keyed(&w, &keys)
        .err()
        .unwrap()
        .to_string();
    assert_eq!(
        err,
        format!(
            "{}: column {column} of row group {rg} lies outside the file (bytes {}..{} of {}); the file is damaged",
            part.display(),
            range.start,
            range.end,
            cut.len()
        )
    );
}
