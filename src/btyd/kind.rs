//! The identity of a BTYD model, resolved once from its name.
//!
//! A model's name (`"bgnbd"`, ...) is read in one place only, [`ModelKind::parse`]: where a
//! saved JSON document or a caller at the door names it. Everything after that matches on
//! the kind, and every such table is an exhaustive `match`, so a new variant here is a
//! compile error in each table (likelihood, fit, predictions, covariate links) until it is
//! filled in.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use super::{bgbb, bgnbd, gammagamma, mbgnbd, paretonbd, Model};
use crate::error::{ClmError, Result};

/// Which BTYD model: the likelihood, the fit and the predictions it stands for.
///
/// Serialised as its [`name`](ModelKind::name) (`"model": "bgnbd"` in saved documents).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(into = "&'static str", try_from = "String")]
pub enum ModelKind {
    /// BG/NBD (Fader, Hardie & Lee 2005): continuous-time purchase counts.
    BgNbd,
    /// MBG/NBD (Batislam, Denizel & Filiztekin 2007): continuous-time purchase counts.
    MbgNbd,
    /// Pareto/NBD (Schmittlein, Morrison & Colombo 1987): counts, DERT and simulation.
    ParetoNbd,
    /// BG/BB (Fader, Hardie & Shang 2010): purchases at discrete opportunities.
    Bgbb,
    /// Gamma-Gamma (Fader, Hardie & Lee 2005, note 025): spend per transaction.
    GammaGamma,
}

impl ModelKind {
    /// Every model, in the order messages list them.
    pub const ALL: [ModelKind; 5] = [
        ModelKind::BgNbd,
        ModelKind::MbgNbd,
        ModelKind::ParetoNbd,
        ModelKind::Bgbb,
        ModelKind::GammaGamma,
    ];

    /// The model's name: the one the Python classes, saved documents and messages use.
    pub fn name(self) -> &'static str {
        match self {
            ModelKind::BgNbd => "bgnbd",
            ModelKind::MbgNbd => "mbgnbd",
            ModelKind::ParetoNbd => "paretonbd",
            ModelKind::Bgbb => "bgbb",
            ModelKind::GammaGamma => "gammagamma",
        }
    }

    /// The kind named `name`; the only place a model name is read.
    pub fn parse(name: &str) -> Result<ModelKind> {
        match ModelKind::ALL.into_iter().find(|k| k.name() == name) {
            Some(kind) => Ok(kind),
            None => {
                let valid: Vec<&str> = ModelKind::ALL.iter().map(|k| k.name()).collect();
                let shown: String = name.chars().take(40).collect();
                Err(ClmError::InvalidArgument(format!(
                    "unknown model {shown:?}; expected one of {valid:?}"
                )))
            }
        }
    }

    /// The model's likelihood (fitted by the shared routine, or by its own fit: see
    /// [`super::fit_kind`]).
    pub fn model(self) -> &'static dyn Model {
        match self {
            ModelKind::BgNbd => &bgnbd::BgNbd,
            ModelKind::MbgNbd => &mbgnbd::MbgNbd,
            ModelKind::ParetoNbd => &paretonbd::ParetoNbd,
            ModelKind::Bgbb => &bgbb::Bgbb,
            ModelKind::GammaGamma => &gammagamma::GammaGamma,
        }
    }

    /// Names of the model's parameters, in the order of every parameter vector.
    pub fn param_names(self) -> &'static [&'static str] {
        self.model().names()
    }
}

impl fmt::Display for ModelKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for ModelKind {
    type Err = ClmError;
    fn from_str(name: &str) -> Result<ModelKind> {
        ModelKind::parse(name)
    }
}

impl From<ModelKind> for &'static str {
    fn from(kind: ModelKind) -> &'static str {
        kind.name()
    }
}

impl TryFrom<String> for ModelKind {
    type Error = ClmError;
    fn try_from(name: String) -> Result<ModelKind> {
        ModelKind::parse(&name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kind_round_trips_through_its_name() {
        for kind in ModelKind::ALL {
            assert_eq!(ModelKind::parse(kind.name()).unwrap(), kind);
            assert_eq!(kind.name().parse::<ModelKind>().unwrap(), kind);
            assert_eq!(kind.to_string(), kind.name());
            let json = serde_json::to_string(&kind).unwrap();
            assert_eq!(json, format!("\"{}\"", kind.name()));
            assert_eq!(serde_json::from_str::<ModelKind>(&json).unwrap(), kind);
        }
        // Names are distinct, so parse is a bijection on ALL.
        let mut names: Vec<&str> = ModelKind::ALL.iter().map(|k| k.name()).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), ModelKind::ALL.len());
    }

    #[test]
    fn an_unknown_name_is_an_error_naming_the_valid_ones() {
        for bad in ["nope", "BGNBD", "bg_nbd", ""] {
            let msg = ModelKind::parse(bad).unwrap_err().to_string();
            assert!(msg.contains(&format!("{bad:?}")), "{msg}");
            for kind in ModelKind::ALL {
                assert!(msg.contains(kind.name()), "{msg}");
            }
        }
        let err = serde_json::from_str::<ModelKind>("\"nope\"").unwrap_err();
        assert!(err.to_string().contains("unknown model"), "{err}");
    }

    #[test]
    fn param_names_come_from_the_model() {
        assert_eq!(ModelKind::BgNbd.param_names(), ["r", "alpha", "a", "b"]);
        assert_eq!(
            ModelKind::ParetoNbd.param_names(),
            ["r", "alpha", "s", "beta"]
        );
        assert_eq!(ModelKind::GammaGamma.param_names(), ["p", "q", "v"]);
    }
}
