//! Checks every [`Sealer`] and [`Store`] pair must pass, run natively against the test twins
//! and in a real browser against WebCrypto, IndexedDB and browser storage. Each check starts
//! from an empty store and returns what went wrong instead of panicking, so each host's test
//! harness reports it its own way.

use crate::connection::{Account, Connection, RECORD_VERSION, Site, Tokens};
use crate::ids::{ConnectionId, OrgId, UserId};
use crate::ports::Store;
use crate::salesforce::LoginHost;
use crate::status::Status;
use crate::status::Unreadable;
use crate::time::Timestamp;
use crate::vault::{HEAD_PREFIX, Loaded, SealedRecord, Sealer, Vault, VaultError, record_key};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use oauth2::{AccessToken, RefreshToken};

/// The access token of the fixture connections; it must never be found in storage.
pub const ACCESS: &str = "00D5g000004AcmeEAA!AQ.conformance-access-token";
/// The refresh token of the fixture connections.
pub const REFRESH: &str = "5Aep861conformance-refresh-token";

/// A connection with known tokens, for user number `n` (0–9).
pub fn fixture(n: u8) -> Connection {
    let org = OrgId::parse("00D5g000004AcmeEAA").expect("valid");
    let user = UserId::parse(&format!("0055g000004Ada{n}EAA")).expect("valid");
    Connection {
        v: RECORD_VERSION,
        id: ConnectionId::salesforce(&org, &user),
        site: Site::Salesforce {
            login_host: LoginHost::production(),
            instance_url: "https://acme.my.salesforce.com".into(),
            org,
            user,
        },
        account: Account {
            username: format!("user{n}@acme.example"),
            display_name: None,
        },
        tokens: Tokens {
            access: AccessToken::new(format!("{ACCESS}{n}")),
            refresh: RefreshToken::new(format!("{REFRESH}{n}")),
            issued_at: Timestamp::from_millis(1_767_225_600_000),
            refresh_due: None,
            granted: None,
        },
        status: Status::Healthy,
        connected_at: Timestamp::from_millis(1_767_225_600_000),
        checked_at: Timestamp::from_millis(1_767_225_600_000),
        schedule: Default::default(),
        history: Vec::new(),
        policy: Default::default(),
        approved_at: None,
        refreshed_at: None,
        refresh_started: None,
        rotates: None,
        idle_limit_days: None,
    }
}

type Check = Result<(), String>;

fn ensure(ok: bool, what: &str) -> Check {
    if ok { Ok(()) } else { Err(what.to_owned()) }
}

async fn all_values<S: Store>(store: &S) -> Result<String, String> {
    let mut all = String::new();
    for prefix in ["conn:", "rec:", "quarantine:"] {
        for (k, v) in store.list(prefix).await.map_err(|e| e.to_string())? {
            all.push_str(&k);
            all.push_str(&v);
        }
    }
    Ok(all)
}

async fn load<S: Store, C: Sealer>(
    vault: &Vault<'_, S, C>,
    id: &ConnectionId,
) -> Result<Loaded, String> {
    vault
        .load(id)
        .await
        .map_err(|e| e.to_string())?
        .ok_or_else(|| "the connection vanished".to_owned())
}

async fn expect_unreadable<S: Store, C: Sealer>(
    vault: &Vault<'_, S, C>,
    store: &S,
    id: &ConnectionId,
    generation: u64,
    want: Unreadable,
) -> Check {
    match load(vault, id).await? {
        Loaded::Unreadable { reason, .. } if reason == want => {}
        Loaded::Unreadable { reason, .. } => {
            return Err(format!("unreadable as {reason:?}, expected {want:?}"));
        }
        Loaded::Ok { .. } => return Err("a damaged record opened".into()),
    }
    let kept = store
        .get(&format!("quarantine:{id}:{generation}"))
        .await
        .map_err(|e| e.to_string())?;
    ensure(
        kept.is_some(),
        "the damaged record was not kept in quarantine",
    )?;
    // The head remembers: the next load answers without trying again.
    match load(vault, id).await? {
        Loaded::Unreadable { reason, .. } if reason == want => Ok(()),
        other => Err(format!("second load gave {other:?}")),
    }
}

