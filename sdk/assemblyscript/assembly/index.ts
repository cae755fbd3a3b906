// The Mesh guest ABI for AssemblyScript (docs/abi.md). A function exports
// `run(inputLength: i32): i32` and uses these helpers for its input, output, errors and log.
// The guest owns its memory: the host only copies into and out of buffers named here.

@external("mesh", "read_input")
declare function mesh_read_input(ptr: usize, len: i32): i32;

@external("mesh", "write_output")
declare function mesh_write_output(ptr: usize, len: i32): i32;

@external("mesh", "set_error")
declare function mesh_set_error(ptr: usize, len: i32): i32;

@external("mesh", "log")
declare function mesh_log(level: i32, ptr: usize, len: i32): i32;

@external("mesh", "result_read")
declare function mesh_result_read(ptr: usize, len: i32): i32;

@external("mesh", "publish")
declare function mesh_publish(subjectPtr: usize, subjectLen: i32, dataPtr: usize, dataLen: i32): i32;

@external("mesh", "request")
declare function mesh_request(subjectPtr: usize, subjectLen: i32, dataPtr: usize, dataLen: i32, timeoutMs: i32): i32;

@external("mesh", "http_request")
declare function mesh_http_request(requestPtr: usize, requestLen: i32): i32;

@external("mesh", "kv_get")
declare function mesh_kv_get(bucketPtr: usize, bucketLen: i32, keyPtr: usize, keyLen: i32): i32;

@external("mesh", "kv_put")
declare function mesh_kv_put(bucketPtr: usize, bucketLen: i32, keyPtr: usize, keyLen: i32, valuePtr: usize, valueLen: i32): i32;

@external("mesh", "kv_update")
declare function mesh_kv_update(bucketPtr: usize, bucketLen: i32, keyPtr: usize, keyLen: i32, valuePtr: usize, valueLen: i32, revision: i64): i32;

@external("mesh", "kv_revision")
declare function mesh_kv_revision(): i64;

@external("mesh", "kv_delete")
declare function mesh_kv_delete(bucketPtr: usize, bucketLen: i32, keyPtr: usize, keyLen: i32): i32;

@external("mesh", "kv_keys")
declare function mesh_kv_keys(bucketPtr: usize, bucketLen: i32, prefixPtr: usize, prefixLen: i32): i32;

// Only the imports a function actually calls end up in its module, so a function that never
// publishes does not need (and is not refused for lacking) a publish grant.

/** What host calls return: 0 is success, negative values are refusals. */
export namespace Status {
  export const Ok: i32 = 0;
  export const Denied: i32 = -1;
  export const OutOfBounds: i32 = -2;
  export const LimitExceeded: i32 = -3;
  export const NotFound: i32 = -4;
  export const Timeout: i32 = -5;
  export const Unavailable: i32 = -6;
  export const Invalid: i32 = -7;
  /** kv.update: the key changed since it was read; read it again and retry. */
  export const Conflict: i32 = -8;
}

function utf8(text: string): ArrayBuffer {
  return String.UTF8.encode(text);
}

function takeResult(length: i32): Uint8Array {
  const buffer = new Uint8Array(length);
  mesh_result_read(buffer.dataStart, length);
  return buffer;
}

/** Publishes to a literal subject; needs a publish rule that matches it. Returns a Status. */
export function publish(subject: string, data: string): i32 {
  const s = utf8(subject);
  const d = utf8(data);
  return mesh_publish(changetype<usize>(s), s.byteLength, changetype<usize>(d), d.byteLength);
}

/** The status of the last request or key-value read (Status.Ok when it produced a value). */
export let lastStatus: i32 = 0;

/** Sends a request and returns the reply text, or null (see lastStatus). Needs a request rule. */
export function request(subject: string, data: string, timeoutMs: i32 = 1000): string | null {
  const s = utf8(subject);
  const d = utf8(data);
  const length = mesh_request(changetype<usize>(s), s.byteLength, changetype<usize>(d), d.byteLength, timeoutMs);
  lastStatus = length < 0 ? length : Status.Ok;
  return length < 0 ? null : String.UTF8.decode(takeResult(length).buffer);
}

/** Key-value buckets; each call needs a rule for the bucket, the key's prefix and the operation. */
export namespace kv {
  /** The value, or null when absent or refused (see lastStatus: NotFound, Denied, ...). */
  export function get(bucket: string, key: string): string | null {
    const b = utf8(bucket);
    const k = utf8(key);
    const length = mesh_kv_get(changetype<usize>(b), b.byteLength, changetype<usize>(k), k.byteLength);
    lastStatus = length < 0 ? length : Status.Ok;
    return length < 0 ? null : String.UTF8.decode(takeResult(length).buffer);
  }

