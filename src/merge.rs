//! `scaletrace merge`: the run directories of one plan's shards (`--shard
//! I/N` on several machines) combined into one run directory, as if one
//! machine had sent the whole plan; every report is then built from it.
//!
//! Exact where it can be: counts add up and the latency and service-time
//! HDR histograms are added, so totals and percentiles are those of the
//! whole load. The shards' clocks are put on one: the earliest start is
//! `t = 0` and each shard's times move by how much later it started (from
//! `run.json`'s UTC start). Their one-second intervals are then regrouped
//! by the second they started in (so the per-second series is right to
//! within half a second of clock skew). Phase lines come from shard 0
//! (every shard ran the same plan); observations from the one shard that
//! observed (shard 0 when each did).
//!
//! Shards run with one `run --start-at` share `t = 0` already, so nothing
//! moves and their intervals are on one grid ([`start`] checks that they
//! do share it and reports each shard's lateness).
//!
//! Refused, naming the directory: a missing or repeated shard, shards of
//! different splits or profiles, simulated runs (never sharded), shards
//! that did not share one `--start-at` instant.

pub mod start;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};

use hdrhistogram::errors::AdditionError;

use crate::histogram::{self, HistogramError};
use crate::journal::record::{EndRecord, IntervalRecord, Record, WarningRecord};
use crate::journal::{JournalData, JournalError, RunInfo};
use crate::schedule::{Shard, ShardError};

/// Why the shards can't be merged; each refusal names the directories.
#[derive(Debug, thiserror::Error)]
pub enum MergeError {
    #[error("no run directories to merge")]
    NoShards,
    #[error("{dir}: run.json: shard {shard:?} is not I/N: {source}")]
    BadShard {
        dir: PathBuf,
        shard: String,
        #[source]
        source: ShardError,
    },
    #[error("{dir} is a whole run (shard 0/1): nothing to merge")]
    WholeRun { dir: PathBuf },
    #[error(
        "{dir}: shard {shard} is of a split into {count}, {first} is of a split into {expected}"
    )]
    OtherSplit {
        dir: PathBuf,
        shard: String,
        count: u32,
        first: PathBuf,
        expected: u32,
    },
    #[error("{dir}: a simulated run; the simulated endpoint is never sharded")]
    Simulated { dir: PathBuf },
    #[error("shard {shard} given twice: {first} and {second}")]
    Twice {
        shard: String,
        first: PathBuf,
        second: PathBuf,
    },
    /// `given`: each shard given, as its label and directory.
    #[error(
        "shard{} {} missing: merging needs all {count} (given {})",
        if .missing.len() == 1 { "" } else { "s" },
        .missing.join(", "),
        list_given(.given)
    )]
    Missing {
        missing: Vec<String>,
        count: u32,
        given: Vec<(String, PathBuf)>,
    },
    #[error("{dir}: ran a different profile than {zero} ({key} differs)")]
    OtherProfile {
        dir: PathBuf,
        zero: PathBuf,
        key: String,
    },
    #[error(transparent)]
    Histogram(#[from] HistogramError),
    /// `which`: "latency", "service-time" or "send-lag". Debug form, as the journal
    /// tools always have shown hdrhistogram's errors.
    #[error("adding {which} histograms: {source:?}")]
    Add {
        which: &'static str,
        #[source]
        source: AdditionError,
    },
    #[error(transparent)]
    Journal(#[from] JournalError),
    /// The streamed-response histograms (TTFT, inter-token).
    #[error(transparent)]
    Stream(#[from] crate::journal::stream::StreamHistError),
    #[error(
        "{dir} ran without --start-at, {other} with --start-at {at}: shards merge when they all share one start instant (or none used --start-at)"
    )]
    NoStartAt {
        dir: PathBuf,
        other: PathBuf,
        at: String,
    },
    #[error(
        "{dir} started at --start-at {at}, {first} at {expected}: the shards did not share one start instant"
    )]
    OtherStartAt {
        dir: PathBuf,
        at: String,
        first: PathBuf,
        expected: String,
    },
    #[error(
        "{dir} already exists and is not empty (it already holds a run?); merge into a new directory"
    )]
    NotEmpty { dir: PathBuf },
}

