//! Outcome classes: how one invocation ended, in the words a SageMaker
//! engineer uses (validation error, throttling, model error, …).
//!
//! Every target maps its own failures onto these classes so counts line up
//! across HTTP, real SageMaker and the simulator.

use serde::{Deserialize, Serialize};

/// How a single request ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// 2xx.
    Ok,
    /// 4xx other than 424 and 429: the request itself was rejected
    /// (SageMaker's ValidationError).
    Http4xx,
    /// 429 or ThrottlingException.
    Throttled,
    /// 424: the model container answered with an error (ModelError).
    ModelError,
    /// 5xx, ServiceUnavailable, InternalFailure.
    Http5xx,
    /// No answer within the profile's timeout (60 s by default, SageMaker's
    /// invocation limit).
    Timeout,
    /// The connection could not be made or was reset.
    ConnectError,
    /// Anything else (a malformed response, an unexpected status).
    Other,
}

impl Outcome {
    /// All classes, in report order.
    pub const ALL: [Outcome; 8] = [
        Outcome::Ok,
        Outcome::Http4xx,
        Outcome::Throttled,
        Outcome::ModelError,
        Outcome::Http5xx,
        Outcome::Timeout,
        Outcome::ConnectError,
        Outcome::Other,
    ];

    /// The key used in journals and `summary.json`.
    pub fn key(self) -> &'static str {
        match self {
            Outcome::Ok => "ok",
            Outcome::Http4xx => "http_4xx",
            Outcome::Throttled => "throttled",
            Outcome::ModelError => "model_error",
            Outcome::Http5xx => "http_5xx",
            Outcome::Timeout => "timeout",
            Outcome::ConnectError => "connect_error",
            Outcome::Other => "other",
        }
    }

    /// Index into per-class count arrays.
    pub fn index(self) -> usize {
        self as usize
    }

    /// Classifies an HTTP status code.
    pub fn from_status(status: u16) -> Outcome {
        match status {
            200..=299 => Outcome::Ok,
            424 => Outcome::ModelError,
            429 => Outcome::Throttled,
            400..=499 => Outcome::Http4xx,
            500..=599 => Outcome::Http5xx,
            _ => Outcome::Other,
        }
    }
}

/// Counts per outcome class, indexed by [`Outcome::index`].
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct OutcomeCounts(pub [u64; 8]);

impl OutcomeCounts {
    pub fn add(&mut self, outcome: Outcome) {
        self.0[outcome.index()] += 1;
    }

    pub fn get(&self, outcome: Outcome) -> u64 {
        self.0[outcome.index()]
    }

    pub fn total(&self) -> u64 {
        self.0.iter().sum()
    }

    /// Requests that did not end `ok`.
    pub fn errors(&self) -> u64 {
        self.total() - self.get(Outcome::Ok)
    }

    pub fn merge(&mut self, other: &OutcomeCounts) {
        for (a, b) in self.0.iter_mut().zip(other.0.iter()) {
            *a += b;
        }
    }
}

impl Serialize for OutcomeCounts {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let mut map = s.serialize_map(Some(8))?;
        for o in Outcome::ALL {
            map.serialize_entry(o.key(), &self.get(o))?;
        }
        map.end()
    }
}

impl<'de> Deserialize<'de> for OutcomeCounts {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let map = std::collections::BTreeMap::<String, u64>::deserialize(d)?;
        let mut counts = OutcomeCounts::default();
        for o in Outcome::ALL {
            counts.0[o.index()] = map.get(o.key()).copied().unwrap_or(0);
        }
        Ok(counts)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_map_to_sagemaker_classes() {
        assert_eq!(Outcome::from_status(200), Outcome::Ok);
        assert_eq!(Outcome::from_status(400), Outcome::Http4xx);
        assert_eq!(Outcome::from_status(424), Outcome::ModelError);
        assert_eq!(Outcome::from_status(429), Outcome::Throttled);
        assert_eq!(Outcome::from_status(503), Outcome::Http5xx);
        assert_eq!(Outcome::from_status(302), Outcome::Other);
    }

    #[test]
    fn counts_round_trip_through_json() {
        let mut c = OutcomeCounts::default();
        c.add(Outcome::Ok);
        c.add(Outcome::Throttled);
        let json = serde_json::to_string(&c).unwrap();
        assert!(json.contains("\"throttled\":1"));
        let back: OutcomeCounts = serde_json::from_str(&json).unwrap();
        assert_eq!(back, c);
        assert_eq!(back.errors(), 1);
    }
}
