//! Precise send times on the wall clock, without busy waiting.
//!
//! tokio's timer wheel has millisecond ticks and its runtime parks in
//! `epoll_wait` with a millisecond timeout, so a tokio sleep ends up to a
//! tick late; sends due within one tick went out together and that wait was
//! counted as latency. Spinning (`yield_now` until the instant) fixed the
//! time but cost a core at low rates.
//!
//! Here each wait arms a `timerfd` (timerfd_create(2), CLOCK_MONOTONIC, the
//! clock `std::time::Instant` reads on Linux) registered with the runtime's
//! own epoll, so the one thread that runs every request sleeps until the
//! kernel's high-resolution timer fires. The timer is armed
//! [`SPIN_MARGIN`] early and that last stretch is spent yielding, because
//! the wake reaches the dispatcher tens of microseconds after the timer
//! fires. The calling thread's timer slack is also cut to 1 µs (prctl(2)
//! `PR_SET_TIMERSLACK`; 50 µs by default): it applies to the runtime's
//! other timed waits on that thread. Elsewhere than Linux, the
//! tokio timer is used as is.

use tokio::time::Instant;

/// A reusable wake-up at an exact instant. One per dispatcher.
pub struct SendTimer {
    #[cfg(target_os = "linux")]
    fd: Option<tokio::io::unix::AsyncFd<std::os::fd::OwnedFd>>,
}

impl SendTimer {
    /// A timer on the current runtime (wall clock only: a paused runtime's
    /// time is virtual, the kernel's is not). Falls back to tokio's timer
    /// when the kernel refuses a timerfd.
    pub fn new() -> SendTimer {
        #[cfg(target_os = "linux")]
        {
            SendTimer {
                fd: linux::timerfd().ok(),
            }
        }
        #[cfg(not(target_os = "linux"))]
        {
            SendTimer {}
        }
    }

    /// Returns at `deadline` or just after it, never before.
    pub async fn sleep_until(&self, deadline: Instant) {
        #[cfg(target_os = "linux")]
        if let Some(fd) = &self.fd {
            // A wake left over from a wait that was cancelled (a stop) could
            // end this one early: the loop re-arms until the time has come.
            let spin = SPIN_MARGIN;
            loop {
                let now = Instant::now();
                if now >= deadline {
                    return;
                }
                let left = deadline - now;
                if left <= spin {
                    tokio::task::yield_now().await;
                    continue;
                }
                if linux::arm(fd, left - spin).is_err() {
                    break;
                }
                let Ok(mut ready) = fd.readable().await else {
                    break;
                };
                // Reading the expiration count clears the readiness; EAGAIN
                // means the readiness was stale.
                if !linux::consume(fd) {
                    ready.clear_ready();
                }
            }
        }
        tokio::time::sleep_until(deadline).await;
    }
}

/// How long before a send the wait stops sleeping and yields instead. A
/// timerfd wake reaches the dispatcher some 60–100 µs after it fires (the
/// runtime's epoll wake and its turn), which was most of the send lag; the
/// timer is armed this much early and the rest is spent in `yield_now`,
/// which still runs the runtime's I/O between polls. Measured side by side
/// (bench/compare.sh, one core, quiet machine): 0 / 50 / 120 µs gave send-lag
/// p99 456 / 165 / 45 µs at 20,000 req/s and 185 / 148 / 127 µs at 2,000,
/// for CPU per 100k requests at 200 req/s of 16.5 / 14.0 / 18.0 s (noise at
/// that rate is ±3 s); 100 µs keeps the idle cost at low rates within a few
/// percent of a core.
const SPIN_MARGIN: std::time::Duration = std::time::Duration::from_micros(100);

impl Default for SendTimer {
    fn default() -> Self {
        SendTimer::new()
    }
}

#[cfg(target_os = "linux")]
mod linux {
    use std::io;
    use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
    use std::time::Duration;

    use tokio::io::unix::AsyncFd;

    pub fn timerfd() -> io::Result<AsyncFd<OwnedFd>> {
        // prctl(2), PR_SET_TIMERSLACK: the slack the kernel may add to this
        // thread's timed waits (nanoseconds). 1 is the smallest; 0 would
        // mean "back to the default". A failure only costs precision.
        // SAFETY: a plain syscall with integer arguments.
        unsafe {
            libc::prctl(libc::PR_SET_TIMERSLACK, 1 as libc::c_ulong, 0, 0, 0);
        }
        // timerfd_create(2): non-blocking, so the runtime's epoll reports
        // each expiration and a read never blocks the thread.
        // SAFETY: no pointers; the result is checked before use.
        let raw = unsafe {
            libc::timerfd_create(
                libc::CLOCK_MONOTONIC,
                libc::TFD_NONBLOCK | libc::TFD_CLOEXEC,
            )
        };
        if raw < 0 {
            return Err(io::Error::last_os_error());
        }
        // SAFETY: `raw` is a fresh descriptor that nothing else owns.
        let fd = unsafe { OwnedFd::from_raw_fd(raw) };
        // SAFETY: the OwnedFd stays open, and is the same descriptor, for as
        // long as the AsyncFd that owns it lives.
        unsafe { AsyncFd::register_with_interest(fd, tokio::io::Interest::READABLE) }
            .map_err(|e| e.into_parts().1)
    }

    /// timerfd_settime(2), relative: one expiration `after` from now.
    pub fn arm(fd: &AsyncFd<OwnedFd>, after: Duration) -> io::Result<()> {
        // A zero it_value would disarm the timer instead.
        let after = after.max(Duration::from_nanos(1));
        let spec = libc::itimerspec {
            it_interval: libc::timespec {
                tv_sec: 0,
                tv_nsec: 0,
            },
            it_value: libc::timespec {
                tv_sec: after.as_secs() as libc::time_t,
                tv_nsec: after.subsec_nanos() as libc::c_long,
            },
        };
        // SAFETY: `spec` outlives the call; the old value is not wanted.
        let rc = unsafe { libc::timerfd_settime(fd.as_raw_fd(), 0, &spec, std::ptr::null_mut()) };
        if rc < 0 {
            Err(io::Error::last_os_error())
        } else {
            Ok(())
        }
    }

    /// Reads the expiration count: true when the timer had fired.
    pub fn consume(fd: &AsyncFd<OwnedFd>) -> bool {
        let mut count = 0u64;
        // SAFETY: reads at most 8 bytes into a live u64.
        let n = unsafe {
            libc::read(
                fd.as_raw_fd(),
                (&mut count as *mut u64).cast::<libc::c_void>(),
                std::mem::size_of::<u64>(),
            )
        };
        n == std::mem::size_of::<u64>() as isize
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    /// The real clock (the kernel's timer knows no paused tokio time); the
    /// waits are milliseconds and the bound is loose: this checks "never
    /// early, and it does wake", not precision (the benchmark measures it).
    #[tokio::test]
    async fn wakes_at_the_deadline_never_before_and_after_a_cancelled_wait() {
        let timer = SendTimer::new();
        // A wait cancelled half-way leaves the timer armed; the next, later
        // wait must not end at the stale expiration.
        let start = Instant::now();
        let _ = tokio::time::timeout(
            Duration::from_millis(1),
            timer.sleep_until(start + Duration::from_millis(3)),
        )
        .await;
        for ms in [5u64, 8, 8, 12] {
            let deadline = start + Duration::from_millis(ms);
            timer.sleep_until(deadline).await;
            let now = Instant::now();
            assert!(now >= deadline, "woke {:?} early", deadline - now);
            assert!(now - deadline < Duration::from_millis(500));
        }
    }
}
