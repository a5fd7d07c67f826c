//! `citybench demo`: a workspace built from the embedded sample, the whole pipeline run
//! on it, and where to look next.

use std::path::{Path, PathBuf};

use super::{GlobalArgs, Outcome};
use crate::error::{Error, IoContext, Result};
use crate::ingest::{IngestOptions, ReadOptions};
use crate::output::OutputFormat;
use crate::store::Workspace;

/// Run the demo.
#[derive(Debug, clap::Args)]
#[command(
    after_help = "Examples:\n  citybench demo --dir /tmp/citybench-demo\n  citybench -w my-demo demo   # an explicit workspace is the demo's directory\n  citybench demo --real   # real open data: World Bank What a Waste 2.0, U4SSC waste KPIs"
)]
pub struct Args {
    /// Directory for the demo workspace (must not exist or be empty); default: the
    /// workspace when given explicitly (-w/--workspace or CITYBENCH_WORKSPACE), else a new
    /// directory under the system temporary directory.
    #[arg(long)]
    pub dir: Option<PathBuf>,
    /// Real open data instead of the synthetic sample: the World Bank What a Waste 2.0
    /// city table (CC BY 4.0) as U4SSC solid waste KPIs of the cities matched to registry
    /// ids (datasets/real/README.md).
    #[arg(long)]
    pub real: bool,
}

/// The query for the demo's featured city: the best overall score among the cities with
/// the most coverage whose peer group is published (n >= `[peers] k`, so not suppressed) on
/// every data point in each of the `groupings` configured groupings; so no row of the
/// snapshot, `compare --peers GROUPING` or report the demo suggests is suppressed. A city
/// outside some grouping (no population, no attribute) does not qualify. When no city
/// qualifies, the best-covered city is featured all the same.
pub fn featured_city_sql(groupings: usize) -> String {
    format!(
        "WITH full_peers AS (\
             SELECT city_id FROM stg_percentiles GROUP BY city_id \
             HAVING NOT bool_or(suppressed) AND count(DISTINCT \"grouping\") = {groupings}) \
         SELECT r.city_id, r.city_name FROM category_rollups AS r \
         WHERE r.level = 'overall' \
         ORDER BY r.city_id IN (SELECT city_id FROM full_peers) DESC, \
             r.coverage DESC, r.rollup_score DESC, r.city_id LIMIT 1"
    )
}

/// The demo's workspace directory: `--dir` or the explicitly given workspace (`-w`, or
/// `CITYBENCH_WORKSPACE`; both may be given when they name the same path); `None` when
/// neither is given (a new directory under the system temporary directory). The directory
/// must not exist or be empty.
pub fn demo_dir(dir: Option<&Path>, workspace: Option<&Path>) -> Result<Option<PathBuf>> {
    let chosen = match (dir, workspace) {
        (Some(d), Some(w)) if d != w => {
            return Err(Error::Usage(format!(
                "--dir {} and the workspace {} (-w/--workspace or CITYBENCH_WORKSPACE) differ; \
                 give one of them for the demo workspace",
                d.display(),
                w.display()
            )));
        }
        (Some(d), _) | (None, Some(d)) => d,
        (None, None) => return Ok(None),
    };
    if chosen.exists() && std::fs::read_dir(chosen).at(chosen)?.next().is_some() {
        return Err(Error::Usage(format!(
            "{} is not empty; give a new or empty directory for the demo workspace",
            chosen.display()
        )));
    }
    Ok(Some(chosen.to_path_buf()))
}

/// Ingest one embedded file the demo wrote into `ws` (the ingest summary printed); a file
/// that does not ingest is an error naming `what`.
fn ingest_embedded(
    ws: &Workspace,
    global: &GlobalArgs,
    file: PathBuf,
    what: &str,
) -> Result<(crate::ingest::Context, Vec<crate::ingest::FileOutcome>)> {
    let ctx = super::ingest::context(ws, global)?;
    let opts = IngestOptions {
        read: ReadOptions::default(),
        force: false,
        year_max: None,
        ..IngestOptions::default()
    };
    let (outcomes, failed) =
        super::ingest::ingest_all(ws, &ctx, &[file], &opts, OutputFormat::Table, global.quiet)?;
    if failed > 0 {
        return Err(Error::Usage(format!("{what} could not be ingested")));
    }
    Ok((ctx, outcomes))
}

