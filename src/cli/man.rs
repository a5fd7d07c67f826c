//! `citybench man [--out DIR]`: man pages generated from the clap definitions
//! (clap_mangen): `citybench.1` and one `citybench-<command>.1` per subcommand (and
//! `citybench-<command>-<sub>.1` per subcommand of one, e.g. `citybench-targets-set.1`). The
//! committed copies in `docs/man/` are checked against the generator by a test.

use std::path::{Path, PathBuf};

use clap::CommandFactory;

use super::{Cli, GlobalArgs, Outcome};
use crate::error::{Error, IoContext, Result};

/// Write the man pages (or print the main page).
#[derive(Debug, clap::Args)]
#[command(
    after_help = "Examples:\n  citybench man | man -l -\n  citybench man --out docs/man && man -l docs/man/citybench-ingest.1"
)]
pub struct Args {
    /// Write citybench.1 and citybench-<command>.1 into this directory instead of printing
    /// the main page.
    #[arg(long, short = 'o', value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// Replace files of the pages' names that are not citybench man pages (earlier pages
    /// are replaced without it).
    #[arg(long)]
    pub force: bool,
}

/// Whether `bytes` is a man page of citybench (clap_mangen's first line and the title).
fn is_man_page(bytes: &[u8]) -> bool {
    let text = String::from_utf8_lossy(bytes);
    text.starts_with(".ie \\n(.g .ds Aq \\(aq\n") && text.contains("\n.TH citybench")
}

/// Every page: (file name, roff text).
pub fn pages() -> Result<Vec<(String, Vec<u8>)>> {
    let cmd = Cli::command();
    let mut out = Vec::new();
    let render = |c: clap::Command| -> Result<Vec<u8>> {
        let mut buf = Vec::new();
        clap_mangen::Man::new(c)
            .render(&mut buf)
            .map_err(|e| Error::io("man page", e))?;
        Ok(buf)
    };
    out.push(("citybench.1".to_string(), render(cmd.clone())?));
    // one page per subcommand, and per subcommand of a subcommand (`citybench-targets-set`)
    let mut todo: Vec<(String, clap::Command)> = cmd
        .get_subcommands()
        .map(|s| (format!("citybench-{}", s.get_name()), s.clone()))
        .collect();
    let mut i = 0;
    while i < todo.len() {
        let (prefix, sub) = todo[i].clone();
        // clap names are &'static str without its `string` feature; a handful of short
        // strings for the life of the process
        let name: &'static str = Box::leak(prefix.clone().into_boxed_str());
        let page = sub.clone().name(name).display_name(name);
        out.push((format!("{name}.1"), render(page)?));
        let nested: Vec<(String, clap::Command)> = sub
            .get_subcommands()
            .filter(|s| s.get_name() != "help")
            .map(|s| (format!("{prefix}-{}", s.get_name()), s.clone()))
            .collect();
        todo.splice(i + 1..i + 1, nested);
        i += 1;
    }
    Ok(out)
}

/// Run `man`.
pub fn run(args: &Args, _global: &GlobalArgs) -> Result<Outcome> {
    let pages = pages()?;
    match &args.out {
        None => {
            use std::io::Write;
            std::io::stdout()
                .lock()
                .write_all(&pages[0].1)
                .map_err(|e| Error::io("stdout", e))?;
        }
        Some(dir) => {
            for (name, _) in &pages {
                crate::store::refuse_foreign(
                    &dir.join(name),
                    args.force,
                    "a man page",
                    is_man_page,
                )?;
            }
            std::fs::create_dir_all(dir).at(dir)?;
            for (name, text) in &pages {
                crate::store::atomic_write(&Path::new(dir).join(name), text)?;
            }
            println!("{}: {} man pages", dir.display(), pages.len());
        }
    }
    Ok(Outcome::Ok)
}
