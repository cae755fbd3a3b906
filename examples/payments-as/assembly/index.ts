// payments: charges an amount with the payment provider. The input names the provider's base URL
// and the amount ("https://api.stripe.com 1999"); the token decides which provider it may reach:
// grant it --http "POST https://api.stripe.com/v1/charges" and any other URL is refused, whatever
// the input says. Its API key is a secret it never sees: grant the rule with
// --secret 'stripe:Authorization=Bearer {}' and the node adds the header (README, "A secret the
// function never sees"). Build: scripts/build-examples.sh
import { inputText, outputText, fail, http, lastStatus, Status } from "../../../sdk/assemblyscript/assembly/index";

export function run(inputLength: i32): i32 {
  const parts = inputText(inputLength).trim().split(" ");
  if (parts.length != 2) {
    return fail("input: <provider base URL> <amount in cents>");
  }

  const response = http.post(parts[0] + "/v1/charges", '{"amount":' + parts[1] + ',"currency":"eur"}');
  if (response == null) {
    return fail(lastStatus == Status.Denied ? "the token does not allow this provider" : "the provider could not be reached: status " + lastStatus.toString());
  }

  if (response.status >= 300) {
    return fail("the provider answered " + response.status.toString());
  }

  outputText("charged " + parts[1] + ": " + response.text());
  return 0;
}
