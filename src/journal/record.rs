//! The journal's line types: one JSON object per line, tagged by `type`.
//!
//! Load lines (`interval`, `phase`, `interrupted`, `end`, and `start` for a
//! shared `--start-at`) come from the invoker; observation lines (`metric`,
//! `alarm`, `activity`, …) come from an
//! [`Observer`](crate::observe::Observer), simulated or AWS, and have the
//! same shape for both so every report works on either.
//!
//! Times are seconds since the run started (`t`), on the run's clock: the
//! wall clock for real targets, the virtual clock for the simulator.
//! `run.json` holds the UTC start time that `t = 0` maps to. Times before the
//! run started (a CloudWatch period that began earlier) are negative.
//!
//! To add a new line type: add a variant here, write it from its producer,
//! and teach [`crate::journal::JournalData`] to keep it.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::outcome::OutcomeCounts;

/// One line of `journal.jsonl`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Record {
    Interval(IntervalRecord),
    Phase(PhaseRecord),
    Interrupted(InterruptedRecord),
    End(EndRecord),
    Metric(MetricRecord),
    Alarm(AlarmRecord),
    AlarmConfig(AlarmConfigRecord),
    Activity(ActivityRecord),
    Endpoint(EndpointRecord),
    Copies(CopiesRecord),
    ScalableTarget(ScalableTargetRecord),
    Policy(PolicyRecord),
    Warning(WarningRecord),
    Start(StartRecord),
    LoadImport(LoadImportRecord),
}

/// What happened in one recording interval (one second by default).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct IntervalRecord {
    /// Start of the interval.
    pub start: f64,
    /// End of the interval.
    pub t: f64,
    /// Requests whose intended send time fell in this interval (offered load).
    pub sent: u64,
    /// Of those, requests that could not start on time because
    /// `max_in_flight` was reached; their wait is part of their latency.
    pub late: u64,
    /// Requests that completed in this interval, whatever their outcome.
    pub completed: u64,
    /// Requests in flight at the end of the interval.
    pub in_flight: u64,
    /// Completions per outcome class.
    pub by_outcome: OutcomeCounts,
    /// Latency from the intended send time, HdrHistogram V2 + deflate, base64.
    pub latency: String,
    /// Service time from the actual send, same encoding.
    pub service: String,
    /// Send lag (actual − intended send time) of the requests that completed
    /// in this interval, same encoding. Wall-clock runs only: absent on the
    /// virtual clock (where it is always zero) and in older journals.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub send_lag: Option<String>,
    /// Time to first token and between parts, for streamed responses
    /// (`stream = true`); absent otherwise.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stream: Option<super::stream::StreamIntervalRecord>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PhaseEvent {
    Start,
    End,
}

/// A load phase starting or ending.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PhaseRecord {
    pub t: f64,
    pub index: usize,
    pub name: String,
    pub event: PhaseEvent,
    /// Offered rate at the start of the phase, requests per second.
    pub from_rate: f64,
    /// Offered rate at the end of the phase, requests per second.
    pub to_rate: f64,
}

/// The run was stopped by a signal; what follows is the drain.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct InterruptedRecord {
    pub t: f64,
    pub signal: String,
}

/// The run finished writing; absent when the process was killed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EndRecord {
    pub t: f64,
    /// `completed`, `interrupted`, or `failed: …`.
    pub reason: String,
}

/// One CloudWatch datapoint, recorded when first seen and again when its
/// value is revised (CloudWatch may revise a datapoint of a period still being
/// aggregated).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MetricRecord {
    /// When the observer first read this value.
    pub t: f64,
    pub namespace: String,
    pub name: String,
    pub dimensions: BTreeMap<String, String>,
    /// CloudWatch statistic: `Sum`, `Average`, `Maximum`, …
    pub stat: String,
    pub period_s: u32,
    /// Start of the period the datapoint belongs to.
    pub period_start: f64,
    pub value: f64,
    /// True when this replaces a value seen earlier for the same period.
    #[serde(default)]
    pub revision: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum AlarmState {
    Ok,
    Alarm,
    InsufficientData,
}

