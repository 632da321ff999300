//! IndexedDB: the candidate's machine is the first home of every fact.
//!
//! Stores (database `vigil`, version 3; each version added a store):
//! - `session`: key `"current"` → the login answer (token, attempt, schedule)
//!   as JSON, so a reload comes back signed in; `"sync:<attempt>"` → the
//!   sync cursor; `"review-open"` → whether the review screen is on show,
//!   so a reload or a new browser after a crash comes back to it;
//! - `events`: key `[attempt_id, seq]` → one engine event as JSON (its
//!   transport form). Events are written one user action per transaction,
//!   and the UI shows an action as saved only after that transaction
//!   completed, so an acknowledged answer survives a crash or a reload;
//! - `media` (since version 2): key = SHA-256 hex → the bytes (a
//!   `Uint8Array`) of a photo or video, stored before the event naming it;
//! - `packages` (since version 3): key = attempt id → the encrypted exam
//!   package as served, fetched right after login so the exam can start
//!   even if the network is poor at the start time.
//!
//! Events are written with `durability: "strict"` (see
//! [`strict_transaction`]): "saved" means flushed to disk.
//!
//! Values are JSON strings rather than structured-clone objects: the bytes
//! read back are the bytes the engine hashed, whatever the browser does.

use std::cell::RefCell;
use std::rc::Rc;

use idb::{
    Database, DatabaseEvent, Factory, KeyRange, ObjectStoreParams, Transaction, TransactionMode,
};
use vigil_api::{LoginResponse, PackageResponse};
use vigil_exam::Event;
use wasm_bindgen::JsCast;
use wasm_bindgen::JsValue;

const DB_NAME: &str = "vigil";
const DB_VERSION: u32 = 3;
const SESSION: &str = "session";
const EVENTS: &str = "events";
const MEDIA: &str = "media";
const PACKAGES: &str = "packages";
const CURRENT: &str = "current";

/// A storage failure, in words for the candidate's support reference.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoreError(pub String);

impl<E: std::fmt::Display> From<E> for StoreError {
    fn from(e: E) -> Self {
        StoreError(e.to_string())
    }
}

thread_local! {
    static DB: RefCell<Option<Rc<Database>>> = const { RefCell::new(None) };
    /// The same connection as a raw handle, for what the `idb` crate does
    /// not wrap (transaction durability).
    static RAW: RefCell<Option<web_sys::IdbDatabase>> = const { RefCell::new(None) };
}

/// The open database (opened and upgraded on first use).
async fn db() -> Result<Rc<Database>, StoreError> {
    if let Some(db) = DB.with(|d| d.borrow().clone()) {
        return Ok(db);
    }
    let factory = Factory::new()?;
    let mut request = factory.open(DB_NAME, Some(DB_VERSION))?;
    request.on_upgrade_needed(|event| {
        let Ok(db) = event.database() else { return };
        let names = db.store_names();
        if !names.iter().any(|n| n == SESSION) {
            let _ = db.create_object_store(SESSION, ObjectStoreParams::new());
        }
        for store in [EVENTS, MEDIA, PACKAGES] {
            if !names.iter().any(|n| n == store) {
                let _ = db.create_object_store(store, ObjectStoreParams::new());
            }
        }
    });
    let raw: web_sys::IdbDatabase = request.await?.into();
    let db = Rc::new(Database::from(raw.clone()));
    RAW.with(|r| *r.borrow_mut() = Some(raw));
    DB.with(|d| *d.borrow_mut() = Some(db.clone()));
    Ok(db)
}

/// A read-write transaction on `store` with `durability: "strict"`: its
/// `complete` event waits until the data is flushed to disk, so an answer
/// shown as saved survives a power cut or an OS crash, not only a tab
/// crash (Chromium's default is "relaxed"). Measured by `cargo xtask bench
/// app`: under a millisecond at the median. Falls back to the default
/// durability where the option is not understood.
async fn strict_transaction(store: &str) -> Result<Transaction, StoreError> {
    let db = db().await?;
    if let Some(tx) = RAW.with(|r| r.borrow().as_ref().and_then(|raw| strict_on(raw, store))) {
        return Ok(Transaction::from(tx));
    }
    Ok(db.transaction(&[store], TransactionMode::ReadWrite)?)
}

