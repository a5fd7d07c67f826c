//! The synthetic generator: determinism, shape, plausibility.

use crate::util::Ws;

fn gen_to(ws: &Ws, name: &str, args: &[&str]) -> std::path::PathBuf {
    let out = ws.dir.path().join(name);
    let mut a = vec!["generate"];
    a.extend_from_slice(args);
    a.extend_from_slice(&["--out", out.to_str().unwrap()]);
    let r = ws.run(&a);
    assert_eq!(r.code, 0, "{}", r.stderr);
    out
}

#[test]
fn same_seed_gives_byte_identical_files() {
    let ws = Ws::new();
    for fmt in ["parquet", "csv"] {
        let a = gen_to(
            &ws,
            &format!("a-{fmt}"),
            &[
                "--cities",
                "25",
                "--years",
                "2019..2024",
                "--seed",
                "5",
                "--format",
                fmt,
            ],
        );
        let b = gen_to(
            &ws,
            &format!("b-{fmt}"),
            &[
                "--cities",
                "25",
                "--years",
                "2019..2024",
                "--seed",
                "5",
                "--format",
                fmt,
            ],
        );
        let fa = std::fs::read(a.join(format!("submissions.{fmt}"))).unwrap();
        let fb = std::fs::read(b.join(format!("submissions.{fmt}"))).unwrap();
        assert!(fa == fb, "{fmt} differs");
        let c = gen_to(
            &ws,
            &format!("c-{fmt}"),
            &[
                "--cities",
                "25",
                "--years",
                "2019..2024",
                "--seed",
                "6",
                "--format",
                fmt,
            ],
        );
        assert!(std::fs::read(c.join(format!("submissions.{fmt}"))).unwrap() != fa);
    }
}

#[test]
fn generated_data_is_plausible_and_ingests_cleanly() {
    let ws = Ws::new();
    let out = gen_to(
        &ws,
        "g",
        &[
            "--cities",
            "60",
            "--years",
            "2015..2024",
            "--seed",
            "3",
            "--select",
            "sample",
        ],
    );
    let f = out.join("submissions.parquet");
    let r = ws.ingest(&f);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    let con = duckdb::Connection::open_in_memory().unwrap();
    let raw = format!("read_parquet('{}/raw/*/*.parquet')", ws.root().display());
    let q = |sql: &str| -> f64 {
        con.query_row(&sql.replace("RAW", &raw), [], |r| r.get::<_, f64>(0))
            .unwrap()
    };
    let rows = q("select count(*)::double from RAW");
    let cells = 60.0 * 112.0 * 10.0;
    let missing = 1.0 - rows / cells;
    assert!((0.06..0.10).contains(&missing), "missing share {missing}");
    let alt = q(
        "select avg(case when conversion <> 'none' and conversion not like 'x1 (%' then 1 else 0 end) from RAW",
    );
    assert!(
        (0.04..0.14).contains(&alt),
        "alternative spelling share {alt}"
    );
    // percentages bounded, sum groups add to 100 +/- 2, consistency rules hold
    assert_eq!(
        q(
            "select count(*)::double from RAW where unit = 'pct' and data_point_id not in ('SC-EH-ED-2C','SC-SH-SI-5A') and (value < 0 or value > 100)"
        ),
        0.0
    );
    let bad_sums = q(
        "with s as (select city_id, year, sum(value) v, count(*) n from RAW where data_point_id like 'EC-I-T-4A-%' group by 1, 2) \
         select count(*)::double from s where n = 5 and abs(v - 100) > 2",
    );
    assert_eq!(bad_sums, 0.0);
    let broadband = q(
        "select count(*)::double from RAW a join RAW b using (city_id, year) \
         where a.data_point_id = 'EC-ICT-ICT-2C' and b.data_point_id = 'EC-ICT-ICT-1C' and a.value > b.value",
    );
    assert_eq!(broadband, 0.0);
    // peer groups differ: developed cities have higher internet access than developing ones
    let cities = citybench::registry::Registry::embedded().unwrap();
    let dev: Vec<String> = cities
        .cities()
        .iter()
        .filter(|c| c.economy == "developed")
        .map(|c| format!("'{}'", c.city_id))
        .collect();
    let gap = q(&format!(
        "select avg(case when city_id in ({}) then value end) - avg(case when city_id not in ({}) then value end) from RAW where data_point_id = 'EC-ICT-ICT-1C'",
        dev.join(","),
        dev.join(",")
    ));
    assert!(
        gap > 5.0,
        "developed minus developing internet access: {gap}"
    );
}