impl AlarmState {
    /// CloudWatch's spelling.
    pub fn as_aws(self) -> &'static str {
        match self {
            AlarmState::Ok => "OK",
            AlarmState::Alarm => "ALARM",
            AlarmState::InsufficientData => "INSUFFICIENT_DATA",
        }
    }
}

/// An alarm state transition.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AlarmRecord {
    /// When the observer saw the transition.
    pub t: f64,
    /// When CloudWatch says the transition happened.
    pub at: f64,
    pub name: String,
    pub from: AlarmState,
    pub to: AlarmState,
    /// CloudWatch's StateReason.
    pub reason: String,
}

/// How an alarm is configured; the lag analysis needs the threshold and the
/// M-of-N rule to find the datapoints that made it fire.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AlarmConfigRecord {
    pub t: f64,
    pub name: String,
    pub namespace: String,
    pub metric: String,
    pub stat: String,
    /// `GreaterThanThreshold`, `LessThanThreshold`, … as CloudWatch spells it.
    pub comparison: ComparisonOperator,
    pub threshold: f64,
    pub period_s: u32,
    pub evaluation_periods: u32,
    pub datapoints_to_alarm: u32,
    /// The scaling policy that owns the alarm, if any.
    pub policy: Option<String>,
    /// CloudWatch's TreatMissingData (`missing`, `notBreaching`,
    /// `breaching`, `ignore`); absent in journals written before it was
    /// recorded, which then read as the default `missing`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub treat_missing_data: Option<String>,
}

