//! Entry point of the boot, the candidate's first download (built by Trunk
//! from index.html); it loads the app (`src/main.rs`) when it is needed.
//! See `vigil_app::boot`.

fn main() {
    vigil_app::boot::run();
}