/// `0/2 = runs/shard-0, 1/2 = runs/shard-1`.
fn list_given(given: &[(String, PathBuf)]) -> String {
    given
        .iter()
        .map(|(shard, dir)| format!("{shard} = {}", dir.display()))
        .collect::<Vec<_>>()
        .join(", ")
}

/// One shard's run directory, read.
pub struct ShardRun {
    pub dir: PathBuf,
    pub data: JournalData,
}

/// Whether a line came from the observer (not the load engine).
fn observed(r: &Record) -> bool {
    !matches!(
        r,
        Record::Interval(_)
            | Record::Phase(_)
            | Record::Interrupted(_)
            | Record::End(_)
            | Record::Warning(_)
            | Record::Start(_)
    )
}

/// The merged journal and `run.json`.
pub fn merge(mut shards: Vec<ShardRun>) -> Result<JournalData, MergeError> {
    let Some(first) = shards.first() else {
        return Err(MergeError::NoShards);
    };
    let split = |s: &ShardRun| {
        Shard::parse(&s.data.info.shard).map_err(|source| MergeError::BadShard {
            dir: s.dir.clone(),
            shard: s.data.info.shard.clone(),
            source,
        })
    };
    let count = split(first)?.count;
    if count == 1 {
        return Err(MergeError::WholeRun {
            dir: first.dir.clone(),
        });
    }
    let mut by_index: BTreeMap<u32, usize> = BTreeMap::new();
    for (i, s) in shards.iter().enumerate() {
        let shard = split(s)?;
        if shard.count != count {
            return Err(MergeError::OtherSplit {
                dir: s.dir.clone(),
                shard: s.data.info.shard.clone(),
                count: shard.count,
                first: first.dir.clone(),
                expected: count,
            });
        }
        if s.data.info.clock != "wall" {
            return Err(MergeError::Simulated { dir: s.dir.clone() });
        }
        if let Some(&j) = by_index.get(&shard.index) {
            return Err(MergeError::Twice {
                shard: s.data.info.shard.clone(),
                first: shards[j].dir.clone(),
                second: s.dir.clone(),
            });
        }
        by_index.insert(shard.index, i);
    }
    let missing: Vec<String> = (0..count)
        .filter(|i| !by_index.contains_key(i))
        .map(|i| format!("{i}/{count}"))
        .collect();
    if !missing.is_empty() {
        return Err(MergeError::Missing {
            missing,
            count,
            given: shards
                .iter()
                .map(|s| (s.data.info.shard.clone(), s.dir.clone()))
                .collect(),
        });
    }
    // In shard order from here on.
    let mut ordered: Vec<ShardRun> = Vec::with_capacity(shards.len());
    let mut slots: Vec<Option<ShardRun>> = shards.drain(..).map(Some).collect();
    for i in by_index.values() {
        ordered.push(slots[*i].take().expect("each index once"));
    }
    let zero = &ordered[0];
    for s in &ordered[1..] {
        if let Some(key) = first_difference(&zero.data.info.profile, &s.data.info.profile) {
            return Err(MergeError::OtherProfile {
                dir: s.dir.clone(),
                zero: zero.dir.clone(),
                key,
            });
        }
    }

    let mut notes = start::check(&ordered)?;
    let started_at = ordered
        .iter()
        .map(|s| s.data.info.started_at)
        .min()
        .expect("at least two shards");
    let observer = ordered
        .iter()
        .position(|s| s.data.records.iter().any(observed));
    let mut records: Vec<Record> = Vec::new();
    let mut intervals: BTreeMap<i64, Vec<IntervalRecord>> = BTreeMap::new();
    let mut ends: Vec<EndRecord> = Vec::new();
    for (index, s) in ordered.iter().enumerate() {
        let label = &s.data.info.shard;
        let by = offset_s(started_at, s.data.info.started_at);
        let mut dropped_observations = 0usize;
        for r in &s.data.records {
            let mut r = r.clone();
            r.shift(by);
            match r {
                Record::Interval(i) => {
                    let second = (i.start + 0.5).floor() as i64;
                    intervals.entry(second).or_default().push(i);
                }
                Record::Phase(_) if index != 0 => {}
                // Reported per shard by `merge_dirs`; the merged run's
                // `t = 0` is the instant itself.
                Record::Start(_) => {}
                Record::End(e) => ends.push(e),
                Record::Interrupted(mut i) => {
                    i.signal = format!("{} (shard {label})", i.signal);
                    records.push(Record::Interrupted(i));
                }
                Record::Warning(mut w) => {
                    w.message = format!("shard {label}: {}", w.message);
                    records.push(Record::Warning(w));
                }
                r if observed(&r) && Some(index) != observer => dropped_observations += 1,
                r => records.push(r),
            }
        }
        if dropped_observations > 0 {
            notes.push(format!(
                "shard {label} observed too; its {dropped_observations} observation lines were left out (shard {}'s kept)",
                ordered[observer.unwrap_or(0)].data.info.shard
            ));
        }
        if s.data.torn_tail {
            notes.push(format!(
                "shard {label}: the journal's last line was torn (the process died) and is left out"
            ));
        }
    }
    for (second, group) in intervals {
        records.push(Record::Interval(combine(second, &group)?));
    }
    if ends.len() == ordered.len() {
        let interrupted = ends.iter().any(|e| e.reason != "completed");
        let t = ends.iter().map(|e| e.t).fold(0.0, f64::max);
        records.push(Record::End(EndRecord {
            t,
            reason: if interrupted {
                "interrupted".into()
            } else {
                "completed".into()
            },
        }));
    } else {
        notes.push(format!(
            "{} of {} shards did not finish writing: the merged run is incomplete",
            ordered.len() - ends.len(),
            ordered.len()
        ));
    }
    for message in notes {
        records.push(Record::Warning(WarningRecord { t: 0.0, message }));
    }
    // The end line stays last, whatever its time.
    records.sort_by(|a, b| {
        matches!(a, Record::End(_))
            .cmp(&matches!(b, Record::End(_)))
            .then(a.t().total_cmp(&b.t()))
    });

    let mut hosts: Vec<&str> = Vec::new();
    for s in &ordered {
        if !hosts.contains(&s.data.info.host.as_str()) {
            hosts.push(&s.data.info.host);
        }
    }
    let info = RunInfo {
        schema: zero.data.info.schema.clone(),
        tool_version: zero.data.info.tool_version.clone(),
        started_at,
        host: hosts.join(", "),
        clock: "wall".into(),
        shard: format!("all {count} merged"),
        profile: zero.data.info.profile.clone(),
    };
    Ok(JournalData {
        info,
        records,
        torn_tail: false,
    })
}

