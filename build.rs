fn main() {
    // Without this, test binaries linked against libpython may load the system libpython
    // instead of the interpreter maturin targets.
    #[cfg(feature = "python")]
    pyo3_build_config::add_libpython_rpath_link_args();
}
