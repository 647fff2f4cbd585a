//! What tests and fuzzing need and production never does: a sealer and entropy that are
//! deterministic, the vault's conformance checks (run natively and in the browser against
//! WebCrypto), and one fuzz entry point per parser of outside input. Built only for tests and
//! with the `testing` feature, so none of it ships.

mod causes;
pub mod conformance;
mod entropy;
pub mod fuzzing;
mod sealer;

pub use causes::every_cause;
pub use entropy::CountingEntropy;
pub use sealer::TestSealer;
