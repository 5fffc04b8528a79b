// Draw each chart of the page from its JSON spec (rendered with json_script): no toolbar,
// resized with its box, a heatmap cell opening its URL when the spec lists one per cell, and
// heatmap cells never squeezed below a readable size (the chart scrolls inside its box).
(function () {
  "use strict";
  var narrow = window.matchMedia("(max-width: 600px)").matches;
  var MIN_CELL_WIDTH = 40; // px: a heatmap cell holds its label ("100%*") at the small font
  var MIN_CELL_HEIGHT = 20;
  var COLORBAR_WIDTH = 70;
  // Plotly's default colours, handed out per legend group rather than per trace: the dashed
  // continuation of a line into the current month (reports/charts.py month_line, same
  // legendgroup) takes its line's colour instead of the next one.
  var COLOURWAY = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2",
    "#7f7f7f", "#bcbd22", "#17becf"];
  function shareGroupColours(data) {
    var colours = {};
    var next = 0;
    data.forEach(function (trace, index) {
      if (trace.type !== "scatter" && trace.type !== "bar") return;
      var group = trace.legendgroup ? "group:" + trace.legendgroup : "trace:" + index;
      if (!(group in colours)) colours[group] = COLOURWAY[next++ % COLOURWAY.length];
      var colour = colours[group];
      trace.marker = Object.assign({ color: colour }, trace.marker);
      if (trace.type === "scatter") trace.line = Object.assign({ color: colour }, trace.line);
    });
  }

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
    var heatmap = spec.data.length && spec.data[0].type === "heatmap" ? spec.data[0] : null;
    if (heatmap) {
      // Cells big enough for their labels ("100%*") on any screen: a taller chart for many
      // cohorts and, when the columns do not fit, a chart wider than its box that scrolls
      // sideways inside it (the page itself never gets wider than the screen).
      var columns = (heatmap.x || []).length;
      var rows = (heatmap.y || []).length;
      if (!spec.layout.margin) layout.margin = Object.assign({}, layout.margin, { l: 64 });
      layout.height = Math.max(layout.height, layout.margin.t + layout.margin.b + rows * MIN_CELL_HEIGHT);
      var width = layout.margin.l + layout.margin.r + COLORBAR_WIDTH + columns * MIN_CELL_WIDTH;
      element.style.minWidth = width + "px";
      if (width > element.parentElement.clientWidth) {
        // the title over the part shown first, not centred over the whole scrolled width
        layout.title = Object.assign({}, layout.title, { x: 0, xanchor: "left", xref: "paper" });
        var hint = document.createElement("figcaption");
        hint.className = "help scroll-hint";
        hint.textContent = "Scroll the chart sideways for the later months.";
        element.parentElement.insertBefore(hint, element);
      }
    }
    shareGroupColours(spec.data);
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
