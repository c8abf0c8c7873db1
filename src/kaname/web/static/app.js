// Draw Plotly figures embedded as JSON in data-figure attributes, on load and after HTMX swaps.
(function () {
  // The modebar's camera saves the chart as PNG, named after its title, worded in the page's
  // language (the words come from base.html's kaname-chart-words).
  var localeReady = false;
  function chartLocale() {
    if (localeReady) return "kaname";
    var meta = document.querySelector('meta[name="kaname-chart-words"]');
    var words = {};
    try { words = meta ? JSON.parse(meta.content) : {}; } catch (err) { words = {}; }
    window.Plotly.register({ moduleType: "locale", name: "kaname", dictionary: words });
    localeReady = true;
    return "kaname";
  }
  function fileName(el, layout) {
    var title = el.dataset.filename || (layout.title && (layout.title.text || layout.title)) || "chart";
    return String(title).replace(/<[^>]*>/g, " ").replace(/[\\/:*?"<>|%#&\s]+/g, "_").replace(/^_+|_+$/g, "").slice(0, 80) || "chart";
  }
  function chartConfig(el, layout) {
    return {
      responsive: true,
      displaylogo: false,
      // nothing leaves the workspace: no "share to Chart Studio" button
      showSendToCloud: false,
      modeBarButtonsToRemove: ["sendDataToCloud"],
      locale: chartLocale(),
      toImageButtonOptions: { format: "png", filename: fileName(el, layout), scale: 2 },
    };
  }
  // A heatmap reads its numbers in the cells where they fit; on a narrow screen the cells are
  // too small for them (the numbers would overlap), so the hover alone tells the value there.
  function fitCellText(el, data) {
    data.forEach(function (trace) {
      if (trace.type !== "heatmap" || !trace.texttemplate || !trace.x) return;
      var cell = (el.clientWidth - 140) / Math.max(trace.x.length, 1);
      if (cell < 26) trace.texttemplate = "";
    });
  }
  // Period names under the bars of a narrow chart stand upright, and every other one (or
  // fewer) is named where even upright they would touch.
  function fitCategoryTicks(el, data, layout) {
    var axis = layout.xaxis;
    if (!axis || axis.type !== "category") return;
    var names = {};
    data.forEach(function (trace) { (trace.x || []).forEach(function (x) { names[x] = 1; }); });
    var n = Object.keys(names).length;
    var room = (el.clientWidth - 110) / Math.max(n, 1);
    if (room >= 42) return;
    axis.tickangle = -90;
    if (room < 16) axis.dtick = Math.ceil(16 / room);
    // Upright names need more room below the plot than slanted ones: give the figure that
    // height, so the names' beginnings ("Dec 2025", not "ec 2025") are never cut at the edge.
    var margin = Object.assign({}, layout.margin || {});
    var extra = Math.max(0, 80 - (margin.b || 0));
    margin.b = Math.max(margin.b || 0, 80);
    layout.margin = margin;
    if (layout.height) layout.height += extra;
  }
  function draw(root) {
    if (!window.Plotly) return;
    (root || document).querySelectorAll(".chart[data-figure]").forEach(function (el) {
      if (el.dataset.drawn) return;
      el.dataset.drawn = "1";
      var fig = JSON.parse(el.dataset.figure);
      var layout = Object.assign({}, fig.layout || {}, { autosize: true });
      fitCellText(el, fig.data || []);
      fitCategoryTicks(el, fig.data || [], layout);
      // The frame keeps the figure's height: a responsive redraw (window resized, phone turned,
      // full-page screenshot) otherwise shrinks the frame and the plot spills over the page.
      if (layout.height) el.style.height = layout.height + el.offsetHeight - el.clientHeight + "px";
      window.Plotly.newPlot(el, fig.data || [], layout, chartConfig(el, layout));
    });
  }
  window.addEventListener("load", function () { draw(document); });
  document.addEventListener("htmx:afterSettle", function (e) { draw(e.target); });
  // Errors from HTMX requests show in the page, never as a silent failure.
  document.addEventListener("htmx:responseError", function (e) {
    var target = e.detail.target;
    if (target && e.detail.xhr.responseText) {
      target.innerHTML = e.detail.xhr.responseText;
    }
  });
  // Empty filters stay out of shared URLs.
  document.addEventListener("htmx:configRequest", function (e) {
    if (e.detail.verb !== "get") return;
    try {
      var params = e.detail.parameters;
      Object.keys(params).forEach(function (k) { if (params[k] === "") delete params[k]; });
    } catch (err) { /* keep the request as it is */ }
  });
  // No inline handlers (the Content-Security-Policy allows none): data attributes instead.
  document.addEventListener("click", function (e) {
    var el = e.target.closest && e.target.closest("[data-print], [data-set-lang], [data-toggle-nav]");
    if (!el) return;
    if (el.hasAttribute("data-print")) { window.print(); return; }
    if (el.hasAttribute("data-toggle-nav")) { document.body.classList.toggle("nav-open"); return; }
    e.preventDefault();
    document.cookie = "kaname_lang=" + el.dataset.setLang + ";path=/;SameSite=Lax";
    location.reload();
  });
  document.addEventListener("submit", function (e) {
    var form = e.target;
    if (form.dataset && form.dataset.confirm && !window.confirm(form.dataset.confirm)) {
      e.preventDefault();
    }
  });
})();
