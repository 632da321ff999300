//! Entry point of the web app (built by Trunk from index.html).

fn main() {
    vigil_app::run();
}
