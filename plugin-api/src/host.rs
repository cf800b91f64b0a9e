//! What a provider can hand the host while it runs: chunks of a program's
//! output as they come, and log lines (through [`CallContext`](crate::CallContext)).

/// Which output stream a chunk came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum OutputStream {
    /// Standard output.
    Stdout,
    /// Standard error.
    Stderr,
}

impl OutputStream {
    /// The stream's number across the plugin boundary (1 stdout, 2 stderr).
    pub fn code(self) -> u8 {
        match self {
            OutputStream::Stdout => 1,
            OutputStream::Stderr => 2,
        }
    }

    /// The stream numbered `code`; anything unknown is standard error.
    pub fn from_code(code: u8) -> Self {
        match code {
            1 => OutputStream::Stdout,
            _ => OutputStream::Stderr,
        }
    }
}

/// How important a log line is, as `tracing` levels go.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Level {
    /// Something failed.
    Error,
    /// Something looks wrong.
    Warn,
    /// What a user running the flow wants to know.
    Info,
    /// Details for whoever debugs the flow.
    Debug,
    /// Everything.
    Trace,
}

impl Level {
    /// The level's number across the plugin boundary (1 error … 5 trace).
    pub fn code(self) -> u8 {
        match self {
            Level::Error => 1,
            Level::Warn => 2,
            Level::Info => 3,
            Level::Debug => 4,
            Level::Trace => 5,
        }
    }

    /// The level numbered `code`; anything unknown is `Info`.
    pub fn from_code(code: u8) -> Self {
        match code {
            1 => Level::Error,
            2 => Level::Warn,
            4 => Level::Debug,
            5 => Level::Trace,
            _ => Level::Info,
        }
    }
}

/// Where a call's output chunks and log lines go: the host implements it
/// and hands it to the provider inside the [`CallContext`](crate::CallContext).
/// Providers do not use it directly; they call
/// [`CallContext::output`](crate::CallContext::output) and
/// [`CallContext::log`](crate::CallContext::log).
pub trait CallSink: Send + Sync {
    /// A chunk of a program's output on `stream`, as it came (not
    /// necessarily whole lines).
    fn output(&self, stream: OutputStream, chunk: &[u8]);
    /// A log line of the provider, at `level`.
    fn log(&self, level: Level, message: &str);
}
