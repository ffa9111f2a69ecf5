// My trends: draw the figure the server built (passed with json_script) with local plotly.js.
(function () {
  "use strict";
  const holder = document.getElementById("trends-chart");
  const source = document.getElementById("trends-figure");
  if (!holder || !source || !window.Plotly) return;
  const figure = JSON.parse(source.textContent);
  window.Plotly.newPlot(holder, figure.data, figure.layout, {
    responsive: true,
    displaylogo: false,
  });
})();
