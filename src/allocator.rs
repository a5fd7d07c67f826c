//! Options of mimalloc, the binary's global allocator (README, Performance).
//!
//! On this class of machine (a virtual machine) the first touch of memory is expensive:
//! at 13 000 cities the kernel spent about a third of a run's CPU time zeroing pages handed
//! to the process. The purge delay below makes the process touch fresh memory less often,
//! and huge pages are off because a fresh 2 MB page was the most expensive touch of all
//! ([`configure`]).
//!
//! mimalloc also replaces C's `malloc` and `free` (the `override` feature of
//! `libmimalloc-sys`), so DuckDB's C++ allocates from the same heap as Polars: at the end of
//! `run` the checks reuse the memory the stages freed instead of glibc mapping fresh pages.
//! At 5 000 cities the first check took 143-201 ms in a run and 44-93 ms when repeated;
//! with one heap it takes 44-47 ms the first time, the checks 0.13-0.14 s instead of
//! 0.23-0.32 s, `run`'s system time fell from 0.32-0.47 s to 0.14-0.19 s and its peak
//! from 1.33-1.37 to 1.24-1.26 GB.

use libmimalloc_sys::mi_option_t;

/// `mi_option_purge_delay` of the mimalloc v3 header (`mimalloc.h`, `mi_option_e`), which
/// the Rust bindings do not name. A test checks it is the option whose default is v3's
/// 1 000 ms.
const PURGE_DELAY: mi_option_t = 15;

/// How long freed memory stays with the process before it is returned to the system:
/// 3 s instead of mimalloc's 1 s, so that a stage's freed buffers are reused by the next
/// stage instead of being returned and faulted in again. At 13 000 cities this cut the
/// fresh memory a run touches from 4.5-5.2 GB to 3.4-3.9 GB, for about 0.1 GB more peak
/// (2.8 GB). An explicit `MIMALLOC_PURGE_DELAY` in the environment wins.
const PURGE_DELAY_MS: std::ffi::c_long = 3000;

/// The purge delay while a file is ingested: ingest streams slices through the same
/// stages, so its freed buffers are reused within a second, and a longer delay only holds
/// memory (10.3 M Parquet rows: peak 0.90 GB at 3 s, 0.76 GB at 1 s, the same time, with
/// huge pages; with 4 KB pages 1 s, 3 s and never measured the same, 0.52-0.53 GB and
/// 120 000 page faults).
const STREAMING_PURGE_DELAY_MS: std::ffi::c_long = 1000;

/// Switch to the purge delay of a streaming command ([`STREAMING_PURGE_DELAY_MS`]), unless
/// `MIMALLOC_PURGE_DELAY` is set. Call before the command starts its threads.
pub fn for_streaming() {
    if std::env::var_os("MIMALLOC_PURGE_DELAY").is_none() {
        // SAFETY: sets a process-wide allocator option (a plain word mimalloc reads when it
        // schedules a purge); no other thread of the command runs yet.
        unsafe { libmimalloc_sys::mi_option_set(PURGE_DELAY, STREAMING_PURGE_DELAY_MS) };
    }
}

/// Set the options; call first thing in `main`, before any thread starts.
pub fn configure() {
    without_huge_pages();
    if std::env::var_os("MIMALLOC_PURGE_DELAY").is_none() {
        // SAFETY: sets a process-wide allocator option; called before any other thread
        // exists.
        unsafe { libmimalloc_sys::mi_option_set(PURGE_DELAY, PURGE_DELAY_MS) };
    }
}

/// Turn transparent huge pages off for this process (`PR_SET_THP_DISABLE`; its children
/// inherit it).
///
/// A 2 MB page is taken from the kernel's free blocks of 2 MB, the very blocks a virtual
/// machine's balloon driver reports to the host as free (free page reporting), so the
/// first touch of each one makes the host back 512 small pages while the kernel zeroes it.
/// On the project machine, interleaved runs 10-15 s apart with mimalloc asking for huge
/// pages and without them (`docs/performance.md`, "fifth pass: huge pages off"): at 5 000
/// cities `ingest` took 4.4-4.9 s with 4.2-4.5 s of system time against 1.3-1.5 s, `run`
/// 6.1-6.3 s against 2.6-2.8 s; at 13 000 cities 9.4-9.7 and 15.8-16.1 s against 3.4 and
/// 6.3 s. Only a `run` right after another one was faster with them (2.2-2.6 against
/// 2.6-2.8 s).
fn without_huge_pages() {
    #[cfg(target_os = "linux")]
    // SAFETY: prctl with PR_SET_THP_DISABLE takes plain integer arguments and changes a
    // flag of the calling process only. It fails only on kernels older than 3.15, where
    // the process keeps the system's setting.
    unsafe {
        libc::prctl(libc::PR_SET_THP_DISABLE, 1, 0, 0, 0);
    }
}

#[cfg(test)]
mod tests {
    #[test]
    #[cfg(target_os = "linux")]
    fn huge_pages_are_turned_off() {
        // not `configure`: it also sets the purge delay the other test reads
        super::without_huge_pages();
        // SAFETY: reads a flag of the calling process
        let disabled = unsafe { libc::prctl(libc::PR_GET_THP_DISABLE, 0, 0, 0, 0) };
        assert_eq!(
            disabled, 1,
            "transparent huge pages are off for the process"
        );
    }

    #[test]
    fn the_purge_delay_option_is_the_one_meant() {
        // SAFETY: reads an option (initialising it from its default/environment)
        let default = unsafe { libmimalloc_sys::mi_option_get(super::PURGE_DELAY) };
        if std::env::var_os("MIMALLOC_PURGE_DELAY").is_none() {
            assert_eq!(default, 1000, "mimalloc v3's purge delay default");
        }
    }
}
