/* The dashboards' charts (issue 7): every element [data-chart="ID"] gets the ECharts option of the
   <script type="application/json" id="ID"> the server wrote (json_script). No inline script, no eval (CSP).
   option.qs.unit says how values read: "yuan" (decimal strings of yuan), "percent", "count". */
(function () {
  "use strict";

  function formatter(unit) {
    var digits = unit === "count" ? 0 : 2;
    var number = new Intl.NumberFormat("zh-CN", { minimumFractionDigits: digits, maximumFractionDigits: digits });
    return function (value) {
      if (value === null || value === undefined || value === "" || value === "-") {
        return "—";
      }
      if (Array.isArray(value)) {
        value = value[value.length - 1];
      }
      var text = number.format(Number(value));
      return unit === "percent" ? text + "%" : text;
    };
  }

  function draw(box) {
    var source = document.getElementById(box.getAttribute("data-chart"));
    if (!source) {
      return;
    }
    var option = JSON.parse(source.textContent);
    var unit = (option.qs && option.qs.unit) || "count";
    delete option.qs;
    var format = formatter(unit);
    option.tooltip = Object.assign({}, option.tooltip, { valueFormatter: format });
    if (option.yAxis && option.yAxis.type === "value") {
      option.yAxis.axisLabel = Object.assign({}, option.yAxis.axisLabel, {
        formatter: function (value) { return format(value); }
      });
    }
    (option.series || []).forEach(function (series) {
      if (series.type === "heatmap") {
        series.label = Object.assign({}, series.label, {
          formatter: function (params) { return format(params.value); }
        });
      }
    });
    var locale = (document.documentElement.lang || "zh").indexOf("zh") === 0 ? "ZH" : "EN";
    var chart = window.echarts.init(box, null, { renderer: "canvas", locale: locale });
    chart.setOption(option);
    box.setAttribute("data-chart-ready", "true");
    window.addEventListener("resize", function () { chart.resize(); });
  }

  function start() {
    if (!window.echarts) {
      return; // ECharts not installed (npm ci not run): the tables carry the data.
    }
    Array.prototype.forEach.call(document.querySelectorAll("[data-chart]"), draw);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
