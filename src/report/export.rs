//! The export manager: the one place report files are written and the
//! terminal text is made. Every exporter renders from one [`Shared`] per
//! write, so what several of them need is computed once: the charts
//! (inline in `report.html`, as files beside `report.md`) and the terminal
//! text (printed, and saved as `summary.txt`).

use std::cell::OnceCell;
use std::path::{Path, PathBuf};

use super::charts::{self, NamedChart};
use super::{Exporter, Report, text};

/// What one write derives from the report once, for every exporter. Each
/// part is computed the first time an exporter asks for it (a test
/// rendering `summary.json` alone draws no chart).
pub struct Shared<'a> {
    pub report: &'a Report,
    charts: OnceCell<Vec<NamedChart>>,
    terminal: OnceCell<String>,
}

impl<'a> Shared<'a> {
    pub fn new(report: &'a Report) -> Shared<'a> {
        Shared {
            report,
            charts: OnceCell::new(),
            terminal: OnceCell::new(),
        }
    }

    /// Every chart, in report order.
    pub fn charts(&self) -> &[NamedChart] {
        self.charts.get_or_init(|| charts::charts(self.report))
    }

    /// The plain-text summary: the terminal's and `summary.txt`'s.
    pub fn terminal(&self) -> &str {
        self.terminal.get_or_init(|| text::render_text(self.report))
    }
}

/// A report file that could not be written.
#[derive(Debug, thiserror::Error)]
#[error("cannot write {}: {source}", path.display())]
pub struct ExportError {
    pub path: PathBuf,
    pub source: std::io::Error,
}

/// Owns the exporters, the files they write and the text for stdout.
pub struct ExportManager {
    exporters: Vec<Box<dyn Exporter>>,
}

impl Default for ExportManager {
    /// Every report: [`super::exporters`].
    fn default() -> ExportManager {
        ExportManager::new(super::exporters())
    }
}

impl ExportManager {
    pub fn new(exporters: Vec<Box<dyn Exporter>>) -> ExportManager {
        ExportManager { exporters }
    }

    /// Writes every report into `dir` (a file's companions before it, so no
    /// report refers to a file not yet written) and returns the terminal
    /// text, rendered once for the file and for stdout.
    pub fn write(&self, dir: &Path, report: &Report) -> Result<String, ExportError> {
        let shared = Shared::new(report);
        for e in &self.exporters {
            for (path, bytes) in e.companions(&shared) {
                write_file(&dir.join(path), &bytes)?;
            }
            write_file(&dir.join(e.file_name()), &e.export(&shared))?;
        }
        Ok(shared.terminal().to_string())
    }
}

/// Writes a temporary file beside `path` and renames it over `path`, so a
/// reader never sees half a report; the error names the report file, and
/// a failed write (a full disk) removes its temporary file rather than
/// leaving it behind.
fn write_file(path: &Path, bytes: &[u8]) -> Result<(), ExportError> {
    let err = |source| ExportError {
        path: path.to_path_buf(),
        source,
    };
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).map_err(err)?;
    }
    let mut tmp = path.as_os_str().to_owned();
    // Its own suffix: `summary.json` and `summary.txt` never share one.
    tmp.push(".tmp");
    let tmp = PathBuf::from(tmp);
    std::fs::write(&tmp, bytes)
        .and_then(|_| std::fs::rename(&tmp, path))
        .map_err(|e| {
            let _ = std::fs::remove_file(&tmp);
            err(e)
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_every_file_and_returns_the_same_terminal_text() {
        let tmp = tempfile::tempdir().unwrap();
        let r = Report::build(crate::fixture::scale_out_and_in()).unwrap();
        let text = ExportManager::default().write(tmp.path(), &r).unwrap();
        assert_eq!(
            std::fs::read_to_string(tmp.path().join("summary.txt")).unwrap(),
            text
        );
        for f in [
            "summary.json",
            "report.html",
            "report.md",
            "junit.xml",
            "charts/rate.svg",
        ] {
            assert!(tmp.path().join(f).exists(), "{f}");
        }
        let leftovers: Vec<_> = std::fs::read_dir(tmp.path())
            .unwrap()
            .filter_map(|e| e.ok())
            .filter(|e| e.file_name().to_string_lossy().ends_with(".tmp"))
            .collect();
        assert!(leftovers.is_empty(), "{leftovers:?}");
    }

    #[test]
    fn an_unwritable_file_is_named() {
        let tmp = tempfile::tempdir().unwrap();
        // A directory where the file should go: the rename fails.
        std::fs::create_dir(tmp.path().join("summary.json")).unwrap();
        std::fs::write(tmp.path().join("summary.json").join("x"), "").unwrap();
        let r = Report::build(crate::fixture::scale_out_and_in()).unwrap();
        let e = ExportManager::default().write(tmp.path(), &r).unwrap_err();
        assert_eq!(e.path, tmp.path().join("summary.json"));
        assert!(e.to_string().starts_with("cannot write "), "{e}");
        assert!(
            !tmp.path().join("summary.json.tmp").exists(),
            "the temporary file is removed"
        );
    }
}
