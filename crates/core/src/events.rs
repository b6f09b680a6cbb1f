//! How the publishing service's events reach its subscribers. The events one committed
//! batch of answers brings are broadcast together, up to `MOST` at a time, so a
//! fan-out's webhooks to a thousand sites wake each subscriber about a hundred times,
//! not two thousand (each wake of a parked thread is a system call, on the recorder's
//! way to its next batch). Confirmations and schedules still send theirs one by one.
//! A subscriber receives them one at a time, in order.

use std::sync::Arc;

use tokio::sync::broadcast;
use tokio::sync::broadcast::error::{RecvError, TryRecvError};

use crate::publisher::Event;

/// Batches kept for a slow subscriber before it is told it lagged (a follower then
/// reads the standings again): as many as there were events kept when each went
/// alone, since confirmations still send theirs one by one…
const KEPT: usize = 16_384;
/// …of at most this many events each: a subscriber that stops reading holds on to at
/// most `KEPT * MOST` events (what every subscriber has read is let go of).
const MOST: usize = 16;

type Batch = Arc<[Event]>;

/// The sending side, shared by everything in the service that reports.
#[derive(Clone)]
pub(crate) struct Sender(broadcast::Sender<Batch>);

impl Sender {
    pub(crate) fn new() -> Sender {
        Sender(broadcast::channel(KEPT).0)
    }

    pub(crate) fn subscribe(&self) -> Events {
        Events {
            batches: self.0.subscribe(),
            batch: Arc::new([]),
            next: 0,
        }
    }

    /// Broadcasts one event (no subscriber is not an error: nobody is following).
    pub(crate) fn send(&self, event: Event) {
        let _ = self.0.send(Arc::new([event]));
    }

    /// Broadcasts `events`, in order, in batches of at most `MOST`.
    pub(crate) fn send_all(&self, events: impl IntoIterator<Item = Event>) {
        let mut events = events.into_iter().peekable();
        while events.peek().is_some() {
            let batch: Batch = events.by_ref().take(MOST).collect();
            let _ = self.0.send(batch);
        }
    }
}

/// The service's events from the moment of subscribing (`Publisher::subscribe`).
pub struct Events {
    batches: broadcast::Receiver<Batch>,
    /// The batch being received, and the first of its events not received yet.
    batch: Batch,
    next: usize,
}

impl Events {
    /// The next event, waiting for it. `Lagged(n)`: this subscriber fell so far
    /// behind that `n` batches of events were dropped for it; receiving goes on with
    /// the oldest still kept. `Closed`: the service is gone. Cancel-safe: an event is
    /// either returned or still there for the next call.
    pub async fn recv(&mut self) -> Result<Event, RecvError> {
        self.fill().await?;
        Ok(self.take())
    }

    /// The next event if one has come, as `recv` without waiting.
    pub fn try_recv(&mut self) -> Result<Event, TryRecvError> {
        self.try_fill()?;
        Ok(self.take())
    }

    /// The events received next, without taking each out of its batch: what is left
    /// of the batch being received, or else the next batch (waiting for it).
    /// Cancel-safe, as `recv`.
    pub(crate) async fn recv_many(&mut self) -> Result<Received, RecvError> {
        self.fill().await?;
        Ok(self.take_rest())
    }

    /// `recv_many` without waiting.
    pub(crate) fn try_recv_many(&mut self) -> Result<Received, TryRecvError> {
        self.try_fill()?;
        Ok(self.take_rest())
    }

    /// Makes sure the batch being received has an event left, waiting for the next
    /// batch when not (the only wait: cancelling it loses nothing).
    async fn fill(&mut self) -> Result<(), RecvError> {
        while self.next == self.batch.len() {
            self.batch = self.batches.recv().await?;
            self.next = 0;
        }
        Ok(())
    }

    /// `fill` without waiting.
    fn try_fill(&mut self) -> Result<(), TryRecvError> {
        while self.next == self.batch.len() {
            self.batch = self.batches.try_recv()?;
            self.next = 0;
        }
        Ok(())
    }

