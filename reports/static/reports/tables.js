// Sort a table in the page by clicking its header (tables that are not paginated on the
// server); the arrow and aria-sort show the order. Cells carry their raw value in data-value.
(function () {
  "use strict";
  function compare(a, b, numeric) {
    if (a === "" && b === "") return 0;
    if (a === "") return 1;
    if (b === "") return -1;
    if (numeric) return parseFloat(a) - parseFloat(b);
    return a.localeCompare(b);
  }
  document.querySelectorAll("table[data-sortable]").forEach(function (table) {
    var headers = Array.prototype.slice.call(table.querySelectorAll("thead th"));
    headers.forEach(function (header, index) {
      var button = header.querySelector("button.sort-button");
      if (!button) return;
      button.addEventListener("click", function () {
        var descending = header.getAttribute("aria-sort") !== "descending";
        var numeric = header.classList.contains("num");
        var body = table.tBodies[0];
        var rows = Array.prototype.slice.call(body.rows);
        rows.sort(function (left, right) {
          var order = compare(
            left.cells[index].dataset.value,
            right.cells[index].dataset.value,
            numeric
          );
          return descending ? -order : order;
        });
        rows.forEach(function (row) { body.appendChild(row); });
        headers.forEach(function (other) {
          if (other.hasAttribute("aria-sort")) other.setAttribute("aria-sort", "none");
        });
        // the arrow is drawn by the stylesheet from aria-sort
        header.setAttribute("aria-sort", descending ? "descending" : "ascending");
      });
    });
  });
})();
// Filters stay open on wide screens; on phones they fold under their summary line.
(function () {
  "use strict";
  if (window.matchMedia("(min-width: 701px)").matches) {
    document.querySelectorAll("details.filter-box").forEach(function (box) { box.open = true; });
  }
})();
