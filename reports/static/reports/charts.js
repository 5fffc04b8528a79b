// Draw each chart of the page from its JSON spec (rendered with json_script).
(function () {
  "use strict";
  document.querySelectorAll("[data-spec]").forEach(function (element) {
    var spec = JSON.parse(document.getElementById(element.dataset.spec).textContent);
    var layout = Object.assign({ margin: { t: 48, r: 48, b: 48, l: 64 }, height: 360 }, spec.layout);
    Plotly.newPlot(element, spec.data, layout, { displaylogo: false, responsive: true });
  });
})();
