/* A create form's one-time token (keyaccounts/formtokens.py), kept through Back.
 *
 * Back to a create form that was saved fetches the page again, with a new token, and
 * the browser puts back what was typed in it (never a hidden input's value): saving it
 * again would create a second record. So a form's token is kept in the tab's
 * sessionStorage when the form is sent, and a page reached by Back or Forward takes
 * the kept token again: the second save lands on the record the first one created
 * ("Already saved"). A page opened anew (a link, a reload) keeps its own new token.
 */
(function () {
  "use strict";
  var navigation = window.performance && performance.getEntriesByType
    ? performance.getEntriesByType("navigation")[0]
    : null;
  var back = Boolean(navigation && navigation.type === "back_forward");
  document.querySelectorAll('input[name="form_token"]').forEach(function (input, index) {
    var key = "form_token:" + location.pathname + location.search + "#" + index;
    try {
      var kept = window.sessionStorage.getItem(key);
      if (back && kept) {
        input.value = kept;
      }
    } catch (e) {
      return; // no storage (a private window's quota): the page's own token
    }
    if (input.form) {
      input.form.addEventListener("submit", function () {
        try {
          window.sessionStorage.setItem(key, input.value);
        } catch (e) {
          // nothing kept: Back then gives a new token, as without this script
        }
      });
    }
  });
})();
