//! Mesh's SDK for Rust: a typed wrapper for every host call in docs/abi.md.
//!
//! A Mesh function in Rust is an ordinary WASI program built for `wasm32-wasi`: it reads its input
//! from stdin and writes its output to stdout (stderr lines are its log, with the log capability).
//! This crate adds what WASI cannot: key-value, publish, request, HTTP, the HTTP trigger's request
//! and response, and explicit errors. Each of those is refused unless the function's token grants
//! it, and a refusal is an `Err(Status::Denied)`, never a panic.
//!
//! ```no_run
//! fn main() {
//!     let name = String::from_utf8(mesh::input()).unwrap_or_default();
//!     let seen = mesh::kv::get("counters", "hits.rust").ok().flatten();
//!     println!("hello, {} ({} bytes seen before)", name.trim(), seen.map_or(0, |v| v.len()));
//! }
//! ```

mod msgpack;

use std::fmt;
use std::io::Read;

/// Why a host call was refused or failed (docs/abi.md, "Statuses").
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    /// The token does not grant this.
    Denied,
    /// A pointer and length outside the guest's memory (a bug in this crate if it happens).
    OutOfBounds,
    /// A per-invocation limit (output size, log lines, messages) would be exceeded.
    LimitExceeded,
    /// No such key.
    NotFound,
    /// No answer within the timeout or the invocation's remaining time.
    Timeout,
    /// Nobody answered, or the messaging system failed.
    Unavailable,
    /// A malformed subject, key, URL or HTTP answer.
    Invalid,
    /// `kv::update`: the key is no longer at that revision; read it again and retry.
    Conflict,
    /// A status this version of the crate does not know.
    Other(i32),
}

impl Status {
    fn from_code(code: i64) -> Status {
        match code {
            -1 => Status::Denied,
            -2 => Status::OutOfBounds,
            -3 => Status::LimitExceeded,
            -4 => Status::NotFound,
            -5 => Status::Timeout,
            -6 => Status::Unavailable,
            -7 => Status::Invalid,
            -8 => Status::Conflict,
            other => Status::Other(other as i32),
        }
    }
}

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Status::Denied => f.write_str("denied: the token does not grant this"),
            Status::OutOfBounds => f.write_str("out of bounds"),
            Status::LimitExceeded => f.write_str("a per-invocation limit would be exceeded"),
            Status::NotFound => f.write_str("not found"),
            Status::Timeout => f.write_str("timed out"),
            Status::Unavailable => f.write_str("unavailable"),
            Status::Invalid => f.write_str("invalid"),
            Status::Conflict => f.write_str("conflict: read again and retry"),
            Status::Other(code) => write!(f, "status {}", code),
        }
    }
}

impl std::error::Error for Status {}

pub type Result<T> = std::result::Result<T, Status>;

// The imports. Off wasm32 (cargo test on the build machine) each answers "unavailable", so the
// crate's pure parts can be tested without a node.
macro_rules! imports {
    ($( fn $name:ident($($arg:ident: $ty:ty),*) -> $ret:ty; )*) => {
        #[cfg(target_arch = "wasm32")]
        mod raw {
            #[link(wasm_import_module = "mesh")]
            extern "C" {
                $( pub fn $name($($arg: $ty),*) -> $ret; )*
            }
        }

        #[cfg(not(target_arch = "wasm32"))]
        #[allow(unused_variables, clippy::missing_safety_doc)]
        mod raw {
            $( pub unsafe fn $name($($arg: $ty),*) -> $ret { -6 } )*
        }
    };
}

imports! {
    fn read_input(ptr: *mut u8, len: i32) -> i32;
    fn write_output(ptr: *const u8, len: i32) -> i32;
    fn set_error(ptr: *const u8, len: i32) -> i32;
    fn log(level: i32, ptr: *const u8, len: i32) -> i32;
    fn publish(subject_ptr: *const u8, subject_len: i32, data_ptr: *const u8, data_len: i32) -> i32;
    fn request(subject_ptr: *const u8, subject_len: i32, data_ptr: *const u8, data_len: i32, timeout_ms: i32) -> i32;
    fn result_read(ptr: *mut u8, len: i32) -> i32;
    fn kv_get(bucket_ptr: *const u8, bucket_len: i32, key_ptr: *const u8, key_len: i32) -> i32;
    fn kv_put(bucket_ptr: *const u8, bucket_len: i32, key_ptr: *const u8, key_len: i32, value_ptr: *const u8, value_len: i32) -> i32;
    fn kv_update(bucket_ptr: *const u8, bucket_len: i32, key_ptr: *const u8, key_len: i32, value_ptr: *const u8, value_len: i32, revision: i64) -> i32;
    fn kv_revision() -> i64;
    fn kv_delete(bucket_ptr: *const u8, bucket_len: i32, key_ptr: *const u8, key_len: i32) -> i32;
    fn kv_keys(bucket_ptr: *const u8, bucket_len: i32, prefix_ptr: *const u8, prefix_len: i32) -> i32;
    fn http_request(req_ptr: *const u8, req_len: i32) -> i32;
    fn http_info() -> i32;
    fn http_respond(ptr: *const u8, len: i32) -> i32;
}

