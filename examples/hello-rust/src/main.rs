// hello-rust: a Mesh function in plain Rust. Its input is stdin, its output stdout, and what it
// writes to stderr is its log (with the log capability). Build: scripts/build-examples.sh
use std::io::Read;

fn main() {
    let mut name = String::new();
    if std::io::stdin().read_to_string(&mut name).is_err() || name.trim().is_empty() {
        mesh::fail("say who to greet (UTF-8)");
    }

    eprintln!("greeting {}", name.trim());
    print!("Hello from Rust, {}!", name.trim());
}
