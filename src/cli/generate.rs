//! `citybench generate`: deterministic synthetic submissions at any scale.

use std::path::PathBuf;

use super::{GlobalArgs, Outcome};
use crate::error::Result;
use crate::generate::{GenFormat, GenSpec, Selection, generate};
use crate::registry::Registry;

/// Generate synthetic submissions for real registry cities.
#[derive(Debug, clap::Args)]
#[command(
    after_help = "Examples:\n  citybench generate --cities 300 --years 2015..2024 --seed 42 --out gen/\n  citybench generate --cities 13000 --years 2005..2024 --seed 1 --format csv --out big/\n  citybench generate --cities 50 --years 2020..2024 --seed 7 --inject-errors --out bad/"
)]
pub struct Args {
    /// Number of cities.
    #[arg(long)]
    pub cities: usize,
    /// Year range FROM..TO (inclusive).
    #[arg(long, value_parser = parse_years)]
    pub years: (i32, i32),
    /// Seed; the same seed gives byte-identical files.
    #[arg(long)]
    pub seed: u64,
    /// Output directory (writes submissions.parquet or submissions.csv).
    #[arg(long)]
    pub out: PathBuf,
    /// How cities are chosen.
    #[arg(long, value_enum, default_value_t)]
    pub select: Selection,
    /// File format.
    #[arg(long, value_enum, default_value_t)]
    pub format: GenFormat,
    /// Replace 0.5 % of rows by deliberately bad rows (see `citybench generate --help`).
    #[arg(long)]
    pub inject_errors: bool,
    /// Replace the submissions file if --out already holds one.
    #[arg(long)]
    pub force: bool,
}

/// Parse `FROM..TO`.
pub fn parse_years(s: &str) -> std::result::Result<(i32, i32), String> {
    let (a, b) = s
        .split_once("..")
        .ok_or_else(|| format!("'{s}' is not a year range; write FROM..TO, e.g. 2015..2024"))?;
    let a: i32 = a
        .trim()
        .parse()
        .map_err(|_| format!("'{a}' is not a year"))?;
    let b: i32 = b
        .trim()
        .parse()
        .map_err(|_| format!("'{b}' is not a year"))?;
    if a > b {
        return Err(format!(
            "{a}..{b} is inverted; write FROM..TO with FROM <= TO"
        ));
    }
    Ok((a, b))
}

/// Run `generate`.
pub fn run(args: &Args, global: &GlobalArgs) -> Result<Outcome> {
    if args.cities == 0 {
        return Err(crate::error::Error::Usage(
            "--cities must be at least 1".into(),
        ));
    }
    let file = args.out.join(match args.format {
        GenFormat::Parquet => "submissions.parquet",
        GenFormat::Csv => "submissions.csv",
    });
    // a generated file may have been edited since: replaced only when asked
    crate::store::refuse_existing(&file, args.force)?;
    let (_units, catalog) = global.load_catalog()?;
    let registry = Registry::embedded()?;
    let mut spec = GenSpec::new(args.cities, args.years.0, args.years.1, args.seed);
    spec.selection = args.select;
    spec.format = args.format;
    spec.inject_errors = args.inject_errors;
    let pb = crate::progress::bytes_bar(0, "generating", global.quiet);
    let started = std::time::Instant::now();
    let o = generate(&registry, &catalog, &spec, &args.out, &mut |n| {
        pb.set_position(n)
    })?;
    pb.finish_and_clear();
    println!(
        "wrote {} rows for {} cities, {}..{} ({} bytes) to {} in {:.2} s",
        o.rows,
        o.cities,
        args.years.0,
        args.years.1,
        o.bytes,
        o.file,
        started.elapsed().as_secs_f64()
    );
    Ok(Outcome::Ok)
}
