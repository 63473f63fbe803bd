//! Buy-till-you-die models (placeholder until the shared machinery is merged).

pub mod paretonbd;
pub mod bgbb;
pub mod bootstrap;
pub mod validate;
