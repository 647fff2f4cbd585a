//! Sealed storage of connections: every record is encrypted, bound to its place, versioned by
//! generation, and written so that no failure loses the previous version.
//!
//! Layout in the key-value store, for connection `<id>`:
//!
//! | key | value |
//! |---|---|
//! | `conn:<id>` | head, [signed](signed): `{"gen":N,"glance":{…}}` (or `{"gen":N,"unreadable":"…"}` once quarantined) |
//! | `rec:<id>:<N>` | [`SealedRecord`] of generation N |
//! | `quarantine:<id>:<N>` | a record that failed to open, kept aside, never deleted silently |
//!
//! A save seals generation N+1 under its own key, then moves the head, then drops N (write new,
//! then swap): a write that fails or is interrupted leaves the head on N, which still opens. The
//! save is a compare-and-swap on the generation, so a writer that read an older generation
//! cannot overwrite a newer one. The associated data of each seal names the format version and
//! the exact storage key, so a record copied to another connection or generation, or relabelled
//! with another version, fails to open.
//!
//! The head is an index the vault itself can rebuild: it is signed, and a head that fails its
//! tag (written by something else, or by an earlier build) is ignored — the newest record of the
//! connection that opens is the truth, the head is written again from it, and the
//! connection's history says so. A forged `parked`, `next` or `alert` therefore never stops or
//! delays a check, and nothing found in clear is ever sealed.

pub mod signed;

use crate::connection::{Connection, Event};
use crate::ids::ConnectionId;
use crate::ports::{Store, StoreError};
use crate::status::{Alert, Unreadable};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::{Deserialize, Serialize};
use std::cell::RefCell;
use std::collections::BTreeMap;

/// Version of the sealed record format.
pub const SEAL_VERSION: u32 = 1;
/// Prefix of head keys.
pub const HEAD_PREFIX: &str = "conn:";
const RECORD_PREFIX: &str = "rec:";
const QUARANTINE_PREFIX: &str = "quarantine:";

/// One sealed record as stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SealedRecord {
    /// [`SEAL_VERSION`].
    pub v: u32,
    /// Which key sealed it.
    pub kid: String,
    /// The AES-GCM nonce, base64url.
    pub nonce: String,
    /// Ciphertext with its tag, base64url.
    pub ciphertext: String,
}

/// The output of a seal.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sealed {
    /// Which key sealed it.
    pub kid: String,
    /// The nonce used.
    pub nonce: Vec<u8>,
    /// Ciphertext with its tag.
    pub ciphertext: Vec<u8>,
}

/// Why sealing or opening failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SealError {
    /// No key with that id exists any more (the browser's key store was cleared).
    #[error("the encryption key is gone")]
    KeyMissing,
    /// The record failed authentication: altered, truncated, moved or sealed for elsewhere.
    #[error("the record failed its integrity check")]
    Rejected,
    /// The crypto or key store backend failed.
    #[error("the encryption backend failed: {0}")]
    Backend(String),
}

/// Authenticated encryption (AES-256-GCM in the browser) under a key the sealer keeps.
#[allow(async_fn_in_trait)]
pub trait Sealer {
    /// Encrypts `plaintext` bound to `aad` under the current key, creating it if none exists.
    async fn seal(&self, aad: &[u8], plaintext: &[u8]) -> Result<Sealed, SealError>;
    /// Decrypts and authenticates under key `kid`.
    async fn open(
        &self,
        kid: &str,
        nonce: &[u8],
        aad: &[u8],
        ciphertext: &[u8],
    ) -> Result<Vec<u8>, SealError>;
}

/// Why a sealed record did not open: a lost key or a rejected seal is the record's fault, a
/// failing backend is not (it may open later).
fn unreadable(e: &SealError) -> Option<Unreadable> {
    match e {
        SealError::KeyMissing => Some(Unreadable::KeyLost),
        SealError::Rejected => Some(Unreadable::Tampered),
        SealError::Backend(_) => None,
    }
}

/// Why a vault operation failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum VaultError {
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The crypto backend failed (not the record: it may still open later).
    #[error(transparent)]
    Seal(#[from] SealError),
    /// Another writer saved a newer generation since this one was read.
    #[error("the connection was changed elsewhere at the same time; try again")]
    Conflict,
}

