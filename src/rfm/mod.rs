//! RFM scoring, named segments and ABC classes.
//!
//! Every kernel works on plain slices, runs in parallel with rayon and gives the same result
//! for any thread count: binning is elementwise after order statistics (`select`), which are
//! unique whatever the schedule, and the one floating-point reduction (ABC totals) is
//! sequential in a fixed order.

pub mod abc;
pub mod quantiles;
pub mod scorer;
pub mod scores;
pub mod segments;
mod select;

pub use abc::abc_classes;
pub use quantiles::{
    check_bins, check_edges, quantile_edges, score_quantile, score_rank, score_with_edges,
};
pub use scorer::{Dimension, ScorerState};
pub use scores::{code_labels, combine};
pub use segments::{build_grid, lookup, SegmentGrid, SegmentRule};
