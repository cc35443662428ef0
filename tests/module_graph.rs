//! The crate's top-level module graph, read from `src/`: which top-level
//! module names which (`crate::x` in library code, tests and comments left
//! out), and the import cycles between them (strongly connected components).
//!
//! There is no cycle: dependencies run one way (profile → build → run →
//! analysis → report, with small shared vocabularies such as `exit`,
//! `format` and `verdict` below them). A new cycle fails the test with the
//! modules and the files that name them. `KNOWN` is where a cycle accepted
//! for a while would be written down; keep it empty.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// Cycles that exist today, each sorted. Shrink this, never grow it.
const KNOWN: &[&[&str]] = &[];

/// The layers of `lib.rs`'s `# Layout`, top first: a module may name only
/// modules of its own or an earlier layer.
const LAYERS: &[&[&str]] = &[
    &[
        "exit",
        "format",
        "verdict",
        "clock",
        "outcome",
        "histogram",
        "resource",
        "metric",
    ],
    &["profile", "plan", "journal", "load_import"],
    &[
        "schedule", "payload", "aws", "target", "observe", "sim", "deploy",
    ],
    &["invoke", "recorder", "progress"],
    &["timeline", "scaling", "summary", "compare", "gates"],
    &["report"],
    &[
        "run",
        "observe_run",
        "merge",
        "capacity",
        "simulate",
        "policy_cli",
        "cli",
        "fixture",
    ],
];

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            if p.file_name()
                .is_some_and(|n| n != "tests" && n != "snapshots")
            {
                rust_files(&p, out);
            }
        } else if p.extension().is_some_and(|x| x == "rs")
            && p.file_name().is_some_and(|n| n != "tests.rs")
        {
            out.push(p);
        }
    }
}

/// The top-level module a file belongs to (`src/sim/world.rs` → `sim`).
fn top_of(src: &Path, file: &Path) -> Option<String> {
    let rel = file.strip_prefix(src).ok()?;
    let first = rel.components().next()?.as_os_str().to_str()?.to_string();
    let name = first.strip_suffix(".rs").unwrap_or(&first).to_string();
    (name != "lib" && name != "main").then_some(name)
}

/// Identifiers after `crate::` (and inside `crate::{…}` groups) in code,
/// skipping comments and everything from the first `#[cfg(test)]` on.
fn referenced(text: &str) -> BTreeSet<String> {
    let code: String = text
        .lines()
        .take_while(|l| l.trim() != "#[cfg(test)]")
        .filter(|l| !l.trim_start().starts_with("//"))
        .map(|l| format!("{l}\n"))
        .collect();
    let ident = |s: &str| -> String {
        s.chars()
            .take_while(|c| c.is_alphanumeric() || *c == '_')
            .collect()
    };
    let mut out = BTreeSet::new();
    for (i, _) in code.match_indices("crate::") {
        let rest = &code[i + "crate::".len()..];
        if let Some(group) = rest.strip_prefix('{') {
            // Top-level items of the group: split on commas at depth 0.
            let mut depth = 0;
            let mut start = 0;
            for (j, c) in group.char_indices() {
                match c {
                    '{' => depth += 1,
                    '}' if depth == 0 => {
                        out.insert(ident(group[start..j].trim()));
                        break;
                    }
                    '}' => depth -= 1,
                    ',' if depth == 0 => {
                        out.insert(ident(group[start..j].trim()));
                        start = j + 1;
                    }
                    _ => {}
                }
            }
        } else {
            out.insert(ident(rest));
        }
    }
    out.retain(|s| !s.is_empty());
    out
}

