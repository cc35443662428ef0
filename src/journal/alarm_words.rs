//! An alarm's condition in the words the CloudWatch console uses:
//! `InvocationsPerInstance (Sum) > 1500 for 3 datapoints within 3 minutes`.
//!
//! Why: a user asking "why did it take so long to scale?" needs the rule
//! that made it wait, and target tracking's alarms are created and owned by
//! AWS, so nobody wrote them down. Target tracking's pair for a target of
//! 1500 reads "> 1500 for 3 datapoints within 3 minutes" (scale out) and
//! "< 1350 for 15 datapoints within 15 minutes" (scale in, 90 % of the
//! target); see `SAGEMAKER.md`. Every report that names an alarm states its
//! condition through [`AlarmConfigRecord::condition`], so they all say the
//! same thing.

use super::record::AlarmConfigRecord;

impl AlarmConfigRecord {
    /// The condition as the console states it: metric (statistic),
    /// comparison, threshold, M of N datapoints, and the window N periods
    /// span.
    pub fn condition(&self) -> String {
        condition_words(self, self.treat_missing_data.as_deref())
    }
}

/// [`AlarmConfigRecord::condition`], followed by how missing data is treated
/// when `treat_missing` (CloudWatch's TreatMissingData) is anything but the
/// default `missing`: it changes when an alarm with gaps fires, so a reader
/// must see it.
pub fn condition_words(c: &AlarmConfigRecord, treat_missing: Option<&str>) -> String {
    let metric = if c.stat.is_empty() {
        c.metric.clone()
    } else {
        format!("{} ({})", c.metric, c.stat)
    };
    let n = c.evaluation_periods.max(1);
    let m = c.datapoints_to_alarm.clamp(1, n);
    let datapoints = if m == n {
        plural(n as u64, "datapoint")
    } else {
        format!("{m} of {}", plural(n as u64, "datapoint"))
    };
    let mut s = format!(
        "{metric} {} {} for {datapoints} within {}",
        c.comparison.symbol(),
        threshold_words(c.threshold),
        span_words(n as u64 * c.period_s as u64)
    );
    match treat_missing {
        None | Some("missing") | Some("") => {}
        Some("breaching") => s.push_str(", missing data treated as breaching"),
        Some("notBreaching") => s.push_str(", missing data treated as not breaching"),
        Some("ignore") => s.push_str(", missing data ignored (the alarm keeps its state)"),
        Some(other) => s.push_str(&format!(", TreatMissingData {other}")),
    }
    s
}

/// A threshold as typed: `1500`, `0.5`, `1350.25`; float noise from
/// computing 90 % of a target (`1349.9999999`) rounded away.
pub fn threshold_words(v: f64) -> String {
    let r = (v * 1e6).round() / 1e6;
    if r == r.trunc() && r.abs() < 1e15 {
        format!("{r:.0}")
    } else {
        format!("{r}")
    }
}

/// How long N periods last, as the console says it: "3 minutes",
/// "30 seconds", "1 hour", "90 seconds".
pub fn span_words(seconds: u64) -> String {
    if seconds > 0 && seconds.is_multiple_of(3600) {
        plural(seconds / 3600, "hour")
    } else if seconds > 0 && seconds.is_multiple_of(60) {
        plural(seconds / 60, "minute")
    } else {
        plural(seconds, "second")
    }
}

fn plural(n: u64, word: &str) -> String {
    if n == 1 {
        format!("1 {word}")
    } else {
        format!("{n} {word}s")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn alarm(comparison: &str, threshold: f64, period_s: u32, m: u32, n: u32) -> AlarmConfigRecord {
        AlarmConfigRecord {
            t: 0.0,
            name: "a".into(),
            namespace: "AWS/SageMaker".into(),
            metric: "InvocationsPerInstance".into(),
            stat: "Sum".into(),
            comparison: comparison.into(),
            threshold,
            period_s,
            evaluation_periods: n,
            datapoints_to_alarm: m,
            policy: None,
            treat_missing_data: None,
        }
    }

    #[test]
    fn the_recorded_treat_missing_data_is_part_of_the_condition() {
        let mut a = alarm("LessThanThreshold", 1350.0, 60, 15, 15);
        a.treat_missing_data = Some("missing".into());
        assert_eq!(
            a.condition(),
            "InvocationsPerInstance (Sum) < 1350 for 15 datapoints within 15 minutes"
        );
        a.treat_missing_data = Some("breaching".into());
        assert_eq!(
            a.condition(),
            "InvocationsPerInstance (Sum) < 1350 for 15 datapoints within 15 minutes, missing data treated as breaching"
        );
    }

    #[test]
    fn target_tracking_at_1500_reads_as_the_console_does() {
        // What a user saw in the CloudWatch console for target 1500.
        assert_eq!(
            alarm("GreaterThanThreshold", 1500.0, 60, 3, 3).condition(),
            "InvocationsPerInstance (Sum) > 1500 for 3 datapoints within 3 minutes"
        );
        assert_eq!(
            alarm("LessThanThreshold", 1500.0 * 0.9, 60, 15, 15).condition(),
            "InvocationsPerInstance (Sum) < 1350 for 15 datapoints within 15 minutes"
        );
    }

    #[test]
    fn m_of_n_comparisons_and_short_periods() {
        assert_eq!(
            alarm("GreaterThanOrEqualToThreshold", 600.0, 60, 2, 3).condition(),
            "InvocationsPerInstance (Sum) >= 600 for 2 of 3 datapoints within 3 minutes"
        );
        assert_eq!(
            alarm("LessThanOrEqualToThreshold", 0.5, 10, 3, 3).condition(),
            "InvocationsPerInstance (Sum) <= 0.5 for 3 datapoints within 30 seconds"
        );
        assert_eq!(
            alarm("GreaterThanThreshold", 4.0, 30, 3, 3).condition(),
            "InvocationsPerInstance (Sum) > 4 for 3 datapoints within 90 seconds"
        );
        assert_eq!(
            alarm("GreaterThanThreshold", 80.0, 3600, 1, 1).condition(),
            "InvocationsPerInstance (Sum) > 80 for 1 datapoint within 1 hour"
        );
        let mut c = alarm("LessThanLowerOrGreaterThanUpperThreshold", 2.0, 60, 1, 1);
        c.stat = "p99".into();
        assert_eq!(
            c.condition(),
            "InvocationsPerInstance (p99) LessThanLowerOrGreaterThanUpperThreshold 2 for 1 datapoint within 1 minute"
        );
    }

    #[test]
    fn treat_missing_data_is_said_unless_it_is_the_default() {
        let c = alarm("GreaterThanOrEqualToThreshold", 1.0, 60, 2, 2);
        let base = "InvocationsPerInstance (Sum) >= 1 for 2 datapoints within 2 minutes";
        assert_eq!(condition_words(&c, Some("missing")), base);
        assert_eq!(condition_words(&c, None), base);
        assert_eq!(
            condition_words(&c, Some("breaching")),
            format!("{base}, missing data treated as breaching")
        );
        assert_eq!(
            condition_words(&c, Some("notBreaching")),
            format!("{base}, missing data treated as not breaching")
        );
        assert_eq!(
            condition_words(&c, Some("ignore")),
            format!("{base}, missing data ignored (the alarm keeps its state)")
        );
    }

    #[test]
    fn thresholds_keep_their_digits_and_lose_float_noise() {
        assert_eq!(threshold_words(1350.0000000000002), "1350");
        assert_eq!(threshold_words(2160.0), "2160");
        assert_eq!(threshold_words(1350.25), "1350.25");
        assert_eq!(threshold_words(-1.5), "-1.5");
    }
}
