// counter: counts calls per name in the key-value bucket "counters", so the count survives any
// node, and counts right when calls run side by side: it updates only the revision it read, and
// reads again on a conflict. Needs a grant like --kv "counters/hits.:get,put".
// Build: scripts/build-examples.sh
import { inputText, outputText, fail, kv, lastStatus, Status } from "../../../sdk/assemblyscript/assembly/index";

export function run(inputLength: i32): i32 {
  const name = inputText(inputLength).trim();
  const key = "hits." + (name.length > 0 ? name : "anonymous");

  for (let attempt = 0; attempt < 20; attempt++) {
    const current = kv.get("counters", key);
    if (current == null && lastStatus != Status.NotFound) {
      return fail("cannot read " + key + ": status " + lastStatus.toString());
    }

    const next = (current == null ? 0 : I32.parseInt(current)) + 1;
    const written = kv.update("counters", key, next.toString(), kv.revision());
    if (written == Status.Ok) {
      outputText(next.toString());
      return 0;
    }

    if (written != Status.Conflict) {
      return fail("cannot write " + key + ": status " + written.toString());
    }
  }

  return fail("too many concurrent updates of " + key);
}
