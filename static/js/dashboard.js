/* The dashboard's charts, drawn with the vendored Chart.js (static/vendor/chartjs).
 *
 * Progressive enhancement only: every chart has a table beside it with the same numbers
 * and the links, so the page is complete without JavaScript. Each <canvas data-chart="x">
 * reads its numbers from the json_script block "chart-x" the server wrote; data-kind says
 * how to draw them (stacked money bars, horizontal or not; percent bars).
 */
(function () {
  "use strict";

  if (typeof window.Chart === "undefined") {
    return;
  }
  var Chart = window.Chart;

  // The grades' colours (A best) and a sequence for the stages, readable on white.
  var GRADE_COLOURS = { A: "#1e7a3c", B: "#1f5fbf", C: "#d69e00", D: "#b42318", none: "#8a94a6" };
  // Stages are ordered: a light-to-dark sequence reads as "further along".
  var SERIES = ["#c6dbef", "#9ecae1", "#6baed6", "#3182bd", "#08519c", "#08306b", "#041a3b"];
  var OTHER = {
    sales: "#1f5fbf", receivables: "#d69e00", overdue: "#b42318", conversion: "#1f5fbf",
  };

  function colour(key, index) {
    return GRADE_COLOURS[key] || OTHER[key] || SERIES[index % SERIES.length];
  }

  // "¥1,280,000": the same as the `money` template filter (cents only when there are any).
  function money(value) {
    var whole = Math.round(value * 100) % 100 === 0;
    return "¥" + Number(value).toLocaleString("en-US", {
      minimumFractionDigits: whole ? 0 : 2,
      maximumFractionDigits: whole ? 0 : 2,
    });
  }

  // A Chinese page counts in 万 and 亿 (¥128万, ¥1.2亿), and takes the full-width colon.
  var CHINESE = (document.documentElement.lang || "").toLowerCase().indexOf("zh") === 0;
  var COLON = CHINESE ? "：" : ": ";

  function trimmed(number, digits) {
    return number.toFixed(digits).replace(/\.0+$/, "");
  }

  // Axis ticks stay short on a phone: ¥1.2M, ¥350k; in Chinese ¥1.2亿, ¥350万.
  function shortMoney(value) {
    var abs = Math.abs(value);
    if (CHINESE) {
      if (abs >= 1e8) return "¥" + trimmed(value / 1e8, 1) + "亿";
      if (abs >= 1e4) return "¥" + trimmed(value / 1e4, abs >= 1e6 ? 0 : 1) + "万";
      return "¥" + value;
    }
    if (abs >= 1e9) return "¥" + (value / 1e9).toFixed(1).replace(/\.0$/, "") + "B";
    if (abs >= 1e6) return "¥" + (value / 1e6).toFixed(1).replace(/\.0$/, "") + "M";
    if (abs >= 1e3) return "¥" + (value / 1e3).toFixed(0) + "k";
    return "¥" + value;
  }

  function config(kind, data) {
    var horizontal = kind.indexOf("horizontal") !== -1;
    var percent = kind.indexOf("percent") === 0;
    var stacked = kind.indexOf("stacked") === 0;
    var valueAxis = horizontal ? "x" : "y";
    var format = percent
      ? function (v) { return v + "%"; }
      : money;
    var scales = {};
    scales[valueAxis] = {
      stacked: stacked,
      beginAtZero: true,
      max: percent ? 100 : undefined,
      ticks: { callback: percent ? format : shortMoney, maxTicksLimit: 6 },
    };
    scales[horizontal ? "y" : "x"] = {
      stacked: stacked,
      ticks: { autoSkip: !horizontal, maxRotation: 60 },
    };
    return {
      type: "bar",
      data: {
        labels: data.labels,
        datasets: data.datasets.map(function (set, index) {
          return {
            label: set.label,
            data: set.data,
            backgroundColor: colour(set.key, index),
            borderWidth: 0,
            maxBarThickness: 42,
          };
        }),
      },
      options: {
        indexAxis: horizontal ? "y" : "x",
        responsive: true,
        maintainAspectRatio: false,
        animation: false,
        scales: scales,
        plugins: {
          legend: { position: "bottom", labels: { boxWidth: 12, font: { size: 11 } } },
          tooltip: {
            callbacks: {
              label: function (item) {
                return item.dataset.label + COLON + format(item.raw);
              },
            },
          },
        },
      },
    };
  }

  document.querySelectorAll("canvas[data-chart]").forEach(function (canvas) {
    var source = document.getElementById("chart-" + canvas.dataset.chart);
    if (!source) {
      return;
    }
    var data = JSON.parse(source.textContent);
    // Shown only now: without JavaScript the figure would be an empty box.
    canvas.closest("figure").classList.add("drawn");
    new Chart(canvas, config(canvas.dataset.kind || "stacked-money", data));
  });
})();
