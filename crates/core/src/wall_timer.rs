//! Sleeping until a time on the wall clock, suspend included. The service's due times
//! (scheduled publishes, retries, confirmations) are wall-clock instants; Tokio's timers
//! run on the monotonic clock, which stops while the machine is suspended, so a
//! publish due at 08:00 on a laptop that slept from 07:00 to 09:00 would wait until
//! 10:00. A timerfd on CLOCK_REALTIME with an absolute time fires as soon as the clock
//! passes the time: on waking, a schedule missed while asleep runs at once (and is
//! recorded as late). Clock changes (NTP) are followed the same way.

use std::io;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use tokio::io::unix::AsyncFd;

/// Completes when the wall clock reaches `at` (at once when it has); falls back to
/// Tokio's monotonic sleep where a timerfd cannot be had.
pub async fn sleep_until(at: SystemTime) {
    match timer(at) {
        Ok(fd) => {
            // Readable once it has fired (also when the clock was set past it).
            match fd.readable().await {
                Ok(mut ready) => ready.clear_ready(),
                Err(_) => fallback(at).await,
            }
        }
        Err(e) => {
            tracing::debug!(error = %e, "no wall-clock timer; sleeping on the monotonic clock");
            fallback(at).await
        }
    }
}

async fn fallback(at: SystemTime) {
    let wait = at
        .duration_since(SystemTime::now())
        .unwrap_or(Duration::ZERO);
    tokio::time::sleep(wait).await
}

fn timer(at: SystemTime) -> io::Result<AsyncFd<OwnedFd>> {
    // SAFETY: timerfd_create takes a clock and flags and returns a new descriptor or -1.
    let raw = unsafe {
        libc::timerfd_create(libc::CLOCK_REALTIME, libc::TFD_NONBLOCK | libc::TFD_CLOEXEC)
    };
    if raw < 0 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: `raw` is a descriptor we own from here on.
    let fd = unsafe { OwnedFd::from_raw_fd(raw) };
    let since = at.duration_since(UNIX_EPOCH).unwrap_or(Duration::ZERO);
    // A time of zero would disarm the timer: the earliest is one nanosecond.
    let value = libc::timespec {
        tv_sec: since.as_secs() as libc::time_t,
        tv_nsec: libc::c_long::from(since.subsec_nanos().max(u32::from(since.is_zero()))),
    };
    let spec = libc::itimerspec {
        it_interval: libc::timespec {
            tv_sec: 0,
            tv_nsec: 0,
        },
        it_value: value,
    };
    // SAFETY: a valid descriptor, a valid new value, no old value asked for.
    let set = unsafe {
        libc::timerfd_settime(
            fd.as_raw_fd(),
            libc::TFD_TIMER_ABSTIME,
            &spec,
            std::ptr::null_mut(),
        )
    };
    if set < 0 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: an `OwnedFd` keeps its descriptor open and the same until dropped, which
    // is when the `AsyncFd` is.
    unsafe { AsyncFd::register_with_interest(fd, tokio::io::Interest::READABLE) }
        .map_err(|e| io::Error::other(e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn wakes_at_the_wall_clock_time_and_at_once_for_a_past_one() {
        let start = std::time::Instant::now();
        sleep_until(SystemTime::now() + Duration::from_millis(120)).await;
        let took = start.elapsed();
        assert!(
            took >= Duration::from_millis(110) && took < Duration::from_secs(2),
            "{took:?}"
        );
        let start = std::time::Instant::now();
        sleep_until(SystemTime::now() - Duration::from_secs(60)).await;
        sleep_until(UNIX_EPOCH).await;
        assert!(start.elapsed() < Duration::from_millis(100));
        // The timer really is the wall clock's (a monotonic fallback would also pass
        // the lines above).
        assert!(timer(SystemTime::now() + Duration::from_secs(5)).is_ok());
    }
}
