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
    after_help = "Examples:\n  citybench sql \"select * from city_scorecard where city_id = '2660646' limit 5\"\n  citybench sql --example top_cities_overall --format markdown\n  citybench sql --examples  (the example queries built in, with what each answers)\n  citybench sql -f my_query.sql\n  citybench sql \"show tables\"\n  citybench sql            (interactive; end a query with ';'; .help lists the commands,\n                           .quit or Ctrl-D exits)\n\nThe connection is read-only and may read only the workspace's files; COPY, ATTACH,\nINSTALL, LOAD and SET are refused. Errors show DuckDB's message and exit 2."
)]
pub struct Args {
    /// The query (one statement).
    pub query: Option<String>,
    /// Read the query from a file.
    #[arg(short, long, conflicts_with = "query")]
    pub file: Option<PathBuf>,
    /// Run one of the example queries built into citybench (`--examples` lists them).
    #[arg(long, value_name = "NAME", conflicts_with_all = ["query", "file"])]
    pub example: Option<String>,
    /// List the example queries built into citybench, each with the question it answers.
    #[arg(long, conflicts_with_all = ["query", "file", "example"])]
    pub examples: bool,
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
    if args.examples {
        args.output.emit_text(&examples_list())?;
        return Ok(Outcome::Ok);
    }
    crate::store::refuse_existing_out(args.output.out.as_deref(), args.force)?;
    // the file or example first: a FIFO, a directory or an unknown example is named before
    // the workspace is opened
    let file_text = match (&args.file, &args.example) {
        (Some(f), _) => Some(crate::input::read_text(f, "a file of SQL")?),
        (None, Some(name)) => Some(example_sql(name)?.to_string()),
        (None, None) => None,
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
            "citybench sql on {} (read-only). End a query with ';'. .help lists the commands; .quit exits.",
            ws.root().display()
        );
    }
    let mut buf = String::new();
    let mut failed = false;
    let report = |e: &Error| eprintln!("error: {}", crate::text::printable_lines(&e.to_string()));
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
        if let Some(command) = Dot::parse(t) {
            let pending = !buf.trim().is_empty();
            match command {
                Ok(Dot::Quit) => {
                    if pending {
                        eprintln!("(the unfinished statement was not run)");
                    }
                    buf.clear();
                    break;
                }
                Ok(Dot::Help) => print!("{}", Dot::HELP),
                Ok(Dot::Tables) => {
                    if let Err(e) = emit(&w, "show tables", args) {
                        report(&e);
                    }
                }
                Ok(Dot::Clear) => buf.clear(),
                Err(message) => {
                    report(&Error::Usage(message));
                    failed = true;
                }
            }
            prompt(!buf.trim().is_empty());
            continue;
        }
        buf.push_str(&line);
        buf.push('\n');
        if t.ends_with(';') {
            if let Err(e) = emit(&w, &buf, args) {
                report(&e);
                failed = true;
            }
            buf.clear();
            prompt(false);
        } else {
            prompt(!buf.trim().is_empty());
        }
    }
    if !buf.trim().is_empty()
        && let Err(e) = emit(&w, &buf, args)
    {
        report(&e);
        failed = true;
    }
    if failed && !tty {
        return Err(Error::Sql(
            "one or more queries failed (messages above)".into(),
        ));
    }
    Ok(Outcome::Ok)
}

/// The SQL of the built-in example `name`.
fn example_sql(name: &str) -> Result<&'static str> {
    crate::warehouse::EXAMPLES
        .iter()
        .find(|(n, _, _)| *n == name)
        .map(|(_, _, sql)| *sql)
        .ok_or_else(|| {
            Error::Usage(format!(
                "unknown example '{}'; `citybench sql --examples` lists them",
                crate::text::printable(name)
            ))
        })
}

/// What `--examples` prints: each example's name and summary, by name.
fn examples_list() -> String {
    let mut examples: Vec<(&str, String)> = crate::warehouse::EXAMPLES
        .iter()
        .map(|(name, _, sql)| (*name, crate::warehouse::example_summary(name, sql)))
        .collect();
    examples.sort();
    let width = examples.iter().map(|(n, _)| n.len()).max().unwrap_or(0);
    let mut s = String::from(
        "Example queries (run one: citybench sql --example NAME; their SQL is in queries/examples/):\n",
    );
    for (name, summary) in examples {
        s.push_str(&format!("  {name:width$}  {summary}\n"));
    }
    s
}

/// A command of the interactive prompt: a line starting with `.` and a letter, recognised
/// whether or not a statement is pending (a SQL line never starts that way).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Dot {
    Help,
    Quit,
    Tables,
    Clear,
}

impl Dot {
    /// What `.help` prints.
    const HELP: &str = "\
.help     this list
.tables   the views and tables to query
.clear    discard the unfinished statement
.quit     exit (also .exit and Ctrl-D; an unfinished statement is not run)
End a statement with ';' to run it; it may span lines.
";

    /// The command of a trimmed line: `None` for a line of SQL; `Err` with the message for
    /// an unknown command or one given arguments.
    fn parse(t: &str) -> Option<std::result::Result<Dot, String>> {
        let rest = t.strip_prefix('.')?;
        if !rest.starts_with(|c: char| c.is_ascii_alphabetic()) {
            return None;
        }
        let mut words = t.split_whitespace();
        let name = words.next().unwrap_or(t);
        let command = match name.to_ascii_lowercase().as_str() {
            ".help" => Dot::Help,
            ".quit" | ".exit" => Dot::Quit,
            ".tables" => Dot::Tables,
            ".clear" => Dot::Clear,
            _ => {
                return Some(Err(format!(
                    "unknown command {name}; .help lists the commands (.help, .tables, .clear, .quit)"
                )));
            }
        };
        if words.next().is_some() {
            return Some(Err(format!("{name} takes no arguments")));
        }
        Some(Ok(command))
    }
}

#[cfg(test)]
mod tests {
    use super::Dot;

    #[test]
    fn dot_commands_are_recognised_and_sql_is_not() {
        assert_eq!(Dot::parse(".help"), Some(Ok(Dot::Help)));
        assert_eq!(Dot::parse(".quit"), Some(Ok(Dot::Quit)));
        assert_eq!(Dot::parse(".EXIT"), Some(Ok(Dot::Quit)));
        assert_eq!(Dot::parse(".tables"), Some(Ok(Dot::Tables)));
        assert_eq!(Dot::parse(".clear"), Some(Ok(Dot::Clear)));
        assert_eq!(
            Dot::parse(".schema x"),
            Some(Err(
                "unknown command .schema; .help lists the commands (.help, .tables, .clear, .quit)"
                    .into()
            ))
        );
        assert_eq!(
            Dot::parse(".quit now"),
            Some(Err(".quit takes no arguments".into()))
        );
        assert_eq!(Dot::parse("select 1;"), None);
        assert_eq!(Dot::parse(".5 + 1;"), None);
        assert_eq!(Dot::parse(""), None);
    }
}