/// An AWS enumeration kept as AWS spells it on disk (serde from and into
/// `String`), so journals written while it was a string read the same and
/// written journals do not change; a value AWS adds later is kept as `Other`. Comparing with
/// a `&str` compares the spelling.
macro_rules! aws_spelled {
    ($(#[$meta:meta])* $name:ident { $($(#[$vmeta:meta])* $variant:ident,)* }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
        #[serde(from = "String", into = "String")]
        pub enum $name {
            $($(#[$vmeta])* $variant,)*
            /// A value this version does not know, as AWS spelled it.
            Other(String),
        }

        impl $name {
            /// As AWS spells it.
            pub fn as_str(&self) -> &str {
                match self {
                    $($name::$variant => stringify!($variant),)*
                    $name::Other(s) => s,
                }
            }
        }

        impl From<String> for $name {
            fn from(s: String) -> Self {
                match s.as_str() {
                    $(stringify!($variant) => $name::$variant,)*
                    _ => $name::Other(s),
                }
            }
        }

        impl From<&str> for $name {
            fn from(s: &str) -> Self {
                $name::from(s.to_string())
            }
        }

        impl From<$name> for String {
            fn from(v: $name) -> String {
                match v {
                    $name::Other(s) => s,
                    v => v.as_str().to_string(),
                }
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl PartialEq<&str> for $name {
            fn eq(&self, other: &&str) -> bool {
                self.as_str() == *other
            }
        }
    };
}

aws_spelled! {
    /// CloudWatch's ComparisonOperator, stored as CloudWatch spells it (so
    /// journals read the same either way); operators without a threshold
    /// comparison (the anomaly-detection bands) are kept as `Other`.
    ComparisonOperator {
        GreaterThanOrEqualToThreshold,
        GreaterThanThreshold,
        LessThanThreshold,
        LessThanOrEqualToThreshold,
    }
}

impl ComparisonOperator {
    /// The console's symbol (`>`, `>=`, `<`, `<=`); `Other` keeps its name.
    pub fn symbol(&self) -> &str {
        match self {
            ComparisonOperator::GreaterThanOrEqualToThreshold => ">=",
            ComparisonOperator::GreaterThanThreshold => ">",
            ComparisonOperator::LessThanThreshold => "<",
            ComparisonOperator::LessThanOrEqualToThreshold => "<=",
            ComparisonOperator::Other(s) => s,
        }
    }

    /// Whether `value` breaches `threshold`; never for `Other`.
    pub fn breaches(&self, value: f64, threshold: f64) -> bool {
        match self {
            ComparisonOperator::GreaterThanOrEqualToThreshold => value >= threshold,
            ComparisonOperator::GreaterThanThreshold => value > threshold,
            ComparisonOperator::LessThanThreshold => value < threshold,
            ComparisonOperator::LessThanOrEqualToThreshold => value <= threshold,
            ComparisonOperator::Other(_) => false,
        }
    }

    /// `Some(true)` for the "greater" forms (a scale-out alarm), `Some(false)`
    /// for the "less" forms, `None` for `Other`.
    pub fn is_upper(&self) -> Option<bool> {
        match self {
            ComparisonOperator::GreaterThanOrEqualToThreshold
            | ComparisonOperator::GreaterThanThreshold => Some(true),
            ComparisonOperator::LessThanThreshold
            | ComparisonOperator::LessThanOrEqualToThreshold => Some(false),
            ComparisonOperator::Other(_) => None,
        }
    }
}

aws_spelled! {
    /// A scaling policy's `PolicyType`, stored as Application Auto Scaling
    /// spells it; a type this version does not know is kept as `Other`.
    PolicyType {
        TargetTrackingScaling,
        StepScaling,
        PredictiveScaling,
    }
}

/// Why Application Auto Scaling did not scale.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NotScaledReason {
    /// `AlreadyAtMaxCapacity`, `AlreadyAtMinCapacity`, …
    pub code: String,
    pub max_capacity: Option<u32>,
    pub min_capacity: Option<u32>,
    pub current_capacity: Option<u32>,
}

/// A scaling activity, as `DescribeScalingActivities` returns it; recorded
/// again whenever its status changes (the latest line for an id wins).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ActivityRecord {
    pub t: f64,
    pub id: String,
    pub start: f64,
    pub end: Option<f64>,
    pub status: ActivityStatus,
    pub cause: String,
    pub description: String,
    /// Desired capacity before, when known.
    pub from: Option<u32>,
    /// Desired capacity asked for, when known.
    pub to: Option<u32>,
    /// Present on activities that did not scale
    /// (`IncludeNotScaledActivities`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub not_scaled: Vec<NotScaledReason>,
}

/// The endpoint's status and instance counts (DescribeEndpoint).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EndpointRecord {
    pub t: f64,
    pub status: EndpointStatus,
    pub variant: String,
    pub current: u32,
    pub desired: u32,
}

/// An inference component's copy counts (`DescribeInferenceComponent`:
/// `InferenceComponentStatus`, `RuntimeConfig.DesiredCopyCount` /
/// `CurrentCopyCount`), written when they change, by the AWS observer and
/// by the simulator alike. The endpoint's instances (managed instance
/// scaling) stay in [`EndpointRecord`]; Application Auto Scaling's
/// activities on an inference component change its copies.
/// <https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_DescribeInferenceComponent.html>
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CopiesRecord {
    pub t: f64,
    /// The inference component's name.
    pub component: String,
    /// `InferenceComponentStatus`: `InService`, `Creating`, `Updating`,
    /// `Failed`, `Deleting`.
    pub status: String,
    pub current: u32,
    pub desired: u32,
}

/// The scalable target's bounds (DescribeScalableTargets).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ScalableTargetRecord {
    pub t: f64,
    pub resource_id: String,
    pub min: u32,
    pub max: u32,
}

/// A scaling policy (DescribeScalingPolicies).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PolicyRecord {
    pub t: f64,
    pub name: String,
    /// `TargetTrackingScaling` or `StepScaling`.
    pub policy_type: PolicyType,
    /// The tracked metric (predefined type or custom metric name).
    pub metric: Option<String>,
    pub target_value: Option<f64>,
    pub scale_in_cooldown_s: Option<u32>,
    pub scale_out_cooldown_s: Option<u32>,
    #[serde(default)]
    pub disable_scale_in: bool,
    /// Names of the CloudWatch alarms the policy owns or is triggered by.
    pub alarms: Vec<String>,
    /// Simulator only: the scale-in rule the model ran for this
    /// target-tracking policy ("halfway: …"), an assumption AWS does not
    /// publish, named so reports can say which one ran.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub simulated_scale_in_rule: Option<String>,
}

aws_spelled! {
    /// A scaling activity's `StatusCode` (Application Auto Scaling).
    ActivityStatus {
        Pending,
        InProgress,
        Successful,
        Overridden,
        Unfulfilled,
        Failed,
    }
}

