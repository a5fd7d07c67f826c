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
    // Transparent huge pages for mimalloc's segments (the kernel's default here is
    // `madvise`): a 13 000-city run touches 2-3 GB, and on a virtual machine every first
    // touch of a 4 KB page is a fault costing microseconds; 2 MB pages take 512 times fewer
    // (README, Performance). Memory is still returned to the system as before.
    // SAFETY: sets a process-wide allocator option; no allocation is in flight.
    unsafe {
        libmimalloc_sys::mi_option_set_enabled(libmimalloc_sys::mi_option_large_os_pages, true);
    }
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
            eprintln!("error: {e}");
            ExitCode::from(2)
        }
    }
}
