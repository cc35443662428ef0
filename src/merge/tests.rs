//! Merging constructed shard journals: exact totals, one clock, and the
//! refusals.

use super::*;
use crate::fixture::JournalBuilder;
use crate::journal::record::{EndpointRecord, PhaseEvent};

/// A shard of a 2-way split of `seconds` one-second intervals, each
/// sending `per_s` requests that take `ms`; started `late_ms` after 10:00.
fn shard(index: u32, seconds: u32, per_s: u64, ms: f64, late_ms: i64, observe: bool) -> ShardRun {
    let profile =
        crate::fixture::profile("sharded", &[("flat", seconds as f64, 2.0 * per_s as f64)]);
    let mut b = JournalBuilder::new(profile);
    b.phase(
        0,
        "flat",
        0.0,
        seconds as f64,
        per_s as f64 * 2.0,
        per_s as f64 * 2.0,
    );
    for k in 0..seconds {
        b.interval(k as f64, k as f64 + 1.0, per_s, 0, ms, ms);
    }
    if observe {
        b.endpoint(0.5, "InService", 1, 1);
    }
    b.push(Record::End(EndRecord {
        t: seconds as f64,
        reason: "completed".into(),
    }));
    let mut data = b.build();
    data.info.clock = "wall".into();
    data.info.shard = format!("{index}/2");
    data.info.started_at += chrono::Duration::milliseconds(late_ms);
    data.info.host = format!("host-{index}");
    ShardRun {
        dir: PathBuf::from(format!("runs/shard-{index}")),
        data,
    }
}

fn intervals(d: &JournalData) -> Vec<&IntervalRecord> {
    d.intervals().collect()
}

#[test]
fn totals_and_histograms_add_up_exactly_on_one_clock() {
    let a = shard(0, 10, 5, 100.0, 0, true);
    let b = shard(1, 10, 5, 300.0, 400, true);
    let whole = |s: &ShardRun| {
        crate::report::Report::build(s.data.clone())
            .unwrap()
            .summary
    };
    let (sa, sb) = (whole(&a), whole(&b));
    let m = merge(vec![b, a]).unwrap();
    let s = crate::report::Report::build(m.clone()).unwrap().summary;
    assert_eq!(s.requests.sent, sa.requests.sent + sb.requests.sent);
    assert_eq!(s.requests.completed, 100);
    // Half the requests took 100 ms, half 300 ms: the merged histogram
    // has both, so p50 is the one and p99 the other.
    assert!(
        s.latency_ms.p50 < 150.0 && s.latency_ms.p99 > 250.0,
        "{:?}",
        s.latency_ms
    );
    // Shard 1 started 0.4 s later: its intervals move by 0.4 s and join
    // the second they started in; ten seconds of 10 requests each.
    let iv = intervals(&m);
    assert_eq!(iv.len(), 10);
    assert!(iv.iter().all(|i| i.sent == 10 && i.t - i.start == 1.0));
    assert_eq!(
        m.info.started_at,
        sa.started_at.parse::<DateTime<Utc>>().unwrap()
    );
    assert_eq!(m.info.shard, "all 2 merged");
    assert_eq!(m.info.host, "host-0, host-1");
    // One set of phase lines (shard 0's) and one observer (shard 0's).
    let phases = m
        .records
        .iter()
        .filter(|r| matches!(r, Record::Phase(p) if p.event == PhaseEvent::Start))
        .count();
    assert_eq!(phases, 1);
    let endpoints: Vec<&EndpointRecord> = m
        .records
        .iter()
        .filter_map(|r| match r {
            Record::Endpoint(e) => Some(e),
            _ => None,
        })
        .collect();
    assert_eq!(endpoints.len(), 1);
    assert_eq!(endpoints[0].t, 0.5);
    assert!(
        m.records.iter().any(
            |r| matches!(r, Record::Warning(w) if w.message.contains("shard 1/2 observed too"))
        )
    );
    assert!(matches!(m.records.last(), Some(Record::End(e)) if e.reason == "completed"));
}

#[test]
fn a_later_shard_moves_onto_the_earliest_clock() {
    let a = shard(0, 3, 1, 10.0, 2_000, false);
    let b = shard(1, 3, 1, 10.0, 0, true);
    let m = merge(vec![a, b]).unwrap();
    // Shard 1 started first: t = 0 is its start; shard 0's intervals are
    // two seconds later, so five seconds have load.
    let iv = intervals(&m);
    let starts: Vec<f64> = iv.iter().map(|i| i.start).collect();
    assert_eq!(starts, [0.0, 1.0, 2.0, 3.0, 4.0]);
    let sent: Vec<u64> = iv.iter().map(|i| i.sent).collect();
    assert_eq!(sent, [1, 1, 2, 1, 1]);
}

