//! The simulator's view of the metric catalogue ([`crate::metric`]): the
//! metrics a `[sim]` profile may name in policies and alarms are the ones
//! the simulator publishes, and each has a dense slot in its metric store.
//! The facts about every metric (names, namespaces, periods, dimensions)
//! live in the catalogue; this file only narrows it.

pub use crate::metric::{MetricId, SIMULATED_COUNT as METRIC_COUNT, Stat};

impl MetricId {
    /// Every metric the simulator publishes, in its order.
    pub const ALL: [MetricId; METRIC_COUNT] = MetricId::SIMULATED;

    /// The metric's slot in the simulator's store (simulated metrics come
    /// first in the catalogue, so it is the discriminant).
    pub fn index(self) -> usize {
        debug_assert!(self.spec().simulated, "{self:?} is not simulated");
        self as usize
    }

    /// A simulated metric by its CloudWatch name; `None` for any other,
    /// including catalogue metrics the simulator does not publish.
    pub fn from_name(name: &str) -> Option<MetricId> {
        MetricId::of_name(name).filter(|m| m.spec().simulated)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_simulated_metrics_parse() {
        assert_eq!(
            MetricId::from_name("InvocationsPerInstance"),
            Some(MetricId::InvocationsPerInstance)
        );
        assert_eq!(MetricId::from_name("MemoryUtilization"), None);
        for (i, m) in MetricId::ALL.into_iter().enumerate() {
            assert_eq!(m.index(), i);
        }
    }
}
