//! clmkit's pure-Rust core: every module here works on plain slices and ndarray views and is
//! tested with `cargo test --no-default-features`. `python` is the only module that touches
//! pyo3 / rust-numpy.

pub mod btyd;
pub mod clv;
pub mod contractual;
pub mod error;
pub mod numeric;
pub mod parallel;
pub mod rfm;
pub mod stages;
pub mod summary;
pub mod survival;

#[cfg(feature = "python")]
mod python;

pub use error::{ClmError, Result};
