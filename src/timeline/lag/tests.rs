//! The lag analysis on constructed journals whose timestamps are known
//! (see [`crate::fixture`]).

use super::*;
use crate::fixture;
use crate::timeline::Timeline;

fn analysis(data: &JournalData) -> LagAnalysis {
    let tl = Timeline::build(data).unwrap();
    let slo: Option<Slo> = serde_json::from_value(data.info.profile["slo"].clone()).unwrap();
    analyze(data, &tl, slo.as_ref()).unwrap()
}

fn chain(e: &Episode) -> Vec<(String, Option<f64>, Option<f64>)> {
    e.links
        .iter()
        .map(|l| (l.name.clone(), l.t_s, l.delta_s))
        .collect()
}

fn s(v: &[(&str, f64, Option<f64>)]) -> Vec<(String, Option<f64>, Option<f64>)> {
    v.iter()
        .map(|(n, t, d)| (n.to_string(), Some(*t), *d))
        .collect()
}

#[test]
fn scale_out_chain_matches_the_journal() {
    let a = analysis(&fixture::scale_out_and_in());
    assert_eq!(a.episodes.len(), 2, "{:#?}", a.episodes);
    let out = &a.episodes[0];
    assert_eq!(out.direction, Direction::Out);
    assert_eq!(
        chain(out),
        s(&[
            (LOAD_CHANGE, 300.0, None),
            (PAST_THRESHOLD, 360.0, Some(60.0)),
            (READABLE, 419.0, Some(59.0)),
            (ALARM, 540.0, Some(121.0)),
            (ACTIVITY, 545.0, Some(5.0)),
            (DESIRED, 550.0, Some(5.0)),
            (IN_SERVICE, 905.0, Some(355.0)),
            (WITHIN_SLO, 910.0, Some(5.0)),
        ])
    );
    assert_eq!(out.total_s, Some(605.0));
    assert_eq!(out.links[0].at.as_deref(), Some("2026-01-05T10:05:00.000Z"));
    assert_eq!(out.missing(), None);
    // Under-provisioned from 300 s to 905 s: the intervals 300–910 at 30/s.
    let i = &out.impact;
    assert!(i.until_in_service);
    assert_eq!(i.requests, 61 * 300);
    assert!(i.p99_ms.unwrap() > 2000.0, "{i:?}");
    assert!((i.error_rate - 0.02).abs() < 1e-9, "{i:?}");
}

#[test]
fn scale_in_chain_starts_at_the_load_drop() {
    let a = analysis(&fixture::scale_out_and_in());
    let inn = &a.episodes[1];
    assert_eq!(inn.direction, Direction::In);
    assert_eq!(
        chain(inn),
        s(&[
            (LOAD_CHANGE, 1200.0, None),
            (PAST_THRESHOLD, 1260.0, Some(60.0)),
            (READABLE, 1319.0, Some(59.0)),
            (ALARM, 2160.0, Some(841.0)),
            (ACTIVITY, 2165.0, Some(5.0)),
            (DESIRED, 2170.0, Some(5.0)),
            (IN_SERVICE, 2290.0, Some(120.0)),
            (WITHIN_SLO, 2290.0, Some(0.0)),
        ])
    );
    assert_eq!(inn.total_s, Some(1090.0));
    assert_eq!(inn.impact.error_rate, 0.0);
}

#[test]
fn publishing_delay_and_launch_time_are_measured() {
    let a = analysis(&fixture::scale_out_and_in());
    assert_eq!(a.scaling.publishing_delay.median_s, Some(52.0));
    assert_eq!(a.scaling.publishing_delay.max_s, Some(59.0));
    assert_eq!(a.scaling.launch.count, 1);
    assert_eq!(a.scaling.launch.median_s, Some(360.0));
    assert_eq!(a.scaling.max_instances, Some(3));
}

#[test]
fn a_short_spike_names_the_missing_alarm() {
    let a = analysis(&fixture::short_spike());
    let out = &a.episodes[0];
    assert_eq!(out.direction, Direction::Out);
    let names: Vec<&str> = out.links.iter().map(|l| l.name.as_str()).collect();
    assert_eq!(names, [LOAD_CHANGE, PAST_THRESHOLD, READABLE, ALARM]);
    assert_eq!(
        out.missing(),
        Some("alarm never fired: 2 of 3 datapoints breached")
    );
    assert_eq!(out.total_s, None);
    assert!(!out.impact.until_in_service);
    // The drop back is a scale-in episode whose alarm also never fired.
    let inn = &a.episodes[1];
    assert_eq!(inn.direction, Direction::In);
    assert_eq!(
        inn.missing(),
        Some("alarm never fired: 8 of 15 datapoints breached")
    );
}

