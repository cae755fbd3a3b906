// hello: greets whoever the input names. Build: scripts/build-examples.sh
import { inputText, outputText, fail } from "../../../sdk/assemblyscript/assembly/index";

export function run(inputLength: i32): i32 {
  const name = inputText(inputLength).trim();
  if (name.length == 0) {
    return fail("say who to greet");
  }

  outputText("Hello, " + name + "!");
  return 0;
}