/// `raw.transaction(store, "readwrite", {durability: "strict"})`, through
/// `Reflect` because web-sys only offers the options behind its unstable
/// APIs flag.
fn strict_on(raw: &web_sys::IdbDatabase, store: &str) -> Option<web_sys::IdbTransaction> {
    let options = js_sys::Object::new();
    js_sys::Reflect::set(&options, &"durability".into(), &"strict".into()).ok()?;
    let open = js_sys::Reflect::get(raw, &"transaction".into())
        .ok()?
        .dyn_into::<js_sys::Function>()
        .ok()?;
    open.call3(raw, &store.into(), &"readwrite".into(), &options)
        .ok()?
        .dyn_into::<web_sys::IdbTransaction>()
        .ok()
}

fn event_key(attempt_id: &str, seq: u64) -> JsValue {
    let key = js_sys::Array::new();
    key.push(&JsValue::from_str(attempt_id));
    key.push(&JsValue::from_f64(seq as f64));
    key.into()
}

/// The key range of an attempt's events.
fn events_of(attempt_id: &str) -> Result<KeyRange, StoreError> {
    Ok(KeyRange::bound(
        &event_key(attempt_id, 0),
        &event_key(attempt_id, u64::from(u32::MAX) * 1024),
        None,
        None,
    )?)
}

/// One value of the `session` store (its own read transaction).
async fn session_get(key: &JsValue) -> Result<Option<JsValue>, StoreError> {
    let db = db().await?;
    let tx = db.transaction(&[SESSION], TransactionMode::ReadOnly)?;
    Ok(tx.object_store(SESSION)?.get(key.clone())?.await?)
}

/// Writes one value of the `session` store, committed before it returns.
async fn session_put(key: &JsValue, value: &JsValue) -> Result<(), StoreError> {
    let db = db().await?;
    let tx = db.transaction(&[SESSION], TransactionMode::ReadWrite)?;
    tx.object_store(SESSION)?.put(value, Some(key))?.await?;
    tx.commit()?.await?;
    Ok(())
}

/// Deletes one value of the `session` store, committed before it returns.
async fn session_delete(key: &JsValue) -> Result<(), StoreError> {
    let db = db().await?;
    let tx = db.transaction(&[SESSION], TransactionMode::ReadWrite)?;
    tx.object_store(SESSION)?.delete(key.clone())?.await?;
    tx.commit()?.await?;
    Ok(())
}

/// Remembers the signed-in candidate.
pub async fn save_session(login: &LoginResponse) -> Result<(), StoreError> {
    let json = serde_json::to_string(login)?;
    session_put(&CURRENT.into(), &JsValue::from_str(&json)).await
}

/// The remembered candidate, if any.
pub async fn load_session() -> Result<Option<LoginResponse>, StoreError> {
    let value = session_get(&CURRENT.into()).await?;
    match value.and_then(|v| v.as_string()) {
        Some(json) => Ok(Some(serde_json::from_str(&json)?)),
        None => Ok(None),
    }
}

/// Whether a candidate is signed in on this machine (the boot's question,
/// see [`crate::boot`]). The boot then closes its connection: the app it
/// loads opens its own, and a boot that kept one open would hold up a
/// later version's upgrade for as long as the page lives.
pub async fn signed_in_here() -> Result<bool, StoreError> {
    let found = session_get(&CURRENT.into()).await;
    if let Some(raw) = RAW.with(|r| r.borrow_mut().take()) {
        raw.close();
    }
    DB.with(|d| d.borrow_mut().take());
    Ok(found?.is_some())
}

/// Signs out on this machine. The attempt's events stay: nothing stored is lost.
pub async fn clear_session() -> Result<(), StoreError> {
    session_delete(&CURRENT.into()).await
}

const REVIEW_OPEN: &str = "review-open";

