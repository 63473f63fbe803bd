//! Customer lifecycle stages: the rule kernel that places each customer in a stage
//! (`assign`), the per-snapshot summaries of a log behind a stage history (`history`) and the
//! reason texts with their numbers (`reasons`).

pub mod assign;
pub mod history;
pub mod reasons;
mod sinks;

pub use assign::{assign_stages, StageInputs, StageParams, REASON_NAMES, STAGE_NAMES, UNASSIGNED};
pub use history::{snapshot_summaries, SnapshotIndex, SnapshotRows, SnapshotStages};