fn len(bytes: &[u8]) -> i32 {
    bytes.len().min(i32::MAX as usize) as i32
}

fn status(code: i32) -> Result<()> {
    if code >= 0 {
        Ok(())
    } else {
        Err(Status::from_code(code as i64))
    }
}

// A call that produced a result of `n` bytes, read with result_read.
fn result(n: i32) -> Result<Vec<u8>> {
    status(n)?;
    let mut bytes = vec![0u8; n as usize];
    let read = unsafe { raw::result_read(bytes.as_mut_ptr(), n) };
    status(read)?;
    bytes.truncate(read as usize);
    Ok(bytes)
}

/// The call's input: everything on stdin.
pub fn input() -> Vec<u8> {
    let mut bytes = Vec::new();
    // stdin is the input in memory: reading it cannot fail part way.
    let _ = std::io::stdin().read_to_end(&mut bytes);
    bytes
}

/// Copies the start of the input into `buffer` (`read_input`); returns how many bytes. For a
/// reactor's `run(input_len)`; a command reads [`input`].
pub fn read_input(buffer: &mut [u8]) -> usize {
    let n = unsafe { raw::read_input(buffer.as_mut_ptr(), len(buffer)) };
    n.max(0) as usize
}

/// Sets the output to `bytes`, replacing everything written so far, stdout included.
pub fn write_output(bytes: &[u8]) -> Result<()> {
    status(unsafe { raw::write_output(bytes.as_ptr(), len(bytes)) })
}

/// The message that goes with a failure (the first 4 KiB). Exit with a non-zero code after it:
/// `std::process::exit(1)`.
pub fn set_error(message: &str) {
    let _ = unsafe { raw::set_error(message.as_ptr(), len(message.as_bytes())) };
}

/// Sets the error message and ends the function as failed (`function.error` for a reactor's
/// non-zero return; a command's non-zero exit is `function.trap` with the code).
pub fn fail(message: &str) -> ! {
    set_error(message);
    std::process::exit(1)
}

/// A log line's level.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Level {
    Debug = 0,
    Info = 1,
    Warn = 2,
    Error = 3,
}

/// One log line at a level (`mesh.log`; needs the log capability). stderr lines are log lines
/// too, at info.
pub fn log(level: Level, line: &str) -> Result<()> {
    status(unsafe { raw::log(level as i32, line.as_ptr(), len(line.as_bytes())) })
}

/// Publishes `data` on `subject` (needs a publish rule for it).
pub fn publish(subject: &str, data: &[u8]) -> Result<()> {
    status(unsafe { raw::publish(subject.as_ptr(), len(subject.as_bytes()), data.as_ptr(), len(data)) })
}

/// Sends a request and waits for the reply, at most `timeout_ms` and never past the invocation's
/// deadline (needs a request rule for the subject).
pub fn request(subject: &str, data: &[u8], timeout_ms: u32) -> Result<Vec<u8>> {
    let timeout = timeout_ms.min(i32::MAX as u32) as i32;
    result(unsafe { raw::request(subject.as_ptr(), len(subject.as_bytes()), data.as_ptr(), len(data), timeout) })
}

/// Key-value, in buckets and key prefixes the token grants.
pub mod kv {
    use super::{len, raw, result, status, Result, Status};

    /// The value, or `None` when the key does not exist (needs get).
    pub fn get(bucket: &str, key: &str) -> Result<Option<Vec<u8>>> {
        match result(unsafe { raw::kv_get(bucket.as_ptr(), len(bucket.as_bytes()), key.as_ptr(), len(key.as_bytes())) }) {
            Ok(value) => Ok(Some(value)),
            Err(Status::NotFound) => Ok(None),
            Err(other) => Err(other),
        }
    }

    /// The revision of the value the last [`get`] returned (0 after not found).
    pub fn revision() -> i64 {
        unsafe { raw::kv_revision() }
    }

    /// Writes the value (needs put).
    pub fn put(bucket: &str, key: &str, value: &[u8]) -> Result<()> {
        status(unsafe { raw::kv_put(bucket.as_ptr(), len(bucket.as_bytes()), key.as_ptr(), len(key.as_bytes()), value.as_ptr(), len(value)) })
    }

