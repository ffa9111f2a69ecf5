// Draws the dashboard figures built on the server (teams/charts.py); no data is computed here.
(function () {
  "use strict";

  function readFigure(id) {
    var node = document.getElementById(id);
    return node ? JSON.parse(node.textContent) : null;
  }

  function draw(targetId, figureId) {
    var target = document.getElementById(targetId);
    var figure = readFigure(figureId);
    if (!target || !figure || typeof Plotly === "undefined") {
      return;
    }
    Plotly.newPlot(target, figure.data, figure.layout, {
      responsive: true,
      displaylogo: false,
      modeBarButtonsToRemove: ["sendDataToCloud"],
    }).then(function () {
      target.dataset.rendered = "true";
    });
  }

  function autoSubmit() {
    var form = document.getElementById("dashboard-filters");
    if (!form) {
      return;
    }
    form.querySelectorAll("select").forEach(function (select) {
      select.addEventListener("change", function () {
        form.submit();
      });
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    draw("heatmap", "heatmap-figure");
    draw("trend", "trend-figure");
    autoSubmit();
  });
})();
