//! Constructed journals for tests: a [`JournalBuilder`] that writes the same
//! records the load engine and a SageMaker observer write, and two scenarios
//! with known timestamps ([`scale_out_and_in`], [`short_spike`]) that the lag
//! analysis and the report snapshots are checked against.
//!
//! Not part of the public API, and not in release builds: it is compiled
//! for the crate's own tests and with the `fixtures` feature, which the
//! crate's dev-dependency on itself turns on, so the integration tests and
//! `examples/fixture_run.rs` can write run directories from it too.

use std::path::Path;

use chrono::{DateTime, Utc};
use serde_json::{Value, json};

use crate::histogram;
use crate::journal::record::*;
use crate::journal::{JOURNAL_FILE, JournalData, RUN_FILE, RunInfo};
use crate::outcome::{Outcome, OutcomeCounts};

pub const ALARM_HIGH: &str = "TargetTracking-endpoint/demo/variant/AllTraffic-AlarmHigh-7f3a";
pub const ALARM_LOW: &str = "TargetTracking-endpoint/demo/variant/AllTraffic-AlarmLow-7f3a";
pub const POLICY: &str = "SageMakerEndpointInvocationScalingPolicy";
/// InvocationsPerInstance target: 600 per minute = 10 requests/s per instance.
pub const TARGET: f64 = 600.0;

/// Records in the order they were added; [`JournalBuilder::build`] sorts them
/// by `t` (stable), as the journal writer would have appended them.
pub struct JournalBuilder {
    pub started_at: DateTime<Utc>,
    pub profile: Value,
    pub records: Vec<Record>,
}

impl JournalBuilder {
    pub fn new(profile: Value) -> JournalBuilder {
        JournalBuilder {
            started_at: "2026-01-05T10:00:00Z".parse().unwrap(),
            profile,
            records: Vec::new(),
        }
    }

    pub fn push(&mut self, r: Record) -> &mut Self {
        self.records.push(r);
        self
    }

    /// A phase's start and end lines.
    pub fn phase(&mut self, index: usize, name: &str, start: f64, end: f64, from: f64, to: f64) {
        for (t, event) in [(start, PhaseEvent::Start), (end, PhaseEvent::End)] {
            self.push(Record::Phase(PhaseRecord {
                t,
                index,
                name: name.into(),
                event,
                from_rate: from,
                to_rate: to,
            }));
        }
    }

    /// An interval whose `sent` requests all completed: `errors` of them as
    /// HTTP 5xx, latencies spread evenly between `lo_ms` and `hi_ms`.
    pub fn interval(&mut self, start: f64, t: f64, sent: u64, errors: u64, lo_ms: f64, hi_ms: f64) {
        let mut h = histogram::new_hist();
        let mut by_outcome = OutcomeCounts::default();
        for i in 0..sent {
            let frac = if sent > 1 {
                i as f64 / (sent - 1) as f64
            } else {
                0.5
            };
            let ms = lo_ms + (hi_ms - lo_ms) * frac;
            histogram::record(&mut h, std::time::Duration::from_secs_f64(ms / 1000.0));
            by_outcome.add(if i < errors {
                Outcome::Http5xx
            } else {
                Outcome::Ok
            });
        }
        let enc = histogram::encode(&h);
        self.push(Record::Interval(IntervalRecord {
            start,
            t,
            sent,
            late: 0,
            completed: sent,
            in_flight: 0,
            by_outcome,
            latency: enc.clone(),
            service: enc,
            send_lag: None,
            stream: None,
        }));
    }

    /// A SageMaker metric datapoint (one-minute period), first seen at `seen`.
    pub fn metric(&mut self, name: &str, stat: &str, period_start: f64, value: f64, seen: f64) {
        self.push(Record::Metric(MetricRecord {
            t: seen,
            namespace: "AWS/SageMaker".into(),
            name: name.into(),
            dimensions: [
                ("EndpointName".to_string(), "demo".to_string()),
                ("VariantName".to_string(), "AllTraffic".to_string()),
            ]
            .into(),
            stat: stat.into(),
            period_s: 60,
            period_start,
            value,
            revision: false,
        }));
    }

