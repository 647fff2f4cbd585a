//! A [`Store`] that remembers what it read and wrote, so a warm service worker answers a tick
//! from memory instead of crossing into the browser for every stored head.
//!
//! The mirror is only ever a shortcut: whatever it does not know for certain it reads again.
//! Another context's writes reach it through [`Mirrored::forget`] (the worker forwards
//! `chrome.storage.onChanged`); its own writes are remembered once they succeed. Every change
//! bumps an epoch, and a read or write that started before a later change leaves the mirror
//! alone when it finishes, so an answer can never be older than the change it raced with. The
//! notification of a write arrives after the write itself, so even the mirror's own writes are
//! forgotten shortly after and read once more: correct first, fast when the store is quiet (as
//! it is across ticks when nothing is due).

use crate::ports::{Store, StoreError};
use std::cell::RefCell;

/// `inner`, remembered. Values are held as the store holds them (sealed records stay sealed).
#[derive(Debug, Default)]
pub struct Mirrored<S> {
    inner: S,
    state: RefCell<State>,
}

#[derive(Default)]
struct State {
    /// What the store holds under each key, as far as it is known; `None`: known absent.
    known: Known,
    /// Prefixes whose every key is in `known`.
    listed: Vec<String>,
    /// Counts changes; see the module docs.
    epoch: u64,
}

/// Keys only: values may be sealed records.
impl std::fmt::Debug for State {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("State")
            .field("keys", &self.known.0.len())
            .field("listed", &self.listed)
            .field("epoch", &self.epoch)
            .finish()
    }
}

/// Keys in order with what is known of each: a sorted `Vec` (a few hundred entries; cheaper in
/// the wasm than another `BTreeMap` instantiation).
#[derive(Default)]
struct Known(Vec<(String, Option<String>)>);

impl Known {
    fn find(&self, key: &str) -> Result<usize, usize> {
        self.0.binary_search_by(|(k, _)| k.as_str().cmp(key))
    }
    fn get(&self, key: &str) -> Option<&Option<String>> {
        self.find(key).ok().map(|i| &self.0[i].1)
    }
    fn insert(&mut self, key: &str, value: Option<String>) {
        match self.find(key) {
            Ok(i) => self.0[i].1 = value,
            Err(i) => self.0.insert(i, (key.to_owned(), value)),
        }
    }
    fn remove(&mut self, key: &str) {
        if let Ok(i) = self.find(key) {
            self.0.remove(i);
        }
    }
    /// The entries whose key starts with `prefix`, in order.
    fn under(&mut self, prefix: &str) -> &mut [(String, Option<String>)] {
        let start = self.0.partition_point(|(k, _)| k.as_str() < prefix);
        let len = self.0[start..]
            .iter()
            .take_while(|(k, _)| k.starts_with(prefix))
            .count();
        &mut self.0[start..start + len]
    }
}

impl State {
    fn lookup(&self, key: &str) -> Option<Option<String>> {
        match self.known.get(key) {
            Some(value) => Some(value.clone()),
            None => self
                .listed
                .iter()
                .any(|p| key.starts_with(p.as_str()))
                .then_some(None),
        }
    }

    /// Forgets `key` and every listing that covered it; returns those prefixes.
    fn forget(&mut self, key: &str) -> Vec<String> {
        self.epoch += 1;
        self.known.remove(key);
        let (covering, rest) = std::mem::take(&mut self.listed)
            .into_iter()
            .partition(|p| key.starts_with(p.as_str()));
        self.listed = rest;
        covering
    }
}

impl<S> Mirrored<S> {
    /// Over `inner`, knowing nothing yet.
    pub fn new(inner: S) -> Self {
        Mirrored {
            inner,
            state: RefCell::default(),
        }
    }

    /// The store underneath.
    pub fn inner(&self) -> &S {
        &self.inner
    }

    /// Another context changed (or may have changed) these keys: read them again next time.
    pub fn forget<K: AsRef<str>>(&self, keys: impl IntoIterator<Item = K>) {
        let mut state = self.state.borrow_mut();
        for key in keys {
            state.forget(key.as_ref());
        }
    }

    /// Forgets everything (for a context that cannot hear about others' writes).
    pub fn forget_all(&self) {
        let mut state = self.state.borrow_mut();
        state.epoch += 1;
        state.known.0.clear();
        state.listed.clear();
    }

    fn epoch(&self) -> u64 {
        self.state.borrow().epoch
    }