/// What loading a connection found.
#[derive(Debug)]
pub enum Loaded {
    /// The record opened; `generation` is what a save must compare against.
    Ok {
        /// The connection.
        conn: Box<Connection>,
        /// Its generation.
        generation: u64,
    },
    /// The record cannot be read and has been quarantined.
    Unreadable {
        /// Why.
        reason: Unreadable,
        /// The head's generation, for the save that replaces it.
        generation: u64,
    },
}

#[derive(Debug, Default, Serialize, Deserialize)]
struct Head {
    #[serde(rename = "gen")]
    generation: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    unreadable: Option<Unreadable>,
    /// The schedule of this generation, in clear, so a tick or the badge need not open every
    /// record. Heads written before it lack it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    glance: Option<Schedule>,
}

/// What a head says about its connection without opening the record: no secret, only when
/// it is next due and whether it needs the person (the badge shows as much to anyone).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Schedule {
    /// When the connection is next checked.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next: Option<crate::time::Timestamp>,
    /// It needs a sign-in: no scheduled check until the person acts.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub parked: bool,
    /// What the person must do, when anything (see `StatusView::alert`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub alert: Option<Alert>,
    /// The last check failed and `next` is a retry (backoff or `Retry-After`), which may lie
    /// further ahead than a check interval.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub retrying: bool,
}

impl Schedule {
    /// What the head of `conn`'s current generation says about it.
    pub fn of(conn: &Connection) -> Self {
        Self {
            next: conn.schedule.next_check,
            parked: matches!(conn.status, crate::status::Status::NeedsSignIn { .. }),
            alert: conn.status.view(conn.provider()).alert,
            retrying: conn.schedule.failures > 0,
        }
    }

    /// Whether a scheduled check is due at `now`. A connection that needs a sign-in waits for
    /// the person; one from before scheduling has no date and is due now.
    pub fn due(&self, now: crate::time::Timestamp, timing: &crate::schedule::Timing) -> bool {
        !self.parked
            && self
                .next
                .is_none_or(|t| crate::schedule::is_due(Some(t), self.retrying, now, timing))
    }
}

/// A connection as its head shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Glance {
    /// The head predates schedules in heads (or is not a generation head): open the record.
    Unknown,
    /// The record cannot be read.
    Unreadable(Unreadable),
    /// The schedule of the current generation.
    Known(Schedule),
}

/// The associated data of generation `generation` of `id`: version and storage key.
pub fn associated_data(v: u32, record_key: &str) -> Vec<u8> {
    format!("tokenwatch/sealed/v{v}/{record_key}").into_bytes()
}

fn head_key(id: &ConnectionId) -> String {
    format!("{HEAD_PREFIX}{id}")
}

pub(crate) fn record_key(id: &ConnectionId, generation: u64) -> String {
    format!("{RECORD_PREFIX}{id}:{generation}")
}

fn b64(bytes: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

/// The heads a long-lived engine has verified, by storage key: the exact text each had, so
/// a tick need not verify an unchanged head again.
pub type VerifiedHeads = RefCell<BTreeMap<String, String>>;

/// Sealed connection storage over a [`Store`] and a [`Sealer`].
#[derive(Debug)]
pub struct Vault<'a, S, C> {
    store: &'a S,
    sealer: &'a C,
    now: Option<crate::time::Timestamp>,
    verified: Option<&'a VerifiedHeads>,
}

impl<'a, S: Store, C: Sealer> Vault<'a, S, C> {
    /// A vault over `store`, sealing with `sealer`.
    pub fn new(store: &'a S, sealer: &'a C) -> Self {
        Self {
            store,
            sealer,
            now: None,
            verified: None,
        }
    }

    /// The same vault, which dates what it notes in a connection's history (a head that failed
    /// its check) at `now`, and remembers the heads it verified in `verified`.
    pub fn with(mut self, now: crate::time::Timestamp, verified: &'a VerifiedHeads) -> Self {
        self.now = Some(now);
        self.verified = Some(verified);
        self
    }

    /// The head stored under `key` as `raw`, when its tag verifies.
    async fn verified_head(&self, key: &str, raw: &str) -> Result<Head, signed::Unverified> {
        if let Some(memo) = self.verified {
            if memo.borrow().get(key).is_some_and(|seen| seen == raw) {
                if let Ok(head) = Self::head_body(raw) {
                    return Ok(head);
                }
            }
        }
        let body = signed::verify(self.sealer, key, raw).await?;
        let head = serde_json::from_slice::<Head>(body.as_bytes())
            .map_err(|_| signed::Unverified::Rejected)?;
        if let Some(memo) = self.verified {
            memo.borrow_mut().insert(key.to_owned(), raw.to_owned());
        }
        Ok(head)
    }

