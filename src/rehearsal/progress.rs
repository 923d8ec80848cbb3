//! How a rehearsal tells a person what it is doing: plain lines on stderr (CI logs, pipes), or
//! on a terminal the same lines with a spinner and the elapsed time under the step that is
//! running, so a migration that takes minutes is visibly alive.

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressFinish, ProgressStyle};
use std::io::IsTerminal;
use std::sync::Mutex;
use std::time::Duration;

/// Where the run reports its steps.
pub trait Progress: Send + Sync {
    /// A step that finished (or a fact), one line.
    fn step(&self, message: &str);
    /// A step that starts now and may take a while; the next `step` ends it.
    fn running(&self, _message: &str) {}
    /// How seeding shows its per-table progress.
    fn seed_mode(&self) -> crate::seed::ProgressMode {
        crate::seed::ProgressMode::Auto
    }
}

/// Plain lines on stderr, readable in CI logs.
pub struct PlainProgress;

impl Progress for PlainProgress {
    fn step(&self, message: &str) {
        eprintln!("rehearse: {message}");
    }
}

/// Silence, for tests that call the library.
pub struct QuietProgress;

impl Progress for QuietProgress {
    fn step(&self, _message: &str) {}
    fn seed_mode(&self) -> crate::seed::ProgressMode {
        crate::seed::ProgressMode::Quiet
    }
}

/// Lines as [`PlainProgress`] prints them, plus a spinner with the elapsed time while a step
/// runs.
#[derive(Default)]
pub struct TerminalProgress {
    running: Mutex<Option<ProgressBar>>,
}

impl TerminalProgress {
    fn clear(&self) {
        if let Some(bar) = self
            .running
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .take()
        {
            bar.finish_and_clear();
        }
    }
}

impl Progress for TerminalProgress {
    fn step(&self, message: &str) {
        self.clear();
        eprintln!("rehearse: {message}");
    }

    fn running(&self, message: &str) {
        self.clear();
        let bar = ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr())
            .with_style(
                ProgressStyle::with_template("{spinner} rehearse: {msg} ({elapsed})")
                    .unwrap_or_else(|_| ProgressStyle::default_spinner()),
            )
            .with_message(message.to_string())
            .with_finish(ProgressFinish::AndClear);
        bar.enable_steady_tick(Duration::from_millis(120));
        *self.running.lock().unwrap_or_else(|e| e.into_inner()) = Some(bar);
    }
}

impl Drop for TerminalProgress {
    fn drop(&mut self) {
        self.clear();
    }
}

/// A spinner on a terminal, plain lines anywhere else.
pub fn for_stderr() -> Box<dyn Progress> {
    if std::io::stderr().is_terminal() {
        Box::new(TerminalProgress::default())
    } else {
        Box::new(PlainProgress)
    }
}
