//! SageMaker's side of a capacity change (UpdateEndpointWeightsAndCapacities):
//! instances launching and terminating, and the endpoint's status.
//!
//! A scale out launches its instances together; they enter service after
//! one draw of `sim.instance.launch_time` ("several minutes"; AWS publishes
//! no number). A scale in first cancels launches not yet in service, newest
//! first, then takes instances out after `sim.instance.termination_time`.
//! The endpoint is `Updating` while anything is pending and `InService`
//! otherwise; `CurrentInstanceCount` counts instances in service and
//! `DesiredInstanceCount` what was last asked for.

#[derive(Debug, Clone, PartialEq)]
struct Batch {
    at: f64,
    count: u32,
    /// The scaling activity it completes.
    activity: Option<usize>,
    launch: bool,
}

/// Pending capacity changes.
#[derive(Debug, Default)]
pub struct Fleet {
    pending: Vec<Batch>,
}

/// What became due.
#[derive(Debug, Default, PartialEq)]
pub struct Due {
    pub launched: u32,
    pub terminated: u32,
    /// Activities whose change is complete.
    pub completed: Vec<usize>,
}

impl Fleet {
    pub fn is_updating(&self) -> bool {
        !self.pending.is_empty()
    }

    fn pending_launch(&self) -> u32 {
        self.pending
            .iter()
            .filter(|b| b.launch)
            .map(|b| b.count)
            .sum()
    }

    fn pending_termination(&self) -> u32 {
        self.pending
            .iter()
            .filter(|b| !b.launch)
            .map(|b| b.count)
            .sum()
    }

    /// Moves towards `desired` from `in_service` instances at `now`;
    /// `launch_s` and `terminate_s` are how long each takes.
    pub fn apply(
        &mut self,
        now: f64,
        in_service: u32,
        desired: u32,
        activity: Option<usize>,
        launch_s: f64,
        terminate_s: f64,
    ) {
        let planned =
            (in_service + self.pending_launch()).saturating_sub(self.pending_termination());
        if desired > planned {
            // Cancel pending terminations first, then launch the rest.
            let mut need = desired - planned;
            for b in self.pending.iter_mut().rev().filter(|b| !b.launch) {
                let k = b.count.min(need);
                b.count -= k;
                need -= k;
            }
            if need > 0 {
                self.pending.push(Batch {
                    at: now + launch_s,
                    count: need,
                    activity,
                    launch: true,
                });
                return;
            }
        } else if desired < planned {
            let mut extra = planned - desired;
            for b in self.pending.iter_mut().rev().filter(|b| b.launch) {
                let k = b.count.min(extra);
                b.count -= k;
                extra -= k;
            }
            if extra > 0 {
                self.pending.push(Batch {
                    at: now + terminate_s,
                    count: extra,
                    activity,
                    launch: false,
                });
                return;
            }
        }
        // Nothing left to wait for: the change completes when whatever is
        // pending does (or now).
        let at = self.pending.iter().map(|b| b.at).fold(now, f64::max);
        self.pending.push(Batch {
            at,
            count: 0,
            activity,
            launch: true,
        });
    }

    /// The next completion time.
    pub fn next_event(&self) -> f64 {
        self.pending
            .iter()
            .map(|b| b.at)
            .fold(f64::INFINITY, f64::min)
    }

    /// Completes what is due at `now`.
    pub fn complete(&mut self, now: f64) -> Due {
        let mut due = Due::default();
        self.pending.retain(|b| {
            if b.at > now + 1e-9 {
                return true;
            }
            if b.launch {
                due.launched += b.count;
            } else {
                due.terminated += b.count;
            }
            due.completed.extend(b.activity);
            false
        });
        due
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scale_out_then_in_cancels_pending_launches() {
        let mut f = Fleet::default();
        f.apply(0.0, 1, 3, Some(0), 300.0, 60.0);
        assert!(f.is_updating());
        f.apply(10.0, 1, 2, Some(1), 300.0, 60.0);
        assert_eq!(f.complete(299.0), Due::default());
        let due = f.complete(300.0);
        assert_eq!(due.launched, 1);
        assert_eq!(due.completed, vec![0, 1]);
        assert!(!f.is_updating());
        f.apply(400.0, 2, 1, Some(2), 300.0, 60.0);
        let due = f.complete(460.0);
        assert_eq!(due.terminated, 1);
    }
}