#[test]
fn an_activity_without_a_load_change_gets_its_own_chain() {
    let mut data = fixture::short_spike();
    let mut b = fixture::JournalBuilder::new(data.info.profile.clone());
    b.activity("scheduled", 600.0, 700.0, 1, 2, "scheduled action");
    b.endpoint(601.0, "Updating", 1, 2);
    b.endpoint(700.0, "InService", 2, 2);
    data.records.extend(b.records);
    data.records.sort_by(|a, b| a.t().total_cmp(&b.t()));
    let a = analysis(&data);
    let e = a
        .episodes
        .iter()
        .find(|e| e.cause.contains("scheduled"))
        .unwrap();
    assert_eq!(
        chain(e),
        s(&[
            (ACTIVITY, 600.0, None),
            (DESIRED, 601.0, Some(1.0)),
            (IN_SERVICE, 700.0, Some(99.0)),
            (WITHIN_SLO, 700.0, Some(0.0)),
        ])
    );
    assert_eq!(e.total_s, Some(100.0));
}

#[test]
fn gaps_in_the_metric_stay_gaps() {
    let mut data = fixture::short_spike();
    // Drop every datapoint after 600 s: an idle endpoint publishing nothing.
    data.records.retain(|r| match r {
        crate::journal::record::Record::Metric(m) => m.period_start < 600.0,
        _ => true,
    });
    let tl = Timeline::build(&data).unwrap();
    let (_, series) = tl.metric("InvocationsPerInstance").unwrap();
    assert_eq!(series.last().unwrap().period_start, 540.0);
    let a = analysis(&data);
    assert_eq!(
        a.episodes[1].missing(),
        Some("alarm never fired: 3 of 15 datapoints breached; 5 periods had no datapoint")
    );
}

/// Adds records to a fixture journal, in time order.
fn with(mut data: JournalData, add: impl FnOnce(&mut fixture::JournalBuilder)) -> JournalData {
    let mut b = fixture::JournalBuilder::new(data.info.profile.clone());
    add(&mut b);
    data.records.extend(b.records);
    data.records.sort_by(|a, b| a.t().total_cmp(&b.t()));
    data
}

#[test]
fn a_later_activity_raising_desired_does_not_hide_capacity_in_service() {
    use crate::journal::record::Record;
    // A second scale-out (3 → 4) starts while the first one's three
    // instances launch: the endpoint never reports InService with 3, but
    // the three serve from 905 s while it updates on to 4.
    let mut data = fixture::scale_out_and_in();
    data.records
        .retain(|r| !matches!(r, Record::Endpoint(e) if e.t == 905.0));
    let data = with(data, |b| {
        b.activity(
            "act-out-2",
            700.0,
            1000.0,
            3,
            4,
            "monitor alarm AlarmHigh in state ALARM",
        );
        b.endpoint(700.0, "Updating", 1, 4);
        b.endpoint(905.0, "Updating", 3, 4);
        b.endpoint(1000.0, "InService", 4, 4);
    });
    let a = analysis(&data);
    let out = &a.episodes[0];
    assert_eq!(out.missing(), None, "{out:#?}");
    let ready = out.links.iter().find(|l| l.name == IN_SERVICE).unwrap();
    assert_eq!(ready.t_s, Some(905.0));
    assert_eq!(
        ready.detail.as_deref(),
        Some("3 in service (Updating to 4 for a later activity)")
    );
    assert_eq!(out.total_s, Some(605.0));
    assert_eq!(out.impact.to_s, 905.0);
    // The second activity has its own chain, to InService with 4: a
    // follow-up, as AlarmHigh was still in ALARM (540–1020 s).
    let second = a
        .episodes
        .iter()
        .find(|e| e.links[0].name == ACTIVITY)
        .unwrap();
    assert_eq!(
        second.cause,
        format!(
            "follow-up 3 → 4 instances: {} still in ALARM since the load change at 300 s",
            fixture::ALARM_HIGH
        )
    );
    assert_eq!(
        chain(second)[..3],
        s(&[
            (ACTIVITY, 700.0, None),
            (DESIRED, 700.0, Some(0.0)),
            (IN_SERVICE, 1000.0, Some(300.0)),
        ])[..]
    );
    // Both launches measured: 545 → 905 and 700 → 1000.
    assert_eq!(a.scaling.launch.count, 2);
    assert_eq!(a.scaling.launch.max_s, Some(360.0));
}

