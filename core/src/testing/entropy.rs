//! Entropy for native tests.

use crate::ports::Entropy;
use std::cell::Cell;

/// Deterministic, NOT random, bytes for tests: a counter, so each draw differs.
#[derive(Debug, Default)]
pub struct CountingEntropy(Cell<u8>);

impl Entropy for CountingEntropy {
    fn fill(&self, buf: &mut [u8]) {
        for b in buf {
            let next = self.0.get().wrapping_add(1);
            self.0.set(next);
            *b = next;
        }
    }
}
