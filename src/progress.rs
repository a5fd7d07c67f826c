//! One progress-bar helper: hidden with `--quiet` or when stderr is not a terminal.

use std::io::IsTerminal;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

/// A byte-count bar (or a spinner when the total is unknown).
pub fn bytes_bar(total: u64, message: &str, quiet: bool) -> ProgressBar {
    let pb = if total > 0 {
        ProgressBar::new(total)
    } else {
        ProgressBar::new_spinner()
    };
    if quiet || !std::io::stderr().is_terminal() {
        pb.set_draw_target(ProgressDrawTarget::hidden());
    }
    let style = if total > 0 {
        ProgressStyle::with_template("{msg} [{bar:30}] {bytes}/{total_bytes} ({eta})")
    } else {
        ProgressStyle::with_template("{spinner} {msg} {pos} rows")
    };
    if let Ok(s) = style {
        pb.set_style(s.progress_chars("=> "));
    }
    pb.set_message(message.to_string());
    pb
}

/// A spinner for a stage of unknown length ("run: computing 12.3s"), ticking on its own
/// thread; hidden with `--quiet` or when stderr is not a terminal. Clear it with
/// `finish_and_clear` when the stage ends.
pub fn stage(message: &str, quiet: bool) -> ProgressBar {
    let pb = ProgressBar::new_spinner();
    if quiet || !std::io::stderr().is_terminal() {
        pb.set_draw_target(ProgressDrawTarget::hidden());
    } else {
        pb.enable_steady_tick(std::time::Duration::from_millis(120));
    }
    if let Ok(s) = ProgressStyle::with_template("{spinner} {msg} {elapsed}") {
        pb.set_style(s);
    }
    pb.set_message(message.to_string());
    pb
}

/// A bar over `total` items ("index: uncertainty [=====>   ] 412/1000 (3s)"); hidden with
/// `--quiet` or when stderr is not a terminal. `inc` is safe from several threads.
pub fn count_bar(total: u64, message: &str, quiet: bool) -> ProgressBar {
    let pb = ProgressBar::new(total);
    if quiet || !std::io::stderr().is_terminal() {
        pb.set_draw_target(ProgressDrawTarget::hidden());
    }
    if let Ok(s) = ProgressStyle::with_template("{msg} [{bar:30}] {pos}/{len} ({eta})") {
        pb.set_style(s.progress_chars("=> "));
    }
    pb.set_message(message.to_string());
    pb
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Under the test harness stderr is not a terminal: the bars draw nothing, and they
    /// still count.
    #[test]
    fn bars_are_hidden_off_a_terminal_and_still_count() {
        let s = stage("run: computing", false);
        assert!(s.is_hidden());
        s.finish_and_clear();
        let b = count_bar(10, "index: uncertainty", false);
        assert!(b.is_hidden());
        b.inc(3);
        assert_eq!(b.position(), 3);
        assert!(count_bar(10, "x", true).is_hidden());
    }
}