aws_spelled! {
    /// An endpoint's `EndpointStatus` (SageMaker `DescribeEndpoint`); the
    /// observer writes `Unknown` (kept as `Other`) when none is given.
    EndpointStatus {
        OutOfService,
        Creating,
        Updating,
        SystemUpdating,
        RollingBack,
        InService,
        Deleting,
        Failed,
        UpdateRollbackFailed,
    }
}

/// Something the observer wants the user to know ("this policy can never
/// scale").
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WarningRecord {
    pub t: f64,
    pub message: String,
}

/// The run began at a `--start-at` instant shared with the other shards:
/// `t = 0` is that instant (run.json's `started_at`), and this line, at the
/// offset the schedule began from, says how the process met it. Journals
/// without it ran from their own start.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StartRecord {
    /// When the schedule began: 0 when on time, else `late_s`.
    pub t: f64,
    /// The shared instant, UTC.
    pub start_at: chrono::DateTime<chrono::Utc>,
    /// `--start-at` as given (with the reference `+DURATION` counted from).
    #[serde(default)]
    pub given: String,
    /// How long the process waited for the instant (0 when late): the
    /// spread of these over the shards is how far apart their pods started.
    #[serde(default)]
    pub waited_s: f64,
    /// How far past the instant the process arrived (0 when on time). The
    /// plan was not shifted: the sends intended before `late_s` were not
    /// sent by this process.
    #[serde(default)]
    pub late_s: f64,
}

/// A load file imported from the tool that sent the traffic (Locust, k6, a
/// `timestamp,requests_per_s` CSV), kept whole so a later `scaletrace
/// report` gives the same result; the last import in the journal wins.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LoadImportRecord {
    /// When it was imported.
    pub t: f64,
    /// `Locust`, `k6` or `CSV`: how the report labels the numbers.
    pub tool: String,
    /// The file as given.
    pub file: String,
    pub samples: Vec<LoadSampleRecord>,
}

/// One sample of the client's view of the load, on the run's clock.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LoadSampleRecord {
    pub start: f64,
    pub t: f64,
    pub requests_per_s: f64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub failures_per_s: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub p50_ms: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub p99_ms: Option<f64>,
    /// Locust's user count.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub users: Option<u64>,
}

impl Record {
    /// Moves every time in the line by `by` seconds (onto another run's
    /// clock, for `scaletrace merge`).
    pub fn shift(&mut self, by: f64) {
        match self {
            Record::Interval(r) => {
                r.start += by;
                r.t += by;
            }
            Record::Phase(r) => r.t += by,
            Record::Interrupted(r) => r.t += by,
            Record::End(r) => r.t += by,
            Record::Metric(r) => {
                r.t += by;
                r.period_start += by;
            }
            Record::Alarm(r) => {
                r.t += by;
                r.at += by;
            }
            Record::AlarmConfig(r) => r.t += by,
            Record::Activity(r) => {
                r.t += by;
                r.start += by;
                if let Some(end) = r.end.as_mut() {
                    *end += by;
                }
            }
            Record::Endpoint(r) => r.t += by,
            Record::Copies(r) => r.t += by,
            Record::ScalableTarget(r) => r.t += by,
            Record::Policy(r) => r.t += by,
            Record::Warning(r) => r.t += by,
            Record::Start(r) => r.t += by,
            Record::LoadImport(r) => {
                r.t += by;
                for s in &mut r.samples {
                    s.start += by;
                    s.t += by;
                }
            }
        }
    }

