//! The one home of the candidate's attempt in this tab.
//!
//! [`AttemptStore`] owns the engine's [`Attempt`] (its whole event log) and
//! nothing else in the app holds one. Every step goes through it, one at a
//! time (an async mutex: a click, a focus loss and a timer boundary that
//! arrive together are stored in order, each building on the one before):
//!
//! 1. the engine command runs on the attempt *in place* (no copy of the log:
//!    a step costs the same at the 1st event and at the 2 000th);
//! 2. the events it produced are written to IndexedDB;
//! 3. only then does the view see the step: the store hands it a snapshot,
//!    an `Rc` of the small [`AttemptState`] (answers, sections, incidents),
//!    never the log.
//!
//! If the engine refuses the command, the attempt is rewound to the state
//! last kept ([`Attempt::rewind_to`]). If **IndexedDB refuses the write**
//! (quota, a broken profile), the step is kept all the same, in memory: the
//! exam goes on, the sync sends what is kept as usual (the server is then
//! the copy that counts), and the store says why it is refusing
//! ([`AttemptStore::listen_storage`]: the page shows a banner telling the
//! candidate not to close the tab). Every later step, and every sync round
//! ([`AttemptStore::flush`]), first writes what is still only in memory —
//! events and media — so once IndexedDB takes writes again the log on disk
//! is whole and a reload restores everything. Kept events are never taken
//! back, so nothing the server may have received is retracted.
//!
//! Readers of the log (the sync, the copy, the proctoring rules after a
//! reload) see only kept events ([`AttemptStore::with_stored`]), never one
//! whose write is still in progress.

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::rc::Rc;

use futures_util::lock::Mutex;
use sha2::{Digest, Sha256};
use vigil_exam::{Attempt, AttemptError, AttemptState, Event};

use crate::browser::{clock, idb};

/// Why a step could not be recorded.
#[derive(Debug, Clone, PartialEq)]
pub enum CommitError {
    /// The engine refused the step (wrong phase, outside the window…).
    Refused(AttemptError),
    /// IndexedDB did not store it (quota, private mode, broken profile).
    Storage(String),
    /// No attempt is held (signed out meanwhile).
    NoAttempt,
}

impl std::fmt::Display for CommitError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            CommitError::Refused(e) => write!(f, "refused: {e}"),
            CommitError::Storage(e) => write!(f, "storage: {e}"),
            CommitError::NoAttempt => f.write_str("no attempt is open"),
        }
    }
}

/// Trusted time for an attempt: the device clock corrected by the last
/// measured server offset (a `clock_sync` event).
pub fn now_ms(state: &AttemptState) -> i64 {
    clock::wall_ms() + state.clock_offset_ms.unwrap_or(0)
}

/// What the view is told after each kept step.
pub type Listener = Box<dyn Fn(Rc<AttemptState>)>;

/// What the view is told when IndexedDB starts refusing writes (why) and
/// when it takes them again (`None`).
pub type StorageListener = Box<dyn Fn(Option<String>)>;

struct Held {
    id: String,
    attempt: Attempt,
    /// The state after the last kept event (what the view shows, and what
    /// a refused step rewinds to).
    stored: Rc<AttemptState>,
    /// The last seq written to IndexedDB (the events after it, up to
    /// `stored.last_seq`, are kept in memory only).
    on_disk: u64,
    /// Media blobs IndexedDB refused, by SHA-256, until written.
    media: BTreeMap<String, Rc<Vec<u8>>>,
    /// Why IndexedDB refuses writes, while it does.
    refusal: Option<String>,
}

struct Inner {
    /// One step at a time: seqs are given out in order.
    turn: Mutex<()>,
    held: RefCell<Option<Held>>,
    listener: RefCell<Option<Listener>>,
    storage_listener: RefCell<Option<StorageListener>>,
}

/// A cheap handle on the tab's one attempt (clones share it).
#[derive(Clone)]
pub struct AttemptStore(Rc<Inner>);

impl PartialEq for AttemptStore {
    fn eq(&self, other: &Self) -> bool {
        Rc::ptr_eq(&self.0, &other.0)
    }
}

impl Default for AttemptStore {
    fn default() -> Self {
        AttemptStore(Rc::new(Inner {
            turn: Mutex::new(()),
            held: RefCell::new(None),
            listener: RefCell::new(None),
            storage_listener: RefCell::new(None),
        }))
    }
}

