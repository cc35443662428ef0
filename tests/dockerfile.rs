//! The Dockerfile, checked statically: there is no container daemon on the
//! machines the tests run on (developers' and CI's alike), so the image is
//! never built here. What can go wrong without building is checked
//! instead: every `COPY` source exists and gets past `.dockerignore`, the
//! binary the build stage copies out is the one Cargo.toml names, the
//! toolchain is the pinned `rust-version`, the build is `--locked`, and the
//! runtime stage has CA certificates, a non-root user and `scaletrace` as
//! its entrypoint.

use std::path::{Path, PathBuf};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// One instruction: keyword, then its arguments (continuation lines
/// joined, comments and the parser directive left out).
fn instructions(text: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut current = String::new();
    for line in text.lines() {
        let trimmed = line.trim();
        if current.is_empty() && (trimmed.is_empty() || trimmed.starts_with('#')) {
            continue;
        }
        match trimmed.strip_suffix('\\') {
            Some(part) => {
                current.push_str(part);
                current.push(' ');
            }
            None => {
                current.push_str(trimmed);
                let (kw, args) = current.split_once(' ').unwrap_or((&current, ""));
                out.push((kw.to_uppercase(), args.trim().to_string()));
                current.clear();
            }
        }
    }
    out
}

/// A stage: its `FROM` image and its instructions.
struct Stage {
    image: String,
    name: Option<String>,
    steps: Vec<(String, String)>,
}

fn stages() -> Vec<Stage> {
    let text = std::fs::read_to_string(root().join("Dockerfile")).unwrap();
    assert!(
        text.starts_with("# syntax=docker/dockerfile:1\n"),
        "the parser directive (for RUN --mount) must be the first line"
    );
    let mut stages: Vec<Stage> = Vec::new();
    for (kw, args) in instructions(&text) {
        if kw == "FROM" {
            let words: Vec<&str> = args.split_whitespace().collect();
            let name = match words.as_slice() {
                [_, as_, name] if as_.eq_ignore_ascii_case("as") => Some(name.to_string()),
                _ => None,
            };
            stages.push(Stage {
                image: words[0].to_string(),
                name,
                steps: Vec::new(),
            });
        } else {
            stages
                .last_mut()
                .expect("FROM first")
                .steps
                .push((kw, args));
        }
    }
    stages
}

fn cargo_toml() -> toml::Value {
    toml::from_str(&std::fs::read_to_string(root().join("Cargo.toml")).unwrap()).unwrap()
}

/// `.dockerignore`'s verdict on a path of the context: the last matching
/// line wins (`*` and `dir/` prefixes, `!` to let back in; all this file
/// uses).
fn ignored(path: &str) -> bool {
    let text = std::fs::read_to_string(root().join(".dockerignore")).unwrap();
    let mut out = false;
    for line in text.lines().map(str::trim) {
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let (keep, pattern) = match line.strip_prefix('!') {
            Some(p) => (true, p),
            None => (false, line),
        };
        let pattern = pattern.trim_end_matches('/');
        let matches = pattern == "*" || path == pattern || path.starts_with(&format!("{pattern}/"));
        if matches {
            out = !keep;
        }
    }
    out
}

