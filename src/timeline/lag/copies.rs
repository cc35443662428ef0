//! The lag chain's last links for an inference component: copies desired
//! → instances launched (only when managed instance scaling had to add
//! some) → copies in service.
//!
//! Application Auto Scaling moves an inference component's
//! `DesiredCopyCount` (`ResourceId = inference-component/<name>`), so its
//! activities count copies, read from the [`CopiesRecord`]s
//! (`DescribeInferenceComponent`: `RuntimeConfig.DesiredCopyCount` /
//! `CurrentCopyCount`); the endpoint's instances, which managed instance
//! scaling adds when copies don't fit, are the [`EndpointRecord`]s. A copy
//! that needs a new instance waits for it, so the instances link comes
//! before the copies are in service.
//! <https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_DescribeInferenceComponent.html>
//! <https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_ProductionVariantManagedInstanceScaling.html>
//!
//! The copies' own links follow the production variant's rules
//! ([`super::capacity`]) on the copy counts.

use super::capacity::capacity_links;
use super::{ACTIVITY, Chain, DESIRED, Direction, IN_SERVICE, direction_of_activity};
use crate::histogram;
use crate::journal::JournalData;
use crate::journal::record::{ActivityRecord, CopiesRecord, EndpointRecord};
use crate::timeline::{Timeline, TimelineError};

pub const COPIES_DESIRED: &str = "copies desired";
pub const INSTANCES_LAUNCHED: &str = "instances launched";
pub const COPIES_IN_SERVICE: &str = "copies in service";

/// The copy counts in the endpoint records' shape (status, current,
/// desired), for the rules the variant's chain and the timeline already
/// follow.
pub fn as_counts(copies: &[CopiesRecord]) -> Vec<EndpointRecord> {
    copies
        .iter()
        .map(|c| EndpointRecord {
            t: c.t,
            status: c.status.as_str().into(),
            variant: c.component.clone(),
            current: c.current,
            desired: c.desired,
        })
        .collect()
}

/// The variant's capacity links, or with copies in the journal the
/// inference component's; returns when capacity came into service.
pub(super) fn capacity_or_copy_links(
    tl: &Timeline,
    chain: &mut Chain,
    a: &ActivityRecord,
) -> Option<f64> {
    if tl.copies.is_empty() {
        return capacity_links(tl, chain, a);
    }
    // The activity moved copies, not instances.
    if let Some(l) = chain.links.iter_mut().rfind(|l| l.name == ACTIVITY) {
        l.detail = l
            .detail
            .as_ref()
            .map(|d| d.replace(" instances", " copies"));
    }
    let copies = Timeline {
        endpoint: as_counts(&tl.copies),
        ..Timeline::default()
    };
    let mut scratch = Chain {
        started_at: chain.started_at,
        links: Vec::new(),
        last: chain.last,
    };
    let ready = capacity_links(&copies, &mut scratch, a);
    let link = |name: &str| scratch.links.iter().find(|l| l.name == name);
    let desired = link(DESIRED)?;
    let Some(desired_t) = desired.t_s else {
        chain.missing(
            COPIES_DESIRED,
            copies_words(desired.missing.as_deref().unwrap_or_default()),
        );
        return None;
    };
    chain.at(COPIES_DESIRED, desired_t, desired.detail.clone());
    if direction_of_activity(a) == Some(Direction::Out)
        && let Some((t, detail)) = launched(tl, desired_t, ready)
    {
        chain.at(INSTANCES_LAUNCHED, t, Some(detail));
    }
    match (ready, link(IN_SERVICE)) {
        (Some(t), Some(l)) => chain.at(COPIES_IN_SERVICE, t, l.detail.clone()),
        (_, l) => chain.missing(
            COPIES_IN_SERVICE,
            copies_words(
                l.and_then(|l| l.missing.as_deref())
                    .unwrap_or("copies never in service"),
            ),
        ),
    }
    ready
}

