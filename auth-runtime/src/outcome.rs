//! [`Outcome`]: a result that is ready now or will be, the one "ready or pending" shape every
//! step of authentication returns.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll, Waker};

/// A value that is either ready now (the common case: a Bearer token checked against keys in
/// memory, a cached token) or pending (a password hash, a credential store, a key fetch).
///
/// Ready values cost nothing: no allocation, no boxing. Only a pending outcome owns a boxed
/// future. As the future of every `async fn`, an outcome must not be polled again after it
/// completed.
#[must_use = "an outcome does nothing until it is awaited or inspected"]
pub struct Outcome<T> {
    state: State<T>,
}

enum State<T> {
    Ready(Option<T>),
    Pending(Pin<Box<dyn Future<Output = T>>>),
}

impl<T> Outcome<T> {
    /// A value that is ready now.
    #[inline]
    pub(crate) fn ready(value: T) -> Self {
        Outcome {
            state: State::Ready(Some(value)),
        }
    }

    /// A value that `future` will give.
    pub(crate) fn pending(future: impl Future<Output = T> + 'static) -> Self {
        Outcome {
            state: State::Pending(Box::pin(future)),
        }
    }

    /// The value when it is ready now, or the outcome back when it is pending.
    ///
    /// A pending future is polled once first, with a waker that does nothing: one that finishes
    /// at once (a credential served from a cache behind an `async fn`) is then ready, and what
    /// comes after it runs now, without boxing a continuation. One that is still pending is
    /// handed back and polled again, with the real waker, by whoever awaits it.
    #[inline]
    pub(crate) fn now(self) -> Result<T, Self> {
        match self.state {
            State::Ready(Some(value)) => Ok(value),
            State::Pending(future) => Outcome::poll_once(future),
            state => Err(Outcome { state }),
        }
    }

    /// Polls `future` once, with a waker that does nothing (out of line: the ready case above
    /// is the hot one).
    fn poll_once(mut future: Pin<Box<dyn Future<Output = T>>>) -> Result<T, Self> {
        match future
            .as_mut()
            .poll(&mut Context::from_waker(Waker::noop()))
        {
            Poll::Ready(value) => Ok(value),
            Poll::Pending => Err(Outcome {
                state: State::Pending(future),
            }),
        }
    }
}

// Neither state is self-referential: the pending future is pinned in its own box.
impl<T> Unpin for Outcome<T> {}

impl<T> Future for Outcome<T> {
    type Output = T;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<T> {
        match &mut self.get_mut().state {
            State::Ready(value) => {
                Poll::Ready(value.take().expect("`Outcome` polled after it completed"))
            }
            State::Pending(future) => future.as_mut().poll(cx),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn block_on<T>(outcome: Outcome<T>) -> T {
        tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap()
            .block_on(outcome)
    }

    #[test]
    fn a_ready_value_is_there_now() {
        assert_eq!(Outcome::ready(7).now().ok(), Some(7));
        assert_eq!(block_on(Outcome::ready(7)), 7);
    }

    #[test]
    fn a_pending_value_is_not_there_now_but_arrives() {
        let (send, receive) = tokio::sync::oneshot::channel();
        let pending = Outcome::pending(async { receive.await.unwrap() });
        let pending = pending.now().expect_err("pending");
        send.send(7).unwrap();
        assert_eq!(block_on(pending), 7);
    }

    #[test]
    fn a_future_that_finishes_at_once_is_ready_now() {
        assert_eq!(Outcome::pending(async { 7 }).now().ok(), Some(7));
    }
}
