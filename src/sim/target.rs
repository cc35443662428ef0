//! The simulated endpoint as a [`Target`]: each invocation asks the model
//! when and how it ends, then sleeps until then on the tokio clock, so the
//! engine's invoker and recorder measure it exactly as they would a real
//! endpoint. Under a paused runtime the sleeps cost no wall time. Tokio's
//! timer has millisecond resolution, so measured latencies are rounded up to
//! the next millisecond.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use futures::FutureExt;
use futures::future::BoxFuture;

use super::endpoint::AsyncDone;
use super::world::World;
use super::{AbortOnDrop, lock};
use crate::clock::RunClock;
use crate::outcome::Outcome;
use crate::target::stream::{Reply, StreamTiming};
use crate::target::{Target, TargetError};

pub struct SimTarget {
    pub(crate) world: Arc<Mutex<World>>,
    pub(crate) clock: RunClock,
    pub(crate) describe: String,
    pub(crate) is_async: bool,
    pub(crate) _guard: Arc<AbortOnDrop>,
}

impl SimTarget {
    fn at(&self, offset_s: f64) -> tokio::time::Instant {
        self.clock.origin + Duration::from_secs_f64(offset_s.max(0.0))
    }
}

impl Target for SimTarget {
    fn describe(&self) -> String {
        self.describe.clone()
    }

    fn ready(&self) -> BoxFuture<'_, Result<(), TargetError>> {
        Box::pin(async { Ok(()) })
    }

    /// Real-time requests; with `[sim.instance.stream]` the reply carries
    /// the parts' timing the model decided (instants computed, not slept
    /// for token by token, so they are exact and a long answer costs one
    /// timer, not one per token).
    fn invoke_reply(&self, payload: Bytes) -> BoxFuture<'static, Reply> {
        if self.is_async {
            return Box::pin(self.invoke(payload).map(Reply::whole));
        }
        let now = self.clock.now_s();
        let adm = lock(&self.world).invoke_realtime(now);
        let until = self.at(now + adm.after);
        let stream = adm.stream.map(|st| {
            let gap = Duration::from_secs_f64(st.gap_s);
            StreamTiming {
                first_part: Some(self.at(now + st.first_after)),
                parts: u64::from(st.tokens),
                tokens: u64::from(st.tokens),
                gaps: vec![gap; st.tokens.saturating_sub(1) as usize],
            }
        });
        Box::pin(async move {
            tokio::time::sleep_until(until).await;
            Reply {
                outcome: adm.outcome,
                stream,
            }
        })
    }

    fn invoke(&self, payload: Bytes) -> BoxFuture<'static, Outcome> {
        let now = self.clock.now_s();
        if !self.is_async {
            return Box::pin(self.invoke_reply(payload).map(|r| r.outcome));
        }
        let ticket = lock(&self.world).invoke_async(now);
        let Some(ticket) = ticket else {
            return Box::pin(async { Outcome::Throttled });
        };
        let expiry = self.at(ticket.expires_at);
        let origin = self.clock.origin;
        Box::pin(async move {
            tokio::select! {
                biased;
                done = ticket.rx => match done {
                    Ok(AsyncDone::Finished(t)) => {
                        tokio::time::sleep_until(origin + Duration::from_secs_f64(t.max(0.0))).await;
                        Outcome::Ok
                    }
                    Ok(AsyncDone::Expired) => Outcome::Timeout,
                    Err(_) => Outcome::Other,
                },
                _ = tokio::time::sleep_until(expiry) => Outcome::Timeout,
            }
        })
    }
}
