//! The `citybench` binary: parse the command line, run, map the outcome to an exit code
//! (0 ok, 1 finished with rejected rows or failed checks, 2 usage or fatal error).

use std::process::ExitCode;

use citybench::cli::{Cli, Outcome, run};
use clap::Parser;

/// mimalloc: reuses freed memory within the process; with glibc's malloc every large
/// column buffer was a fresh mapping, faulted in page by page (README, Performance).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    citybench::allocator::configure();
    let cli = Cli::parse();
    match run(cli) {
        Ok(Outcome::Ok) => ExitCode::SUCCESS,
        Ok(Outcome::Rejected) => ExitCode::from(1),
        // the reader went away (`citybench ... | head`): not an error
        Err(citybench::error::Error::Io { source, .. })
            if source.kind() == std::io::ErrorKind::BrokenPipe =>
        {
            ExitCode::SUCCESS
        }
        Err(e) => {
            // messages quote ids, values and paths users gave: no control character reaches
            // the terminal as is
            eprintln!(
                "error: {}",
                citybench::text::printable_lines(&e.to_string())
            );
            ExitCode::from(2)
        }
    }
}
