//! Shared numerical machinery used by every domain: special functions, the Gauss
//! hypergeometric function, quadrature, small dense linear algebra, optimisers, random
//! streams, the counting sort by customer code and the one radix sort. Domains use these;
//! none keeps a copy.

pub mod buckets;
pub mod grain;
pub mod hypergeometric;
pub mod linalg;
#[cfg(test)]
mod measure;
pub mod optimize;
pub mod quadrature;
pub mod random;
pub mod sort;
pub mod special;
