// symgrad stepper: walks the frames written by symgrad/render/stepper.py (docs/render.md).
// Plain ES5, no framework, no network. Every block marked data-stepper on the page gets one.
// stepper.py inlines this file without its indentation and comment lines: keep every comment
// on a line of its own and no string across lines.
(function () {
  "use strict";
  function each(list, fn) {
    for (var i = 0; i < list.length; i++) { fn(list[i]); }
  }
  function attr(el, name) { return el.getAttribute(name); }

  function setup(root) {
    // every block's script runs this: set each block up once
    if (attr(root, "data-step-index") !== null) { return; }
    // one row per frame: [node, edge, anchor, reveal, caption parts] (stepper.py: frames_data)
    var data = JSON.parse(root.querySelector("[data-step-data]").textContent);
    var frames = data.frames;
    var figure = root.querySelector("[data-step-figure]");
    // a rendered document's block holds no drawing: it shows a copy of the document's own
    // circuit figure (the SVG whose parts carry data-node), so the page carries it once
    var part = figure.firstElementChild ? null : document.querySelector("svg [data-node]");
    if (part) { figure.appendChild(part.closest("svg").cloneNode(true)); }
    var marked = figure.querySelectorAll("[data-node]");
    var caption = root.querySelector("[data-step-caption]");
    var link = root.querySelector("[data-step-link]");
    var buttons = {};
    each(root.querySelectorAll("[data-step-action]"), function (b) {
      buttons[attr(b, "data-step-action")] = b;
    });
    var current = 0, last = frames.length - 1;

    function show(index) {
      current = Math.max(0, Math.min(last, index));
      var frame = frames[current], node = frame[0], edge = frame[1], anchor = frame[2];
      var shown = {};
      for (var j = 0; j <= current; j++) {
        each(frames[j][3], function (key) { shown[key] = true; });
      }
      each(marked, function (el) {
        var kind = attr(el, "data-label"), its = attr(el, "data-edge");
        if (kind) {
          el.classList.toggle("pending",
            !shown[kind + ":" + (kind === "value" ? attr(el, "data-node") : its)]);
          return;
        }
        var on = its !== null ? its === edge : attr(el, "data-node") === node;
        el.classList.toggle("active", on);
        if (on && attr(el, "data-part") === "gate") {
          el.setAttribute("aria-current", "step");
        } else {
          el.removeAttribute("aria-current");
        }
      });
      caption.textContent = "";
      for (var i = 0; i < data.langs.length; i++) {
        var line = caption.appendChild(document.createElement("span")), text = "";
        line.lang = data.langs[i];
        each(frame[4], function (part) {
          text += data.words[part[0]][i].replace(/\{(\d+)\}/g, function (field, n) {
            return part[1][n];
          });
        });
        line.textContent = text;
      }
      root.querySelector("[data-step-counter]").textContent = (current + 1) + " / " + (last + 1);
      link.hidden = !(anchor && document.getElementById(anchor));
      link.href = "#" + anchor;
      buttons.first.disabled = buttons.prev.disabled = current === 0;
      buttons.next.disabled = buttons.last.disabled = current === last;
      root.setAttribute("data-step-index", String(current));
      // a wide figure scrolls sideways: bring the lit gate or edge into view
      var lit = figure.querySelector(".active");
      if (lit && figure.scrollWidth > figure.clientWidth) {
        var box = lit.getBoundingClientRect(), view = figure.getBoundingClientRect();
        if (box.left < view.left || box.right > view.right) {
          figure.scrollLeft += (box.left + box.right - view.left - view.right) / 2;
        }
      }
    }

    var moves = { first: -Infinity, prev: -1, next: 1, last: Infinity };
    function move(action) {
      var step = moves[action];
      show(isFinite(step) ? current + step : step);
    }
    each(Object.keys(buttons), function (action) {
      buttons[action].addEventListener("click", function () { move(action); });
    });
    var keys = { ArrowLeft: "prev", ArrowRight: "next", Home: "first", End: "last" };
    root.addEventListener("keydown", function (event) {
      var action = keys[event.key];
      if (!action || event.altKey || event.ctrlKey || event.metaKey) { return; }
      event.preventDefault();
      var focused = document.activeElement;
      move(action);
      // a button that becomes disabled drops the focus: keep it inside the stepper
      if (focused && focused.disabled) { root.focus(); }
    });

    // a link to #step-<n> (the document's links back, or the page's address) opens frame n
    function open(hash) {
      var match = /^#step-(\d+)$/.exec(hash || "");
      if (match) {
        show(+match[1]);
        root.focus();
        root.scrollIntoView();
      }
      return match;
    }
    document.addEventListener("click", function (event) {
      var a = event.target.closest && event.target.closest("a[href^='#step-']");
      if (a && open(attr(a, "href"))) { event.preventDefault(); }
    });
    root.hidden = false;
    // the document's links back to the steps show only when the stepper runs
    document.documentElement.classList.add("symgrad-stepping");
    show(0);
    open(window.location.hash);
  }

  function start() { each(document.querySelectorAll("[data-stepper]"), setup); }
  // the block stands above the document: wait for the figure it borrows to be parsed
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