/// The (city id, name) of the first row `sql` returns (empty strings for no row).
fn first_city(wv: &crate::warehouse::Warehouse, sql: &str) -> Result<(String, String)> {
    let pick = wv.query(sql)?;
    Ok(pick
        .rows
        .first()
        .map(|r| {
            let s = |v: &serde_json::Value| v.as_str().unwrap_or_default().to_string();
            (s(&r[0]), s(&r[1]))
        })
        .unwrap_or_default())
}

/// Run `demo`.
pub fn run(args: &Args, global: &GlobalArgs) -> Result<Outcome> {
    let dir = demo_dir(args.dir.as_deref(), global.explicit_workspace())?.unwrap_or_else(|| {
        std::env::temp_dir().join(format!(
            "citybench-demo-{}",
            chrono::Utc::now().format("%Y%m%dT%H%M%S")
        ))
    });
    let (ws, _) = Workspace::init(&dir)?;
    if args.real {
        return run_real(&ws, global);
    }
    let _lock = ws.lock()?;
    let sample = ws.root().join(crate::sample::SAMPLE_FILE_NAME);
    crate::store::atomic_write(&sample, crate::sample::SAMPLE_PARQUET)?;
    println!(
        "citybench demo: {} synthetic submissions on real cities (datasets/sample/, seed {})",
        crate::sample::SAMPLE_DESCRIPTION,
        crate::sample::SAMPLE_SEED
    );
    println!("workspace: {}\n", ws.root().display());
    let (ctx, outcomes) = ingest_embedded(&ws, global, sample, "the embedded sample")?;
    let assessments = ws.root().join(crate::sample::SAMPLE_ASSESSMENTS_FILE_NAME);
    crate::store::atomic_write(&assessments, crate::sample::SAMPLE_ASSESSMENTS.as_bytes())?;
    let a = crate::maturity::assessments::ingest(&ws, &ctx.registry, &assessments, false)?;
    println!(
        "{} -> {}: {} synthetic self-assessment rows (EU-China framework, ITU-T Y.4904), {} rejected",
        crate::sample::SAMPLE_ASSESSMENTS_FILE_NAME,
        crate::maturity::assessments::STORE_FILE,
        a.rows_accepted,
        a.rows_rejected
    );
    println!();
    let summary = super::run::execute(
        &ws,
        global,
        &super::run::Args {
            year: None,
            lookback: None,
        },
    )?;
    super::run::print_summary(&ws, &summary);
    println!(
        "\ncomposite index (U4SSC hierarchy, COINr conventions), top 5 with rank intervals over 200 Monte Carlo samples:"
    );
    super::index::execute(
        &ws,
        &super::index::Args {
            data: None,
            framework: None,
            year: None,
            panel: false,
            years: None,
            uncertainty: 200,
            seed: 1,
            sensitivity: false,
            top: Some(5),
            name: None,
            output: crate::output::OutputArgs {
                format: crate::output::OutputFormat::Table,
                out: None,
            },
            force: false,
        },
        &GlobalArgs {
            workspace: Some(ws.root().to_path_buf()),
            catalog: global.catalog.clone(),
            quiet: global.quiet,
        },
    )?;
    let w = ws.root().display();
    let wv = crate::warehouse::Warehouse::open_read_only(&ws)?;
    let (city, name) = first_city(&wv, &featured_city_sql(ws.config()?.peers.groupings.len()))?;
    println!("\ntry next:");
    println!(
        "  citybench -w {w} snapshot --city {city}          # {name}: targets, states, peers, trends"
    );
    println!("  citybench -w {w} compare --city {city} --peers continent");
    println!(
        "  citybench -w {w} targets --city {city}           # the target or benchmark each KPI is scored against"
    );
    println!(
        "  citybench -w {w} maturity --city {city}          # ITU-T Y.4904 levels and next milestones"
    );
    println!("  citybench -w {w} maturity --distribution --framework eu_china --by continent");
    println!(
        "  citybench -w {w} verify --city {city}            # pre-verification flags a verifier works through"
    );
    println!("  citybench -w {w} report --city {city} --out {w}/reports   (HTML with charts)");
    println!(
        "  citybench -w {w} index --uncertainty 1000 --seed 7   # the composite index with rank intervals and diagnostics"
    );
    println!("  citybench -w {w} sql --example index_leaders_by_continent");
    println!(
        "  citybench -w {w} sql \"select kpi_name, value, unit, target, state, percentile_all from city_scorecard where city_id = '{city}' order by dimension, kpi_name\"    # {name}"
    );
    println!(
        "  citybench -w {w} sql \"select path, rollup_score_pct, band, coverage_pct from category_rollups where city_id = '{city}' and level = 'dimension'\""
    );
    println!(
        "  citybench -w {w} sql --example europe_median_misses_target --format markdown   # sql --examples lists them"
    );
    println!("  citybench -w {w} sql                      (interactive; .help lists the commands)");
    println!(
        "  python3 -c \"import duckdb; print(duckdb.connect('{w}/citybench.duckdb', read_only=True).sql('from peer_benchmarks limit 5'))\""
    );
    println!(
        "  citybench -w {w} template --city {city} --out {w}/{city}.xlsx   # the Excel template, {name}'s values pre-filled; ingest it back"
    );
    println!(
        "  citybench -w {w} export --out {w}/export   # the marts, hive-partitioned Parquet + _schema.json"
    );
    println!(
        "  CITYBENCH_WORKSPACE={w} jupyter lab notebooks/   # the notebooks (notebooks/README.md)"
    );
    println!("  {w}/derived/*.parquet   every table as Parquet (Polars, pandas, R, DuckDB)");
    Ok(if outcomes.iter().any(|o| o.rows_rejected > 0) {
        Outcome::Rejected
    } else {
        Outcome::Ok
    })
}

