// Draw each chart of the page from its JSON spec (rendered with json_script): no toolbar,
// resized with its box, a heatmap cell opening its URL when the spec lists one per cell.
(function () {
  "use strict";
  var narrow = window.matchMedia("(max-width: 600px)").matches;
  document.querySelectorAll("[data-spec]").forEach(function (element) {
    var spec = JSON.parse(document.getElementById(element.dataset.spec).textContent);
    var layout = Object.assign(
      {
        autosize: true,
        height: narrow ? 300 : 360,
        margin: narrow ? { t: 56, r: 16, b: 40, l: 44 } : { t: 56, r: 56, b: 48, l: 64 },
        font: { size: narrow ? 10 : 12 }
      },
      spec.layout
    );
    if (narrow && layout.title && layout.title.text) {
      layout.title = Object.assign({}, layout.title, { font: { size: 12 } });
    }
    Plotly.newPlot(element, spec.data, layout, {
      displayModeBar: false,
      displaylogo: false,
      responsive: true
    }).then(function () {
      var placeholder = element.querySelector(".chart-placeholder");
      if (placeholder) placeholder.remove();
      element.classList.add("drawn");
    });
    if (spec.links && spec.links.length) {
      element.classList.add("clickable");
      element.on("plotly_click", function (event) {
        var point = event.points && event.points[0];
        if (!point || !Array.isArray(point.pointNumber)) return;
        var row = spec.links[point.pointNumber[0]];
        var url = row && row[point.pointNumber[1]];
        if (url) window.location.href = url;
      });
    }
  });
})();