#[test]
fn capacity_never_in_service_names_the_state_it_was_last_seen_in() {
    let data = with(fixture::short_spike(), |b| {
        b.activity("manual", 600.0, 650.0, 1, 2, "manual update");
        b.endpoint(601.0, "Updating", 1, 2);
    });
    let e = |a: &LagAnalysis| {
        a.episodes
            .iter()
            .find(|e| e.cause.contains("manual"))
            .unwrap()
            .missing()
            .map(str::to_string)
    };
    assert_eq!(
        e(&analysis(&data)).as_deref(),
        Some("capacity never in service: last seen Updating with 1 of 2 instances (601 s)")
    );
    // Called off before the instance came: the state before the reversal,
    // not the last record of the run.
    let data = with(data, |b| {
        b.endpoint(800.0, "Updating", 1, 1);
        b.endpoint(820.0, "InService", 1, 1);
    });
    assert_eq!(
        e(&analysis(&data)).as_deref(),
        Some(
            "capacity never in service: last seen Updating with 1 of 2 instances (601 s); \
             then desired became 1 at 800 s"
        )
    );
}

#[test]
fn activities_read_from_aws_without_a_from_count_still_join_their_chains() {
    use crate::journal::record::Record;
    // DescribeScalingActivities gives only "Setting desired instance count
    // to 3.": the count before comes from the endpoint.
    let full = fixture::scale_out_and_in();
    let mut aws = full.clone();
    for r in &mut aws.records {
        if let Record::Activity(a) = r {
            a.from = None;
        }
    }
    let (a, b) = (analysis(&full), analysis(&aws));
    assert_eq!(b.episodes, a.episodes);
    assert_eq!(b.scaling, a.scaling);
    let tl = Timeline::build(&aws).unwrap();
    let from: Vec<_> = tl.activities.iter().map(|a| a.from).collect();
    // The not-scaled activity keeps what it had.
    assert_eq!(from, [Some(1), Some(3), None]);
}

#[test]
fn the_alarm_link_states_the_alarms_condition() {
    let a = analysis(&fixture::scale_out_and_in());
    let detail = |e: &Episode| {
        e.links
            .iter()
            .find(|l| l.name == ALARM)
            .and_then(|l| l.detail.clone())
    };
    assert_eq!(
        detail(&a.episodes[0]).unwrap(),
        format!(
            "{}: InvocationsPerInstance (Sum) > 600 for 3 datapoints within 3 minutes",
            fixture::ALARM_HIGH
        )
    );
    assert_eq!(
        detail(&a.episodes[1]).unwrap(),
        format!(
            "{}: InvocationsPerInstance (Sum) < 540 for 15 datapoints within 15 minutes",
            fixture::ALARM_LOW
        )
    );
    // An alarm that never fired still says what it waited for.
    let spike = analysis(&fixture::short_spike());
    let alarm = spike.episodes[0].links.last().unwrap();
    assert_eq!(alarm.t_s, None);
    assert_eq!(
        alarm.detail.clone().unwrap(),
        format!(
            "{}: InvocationsPerInstance (Sum) > 600 for 3 datapoints within 3 minutes",
            fixture::ALARM_HIGH
        )
    );
}

#[test]
fn each_episode_says_where_its_time_went() {
    // Scale out: 300 → 480 s three breaching periods, 59 s publishing
    // (419 − 360), 1 s until ALARM at 540, 5 s to the activity, 360 s to
    // three in service at 905: 605 s in all.
    let a = analysis(&fixture::scale_out_and_in());
    assert_eq!(
        a.episodes[0].where_time_went.as_deref(),
        Some(
            "3 one-minute datapoints had to breach (3 min) + CloudWatch publishing (59 s) \
             + alarm evaluation (1 s) + autoscaler reaction (5 s) + launch (6 min) = 10 min 5 s"
        )
    );
    assert_eq!(
        a.episodes[1].where_time_went.as_deref(),
        Some(
            "15 one-minute datapoints had to breach (15 min) + CloudWatch publishing (59 s) \
             + alarm evaluation (1 s) + autoscaler reaction (5 s) + instance removal (2 min 5 s) \
             = 18 min 10 s"
        )
    );
    let spike = analysis(&fixture::short_spike());
    assert_eq!(
        spike.episodes[0].where_time_went.as_deref(),
        Some(
            "first datapoint past the threshold (1 min) + CloudWatch publishing (59 s), \
             then alarm never fired: 2 of 3 datapoints breached"
        )
    );
}