/// Tarjan's strongly connected components with more than one member.
fn cycles(graph: &BTreeMap<String, BTreeSet<String>>) -> Vec<Vec<String>> {
    struct State<'a> {
        graph: &'a BTreeMap<String, BTreeSet<String>>,
        index: BTreeMap<&'a str, usize>,
        low: BTreeMap<&'a str, usize>,
        stack: Vec<&'a str>,
        on_stack: BTreeSet<&'a str>,
        next: usize,
        out: Vec<Vec<String>>,
    }
    fn visit<'a>(s: &mut State<'a>, v: &'a str) {
        s.index.insert(v, s.next);
        s.low.insert(v, s.next);
        s.next += 1;
        s.stack.push(v);
        s.on_stack.insert(v);
        for w in s.graph.get(v).into_iter().flatten() {
            let w = w.as_str();
            if !s.graph.contains_key(w) {
                continue;
            }
            if !s.index.contains_key(w) {
                visit(s, w);
                let lw = s.low[w];
                let lv = s.low.get_mut(v).unwrap();
                *lv = (*lv).min(lw);
            } else if s.on_stack.contains(w) {
                let iw = s.index[w];
                let lv = s.low.get_mut(v).unwrap();
                *lv = (*lv).min(iw);
            }
        }
        if s.low[v] == s.index[v] {
            let mut comp = Vec::new();
            while let Some(w) = s.stack.pop() {
                s.on_stack.remove(w);
                comp.push(w.to_string());
                if w == v {
                    break;
                }
            }
            if comp.len() > 1 {
                comp.sort();
                s.out.push(comp);
            }
        }
    }
    let mut s = State {
        graph,
        index: BTreeMap::new(),
        low: BTreeMap::new(),
        stack: Vec::new(),
        on_stack: BTreeSet::new(),
        next: 0,
        out: Vec::new(),
    };
    for v in graph.keys() {
        if !s.index.contains_key(v.as_str()) {
            visit(&mut s, v);
        }
    }
    s.out.sort();
    s.out
}

#[test]
fn top_level_import_cycles_only_shrink() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    let mut graph: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    let mut why: BTreeMap<(String, String), BTreeSet<String>> = BTreeMap::new();
    for f in &files {
        let Some(top) = top_of(&src, f) else {
            continue;
        };
        let text = std::fs::read_to_string(f).unwrap();
        let deps = graph.entry(top.clone()).or_default();
        for r in referenced(&text) {
            if r != top {
                deps.insert(r.clone());
                why.entry((top.clone(), r))
                    .or_default()
                    .insert(f.strip_prefix(&src).unwrap().display().to_string());
            }
        }
    }
    let layer = |m: &str| LAYERS.iter().position(|l| l.contains(&m));
    let mut upward = Vec::new();
    for (a, deps) in &graph {
        let la = layer(a).unwrap_or_else(|| panic!("module {a} is in no layer of LAYERS"));
        for b in deps {
            let Some(lb) = layer(b) else { continue };
            if lb > la {
                upward.push(format!(
                    "{a} (layer {}) → {b} (layer {}) in {:?}",
                    la + 1,
                    lb + 1,
                    why[&(a.clone(), b.clone())]
                ));
            }
        }
    }
    assert!(
        upward.is_empty(),
        "imports against the layers:\n{}",
        upward.join("\n")
    );
    let found = cycles(&graph);
    let known: Vec<Vec<String>> = KNOWN
        .iter()
        .map(|c| c.iter().map(|s| s.to_string()).collect())
        .collect();
    // Every cycle found must lie within one known cycle.
    let new: Vec<&Vec<String>> = found
        .iter()
        .filter(|c| !known.iter().any(|k| c.iter().all(|m| k.contains(m))))
        .collect();
    let explain = |c: &Vec<String>| -> String {
        let mut lines = vec![format!("cycle {c:?}:")];
        for a in c {
            for b in c {
                if let Some(files) = why.get(&(a.clone(), b.clone())) {
                    lines.push(format!("  {a} → {b} in {files:?}"));
                }
            }
        }
        lines.join("\n")
    };
    assert!(
        new.is_empty(),
        "new import cycles between top-level modules:\n{}",
        new.iter()
            .map(|c| explain(c))
            .collect::<Vec<_>>()
            .join("\n")
    );
    // A known cycle that is gone (or smaller) should be written down.
    for k in &known {
        assert!(
            found.iter().any(|c| c == k),
            "the known cycle {k:?} changed (now {found:?}): update KNOWN"
        );
    }
}

#[test]
fn the_reader_finds_grouped_and_plain_paths() {
    let refs = referenced(
        "use crate::journal::{self, Record};\nuse crate::{profile::Profile, sim::{a, b}};\n\
         // crate::commented\nfn f() { crate::report::x(); }\n#[cfg(test)]\nuse crate::fixture;\n",
    );
    let want: BTreeSet<String> = ["journal", "profile", "sim", "report"]
        .iter()
        .map(|s| s.to_string())
        .collect();
    assert_eq!(refs, want);
}