/// The year span of the real dataset's `year` column: (earliest, latest).
pub fn real_years(csv_text: &str) -> Option<(i32, i32)> {
    let mut rdr = csv::Reader::from_reader(csv_text.as_bytes());
    let yi = rdr
        .headers()
        .ok()?
        .iter()
        .position(|h| h == crate::schema::submission::YEAR)?;
    rdr.records()
        .filter_map(|r| r.ok()?.get(yi)?.trim().parse::<i32>().ok())
        .fold(None, |acc, y| match acc {
            None => Some((y, y)),
            Some((a, b)) => Some((a.min(y), b.max(y))),
        })
}

/// The demo workspace's configuration for the real dataset: the analysis year is the
/// dataset's latest year and the look-back reaches its earliest, so every city's one
/// observation enters the run (What a Waste has one value per city, of varying years).
pub fn real_config(default_toml: &str, first: i32, last: i32) -> String {
    default_toml
        .replacen(
            "# year = 2024\n",
            &format!(
                "# citybench demo --real: the latest year of What a Waste 2.0 ({last}); the\n# look-back reaches its earliest ({first}): one observation per city, of varying years.\nyear = {last}\n"
            ),
            1,
        )
        .replacen(
            "lookback = 2\n",
            &format!("lookback = {}\n", last - first),
            1,
        )
}

