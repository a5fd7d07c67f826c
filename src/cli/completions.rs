//! `citybench completions SHELL`: shell completion script, generated from the same clap
//! definitions as the command line itself (clap_complete).

use clap::CommandFactory;
use clap_complete::Shell;

use super::{Cli, GlobalArgs, Outcome};
use crate::error::{Error, Result};

/// Print a shell completion script.
#[derive(Debug, clap::Args)]
#[command(
    after_help = "Install:\n  bash:        citybench completions bash > ~/.local/share/bash-completion/completions/citybench\n  zsh:         citybench completions zsh > ~/.zfunc/_citybench   (with fpath+=~/.zfunc before compinit)\n  fish:        citybench completions fish > ~/.config/fish/completions/citybench.fish\n  powershell:  citybench completions powershell >> $PROFILE"
)]
pub struct Args {
    /// The shell.
    #[arg(value_enum)]
    pub shell: Shell,
}

/// Run `completions`.
pub fn run(args: &Args, _global: &GlobalArgs) -> Result<Outcome> {
    let mut out = Vec::new();
    clap_complete::generate(args.shell, &mut Cli::command(), "citybench", &mut out);
    use std::io::Write;
    std::io::stdout()
        .lock()
        .write_all(&out)
        .map_err(|e| Error::io("stdout", e))?;
    Ok(Outcome::Ok)
}