    /// The head inside an already verified stored text.
    fn head_body(raw: &str) -> Result<Head, ()> {
        #[derive(Deserialize)]
        struct Body {
            body: String,
        }
        let body: Body = serde_json::from_slice(raw.as_bytes()).map_err(|_| ())?;
        serde_json::from_slice(body.body.as_bytes()).map_err(|_| ())
    }

    /// Writes `head` for `id`, signed.
    async fn put_head(&self, id: &ConnectionId, head: &Head) -> Result<(), VaultError> {
        let key = head_key(id);
        let body = serde_json::to_string(head).expect("a head serializes");
        let stored = signed::sign(self.sealer, &key, body).await?;
        self.store.put(&key, stored.clone()).await?;
        if let Some(memo) = self.verified {
            memo.borrow_mut().insert(key, stored);
        }
        Ok(())
    }

    /// Every connection id with a head, in order.
    pub async fn ids(&self) -> Result<Vec<ConnectionId>, VaultError> {
        Ok(self
            .store
            .list(HEAD_PREFIX)
            .await?
            .into_iter()
            .filter_map(|(k, _)| ConnectionId::parse(&k[HEAD_PREFIX.len()..]))
            .collect())
    }

    /// Every connection's head, read in one pass without opening a record. A head whose tag
    /// does not verify says nothing: [`Glance::Unknown`], so the record is opened.
    pub async fn glance(&self) -> Result<Vec<(ConnectionId, Glance)>, VaultError> {
        let heads = self.store.list(HEAD_PREFIX).await?;
        // Every head's tag is checked at once: the sealer's calls overlap.
        let checked = crate::concurrent::all(heads.iter().filter_map(|(key, raw)| {
            let id = ConnectionId::parse(&key[HEAD_PREFIX.len()..])?;
            Some(async move { (id, self.verified_head(key, raw).await) })
        }))
        .await;
        let mut out = Vec::new();
        for (id, head) in checked {
            let glance = match head {
                Ok(Head {
                    unreadable: Some(reason),
                    ..
                }) => Glance::Unreadable(reason),
                Ok(Head {
                    glance: Some(schedule),
                    ..
                }) => Glance::Known(schedule),
                _ => Glance::Unknown,
            };
            out.push((id, glance));
        }
        Ok(out)
    }

    /// Loads `id`. A record that cannot be opened is copied to quarantine and the head marked,
    /// so the next load answers at once and the data stays for inspection. A head that fails
    /// its tag is rebuilt from the newest record that opens; a connection found in clear
    /// (planted, or from the first build, before sealing) is never sealed: it is quarantined.
    pub async fn load(&self, id: &ConnectionId) -> Result<Option<Loaded>, VaultError> {
        let Some(raw_head) = self.store.get(&head_key(id)).await? else {
            return Ok(None);
        };
        self.load_from(id, raw_head, None).await.map(Some)
    }

    /// Every connection, loaded as [`Vault::load`] does, from one read of the whole store.
    pub async fn load_all(&self) -> Result<Vec<(ConnectionId, Loaded)>, VaultError> {
        let everything: BTreeMap<String, String> = self.store.list("").await?.into_iter().collect();
        let mut out = Vec::new();
        let heads = everything
            .range(HEAD_PREFIX.to_owned()..)
            .take_while(|(k, _)| k.starts_with(HEAD_PREFIX));
        for (key, raw_head) in heads {
            let Some(id) = ConnectionId::parse(&key[HEAD_PREFIX.len()..]) else {
                continue;
            };
            let loaded = self
                .load_from(&id, raw_head.clone(), Some(&everything))
                .await?;
            out.push((id, loaded));
        }
        Ok(out)
    }

