//! The JSONL delivery log: one line per attempt, written and flushed as it happens.

use std::fs::{File, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use crate::run::Attempt;

/// An append-only JSONL file with one [`Attempt`] per line.
///
/// Each line is written with a single `write` on a file opened in append mode and flushed at
/// once (no user-space buffer), so a crash or Ctrl-C loses nothing already sent, and two tesim
/// processes logging to the same file do not interleave within a line.
#[derive(Debug)]
pub struct DeliveryLog {
    file: File,
    path: PathBuf,
    line: Vec<u8>,
}

impl DeliveryLog {
    /// Opens (creating it if needed) `path` for appending.
    pub fn open(path: &Path) -> io::Result<DeliveryLog> {
        let file = OpenOptions::new().create(true).append(true).open(path)?;
        Ok(DeliveryLog {
            file,
            path: path.to_owned(),
            line: Vec::with_capacity(512),
        })
    }

    /// The log's path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Appends one attempt as a JSON line.
    pub fn append(&mut self, attempt: &Attempt) -> io::Result<()> {
        self.line.clear();
        serde_json::to_writer(&mut self.line, attempt).map_err(io::Error::other)?;
        self.line.push(b'\n');
        self.file.write_all(&self.line)?;
        self.file.flush()
    }
}
