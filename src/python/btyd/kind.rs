//! The model's identity at the door: `clmkit._core.ModelKind`, the pyclass every door function
//! that takes a model is given (the Python classes hold theirs as a class attribute), and
//! [`Kind`], the argument type of those functions. A name string is still accepted there
//! and parsed once, at the boundary, into the same [`ModelKind`].

use pyo3::prelude::*;
use pyo3::types::PyString;

use crate::btyd::ModelKind;
use crate::python::to_pyerr;

/// The identity of a BTYD model: `ModelKind.BG_NBD`, `MBG_NBD`, `PARETO_NBD`, `BG_BB`,
/// `GAMMA_GAMMA`, or `ModelKind.from_name("bgnbd")`.
#[pyclass(module = "clmkit._core", name = "ModelKind", frozen, eq, hash)]
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) struct PyModelKind(pub(crate) ModelKind);

/// The class attribute naming each kind (an exhaustive match: a new model is a compile
/// error here until it has one, and a `#[classattr]` below).
fn attribute(kind: ModelKind) -> &'static str {
    match kind {
        ModelKind::BgNbd => "BG_NBD",
        ModelKind::MbgNbd => "MBG_NBD",
        ModelKind::ParetoNbd => "PARETO_NBD",
        ModelKind::Bgbb => "BG_BB",
        ModelKind::GammaGamma => "GAMMA_GAMMA",
    }
}

#[pymethods]
#[allow(non_snake_case)]
impl PyModelKind {
    #[classattr]
    fn BG_NBD() -> PyModelKind {
        PyModelKind(ModelKind::BgNbd)
    }
    #[classattr]
    fn MBG_NBD() -> PyModelKind {
        PyModelKind(ModelKind::MbgNbd)
    }
    #[classattr]
    fn PARETO_NBD() -> PyModelKind {
        PyModelKind(ModelKind::ParetoNbd)
    }
    #[classattr]
    fn BG_BB() -> PyModelKind {
        PyModelKind(ModelKind::Bgbb)
    }
    #[classattr]
    fn GAMMA_GAMMA() -> PyModelKind {
        PyModelKind(ModelKind::GammaGamma)
    }
    /// The kind named `name` ("bgnbd", ...); a ValueError lists the valid names.
    #[staticmethod]
    fn from_name(name: &str) -> PyResult<PyModelKind> {
        ModelKind::parse(name).map(PyModelKind).map_err(to_pyerr)
    }
    /// Every kind, in a fixed order.
    #[staticmethod]
    fn all() -> Vec<PyModelKind> {
        ModelKind::ALL.into_iter().map(PyModelKind).collect()
    }
    /// The model's name, as saved documents write it.
    #[getter]
    fn name(&self) -> &'static str {
        self.0.name()
    }
    /// Names of the model's parameters.
    #[getter]
    fn param_names(&self) -> Vec<&'static str> {
        self.0.param_names().to_vec()
    }
    fn __repr__(&self) -> String {
        format!("ModelKind.{}", attribute(self.0))
    }
    fn __str__(&self) -> &'static str {
        self.0.name()
    }
    /// Pickles by name.
    fn __reduce__<'py>(slf: &Bound<'py, Self>) -> PyResult<(Bound<'py, PyAny>, (&'static str,))> {
        Ok((slf.get_type().getattr("from_name")?, (slf.get().0.name(),)))
    }
}

/// A door argument naming a model: a `ModelKind`, or its name parsed here, once.
#[derive(Clone, Copy)]
pub(crate) struct Kind(pub(crate) ModelKind);

impl<'a, 'py> FromPyObject<'a, 'py> for Kind {
    type Error = PyErr;
    fn extract(obj: Borrowed<'a, 'py, PyAny>) -> PyResult<Kind> {
        if let Ok(kind) = obj.cast::<PyModelKind>() {
            return Ok(Kind(kind.get().0));
        }
        match obj.cast::<PyString>() {
            Ok(name) => ModelKind::parse(&name.to_cow()?)
                .map(Kind)
                .map_err(to_pyerr),
            Err(_) => Err(pyo3::exceptions::PyTypeError::new_err(format!(
                "model must be a clmkit._core.ModelKind or a model name, got {}",
                obj.get_type().name()?
            ))),
        }
    }
}

pub(crate) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<PyModelKind>()
}