    /// Target tracking's two alarms on InvocationsPerInstance: > target for
    /// 3 of 3, < 90 % of target for 15 of 15.
    pub fn target_tracking(&mut self, t: f64, min: u32, max: u32) {
        for (name, cmp, thr, n) in [
            (ALARM_HIGH, "GreaterThanThreshold", TARGET, 3),
            (ALARM_LOW, "LessThanThreshold", TARGET * 0.9, 15),
        ] {
            self.push(Record::AlarmConfig(AlarmConfigRecord {
                t,
                name: name.into(),
                namespace: "AWS/SageMaker".into(),
                metric: "InvocationsPerInstance".into(),
                stat: "Sum".into(),
                comparison: cmp.into(),
                threshold: thr,
                period_s: 60,
                evaluation_periods: n,
                datapoints_to_alarm: n,
                policy: Some(POLICY.into()),
                treat_missing_data: None,
            }));
            self.alarm(
                t,
                -600.0,
                name,
                AlarmState::InsufficientData,
                AlarmState::Ok,
            );
        }
        self.push(Record::Policy(PolicyRecord {
            t,
            name: POLICY.into(),
            policy_type: "TargetTrackingScaling".into(),
            metric: Some("SageMakerVariantInvocationsPerInstance".into()),
            target_value: Some(TARGET),
            scale_in_cooldown_s: Some(300),
            scale_out_cooldown_s: Some(300),
            disable_scale_in: false,
            alarms: vec![ALARM_HIGH.into(), ALARM_LOW.into()],
            simulated_scale_in_rule: None,
        }));
        self.push(Record::ScalableTarget(ScalableTargetRecord {
            t,
            resource_id: "endpoint/demo/variant/AllTraffic".into(),
            min,
            max,
        }));
    }

    pub fn alarm(&mut self, t: f64, at: f64, name: &str, from: AlarmState, to: AlarmState) {
        self.push(Record::Alarm(AlarmRecord {
            t,
            at,
            name: name.into(),
            from,
            to,
            reason: format!("Threshold Crossed: {} → {}", from.as_aws(), to.as_aws()),
        }));
    }

    /// A scaling activity seen in progress at `start + 5` and finished at
    /// `end + 5` (two lines, as the observer records status changes).
    pub fn activity(&mut self, id: &str, start: f64, end: f64, from: u32, to: u32, cause: &str) {
        let mut a = ActivityRecord {
            t: start + 5.0,
            id: id.into(),
            start,
            end: None,
            status: "InProgress".into(),
            cause: cause.into(),
            description: format!("Setting desired instance count to {to}."),
            from: Some(from),
            to: Some(to),
            not_scaled: Vec::new(),
        };
        self.push(Record::Activity(a.clone()));
        a.t = end + 5.0;
        a.end = Some(end);
        a.status = "Successful".into();
        self.push(Record::Activity(a));
    }

    pub fn endpoint(&mut self, t: f64, status: &str, current: u32, desired: u32) {
        self.push(Record::Endpoint(EndpointRecord {
            t,
            status: status.into(),
            variant: "AllTraffic".into(),
            current,
            desired,
        }));
    }

    pub fn build(mut self) -> JournalData {
        self.records.sort_by(|a, b| a.t().total_cmp(&b.t()));
        JournalData {
            info: RunInfo {
                schema: RunInfo::SCHEMA.into(),
                tool_version: "0.1.0".into(),
                started_at: self.started_at,
                host: "fixture".into(),
                clock: "virtual".into(),
                shard: "0/1".into(),
                profile: self.profile,
            },
            records: self.records,
            torn_tail: false,
        }
    }
}