    /// [`Vault::load`] from a head already read; the record comes from `read` when given (a
    /// snapshot of the store), else from the store.
    async fn load_from(
        &self,
        id: &ConnectionId,
        raw_head: String,
        read: Option<&BTreeMap<String, String>>,
    ) -> Result<Loaded, VaultError> {
        let head = match self.verified_head(&head_key(id), &raw_head).await {
            Ok(head) => head,
            Err(signed::Unverified::Backend(e)) => return Err(SealError::Backend(e).into()),
            Err(_) => return self.recover(id, &raw_head, read).await,
        };
        if let Some(reason) = head.unreadable {
            return Ok(Loaded::Unreadable {
                reason,
                generation: head.generation,
            });
        }
        let key = record_key(id, head.generation);
        let raw = match read {
            Some(snapshot) => snapshot.get(&key).cloned(),
            None => self.store.get(&key).await?,
        };
        let Some(raw) = raw else {
            return self
                .quarantine(id, head.generation, "", Unreadable::Missing)
                .await;
        };
        match self.open_record(id, &key, &raw).await? {
            Ok(conn) => Ok(Loaded::Ok {
                conn: Box::new(conn),
                generation: head.generation,
            }),
            Err(reason) => self.quarantine(id, head.generation, &raw, reason).await,
        }
    }

    /// Opens the sealed record `raw` stored under `key` for `id`: the connection, or why it
    /// cannot be read; `Err` only when the crypto backend failed (the record may open later).
    async fn open_record(
        &self,
        id: &ConnectionId,
        key: &str,
        raw: &str,
    ) -> Result<Result<Connection, Unreadable>, VaultError> {
        let record = match serde_json::from_slice::<SealedRecord>(raw.as_bytes()) {
            Ok(r) if r.v == SEAL_VERSION => r,
            _ => return Ok(Err(Unreadable::UnknownFormat)),
        };
        let (Ok(nonce), Ok(ciphertext)) = (
            URL_SAFE_NO_PAD.decode(&record.nonce),
            URL_SAFE_NO_PAD.decode(&record.ciphertext),
        ) else {
            return Ok(Err(Unreadable::Tampered));
        };
        let aad = associated_data(record.v, key);
        let plain = match self
            .sealer
            .open(&record.kid, &nonce, &aad, &ciphertext)
            .await
        {
            Ok(p) => p,
            Err(e) => match unreadable(&e) {
                Some(reason) => return Ok(Err(reason)),
                None => return Err(e.into()),
            },
        };
        Ok(match Connection::from_json(&plain) {
            Ok(conn) if conn.id == *id => Ok(conn),
            _ => Err(Unreadable::UnknownFormat),
        })
    }

    /// `id`'s head failed its tag: the newest of its records that opens is the connection (each
    /// record's seal names its own generation, so none can pose as another), the head is
    /// written again from it, and its history notes what was ignored. With no record that
    /// opens, the connection is quarantined and what was stored kept aside.
    async fn recover(
        &self,
        id: &ConnectionId,
        raw_head: &str,
        read: Option<&BTreeMap<String, String>>,
    ) -> Result<Loaded, VaultError> {
        let prefix = format!("{RECORD_PREFIX}{id}:");
        let mut records: Vec<(u64, String, String)> = match read {
            Some(snapshot) => snapshot
                .range(prefix.clone()..)
                .take_while(|(k, _)| k.starts_with(&prefix))
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect(),
            None => self.store.list(&prefix).await?,
        }
        .into_iter()
        .filter_map(|(k, v)| Some((k[prefix.len()..].parse::<u64>().ok()?, k, v)))
        .collect();
        records.sort_by_key(|r| std::cmp::Reverse(r.0));
        let mut first_failure = None;
        for (generation, key, raw) in &records {
            match self.open_record(id, key, raw).await? {
                Ok(mut conn) => {
                    if let Some(now) = self.now {
                        conn.record(
                            now,
                            Event::StoredScheduleIgnored,
                            "its stored schedule failed the integrity check; rebuilt from the sealed record".into(),
                        );
                        let generation = self.swap_in(&conn, *generation).await?;
                        return Ok(Loaded::Ok {
                            conn: Box::new(conn),
                            generation,
                        });
                    }
                    self.put_head(
                        id,
                        &Head {
                            generation: *generation,
                            unreadable: None,
                            glance: Some(Schedule::of(&conn)),
                        },
                    )
                    .await?;
                    return Ok(Loaded::Ok {
                        conn: Box::new(conn),
                        generation: *generation,
                    });
                }
                Err(reason) => {
                    first_failure.get_or_insert((*generation, raw.clone(), reason));
                }
            }
        }
        match first_failure {
            Some((generation, raw, reason)) => self.quarantine(id, generation, &raw, reason).await,
            None => {
                let generation = records.first().map_or(0, |r| r.0);
                self.quarantine(id, generation, raw_head, Unreadable::UnknownFormat)
                    .await
            }
        }
    }

