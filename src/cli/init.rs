//! `citybench init [DIR]`: a new workspace with a commented `citybench.toml`.

use std::path::PathBuf;

use super::{GlobalArgs, Outcome};
use crate::error::Result;
use crate::store::Workspace;

/// Create a workspace.
#[derive(Debug, clap::Args)]
#[command(after_help = "Example:\n  citybench init my-workspace")]
pub struct Args {
    /// Directory (default: --workspace).
    pub dir: Option<PathBuf>,
}

/// Run `init`.
pub fn run(args: &Args, global: &GlobalArgs) -> Result<Outcome> {
    let dir = args
        .dir
        .clone()
        .unwrap_or_else(|| global.workspace().to_path_buf());
    let (ws, created) = Workspace::init(&dir)?;
    if created {
        println!(
            "initialised workspace {}\n  edit {} to set analysis year, peer groupings and k\n  next: citybench -w {} ingest FILE...",
            ws.root().display(),
            ws.config_path().display(),
            ws.root().display()
        );
    } else {
        println!(
            "{} is already a workspace; its {} was left unchanged",
            ws.root().display(),
            crate::store::CONFIG_FILE
        );
    }
    Ok(Outcome::Ok)
}