/// Rewrites the stored record of generation 1 of `id` with `f`.
async fn tamper<S: Store>(
    store: &S,
    id: &ConnectionId,
    f: impl FnOnce(&mut SealedRecord),
) -> Check {
    let key = record_key(id, 1);
    let raw = store
        .get(&key)
        .await
        .map_err(|e| e.to_string())?
        .ok_or("no record")?;
    let mut record: SealedRecord =
        serde_json::from_slice(raw.as_bytes()).map_err(|e| e.to_string())?;
    f(&mut record);
    store
        .put(&key, serde_json::to_string(&record).expect("serializes"))
        .await
        .map_err(|e| e.to_string())
}

fn edit_ciphertext(record: &mut SealedRecord, f: impl FnOnce(&mut Vec<u8>)) {
    let mut ct = URL_SAFE_NO_PAD
        .decode(&record.ciphertext)
        .expect("base64url");
    f(&mut ct);
    record.ciphertext = URL_SAFE_NO_PAD.encode(ct);
}

/// Save, load, save again: the same connection back, generations counting up, the old
/// generation gone, and no token anywhere in storage.
pub async fn round_trip<S: Store, C: Sealer>(store: &S, sealer: &C) -> Check {
    let vault = Vault::new(store, sealer);
    let conn = fixture(1);
    ensure(
        vault.save(&conn, 0).await.map_err(|e| e.to_string())? == 1,
        "first generation is 1",
    )?;
    match load(&vault, &conn.id).await? {
        Loaded::Ok {
            conn: back,
            generation: 1,
        } => {
            ensure(
                back.tokens.refresh.secret() == conn.tokens.refresh.secret(),
                "refresh token round-trips",
            )?;
            ensure(back.account == conn.account, "account round-trips")?;
        }
        other => return Err(format!("load gave {other:?}")),
    }
    ensure(
        vault.save(&conn, 1).await.map_err(|e| e.to_string())? == 2,
        "second generation is 2",
    )?;
    ensure(
        store
            .get(&record_key(&conn.id, 1))
            .await
            .map_err(|e| e.to_string())?
            .is_none(),
        "generation 1 removed",
    )?;
    let all = all_values(store).await?;
    ensure(
        !all.contains(ACCESS) && !all.contains(REFRESH),
        "a token is stored in clear",
    )?;
    ensure(
        vault.ids().await.map_err(|e| e.to_string())? == vec![conn.id.clone()],
        "one id listed",
    )
}

/// One flipped bit in the ciphertext: refused and quarantined.
pub async fn flipped_bit<S: Store, C: Sealer>(store: &S, sealer: &C) -> Check {
    let vault = Vault::new(store, sealer);
    let conn = fixture(2);
    vault.save(&conn, 0).await.map_err(|e| e.to_string())?;
    tamper(store, &conn.id, |r| edit_ciphertext(r, |ct| ct[3] ^= 0x01)).await?;
    expect_unreadable(&vault, store, &conn.id, 1, Unreadable::Tampered).await
}

/// A ciphertext cut short by one byte: refused and quarantined.
pub async fn truncated<S: Store, C: Sealer>(store: &S, sealer: &C) -> Check {
    let vault = Vault::new(store, sealer);
    let conn = fixture(3);
    vault.save(&conn, 0).await.map_err(|e| e.to_string())?;
    tamper(store, &conn.id, |r| {
        edit_ciphertext(r, |ct| {
            ct.pop();
        })
    })
    .await?;
    expect_unreadable(&vault, store, &conn.id, 1, Unreadable::Tampered).await
}

/// Another connection's record copied over this one's: the associated data differs, so it is
/// refused (a record cannot be moved between connections).
pub async fn swapped_record<S: Store, C: Sealer>(store: &S, sealer: &C) -> Check {
    let vault = Vault::new(store, sealer);
    let (a, b) = (fixture(4), fixture(5));
    vault.save(&a, 0).await.map_err(|e| e.to_string())?;
    vault.save(&b, 0).await.map_err(|e| e.to_string())?;
    let raw_a = store
        .get(&record_key(&a.id, 1))
        .await
        .map_err(|e| e.to_string())?
        .ok_or("no record")?;
    store
        .put(&record_key(&b.id, 1), raw_a)
        .await
        .map_err(|e| e.to_string())?;
    expect_unreadable(&vault, store, &b.id, 1, Unreadable::Tampered).await
}

