//! [`Outcome`]: a result that is ready now or will be, the one "ready or pending" shape every
//! step of authentication returns.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

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
    #[inline]
    pub(crate) fn now(self) -> Result<T, Self> {
        match self.state {
            State::Ready(Some(value)) => Ok(value),
            state => Err(Outcome { state }),
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
        let pending = Outcome::pending(async { 7 });
        let pending = pending.now().expect_err("pending");
        assert_eq!(block_on(pending), 7);
    }
}
