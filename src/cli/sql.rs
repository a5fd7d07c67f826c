//! `citybench sql [QUERY | -f FILE]`: read-only SQL over the workspace's views; with no
//! query, an interactive prompt.

use std::io::{BufRead, IsTerminal, Write};
use std::path::PathBuf;

use super::{GlobalArgs, Outcome};
use crate::error::{Error, Result};
use crate::output::OutputArgs;
use crate::store::Workspace;
use crate::warehouse::Warehouse;

/// Query the workspace with SQL (read-only).
#[derive(Debug, clap::Args)]
#[command(
    after_help = "Examples:\n  citybench sql \"select * from city_scorecard where city_id = '2660646' limit 5\"\n  citybench sql -f queries/examples/top_cities_overall.sql --format markdown\n  citybench sql \"show tables\"\n  citybench sql            (interactive; end a query with ';', quit with .quit or Ctrl-D)\n\nThe connection is read-only and may read only the workspace's files; COPY, ATTACH,\nINSTALL, LOAD and SET are refused. Errors show DuckDB's message and exit 2."
)]
pub struct Args {
    /// The query (one statement).
    pub query: Option<String>,
    /// Read the query from a file.
    #[arg(short, long, conflicts_with = "query")]
    pub file: Option<PathBuf>,
    #[command(flatten)]
    pub output: OutputArgs,
    /// Replace the --out file if it exists.
    #[arg(long)]
    pub force: bool,
}

fn emit(w: &Warehouse, sql: &str, args: &Args) -> Result<()> {
    args.output.emit(&w.query(sql)?)
}

/// Run `sql`.
pub fn run(args: &Args, global: &GlobalArgs) -> Result<Outcome> {
    crate::store::refuse_existing_out(args.output.out.as_deref(), args.force)?;
    // the file first: a FIFO or a directory is named before the workspace is opened
    let file_text = match &args.file {
        Some(f) => Some(crate::input::read_text(f, "a file of SQL")?),
        None => None,
    };
    let ws = Workspace::open(global.workspace())?;
    let w = Warehouse::open_read_only(&ws)?;
    if let Some(q) = &args.query {
        emit(&w, q, args)?;
        return Ok(Outcome::Ok);
    }
    if let Some(text) = &file_text {
        emit(&w, text, args)?;
        return Ok(Outcome::Ok);
    }
    // interactive: statements end with ';'
    let stdin = std::io::stdin();
    let tty = stdin.is_terminal();
    if tty {
        eprintln!(
            "citybench sql on {} (read-only). End a query with ';'. .tables lists views; .quit exits.",
            ws.root().display()
        );
    }
    let mut buf = String::new();
    let mut failed = false;
    let prompt = |cont: bool| {
        if tty {
            eprint!("{}", if cont { "   ...> " } else { "citybench> " });
            let _ = std::io::stderr().flush();
        }
    };
    prompt(false);
    for line in stdin.lock().lines() {
        let line = line.map_err(|e| Error::io("<stdin>", e))?;
        let t = line.trim();
        if buf.is_empty() && (t == ".quit" || t == ".exit") {
            break;
        }
        if buf.is_empty() && t == ".tables" {
            if let Err(e) = emit(&w, "show tables", args) {
                eprintln!("error: {}", crate::text::printable_lines(&e.to_string()));
            }
            prompt(false);
            continue;
        }
        buf.push_str(&line);
        buf.push('\n');
        if t.ends_with(';') {
            if let Err(e) = emit(&w, &buf, args) {
                eprintln!("error: {}", crate::text::printable_lines(&e.to_string()));
                failed = true;
            }
            buf.clear();
            prompt(false);
        } else {
            prompt(true);
        }
    }
    if !buf.trim().is_empty()
        && let Err(e) = emit(&w, &buf, args)
    {
        eprintln!("error: {}", crate::text::printable_lines(&e.to_string()));
        failed = true;
    }
    if failed && !tty {
        return Err(Error::Sql(
            "one or more queries failed (messages above)".into(),
        ));
    }
    Ok(Outcome::Ok)
}