    /// Writes only if the key is still at `revision` (0: only if absent); else `Status::Conflict`.
    pub fn update(bucket: &str, key: &str, value: &[u8], revision: i64) -> Result<()> {
        status(unsafe { raw::kv_update(bucket.as_ptr(), len(bucket.as_bytes()), key.as_ptr(), len(key.as_bytes()), value.as_ptr(), len(value), revision) })
    }

    /// Deletes the key (needs delete).
    pub fn delete(bucket: &str, key: &str) -> Result<()> {
        status(unsafe { raw::kv_delete(bucket.as_ptr(), len(bucket.as_bytes()), key.as_ptr(), len(key.as_bytes())) })
    }

    /// The keys under `prefix` (needs list), at most 1,000.
    pub fn keys(bucket: &str, prefix: &str) -> Result<Vec<String>> {
        let bytes = result(unsafe { raw::kv_keys(bucket.as_ptr(), len(bucket.as_bytes()), prefix.as_ptr(), len(prefix.as_bytes())) })?;
        let mut reader = crate::msgpack::Reader::new(&bytes);
        let count = reader.array().ok_or(Status::Invalid)?;
        (0..count).map(|_| reader.string().ok_or(Status::Invalid)).collect()
    }
}

/// Outbound HTTP (to hosts and paths the token grants) and the HTTP trigger's request and answer.
pub mod http {
    use super::{len, msgpack, raw, result, status, Result, Status};

    /// An outbound request.
    #[derive(Debug, Clone, Default)]
    pub struct Request {
        pub method: String,
        pub url: String,
        pub headers: Vec<(String, String)>,
        pub body: Vec<u8>,
    }

    /// What the server answered.
    #[derive(Debug, Clone)]
    pub struct Response {
        pub status: u16,
        pub headers: Vec<(String, String)>,
        pub body: Vec<u8>,
    }

    /// Sends the request (needs an HTTP rule allowing its method, host and path).
    pub fn request(request: &Request) -> Result<Response> {
        let mut bytes = Vec::with_capacity(request.body.len() + request.url.len() + 64);
        msgpack::array(&mut bytes, 4);
        msgpack::str(&mut bytes, &request.method);
        msgpack::str(&mut bytes, &request.url);
        msgpack::headers(&mut bytes, &request.headers);
        msgpack::bin(&mut bytes, &request.body);
        let answer = result(unsafe { raw::http_request(bytes.as_ptr(), len(&bytes)) })?;
        let mut reader = msgpack::Reader::new(&answer);
        let parsed = (|| {
            if reader.array()? != 3 {
                return None;
            }
            let status = reader.uint()? as u16;
            let headers = reader.headers()?;
            let body = reader.bytes()?.to_vec();
            Some(Response { status, headers, body })
        })();
        parsed.ok_or(Status::Invalid)
    }

    pub fn get(url: &str) -> Result<Response> {
        request(&Request { method: "GET".into(), url: url.into(), ..Request::default() })
    }

    pub fn post(url: &str, body: &[u8]) -> Result<Response> {
        request(&Request { method: "POST".into(), url: url.into(), body: body.to_vec(), ..Request::default() })
    }

    /// A call that came through the HTTP gateway: its method, path, query and headers.
    #[derive(Debug, Clone)]
    pub struct Info {
        pub method: String,
        pub path: String,
        pub query: String,
        pub headers: Vec<(String, String)>,
    }

    /// The HTTP request this call came from, or `None` for a call that did not come over HTTP.
    pub fn info() -> Option<Info> {
        let bytes = result(unsafe { raw::http_info() }).ok()?;
        let mut reader = msgpack::Reader::new(&bytes);
        if reader.array()? != 4 {
            return None;
        }
        Some(Info { method: reader.string()?, path: reader.string()?, query: reader.string()?, headers: reader.headers()? })
    }

    /// Sets the HTTP answer's status and headers; the body is the output.
    pub fn respond(status_code: u16, headers: &[(String, String)]) -> Result<()> {
        let mut bytes = Vec::new();
        msgpack::array(&mut bytes, 2);
        msgpack::uint(&mut bytes, status_code as u32);
        msgpack::headers(&mut bytes, headers);
        status(unsafe { raw::http_respond(bytes.as_ptr(), len(&bytes)) })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_map_from_the_abi() {
        assert_eq!(Status::from_code(-1), Status::Denied);
        assert_eq!(Status::from_code(-8), Status::Conflict);
        assert_eq!(Status::from_code(-99), Status::Other(-99));
        assert_eq!(status(0), Ok(()));
        assert_eq!(status(-4), Err(Status::NotFound));
    }

    #[test]
    fn off_wasm_every_call_is_unavailable() {
        assert_eq!(kv::get("b", "k"), Err(Status::Unavailable));
        assert!(http::info().is_none());
    }
}