/// Seconds from `zero` to `at`, to the millisecond.
fn offset_s(zero: DateTime<Utc>, at: DateTime<Utc>) -> f64 {
    (at - zero).num_milliseconds() as f64 / 1000.0
}

/// The first top-level profile key whose value differs.
fn first_difference(a: &serde_json::Value, b: &serde_json::Value) -> Option<String> {
    match (a.as_object(), b.as_object()) {
        (Some(a), Some(b)) => a
            .keys()
            .chain(b.keys())
            .find(|k| a.get(*k) != b.get(*k))
            .map(|k| k.to_string()),
        _ => (a != b).then(|| "the profile".to_string()),
    }
}

/// The shards' intervals that started in one second, as one: counts added,
/// histograms added. It runs from that second for as long as the longest
/// of them (one second but for a partial last interval).
fn combine(second: i64, group: &[IntervalRecord]) -> Result<IntervalRecord, MergeError> {
    let mut latency = histogram::new_hist();
    let mut service = histogram::new_hist();
    let mut out = IntervalRecord {
        start: second as f64,
        t: second as f64 + group.iter().map(|i| i.t - i.start).fold(0.0, f64::max),
        sent: 0,
        late: 0,
        completed: 0,
        in_flight: 0,
        by_outcome: Default::default(),
        latency: String::new(),
        service: String::new(),
        send_lag: None,
        stream: None,
    };
    // Kept when any shard kept it (wall-clock shards all do).
    let mut send_lag: Option<histogram::Hist> = None;
    for i in group {
        out.sent += i.sent;
        out.late += i.late;
        out.completed += i.completed;
        out.in_flight += i.in_flight;
        out.by_outcome.merge(&i.by_outcome);
        let add = |which| move |source| MergeError::Add { which, source };
        latency
            .add(histogram::decode(&i.latency)?)
            .map_err(add("latency"))?;
        service
            .add(histogram::decode(&i.service)?)
            .map_err(add("service-time"))?;
        if let Some(lag) = &i.send_lag {
            send_lag
                .get_or_insert_with(histogram::new_hist)
                .add(histogram::decode(lag)?)
                .map_err(add("send-lag"))?;
        }
    }
    out.latency = histogram::encode(&latency);
    out.service = histogram::encode(&service);
    out.send_lag = send_lag.as_ref().map(histogram::encode);
    out.stream = crate::journal::stream::combine(group.iter().filter_map(|i| i.stream.as_ref()))?;
    Ok(out)
}

