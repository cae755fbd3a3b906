// notify: publishes its input as an event on orders.created. Grant it --publish "orders.created";
// it can publish nowhere else. Build: scripts/build-examples.sh
import { inputText, outputText, fail, publish, Status } from "../../../sdk/assemblyscript/assembly/index";

export function run(inputLength: i32): i32 {
  const order = inputText(inputLength).trim();
  const status = publish("orders.created", order);
  if (status != Status.Ok) {
    return fail("could not publish: status " + status.toString());
  }

  outputText("published " + order);
  return 0;
}
