// finstab run pages: sort (click a header) and paginate every table.data; no dependencies.
// Without this script the tables are plain and complete.
(function () {
  "use strict";
  var SIZES = [25, 100, 500];

  function key(cell, kind) {
    if (!cell) return null;
    if (kind === "num" || kind === "bool") {
      var v = cell.getAttribute("data-v");
      return v === null ? null : parseFloat(v);
    }
    var text = cell.textContent;
    return text === "" ? null : text;
  }

  function compare(a, b, asc) {
    if (a === null && b === null) return 0;
    if (a === null) return 1;  // blanks last either way
    if (b === null) return -1;
    var r = typeof a === "number" && typeof b === "number" ? a - b : String(a).localeCompare(String(b), "zh");
    return asc ? r : -r;
  }

  function setup(table) {
    var body = table.tBodies[0];
    if (!body) return;
    var rows = Array.prototype.slice.call(body.rows);
    var state = {page: 0, size: Number(table.getAttribute("data-page-size")) || SIZES[0]};
    var pager = document.createElement("div");
    pager.className = "pager";
    pager.setAttribute("data-for", table.id);
    var prev = document.createElement("button");
    prev.type = "button";
    prev.textContent = "‹";
    prev.className = "prev";
    var next = document.createElement("button");
    next.type = "button";
    next.textContent = "›";
    next.className = "next";
    var info = document.createElement("span");
    info.className = "info";
    var select = document.createElement("select");
    select.className = "size";
    SIZES.concat([0]).forEach(function (n) {
      var o = document.createElement("option");
      o.value = String(n);
      o.textContent = n ? String(n) : (document.documentElement.lang === "en" ? "all" : "全部");
      if (n === state.size) o.selected = true;
      select.appendChild(o);
    });
    pager.appendChild(prev);
    pager.appendChild(info);
    pager.appendChild(next);
    pager.appendChild(select);
    var wrap = table.parentNode.classList.contains("table-wrap") ? table.parentNode : table;
    wrap.parentNode.insertBefore(pager, wrap.nextSibling);

    function show() {
      var size = state.size || rows.length || 1;
      var pages = Math.max(1, Math.ceil(rows.length / size));
      state.page = Math.min(Math.max(state.page, 0), pages - 1);
      var start = state.page * size, stop = start + size;
      rows.forEach(function (r, i) { r.classList.toggle("hidden", i < start || i >= stop); });
      var en = document.documentElement.lang === "en";
      info.textContent = (en ? "page " : "第 ") + (state.page + 1) + " / " + pages + (en ? "" : " 页") +
        " · " + rows.length + (en ? " rows" : " 行");
      prev.disabled = state.page === 0;
      next.disabled = state.page >= pages - 1;
      pager.style.display = rows.length > SIZES[0] ? "" : "none";
    }

    prev.addEventListener("click", function () { state.page -= 1; show(); });
    next.addEventListener("click", function () { state.page += 1; show(); });
    select.addEventListener("change", function () { state.size = Number(select.value); state.page = 0; show(); });

    var heads = table.tHead ? table.tHead.rows[0].cells : [];
    Array.prototype.forEach.call(heads, function (th, col) {
      th.title = document.documentElement.lang === "en" ? "sort" : "排序";
      th.addEventListener("click", function () {
        var asc = !th.classList.contains("sorted-asc");
        Array.prototype.forEach.call(heads, function (h) { h.classList.remove("sorted-asc", "sorted-desc"); });
        th.classList.add(asc ? "sorted-asc" : "sorted-desc");
        var kind = th.getAttribute("data-kind");
        var keyed = rows.map(function (r, i) { return {row: r, k: key(r.cells[col], kind), i: i}; });
        keyed.sort(function (a, b) { return compare(a.k, b.k, asc) || a.i - b.i; });
        rows = keyed.map(function (x) { return x.row; });
        var frag = document.createDocumentFragment();
        rows.forEach(function (r) { frag.appendChild(r); });
        body.appendChild(frag);
        state.page = 0;
        show();
      });
    });
    show();
  }

  function init() {
    Array.prototype.forEach.call(document.querySelectorAll("table.data"), setup);
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init);
  else init();
})();
