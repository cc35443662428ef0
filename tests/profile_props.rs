//! Property test (issue #13, item 1): mutate the example profiles with
//! hostile values (huge, negative, non-finite, empty, control characters)
//! and check that validation never panics, and that a profile it accepts,
//! on the simulator, runs a short simulated run without panicking.
//!
//! Bounded for CI on 2 cores: few cases, runs cut to one simulated minute
//! and at most 20 000 requests, no shrinking persistence files.

use std::path::{Path, PathBuf};
use std::time::Duration;

use proptest::prelude::*;
use scaletrace::profile::{Files, Profile, files};
use scaletrace::run::{RunOptions, run};
use scaletrace::schedule::Shard;
use toml::Value;

/// The example profiles, parsed as TOML, with the policy files they name.
fn examples() -> Vec<(PathBuf, toml::Table)> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("profiles");
    let mut out: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "toml"))
        .map(|p| {
            let text = std::fs::read_to_string(&p).unwrap();
            (p, text.parse::<toml::Table>().unwrap())
        })
        .collect();
    out.sort_by(|a, b| a.0.cmp(&b.0));
    out
}

/// Numbers that have broken validation before, and arbitrary ones.
fn hostile_number() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(Value::Float(1e300)),
        Just(Value::Float(-1e300)),
        Just(Value::Float(f64::INFINITY)),
        Just(Value::Float(f64::NAN)),
        Just(Value::Float(1e-300)),
        Just(Value::Float(1e9)),
        Just(Value::Integer(i64::MAX)),
        Just(Value::Integer(i64::MIN)),
        Just(Value::Integer(0)),
        Just(Value::Integer(-1)),
        Just(Value::Integer(u32::MAX as i64 + 1)),
        any::<i64>().prop_map(Value::Integer),
        any::<f64>().prop_map(Value::Float),
        (0.0..1e4f64).prop_map(Value::Float),
        (0i64..1000).prop_map(Value::Integer),
    ]
}

/// Strings: durations past any limit, empty, control characters.
fn hostile_string() -> impl Strategy<Value = Value> {
    let s = |v: &str| Value::String(v.to_string());
    prop_oneof![
        Just(s("1e300s")),
        Just(s("18446744073709551615s")),
        Just(s("99999999999999999999h")),
        Just(s("5000000000h")),
        Just(s("0s")),
        Just(s("")),
        Just(s("\u{1b}[2J\u{0}\u{c}")),
        (0u32..100_000).prop_map(|n| Value::String(format!("{n}ms"))),
    ]
}

/// A replacement of the leaf's own type (mostly), or of any type.
#[derive(Debug, Clone)]
struct Mutation {
    at: prop::sample::Index,
    number: Value,
    string: Value,
    confused: Option<Value>,
}

fn mutation() -> impl Strategy<Value = Mutation> {
    (
        any::<prop::sample::Index>(),
        hostile_number(),
        hostile_string(),
        prop::option::weighted(
            0.1,
            prop_oneof![
                Just(Value::Boolean(true)),
                Just(Value::Array(vec![])),
                Just(Value::Table(toml::Table::new())),
                hostile_number(),
                hostile_string(),
            ],
        ),
    )
        .prop_map(|(at, number, string, confused)| Mutation {
            at,
            number,
            string,
            confused,
        })
}

/// Every leaf's path (table keys and array indexes).
fn leaves(v: &Value, path: &mut Vec<String>, out: &mut Vec<Vec<String>>) {
    match v {
        Value::Table(t) => {
            for (k, v) in t {
                path.push(k.clone());
                leaves(v, path, out);
                path.pop();
            }
        }
        Value::Array(a) if !a.is_empty() => {
            for (i, v) in a.iter().enumerate() {
                path.push(i.to_string());
                leaves(v, path, out);
                path.pop();
            }
        }
        _ => out.push(path.clone()),
    }
}

fn get<'a>(v: &'a Value, path: &[String]) -> &'a Value {
    match (path.first(), v) {
        (None, v) => v,
        (Some(k), Value::Table(t)) => get(&t[k.as_str()], &path[1..]),
        (Some(i), Value::Array(a)) => get(&a[i.parse::<usize>().unwrap()], &path[1..]),
        _ => unreachable!("paths come from `leaves`"),
    }
}

fn set(v: &mut Value, path: &[String], new: Value) {
    match (path.first(), v) {
        (None, v) => *v = new,
        (Some(k), Value::Table(t)) => set(t.get_mut(k).unwrap(), &path[1..], new),
        (Some(i), Value::Array(a)) => set(&mut a[i.parse::<usize>().unwrap()], &path[1..], new),
        _ => unreachable!("paths come from `leaves`"),
    }
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: 96,
        failure_persistence: None,
        max_shrink_iters: 64,
        ..ProptestConfig::default()
    })]

    #[test]
    fn mutated_examples_never_panic(
        which in any::<prop::sample::Index>(),
        mutations in prop::collection::vec(mutation(), 1..3),
    ) {
        let examples = examples();
        let (path, table) = &examples[which.index(examples.len())];
        let mut doc = Value::Table(table.clone());
        for m in mutations {
            let mut all = Vec::new();
            leaves(&doc, &mut Vec::new(), &mut all);
            let leaf = &all[m.at.index(all.len())];
            let value = match (m.confused, get(&doc, leaf)) {
                (Some(v), _) => v,
                (None, Value::String(_)) => m.string,
                (None, _) => m.number,
            };
            set(&mut doc, leaf, value);
        }
        let Ok(text) = toml::to_string(&doc) else {
            return Ok(()); // not TOML any more (e.g. a value where a table must be)
        };
        // Read what the mutated profile refers to, as `Profile::load` does.
        let refs = toml::from_str::<scaletrace::profile::raw::RawProfile>(&text)
            .map(|raw| files::referenced(path, &raw))
            .unwrap_or_default();
        let files = Files::read(&refs);
        let Ok(mut profile) = Profile::parse_with(path, &text, &files) else {
            return Ok(());
        };
        // Something to print, as `validate` does.
        let _ = scaletrace::plan::describe(&profile);
        if profile.sim().is_none() {
            return Ok(());
        }
        profile.override_load(None, Some(Duration::from_secs(60)));
        profile.observe.tail = profile.observe.tail.min(Duration::from_secs(60));
        if profile.load.expected_requests() > 20_000.0 {
            return Ok(());
        }
        let tmp = tempfile::tempdir().unwrap();
        let _ = run(
            profile,
            RunOptions {
                run_dir: Some(tmp.path().join("run")),
                reports_root: tmp.path().to_path_buf(),
                quiet: true,
                shard: Shard::WHOLE,
                started_at: None,
            },
        );
    }
}
