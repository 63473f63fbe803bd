//! The fitted state of an RFM scorer and its JSON form.
//!
//! Edges fitted on one period are re-applied to later data so scores stay comparable month to
//! month; the state is therefore a versioned document, validated when it is read back.

use serde::{Deserialize, Serialize};

use super::quantiles::{check_bins, check_edges};
use super::scores::check_weights;
use crate::error::{ClmError, Result};

pub const FORMAT: &str = "clmkit.RFMScorer";
pub const VERSION: u32 = 1;
const METHODS: [&str; 2] = ["quantile", "fixed"];

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Dimension {
    /// "recency", "frequency" or "monetary".
    pub name: String,
    /// Column of the scored table the dimension reads.
    pub column: String,
    /// Whether larger values score higher (false for recency measured as inactivity).
    pub ascending: bool,
    /// Inner bin edges, `bins - 1` non-decreasing finite values.
    pub edges: Vec<f64>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ScorerState {
    pub format: String,
    pub version: u32,
    pub bins: usize,
    pub method: String,
    /// One weight per dimension, in the order of `dimensions`.
    pub weights: Vec<f64>,
    pub dimensions: Vec<Dimension>,
}

impl ScorerState {
    pub fn new(
        bins: usize,
        method: &str,
        weights: Vec<f64>,
        dimensions: Vec<Dimension>,
    ) -> Result<Self> {
        let state = ScorerState {
            format: FORMAT.into(),
            version: VERSION,
            bins,
            method: method.into(),
            weights,
            dimensions,
        };
        state.validate()?;
        Ok(state)
    }

    pub fn validate(&self) -> Result<()> {
        if self.format != FORMAT || self.version != VERSION {
            return Err(ClmError::InvalidArgument(format!(
                "not a {FORMAT} version {VERSION} document (format {:?}, version {})",
                self.format, self.version
            )));
        }
        check_bins(self.bins)?;
        if !METHODS.contains(&self.method.as_str()) {
            return Err(ClmError::InvalidArgument(format!(
                "method must be one of {METHODS:?}, got {:?}",
                self.method
            )));
        }
        if self.dimensions.is_empty()
            || self.dimensions.len() > 3
            || self.weights.len() != self.dimensions.len()
        {
            return Err(ClmError::InvalidArgument(format!(
                "need 1 to 3 dimensions with one weight each, got {} dimensions and {} weights",
                self.dimensions.len(),
                self.weights.len()
            )));
        }
        check_weights(&self.weights)?;
        for dim in &self.dimensions {
            check_edges(&dim.name, &dim.edges, self.bins)?;
        }
        Ok(())
    }

    pub fn to_json(&self) -> Result<String> {
        serde_json::to_string(self)
            .map_err(|e| ClmError::InvalidArgument(format!("cannot serialise scorer: {e}")))
    }

    pub fn from_json(text: &str) -> Result<Self> {
        let state: ScorerState = serde_json::from_str(text)
            .map_err(|e| ClmError::InvalidArgument(format!("invalid {FORMAT} JSON: {e}")))?;
        state.validate()?;
        Ok(state)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_validates() {
        let dim = |name: &str, asc| Dimension {
            name: name.into(),
            column: name.into(),
            ascending: asc,
            edges: vec![1.0, 2.5],
        };
        let state = ScorerState::new(
            3,
            "quantile",
            vec![1.0, 2.0],
            vec![dim("recency", false), dim("frequency", true)],
        )
        .unwrap();
        let text = state.to_json().unwrap();
        assert_eq!(ScorerState::from_json(&text).unwrap(), state);
        let broken = text.replace("[1.0,2.5]", "[3.0,2.5]");
        assert!(ScorerState::from_json(&broken)
            .unwrap_err()
            .to_string()
            .contains("non-decreasing"));
        assert!(ScorerState::from_json("{\"format\": 1}").is_err());
    }
}
