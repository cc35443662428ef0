//! Scheduled actions (`PutScheduledAction`): at their times they set the
//! scalable target's MinCapacity and/or MaxCapacity; the autoscaler then
//! moves the desired count into the new bounds. They ignore cooldowns.

use super::super::policy::ScheduledActionConfig;
use super::super::schedule::Schedule;

/// Where a UTC-dependent schedule is: the run's start in UTC seconds.
pub struct ClockMap {
    /// Seconds of the run start since the Unix epoch.
    pub start_epoch_s: f64,
}

/// One scheduled action and when it next fires.
#[derive(Debug)]
pub struct ScheduledAction {
    pub cfg: ScheduledActionConfig,
    /// Next time to fire (or to check, for cron), seconds into the run.
    pub next: f64,
}

impl ScheduledAction {
    pub fn new(cfg: &ScheduledActionConfig, clock: &ClockMap) -> ScheduledAction {
        let next = match &cfg.schedule {
            Schedule::AtOffset { offset_s } => *offset_s,
            Schedule::AtUtc { at } => {
                let t = at.and_utc().timestamp() as f64 - clock.start_epoch_s;
                if t < 0.0 { f64::INFINITY } else { t }
            }
            Schedule::Rate { every_s } => *every_s,
            // First whole UTC minute at or after the start.
            Schedule::Cron { .. } => {
                (clock.start_epoch_s / 60.0).ceil() * 60.0 - clock.start_epoch_s
            }
        };
        ScheduledAction {
            cfg: cfg.clone(),
            next,
        }
    }

    /// Whether the action is due at `now`; if so, moves `next` on and says
    /// whether it fires (a cron expression is checked once a minute and
    /// fires only in a matching minute).
    pub fn take_due(&mut self, now: f64, clock: &ClockMap) -> bool {
        if self.next > now + 1e-9 {
            return false;
        }
        match &self.cfg.schedule {
            Schedule::AtOffset { .. } | Schedule::AtUtc { .. } => {
                self.next = f64::INFINITY;
                true
            }
            Schedule::Rate { every_s } => {
                self.next += every_s;
                true
            }
            Schedule::Cron { cron, .. } => {
                let at =
                    chrono::DateTime::from_timestamp((clock.start_epoch_s + now).round() as i64, 0);
                self.next += 60.0;
                at.is_some_and(|at| cron.matches(at))
            }
        }
    }
}
