//! A CloudWatch alarm's configuration as PutMetricAlarm takes it: metric,
//! statistic, period, threshold and comparison, M of N, TreatMissingData.
//! Evaluation lives in the simulator (`sim::alarm`).

use serde::Serialize;

use super::metric::{MetricId, Stat};

/// CloudWatch's ComparisonOperator (the threshold forms).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Comparison {
    GreaterThanOrEqualToThreshold,
    GreaterThanThreshold,
    LessThanThreshold,
    LessThanOrEqualToThreshold,
}

impl Comparison {
    pub const ALL: [Comparison; 4] = [
        Comparison::GreaterThanOrEqualToThreshold,
        Comparison::GreaterThanThreshold,
        Comparison::LessThanThreshold,
        Comparison::LessThanOrEqualToThreshold,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Comparison::GreaterThanOrEqualToThreshold => "GreaterThanOrEqualToThreshold",
            Comparison::GreaterThanThreshold => "GreaterThanThreshold",
            Comparison::LessThanThreshold => "LessThanThreshold",
            Comparison::LessThanOrEqualToThreshold => "LessThanOrEqualToThreshold",
        }
    }

    pub fn words(self) -> &'static str {
        match self {
            Comparison::GreaterThanOrEqualToThreshold => "greater than or equal to",
            Comparison::GreaterThanThreshold => "greater than",
            Comparison::LessThanThreshold => "less than",
            Comparison::LessThanOrEqualToThreshold => "less than or equal to",
        }
    }

    pub fn breaches(self, value: f64, threshold: f64) -> bool {
        match self {
            Comparison::GreaterThanOrEqualToThreshold => value >= threshold,
            Comparison::GreaterThanThreshold => value > threshold,
            Comparison::LessThanThreshold => value < threshold,
            Comparison::LessThanOrEqualToThreshold => value <= threshold,
        }
    }

    /// True for the "greater" forms (the breach lies above the threshold).
    pub fn is_upper(self) -> bool {
        matches!(
            self,
            Comparison::GreaterThanOrEqualToThreshold | Comparison::GreaterThanThreshold
        )
    }
}

/// TreatMissingData.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum TreatMissing {
    Missing,
    NotBreaching,
    Breaching,
    Ignore,
}

impl TreatMissing {
    /// As the CloudWatch API spells it.
    pub fn name(self) -> &'static str {
        match self {
            TreatMissing::Missing => "missing",
            TreatMissing::NotBreaching => "notBreaching",
            TreatMissing::Breaching => "breaching",
            TreatMissing::Ignore => "ignore",
        }
    }
}

/// An alarm's configuration (PutMetricAlarm).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AlarmSpec {
    pub name: String,
    pub metric: MetricId,
    pub stat: Stat,
    pub period_s: u32,
    pub threshold: f64,
    pub comparison: Comparison,
    pub evaluation_periods: u32,
    pub datapoints_to_alarm: u32,
    pub treat_missing: TreatMissing,
}
