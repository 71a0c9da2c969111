/* A create form's one-time token (keyaccounts/formtokens.py), kept through Back.
 *
 * Back to a create form that was saved fetches the page again, with a new token, and
 * the browser puts back what was typed in it (never a hidden input's value): saving it
 * again would create a second record. So the token a form is sent with is written into
 * that page's own history entry (`history.replaceState`), and a page reached by Back or
 * Forward takes it again from its entry: the second save lands on the record the first
 * one created ("Already saved"). An entry whose form was never sent keeps its own new
 * token, as does any page opened anew (a link, a reload).
 *
 * Not with no signal: the offline outbox (outbox.js) keys the forms it keeps by their
 * token and gives a form opened offline a token of its own, so two visits typed on the
 * same page are two; a form it keeps or re-sends is not written into the entry either.
 */
(function () {
  "use strict";
  var navigation = window.performance && performance.getEntriesByType
    ? performance.getEntriesByType("navigation")[0]
    : null;
  var back = Boolean(navigation && navigation.type === "back_forward");
  var outbox = function () {
    return navigator.onLine === false || /^#outbox=/.test(location.hash);
  };
  document.querySelectorAll('input[name="form_token"]').forEach(function (input, index) {
    var state = window.history.state || {};
    var kept = state.formTokens && state.formTokens[index];
    if (back && kept && !outbox()) {
      input.value = kept;
    }
    if (!input.form) {
      return;
    }
    input.form.addEventListener("submit", function () {
      if (outbox()) {
        return; // kept by the outbox under its own key
      }
      try {
        var now = window.history.state || {};
        var tokens = Object.assign({}, now.formTokens || {});
        tokens[index] = input.value;
        window.history.replaceState(Object.assign({}, now, { formTokens: tokens }), "");
      } catch (e) {
        // no history to write to: Back then gives a new token, as without this script
      }
    });
  });
})();