/// A record relabelled with an unknown version is refused as a format this build cannot read.
pub async fn unknown_version<S: Store, C: Sealer>(store: &S, sealer: &C) -> Check {
    let vault = Vault::new(store, sealer);
    let conn = fixture(6);
    vault.save(&conn, 0).await.map_err(|e| e.to_string())?;
    tamper(store, &conn.id, |r| r.v = 99).await?;
    expect_unreadable(&vault, store, &conn.id, 1, Unreadable::UnknownFormat).await
}

/// A record naming a key id that does not exist: the key is treated as lost.
pub async fn wrong_key_id<S: Store, C: Sealer>(store: &S, sealer: &C) -> Check {
    let vault = Vault::new(store, sealer);
    let conn = fixture(7);
    vault.save(&conn, 0).await.map_err(|e| e.to_string())?;
    tamper(store, &conn.id, |r| r.kid = "no-such-key".into()).await?;
    expect_unreadable(&vault, store, &conn.id, 1, Unreadable::KeyLost).await
}

/// Two writers that read the same generation: the second is refused, the first kept.
pub async fn compare_and_swap<S: Store, C: Sealer>(store: &S, sealer: &C) -> Check {
    let vault = Vault::new(store, sealer);
    let mut conn = fixture(8);
    vault.save(&conn, 0).await.map_err(|e| e.to_string())?;
    conn.account.username = "second-writer@acme.example".into();
    match vault.save(&conn, 0).await {
        Err(VaultError::Conflict) => {}
        other => return Err(format!("a stale write gave {other:?}")),
    }
    match load(&vault, &conn.id).await? {
        Loaded::Ok {
            conn: kept,
            generation: 1,
        } if kept.account.username == "user8@acme.example" => Ok(()),
        other => Err(format!("after the refused write: {other:?}")),
    }
}

/// A connection planted in clear at a head (a content script can write the store in
/// Firefox; the first build stored records so) is never sealed: it reads as unreadable, what
/// was there is kept in quarantine, and no record is made of it.
pub async fn never_seals_clear_records<S: Store, C: Sealer>(store: &S, sealer: &C) -> Check {
    let vault = Vault::new(store, sealer);
    let conn = fixture(9);
    let clear = serde_json::to_string(&conn).expect("serializes");
    store
        .put(&format!("{HEAD_PREFIX}{}", conn.id), clear.clone())
        .await
        .map_err(|e| e.to_string())?;
    match load(&vault, &conn.id).await? {
        Loaded::Unreadable {
            reason: Unreadable::UnknownFormat,
            ..
        } => {}
        other => return Err(format!("a planted clear record gave {other:?}")),
    }
    let records = store.list("rec:").await.map_err(|e| e.to_string())?;
    ensure(records.is_empty(), "a planted clear record was sealed")?;
    let kept = store.list("quarantine:").await.map_err(|e| e.to_string())?;
    ensure(
        kept.iter().any(|(_, v)| *v == clear),
        "what was planted is not kept in quarantine",
    )?;
    match load(&vault, &conn.id).await? {
        Loaded::Unreadable { .. } => Ok(()),
        other => Err(format!("reading it again gave {other:?}")),
    }
}

