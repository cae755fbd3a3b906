// payments-rust: payments-as in Rust. Charges an amount with the payment provider; the input names
// the provider's base URL and the amount ("https://api.stripe.com 1999"), and the token decides
// which provider it may reach: grant it --http "POST https://api.stripe.com/v1/charges" and any
// other URL is refused, whatever the input says. Build: scripts/build-examples.sh
use mesh::http::{self, Request};
use mesh::Status;

fn main() {
    let input = String::from_utf8(mesh::input()).unwrap_or_default();
    let parts: Vec<&str> = input.split_whitespace().collect();
    if parts.len() != 2 {
        mesh::fail("input: <provider base URL> <amount in cents>");
    }

    let request = Request {
        method: "POST".into(),
        url: format!("{}/v1/charges", parts[0]),
        headers: vec![("Content-Type".into(), "application/json".into())],
        body: format!("{{\"amount\":{},\"currency\":\"eur\"}}", parts[1]).into_bytes(),
    };
    let response = match http::request(&request) {
        Ok(response) => response,
        Err(Status::Denied) => mesh::fail("the token does not allow this provider"),
        Err(status) => mesh::fail(&format!("the provider could not be reached: {}", status)),
    };
    if response.status >= 300 {
        mesh::fail(&format!("the provider answered {}", response.status));
    }

    print!("charged {}: {}", parts[1], String::from_utf8_lossy(&response.body));
}
