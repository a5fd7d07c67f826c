//! `citybench ingest FILE...`: validate submissions into immutable raw batches.

use std::io::Write;
use std::path::PathBuf;

use super::{GlobalArgs, Outcome};
use crate::error::{Error, Result};
use crate::ingest::{Context, FileOutcome, IngestOptions, ReadOptions, ingest_file};
use crate::output::OutputFormat;
use crate::registry::Registry;
use crate::store::Workspace;
use crate::text::{printable, printable_lines};

/// Ingest submission files.
#[derive(Debug, clap::Args)]
#[command(
    after_help = "Long format, one row per observation; columns (any case):\n  city_id,data_point_id,year,value,unit,source,quality,verified,confidential[,denominator,notes]\n\nA CSV with framework and characteristic columns is a maturity self-assessment:\n  city_id,framework,characteristic,level,assessment_date[,evidence]\n  (framework y4904 or eu_china; see `citybench maturity --help`)\n\nExamples:\n  citybench -w ws ingest geneva-2024.csv\n  citybench -w ws ingest --delimiter ';' export.csv\n  citybench -w ws ingest a.parquet b.ndjson --format json\n  citybench -w ws ingest geneva-template.xlsx   (rejections name their cell, e.g. Data!J37)"
)]
pub struct Args {
    /// Files to ingest (.csv, .json, .ndjson/.jsonl, .parquet, .xlsx from `citybench
    /// template`); each becomes one batch.
    #[arg(required = true)]
    pub files: Vec<PathBuf>,
    /// Ingest even if a byte-identical file was ingested before.
    #[arg(long)]
    pub force: bool,
    /// CSV field delimiter (one character; '\t' for tab).
    #[arg(long, default_value = ",", value_parser = parse_delimiter)]
    pub delimiter: u8,
    /// Summary format (table or json/ndjson for scripts).
    #[arg(long, value_enum, default_value_t)]
    pub format: OutputFormat,
}

fn parse_delimiter(s: &str) -> std::result::Result<u8, String> {
    match s {
        "\\t" | "tab" => Ok(b'\t'),
        s if s.len() == 1 && s.is_ascii() => Ok(s.as_bytes()[0]),
        _ => Err(format!(
            "'{s}' is not a single ASCII character (use '\\t' for tab)"
        )),
    }
}

/// Build the validation context for a workspace.
pub fn context(ws: &Workspace, global: &GlobalArgs) -> Result<Context> {
    let (units, catalog) = global.load_catalog()?;
    let registry = Registry::for_workspace(ws.root())?;
    for o in &registry.overrides {
        eprintln!("note: {}", printable_lines(o));
    }
    Ok(Context {
        catalog,
        units,
        registry,
        config: ws.config()?,
    })
}

/// Ingest files into `ws` (lock held by the caller); prints the summary.
pub fn ingest_all(
    ws: &Workspace,
    ctx: &Context,
    files: &[PathBuf],
    opts: &IngestOptions,
    format: OutputFormat,
    quiet: bool,
) -> Result<(Vec<FileOutcome>, usize)> {
    let mut outcomes = Vec::new();
    let mut failed = 0usize;
    for f in files {
        let pb = crate::progress::bytes_bar(0, &f.display().to_string(), quiet);
        let mut progress = |done: u64, total: u64| {
            if total > 0 && pb.length() != Some(total) {
                pb.set_length(total);
            }
            pb.set_position(done);
        };
        match ingest_file(ws, ctx, f, opts, &mut progress) {
            Ok(o) => {
                pb.finish_and_clear();
                if format == OutputFormat::Table {
                    print_summary(ws, &o);
                }
                outcomes.push(o);
            }
            Err(e) => {
                pb.abandon();
                eprintln!("error: {}", printable_lines(&e.to_string()));
                failed += 1;
            }
        }
    }
    if format != OutputFormat::Table {
        let mut out = std::io::stdout().lock();
        match format {
            OutputFormat::Ndjson => {
                for o in &outcomes {
                    let _ = writeln!(out, "{}", serde_json::to_string(o).expect("serialises"));
                }
            }
            _ => {
                let _ = writeln!(
                    out,
                    "{}",
                    serde_json::to_string_pretty(&outcomes).expect("serialises")
                );
            }
        }
    }
    Ok((outcomes, failed))
}