impl AttemptStore {
    /// Who hears of each stored step (the app's reducer).
    pub fn listen(&self, listener: Listener) {
        *self.0.listener.borrow_mut() = Some(listener);
    }

    /// Who hears that IndexedDB refuses writes, or takes them again.
    pub fn listen_storage(&self, listener: StorageListener) {
        *self.0.storage_listener.borrow_mut() = Some(listener);
    }

    /// Takes `attempt` (rebuilt from IndexedDB, so stored) as the tab's
    /// attempt; returns the view's first snapshot.
    pub fn hold(&self, id: &str, attempt: Attempt) -> Rc<AttemptState> {
        let stored = Rc::new(attempt.state().clone());
        *self.0.held.borrow_mut() = Some(Held {
            id: id.to_owned(),
            on_disk: stored.last_seq,
            attempt,
            stored: stored.clone(),
            media: BTreeMap::new(),
            refusal: None,
        });
        stored
    }

    /// Lets the attempt go (sign-out): later steps are refused.
    pub fn release(&self) {
        *self.0.held.borrow_mut() = None;
    }

    /// The attempt's id, while one is held.
    pub fn id(&self) -> Option<String> {
        self.0.held.borrow().as_ref().map(|h| h.id.clone())
    }

    /// The state after the last kept event.
    pub fn snapshot(&self) -> Option<Rc<AttemptState>> {
        self.0.held.borrow().as_ref().map(|h| h.stored.clone())
    }

    /// Why IndexedDB refuses writes, while it does.
    pub fn refusal(&self) -> Option<String> {
        self.0
            .held
            .borrow()
            .as_ref()
            .and_then(|h| h.refusal.clone())
    }

    /// A media blob IndexedDB refused, kept in memory (the sync sends it
    /// from here).
    pub fn media_in_memory(&self, sha: &str) -> Option<Rc<Vec<u8>>> {
        let held = self.0.held.borrow();
        held.as_ref()?.media.get(sha).cloned()
    }

    /// Reads the kept part of the log (never an event still being
    /// written), with the state it leads to.
    pub fn with_stored<R>(&self, f: impl FnOnce(&AttemptState, &[Event]) -> R) -> Option<R> {
        let held = self.0.held.borrow();
        let h = held.as_ref()?;
        let stored = usize::try_from(h.stored.last_seq).unwrap_or(usize::MAX);
        let events = h.attempt.events();
        Some(f(&h.stored, &events[..stored.min(events.len())]))
    }

    /// Stored events with `seq > after`, at most `max` of them.
    pub fn stored_events_after(&self, after: u64, max: usize) -> Vec<Event> {
        self.with_stored(|_, events| {
            let from = usize::try_from(after).unwrap_or(usize::MAX);
            events
                .get(from..)
                .map(|rest| rest.iter().take(max).cloned().collect())
                .unwrap_or_default()
        })
        .unwrap_or_default()
    }

    /// Runs one engine command at the trusted time and stores its event.
    pub async fn commit(
        &self,
        command: impl FnOnce(&mut Attempt, i64) -> Result<Event, AttemptError>,
    ) -> Result<Rc<AttemptState>, CommitError> {
        self.commit_all(|a, now| command(a, now).map(|e| vec![e]))
            .await
    }

    /// Stores a media blob (by its SHA-256), then runs the command that
    /// names it: an event never refers to bytes that are not kept (on
    /// disk, or in memory while IndexedDB refuses them).
    pub async fn commit_media(
        &self,
        bytes: &[u8],
        command: impl FnOnce(&mut Attempt, &str, i64) -> Result<Event, AttemptError>,
    ) -> Result<Rc<AttemptState>, CommitError> {
        let sha = hex::encode(Sha256::digest(bytes));
        if !self.put_media(&sha, bytes).await {
            return Err(CommitError::NoAttempt);
        }
        self.commit(|a, now| command(a, &sha, now)).await
    }

    /// Writes a media blob to IndexedDB, or keeps it in memory when
    /// IndexedDB refuses (until [`AttemptStore::flush`] writes it). False
    /// only when no attempt is held.
    pub async fn put_media(&self, sha: &str, bytes: &[u8]) -> bool {
        let Err(e) = idb::put_media(sha, bytes).await else {
            return true;
        };
        let mut held = self.0.held.borrow_mut();
        let Some(h) = held.as_mut() else {
            return false;
        };
        h.media.insert(sha.to_owned(), Rc::new(bytes.to_vec()));
        let changed = h.refusal.replace(e.0.clone()).is_none();
        drop(held);
        if changed {
            self.tell_storage(Some(e.0));
        }
        true
    }

