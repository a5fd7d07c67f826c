//! `citybench demo`: a workspace built from the embedded sample, the whole pipeline run
//! on it, and where to look next.

use std::path::PathBuf;

use super::{GlobalArgs, Outcome};
use crate::error::{Error, IoContext, Result};
use crate::ingest::{IngestOptions, ReadOptions};
use crate::output::OutputFormat;
use crate::store::Workspace;

/// Run the demo.
#[derive(Debug, clap::Args)]
#[command(after_help = "Example:\n  citybench demo --dir /tmp/citybench-demo")]
pub struct Args {
    /// Directory for the demo workspace (must not exist or be empty); default: a new
    /// directory under the system temporary directory.
    #[arg(long)]
    pub dir: Option<PathBuf>,
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

/// Run `demo`.
pub fn run(args: &Args, global: &GlobalArgs) -> Result<Outcome> {
    let dir = match &args.dir {
        Some(d) => {
            if d.exists() && std::fs::read_dir(d).at(d)?.next().is_some() {
                return Err(Error::Usage(format!(
                    "{} is not empty; give a new or empty directory for the demo workspace",
                    d.display()
                )));
            }
            d.clone()
        }
        None => std::env::temp_dir().join(format!(
            "citybench-demo-{}",
            chrono::Utc::now().format("%Y%m%dT%H%M%S")
        )),
    };
    let (ws, _) = Workspace::init(&dir)?;
    let _lock = ws.lock()?;
    let sample = ws.root().join(crate::sample::SAMPLE_FILE_NAME);
    crate::store::atomic_write(&sample, crate::sample::SAMPLE_PARQUET)?;
    println!(
        "citybench demo: {} synthetic submissions on real cities (datasets/sample/, seed {})",
        crate::sample::SAMPLE_DESCRIPTION,
        crate::sample::SAMPLE_SEED
    );
    println!("workspace: {}\n", ws.root().display());
    let ctx = super::ingest::context(&ws, global)?;
    let opts = IngestOptions {
        read: ReadOptions::default(),
        force: false,
        year_max: None,
    };
    let (outcomes, failed) = super::ingest::ingest_all(
        &ws,
        &ctx,
        &[sample],
        &opts,
        OutputFormat::Table,
        global.quiet,
    )?;
    if failed > 0 {
        return Err(Error::Usage(
            "the embedded sample could not be ingested".into(),
        ));
    }
    let assessments = ws.root().join(crate::sample::SAMPLE_ASSESSMENTS_FILE_NAME);
    crate::store::atomic_write(&assessments, crate::sample::SAMPLE_ASSESSMENTS.as_bytes())?;
    let a = crate::assessments::ingest(&ws, &ctx.registry, &assessments, false)?;
    println!(
        "{} -> {}: {} synthetic self-assessment rows (EU-China framework, ITU-T Y.4904), {} rejected",
        crate::sample::SAMPLE_ASSESSMENTS_FILE_NAME,
        crate::assessments::STORE_FILE,
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
            uncertainty: 200,
            seed: 1,
            top: 5,
            name: None,
            output: crate::output::OutputArgs {
                format: crate::output::OutputFormat::Table,
                out: None,
            },
            force: false,
        },
        &GlobalArgs {
            workspace: ws.root().to_path_buf(),
            catalog: global.catalog.clone(),
            quiet: global.quiet,
        },
    )?;
    let w = ws.root().display();
    let wv = crate::warehouse::Warehouse::open_read_only(&ws)?;
    let pick = wv.query(&featured_city_sql(ws.config()?.peers.groupings.len()))?;
    let (city, name) = pick
        .rows
        .first()
        .map(|r| {
            let s = |v: &serde_json::Value| v.as_str().unwrap_or_default().to_string();
            (s(&r[0]), s(&r[1]))
        })
        .unwrap_or_default();
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
    println!("  citybench -w {w} sql -f queries/examples/index_leaders_by_continent.sql");
    println!(
        "  citybench -w {w} sql \"select kpi_name, value, unit, target, state, percentile_all from city_scorecard where city_id = '{city}' order by dimension, kpi_name\"    # {name}"
    );
    println!(
        "  citybench -w {w} sql \"select path, rollup_score_pct, band, coverage_pct from category_rollups where city_id = '{city}' and level = 'dimension'\""
    );
    println!(
        "  citybench -w {w} sql -f queries/examples/europe_median_misses_target.sql --format markdown"
    );
    println!("  citybench -w {w} sql                      (interactive; .tables lists the views)");
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
