//! Entry point of the web app (built by `cargo xtask build`, xtask/src/app.rs).

fn main() {
    vigil_app::run();
}
