//! Versioned serialisation of fitted models (`to_json` / `from_json`).

use serde::{Deserialize, Serialize};

use super::{Fit, FitOptions, ModelKind};
use crate::error::{ClmError, Result};

/// Bumped whenever the layout below changes incompatibly.
pub const FORMAT_VERSION: u32 = 1;
const FORMAT: &str = "clmkit.btyd";

/// The unit of time the model's parameters are in (one unit = multiplier x freq).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TimeUnit {
    pub freq: String,
    pub multiplier: f64,
}

/// Everything a fitted model needs to predict again.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SavedModel {
    pub format: String,
    pub format_version: u32,
    /// Written as the model's name (`"bgnbd"`), parsed back by [`ModelKind::parse`].
    pub model: ModelKind,
    pub param_names: Vec<String>,
    pub options: FitOptions,
    pub fit: Fit,
    pub time_unit: Option<TimeUnit>,
}

impl SavedModel {
    pub fn new(
        model: ModelKind,
        options: FitOptions,
        fit: Fit,
        time_unit: Option<TimeUnit>,
    ) -> SavedModel {
        let names = model.param_names();
        SavedModel {
            format: FORMAT.to_string(),
            format_version: FORMAT_VERSION,
            model,
            param_names: names.iter().map(|s| s.to_string()).collect(),
            options,
            fit,
            time_unit,
        }
    }

    /// A model with given parameters (not fitted: no likelihood, covariance or iterations).
    pub fn from_params(
        model: ModelKind,
        params: Vec<f64>,
        time_unit: Option<TimeUnit>,
    ) -> Result<SavedModel> {
        let names = model.param_names();
        super::check_params(names, &params)?;
        let k = names.len();
        let fit = Fit {
            params,
            log_likelihood: f64::NAN,
            covariance: vec![f64::NAN; k * k],
            standard_errors: vec![f64::NAN; k],
            n_iter: 0,
            converged: false,
            grad_norm: f64::NAN,
            n_patterns: 0,
            n_customers: 0.0,
            time_scale: 1.0,
            warnings: Vec::new(),
        };
        Ok(SavedModel::new(
            model,
            FitOptions::default(),
            fit,
            time_unit,
        ))
    }

    pub fn to_json(&self) -> Result<String> {
        serde_json::to_string(self)
            .map_err(|e| ClmError::InvalidArgument(format!("cannot serialise model: {e}")))
    }

    /// Parses and checks a saved model: format, version, model name and parameter layout.
    pub fn from_json(text: &str) -> Result<SavedModel> {
        let saved: SavedModel = serde_json::from_str(text)
            .map_err(|e| ClmError::InvalidArgument(format!("not a saved clmkit model: {e}")))?;
        if saved.format != FORMAT {
            return Err(ClmError::InvalidArgument(format!(
                "not a saved clmkit BTYD model (format {:?})",
                saved.format
            )));
        }
        if saved.format_version > FORMAT_VERSION {
            return Err(ClmError::InvalidArgument(format!(
                "saved with format version {} but this clmkit reads up to {}; upgrade clmkit",
                saved.format_version, FORMAT_VERSION
            )));
        }
        let names = saved.model.param_names();
        let k = names.len();
        if saved.param_names != names
            || saved.fit.params.len() != k
            || saved.fit.covariance.len() != k * k
        {
            return Err(ClmError::InvalidArgument(format!(
                "saved {} model has parameters {:?}, expected {:?}",
                saved.model, saved.param_names, names
            )));
        }
        super::check_params(names, &saved.fit.params)
            .map_err(|e| ClmError::InvalidArgument(format!("fit.params: {e}")))?;
        saved.check_fields(k)?;
        Ok(saved)
    }

    /// The document's other fields, each named when it is out of range, so that a tampered
    /// or truncated document fails at load time rather than in a later prediction.
    fn check_fields(&self, k: usize) -> Result<()> {
        let bad = |field: &str, rule: &str, value: String| {
            let short: String = value.chars().take(80).collect();
            Err(ClmError::InvalidArgument(format!(
                "{field} {rule}, got {short}"
            )))
        };
        if let Some(unit) = &self.time_unit {
            if !TIME_UNITS.contains(&unit.freq.as_str()) {
                return bad(
                    "time_unit.freq",
                    &format!("must be one of {TIME_UNITS:?}"),
                    format!("{:?}", unit.freq),
                );
            }
            if !(unit.multiplier.is_finite() && unit.multiplier > 0.0) {
                return bad(
                    "time_unit.multiplier",
                    "must be finite and > 0",
                    unit.multiplier.to_string(),
                );
            }
        }
        let opts = &self.options;
        if !(opts.penalizer.is_finite() && opts.penalizer >= 0.0) {
            return bad(
                "options.penalizer",
                "must be finite and >= 0",
                opts.penalizer.to_string(),
            );
        }
        if !(opts.tol.is_finite() && opts.tol > 0.0) {
            return bad(
                "options.tol",
                "must be finite and > 0",
                opts.tol.to_string(),
            );
        }
        if let Some(init) = &opts.initial {
            if init.len() != k || init.iter().any(|v| !(v.is_finite() && *v > 0.0)) {
                return bad(
                    "options.initial",
                    &format!("must be {k} finite values > 0"),
                    format!("{init:?}"),
                );
            }
        }
        let fit = &self.fit;
        if fit.standard_errors.len() != k {
            return bad(
                "fit.standard_errors",
                &format!("must have {k} values"),
                fit.standard_errors.len().to_string(),
            );
        }
        if let Some(v) = fit.standard_errors.iter().find(|v| **v < 0.0) {
            return bad(
                "fit.standard_errors",
                "must be >= 0 (or null)",
                v.to_string(),
            );
        }
        if !(fit.time_scale.is_finite() && fit.time_scale > 0.0) {
            return bad(
                "fit.time_scale",
                "must be finite and > 0",
                fit.time_scale.to_string(),
            );
        }
        if !(fit.n_customers.is_finite() && fit.n_customers >= 0.0) {
            return bad(
                "fit.n_customers",
                "must be finite and >= 0",
                fit.n_customers.to_string(),
            );
        }
        Ok(())
    }
}