    /// The time the line was written for, on the run's clock.
    pub fn t(&self) -> f64 {
        match self {
            Record::Interval(r) => r.t,
            Record::Phase(r) => r.t,
            Record::Interrupted(r) => r.t,
            Record::End(r) => r.t,
            Record::Metric(r) => r.t,
            Record::Alarm(r) => r.t,
            Record::AlarmConfig(r) => r.t,
            Record::Activity(r) => r.t,
            Record::Endpoint(r) => r.t,
            Record::Copies(r) => r.t,
            Record::ScalableTarget(r) => r.t,
            Record::Policy(r) => r.t,
            Record::Warning(r) => r.t,
            Record::Start(r) => r.t,
            Record::LoadImport(r) => r.t,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Typed fields read and write the strings AWS uses, so journals
    /// written before they were typed read the same.
    #[test]
    fn typed_fields_keep_aws_spelling_on_disk() {
        for (s, t) in [
            ("\"StepScaling\"", PolicyType::StepScaling),
            (
                "\"TargetTrackingScaling\"",
                PolicyType::TargetTrackingScaling,
            ),
            ("\"SomethingNew\"", PolicyType::Other("SomethingNew".into())),
        ] {
            assert_eq!(serde_json::from_str::<PolicyType>(s).unwrap(), t);
            assert_eq!(serde_json::to_string(&t).unwrap(), s);
        }
        let c: ComparisonOperator = serde_json::from_str("\"LessThanThreshold\"").unwrap();
        assert_eq!(c, ComparisonOperator::LessThanThreshold);
        assert!(c.breaches(1.0, 2.0));
        assert_eq!(c.is_upper(), Some(false));
        let band: ComparisonOperator =
            serde_json::from_str("\"LessThanLowerOrGreaterThanUpperThreshold\"").unwrap();
        assert_eq!(band.is_upper(), None);
        assert_eq!(
            serde_json::to_string(&band).unwrap(),
            "\"LessThanLowerOrGreaterThanUpperThreshold\""
        );
    }

    #[test]
    fn statuses_keep_aws_spelling_on_disk() {
        for (s, t) in [
            ("\"Successful\"", ActivityStatus::Successful),
            ("\"InProgress\"", ActivityStatus::InProgress),
            ("\"Cancelled\"", ActivityStatus::Other("Cancelled".into())),
        ] {
            assert_eq!(serde_json::from_str::<ActivityStatus>(s).unwrap(), t);
            assert_eq!(serde_json::to_string(&t).unwrap(), s);
        }
        for (s, t) in [
            ("\"InService\"", EndpointStatus::InService),
            (
                "\"UpdateRollbackFailed\"",
                EndpointStatus::UpdateRollbackFailed,
            ),
            ("\"Unknown\"", EndpointStatus::Other("Unknown".into())),
        ] {
            assert_eq!(serde_json::from_str::<EndpointStatus>(s).unwrap(), t);
            assert_eq!(serde_json::to_string(&t).unwrap(), s);
        }
        assert_eq!(EndpointStatus::Updating, "Updating");
        assert_eq!(EndpointStatus::from("Creating").to_string(), "Creating");
        // A whole line reads and writes back byte for byte.
        let line =
            r#"{"t":1.0,"status":"InService","variant":"AllTraffic","current":1,"desired":2}"#;
        let e: EndpointRecord = serde_json::from_str(line).unwrap();
        assert_eq!(e.status, EndpointStatus::InService);
        assert_eq!(serde_json::to_string(&e).unwrap(), line);
    }

    #[test]
    fn a_start_line_reads_back_and_needs_only_its_instant() {
        let line = r#"{"type":"start","t":1.25,"start_at":"2026-12-03T18:00:00Z","given":"2026-12-03T18:00:00Z","waited_s":0.0,"late_s":1.25}"#;
        let r: Record = serde_json::from_str(line).unwrap();
        assert_eq!(serde_json::to_string(&r).unwrap(), line);
        let bare: Record =
            serde_json::from_str(r#"{"type":"start","t":0.0,"start_at":"2026-12-03T18:00:00Z"}"#)
                .unwrap();
        let Record::Start(s) = bare else {
            panic!("{bare:?}")
        };
        assert_eq!((s.waited_s, s.late_s, s.given.as_str()), (0.0, 0.0, ""));
    }

    /// An interval line from before the send lag was recorded reads (as
    /// none) and writes back byte for byte.
    #[test]
    fn interval_lines_without_send_lag_still_read() {
        let line = r#"{"start":0.0,"t":1.0,"sent":1,"late":0,"completed":1,"in_flight":0,"by_outcome":{"ok":1,"http_4xx":0,"throttled":0,"model_error":0,"http_5xx":0,"timeout":0,"connect_error":0,"other":0},"latency":"x","service":"y"}"#;
        let i: IntervalRecord = serde_json::from_str(line).unwrap();
        assert_eq!(i.send_lag, None);
        assert_eq!(serde_json::to_string(&i).unwrap(), line);
    }
}
