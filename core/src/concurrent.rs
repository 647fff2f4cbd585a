//! Waiting for several things at once on one thread: each future awaits its own I/O (a
//! WebCrypto call, a storage read) while the others go on, so their latencies overlap instead of
//! adding up; and the same work asked for several times at once, done once.

use std::cell::RefCell;
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll, Waker};

/// Runs every future of `futures` together and returns their outputs in their order.
pub async fn all<F: Future>(futures: impl IntoIterator<Item = F>) -> Vec<F::Output> {
    let mut running: Vec<Pin<Box<F>>> = futures.into_iter().map(Box::pin).collect();
    let mut done: Vec<Option<F::Output>> = running.iter().map(|_| None).collect();
    std::future::poll_fn(|cx| {
        let mut waiting = false;
        for (future, out) in running.iter_mut().zip(done.iter_mut()) {
            if out.is_none() {
                match future.as_mut().poll(cx) {
                    Poll::Ready(value) => *out = Some(value),
                    Poll::Pending => waiting = true,
                }
            }
        }
        if waiting {
            Poll::Pending
        } else {
            Poll::Ready(())
        }
    })
    .await;
    done.into_iter().flatten().collect()
}

/// Work under a key that callers ask for at overlapping times, done once per overlap: the first
/// caller runs it, and whoever asks while it runs waits for that run's outcome instead of
/// starting another (Go's `singleflight`). A caller that arrives after the run ended starts a
/// new one, so no outcome is older than the call that receives it by more than the run itself.
///
/// One thread only (the service worker, a pane): the runs are futures of this thread. A run
/// whose future is dropped before it ends (a context stopped at an await) leaves nobody
/// waiting: one of its waiters runs the work itself, and the others wait for that run.
#[derive(Debug)]
pub struct SingleFlight<K, T> {
    flights: Flights<K, T>,
}

/// The runs going on, by key.
type Flights<K, T> = RefCell<Vec<(K, Rc<Flight<T>>)>>;

impl<K, T> Default for SingleFlight<K, T> {
    fn default() -> Self {
        Self {
            flights: RefCell::new(Vec::new()),
        }
    }
}

/// Whose run an outcome came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ran {
    /// This caller's own.
    Own,
    /// Another caller's, which this one waited for.
    Joined,
}

/// One run, as its waiters see it.
#[derive(Debug)]
struct Flight<T> {
    state: RefCell<State<T>>,
}

#[derive(Debug)]
enum State<T> {
    Running(Vec<Waker>),
    Done(T),
    /// The run's future was dropped before it ended.
    Abandoned,
}

impl<T> Flight<T> {
    fn end(&self, state: State<T>) {
        if let State::Running(waiters) = self.state.replace(state) {
            waiters.into_iter().for_each(Waker::wake);
        }
    }
}

impl<K: PartialEq + Clone, T: Clone> SingleFlight<K, T> {
    /// The outcome of `work` for `key`: this caller's own run, or the one running already.
    pub async fn run<F: Future<Output = T>>(&self, key: &K, work: impl FnOnce() -> F) -> (T, Ran) {
        while let Some(flight) = self.running(key) {
            if let Some(value) = Outcome(&flight).await {
                return (value, Ran::Joined);
            }
        }
        let flight = Rc::new(Flight {
            state: RefCell::new(State::Running(Vec::new())),
        });
        self.flights
            .borrow_mut()
            .push((key.clone(), Rc::clone(&flight)));
        let mut lead = Lead {
            flights: &self.flights,
            flight,
            ended: false,
        };
        let value = work().await;
        lead.flight.end(State::Done(value.clone()));
        lead.ended = true;
        (value, Ran::Own)
    }

    fn running(&self, key: &K) -> Option<Rc<Flight<T>>> {
        self.flights
            .borrow()
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, flight)| Rc::clone(flight))
    }
}

/// The running caller's hold on its flight: when it goes (ended or dropped), the flight leaves
/// the table, and a flight dropped before it ended tells its waiters so.
struct Lead<'a, K, T> {
    flights: &'a Flights<K, T>,
    flight: Rc<Flight<T>>,
    ended: bool,
}

impl<K, T> Drop for Lead<'_, K, T> {
    fn drop(&mut self) {
        self.flights
            .borrow_mut()
            .retain(|(_, f)| !Rc::ptr_eq(f, &self.flight));
        if !self.ended {
            self.flight.end(State::Abandoned);
        }
    }
}

/// A waiter's view of a flight: its outcome, or `None` when it was abandoned.
struct Outcome<'a, T>(&'a Flight<T>);