    /// Seals `conn` as the generation after `expected` (0: no connection yet) and swaps it in.
    /// Returns the new generation.
    pub async fn save(&self, conn: &Connection, expected: u64) -> Result<u64, VaultError> {
        let current = self.current_gen(&conn.id).await?;
        if current != expected {
            return Err(VaultError::Conflict);
        }
        self.swap_in(conn, current).await
    }

    /// Removes every trace of `id`: head, records and quarantined copies.
    pub async fn delete(&self, id: &ConnectionId) -> Result<(), VaultError> {
        self.store.delete(&head_key(id)).await?;
        for prefix in [
            format!("{RECORD_PREFIX}{id}:"),
            format!("{QUARANTINE_PREFIX}{id}:"),
        ] {
            for (key, _) in self.store.list(&prefix).await? {
                self.store.delete(&key).await?;
            }
        }
        Ok(())
    }

    /// The generation of `id` read from its head alone, without opening the record; `None`
    /// when there is no such connection. A head that fails its tag goes through
    /// [`Vault::load`], which rebuilds or quarantines it.
    pub async fn generation(&self, id: &ConnectionId) -> Result<Option<u64>, VaultError> {
        let key = head_key(id);
        let Some(raw) = self.store.get(&key).await? else {
            return Ok(None);
        };
        if let Ok(head) = self.verified_head(&key, &raw).await {
            return Ok(Some(head.generation));
        }
        Ok(self.load(id).await?.map(|loaded| match loaded {
            Loaded::Ok { generation, .. } | Loaded::Unreadable { generation, .. } => generation,
        }))
    }

    /// The generation a save compares against. A head that fails its tag is no generation a
    /// writer can have read: the save is refused as a conflict, and the load that follows
    /// rebuilds the head.
    async fn current_gen(&self, id: &ConnectionId) -> Result<u64, VaultError> {
        let key = head_key(id);
        let Some(raw) = self.store.get(&key).await? else {
            return Ok(0);
        };
        match self.verified_head(&key, &raw).await {
            Ok(head) => Ok(head.generation),
            Err(signed::Unverified::Backend(e)) => Err(SealError::Backend(e).into()),
            Err(_) => Err(VaultError::Conflict),
        }
    }

    /// Seals `conn` as generation `current + 1`, writes it, then moves the head to it (the
    /// swap), then drops generation `current`. Until the head lands, `current` still reads.
    async fn swap_in(&self, conn: &Connection, current: u64) -> Result<u64, VaultError> {
        let id = &conn.id;
        let generation = current + 1;
        let key = record_key(id, generation);
        let plain = serde_json::to_vec(conn).map_err(|e| StoreError::Backend(e.to_string()))?;
        let sealed = self
            .sealer
            .seal(&associated_data(SEAL_VERSION, &key), &plain)
            .await?;
        let record = SealedRecord {
            v: SEAL_VERSION,
            kid: sealed.kid,
            nonce: b64(&sealed.nonce),
            ciphertext: b64(&sealed.ciphertext),
        };
        let record =
            serde_json::to_string(&record).map_err(|e| StoreError::Backend(e.to_string()))?;
        self.store.put(&key, record).await?;
        let head = Head {
            generation,
            unreadable: None,
            glance: Some(Schedule::of(conn)),
        };
        if let Err(e) = self.put_head(id, &head).await {
            let _ = self.store.delete(&key).await;
            return Err(e);
        }
        if current > 0 {
            let _ = self.store.delete(&record_key(id, current)).await;
        }
        Ok(generation)
    }

    async fn quarantine(
        &self,
        id: &ConnectionId,
        generation: u64,
        raw: &str,
        reason: Unreadable,
    ) -> Result<Loaded, VaultError> {
        if !raw.is_empty() {
            self.store
                .put(
                    &format!("{QUARANTINE_PREFIX}{id}:{generation}"),
                    raw.to_owned(),
                )
                .await?;
        }
        let head = Head {
            generation,
            unreadable: Some(reason.clone()),
            glance: None,
        };
        self.put_head(id, &head).await?;
        Ok(Loaded::Unreadable { reason, generation })
    }
}