/// Remembers whether the review screen is on show. Written before the
/// screen changes (see `dom::show_review`): what the candidate sees is what
/// a new browser comes back to, even after a crash (`localStorage` and
/// `sessionStorage` are written back lazily, or die with the browser).
/// Closed is no value at all, so nothing of it stays once an attempt is
/// forgotten.
pub async fn save_review_open(open: bool) -> Result<(), StoreError> {
    match open {
        true => session_put(&REVIEW_OPEN.into(), &JsValue::TRUE).await,
        false => session_delete(&REVIEW_OPEN.into()).await,
    }
}

/// Whether the review screen was on show (`false` if never written).
pub async fn load_review_open() -> Result<bool, StoreError> {
    let value = session_get(&REVIEW_OPEN.into()).await?;
    Ok(value.and_then(|v| v.as_bool()).unwrap_or(false))
}

/// Forgets an attempt on this machine, in one transaction: its events, the
/// media it names (`media`), its package and key, its sync cursor, and the
/// remembered login and review screen. Only for an attempt the server has acknowledged
/// whole (see `session::sign_out`): then nothing of the candidate's needs
/// to stay on a shared or borrowed computer.
pub async fn forget_attempt(attempt_id: &str, media: &[String]) -> Result<(), StoreError> {
    let db = db().await?;
    let tx = db.transaction(
        &[SESSION, EVENTS, MEDIA, PACKAGES],
        TransactionMode::ReadWrite,
    )?;
    let range = events_of(attempt_id)?;
    tx.object_store(EVENTS)?.delete(range)?.await?;
    let store = tx.object_store(MEDIA)?;
    for sha in media {
        store.delete(JsValue::from_str(sha))?.await?;
    }
    let packages = tx.object_store(PACKAGES)?;
    packages.delete(JsValue::from_str(attempt_id))?.await?;
    packages.delete(key_slot(attempt_id))?.await?;
    packages.delete(questions_key_slot(attempt_id))?.await?;
    let session = tx.object_store(SESSION)?;
    session.delete(progress_slot(attempt_id))?.await?;
    session.delete(JsValue::from_str(CURRENT))?.await?;
    session.delete(JsValue::from_str(REVIEW_OPEN))?.await?;
    tx.commit()?.await?;
    Ok(())
}

/// Appends events in one transaction; resolves once it is committed.
pub async fn append_events(attempt_id: &str, events: &[Event]) -> Result<(), StoreError> {
    let tx = strict_transaction(EVENTS).await?;
    let store = tx.object_store(EVENTS)?;
    for e in events {
        let json = serde_json::to_string(e)?;
        // `add`, not `put`: an event is never overwritten.
        store
            .add(
                &JsValue::from_str(&json),
                Some(&event_key(attempt_id, e.seq)),
            )?
            .await?;
    }
    tx.commit()?.await?;
    Ok(())
}

/// Every stored event of an attempt, in seq order.
pub async fn load_events(attempt_id: &str) -> Result<Vec<Event>, StoreError> {
    let db = db().await?;
    let tx = db.transaction(&[EVENTS], TransactionMode::ReadOnly)?;
    let range = events_of(attempt_id)?;
    let values = tx
        .object_store(EVENTS)?
        .get_all(Some(range.into()), None)?
        .await?;
    values
        .into_iter()
        .map(|v| {
            let json = v
                .as_string()
                .ok_or_else(|| StoreError("stored event is not text".into()))?;
            Ok(serde_json::from_str(&json)?)
        })
        .collect()
}

/// Stores a media blob under its SHA-256 (hex); storing the same bytes
/// again is harmless.
pub async fn put_media(sha256: &str, bytes: &[u8]) -> Result<(), StoreError> {
    let db = db().await?;
    let tx = db.transaction(&[MEDIA], TransactionMode::ReadWrite)?;
    let array = js_sys::Uint8Array::from(bytes);
    tx.object_store(MEDIA)?
        .put(&array.into(), Some(&JsValue::from_str(sha256)))?
        .await?;
    tx.commit()?.await?;
    Ok(())
}

/// A stored media blob, if present.
pub async fn get_media(sha256: &str) -> Result<Option<Vec<u8>>, StoreError> {
    let db = db().await?;
    let tx = db.transaction(&[MEDIA], TransactionMode::ReadOnly)?;
    let value = tx
        .object_store(MEDIA)?
        .get(JsValue::from_str(sha256))?
        .await?;
    Ok(value.map(|v| js_sys::Uint8Array::new(&v).to_vec()))
}