/// The p99 time to first token of the streamed responses completed in
/// intervals overlapping `(from, to)`, as [`Timeline::window`] counts
/// latency: what users of an LLM endpoint felt while it was short of
/// copies. `None` when nothing streamed there.
pub(super) fn window_ttft_p99(
    data: &JournalData,
    from: f64,
    to: f64,
) -> Result<Option<f64>, TimelineError> {
    let mut h = histogram::new_hist();
    for i in data.intervals() {
        if let Some(s) = &i.stream
            && i.t > from
            && i.start < to
            && s.responses > 0
        {
            h.add(histogram::decode(&s.ttft)?)?;
        }
    }
    Ok((!h.is_empty()).then(|| histogram::quantile_ms(&h, 0.99)))
}

/// The variant's words about instances, said of copies.
fn copies_words(s: &str) -> String {
    s.replace("desired count", "desired copy count")
        .replace("capacity never", "copies never")
        .replace(" instances (", " copies (")
}

/// When managed instance scaling had to add instances for copies desired
/// at `from`: the first endpoint record from `from` on (before the copies
/// were in service at `until`) asking for more instances than before, and
/// when that many were in service.
fn launched(tl: &Timeline, from: f64, until: Option<f64>) -> Option<(f64, String)> {
    let end = until.unwrap_or(f64::INFINITY) + 1e-9;
    let before = tl
        .endpoint
        .iter()
        .rfind(|e| e.t < from - 1e-9)
        .map(|e| e.desired)
        .unwrap_or(0);
    let grown = tl
        .endpoint
        .iter()
        .find(|e| e.t >= from - 1e-9 && e.t <= end && e.desired > before)?;
    let goal = grown.desired;
    let up = tl
        .endpoint
        .iter()
        .find(|e| e.t >= grown.t - 1e-9 && e.t <= end && e.current >= goal)?;
    Some((
        up.t,
        format!(
            "{} → {} instances in service (managed instance scaling)",
            before, up.current
        ),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::journal::record::{ActivityStatus, EndpointStatus};

    fn copies(t: f64, status: &str, current: u32, desired: u32) -> CopiesRecord {
        CopiesRecord {
            t,
            component: "ic".into(),
            status: status.into(),
            current,
            desired,
        }
    }

    fn endpoint(t: f64, status: EndpointStatus, current: u32, desired: u32) -> EndpointRecord {
        EndpointRecord {
            t,
            status,
            variant: "AllTraffic".into(),
            current,
            desired,
        }
    }

    fn activity(start: f64, from: u32, to: u32) -> ActivityRecord {
        ActivityRecord {
            t: start,
            id: "a".into(),
            start,
            end: None,
            status: ActivityStatus::InProgress,
            cause: "monitor alarm".into(),
            description: String::new(),
            from: Some(from),
            to: Some(to),
            not_scaled: Vec::new(),
        }
    }

    fn chain() -> Chain {
        Chain {
            started_at: chrono::DateTime::UNIX_EPOCH,
            links: Vec::new(),
            last: Some(120.0),
        }
    }

    fn names(c: &Chain) -> Vec<(&str, Option<f64>, Option<f64>)> {
        c.links
            .iter()
            .map(|l| (l.name.as_str(), l.t_s, l.delta_s))
            .collect()
    }

    /// 0 → 1 copy at 120 s: an instance launched by 360 s, the copy in
    /// service at 420 s.
    #[test]
    fn copies_desired_then_instances_then_copies_in_service() {
        let tl = Timeline {
            copies: vec![
                copies(0.0, "InService", 0, 0),
                copies(120.0, "Updating", 0, 1),
                copies(420.0, "InService", 1, 1),
            ],
            endpoint: vec![
                endpoint(0.0, EndpointStatus::InService, 0, 0),
                endpoint(120.0, EndpointStatus::Updating, 0, 1),
                endpoint(360.0, EndpointStatus::InService, 1, 1),
            ],
            ..Timeline::default()
        };
        let mut c = chain();
        let ready = capacity_or_copy_links(&tl, &mut c, &activity(120.0, 0, 1));
        assert_eq!(ready, Some(420.0));
        assert_eq!(
            names(&c),
            vec![
                (COPIES_DESIRED, Some(120.0), Some(0.0)),
                (INSTANCES_LAUNCHED, Some(360.0), Some(240.0)),
                (COPIES_IN_SERVICE, Some(420.0), Some(60.0)),
            ]
        );
        assert_eq!(
            c.links[1].detail.as_deref(),
            Some("0 → 1 instances in service (managed instance scaling)")
        );
    }

    /// A copy that fits on an instance in service: no instances link.
    #[test]
    fn no_instances_link_when_the_copy_fits() {
        let tl = Timeline {
            copies: vec![
                copies(0.0, "InService", 1, 1),
                copies(600.0, "Updating", 1, 2),
                copies(660.0, "InService", 2, 2),
            ],
            endpoint: vec![endpoint(0.0, EndpointStatus::InService, 1, 1)],
            ..Timeline::default()
        };
        let mut c = chain();
        assert_eq!(
            capacity_or_copy_links(&tl, &mut c, &activity(600.0, 1, 2)),
            Some(660.0)
        );
        assert_eq!(
            names(&c).iter().map(|l| l.0).collect::<Vec<_>>(),
            vec![COPIES_DESIRED, COPIES_IN_SERVICE]
        );
    }

    /// Copies that never come are named as copies.
    #[test]
    fn copies_never_in_service_say_so() {
        let tl = Timeline {
            copies: vec![
                copies(0.0, "InService", 2, 2),
                copies(100.0, "Updating", 2, 5),
            ],
            ..Timeline::default()
        };
        let mut c = chain();
        assert_eq!(
            capacity_or_copy_links(&tl, &mut c, &activity(100.0, 2, 5)),
            None
        );
        let missing = c.links[1].missing.as_deref().unwrap();
        assert!(
            missing.starts_with("copies never in service: last seen Updating with 2 of 5 copies"),
            "{missing}"
        );
    }

    /// The TTFT of the streamed responses in the window's intervals, and
    /// none without streams.
    #[test]
    fn ttft_p99_of_the_window() {
        use crate::fixture::{JournalBuilder, profile};
        use crate::journal::record::Record;
        use crate::journal::stream::StreamIntervalRecord;
        let mut b = JournalBuilder::new(profile("p", &[("p", 30.0, 1.0)]));
        for (k, ms) in [(0u32, 100.0), (1, 9000.0), (2, 100.0)] {
            let start = 10.0 * f64::from(k);
            b.interval(start, start + 10.0, 1, 0, 50.0, 50.0);
            let mut h = histogram::new_hist();
            histogram::record(&mut h, std::time::Duration::from_secs_f64(ms / 1000.0));
            if let Some(Record::Interval(i)) = b.records.last_mut() {
                i.stream = Some(StreamIntervalRecord {
                    responses: 1,
                    parts: 1,
                    tokens: 1,
                    ttft: histogram::encode(&h),
                    inter_token: histogram::encode(&histogram::new_hist()),
                    tokens_per_response: histogram::encode(&histogram::new_hist()),
                });
            }
        }
        let data = b.build();
        let p99 = window_ttft_p99(&data, 10.0, 20.0).unwrap().unwrap();
        assert!((p99 - 9000.0).abs() < 10.0, "{p99}");
        let p99 = window_ttft_p99(&data, 20.0, 30.0).unwrap().unwrap();
        assert!((p99 - 100.0).abs() < 1.0, "{p99}");
        let mut plain = JournalBuilder::new(profile("p", &[("p", 10.0, 1.0)]));
        plain.interval(0.0, 10.0, 1, 0, 50.0, 50.0);
        assert_eq!(window_ttft_p99(&plain.build(), 0.0, 10.0).unwrap(), None);
    }
}
