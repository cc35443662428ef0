//! The lag chain's last links: desired count changes → capacity in
//! service, and what to say when capacity never came.

use super::{Chain, DESIRED, Direction, IN_SERVICE, direction_of_activity, num, round3};
use crate::journal::record::{ActivityRecord, EndpointRecord, EndpointStatus};
use crate::timeline::Timeline;

/// Whether `count` has reached `goal` moving in `dir` (at least it for
/// scale-out, at most it for scale-in; exactly it when the direction is
/// unknown).
pub(super) fn reaches(dir: Option<Direction>, count: u32, goal: u32) -> bool {
    match dir {
        Some(Direction::Out) => count >= goal,
        Some(Direction::In) => count <= goal,
        None => count == goal,
    }
}

/// When an activity's capacity came into service: the first endpoint record
/// from `from` on whose instances in service reached `goal`, with the
/// endpoint InService, or still Updating only because a later activity
/// moved the desired count further (a second scale-out raising 7 to 8 while
/// the first 7 launched: the 7 are serving before the 8th is).
pub(super) fn in_service_at(
    tl: &Timeline,
    from: f64,
    dir: Option<Direction>,
    goal: u32,
) -> Option<&EndpointRecord> {
    tl.endpoint.iter().find(|e| {
        e.t >= from - 1e-9
            && reaches(dir, e.current, goal)
            && (e.status == EndpointStatus::InService
                || (e.desired != goal && reaches(dir, e.desired, goal)))
    })
}

/// Desired count changes → capacity in service; returns when capacity came.
pub(super) fn capacity_links(tl: &Timeline, chain: &mut Chain, a: &ActivityRecord) -> Option<f64> {
    let dir = direction_of_activity(a);
    let target = a.to;
    let before = tl
        .endpoint
        .iter()
        .rfind(|e| e.t < a.start)
        .map(|e| e.desired);
    // A later activity may have moved desired further before the observer
    // saw it at this one's count, hence "reaches" rather than "equals".
    let desired = tl.endpoint.iter().find(|e| {
        e.t >= a.start - 1e-9
            && match target {
                Some(t) => reaches(dir, e.desired, t),
                None => Some(e.desired) != before,
            }
    });
    let Some(desired) = desired else {
        chain.missing(
            DESIRED,
            match target {
                Some(t) => format!("desired count never became {t}"),
                None => "desired count never changed".into(),
            },
        );
        return None;
    };
    chain.at(
        DESIRED,
        desired.t,
        Some(format!(
            "desired {} → {}",
            before.map(|b| b.to_string()).unwrap_or("?".into()),
            desired.desired
        )),
    );
    let goal = target.unwrap_or(desired.desired);
    match in_service_at(tl, desired.t, dir, goal) {
        Some(r) => {
            let detail = if r.status == EndpointStatus::InService {
                format!("InService with {}", r.current)
            } else {
                format!(
                    "{} in service ({} to {} for a later activity)",
                    r.current, r.status, r.desired
                )
            };
            chain.at(IN_SERVICE, r.t, Some(detail));
            Some(r.t)
        }
        None => {
            chain.missing(IN_SERVICE, never_in_service(tl, desired.t, dir, goal));
            None
        }
    }
}

/// "capacity never in service: last seen Updating with 5 of 7 instances
/// (1200 s)": the endpoint's state when the chain was cut short, at the
/// end of the run or when a later change took desired back from `goal`.
fn never_in_service(tl: &Timeline, from: f64, dir: Option<Direction>, goal: u32) -> String {
    let after: Vec<&EndpointRecord> = tl.endpoint.iter().filter(|e| e.t >= from - 1e-9).collect();
    let reversed = after.iter().position(|e| !reaches(dir, e.desired, goal));
    let seen = &after[..reversed.unwrap_or(after.len())];
    let mut s = match seen.last() {
        Some(last) => format!(
            "capacity never in service: last seen {} with {} of {} instances ({} s)",
            last.status,
            last.current,
            last.desired,
            num(round3(last.t))
        ),
        None => "capacity never in service".into(),
    };
    if let Some(r) = reversed.map(|i| after[i]) {
        s.push_str(&format!(
            "; then desired became {} at {} s",
            r.desired,
            num(round3(r.t))
        ));
    }
    s
}
