//! Waiting for several things at once on one thread: each future awaits its own I/O (a
//! WebCrypto call, a storage read) while the others go on, so their latencies overlap instead of
//! adding up.

use std::future::Future;
use std::pin::Pin;
use std::task::Poll;

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
}
