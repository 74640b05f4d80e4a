//! A virtual clock for many concurrent tasks (shared by tests and benches through
//! `#[path]`): time stands still while any of the registered workers runs, and jumps to
//! the earliest wake-up when all of them sleep. `ManualClock` advances on every sleep,
//! so eight replicas each sleeping 10 s would move it 80 s; this one moves it 10 s.
//! Request latency takes no virtual time, so a run measures budget use, not speed.
#![allow(dead_code, clippy::unwrap_used)]

use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime};

use scimkit::{Clock, Sleep};
use tokio::sync::oneshot;

#[derive(Clone)]
pub struct SimClock {
    inner: Arc<Inner>,
}

struct Inner {
    base: Instant,
    base_system: SystemTime,
    state: Mutex<State>,
}

struct State {
    now: Duration,
    active: usize,
    seq: u64,
    sleepers: BinaryHeap<Reverse<(Duration, u64)>>,
    wakers: std::collections::HashMap<u64, oneshot::Sender<()>>,
}

impl std::fmt::Debug for SimClock {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SimClock")
            .field("elapsed", &self.elapsed())
            .finish()
    }
}

impl SimClock {
    /// A clock driven by `workers` tasks, starting at the real time.
    pub fn new(workers: usize) -> SimClock {
        SimClock {
            inner: Arc::new(Inner {
                base: Instant::now(),
                base_system: SystemTime::now(),
                state: Mutex::new(State {
                    now: Duration::ZERO,
                    active: workers,
                    seq: 0,
                    sleepers: BinaryHeap::new(),
                    wakers: Default::default(),
                }),
            }),
        }
    }

    /// Virtual time since the start.
    pub fn elapsed(&self) -> Duration {
        self.inner.state.lock().unwrap().now
    }

    /// A worker has finished: it no longer holds time still.
    pub fn worker_done(&self) {
        let mut state = self.inner.state.lock().unwrap();
        state.active -= 1;
        advance_if_idle(&mut state);
    }
}

fn advance_if_idle(state: &mut State) {
    while state.active == 0 {
        let Some(Reverse((at, _))) = state.sleepers.peek().copied() else {
            return;
        };
        state.now = state.now.max(at);
        while let Some(Reverse((next, id))) = state.sleepers.peek().copied() {
            if next > state.now {
                break;
            }
            state.sleepers.pop();
            if let Some(tx) = state.wakers.remove(&id) {
                state.active += 1;
                let _ = tx.send(());
            }
        }
    }
}

impl Clock for SimClock {
    fn now(&self) -> Instant {
        self.inner.base + self.elapsed()
    }
    fn system_now(&self) -> SystemTime {
        self.inner.base_system + self.elapsed()
    }
    fn sleep(&self, duration: Duration) -> Sleep {
        let (tx, rx) = oneshot::channel();
        {
            let mut state = self.inner.state.lock().unwrap();
            state.seq += 1;
            let id = state.seq;
            let at = state.now + duration;
            state.sleepers.push(Reverse((at, id)));
            state.wakers.insert(id, tx);
            state.active -= 1;
            advance_if_idle(&mut state);
        }
        Box::pin(async move {
            let _ = rx.await;
        })
    }
}