#[test]
fn every_copy_source_exists_and_is_in_the_build_context() {
    let mut sources = Vec::new();
    for stage in stages() {
        for (kw, args) in &stage.steps {
            if kw != "COPY" || args.contains("--from=") {
                continue;
            }
            let words: Vec<&str> = args
                .split_whitespace()
                .filter(|w| !w.starts_with("--"))
                .collect();
            let (_, srcs) = words.split_last().expect("COPY SRC… DEST");
            sources.extend(srcs.iter().map(|s| s.to_string()));
        }
    }
    assert!(sources.contains(&"src".to_string()), "{sources:?}");
    for s in &sources {
        assert!(root().join(s).exists(), "COPY {s}: no such file");
        assert!(!ignored(s), "COPY {s}: left out by .dockerignore");
    }
    // What must stay out of the context.
    for heavy in ["target", "reports", ".git", "tests"] {
        assert!(ignored(heavy), ".dockerignore lets {heavy} in");
    }
    // Files the build reads through include_str!/include_bytes! are copied
    // into the build stage too.
    let build = &stages()[0];
    let copied: Vec<&str> = build
        .steps
        .iter()
        .filter(|(kw, _)| kw == "COPY")
        .flat_map(|(_, a)| a.split_whitespace())
        .collect();
    let mut files = Vec::new();
    rust_files(&root().join("src"), &mut files);
    for f in files {
        let text = std::fs::read_to_string(&f).unwrap();
        for (i, _) in text.match_indices("include_str!(\"") {
            let rest = &text[i + "include_str!(\"".len()..];
            let rel = &rest[..rest.find('"').unwrap()];
            let target = f.parent().unwrap().join(rel).canonicalize().unwrap();
            let top = target.strip_prefix(root().canonicalize().unwrap()).unwrap();
            let first = top
                .components()
                .next()
                .unwrap()
                .as_os_str()
                .to_str()
                .unwrap();
            assert!(
                copied.contains(&first) || copied.contains(&format!("./{first}").as_str()),
                "{} reads {}, which the build stage does not COPY",
                f.display(),
                top.display()
            );
        }
    }
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            rust_files(&p, out);
        } else if p.extension().is_some_and(|x| x == "rs") {
            out.push(p);
        }
    }
}

#[test]
fn the_build_stage_is_the_pinned_toolchain_building_the_named_binary_locked() {
    let cargo = cargo_toml();
    let rust_version = cargo["package"]["rust-version"].as_str().unwrap();
    let bins = cargo["bin"].as_array().unwrap();
    let bin = bins[0]["name"].as_str().unwrap();
    assert_eq!(bin, "scaletrace");
    // A rust-toolchain file would pin the toolchain too; the two agree.
    for f in ["rust-toolchain", "rust-toolchain.toml"] {
        if let Ok(text) = std::fs::read_to_string(root().join(f)) {
            assert!(
                text.contains(rust_version),
                "{f} vs rust-version {rust_version}"
            );
        }
    }
    let all = stages();
    assert!(all.len() >= 2, "multi-stage");
    let build = &all[0];
    assert_eq!(build.name.as_deref(), Some("build"));
    let tag = build
        .image
        .strip_prefix("rust:")
        .expect("the official rust image");
    assert!(
        tag == rust_version || tag.starts_with(&format!("{rust_version}-")),
        "FROM {} vs rust-version {rust_version}",
        build.image
    );
    let run = build
        .steps
        .iter()
        .find(|(kw, a)| kw == "RUN" && a.contains("cargo build"))
        .map(|(_, a)| a.clone())
        .expect("RUN cargo build");
    for flag in ["--release", "--locked", &format!("--bin {bin}")] {
        assert!(run.contains(flag), "{run}");
    }
    // The binary it copies out is the one cargo writes.
    assert!(
        run.contains(&format!("cp target/release/{bin} /usr/local/bin/{bin}")),
        "{run}"
    );
}

#[test]
fn the_runtime_stage_is_small_non_root_with_ca_certificates_and_the_entrypoint() {
    let all = stages();
    let runtime = all.last().unwrap();
    assert!(
        !runtime.image.starts_with("rust:"),
        "no toolchain at runtime"
    );
    let step = |kw: &str| -> Vec<&str> {
        runtime
            .steps
            .iter()
            .filter(|(k, _)| k == kw)
            .map(|(_, a)| a.as_str())
            .collect()
    };
    assert!(
        step("RUN").iter().any(|r| r.contains("ca-certificates")),
        "CA certificates for TLS to AWS"
    );
    assert!(
        step("COPY").contains(&"--from=build /usr/local/bin/scaletrace /usr/local/bin/scaletrace"),
        "{:?}",
        step("COPY")
    );
    let user = step("USER");
    let user = user.last().expect("a USER");
    let name = user.split(':').next().unwrap();
    assert!(name != "root" && name != "0", "USER {user}");
    assert_eq!(step("ENTRYPOINT"), [r#"["scaletrace"]"#]);
}
