// counter-rust: counts calls per name in the key-value bucket "counters" (under hits.rust.), as
// counter-as does in AssemblyScript: it updates only the revision it read, and reads again on a
// conflict, so calls running side by side on any nodes count right. Needs a grant like
// --kv "counters/hits.:get,put". Build: scripts/build-examples.sh
use mesh::{kv, Status};

fn main() {
    let input = String::from_utf8(mesh::input()).unwrap_or_default();
    let name = input.trim();
    let key = format!("hits.rust.{}", if name.is_empty() { "anonymous" } else { name });

    for _ in 0..20 {
        let current = match kv::get("counters", &key) {
            Ok(value) => value,
            Err(status) => mesh::fail(&format!("cannot read {}: {}", key, status)),
        };
        let count: u64 = current.and_then(|v| String::from_utf8(v).ok()).and_then(|v| v.parse().ok()).unwrap_or(0) + 1;
        match kv::update("counters", &key, count.to_string().as_bytes(), kv::revision()) {
            Ok(()) => {
                print!("{}", count);
                return;
            }
            Err(Status::Conflict) => continue,
            Err(status) => mesh::fail(&format!("cannot write {}: {}", key, status)),
        }
    }

    mesh::fail(&format!("too many concurrent updates of {}", key));
}