/// Keeps the encrypted package of an attempt.
pub async fn save_package(attempt_id: &str, package: &PackageResponse) -> Result<(), StoreError> {
    let json = serde_json::to_string(package)?;
    let db = db().await?;
    let tx = db.transaction(&[PACKAGES], TransactionMode::ReadWrite)?;
    let key = JsValue::from_str(attempt_id);
    tx.object_store(PACKAGES)?
        .put(&JsValue::from_str(&json), Some(&key))?
        .await?;
    tx.commit()?.await?;
    Ok(())
}

/// The stored package of an attempt, if it was downloaded.
pub async fn load_package(attempt_id: &str) -> Result<Option<PackageResponse>, StoreError> {
    let db = db().await?;
    let tx = db.transaction(&[PACKAGES], TransactionMode::ReadOnly)?;
    let value = tx
        .object_store(PACKAGES)?
        .get(JsValue::from_str(attempt_id))?
        .await?;
    match value.and_then(|v| v.as_string()) {
        Some(json) => Ok(Some(serde_json::from_str(&json)?)),
        None => Ok(None),
    }
}

fn key_slot(attempt_id: &str) -> JsValue {
    JsValue::from_str(&format!("{attempt_id}#key"))
}

fn questions_key_slot(attempt_id: &str) -> JsValue {
    JsValue::from_str(&format!("{attempt_id}#questions-key"))
}

/// Keeps the questions' key released at the opening (#31), so a reload
/// reopens the questions themselves, not only the exam's skeleton.
pub async fn save_questions_key(attempt_id: &str, key_b64: &str) -> Result<(), StoreError> {
    let db = db().await?;
    let tx = db.transaction(&[PACKAGES], TransactionMode::ReadWrite)?;
    tx.object_store(PACKAGES)?
        .put(
            &JsValue::from_str(key_b64),
            Some(&questions_key_slot(attempt_id)),
        )?
        .await?;
    tx.commit()?.await?;
    Ok(())
}

/// The stored questions' key of an attempt, once its questions opened here.
pub async fn load_questions_key(attempt_id: &str) -> Result<Option<String>, StoreError> {
    let db = db().await?;
    let tx = db.transaction(&[PACKAGES], TransactionMode::ReadOnly)?;
    let value = tx
        .object_store(PACKAGES)?
        .get(questions_key_slot(attempt_id))?
        .await?;
    Ok(value.and_then(|v| v.as_string()))
}

/// Keeps the package key released at the start, so a reload can reopen the exam.
pub async fn save_key(attempt_id: &str, key_b64: &str) -> Result<(), StoreError> {
    let db = db().await?;
    let tx = db.transaction(&[PACKAGES], TransactionMode::ReadWrite)?;
    tx.object_store(PACKAGES)?
        .put(&JsValue::from_str(key_b64), Some(&key_slot(attempt_id)))?
        .await?;
    tx.commit()?.await?;
    Ok(())
}

/// The stored package key of an attempt, if it started on this machine.
pub async fn load_key(attempt_id: &str) -> Result<Option<String>, StoreError> {
    let db = db().await?;
    let tx = db.transaction(&[PACKAGES], TransactionMode::ReadOnly)?;
    let value = tx
        .object_store(PACKAGES)?
        .get(key_slot(attempt_id))?
        .await?;
    Ok(value.and_then(|v| v.as_string()))
}

fn progress_slot(attempt_id: &str) -> JsValue {
    JsValue::from_str(&format!("sync:{attempt_id}"))
}

/// The sync cursor of an attempt: acked seq and media hashes the server holds.
pub async fn load_sync(attempt_id: &str) -> Result<Option<String>, StoreError> {
    let value = session_get(&progress_slot(attempt_id)).await?;
    Ok(value.and_then(|v| v.as_string()))
}

/// Saves the sync cursor (JSON).
pub async fn save_sync(attempt_id: &str, json: &str) -> Result<(), StoreError> {
    session_put(&progress_slot(attempt_id), &JsValue::from_str(json)).await
}
