//! `scaletrace run --shard I/N` on two processes against one local server,
//! then `scaletrace merge`: the merged run is the whole plan, and the
//! refusals exit 2 naming what is wrong.

mod support;

use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::Duration;

use support::Behaviour;

fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_scaletrace"))
}

fn read_json(p: &Path) -> serde_json::Value {
    serde_json::from_slice(&std::fs::read(p).unwrap()).unwrap()
}

fn ok(out: &Output) {
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn two_shards_merge_into_the_whole_plan() {
    let addr = support::start_in_thread(Behaviour::Delay(Duration::from_millis(5)));
    let tmp = tempfile::tempdir().unwrap();
    // Both shards at once, as on two machines: 40 requests/s for 3 s.
    let shards: Vec<_> = ["0/2", "1/2"]
        .iter()
        .enumerate()
        .map(|(i, shard)| {
            bin()
                .args(["run", "--url", &format!("http://{addr}/invocations")])
                .args(["--rate", "40", "--duration", "3s", "-q", "--shard", shard])
                .arg("--run-dir")
                .arg(tmp.path().join(format!("s{i}")))
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    for s in shards {
        ok(&s.wait_with_output().unwrap());
    }
    let part = |i: usize| read_json(&tmp.path().join(format!("s{i}/summary.json")));
    let (a, b) = (part(0), part(1));
    assert_eq!(a["requests"]["sent"], 60, "{a}");
    assert_eq!(b["requests"]["sent"], 60, "{b}");

    let merged = tmp.path().join("merged");
    // What a merge killed half-way leaves: replaced, never taken for a run.
    let partial = tmp.path().join("merged.partial");
    std::fs::create_dir_all(&partial).unwrap();
    std::fs::write(partial.join("journal.jsonl"), "{\"type\":\"torn").unwrap();
    let out = bin()
        .arg("merge")
        .arg(tmp.path().join("s1"))
        .arg(tmp.path().join("s0"))
        .arg("--run-dir")
        .arg(&merged)
        .output()
        .unwrap();
    ok(&out);
    assert!(!partial.exists());
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("sent 120"), "{stdout}");
    let s = read_json(&merged.join("summary.json"));
    assert_eq!(s["requests"]["sent"], 120, "{s}");
    assert_eq!(s["requests"]["completed"], 120, "{s}");
    assert_eq!(s["requests"]["by_outcome"]["ok"], 120, "{s}");
    // Offered 40/s over the plan's 3 s, give or take the shards' start skew.
    let offered = s["rate"]["offered_per_s"].as_f64().unwrap();
    assert!((35.0..=40.5).contains(&offered), "{s}");
    assert_eq!(read_json(&merged.join("run.json"))["shard"], "all 2 merged");
    assert!(merged.join("report.html").exists());

    // Merging again into the same directory is refused; so is a shard
    // given twice.
    let again = bin()
        .arg("merge")
        .arg(tmp.path().join("s0"))
        .arg(tmp.path().join("s1"))
        .arg("--run-dir")
        .arg(&merged)
        .output()
        .unwrap();
    assert_eq!(again.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&again.stderr).contains("already exists and is not empty"));
    let twice = bin()
        .arg("merge")
        .arg(tmp.path().join("s0"))
        .arg(tmp.path().join("s0"))
        .arg("--run-dir")
        .arg(tmp.path().join("m2"))
        .output()
        .unwrap();
    assert_eq!(twice.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&twice.stderr);
    assert!(stderr.contains("shard 0/2 given twice"), "{stderr}");
}

#[test]
fn the_simulated_endpoint_is_not_sharded() {
    let tmp = tempfile::tempdir().unwrap();
    let out = bin()
        .args(["run", "--shard", "1/2", "-q", "--run-dir"])
        .arg(tmp.path().join("r"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("simulated endpoint runs whole"), "{stderr}");
}