/// The summary of one ingested file. Everything quoted from the file (its name, column
/// names, rejection reasons) is shown with control characters as visible escapes.
fn print_summary(ws: &Workspace, o: &FileOutcome) {
    let file = printable(&o.file);
    match (&o.batch_id, &o.duplicate_of) {
        (None, Some(prev)) => {
            println!(
                "{file}: already ingested as batch {prev} (same SHA-256); nothing done (use --force to ingest it again)"
            );
            return;
        }
        // "not reported" only when the file states any, so that rows read = the parts shown
        (Some(id), _) if o.rows_not_reported > 0 => println!(
            "{file} -> batch {id}: {} rows read, {} accepted, {} not reported, {} rejected",
            o.rows_read, o.rows_accepted, o.rows_not_reported, o.rows_rejected
        ),
        (Some(id), _) => println!(
            "{file} -> batch {id}: {} rows read, {} accepted, {} rejected",
            o.rows_read, o.rows_accepted, o.rows_rejected
        ),
        (None, None) => {
            println!(
                "{file}: {}",
                printable(o.note.as_deref().unwrap_or("nothing ingested"))
            );
            return;
        }
    }
    if !o.ignored_columns.is_empty() {
        println!(
            "  ignored columns (not part of the submission format): {}",
            printable(&o.ignored_columns.join(", "))
        );
    }
    if let Some(r) = &o.rejected_file {
        println!(
            "  rejected rows with reasons: {}",
            printable(&ws.root().join(r).display().to_string())
        );
        println!("  top reasons:");
        for r in o.reasons.iter().take(8) {
            println!("    {:>8}  {:<14} {}", r.count, r.field, r.kind);
            println!("              e.g. {}", printable(&r.example));
        }
        if o.reasons.len() > 8 {
            println!("    ... {} more kinds", o.reasons.len() - 8);
        }
    }
}

fn print_assessment_summary(
    ws: &Workspace,
    o: &crate::maturity::assessments::Outcome,
    format: OutputFormat,
) {
    if format != OutputFormat::Table {
        println!("{}", serde_json::to_string(o).expect("serialises"));
        return;
    }
    let file = printable(&o.file);
    if o.duplicate {
        println!(
            "{file}: self-assessments already ingested (same SHA-256); nothing done (use --force to ingest them again)"
        );
        return;
    }
    println!(
        "{file} -> {}: self-assessments, {} rows read, {} accepted, {} rejected",
        crate::maturity::assessments::STORE_FILE,
        o.rows_read,
        o.rows_accepted,
        o.rows_rejected
    );
    if !o.ignored_columns.is_empty() {
        println!(
            "  ignored columns (not part of the self-assessment format): {}",
            printable(&o.ignored_columns.join(", "))
        );
    }
    if let Some(r) = &o.rejected_file {
        println!(
            "  rejected rows with reasons: {}",
            ws.root().join(r).display()
        );
        for (line, field, reason) in &o.examples {
            println!("    line {line}: {field}: {}", printable(reason));
        }
    }
}

/// Run `ingest`.
pub fn run(args: &Args, global: &GlobalArgs) -> Result<Outcome> {
    crate::allocator::for_streaming();
    let ws = Workspace::open(global.workspace())?;
    let _lock = ws.lock()?;
    let ctx = context(&ws, global)?;
    let opts = IngestOptions {
        read: ReadOptions {
            delimiter: args.delimiter,
        },
        force: args.force,
        year_max: None,
        ..IngestOptions::default()
    };
    let (assess, files): (Vec<PathBuf>, Vec<PathBuf>) = args
        .files
        .iter()
        .cloned()
        .partition(|f| crate::maturity::assessments::is_assessment_file(f));
    let mut assessed_rejections = false;
    for f in &assess {
        let o = crate::maturity::assessments::ingest(&ws, &ctx.registry, f, args.force)?;
        assessed_rejections |= o.rows_rejected > 0;
        print_assessment_summary(&ws, &o, args.format);
    }
    let (outcomes, failed) = ingest_all(&ws, &ctx, &files, &opts, args.format, global.quiet)?;
    if failed > 0 {
        let n = args.files.len();
        return Err(Error::Usage(if n == 1 {
            "the file could not be ingested (see the error above); nothing was written".into()
        } else {
            format!(
                "{failed} of {n} files could not be ingested (see the errors above); nothing was written for them, the others were committed"
            )
        }));
    }
    if assessed_rejections || outcomes.iter().any(|o| o.rows_rejected > 0) {
        Ok(Outcome::Rejected)
    } else {
        Ok(Outcome::Ok)
    }
}
