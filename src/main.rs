//! Vigil candidate app entry point.
fn main() {}
