namespace Mesh.Contracts.HostCalls;

/// <summary>
/// The guest ABI: what a core wasm module exports and imports to be a Mesh function (docs/abi.md).
/// The guest owns all of its memory; the host only copies into and out of buffers the guest names.
/// </summary>
public static class GuestAbi
{
    /// <summary>The import module name of every host function.</summary>
    public const string ImportModule = "mesh";

    /// <summary>Exported linear memory.</summary>
    public const string MemoryExport = "memory";

    /// <summary>
    /// A WASI command's entry point, <c>_start() -> ()</c>: run when the module exports no
    /// <c>run</c>, with the input on stdin and stdout as the output.
    /// </summary>
    public const string StartExport = "_start";

    /// <summary>Exported entry point: <c>run(input_len: i32) -> i32</c>; 0 is success.</summary>
    public const string RunExport = "run";

    /// <summary>Optional exported initialiser (WASI reactors, some toolchains): called once before <c>run</c>.</summary>
    public const string InitializeExport = "_initialize";

    /// <summary><c>read_input(ptr: i32, len: i32) -> i32</c>: copies up to len input bytes to ptr; returns bytes copied.</summary>
    public const string ReadInput = "read_input";

    /// <summary><c>write_output(ptr: i32, len: i32) -> i32</c>: sets the output (replacing any earlier); 0 or a status.</summary>
    public const string WriteOutput = "write_output";

    /// <summary><c>set_error(ptr: i32, len: i32) -> i32</c>: a message for a non-zero return from <c>run</c>.</summary>
    public const string SetError = "set_error";

    /// <summary><c>log(level: i32, ptr: i32, len: i32) -> i32</c>: needs the log capability.</summary>
    public const string Log = "log";

    /// <summary><c>publish(subject_ptr, subject_len, data_ptr, data_len) -> i32</c>: needs a publish rule matching the subject.</summary>
    public const string Publish = "publish";

    /// <summary>
    /// <c>request(subject_ptr, subject_len, data_ptr, data_len, timeout_ms) -> i32</c>: needs a request
    /// rule; returns the reply's length (read it with <c>result_read</c>) or a negative status.
    /// </summary>
    public const string Request = "request";

    /// <summary><c>result_read(ptr, len) -> i32</c>: copies up to len bytes of the last result; returns how many.</summary>
    public const string ResultRead = "result_read";

    /// <summary><c>kv_get(bucket_ptr, bucket_len, key_ptr, key_len) -> i32</c>: the value's length (read it with <c>result_read</c>) or a status.</summary>
    public const string KvGet = "kv_get";

    /// <summary><c>kv_put(bucket_ptr, bucket_len, key_ptr, key_len, value_ptr, value_len) -> i32</c>.</summary>
    public const string KvPut = "kv_put";

    /// <summary>
    /// <c>kv_update(bucket_ptr, bucket_len, key_ptr, key_len, value_ptr, value_len, revision: i64) -> i32</c>:
    /// writes only if the key is still at <c>revision</c> (0: only if it does not exist), else
    /// <see cref="HostStatus.Conflict"/>. Needs put. With <c>kv_revision</c>, a read-modify-write that loses nothing.
    /// </summary>
    public const string KvUpdate = "kv_update";

    /// <summary><c>kv_revision() -> i64</c>: the revision of the value the last <c>kv_get</c> returned (0 after not found).</summary>
    public const string KvRevision = "kv_revision";

    /// <summary><c>kv_delete(bucket_ptr, bucket_len, key_ptr, key_len) -> i32</c>.</summary>
    public const string KvDelete = "kv_delete";

    /// <summary><c>kv_keys(bucket_ptr, bucket_len, prefix_ptr, prefix_len) -> i32</c>: a MessagePack array of key strings, via <c>result_read</c>.</summary>
    public const string KvKeys = "kv_keys";

    /// <summary>
    /// <c>http_request(req_ptr, req_len) -> i32</c>: an <see cref="HttpExchange.Request"/>; returns the
    /// length of the <see cref="HttpExchange.Response"/> (read it with <c>result_read</c>) or a status.
    /// Redirects are never followed: the guest sees them and may make a new request, checked again.
    /// </summary>
    public const string HttpRequest = "http_request";

    /// <summary>
    /// <c>http_info() -> i32</c>: for a call that came through the HTTP gateway, the length of an
    /// <see cref="HttpTrigger.Request"/> (read it with <c>result_read</c>); <see cref="HostStatus.NotFound"/> otherwise.
    /// </summary>
    public const string HttpInfo = "http_info";

    /// <summary>
    /// <c>http_respond(ptr, len) -> i32</c>: sets the HTTP status and headers of the answer (an
    /// <see cref="HttpTrigger.Response"/>); the body is the output. <see cref="HostStatus.Invalid"/> for a status
    /// outside 200-599 or a header the gateway owns. Ignored when the call did not come over HTTP.
    /// </summary>
    public const string HttpRespond = "http_respond";
}