/// A merged run directory, and how each shard met the start instant.
pub struct Merged {
    pub dir: PathBuf,
    /// In shard order.
    pub starts: Vec<start::ShardStart>,
}

/// Reads the run directories, merges them and writes the merged one (to
/// `out`, else under `root` as [`default_dir`]); returns where. The caller
/// builds the reports.
pub fn merge_dirs(dirs: &[PathBuf], out: Option<&Path>, root: &Path) -> Result<Merged, MergeError> {
    let mut shards = Vec::new();
    for dir in dirs {
        let data = crate::journal::read_run_dir(dir)?;
        shards.push(ShardRun {
            dir: dir.clone(),
            data,
        });
    }
    let mut starts = start::starts(&shards);
    starts.sort_by_key(|s| Shard::parse(&s.shard).map(|s| s.index).unwrap_or(u32::MAX));
    let merged = merge(shards)?;
    let dir = out
        .map(Path::to_path_buf)
        .unwrap_or_else(|| default_dir(root, &merged));
    write(&merged, &dir)?;
    Ok(Merged { dir, starts })
}

/// Writes the merged run into `<dir>.partial` and renames it to `dir` when
/// complete: a merge that dies half-way leaves no half-written run where
/// the merged one should be (and the next merge starts over).
fn write(data: &JournalData, dir: &Path) -> Result<(), MergeError> {
    if dir.exists() && std::fs::read_dir(dir).map_or(true, |mut d| d.next().is_some()) {
        return Err(MergeError::NotEmpty {
            dir: dir.to_path_buf(),
        });
    }
    let mut partial = dir.as_os_str().to_owned();
    partial.push(".partial");
    let partial = PathBuf::from(partial);
    // The journal's I/O error ("path: error") is the message merge always gave.
    if partial.exists() {
        std::fs::remove_dir_all(&partial).map_err(|e| JournalError::io(&partial, e))?;
    }
    crate::journal::create_run_dir(&partial, &data.info)?;
    let mut w = crate::journal::JournalWriter::create(&partial)?;
    for r in &data.records {
        w.write(r)?;
    }
    w.flush()?;
    drop(w);
    if dir.exists() {
        // Empty (checked above): rename needs it gone.
        std::fs::remove_dir(dir).map_err(|e| JournalError::io(dir, e))?;
    }
    Ok(std::fs::rename(&partial, dir).map_err(|e| JournalError::io(dir, e))?)
}

/// `reports/<UTC start>-<name>-merged`.
pub fn default_dir(root: &Path, data: &JournalData) -> PathBuf {
    let name = data.info.profile["name"].as_str().unwrap_or("run");
    crate::run::default_run_dir(root, &format!("{name}-merged"), data.info.started_at)
}

#[cfg(test)]
mod tests;
