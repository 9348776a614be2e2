// symgrad stepper: walks the frames written by symgrad/stepper.py (see docs/stepper.md).
// Plain ES5, no framework, no network. Every block marked data-stepper on the page gets one.
// stepper.py inlines this file without its indentation and comment lines: keep every comment
// on a line of its own and no string across lines.
(function () {
  "use strict";

  function each(list, fn) {
    for (var i = 0; i < list.length; i++) { fn(list[i], i); }
  }

  function setup(root) {
    var data = JSON.parse(root.querySelector("script[data-step-data]").textContent);
    var frames = data.frames;
    var figure = root.querySelector("[data-step-figure]");
    var marked = figure.querySelectorAll("[data-node]");
    var caption = root.querySelector("[data-step-caption]");
    var counter = root.querySelector("[data-step-counter]");
    var link = root.querySelector("[data-step-link]");
    var buttons = {};
    each(root.querySelectorAll("[data-step-action]"), function (b) {
      buttons[b.getAttribute("data-step-action")] = b;
    });
    var current = 0;

    function labelKey(el) {
      var kind = el.getAttribute("data-label");
      return kind + ":" + (kind === "value" ? el.getAttribute("data-node")
                                            : el.getAttribute("data-edge"));
    }

    function show(index) {
      current = Math.max(0, Math.min(frames.length - 1, index));
      var frame = frames[current];
      var shown = {};
      for (var j = 0; j <= current; j++) {
        each(frames[j].reveal, function (key) { shown[key] = true; });
      }
      each(marked, function (el) {
        if (el.hasAttribute("data-label")) {
          el.classList.toggle("pending", !shown[labelKey(el)]);
          return;
        }
        var edge = el.getAttribute("data-edge");
        var on = edge !== null ? (frame.edge !== "" && edge === frame.edge)
                               : (frame.node !== "" && el.getAttribute("data-node") === frame.node);
        el.classList.toggle("active", on);
        if (on && (el.getAttribute("data-part") === "gate")) {
          el.setAttribute("aria-current", "step");
        } else {
          el.removeAttribute("aria-current");
        }
      });
      while (caption.firstChild) { caption.removeChild(caption.firstChild); }
      each(frame.caption, function (pair) {
        var line = document.createElement("span");
        line.setAttribute("lang", pair[0]);
        line.textContent = pair[1];
        caption.appendChild(line);
      });
      counter.textContent = (current + 1) + " / " + frames.length;
      var target = frame.anchor ? document.getElementById(frame.anchor) : null;
      link.hidden = !target;
      if (target) { link.setAttribute("href", "#" + frame.anchor); }
      buttons.first.disabled = buttons.prev.disabled = current === 0;
      buttons.next.disabled = buttons.last.disabled = current === frames.length - 1;
      root.setAttribute("data-step-index", String(current));
      reveal(figure.querySelector(".active"));
    }

    // a wide figure scrolls sideways: bring the lit gate or edge into view
    function reveal(el) {
      if (!el || figure.scrollWidth <= figure.clientWidth) { return; }
      var box = el.getBoundingClientRect(), view = figure.getBoundingClientRect();
      if (box.left < view.left || box.right > view.right) {
        figure.scrollLeft += (box.left + box.right) / 2 - (view.left + view.right) / 2;
      }
    }

    var moves = {
      first: function () { return 0; },
      prev: function () { return current - 1; },
      next: function () { return current + 1; },
      last: function () { return frames.length - 1; }
    };
    var keys = { ArrowLeft: "prev", ArrowRight: "next", Home: "first", End: "last" };

    each(Object.keys(buttons), function (action) {
      buttons[action].addEventListener("click", function () { show(moves[action]()); });
    });
    root.addEventListener("keydown", function (event) {
      var action = keys[event.key];
      if (!action || event.altKey || event.ctrlKey || event.metaKey) { return; }
      event.preventDefault();
      var focused = document.activeElement;
      show(moves[action]());
      // a button that becomes disabled drops the focus: keep it inside the stepper
      if (focused && focused.disabled) { root.focus(); }
    });

    // a link to #step-<n> (from the document's paragraphs) opens that frame
    function fromHash() {
      var match = /^#step-(\d+)$/.exec(window.location.hash);
      if (match) {
        show(parseInt(match[1], 10));
        root.scrollIntoView();
      }
    }
    window.addEventListener("hashchange", fromHash);
    root.hidden = false;
    show(0);
    fromHash();
  }

  each(document.querySelectorAll("[data-stepper]"), setup);
})();
