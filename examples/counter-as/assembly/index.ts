// counter: counts calls per name in the key-value bucket "counters", so the count survives any
// node. Needs a grant like --kv "counters/hits.:get,put". Build: scripts/build-examples.sh
import { inputText, outputText, fail, kv, lastStatus, Status } from "../../../sdk/assemblyscript/assembly/index";

export function run(inputLength: i32): i32 {
  const name = inputText(inputLength).trim();
  const key = "hits." + (name.length > 0 ? name : "anonymous");

  const current = kv.get("counters", key);
  if (current == null && lastStatus != Status.NotFound) {
    return fail("cannot read " + key + ": status " + lastStatus.toString());
  }

  const next = (current == null ? 0 : I32.parseInt(current)) + 1;
  const written = kv.put("counters", key, next.toString());
  if (written != Status.Ok) {
    return fail("cannot write " + key + ": status " + written.toString());
  }

  outputText(next.toString());
  return 0;
}