  export function put(bucket: string, key: string, value: string): i32 {
    const b = utf8(bucket);
    const k = utf8(key);
    const v = utf8(value);
    return mesh_kv_put(changetype<usize>(b), b.byteLength, changetype<usize>(k), k.byteLength, changetype<usize>(v), v.byteLength);
  }

  /** The revision of the value the last kv.get returned (0 after not found): what kv.update expects. */
  export function revision(): i64 {
    return mesh_kv_revision();
  }

  /**
   * Writes only if the key is still at `revision` (0: only if absent), else Status.Conflict:
   * get, compute, update, and on a conflict start again. Needs put. Loses no concurrent write.
   */
  export function update(bucket: string, key: string, value: string, revision: i64): i32 {
    const b = utf8(bucket);
    const k = utf8(key);
    const v = utf8(value);
    return mesh_kv_update(changetype<usize>(b), b.byteLength, changetype<usize>(k), k.byteLength, changetype<usize>(v), v.byteLength, revision);
  }

  export function remove(bucket: string, key: string): i32 {
    const b = utf8(bucket);
    const k = utf8(key);
    return mesh_kv_delete(changetype<usize>(b), b.byteLength, changetype<usize>(k), k.byteLength);
  }

  /** Keys under a prefix (at most 1,000); empty when refused (see lastStatus). Needs a list rule. */
  export function keys(bucket: string, prefix: string): string[] {
    const b = utf8(bucket);
    const p = utf8(prefix);
    const length = mesh_kv_keys(changetype<usize>(b), b.byteLength, changetype<usize>(p), p.byteLength);
    lastStatus = length < 0 ? length : Status.Ok;
    return length < 0 ? [] : readStringArray(takeResult(length));
  }
}

// The host answers kv.keys with a MessagePack array of strings; this reads just that shape.
function readStringArray(bytes: Uint8Array): string[] {
  let at = 0;
  let count = 0;
  const head = bytes[at++];
  if ((head & 0xf0) == 0x90) count = head & 0x0f;
  else if (head == 0xdc) { count = (<i32>bytes[at] << 8) | bytes[at + 1]; at += 2; }
  else { count = (<i32>bytes[at] << 24) | (<i32>bytes[at + 1] << 16) | (<i32>bytes[at + 2] << 8) | bytes[at + 3]; at += 4; }
  const result = new Array<string>(0);
  for (let i = 0; i < count; i++) {
    const tag = bytes[at++];
    let length = 0;
    if ((tag & 0xe0) == 0xa0) length = tag & 0x1f;
    else if (tag == 0xd9) length = bytes[at++];
    else if (tag == 0xda) { length = (<i32>bytes[at] << 8) | bytes[at + 1]; at += 2; }
    else { length = (<i32>bytes[at] << 24) | (<i32>bytes[at + 1] << 16) | (<i32>bytes[at + 2] << 8) | bytes[at + 3]; at += 4; }
    result.push(String.UTF8.decode(bytes.slice(at, at + length).buffer));
    at += length;
  }
  return result;
}

/** The call's input, as bytes. */
export function inputBytes(length: i32): Uint8Array {
  const buffer = new Uint8Array(length);
  mesh_read_input(buffer.dataStart, length);
  return buffer;
}

/** The call's input, as UTF-8 text. */
export function inputText(length: i32): string {
  return String.UTF8.decode(inputBytes(length).buffer);
}

/** Sets the reply (replacing any earlier one). The host refuses more than the token's output limit. */
export function outputBytes(bytes: Uint8Array): i32 {
  return mesh_write_output(bytes.dataStart, bytes.length);
}

export function outputText(text: string): i32 {
  const bytes = String.UTF8.encode(text);
  return mesh_write_output(changetype<usize>(bytes), bytes.byteLength);
}

/** Fails the call with a message: return what this returns from `run`. */
export function fail(message: string, code: i32 = 1): i32 {
  const bytes = String.UTF8.encode(message);
  mesh_set_error(changetype<usize>(bytes), bytes.byteLength);
  return code;
}

/** Log lines need the log capability; without it they return Status.Denied. */
export namespace log {
  function write(level: i32, text: string): i32 {
    const bytes = String.UTF8.encode(text);
    return mesh_log(level, changetype<usize>(bytes), bytes.byteLength);
  }

  export function debug(text: string): i32 { return write(0, text); }
  export function info(text: string): i32 { return write(1, text); }
  export function warn(text: string): i32 { return write(2, text); }
  export function error(text: string): i32 { return write(3, text); }
}

/** Replaces AssemblyScript's default `env.abort` import: a failed assertion traps instead. */
export function abort(message: string | null, file: string | null, line: u32, column: u32): void {
  unreachable();
}

/** An HTTP response as the host returns it. Redirects are never followed: a 3xx is returned as is. */
export class HttpResponse {
  constructor(public status: i32, public headers: string[], public body: Uint8Array) {}

  text(): string {
    return String.UTF8.decode(this.body.buffer);
  }

