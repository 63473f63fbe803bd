//! Tests of the shared fitting machinery and of the BG/NBD family, with their helpers.

mod bgfamily;
pub(crate) mod fit;
pub(crate) mod testing;
