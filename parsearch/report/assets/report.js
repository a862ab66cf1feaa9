(function () {
  "use strict";
  document.querySelectorAll("table.scores").forEach(function (table) {
    var body = table.tBodies[0];
    var heads = Array.prototype.slice.call(table.tHead.rows[0].cells);
    Array.prototype.forEach.call(body.rows, function (row, i) { row.dataset.order = i; });
    heads.forEach(function (th, col) {
      th.addEventListener("click", function () {
        var ascending = th.getAttribute("aria-sort") !== "ascending";
        heads.forEach(function (h) { h.removeAttribute("aria-sort"); });
        th.setAttribute("aria-sort", ascending ? "ascending" : "descending");
        var numeric = th.dataset.type === "number";
        var key = function (row) {
          var cell = row.cells[col];
          if (!cell) { return null; }
          if (numeric) {
            var raw = cell.dataset.value;
            var x = raw === undefined || raw === "" ? NaN : Number(raw);
            return isNaN(x) ? null : x;
          }
          var text = cell.textContent.trim();
          return text === "" ? null : text;
        };
        var rows = Array.prototype.slice.call(body.rows).map(function (row) {
          return { row: row, key: key(row), order: Number(row.dataset.order) };
        });
        rows.sort(function (a, b) {
          if (a.key === null || b.key === null) {
            if (a.key === b.key) { return a.order - b.order; }
            return a.key === null ? 1 : -1;
          }
          var c = numeric ? a.key - b.key
            : a.key.localeCompare(b.key, undefined, { numeric: true });
          return (ascending ? c : -c) || a.order - b.order;
        });
        rows.forEach(function (r) { body.appendChild(r.row); });
      });
    });
  });
})();