    /// Writes to IndexedDB what is kept in memory only (after a refusal);
    /// the sync calls it every round. Says whether everything is on disk.
    pub async fn flush(&self) -> bool {
        let _turn = self.0.turn.lock().await;
        self.write_pending(&[]).await
    }

    /// Writes the media and events kept in memory only, with `new` events
    /// after them, in one go; records the outcome (and tells the storage
    /// listener when it changes). Runs under the turn.
    async fn write_pending(&self, new: &[Event]) -> bool {
        let (id, media, mut events) = {
            let held = self.0.held.borrow();
            let Some(h) = held.as_ref() else {
                return true;
            };
            let from = usize::try_from(h.on_disk).unwrap_or(usize::MAX);
            let upto = usize::try_from(h.stored.last_seq).unwrap_or(usize::MAX);
            let pending = h.attempt.events().get(from..upto).unwrap_or_default();
            let media: Vec<(String, Rc<Vec<u8>>)> = h
                .media
                .iter()
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect();
            (h.id.clone(), media, pending.to_vec())
        };
        events.extend_from_slice(new);
        if media.is_empty() && events.is_empty() {
            return true;
        }
        let mut written = Ok(());
        for (sha, bytes) in &media {
            written = idb::put_media(sha, bytes).await;
            if written.is_err() {
                break;
            }
        }
        if written.is_ok() && !events.is_empty() {
            written = idb::append_events(&id, &events).await;
        }
        let change = {
            let mut held = self.0.held.borrow_mut();
            let Some(h) = held.as_mut().filter(|h| h.id == id) else {
                return false;
            };
            match &written {
                Ok(()) => {
                    // Only what was written: a blob kept meanwhile stays.
                    for (sha, _) in &media {
                        h.media.remove(sha);
                    }
                    h.on_disk = events.last().map_or(h.on_disk, |e| e.seq);
                    h.refusal.take().map(|_| None)
                }
                Err(e) => {
                    let was = h.refusal.replace(e.0.clone());
                    was.is_none().then(|| Some(e.0.clone()))
                }
            }
        };
        if let Some(change) = change {
            self.tell_storage(change);
        }
        written.is_ok()
    }

    fn tell_storage(&self, refusal: Option<String>) {
        if let Some(listener) = self.0.storage_listener.borrow().as_ref() {
            listener(refusal);
        }
    }

    /// Runs engine commands that may append several events (or none) and
    /// stores them in one IndexedDB transaction; the view hears of them
    /// once they are stored.
    pub async fn commit_all(
        &self,
        command: impl FnOnce(&mut Attempt, i64) -> Result<Vec<Event>, AttemptError>,
    ) -> Result<Rc<AttemptState>, CommitError> {
        let _turn = self.0.turn.lock().await;
        // The command runs in place; no borrow is held across an await.
        let (id, events) = {
            let mut held = self.0.held.borrow_mut();
            let h = held.as_mut().ok_or(CommitError::NoAttempt)?;
            let now = now_ms(&h.stored);
            match command(&mut h.attempt, now) {
                Ok(events) => (h.id.clone(), events),
                Err(e) => {
                    rewind(h);
                    return Err(CommitError::Refused(e));
                }
            }
        };
        if events.is_empty() {
            return self.snapshot().ok_or(CommitError::NoAttempt);
        }
        // Written with whatever IndexedDB refused before; refused again,
        // the step is kept in memory all the same (see the module's doc).
        self.write_pending(&events).await;
        let snapshot = {
            let mut held = self.0.held.borrow_mut();
            // Released (signed out) while writing: nothing left to update.
            let h = held
                .as_mut()
                .filter(|h| h.id == id)
                .ok_or(CommitError::NoAttempt)?;
            h.stored = Rc::new(h.attempt.state().clone());
            h.stored.clone()
        };
        if let Some(listener) = self.0.listener.borrow().as_ref() {
            listener(snapshot.clone());
        }
        Ok(snapshot)
    }
}

/// Back to the state last stored (the step's events are dropped).
fn rewind(h: &mut Held) {
    if h.attempt.state().last_seq != h.stored.last_seq || h.attempt.state() != &*h.stored {
        // Cannot fail: the stored state is a prefix of this attempt's log.
        let _ = h.attempt.rewind_to((*h.stored).clone());
    }
}
