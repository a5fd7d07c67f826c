//! `citybench demo`: a workspace built from the embedded sample, and where to look next.

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
    let w = ws.root().display();
    println!("\nwhere to look:");
    println!(
        "  {w}/manifest.json            the batch: source SHA-256, rows read/accepted/rejected"
    );
    println!("  {w}/raw/batch=*/             accepted rows in canonical units (Parquet)");
    println!("  citybench -w {w} catalog     the 112 data points of the U4SSC catalogue");
    println!(
        "  duckdb -c \"select data_point_id, count(*), avg(value) from '{w}/raw/*/*.parquet' group by 1\""
    );
    Ok(if outcomes.iter().any(|o| o.rows_rejected > 0) {
        Outcome::Rejected
    } else {
        Outcome::Ok
    })
}
