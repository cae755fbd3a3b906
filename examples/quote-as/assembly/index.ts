// quote: asks the pricing service on prices.quote for the price of its input and answers with it.
// Grant it --request "prices.quote"; it can ask nothing else. Build: scripts/build-examples.sh
import { inputText, outputText, fail, request, lastStatus } from "../../../sdk/assemblyscript/assembly/index";

export function run(inputLength: i32): i32 {
  const item = inputText(inputLength).trim();
  const price = request("prices.quote", item, 2000);
  if (price == null) {
    return fail("no quote for " + item + ": status " + lastStatus.toString());
  }

  outputText(item + " costs " + price);
  return 0;
}
