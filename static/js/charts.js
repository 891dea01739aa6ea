// Draws every plotly figure on the page. Each figure's JSON sits in a <script type="application/json">
// written by Django's json_script; the element that shows it names that script in data-figure.
// No inline scripts and no eval: the content security policy allows scripts from this site only.
(function () {
  "use strict";

  var CONFIG = { responsive: true, displaylogo: false, modeBarButtonsToRemove: ["sendDataToCloud"] };

  function draw(element) {
    var source = document.getElementById(element.dataset.figure);
    if (!source) {
      return;
    }
    var figure = JSON.parse(source.textContent);
    if (typeof figure === "string") {
      figure = JSON.parse(figure);
    }
    window.Plotly.newPlot(element, figure.data || [], figure.layout || {}, CONFIG).then(function () {
      element.classList.add("drawn");
    });
  }

  function drawAll() {
    if (!window.Plotly) {
      return;
    }
    document.querySelectorAll("[data-figure]").forEach(draw);
  }

  function resizeAll() {
    if (!window.Plotly) {
      return;
    }
    document.querySelectorAll("[data-figure].drawn").forEach(function (element) {
      window.Plotly.Plots.resize(element);
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", drawAll);
  } else {
    drawAll();
  }
  // Printing narrows the page: redraw at the paper's width, then again at the screen's.
  window.addEventListener("beforeprint", resizeAll);
  window.addEventListener("afterprint", resizeAll);
})();