#[test]
fn refusals_name_the_directories() {
    let err = |shards: Vec<ShardRun>| merge(shards).err().unwrap().to_string();
    let e = err(vec![shard(0, 2, 1, 1.0, 0, false)]);
    assert_eq!(
        e,
        "shard 1/2 missing: merging needs all 2 (given 0/2 = runs/shard-0)"
    );
    let e = err(vec![
        shard(0, 2, 1, 1.0, 0, false),
        shard(0, 2, 1, 1.0, 0, false),
    ]);
    assert_eq!(e, "shard 0/2 given twice: runs/shard-0 and runs/shard-0");
    let mut other = shard(1, 2, 1, 1.0, 0, false);
    other.data.info.profile["load"] = serde_json::json!({"seed": 7});
    let e = err(vec![shard(0, 2, 1, 1.0, 0, false), other]);
    assert_eq!(
        e,
        "runs/shard-1: ran a different profile than runs/shard-0 (load differs)"
    );
    let mut sim = shard(1, 2, 1, 1.0, 0, false);
    sim.data.info.clock = "virtual".into();
    let e = err(vec![shard(0, 2, 1, 1.0, 0, false), sim]);
    assert!(e.contains("runs/shard-1: a simulated run"), "{e}");
    let mut whole = shard(0, 2, 1, 1.0, 0, false);
    whole.data.info.shard = "0/1".into();
    assert!(err(vec![whole]).contains("whole run"));
}

#[test]
fn a_shard_that_died_leaves_the_merge_incomplete() {
    let a = shard(0, 2, 1, 1.0, 0, false);
    let mut b = shard(1, 2, 1, 1.0, 0, false);
    b.data.records.retain(|r| !matches!(r, Record::End(_)));
    let m = merge(vec![a, b]).unwrap();
    assert!(!m.records.iter().any(|r| matches!(r, Record::End(_))));
    assert!(m.records.iter().any(
        |r| matches!(r, Record::Warning(w) if w.message.contains("1 of 2 shards did not finish"))
    ));
}

/// `shard`, run with `--start-at` 10:00 (its `started_at`), `late_s` late.
fn started(index: u32, late_s: f64, waited_s: f64) -> ShardRun {
    let mut s = shard(index, 3, 1, 10.0, 0, index == 0);
    let start_at = s.data.info.started_at;
    s.data.records.insert(
        0,
        Record::Start(crate::journal::record::StartRecord {
            t: late_s,
            start_at,
            given: crate::clock::rfc3339(start_at),
            waited_s,
            late_s,
        }),
    );
    s
}

#[test]
fn shards_of_one_start_instant_merge_unshifted_and_report_their_lateness() {
    let shards = vec![started(1, 1.25, 0.0), started(0, 0.0, 4.5)];
    let starts = start::starts(&shards);
    let m = merge(shards).unwrap();
    // One t = 0 already: nothing moves, and no spread warning.
    let iv: Vec<f64> = intervals(&m).iter().map(|i| i.start).collect();
    assert_eq!(iv, [0.0, 1.0, 2.0]);
    assert!(!m.records.iter().any(|r| matches!(r, Record::Start(_))));
    assert!(
        !m.records
            .iter()
            .any(|r| matches!(r, Record::Warning(w) if w.message.contains("without --start-at")))
    );
    let lines: Vec<String> = starts.iter().map(ToString::to_string).collect();
    assert_eq!(
        lines,
        [
            "shard 1/2 (runs/shard-1): 1.25 s late for 2026-01-05T10:00:00.000Z: its sends before t = 1.25 s are missing",
            "shard 0/2 (runs/shard-0): on time for 2026-01-05T10:00:00.000Z (waited 4.50 s)",
        ]
    );
}

#[test]
fn shards_that_did_not_share_the_start_instant_are_refused() {
    let err = |shards: Vec<ShardRun>| merge(shards).err().unwrap().to_string();
    // One with --start-at, one without.
    let e = err(vec![started(0, 0.0, 1.0), shard(1, 3, 1, 10.0, 0, false)]);
    assert_eq!(
        e,
        "runs/shard-1 ran without --start-at, runs/shard-0 with --start-at 2026-01-05T10:00:00.000Z: shards merge when they all share one start instant (or none used --start-at)"
    );
    // Two instants.
    let mut other = started(1, 0.0, 1.0);
    if let Record::Start(s) = &mut other.data.records[0] {
        s.start_at += chrono::Duration::seconds(60);
    }
    let e = err(vec![started(0, 0.0, 1.0), other]);
    assert_eq!(
        e,
        "runs/shard-1 started at --start-at 2026-01-05T10:01:00.000Z, runs/shard-0 at 2026-01-05T10:00:00.000Z: the shards did not share one start instant"
    );
}

#[test]
fn without_start_at_a_wide_start_spread_is_warned_about() {
    let m = merge(vec![
        shard(0, 3, 1, 10.0, 0, false),
        shard(1, 3, 1, 10.0, 2_500, false),
    ])
    .unwrap();
    assert!(m.records.iter().any(|r| matches!(r, Record::Warning(w)
        if w.message.starts_with("the shards ran without --start-at and started 2.50 s apart"))));
    let close = merge(vec![
        shard(0, 3, 1, 10.0, 0, false),
        shard(1, 3, 1, 10.0, 200, false),
    ])
    .unwrap();
    assert!(
        !close
            .records
            .iter()
            .any(|r| matches!(r, Record::Warning(w) if w.message.contains("without --start-at")))
    );
}