/// A head rewritten by something other than the vault — parked, dated years ahead, marked
/// unreadable, pointing at another generation, copied from another connection, or left
/// unsigned — is ignored: the glance knows nothing from it, the load opens the newest record
/// and writes the head again, after which the glance shows the record's own schedule.
pub async fn forged_heads_are_ignored<S: Store, C: Sealer>(store: &S, sealer: &C) -> Check {
    let vault = Vault::new(store, sealer);
    let conn = fixture(4);
    let other = fixture(5);
    vault.save(&other, 0).await.map_err(|e| e.to_string())?;
    let generation = vault.save(&conn, 0).await.map_err(|e| e.to_string())?;
    let head_key = format!("{HEAD_PREFIX}{}", conn.id);
    let genuine = store
        .get(&head_key)
        .await
        .map_err(|e| e.to_string())?
        .ok_or("no head")?;
    let other_head = store
        .get(&format!("{HEAD_PREFIX}{}", other.id))
        .await
        .map_err(|e| e.to_string())?
        .ok_or("no head")?;
    let mut body: serde_json::Value = serde_json::from_str(&genuine).map_err(|e| e.to_string())?;
    let inner: serde_json::Value =
        serde_json::from_str(body["body"].as_str().ok_or("no body")?).map_err(|e| e.to_string())?;
    let mut with = |change: &dyn Fn(&mut serde_json::Value)| {
        let mut inner = inner.clone();
        change(&mut inner);
        body["body"] = inner.to_string().into();
        body.to_string()
    };
    let forgeries = [
        ("parked", with(&|h| h["glance"]["parked"] = true.into())),
        (
            "dated ahead",
            with(&|h| h["glance"]["next"] = 4_102_444_800_000u64.into()),
        ),
        ("unreadable", with(&|h| h["unreadable"] = "tampered".into())),
        ("another generation", with(&|h| h["gen"] = 99.into())),
        ("unsigned", inner.to_string()),
        ("another connection's head", other_head),
    ];
    for (what, forged) in forgeries {
        store
            .put(&head_key, forged)
            .await
            .map_err(|e| e.to_string())?;
        let glance = vault.glance().await.map_err(|e| e.to_string())?;
        let seen = glance
            .iter()
            .find(|(id, _)| *id == conn.id)
            .map(|(_, g)| g.clone());
        ensure(
            seen == Some(crate::vault::Glance::Unknown),
            &format!("a {what} head was believed: {seen:?}"),
        )?;
        match load(&vault, &conn.id).await? {
            Loaded::Ok {
                conn: back,
                generation: g,
            } if back.tokens.refresh.secret() == conn.tokens.refresh.secret()
                && g == generation => {}
            other => return Err(format!("after a {what} head, the load gave {other:?}")),
        }
        let glance = vault.glance().await.map_err(|e| e.to_string())?;
        ensure(
            glance.iter().any(|(id, g)| {
                *id == conn.id
                    && *g == crate::vault::Glance::Known(crate::vault::Schedule::of(&conn))
            }),
            &format!("after a {what} head, the head was not written again"),
        )?;
    }
    Ok(())
}

/// After `lose_key` (the host's way of destroying the key), a saved connection reads as
/// key-lost, and a new save (a fresh sign-in) works again under a new key.
pub async fn lost_key<S: Store, C: Sealer, F: std::future::Future<Output = ()>>(
    store: &S,
    sealer: &C,
    lose_key: impl FnOnce() -> F,
) -> Check {
    let vault = Vault::new(store, sealer);
    let conn = fixture(0);
    vault.save(&conn, 0).await.map_err(|e| e.to_string())?;
    lose_key().await;
    let generation = match load(&vault, &conn.id).await? {
        Loaded::Unreadable {
            reason: Unreadable::KeyLost,
            generation,
        } => generation,
        other => return Err(format!("after the key was lost: {other:?}")),
    };
    vault
        .save(&conn, generation)
        .await
        .map_err(|e| e.to_string())?;
    match load(&vault, &conn.id).await? {
        Loaded::Ok { .. } => Ok(()),
        other => Err(format!("after signing in again: {other:?}")),
    }
}

/// A save whose record write fails (a full quota) reports the error and leaves the previous
/// generation readable. `fill` makes the store's next large writes fail; `unfill` undoes it.
pub async fn failed_write_keeps_previous<
    S: Store,
    C: Sealer,
    F: std::future::Future<Output = ()>,
    G: std::future::Future<Output = ()>,
>(
    store: &S,
    sealer: &C,
    fill: impl FnOnce() -> F,
    unfill: impl FnOnce() -> G,
) -> Check {
    let vault = Vault::new(store, sealer);
    let mut conn = fixture(1);
    vault.save(&conn, 0).await.map_err(|e| e.to_string())?;
    conn.account.username = "x".repeat(4096);
    fill().await;
    let result = vault.save(&conn, 1).await;
    unfill().await;
    ensure(
        matches!(result, Err(VaultError::Store(_))),
        &format!("the failing write gave {result:?}"),
    )?;
    match load(&vault, &conn.id).await? {
        Loaded::Ok {
            conn: kept,
            generation: 1,
        } if kept.account.username == "user1@acme.example" => Ok(()),
        other => Err(format!("after the failed write: {other:?}")),
    }
}
