//! vigil-exam: the exam engine. Pure Rust, no I/O, no clock of its own.