impl<T: Clone> Future for Outcome<'_, T> {
    type Output = Option<T>;
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<T>> {
        match &mut *self.0.state.borrow_mut() {
            State::Running(waiters) => {
                if !waiters.iter().any(|w| w.will_wake(cx.waker())) {
                    waiters.push(cx.waker().clone());
                }
                Poll::Pending
            }
            State::Done(value) => Poll::Ready(Some(value.clone())),
            State::Abandoned => Poll::Ready(None),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::all;
    use std::cell::RefCell;
    use std::future::Future;
    use std::pin::Pin;
    use std::task::{Context, Poll, Waker};

    /// Ready after it has been polled `n` times, noting when it finished.
    struct After<'a> {
        n: u32,
        id: u32,
        finished: &'a RefCell<Vec<u32>>,
    }

    impl Future for After<'_> {
        type Output = u32;
        fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<u32> {
            if self.n == 0 {
                self.finished.borrow_mut().push(self.id);
                return Poll::Ready(self.id * 10);
            }
            self.n -= 1;
            cx.waker().wake_by_ref();
            Poll::Pending
        }
    }

    fn run<F: Future>(f: F) -> (F::Output, u32) {
        let mut f = std::pin::pin!(f);
        let mut cx = Context::from_waker(Waker::noop());
        for polls in 1.. {
            if let Poll::Ready(v) = f.as_mut().poll(&mut cx) {
                return (v, polls);
            }
        }
        unreachable!()
    }

    #[test]
    fn outputs_keep_their_order_and_the_waits_overlap() {
        let finished = RefCell::new(Vec::new());
        let futures = [3, 1, 2].into_iter().enumerate().map(|(i, n)| After {
            n,
            id: i as u32,
            finished: &finished,
        });
        let (out, polls) = run(all(futures));
        assert_eq!(out, vec![0, 10, 20]);
        // Finished in the order their waits end, not the order they were given.
        assert_eq!(*finished.borrow(), vec![1, 2, 0]);
        // Together: as many polls as the longest wait, not the sum (3 + 1 + 2).
        assert_eq!(polls, 4);
    }

    #[test]
    fn nothing_to_wait_for_is_ready_at_once() {
        let none: Vec<After<'_>> = Vec::new();
        assert_eq!(run(all(none)), (Vec::new(), 1));
    }

    mod single_flight {
        use super::super::{Ran, SingleFlight};
        use std::cell::Cell;
        use std::future::Future;
        use std::pin::{Pin, pin};
        use std::task::{Context, Poll, Waker};

        /// Pending until `open` is set.
        struct Gate<'a>(&'a Cell<bool>);

        impl Future for Gate<'_> {
            type Output = ();
            fn poll(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<()> {
                if self.0.get() {
                    Poll::Ready(())
                } else {
                    Poll::Pending
                }
            }
        }

        fn poll<F: Future>(f: Pin<&mut F>) -> Poll<F::Output> {
            f.poll(&mut Context::from_waker(Waker::noop()))
        }

        /// Work that counts its runs and returns its run's number once the gate opens.
        async fn work(runs: &Cell<u32>, gate: &Cell<bool>) -> u32 {
            runs.set(runs.get() + 1);
            let n = runs.get();
            Gate(gate).await;
            n
        }

        #[test]
        fn callers_that_overlap_share_one_run() {
            let flights = SingleFlight::<&str, u32>::default();
            let (runs, gate) = (Cell::new(0), Cell::new(false));
            let mut first = pin!(flights.run(&"a", || work(&runs, &gate)));
            let mut second = pin!(flights.run(&"a", || work(&runs, &gate)));
            let mut third = pin!(flights.run(&"a", || work(&runs, &gate)));
            assert!(poll(first.as_mut()).is_pending());
            assert!(poll(second.as_mut()).is_pending());
            assert!(poll(third.as_mut()).is_pending());
            assert_eq!(runs.get(), 1, "the work started once");
            gate.set(true);
            assert_eq!(
                poll(second.as_mut()),
                Poll::Pending,
                "the run has not ended yet"
            );
            assert_eq!(poll(first.as_mut()), Poll::Ready((1, Ran::Own)));
            assert_eq!(poll(second.as_mut()), Poll::Ready((1, Ran::Joined)));
            assert_eq!(poll(third.as_mut()), Poll::Ready((1, Ran::Joined)));
            assert_eq!(runs.get(), 1);
        }

        #[test]
        fn a_caller_after_the_run_ended_starts_another_and_keys_do_not_mix() {
            let flights = SingleFlight::<&str, u32>::default();
            let (runs, gate) = (Cell::new(0), Cell::new(true));
            assert_eq!(
                poll(pin!(flights.run(&"a", || work(&runs, &gate)))),
                Poll::Ready((1, Ran::Own))
            );
            assert_eq!(
                poll(pin!(flights.run(&"a", || work(&runs, &gate)))),
                Poll::Ready((2, Ran::Own))
            );
            gate.set(false);
            let mut a = pin!(flights.run(&"a", || work(&runs, &gate)));
            let mut b = pin!(flights.run(&"b", || work(&runs, &gate)));
            assert!(poll(a.as_mut()).is_pending());
            assert!(poll(b.as_mut()).is_pending());
            assert_eq!(runs.get(), 4, "another key is another run");
            gate.set(true);
            assert_eq!(poll(b.as_mut()), Poll::Ready((4, Ran::Own)));
            assert_eq!(poll(a.as_mut()), Poll::Ready((3, Ran::Own)));
        }

        #[test]
        fn a_run_dropped_before_it_ends_is_taken_over_by_one_waiter() {
            let flights = SingleFlight::<&str, u32>::default();
            let (runs, gate) = (Cell::new(0), Cell::new(false));
            let mut first = Box::pin(flights.run(&"a", || work(&runs, &gate)));
            let mut second = pin!(flights.run(&"a", || work(&runs, &gate)));
            let mut third = pin!(flights.run(&"a", || work(&runs, &gate)));
            assert!(poll(first.as_mut()).is_pending());
            assert!(poll(second.as_mut()).is_pending());
            assert!(poll(third.as_mut()).is_pending());
            // The context running the first call stops at its await.
            drop(first);
            assert!(poll(second.as_mut()).is_pending(), "the second runs it now");
            assert!(
                poll(third.as_mut()).is_pending(),
                "the third waits for that"
            );
            assert_eq!(runs.get(), 2);
            gate.set(true);
            assert_eq!(poll(third.as_mut()), Poll::Pending);
            assert_eq!(poll(second.as_mut()), Poll::Ready((2, Ran::Own)));
            assert_eq!(poll(third.as_mut()), Poll::Ready((2, Ran::Joined)));
            // Nothing is left behind: the next call runs anew.
            assert_eq!(
                poll(pin!(flights.run(&"a", || work(&runs, &gate)))),
                Poll::Ready((3, Ran::Own))
            );
        }
    }
}