    /// After a successful write of `key` that started at `epoch`: remember `value` and give back
    /// the listings the write suspended, unless anything changed meanwhile.
    fn wrote(&self, key: &str, value: Option<String>, epoch: u64, covering: Vec<String>) {
        let mut state = self.state.borrow_mut();
        if state.epoch == epoch {
            state.known.insert(key, value);
            state.listed.extend(covering);
        }
    }
}

impl<S: Store> Store for Mirrored<S> {
    async fn get(&self, key: &str) -> Result<Option<String>, StoreError> {
        let epoch = {
            let state = self.state.borrow();
            if let Some(value) = state.lookup(key) {
                return Ok(value);
            }
            state.epoch
        };
        let value = self.inner.get(key).await?;
        let mut state = self.state.borrow_mut();
        if state.epoch == epoch {
            state.known.insert(key, value.clone());
        }
        Ok(value)
    }

    async fn put(&self, key: &str, value: String) -> Result<(), StoreError> {
        let (epoch, covering) = {
            let mut state = self.state.borrow_mut();
            let covering = state.forget(key);
            (state.epoch, covering)
        };
        self.inner.put(key, value.clone()).await?;
        self.wrote(key, Some(value), epoch, covering);
        Ok(())
    }

    async fn delete(&self, key: &str) -> Result<(), StoreError> {
        let (epoch, covering) = {
            let mut state = self.state.borrow_mut();
            let covering = state.forget(key);
            (state.epoch, covering)
        };
        self.inner.delete(key).await?;
        self.wrote(key, None, epoch, covering);
        Ok(())
    }

    async fn list(&self, prefix: &str) -> Result<Vec<(String, String)>, StoreError> {
        {
            let mut state = self.state.borrow_mut();
            if state.listed.iter().any(|p| prefix.starts_with(p.as_str())) {
                return Ok(state
                    .known
                    .under(prefix)
                    .iter()
                    .filter_map(|(k, v)| Some((k.clone(), v.clone()?)))
                    .collect());
            }
        }
        let epoch = self.epoch();
        let entries = self.inner.list(prefix).await?;
        let mut state = self.state.borrow_mut();
        if state.epoch == epoch {
            for (_, value) in state.known.under(prefix) {
                *value = None;
            }
            for (key, value) in &entries {
                state.known.insert(key, Some(value.clone()));
            }
            state.listed.push(prefix.to_owned());
        }
        Ok(entries)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ports::MemoryStore;
    use std::cell::Cell;
    use std::future::Future;
    use std::pin::pin;
    use std::task::{Context, Poll, Waker};

    /// A store that counts what reaches it, and can hold one read until released.
    #[derive(Default)]
    struct Counting {
        store: MemoryStore,
        reads: Cell<u32>,
        hold: Cell<bool>,
    }

    struct Held<'a>(&'a Cell<bool>);

