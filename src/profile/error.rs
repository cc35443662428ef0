//! Profile errors that name the file, line, column and field.

use std::fmt;
use std::ops::Range;
use std::path::{Path, PathBuf};

/// A profile that cannot be used. Displayed as
/// `profiles/x.toml:12:8: load.phases[1].rate: must not be negative (got -5)`.
#[derive(Debug, Clone, PartialEq)]
pub struct ProfileError {
    pub file: PathBuf,
    /// 1-based; 0 when the error has no position (a file that can't be read).
    pub line: usize,
    pub column: usize,
    /// Dotted path of the field, e.g. `load.phases[1].rate`; empty for the
    /// whole file.
    pub field: String,
    pub message: String,
}

impl ProfileError {
    /// An error at a byte span of `source`.
    pub fn at(
        file: &Path,
        source: &str,
        span: Option<Range<usize>>,
        field: impl Into<String>,
        message: impl Into<String>,
    ) -> ProfileError {
        let (line, column) = span.map(|s| line_column(source, s.start)).unwrap_or((0, 0));
        ProfileError {
            file: file.to_path_buf(),
            line,
            column,
            field: field.into(),
            message: message.into(),
        }
    }
}

impl fmt::Display for ProfileError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.file.display())?;
        if self.line > 0 {
            write!(f, ":{}:{}", self.line, self.column)?;
        }
        if !self.field.is_empty() {
            write!(f, ": {}", self.field)?;
        }
        write!(f, ": {}", self.message)
    }
}

impl std::error::Error for ProfileError {}

/// A profile that is not UTF-8 text: the line and column where the bad
/// bytes start, and their byte offset (0-based), so an editor can find
/// them.
pub fn not_utf8(file: &Path, bytes: &[u8]) -> ProfileError {
    let valid = std::str::from_utf8(bytes)
        .err()
        .map_or(bytes.len(), |e| e.valid_up_to());
    // The prefix is valid UTF-8 by definition of `valid_up_to`.
    let before = std::str::from_utf8(&bytes[..valid]).unwrap_or_default();
    let (line, column) = line_column(before, valid);
    ProfileError {
        file: file.to_path_buf(),
        line,
        column,
        field: String::new(),
        message: format!(
            "not UTF-8 text: invalid byte at byte offset {valid}; TOML files are UTF-8"
        ),
    }
}

/// 1-based line and column (in characters) of a byte offset.
pub fn line_column(source: &str, offset: usize) -> (usize, usize) {
    let offset = offset.min(source.len());
    let before = &source[..offset];
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map(|i| i + 1).unwrap_or(0);
    let column = source[line_start..offset].chars().count() + 1;
    (line, column)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn not_utf8_names_line_column_and_byte() {
        let e = not_utf8(Path::new("p.toml"), b"a = 1\nb = \"x\xffy\"\n");
        assert_eq!((e.line, e.column), (2, 7), "{e}");
        assert!(e.to_string().contains("byte offset 12"), "{e}");
    }

    #[test]
    fn line_and_column_are_one_based() {
        let src = "a = 1\nbb = 2\n";
        assert_eq!(line_column(src, 0), (1, 1));
        assert_eq!(line_column(src, 6), (2, 1));
        assert_eq!(line_column(src, 9), (2, 4));
    }
}
