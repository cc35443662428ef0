//! The example profiles, built into the binary: `scaletrace run` with no
//! profile runs the demo from here, so it works from any directory (after
//! `cargo install`, there is no `profiles/` folder beside the binary), and
//! `scaletrace init` writes them all out for editing.
//!
//! To add an example: put it in `profiles/`, add it to [`EXAMPLES`]; none
//! may refer to another file (the embedded copy has no folder beside it).

use std::path::{Path, PathBuf};

use crate::profile::{Profile, ProfileError};

/// One example profile: its file name under `profiles/` and its text.
pub struct Example {
    pub file: &'static str,
    pub text: &'static str,
}

/// Every file of `profiles/`, in the order `init` lists them.
pub const EXAMPLES: &[Example] = &[
    Example {
        file: "demo.toml",
        text: include_str!("../../profiles/demo.toml"),
    },
    Example {
        file: "async-scale-from-zero.toml",
        text: include_str!("../../profiles/async-scale-from-zero.toml"),
    },
    Example {
        file: "async-target-tracking-only.toml",
        text: include_str!("../../profiles/async-target-tracking-only.toml"),
    },
    Example {
        file: "step-scaling.toml",
        text: include_str!("../../profiles/step-scaling.toml"),
    },
    Example {
        file: "llm-inference-component.toml",
        text: include_str!("../../profiles/llm-inference-component.toml"),
    },
    Example {
        file: "http-example.toml",
        text: include_str!("../../profiles/http-example.toml"),
    },
    Example {
        file: "sagemaker.toml",
        text: include_str!("../../profiles/sagemaker.toml"),
    },
    Example {
        file: "sagemaker-async.toml",
        text: include_str!("../../profiles/sagemaker-async.toml"),
    },
];

/// The demo profile, parsed from the embedded text. Errors and the run
/// name read `profiles/demo.toml` (built in), the file `init` writes.
pub fn demo() -> Result<Profile, ProfileError> {
    let demo = &EXAMPLES[0];
    let mut p = Profile::parse(&Path::new("profiles").join(demo.file), demo.text)?;
    // Not a file on disk: nothing is relative to it.
    p.source = None;
    Ok(p)
}

/// Why `init` wrote nothing.
#[derive(Debug, thiserror::Error)]
pub enum InitError {
    #[error("{}: already exists (pass --force to overwrite; nothing was written)", .0.display())]
    Exists(PathBuf),
    #[error("{}: cannot write: {source}", .path.display())]
    Write {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

/// Writes every example into `dir` (created if missing). Without `force`
/// it checks first and writes nothing when any file exists, so a user's
/// edits are never half overwritten. Returns the paths written.
pub fn write_examples(dir: &Path, force: bool) -> Result<Vec<PathBuf>, InitError> {
    let paths: Vec<PathBuf> = EXAMPLES.iter().map(|e| dir.join(e.file)).collect();
    if !force && let Some(p) = paths.iter().find(|p| p.exists()) {
        return Err(InitError::Exists(p.clone()));
    }
    std::fs::create_dir_all(dir).map_err(|source| InitError::Write {
        path: dir.to_path_buf(),
        source,
    })?;
    for (e, p) in EXAMPLES.iter().zip(&paths) {
        std::fs::write(p, e.text).map_err(|source| InitError::Write {
            path: p.clone(),
            source,
        })?;
    }
    Ok(paths)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_file_in_profiles_is_embedded_and_valid() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("profiles");
        let mut on_disk: Vec<String> = std::fs::read_dir(&dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|n| n.ends_with(".toml"))
            .collect();
        on_disk.sort();
        let mut embedded: Vec<String> = EXAMPLES.iter().map(|e| e.file.to_string()).collect();
        embedded.sort();
        assert_eq!(embedded, on_disk, "profiles/ and EXAMPLES differ");
        for e in EXAMPLES {
            // Parsed without reading any file: an example must not refer to one.
            Profile::parse(&dir.join(e.file), e.text)
                .unwrap_or_else(|err| panic!("{}: {err}", e.file));
        }
    }

    #[test]
    fn the_demo_is_the_embedded_file() {
        let p = demo().unwrap();
        assert_eq!(p.name, "demo");
        assert!(p.source.is_none());
    }

    #[test]
    fn init_refuses_to_overwrite_without_force() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("profiles");
        let written = write_examples(&dir, false).unwrap();
        assert_eq!(written.len(), EXAMPLES.len());
        std::fs::write(dir.join("demo.toml"), "# mine").unwrap();
        let e = write_examples(&dir, false).unwrap_err();
        assert!(e.to_string().contains("demo.toml: already exists"), "{e}");
        assert_eq!(
            std::fs::read_to_string(dir.join("demo.toml")).unwrap(),
            "# mine"
        );
        write_examples(&dir, true).unwrap();
        assert_eq!(
            std::fs::read_to_string(dir.join("demo.toml")).unwrap(),
            EXAMPLES[0].text
        );
    }
}