/// Writes `run.json` and `journal.jsonl` for a constructed journal.
pub fn write_run_dir(data: &JournalData, dir: &Path) -> std::io::Result<()> {
    std::fs::create_dir_all(dir)?;
    std::fs::write(
        dir.join(RUN_FILE),
        serde_json::to_vec_pretty(&data.info).expect("run info serializes"),
    )?;
    let mut lines = String::new();
    for r in &data.records {
        lines.push_str(&serde_json::to_string(r).expect("record serializes"));
        lines.push('\n');
    }
    std::fs::write(dir.join(JOURNAL_FILE), lines)
}

/// The profile the scenarios claim to have run.
pub fn profile(name: &str, phases: &[(&str, f64, f64)]) -> Value {
    json!({
        "name": name,
        "description": "constructed journal",
        "source": "profiles/fixture.toml",
        "target": { "kind": "sim" },
        "payload": { "source": "inline", "body": "{\"inputs\": \"hello\"}" },
        "load": {
            "arrivals": "uniform", "seed": 1, "max_in_flight": 10000, "timeout": 60.0,
            "phases": phases.iter().map(|(n, d, r)| json!({
                "name": n, "duration": d, "from_rate": r, "to_rate": r
            })).collect::<Vec<_>>(),
        },
        "observe": { "interval": 10.0, "tail": 0.0 },
        "sim": {},
        "slo": { "p50_ms": null, "p99_ms": 300.0, "error_rate": 0.01 },
    })
}

/// The CloudWatch publishing delay of the `k`-th one-minute period: 45, 52
/// or 59 s, so the median is 52 and the maximum 59.
pub fn delay(k: usize) -> f64 {
    45.0 + 7.0 * (k % 3) as f64
}

/// A run on constant phases `(name, start, end, rate)` with 10-s intervals
/// and one InvocationsPerInstance datapoint per minute, given the instance
/// count in service over time. Requests are slow (0.8–2.5 s) and 2 % fail
/// in intervals where one instance gets more than 10 requests/s.
fn load_and_metrics(
    b: &mut JournalBuilder,
    phases: &[(&str, f64, f64, f64)],
    instances: impl Fn(f64) -> u32,
) {
    let rate_at = |t: f64| {
        phases
            .iter()
            .find(|p| t >= p.1 && t < p.2)
            .map(|p| p.3)
            .unwrap_or(0.0)
    };
    for (i, (name, start, end, rate)) in phases.iter().enumerate() {
        b.phase(i, name, *start, *end, *rate, *rate);
    }
    let end = phases.last().map(|p| p.2).unwrap_or(0.0);
    let mut t = 0.0;
    while t < end {
        let rate = rate_at(t);
        let sent = (rate * 10.0).round() as u64;
        if rate / instances(t) as f64 > 10.0 {
            b.interval(t, t + 10.0, sent, sent / 50, 800.0, 2500.0);
        } else {
            b.interval(t, t + 10.0, sent, 0, 80.0, 150.0);
        }
        t += 10.0;
    }
    let mut k = 0;
    let mut p = 0.0;
    while p + 60.0 <= end {
        let rate = rate_at(p + 30.0);
        let value = rate * 60.0 / instances(p + 30.0) as f64;
        b.metric(
            "InvocationsPerInstance",
            "Sum",
            p,
            value,
            p + 60.0 + delay(k),
        );
        b.metric("Invocations", "Sum", p, rate * 60.0, p + 60.0 + delay(k));
        k += 1;
        p += 60.0;
    }
    b.push(Record::End(EndRecord {
        t: end,
        reason: "completed".into(),
    }));
}