    fn take(&mut self) -> Event {
        self.next += 1;
        self.batch[self.next - 1].clone()
    }

    fn take_rest(&mut self) -> Received {
        let from = std::mem::replace(&mut self.next, self.batch.len());
        Received(self.batch.clone(), from)
    }
}

/// Events `Events::recv_many` received, in order.
pub(crate) struct Received(Batch, usize);

impl std::ops::Deref for Received {
    type Target = [Event];

    fn deref(&self) -> &[Event] {
        &self.0[self.1..]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scheduled(n: usize) -> Event {
        Event::Scheduled {
            slug: format!("post-{n}"),
            outcome: crate::publisher::ScheduleOutcome::Failed {
                error: String::new(),
            },
        }
    }

    fn slug(e: &Event) -> &str {
        match e {
            Event::Scheduled { slug, .. } => slug,
            _ => unreachable!(),
        }
    }

    #[tokio::test]
    async fn events_sent_in_batches_are_received_one_by_one_in_order() {
        let sender = Sender::new();
        let (mut one, mut many) = (sender.subscribe(), sender.subscribe());
        sender.send(scheduled(0));
        sender.send_all((1..=MOST * 2 + 3).map(scheduled));
        sender.send_all(std::iter::empty());
        sender.send(scheduled(MOST * 2 + 4));
        for n in 0..=MOST * 2 + 4 {
            assert_eq!(slug(&one.recv().await.unwrap()), format!("post-{n}"));
        }
        assert!(matches!(one.try_recv(), Err(TryRecvError::Empty)));
        // Taken by the batch: a whole one, then what is left of one begun one by one.
        let mut seen = Vec::new();
        seen.push(slug(&many.try_recv().unwrap()).to_owned());
        let first = many.try_recv_many().unwrap();
        assert_eq!(first.len(), MOST, "the first batch of send_all, whole");
        seen.extend(first.iter().map(|e| slug(e).to_owned()));
        seen.push(slug(&many.recv().await.unwrap()).to_owned());
        while let Ok(rest) = many.try_recv_many() {
            assert!(rest.len() <= MOST);
            seen.extend(rest.iter().map(|e| slug(e).to_owned()));
        }
        let expected: Vec<String> = (0..=MOST * 2 + 4).map(|n| format!("post-{n}")).collect();
        assert_eq!(seen, expected);
    }

    #[tokio::test]
    async fn a_subscriber_that_fell_behind_is_told_and_goes_on_with_what_is_kept() {
        let sender = Sender::new();
        let mut events = sender.subscribe();
        for n in 0..KEPT + 5 {
            sender.send(scheduled(n));
        }
        assert!(matches!(events.recv().await, Err(RecvError::Lagged(5))));
        assert_eq!(slug(&events.recv().await.unwrap()), "post-5");
        drop(sender);
        for _ in 6..KEPT + 5 {
            events.recv().await.unwrap();
        }
        assert!(matches!(events.recv().await, Err(RecvError::Closed)));
    }

    #[tokio::test]
    async fn a_lag_counts_batches_and_a_batch_begun_is_received_whole_first() {
        let sender = Sender::new();
        let mut events = sender.subscribe();
        let batch = |b: usize| (b * MOST..(b + 1) * MOST).map(scheduled);
        sender.send_all(batch(0));
        assert_eq!(slug(&events.recv().await.unwrap()), "post-0");
        // One batch more than is kept: the first of them is dropped for this subscriber.
        for b in 1..=KEPT + 1 {
            sender.send_all(batch(b));
        }
        for n in 1..MOST {
            assert_eq!(slug(&events.recv().await.unwrap()), format!("post-{n}"));
        }
        assert!(matches!(events.recv().await, Err(RecvError::Lagged(1))));
        assert_eq!(
            slug(&events.recv().await.unwrap()),
            format!("post-{}", 2 * MOST)
        );
    }
}