    impl Future for Held<'_> {
        type Output = ();
        fn poll(self: std::pin::Pin<&mut Self>, _: &mut Context<'_>) -> Poll<()> {
            if self.0.get() {
                Poll::Pending
            } else {
                Poll::Ready(())
            }
        }
    }

    impl Store for Counting {
        async fn get(&self, key: &str) -> Result<Option<String>, StoreError> {
            self.reads.set(self.reads.get() + 1);
            let value = self.store.get(key).await;
            Held(&self.hold).await;
            value
        }
        async fn put(&self, key: &str, value: String) -> Result<(), StoreError> {
            self.store.put(key, value).await
        }
        async fn delete(&self, key: &str) -> Result<(), StoreError> {
            self.store.delete(key).await
        }
        async fn list(&self, prefix: &str) -> Result<Vec<(String, String)>, StoreError> {
            self.reads.set(self.reads.get() + 1);
            let value = self.store.list(prefix).await;
            Held(&self.hold).await;
            value
        }
    }

    fn run<T>(f: impl Future<Output = T>) -> T {
        let mut f = pin!(f);
        match f.as_mut().poll(&mut Context::from_waker(Waker::noop())) {
            Poll::Ready(v) => v,
            Poll::Pending => panic!("pending"),
        }
    }

    fn store() -> Mirrored<Counting> {
        Mirrored::new(Counting::default())
    }

    #[test]
    fn a_quiet_store_is_read_once() {
        let m = store();
        run(m.inner().store.put("conn:a", "1".into())).unwrap();
        run(m.inner().store.put("conn:b", "2".into())).unwrap();
        run(m.inner().store.put("rec:a", "x".into())).unwrap();
        let first = run(m.list("conn:")).unwrap();
        assert_eq!(
            first,
            [("conn:a".into(), "1".into()), ("conn:b".into(), "2".into())]
        );
        assert_eq!(run(m.list("conn:")).unwrap(), first);
        assert_eq!(run(m.get("conn:a")).unwrap().as_deref(), Some("1"));
        assert_eq!(
            run(m.get("conn:zz")).unwrap(),
            None,
            "known absent under a listing"
        );
        assert_eq!(m.inner().reads.get(), 1);
        assert_eq!(run(m.get("rec:a")).unwrap().as_deref(), Some("x"));
        assert_eq!(run(m.get("rec:a")).unwrap().as_deref(), Some("x"));
        assert_eq!(m.inner().reads.get(), 2);
    }

    #[test]
    fn its_own_writes_are_seen_and_keep_the_listing() {
        let m = store();
        run(m.inner().store.put("conn:a", "1".into())).unwrap();
        run(m.list("conn:")).unwrap();
        run(m.put("conn:b", "2".into())).unwrap();
        run(m.delete("conn:a")).unwrap();
        assert_eq!(
            run(m.list("conn:")).unwrap(),
            [("conn:b".into(), "2".into())]
        );
        assert_eq!(run(m.get("conn:a")).unwrap(), None);
        assert_eq!(m.inner().reads.get(), 1);
    }

    #[test]
    fn another_contexts_write_is_read_after_forget() {
        let m = store();
        run(m.inner().store.put("conn:a", "1".into())).unwrap();
        run(m.list("conn:")).unwrap();
        run(m.inner().store.put("conn:a", "2".into())).unwrap();
        m.forget(["conn:a"]);
        assert_eq!(run(m.get("conn:a")).unwrap().as_deref(), Some("2"));
        assert_eq!(
            run(m.list("conn:")).unwrap(),
            [("conn:a".into(), "2".into())]
        );
        run(m.inner().store.delete("conn:a")).unwrap();
        m.forget_all();
        assert!(run(m.list("conn:")).unwrap().is_empty());
    }

    #[test]
    fn a_read_that_raced_a_write_does_not_fill_the_mirror() {
        let m = store();
        run(m.inner().store.put("conn:a", "old".into())).unwrap();
        // A read starts and is held after it fetched "old"...
        m.inner().hold.set(true);
        let mut read = pin!(m.get("conn:a"));
        assert!(
            read.as_mut()
                .poll(&mut Context::from_waker(Waker::noop()))
                .is_pending()
        );
        // ...a write lands meanwhile...
        m.inner().hold.set(false);
        run(m.put("conn:a", "new".into())).unwrap();
        // ...and the read finishes with what it saw, without overwriting what is known.
        let Poll::Ready(seen) = read.as_mut().poll(&mut Context::from_waker(Waker::noop())) else {
            panic!("still pending");
        };
        assert_eq!(seen.unwrap().as_deref(), Some("old"));
        assert_eq!(run(m.get("conn:a")).unwrap().as_deref(), Some("new"));
        // The same for a listing.
        m.inner().hold.set(true);
        m.forget_all();
        let mut list = pin!(m.list("conn:"));
        assert!(
            list.as_mut()
                .poll(&mut Context::from_waker(Waker::noop()))
                .is_pending()
        );
        m.inner().hold.set(false);
        run(m.delete("conn:a")).unwrap();
        let Poll::Ready(listed) = list.as_mut().poll(&mut Context::from_waker(Waker::noop()))
        else {
            panic!("still pending");
        };
        assert_eq!(listed.unwrap().len(), 1, "it saw the old entry");
        assert!(
            run(m.list("conn:")).unwrap().is_empty(),
            "the mirror did not keep it"
        );
    }

    #[test]
    fn a_failed_write_leaves_the_key_unknown() {
        struct Refusing(MemoryStore);
        impl Store for Refusing {
            async fn get(&self, key: &str) -> Result<Option<String>, StoreError> {
                self.0.get(key).await
            }
            async fn put(&self, _: &str, _: String) -> Result<(), StoreError> {
                Err(StoreError::Backend("quota".into()))
            }
            async fn delete(&self, key: &str) -> Result<(), StoreError> {
                self.0.delete(key).await
            }
            async fn list(&self, prefix: &str) -> Result<Vec<(String, String)>, StoreError> {
                self.0.list(prefix).await
            }
        }
        let m = Mirrored::new(Refusing(MemoryStore::default()));
        run(m.inner().0.put("conn:a", "1".into())).unwrap();
        run(m.list("conn:")).unwrap();
        assert!(run(m.put("conn:a", "2".into())).is_err());
        assert_eq!(run(m.get("conn:a")).unwrap().as_deref(), Some("1"));
    }
}