/// Time unit codes a saved model may carry (those of `clmkit._units`, with its aliases).
const TIME_UNITS: [&str; 7] = ["H", "D", "W", "M", "Y", "h", "A"];

/// serde for an f64 that may be NaN (written as null).
pub(crate) mod nan_f64 {
    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    pub fn serialize<S: Serializer>(v: &f64, s: S) -> Result<S::Ok, S::Error> {
        (if v.is_finite() { Some(*v) } else { None }).serialize(s)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<f64, D::Error> {
        Ok(Option::<f64>::deserialize(d)?.unwrap_or(f64::NAN))
    }
}

/// serde for f64 vectors that may hold NaN (JSON has no NaN: it is written as null).
pub(crate) mod nan_vec {
    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    pub fn serialize<S: Serializer>(v: &[f64], s: S) -> Result<S::Ok, S::Error> {
        let opt: Vec<Option<f64>> = v
            .iter()
            .map(|x| if x.is_finite() { Some(*x) } else { None })
            .collect();
        opt.serialize(s)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<f64>, D::Error> {
        let opt: Vec<Option<f64>> = Vec::deserialize(d)?;
        Ok(opt.into_iter().map(|x| x.unwrap_or(f64::NAN)).collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::btyd::{fit, gammagamma::GammaGamma};

    #[test]
    fn round_trip_keeps_every_number_and_rejects_tampering() {
        // Four customers have no finite MLE; a penalizer makes the fit well defined.
        let opts = FitOptions {
            penalizer: 0.1,
            ..FitOptions::default()
        };
        let f = fit(
            &GammaGamma,
            &[&[1.0, 2.0, 3.0, 1.0], &[10.0, 12.0, 9.0, 30.0]],
            None,
            &opts,
        );
        let f = f.unwrap_or_else(|e| panic!("{e}"));
        let saved = SavedModel::new(ModelKind::GammaGamma, opts, f, None);
        let text = saved.to_json().unwrap();
        let back = SavedModel::from_json(&text).unwrap();
        assert_eq!(back.fit.params, saved.fit.params);
        assert_eq!(
            back.fit.log_likelihood.to_bits(),
            saved.fit.log_likelihood.to_bits()
        );
        assert!(SavedModel::from_json(&text.replace("\"gammagamma\"", "\"bgnbd\"")).is_err());
        let err = SavedModel::from_json(&text.replace("\"gammagamma\"", "\"nope\""))
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("unknown model \"nope\"") && err.contains("paretonbd"),
            "{err}"
        );
        assert!(SavedModel::from_json(
            &text.replace("\"format_version\":1", "\"format_version\":99")
        )
        .is_err());
        assert!(SavedModel::from_json("{}").is_err());
        let set =
            SavedModel::from_params(ModelKind::BgNbd, vec![0.25, 4.0, 0.8, 2.5], None).unwrap();
        let back = SavedModel::from_json(&set.to_json().unwrap()).unwrap();
        assert!(back.fit.log_likelihood.is_nan() && back.fit.params == set.fit.params);
        assert!(
            SavedModel::from_params(ModelKind::BgNbd, vec![0.25, -4.0, 0.8, 2.5], None).is_err()
        );
        // Tampered fields are refused at load time, naming the field.
        let text = set.to_json().unwrap();
        let unit = SavedModel::from_params(
            ModelKind::BgNbd,
            vec![0.25, 4.0, 0.8, 2.5],
            Some(TimeUnit {
                freq: "W".into(),
                multiplier: 1.0,
            }),
        )
        .unwrap()
        .to_json()
        .unwrap();
        for (doc, field) in [
            (text.replace("[0.25,", "[-0.25,"), "fit.params"),
            (unit.replace("\"W\"", "\"fortnight\""), "time_unit.freq"),
            (
                unit.replace("\"multiplier\":1.0", "\"multiplier\":-1.0"),
                "time_unit.multiplier",
            ),
            (
                text.replace("\"penalizer\":0.0", "\"penalizer\":-1.0"),
                "options.penalizer",
            ),
            (
                text.replace("\"time_scale\":1.0", "\"time_scale\":0.0"),
                "fit.time_scale",
            ),
        ] {
            assert_ne!(doc, text, "{field}: the replacement must apply");
            let err = SavedModel::from_json(&doc).unwrap_err().to_string();
            assert!(err.contains(field), "{field}: {err}");
        }
    }
}
