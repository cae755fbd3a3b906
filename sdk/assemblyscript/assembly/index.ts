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

/** What host calls return: 0 is success, negative values are refusals. */
export namespace Status {
  export const Ok: i32 = 0;
  export const Denied: i32 = -1;
  export const OutOfBounds: i32 = -2;
  export const LimitExceeded: i32 = -3;
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
