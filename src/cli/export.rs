//! `citybench export --out DIR [--format parquet|csv] [--tables ...]`: the marts as a
//! hive-partitioned dataset with a `_schema.json`; `--format duckdb --out FILE`: the marts
//! as the tables of one publishable DuckDB database ([`crate::warehouse::export`]).

use std::path::PathBuf;

use super::{GlobalArgs, Outcome};
use crate::error::{Error, Result};
use crate::output::OutputFormat;
use crate::store::Workspace;
use crate::warehouse::export::{self, DatasetFormat, SCHEMA_FILE};

/// Export the result marts for Spark, Polars, pandas or DuckDB: one directory per table,
/// hive-partitioned by year, with a `_schema.json`.
#[derive(Debug, clap::Args)]
#[command(
    after_help = "Examples:\n  citybench -w ws export --out ws-export\n  citybench -w ws export --out ws-csv --format csv --tables city_scorecard,kpi_trends\n\nRead it back:\n  duckdb:  SELECT * FROM read_parquet('ws-export/city_scorecard/**/*.parquet', hive_partitioning = true)\n  polars:  pl.scan_parquet('ws-export/city_scorecard/**/*.parquet', hive_partitioning=True)\n  pandas:  pd.read_parquet('ws-export/city_scorecard')\n  spark:   spark.read.parquet('ws-export/city_scorecard')\n  citybench -w ws export --out published.duckdb --format duckdb   one database to hand on\n\nThe tables are the marts `citybench sql` serves: the published surface, with confidential values\nwithheld and every statistic computed without them. The workspace's own citybench.duckdb is the\ncustodian's (its src_ and stg_ views hold every value): publish an export, not that file."
)]
pub struct Args {
    /// Directory to write (replaced when it holds an earlier export); with --format duckdb
    /// the database file to create.
    #[arg(long, short = 'o', value_name = "DIR")]
    pub out: PathBuf,
    /// File format of the tables: parquet or csv (a dataset directory), or duckdb (one
    /// database file).
    #[arg(long, value_enum, default_value = "parquet")]
    pub format: OutputFormat,
    /// Marts to export, comma-separated (default: all).
    #[arg(long, value_delimiter = ',', value_name = "TABLE,...")]
    pub tables: Vec<String>,
}

/// Run `export`.
pub fn run(args: &Args, global: &GlobalArgs) -> Result<Outcome> {
    let format = match args.format {
        OutputFormat::Parquet => DatasetFormat::Parquet,
        OutputFormat::Csv => DatasetFormat::Csv,
        OutputFormat::Duckdb => return database(args, global),
        other => {
            return Err(Error::Usage(format!(
                "--format {}: an export is a dataset of parquet or csv files, or a duckdb database",
                format!("{other:?}").to_lowercase()
            )));
        }
    };
    let ws = Workspace::open(global.workspace())?;
    let m = export::export(&ws, &args.out, &args.tables, format)?;
    let rows: u64 = m.tables.iter().map(|t| t.rows).sum();
    let files: usize = m.tables.iter().map(|t| t.files.len()).sum();
    println!(
        "{}: {} tables, {rows} rows in {files} files ({}); schema in {}",
        args.out.display(),
        m.tables.len(),
        match format {
            DatasetFormat::Parquet => "parquet",
            DatasetFormat::Csv => "csv",
        },
        args.out.join(SCHEMA_FILE).display()
    );
    for t in &m.tables {
        let part = if t.partition_by.is_empty() {
            String::new()
        } else {
            format!(", partitioned by {}", t.partition_by.join(", "))
        };
        println!("  {:<24} {:>9} rows{part}", t.name, t.rows);
    }
    Ok(Outcome::Ok)
}

/// `export --format duckdb`: the publishable database.
fn database(args: &Args, global: &GlobalArgs) -> Result<Outcome> {
    let ws = Workspace::open(global.workspace())?;
    let counts = export::database(&ws, &args.out, &args.tables)?;
    let rows: u64 = counts.iter().map(|(_, n)| n).sum();
    println!(
        "{}: {} tables, {rows} rows (duckdb; the published surface only, see table {})",
        args.out.display(),
        counts.len(),
        export::PUBLICATION_TABLE
    );
    for (t, n) in &counts {
        println!("  {t:<24} {n:>9} rows");
    }
    Ok(Outcome::Ok)
}