/// `demo --real`: the embedded What a Waste 2.0 dataset ingested and run.
fn run_real(ws: &Workspace, global: &GlobalArgs) -> Result<Outcome> {
    let (first, last) = real_years(crate::sample::REAL_CSV)
        .ok_or_else(|| Error::Usage("the embedded real dataset has no year".into()))?;
    let _lock = ws.lock()?;
    let cfg = ws.root().join(crate::store::CONFIG_FILE);
    let current = crate::input::read_text(&cfg, "a configuration file")?;
    crate::store::atomic_write(&cfg, real_config(&current, first, last).as_bytes())?;
    // the places below the registry's 15 000 that the dataset's ids name, before ingest
    // reads the registry (datasets/real/README.md, "Workspace additions")
    crate::store::atomic_write(
        &ws.root().join(crate::registry::CITIES_FILE),
        crate::sample::REAL_CITIES_CSV.as_bytes(),
    )?;
    let data = ws.root().join(crate::sample::REAL_FILE_NAME);
    crate::store::atomic_write(&data, crate::sample::REAL_CSV.as_bytes())?;
    println!(
        "citybench demo --real: World Bank What a Waste 2.0 city data as U4SSC solid waste KPIs (datasets/real/)"
    );
    println!("source: {}", crate::sample::REAL_ATTRIBUTION);
    println!(
        "cities.csv: {} workspace additions (GeoNames places below the registry's 15 000 that What a Waste names)",
        crate::sample::REAL_CITIES_CSV
            .lines()
            .count()
            .saturating_sub(1)
    );
    println!("workspace: {}\n", ws.root().display());
    let (_, outcomes) = ingest_embedded(ws, global, data, "the embedded real dataset")?;
    println!();
    let summary = super::run::execute(
        ws,
        global,
        &super::run::Args {
            year: None,
            lookback: None,
        },
    )?;
    super::run::print_summary(ws, &summary);
    let w = ws.root().display();
    let wv = crate::warehouse::Warehouse::open_read_only(ws)?;
    // a city to look at: the most waste data points reported, then the most populous
    let (city, name) = first_city(
        &wv,
        "SELECT s.city_id, any_value(s.city_name) AS name, count(*) AS n, \
         any_value(c.population) AS population FROM city_scorecard AS s \
         LEFT JOIN stg_cities AS c USING (city_id) WHERE s.value IS NOT NULL \
         GROUP BY s.city_id ORDER BY n DESC, population DESC NULLS LAST, s.city_id LIMIT 1",
    )?;
    println!("\ntry next:");
    println!(
        "  citybench -w {w} snapshot --city {city}          # {name}: solid waste collection and treatment, with unit and year"
    );
    println!(
        "  citybench -w {w} sql \"select kpi_name, value, unit, source_year, target, state from city_scorecard where city_id = '{city}' and value is not null\"    # {name}, full KPI names"
    );
    println!(
        "  citybench -w {w} sql \"select city_name, kpi_name, value, unit, source_year from city_scorecard where value is not null order by city_name, kpi_name limit 20\""
    );
    println!(
        "  citybench -w {w} verify --city {city}            # pre-verification flags (treatment shares that do not sum to 100 ...)"
    );
    println!(
        "  citybench cities --match YOUR_TABLE.csv          # match your own city table's names to registry ids"
    );
    Ok(if outcomes.iter().any(|o| o.rows_rejected > 0) {
        Outcome::Rejected
    } else {
        Outcome::Ok
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn demo_dir_is_dir_or_the_explicit_workspace() {
        let t = tempfile::tempdir().unwrap();
        let new = t.path().join("new");
        let other = t.path().join("other");
        assert_eq!(demo_dir(None, None).unwrap(), None);
        assert_eq!(demo_dir(Some(&new), None).unwrap(), Some(new.clone()));
        assert_eq!(demo_dir(None, Some(&new)).unwrap(), Some(new.clone()));
        // the same path twice is no conflict; an existing empty directory is fine
        assert_eq!(demo_dir(Some(&new), Some(&new)).unwrap(), Some(new.clone()));
        assert_eq!(
            demo_dir(None, Some(t.path())).unwrap(),
            Some(t.path().to_path_buf())
        );
        let e = demo_dir(Some(&new), Some(&other)).unwrap_err();
        assert_eq!(
            e.to_string(),
            format!(
                "--dir {} and the workspace {} (-w/--workspace or CITYBENCH_WORKSPACE) differ; give one of them for the demo workspace",
                new.display(),
                other.display()
            )
        );
        std::fs::write(t.path().join("f"), "x").unwrap();
        let e = demo_dir(None, Some(t.path())).unwrap_err();
        assert_eq!(
            e.to_string(),
            format!(
                "{} is not empty; give a new or empty directory for the demo workspace",
                t.path().display()
            )
        );
    }

    #[test]
    fn real_years_span_the_year_column() {
        let text = "city_id,data_point_id,year,value\na,x,2015,1\nb,x,2003,2\nc,x,2011,3\n";
        assert_eq!(real_years(text), Some((2003, 2015)));
        assert_eq!(real_years("city_id,year\n"), None);
        assert_eq!(real_years("city_id,value\na,1\n"), None);
    }

    #[test]
    fn real_config_sets_year_and_lookback_over_the_span() {
        let toml = real_config(crate::config::DEFAULT_TOML, 2000, 2018);
        let c =
            crate::config::Config::parse(&toml, std::path::Path::new("citybench.toml")).unwrap();
        assert_eq!(c.analysis.year, Some(2018));
        assert_eq!(c.analysis.lookback, 18);
        let default = crate::config::Config::parse(
            crate::config::DEFAULT_TOML,
            std::path::Path::new("citybench.toml"),
        )
        .unwrap();
        assert_eq!(default.analysis.year, None);
        assert_eq!(default.analysis.lookback, 2);
    }
}