#[test]
fn where_the_time_went_adds_a_slow_metric_and_merges_an_early_alarm() {
    use crate::journal::record::Record;
    // The first breaching period starts a minute after the load change
    // (period 360–420 s, readable 45 s after it); the alarm fires at 600
    // and the activity starts at 605.
    let mut data = fixture::scale_out_and_in();
    for r in &mut data.records {
        match r {
            Record::Metric(m) if m.name == "InvocationsPerInstance" && m.period_start == 300.0 => {
                m.value = 500.0
            }
            Record::Alarm(a) if a.at == 540.0 => a.at = 600.0,
            Record::Activity(a) if a.id == "act-out-1" => a.start = 605.0,
            _ => {}
        }
    }
    let out = &analysis(&data).episodes[0];
    assert_eq!(
        out.where_time_went.as_deref(),
        Some(
            "metric not yet past the threshold (1 min) + 3 one-minute datapoints had to breach (3 min) \
             + CloudWatch publishing (45 s) + alarm evaluation (15 s) + autoscaler reaction (5 s) \
             + launch (5 min) = 10 min 5 s"
        ),
        "{out:#?}"
    );
    // The observer first read the first breaching datapoint late (500 s,
    // it polls), after the alarm had fired at 540 on the third: publishing
    // and evaluation are one stretch, 480 → 540 s, so the terms still add
    // up to the 605 s.
    let mut data = fixture::scale_out_and_in();
    for r in &mut data.records {
        if let Record::Metric(m) = r
            && m.name == "InvocationsPerInstance"
            && m.period_start == 300.0
        {
            m.t = 500.0;
        }
    }
    data.records.sort_by(|a, b| a.t().total_cmp(&b.t()));
    let out = &analysis(&data).episodes[0];
    assert_eq!(
        out.where_time_went.as_deref(),
        Some(
            "3 one-minute datapoints had to breach (3 min) + CloudWatch publishing and alarm \
             evaluation (1 min) + autoscaler reaction (5 s) + launch (6 min) = 10 min 5 s"
        ),
        "{out:#?}"
    );
    // A follow-up chain (no alarm of its own) is the launch alone.
    let data = with(fixture::scale_out_and_in(), |b| {
        b.activity(
            "act-out-2",
            1000.0,
            1300.0,
            3,
            4,
            "monitor alarm AlarmHigh in state ALARM",
        );
        b.endpoint(1001.0, "Updating", 3, 4);
        b.endpoint(1300.0, "InService", 4, 4);
    });
    let a = analysis(&data);
    let second = a
        .episodes
        .iter()
        .find(|e| e.links[0].name == ACTIVITY)
        .unwrap();
    assert_eq!(second.where_time_went.as_deref(), Some("launch (5 min)"));
}

/// moto stamps datapoints with its own clock: seen 52.6 s before their
/// period ended, the delay read "median −52.60 s". Those datapoints are
/// left out of the delay, counted, and the clock skew is named.
#[test]
fn datapoints_ahead_of_the_observers_clock_are_clock_skew_not_a_negative_delay() {
    let mut b = fixture::JournalBuilder::new(fixture::profile("skew", &[("p", 600.0, 1.0)]));
    // Two periods seen 52.6 s before they ended (7.4 s after they began,
    // by the observer's clock: in progress), one seen 70 s before it
    // ended (before it began), and one ordinary datapoint 60 s late.
    b.metric("Invocations", "Sum", 0.0, 1.0, 7.4);
    b.metric("Invocations", "Sum", 60.0, 1.0, 67.4);
    b.metric("Invocations", "Sum", 120.0, 1.0, 110.0);
    b.metric("Invocations", "Sum", 180.0, 1.0, 300.0);
    let a = analysis(&b.build());
    let s = &a.scaling;
    assert_eq!(
        (s.publishing_delay.count, s.publishing_delay.median_s),
        (1, Some(60.0))
    );
    let early = s.publishing_early.as_ref().unwrap();
    assert_eq!(
        (early.count, early.before_period_start, early.earliest_s),
        (3, 1, -70.0)
    );
    assert!(
        early.describe().contains("clock skew"),
        "{}",
        early.describe()
    );
    assert!(
        early.describe().contains("up to 70 s early"),
        "{}",
        early.describe()
    );
}
