// The dashboard's tables, each fetched on its own so the figures above them show at once.
// The server renders (and escapes) every table; a table that fails keeps its link to its page.
(function () {
  "use strict";
  document.querySelectorAll("[data-fragment]").forEach(function (holder) {
    fetch(holder.getAttribute("data-fragment"), { credentials: "same-origin", headers: { Accept: "text/html" } })
      .then(function (response) {
        if (!response.ok) {
          throw new Error(String(response.status));
        }
        return response.text();
      })
      .then(function (html) {
        holder.innerHTML = html;
      })
      .catch(function () {
        holder.setAttribute("data-failed", "1");
      });
  });
})();
