//! CPU-heavy work on threads of its own, at a lower scheduling priority than
//! the threads that answer requests.
//!
//! Password hashing, photo checks, face checks and PDF rendering take 10 to
//! 200 ms of a core each. Run at the same priority as the request handlers,
//! a burst of logins or uploads makes every page wait for a core. Each kind of
//! heavy work gets a *lane*: a few threads whose nice value is raised (on
//! Linux the nice value is per thread), so the kernel runs a page request as
//! soon as it is ready and gives the heavy work every cycle left over. Two
//! lanes are used (BENCHMARKS.md, "Priorities"): `interactive` (password
//! hashes and the 登记表 PDF, which a person waits for) a little below the
//! request handlers, and `bulk` (photo and face checks) below that.

use std::panic::AssertUnwindSafe;

type Job = Box<dyn FnOnce() + Send>;

/// A fixed set of threads at one priority, taking jobs in arrival order.
#[derive(Clone)]
pub struct Lane {
    name: &'static str,
    sender: flume::Sender<Job>,
}

/// The job could not run to its end (the lane stopped, or the job panicked).
#[derive(Debug, thiserror::Error)]
#[error("a job on the {lane} threads did not finish: {why}")]
pub struct LaneError {
    lane: &'static str,
    why: &'static str,
}

impl Lane {
    /// Starts `threads` threads whose nice value is raised by `nicer` (0 keeps
    /// the process's own; the sum is capped at 19, the lowest).
    pub fn new(name: &'static str, threads: usize, nicer: i32) -> Self {
        let (sender, receiver) = flume::unbounded::<Job>();
        for i in 0..threads.max(1) {
            let receiver = receiver.clone();
            std::thread::Builder::new()
                .name(format!("{name}-{i}"))
                .spawn(move || {
                    lower_priority(nicer);
                    while let Ok(job) = receiver.recv() {
                        job();
                    }
                })
                .expect("the system starts a thread");
        }
        Self { name, sender }
    }

    /// Runs `work` on one of the lane's threads and waits for its result.
    pub async fn run<T, F>(&self, work: F) -> Result<T, LaneError>
    where
        T: Send + 'static,
        F: FnOnce() -> T + Send + 'static,
    {
        let (tx, rx) = tokio::sync::oneshot::channel();
        let job: Job = Box::new(move || {
            let _ = tx.send(std::panic::catch_unwind(AssertUnwindSafe(work)));
        });
        let error = |why| LaneError {
            lane: self.name,
            why,
        };
        self.sender.send(job).map_err(|_| error("stopped"))?;
        match rx.await {
            Ok(Ok(value)) => Ok(value),
            Ok(Err(_)) => Err(error("panicked")),
            Err(_) => Err(error("stopped")),
        }
    }
}

/// Raises the calling thread's nice value by `by` (never lowers it: that
/// needs a privilege, and no lane asks for it).
fn lower_priority(by: i32) {
    if by <= 0 {
        return;
    }
    #[cfg(target_os = "linux")]
    // SAFETY: getpriority/setpriority take plain integers; `who = 0` names the
    // calling thread on Linux (the nice value is a per-thread attribute there).
    unsafe {
        *libc::__errno_location() = 0;
        let current = libc::getpriority(libc::PRIO_PROCESS, 0);
        if current == -1 && *libc::__errno_location() != 0 {
            return;
        }
        libc::setpriority(libc::PRIO_PROCESS, 0, (current + by).min(19));
    }
}

/// The nice value of the calling thread (Linux), for tests and diagnostics.
pub fn current_nice() -> Option<i32> {
    #[cfg(target_os = "linux")]
    // SAFETY: as above.
    unsafe {
        *libc::__errno_location() = 0;
        let v = libc::getpriority(libc::PRIO_PROCESS, 0);
        if v == -1 && *libc::__errno_location() != 0 {
            return None;
        }
        return Some(v);
    }
    #[allow(unreachable_code)]
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn runs_jobs_on_threads_of_lower_priority() {
        let base = current_nice().unwrap_or(0);
        let lane = Lane::new("test", 2, 3);
        let nice = lane.run(current_nice).await.unwrap();
        if cfg!(target_os = "linux") {
            assert_eq!(nice, Some((base + 3).min(19)));
        }
        let name = lane
            .run(|| std::thread::current().name().map(str::to_owned))
            .await
            .unwrap();
        assert!(name.unwrap().starts_with("test-"));
        // The handlers' own thread keeps its priority.
        assert_eq!(current_nice().unwrap_or(0), base);
    }

    #[tokio::test]
    async fn a_panicking_job_is_an_error_and_the_lane_goes_on() {
        let lane = Lane::new("test", 1, 0);
        let err = lane.run(|| -> u8 { panic!("boom") }).await.unwrap_err();
        assert!(err.to_string().contains("panicked"));
        assert_eq!(lane.run(|| 7).await.unwrap(), 7);
    }
}