  /** The first value of a header (case-insensitive), or null. */
  header(name: string): string | null {
    const wanted = name.toLowerCase();
    for (let i = 0; i < this.headers.length; i += 2) {
      if (this.headers[i].toLowerCase() == wanted) return this.headers[i + 1];
    }
    return null;
  }
}

/** Outbound HTTP: needs an http rule for the scheme, host, port, method and path. */
export namespace http {
  /** Null when refused or failed (see lastStatus: Denied, Invalid, Timeout, LimitExceeded, Unavailable). */
  export function request(method: string, url: string, body: string = "", headers: string[] = []): HttpResponse | null {
    const writer = new Writer();
    writer.arrayHeader(4);
    writer.str(method);
    writer.str(url);
    writer.arrayHeader(headers.length / 2);
    for (let i = 0; i + 1 < headers.length; i += 2) {
      writer.arrayHeader(2);
      writer.str(headers[i]);
      writer.str(headers[i + 1]);
    }
    writer.bin(Uint8Array.wrap(utf8(body)));
    const request = writer.done();
    const length = mesh_http_request(request.dataStart, request.length);
    lastStatus = length < 0 ? length : Status.Ok;
    return length < 0 ? null : readResponse(takeResult(length));
  }

  export function get(url: string): HttpResponse | null { return request("GET", url); }

  export function post(url: string, body: string, contentType: string = "application/json"): HttpResponse | null {
    return request("POST", url, body, ["Content-Type", contentType]);
  }
}

// Just enough MessagePack for the host's HTTP messages.
class Writer {
  bytes: u8[] = [];

  arrayHeader(count: i32): void {
    if (count < 16) { this.bytes.push(<u8>(0x90 | count)); } else { this.bytes.push(0xdc); this.u16(count); }
  }

  str(text: string): void {
    const data = Uint8Array.wrap(utf8(text));
    const length = data.length;
    if (length < 32) this.bytes.push(<u8>(0xa0 | length));
    else if (length < 256) { this.bytes.push(0xd9); this.bytes.push(<u8>length); }
    else if (length < 65536) { this.bytes.push(0xda); this.u16(length); }
    else { this.bytes.push(0xdb); this.u32(length); }
    for (let i = 0; i < length; i++) this.bytes.push(data[i]);
  }

  bin(data: Uint8Array): void {
    const length = data.length;
    if (length < 256) { this.bytes.push(0xc4); this.bytes.push(<u8>length); }
    else if (length < 65536) { this.bytes.push(0xc5); this.u16(length); }
    else { this.bytes.push(0xc6); this.u32(length); }
    for (let i = 0; i < length; i++) this.bytes.push(data[i]);
  }

  u16(value: i32): void { this.bytes.push(<u8>(value >> 8)); this.bytes.push(<u8>value); }

  u32(value: i32): void { this.u16(value >>> 16); this.u16(value & 0xffff); }

  done(): Uint8Array {
    const out = new Uint8Array(this.bytes.length);
    for (let i = 0; i < this.bytes.length; i++) out[i] = this.bytes[i];
    return out;
  }
}

class Reader {
  at: i32 = 0;
  constructor(public bytes: Uint8Array) {}

  next(): u8 { return this.bytes[this.at++]; }

  n(size: i32): i32 {
    let value = 0;
    for (let i = 0; i < size; i++) value = (value << 8) | this.next();
    return value;
  }

  arrayHeader(): i32 {
    const tag = this.next();
    return (tag & 0xf0) == 0x90 ? tag & 0x0f : tag == 0xdc ? this.n(2) : this.n(4);
  }

  int(): i32 {
    const tag = this.next();
    return tag < 0x80 ? tag : tag == 0xcc ? this.n(1) : tag == 0xcd ? this.n(2) : this.n(4);
  }

  raw(length: i32): Uint8Array {
    const out = this.bytes.slice(this.at, this.at + length);
    this.at += length;
    return out;
  }

  str(): string {
    const tag = this.next();
    const length = (tag & 0xe0) == 0xa0 ? tag & 0x1f : tag == 0xd9 ? this.n(1) : tag == 0xda ? this.n(2) : this.n(4);
    return String.UTF8.decode(this.raw(length).buffer);
  }

  bin(): Uint8Array {
    const tag = this.next();
    return this.raw(tag == 0xc4 ? this.n(1) : tag == 0xc5 ? this.n(2) : this.n(4));
  }
}

function readResponse(bytes: Uint8Array): HttpResponse {
  const reader = new Reader(bytes);
  reader.arrayHeader();
  const status = reader.int();
  const count = reader.arrayHeader();
  const headers = new Array<string>(0);
  for (let i = 0; i < count; i++) {
    reader.arrayHeader();
    headers.push(reader.str());
    headers.push(reader.str());
  }
  return new HttpResponse(status, headers, reader.bin());
}