/// Scale out then in, with every link present.
///
/// Load: 5/s for 300 s, 30/s until 1200 s, 5/s until 2400 s; one instance
/// serves 10/s, target 600 invocations per instance per minute.
///
/// Scale out: load rises at 300; the period 300–360 (1800 per instance) is
/// readable at 419; AlarmHigh fires at 540 (3 of 3); activity 1 → 3 starts
/// at 545; desired 3 at 550; InService with 3 at 905; latency within SLO from
/// 910 (the first 10-s interval served by 3 instances).
///
/// Scale in: load falls at 1200; the period 1200–1260 (100 per instance) is
/// readable at 1319; AlarmLow fires at 2160 (15 of 15); activity 3 → 1 at
/// 2165; desired 1 at 2170; InService with 1 at 2290; then AlarmLow stays in
/// ALARM and Application Auto Scaling reports AlreadyAtMinCapacity at 2340.
pub fn scale_out_and_in() -> JournalData {
    let phases = [
        ("baseline", 0.0, 300.0, 5.0),
        ("surge", 300.0, 1200.0, 30.0),
        ("quiet", 1200.0, 2400.0, 5.0),
    ];
    let mut b = JournalBuilder::new(profile(
        "scale-out-and-in",
        &[
            ("baseline", 300.0, 5.0),
            ("surge", 900.0, 30.0),
            ("quiet", 1200.0, 5.0),
        ],
    ));
    b.target_tracking(1.0, 1, 4);
    let instances = |t: f64| {
        if t < 905.0 {
            1
        } else if t < 2290.0 {
            3
        } else {
            1
        }
    };
    load_and_metrics(&mut b, &phases, instances);
    b.endpoint(1.0, "InService", 1, 1);
    b.alarm(541.0, 540.0, ALARM_HIGH, AlarmState::Ok, AlarmState::Alarm);
    b.activity("act-out-1", 545.0, 905.0, 1, 3, "monitor alarm AlarmHigh in state ALARM triggered policy SageMakerEndpointInvocationScalingPolicy");
    b.endpoint(550.0, "Updating", 1, 3);
    b.endpoint(905.0, "InService", 3, 3);
    b.alarm(
        1021.0,
        1020.0,
        ALARM_HIGH,
        AlarmState::Alarm,
        AlarmState::Ok,
    );
    b.alarm(2161.0, 2160.0, ALARM_LOW, AlarmState::Ok, AlarmState::Alarm);
    b.activity("act-in-1", 2165.0, 2290.0, 3, 1, "monitor alarm AlarmLow in state ALARM triggered policy SageMakerEndpointInvocationScalingPolicy");
    b.endpoint(2170.0, "Updating", 3, 1);
    b.endpoint(2290.0, "InService", 1, 1);
    b.push(Record::Activity(ActivityRecord {
        t: 2345.0,
        id: "act-ns-1".into(),
        start: 2340.0,
        end: Some(2340.0),
        status: "Failed".into(),
        cause: "monitor alarm AlarmLow in state ALARM triggered policy SageMakerEndpointInvocationScalingPolicy".into(),
        description: "Failed to set desired instance count to 1.".into(),
        from: Some(1),
        to: Some(1),
        not_scaled: vec![NotScaledReason {
            code: "AlreadyAtMinCapacity".into(),
            max_capacity: None,
            min_capacity: Some(1),
            current_capacity: Some(1),
        }],
    }));
    b.build()
}

/// A spike too short for target tracking: two of the three datapoints the
/// AlarmHigh needs breach, then the load falls back; nothing scales.
pub fn short_spike() -> JournalData {
    let phases = [
        ("baseline", 0.0, 300.0, 5.0),
        ("spike", 300.0, 420.0, 30.0),
        ("after", 420.0, 900.0, 5.0),
    ];
    let mut b = JournalBuilder::new(profile(
        "short-spike",
        &[
            ("baseline", 300.0, 5.0),
            ("spike", 120.0, 30.0),
            ("after", 480.0, 5.0),
        ],
    ));
    b.target_tracking(1.0, 1, 4);
    load_and_metrics(&mut b, &phases, |_| 1);
    b.endpoint(1.0, "InService", 1, 1);
    b.build()
}
